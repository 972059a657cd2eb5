//! Deadlines (R26): what a rule set to happen at a later time — an
//! unanswered chat's timeout (R27), an offline agent's wait (R28) — kept by
//! (time, sequence) so that the earliest comes first and deadlines due at
//! the same time go in the order they were set.
//!
//! Overflow instants (R29) are not kept here: the visitors' store keeps
//! each waiting chat's, recomputed whenever its wait, its group or the
//! group's setting changes. Being recomputed after every change, they are
//! the last set of any deadlines due at the same time, so they come after
//! those kept here, in queue order among themselves. Business-hours
//! boundaries (R30) are not kept here either: the state keeps each
//! schedule's next change (`opening.rs`), and they come first.
//!
//! A deadline is not removed when its cause goes (the chat is answered,
//! the agent comes back): it is checked against the state when it is
//! reached, and the state drops stale deadlines from the front after every
//! change, so the first one kept always stands. Cost: O(log deadlines) to
//! set one or take the first; stale ones cost O(log) each, once.

use std::collections::BTreeMap;

use super::State;
use crate::ids::AgentId;

/// What a deadline does when it is reached, if its cause still stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// The chat of the visitor in `slot`, held since the assignment that
    /// gave it `version` and still unanswered, is missed (R27).
    Answer { slot: u32, version: u64 },
    /// The agent, offline since the status change that set this deadline,
    /// loses its chats to the queue (R28).
    Offline { agent: AgentId },
    /// The chat of the visitor in `slot` has waited its group's overflow
    /// wait (R29). Never kept in [`Deadlines`].
    Overflow { slot: u32 },
    /// Groups open or close (R30): every schedule boundary at this
    /// instant. Never kept in [`Deadlines`].
    Hours,
}

/// The pending deadlines, by (time, sequence).
#[derive(Debug, Clone, Default)]
pub(super) struct Deadlines {
    map: BTreeMap<(u64, u64), Deadline>,
    /// The sequence number the next deadline gets.
    next: u64,
}

impl Deadlines {
    /// Sets a deadline at `at`; returns its sequence number. O(log).
    pub(super) fn set(&mut self, at: u64, d: Deadline) -> u64 {
        let seq = self.next;
        self.next = self.next.saturating_add(1);
        self.map.insert((at, seq), d);
        seq
    }
}

impl State {
    /// Whether the deadline at `key` still has its cause. O(1) expected.
    fn stands(&self, (_, seq): (u64, u64), d: &Deadline) -> bool {
        match d {
            Deadline::Answer { slot, version } => self
                .visitors
                .at(*slot)
                .is_some_and(|v| v.version == *version && v.chat.is_some_and(|c| c.holder.is_some() && !c.answered)),
            Deadline::Offline { agent } => self.agents.get(agent).is_some_and(|a| a.offline_wait == Some(seq)),
            Deadline::Overflow { .. } | Deadline::Hours => false,
        }
    }

    /// Drops deadlines whose cause has gone from the front, so that the
    /// first one kept stands. O(log deadlines) per one dropped.
    pub(crate) fn prune_deadlines(&mut self) {
        while let Some((key, d)) = self.deadlines.map.first_key_value() {
            if self.stands(*key, d) {
                return;
            }
            self.deadlines.map.pop_first();
        }
    }

    /// The earliest pending deadline whose cause stands (R26), overflow
    /// instants and business-hours boundaries within the horizon included.
    /// O(log deadlines + log queue + log schedules), the front being pruned
    /// after every change.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        let kept = self.deadlines.map.iter().find(|(key, d)| self.stands(**key, d)).map(|((at, _), _)| *at);
        let overflow = self.visitors.next_overflow().map(|(at, _)| at);
        [kept, overflow, self.next_boundary()].into_iter().flatten().min()
    }

    /// Takes the earliest deadline due at or before `to` whose cause stands,
    /// dropping stale ones on the way; the clock is not moved. Boundaries
    /// of business hours (R30) come first among deadlines due at the same
    /// time, all of one instant as one; an overflow (R29) comes after the
    /// kept deadlines due at the same time, and stays until processing it
    /// changes the chat's wait. O(log deadlines) per deadline looked at,
    /// plus O(log queue + log schedules).
    pub(crate) fn take_due(&mut self, to: u64) -> Option<(u64, Deadline)> {
        self.look_ahead(to);
        self.prune_deadlines();
        let kept = self.deadlines.map.first_key_value().map(|((at, _), _)| *at);
        let overflow = self.visitors.next_overflow();
        if let Some(at) = self.opening_change() {
            if at <= to && kept.is_none_or(|k| at <= k) && overflow.is_none_or(|(o, _)| at <= o) {
                return Some((at, Deadline::Hours));
            }
        }
        if let Some((at, slot)) = overflow {
            if at <= to && kept.is_none_or(|k| at < k) {
                return Some((at, Deadline::Overflow { slot }));
            }
        }
        loop {
            let (&key, d) = self.deadlines.map.first_key_value()?;
            if key.0 > to {
                return None;
            }
            let stands = self.stands(key, d);
            let (_, d) = self.deadlines.map.pop_first()?;
            if stands {
                if let Deadline::Offline { agent } = &d {
                    if let Some(a) = self.agents.get_mut(agent) {
                        a.offline_wait = None;
                    }
                }
                return Some((key.0, d));
            }
        }
    }

    /// Sets a deadline at `at` (R26). O(log deadlines).
    pub(crate) fn set_deadline(&mut self, at: u64, d: Deadline) {
        // A held chat knows its answer deadline, for reads (R27).
        if let Deadline::Answer { slot, .. } = d {
            if let Some(chat) = self.visitors.chat_mut(slot) {
                chat.answer_by = Some(at);
            }
        }
        self.deadlines.set(at, d);
    }

    /// The deadlines whose cause stands, in the order they will be
    /// processed, with their times. O(deadlines).
    pub(crate) fn pending_deadlines(&self) -> impl Iterator<Item = (u64, &Deadline)> + '_ {
        self.deadlines.map.iter().filter(|(key, d)| self.stands(**key, d)).map(|((at, _), d)| (*at, d))
    }

    /// A deadline as it compares between accounts and as it is saved: its
    /// kind and whom it is about (a visitor's id for a chat, an agent's).
    pub(crate) fn deadline_named<'a>(&'a self, d: &'a Deadline) -> (bool, &'a str) {
        match d {
            Deadline::Answer { slot, .. } => (true, self.visitors.name(*slot).unwrap_or_default()),
            Deadline::Offline { agent } => (false, agent.as_str()),
            Deadline::Overflow { slot } => (true, self.visitors.name(*slot).unwrap_or_default()),
            Deadline::Hours => (false, ""),
        }
    }

    /// Restores an agent's wait offline (R28) from a saved account: a
    /// deadline at `at`. O(log deadlines).
    pub(crate) fn restore_offline_wait(&mut self, agent: &AgentId, at: u64) {
        let seq = self.deadlines.set(at, Deadline::Offline { agent: agent.clone() });
        if let Some(a) = self.agents.get_mut(agent) {
            a.offline_wait = Some(seq);
        }
    }
}
