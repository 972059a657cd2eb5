//! Chats: the one place that changes who holds a visitor's chat, whether it
//! waits in the queue, and its version (R11–R14, R18). A chat's holder is
//! recorded on the visitor; the holder's list of held chats (its load, R12)
//! and the queue index follow in the same method, so they never disagree.

use super::notes::{Note, Unheld, Who};
use super::{Chat, State, Status, Wait};
use crate::ids::{AgentId, VisitorId};
use crate::snapshot::AgentIx;

/// A holder as a note names it.
fn who((at, id): (Option<AgentIx>, AgentId)) -> Who {
    at.map_or(Who::Gone(id), Who::At)
}

impl State {
    /// The agent at `ax` comes to hold the chat of the visitor in `slot`,
    /// taking it from any other holder and out of the queue; the chat gets a
    /// new version, which is returned. An answered chat (a claim by hand, a
    /// transfer to a named agent, R27) has its missed list cleared; an
    /// unanswered one (a pick) keeps it. Not an assignment for R16: see
    /// [`Self::assign`]. O(chats the previous holder holds + log queue).
    pub(crate) fn hold(&mut self, ax: AgentIx, slot: u32, answered: bool) -> u64 {
        let version = self.tick();
        self.hold_at_version(ax, slot, version, answered);
        version
    }

    /// [`Self::hold`] of an answered chat, stamped with the clock as the
    /// agent's last assignment (R16): a claim, a transfer to an agent.
    pub(crate) fn assign(&mut self, ax: AgentIx, slot: u32) -> u64 {
        self.stamp(ax);
        self.hold(ax, slot, true)
    }

    /// A single-agent strategy's pick (R16, R27): [`Self::hold`] of an
    /// unanswered chat, stamped, with a deadline `timeout` from now when
    /// given. O(that of hold + log deadlines).
    pub(crate) fn pick(&mut self, ax: AgentIx, slot: u32, timeout: Option<u64>) -> u64 {
        self.stamp(ax);
        let version = self.hold(ax, slot, false);
        if let Some(at) = timeout.and_then(|t| super::deadline_at(self.clock, t)) {
            self.set_deadline(at, super::Deadline::Answer { slot, version });
        }
        version
    }

    fn stamp(&mut self, ax: AgentIx) {
        let now = self.clock;
        if let Some((_, a)) = self.agents.get_index_mut(ax) {
            a.last_assigned = Some(now);
        }
    }

    /// The chat's previous holder, if another, loses it: a transfer to an
    /// agent (R19) or a restore.
    fn hold_at_version(&mut self, ax: AgentIx, slot: u32, version: u64, answered: bool) {
        let missed = if answered { Vec::new() } else { self.take_missed(slot) };
        let previous = self.let_go(slot).filter(|(at, _)| *at != Some(ax));
        if !self.visitors.contains(slot) {
            self.repool(ax);
            return;
        }
        let mut held_at = 0;
        let holder = self.agents.get_index_mut(ax).map(|(id, a)| {
            held_at = u32::try_from(a.held.len()).unwrap_or(u32::MAX);
            a.held.push(slot);
            id.clone()
        });
        self.repool(ax);
        if let Some(previous) = previous {
            self.log.notes.push(Note::Unheld { slot, agent: who(previous), why: Unheld::Transferred });
        }
        if holder.is_some() {
            self.log.notes.push(Note::Held { slot, agent: ax });
        }
        let answered = answered && holder.is_some();
        let held_by = u32::try_from(ax).unwrap_or(u32::MAX);
        let chat = Chat { holder, queued: None, answered, missed, held_at, held_by, answer_by: None };
        self.visitors.set_chat_at(slot, Some(chat), version);
    }

    /// The missed list of the chat in `slot`, taken out of it.
    fn take_missed(&mut self, slot: u32) -> Vec<AgentId> {
        self.visitors.chat_mut(slot).map(|c| std::mem::take(&mut c.missed)).unwrap_or_default()
    }

    /// The holder answered the chat in `slot` (R27): it is answered and its
    /// missed list is cleared. Returns whether it was unanswered. O(1).
    pub(crate) fn answer(&mut self, slot: u32) -> bool {
        let Some(chat) = self.visitors.chat_mut(slot).filter(|c| c.holder.is_some()) else { return false };
        let was = !chat.answered;
        chat.answered = true;
        chat.missed.clear();
        was
    }

    /// Closes the chat of the visitor in `slot`, held or queued (R14): the
    /// holder's load drops at once. Returns the holder. The visitor's state
    /// gets a new version even when it had no chat, so a stale
    /// compare-and-set fails (R13). O(chats the holder holds + log queue).
    pub(crate) fn close(&mut self, slot: u32) -> Option<AgentId> {
        let version = self.tick();
        self.close_at_version(slot, version)
    }

    fn close_at_version(&mut self, slot: u32, version: u64) -> Option<AgentId> {
        let open = self.visitors.chat(slot).is_some();
        let holder = self.let_go(slot);
        self.visitors.set_chat_at(slot, None, version);
        if open {
            self.log.notes.push(Note::Closed { slot, agent: holder.as_ref().and_then(|(at, _)| *at) });
        }
        holder.map(|(_, id)| id)
    }

    /// The holder of the chat in `slot` loses it for `why` and the chat
    /// stays open, unheld and unqueued, for the caller to route (a transfer
    /// to a group, R19; a miss or a decline, R27, which puts the holder on
    /// the chat's missed list); it gets a new version. Returns the holder. O(chats the
    /// holder holds + log queue).
    pub(crate) fn unhold(&mut self, slot: u32, why: Unheld) -> Option<AgentId> {
        let version = self.tick();
        let mut missed = self.take_missed(slot);
        let holder = self.let_go(slot);
        let id = holder.as_ref().map(|(_, id)| id.clone());
        if let Some(holder) = holder {
            if matches!(why, Unheld::Missed | Unheld::Declined) {
                missed.push(holder.1.clone());
            }
            self.log.notes.push(Note::Unheld { slot, agent: who(holder), why });
        }
        self.visitors.set_chat_at(slot, Some(Chat { missed, ..Chat::default() }), version);
        id
    }

    /// The agent at `ax` had its status changed by a rule (R27): noted.
    pub(crate) fn set_status_by_rule(&mut self, ax: AgentIx, status: Status) {
        if self.agent_at(ax).is_some_and(|a| a.status() != status) {
            self.set_status(ax, status, None);
            self.log.notes.push(Note::Status { agent: ax, status });
        }
    }

    /// Removes the chat in `slot` from its holder's list and takes the
    /// holder out of the chat (which the caller rewrites). Returns the
    /// holder: its index, unless a change removed it, and its id. O(1)
    /// expected.
    fn let_go(&mut self, slot: u32) -> Option<(Option<AgentIx>, AgentId)> {
        // Only a held chat is written to (a visitor without one keeps no
        // side-table row).
        self.visitors.chat(slot)?.holder.as_ref()?;
        let chat = self.visitors.chat_mut(slot)?;
        let (holder, at, hint) = (chat.holder.take()?, chat.held_at as usize, chat.held_by as usize);
        let ix = match self.agents.get_index(hint) {
            Some((id, _)) if *id == holder => Some(hint),
            _ => self.agents.get_index_of(holder.as_str()),
        };
        let Some((ix, (_, a))) = ix.and_then(|ix| Some((ix, self.agents.get_index_mut(ix)?))) else {
            return Some((None, holder));
        };
        if a.held.get(at) == Some(&slot) {
            a.held.swap_remove(at);
            // The chat that took its place records where it is now.
            let moved = a.held.get(at).copied();
            if let Some(c) = moved.and_then(|m| self.visitors.chat_mut(m)) {
                c.held_at = u32::try_from(at).unwrap_or(u32::MAX);
            }
        } else {
            a.held.retain(|h| *h != slot);
        }
        self.repool(ix);
        Some((Some(ix), holder))
    }

    /// Opens (or re-opens) the chat of the visitor in `slot` unheld, at the
    /// back of the queue (R18), offered to `offered` (under broadcast).
    /// O(chats the previous holder holds + log queue).
    pub(crate) fn enqueue(&mut self, slot: u32, offered: Vec<AgentIx>) {
        let missed = self.take_missed(slot);
        self.let_go(slot);
        let version = self.tick();
        let chat = Chat { queued: Some(Wait::new(self.clock, self.clock)), missed, ..Chat::default() };
        self.visitors.set_chat_at(slot, Some(chat), version);
        let group = self.visitors.at(slot).and_then(|v| v.group);
        self.log.notes.push(Note::Queued { slot, group, offered });
    }

    /// R29: the waiting chat in `slot` starts its wait in its group now,
    /// keeping its place in the queue and its version. O(log queue).
    pub(crate) fn restart_wait(&mut self, slot: u32) {
        let Some(v) = self.visitors.at(slot) else { return };
        let version = v.version;
        let Some(mut chat) = v.chat.cloned() else { return };
        let Some(wait) = chat.queued else { return };
        chat.queued = Some(Wait::new(wait.entered, self.clock));
        self.visitors.set_chat_at(slot, Some(chat), version);
    }

    /// Puts chats taken from their holders back in the queue together (R14,
    /// R18): at the back, in visitor arrival order among themselves
    /// (consecutive queue keys given in that order), each offered to what
    /// `offers` gives just before it is queued. Takes (slot, holder, why);
    /// returns their ids in that order. O(n log n + n · log queue).
    pub(crate) fn requeue(
        &mut self,
        mut lost: Vec<(u32, AgentId, Unheld)>,
        offers: impl Fn(&State, u32) -> Vec<AgentIx>,
    ) -> Vec<VisitorId> {
        lost.retain(|(s, ..)| self.visitors.at(*s).is_some());
        lost.sort_by_key(|(s, ..)| self.visitors.arrival(*s));
        let mut out = Vec::with_capacity(lost.len());
        for (slot, agent, why) in lost {
            self.let_go(slot);
            let agent = match self.agents.get_index_of(agent.as_str()) {
                Some(at) => Who::At(at),
                None => Who::Gone(agent),
            };
            self.log.notes.push(Note::Unheld { slot, agent, why });
            let offered = offers(self, slot);
            self.enqueue(slot, offered);
            out.extend(self.visitors.name(slot).map(VisitorId::stored));
        }
        out
    }

    /// Adds a visitor as a saved account has it (R32), after every visitor
    /// that arrived before it: tags, preferred agent, chat (held by the
    /// agent at `held`, or queued under `queued`) and version. Takes no value
    /// of the counter. O(log) plus the chat's costs.
    ///
    /// # Errors
    ///
    /// [`Full`](super::Full) when the store holds as many visitors as it can.
    pub(crate) fn restore_visitor(
        &mut self,
        v: super::Restored,
        grouping: &impl super::Grouping,
    ) -> Result<(), super::Full> {
        let slot = self.visitors.insert(v.id, v.page_tag, v.arrival, grouping)?;
        if let Some(g) = v.selection {
            self.visitors.retag(slot, super::Tag::Selection(g), grouping);
        }
        if let Some(g) = v.moved_to {
            self.visitors.retag(slot, super::Tag::MovedTo(g), grouping);
        }
        if let Some(a) = v.preferred {
            self.visitors.set_preferred(slot, a);
        }
        match (v.held, v.queued) {
            (Some(ax), _) => {
                self.visitors.set_chat_at(slot, Some(Chat { missed: v.missed, ..Chat::default() }), v.version);
                self.hold_at_version(ax, slot, v.version, v.answered);
            }
            (None, Some(wait)) => {
                // A load gives waits out of queue order: ranks are rebuilt
                // once it is done.
                self.visitors.unrank();
                let chat = Chat { queued: Some(wait), missed: v.missed, ..Chat::default() };
                self.visitors.set_chat_at(slot, Some(chat), v.version);
            }
            (None, None) if v.version != v.arrival => self.visitors.set_chat_at(slot, None, v.version),
            (None, None) => {}
        }
        Ok(())
    }

    /// Records a chat state decided elsewhere (a restore): `holder` holds the
    /// chat of the visitor in `slot`, or with `None` it is closed, at the
    /// given version. Takes no value of the counter; the counter moves past
    /// `version`. O(chats the holders hold + log queue).
    pub(crate) fn restore(&mut self, slot: u32, holder: Option<AgentIx>, version: u64) {
        match holder {
            Some(ax) => self.hold_at_version(ax, slot, version, true),
            None => {
                self.close_at_version(slot, version);
            }
        }
        self.counter = self.counter.max(version);
    }
}
