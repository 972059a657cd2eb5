//! Time (R26–R30): advancing the clock and processing deadlines, answering
//! and declining chats, missed chats, offline agents' chats, overflow, and
//! business hours.

use super::{Account, ActionError};
use crate::config::AfterMissed;
use crate::ids::VisitorId;
use crate::route::{self, Freed};
use crate::state::{Deadline, Status, Unheld};

impl Account {
    /// Moves the clock forward to `to` (R26), processing every deadline due
    /// at or before it, earliest first (those due together in the order
    /// they were set), each at its own time; at the end the clock is `to`.
    /// A time at or before the clock changes nothing and is not an error, so
    /// servers whose clocks differ can feed one account. The notices are
    /// each deadline's, one deadline after another (R31).
    ///
    /// Cost: O(log deadlines) when none is due; per deadline processed, that
    /// of what it does (a re-route and queue serving, R27; re-queueing the
    /// agent's chats, R28).
    ///
    /// # Errors
    ///
    /// `version_exhausted` when the account's counter (R13) runs out on the
    /// way; nothing changes.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut policy = Policy::default();
    /// policy.routing = Routing::LeastBusy;
    /// policy.answer_timeout = Some(30_000);
    /// let mut account = Account::new(ConfigBuilder::new().policy(policy)
    ///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.set_status("bob", Status::Online).unwrap();
    /// account.visit("v1", None).unwrap();
    /// account.route("v1").unwrap(); // anna, until 30 s from now
    /// assert_eq!(account.next_deadline(), Some(30_000));
    /// account.advance_to(30_000).unwrap();
    /// assert_eq!(account.holder("v1").unwrap(), "bob"); // anna missed it
    /// assert_eq!(account.status("anna"), Some(Status::Away));
    /// ```
    pub fn advance_to(&mut self, to: u64) -> Result<(), ActionError> {
        self.guarded(|account| {
            account.run_due(to);
            account.state.set_clock(to);
            Ok(())
        })
    }

    /// Moves the clock `by` milliseconds forward: [`advance_to`](Self::advance_to)
    /// the clock plus `by` (at most [`MAX_INSTANT`](crate::MAX_INSTANT)) — what
    /// [`Event::AdvanceBy`](crate::Event::AdvanceBy), the format's `advance`,
    /// does. The two names say which a number is: a time, or a wait.
    ///
    /// # Errors
    ///
    /// As [`advance_to`](Self::advance_to).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new().build().unwrap(), 1_000);
    /// account.advance_by(500).unwrap();
    /// assert_eq!(account.clock(), 1_500);
    /// account.advance_to(1_200).unwrap(); // an earlier time: the clock stays
    /// assert_eq!(account.clock(), 1_500);
    /// ```
    pub fn advance_by(&mut self, by: u64) -> Result<(), ActionError> {
        self.advance_to(self.clock().saturating_add(by))
    }

    /// The earliest pending deadline whose cause still stands (R26): advance
    /// to it (or later) and it is processed. `None`: nothing will happen
    /// until an event.
    ///
    /// Cost: O(log deadlines).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut policy = Policy::default();
    /// policy.offline_requeue_after = Some(60_000);
    /// let mut account = Account::new(ConfigBuilder::new().policy(policy)
    ///     .agent(AgentSpec::new("anna")).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.advance_to(1_000).unwrap();
    /// account.set_status("anna", Status::Offline).unwrap();
    /// assert_eq!(account.next_deadline(), Some(61_000));
    /// account.set_status("anna", Status::Away).unwrap(); // back before the wait ended
    /// assert_eq!(account.next_deadline(), None);
    /// ```
    pub fn next_deadline(&self) -> Option<u64> {
        self.state.next_deadline()
    }

    /// The holder of the visitor's chat answered it (R27): its first reply
    /// or its acceptance. The chat's answer deadline lapses and its missed
    /// list is cleared. Answering an answered chat changes nothing.
    ///
    /// Cost: O(1) expected.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`; `no_chat` when nobody holds the chat.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut policy = Policy::default();
    /// policy.routing = Routing::RoundRobin;
    /// policy.answer_timeout = Some(30_000);
    /// let mut account = Account::new(ConfigBuilder::new().policy(policy)
    ///     .agent(AgentSpec::new("anna")).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", None).unwrap();
    /// account.route("v1").unwrap();
    /// account.answer("v1").unwrap();
    /// assert_eq!(account.next_deadline(), None);
    /// assert!(account.visitor("v1").unwrap().answered());
    /// ```
    pub fn answer(&mut self, visitor: &str) -> Result<(), ActionError> {
        self.answer_as(None, visitor)
    }

    /// [`answer`](Self::answer) done by `agent` when one is given (R38): it
    /// must hold the chat.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`, `unknown_agent`, `no_chat`, then `not_holder`.
    pub fn answer_as(&mut self, agent: Option<&str>, visitor: &str) -> Result<(), ActionError> {
        self.guarded(|account| account.answer_event(agent, visitor))
    }

    fn answer_event(&mut self, agent: Option<&str>, visitor: &str) -> Result<(), ActionError> {
        let (slot, v) = self.known_slot(visitor)?;
        let acting = self.acting(agent)?;
        if v.chat.is_none_or(|c| c.holder.is_none()) {
            return Err(ActionError::NoChat(VisitorId::stored(v.id)));
        }
        Self::holds(&v, acting)?;
        self.state.answer(slot);
        Ok(())
    }

    /// The holder of the visitor's unanswered chat declines it (R27): it
    /// loses the chat, joins its missed list, and the chat is routed again
    /// without the agents on that list; the holder's status stays.
    ///
    /// Cost: a routing plan, then serving the queue (R18).
    ///
    /// # Errors
    ///
    /// `unknown_visitor`; `no_chat` when nobody holds the chat;
    /// `already_answered` when it was answered.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut policy = Policy::default();
    /// policy.routing = Routing::RoundRobin;
    /// let mut account = Account::new(ConfigBuilder::new().policy(policy)
    ///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.set_status("bob", Status::Online).unwrap();
    /// account.visit("v1", None).unwrap();
    /// account.route("v1").unwrap(); // anna
    /// account.decline("v1").unwrap();
    /// assert_eq!(account.holder("v1").unwrap(), "bob");
    /// assert_eq!(account.visitor("v1").unwrap().missed(), ["anna"]);
    /// account.answer("v1").unwrap();
    /// assert_eq!(account.decline("v1").unwrap_err().code(), "already_answered");
    /// ```
    pub fn decline(&mut self, visitor: &str) -> Result<(), ActionError> {
        self.decline_as(None, visitor)
    }

    /// [`decline`](Self::decline) done by `agent` when one is given (R38):
    /// it must hold the chat, checked before `already_answered`.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`, `unknown_agent`, `no_chat`, `not_holder`, then
    /// `already_answered`.
    pub fn decline_as(&mut self, agent: Option<&str>, visitor: &str) -> Result<(), ActionError> {
        self.guarded(|account| account.decline_event(agent, visitor))
    }

    fn decline_event(&mut self, agent: Option<&str>, visitor: &str) -> Result<(), ActionError> {
        let (slot, v) = self.known_slot(visitor)?;
        let acting = self.acting(agent)?;
        let Some(chat) = v.chat.filter(|c| c.holder.is_some()) else {
            return Err(ActionError::NoChat(VisitorId::stored(v.id)));
        };
        Self::holds(&v, acting)?;
        if chat.answered {
            return Err(ActionError::AlreadyAnswered(VisitorId::stored(v.id)));
        }
        self.miss(slot, Unheld::Declined);
        Ok(())
    }

    /// R27 for the chat in `slot`: its holder missed or declined it; a miss
    /// under `after_missed: away` sets an online holder away. Then the
    /// queue is served for the agent freed.
    fn miss(&mut self, slot: u32, why: Unheld) {
        let snap = &*self.latest;
        let away = why == Unheld::Missed && snap.policy().after_missed == AfterMissed::Away;
        let holder = route::miss(snap, &mut self.state, slot, why, |state, holder| {
            let Some(ax) = snap.agent_ix(holder.as_str()) else { return };
            if away && state.agent_at(ax).is_some_and(|a| a.status() == Status::Online) {
                state.set_status_by_rule(ax, Status::Away);
            }
        });
        if let Some(holder) = holder {
            self.serve_agent(&holder);
        }
    }

    /// Processes every deadline due at or before `to` (R26), each at its
    /// own time and as its own set of notices, stamped with that time.
    pub(super) fn run_due(&mut self, to: u64) {
        while let Some((at, deadline)) = self.state.take_due(to) {
            self.flush();
            self.state.set_clock(at);
            match deadline {
                Deadline::Answer { slot, .. } => self.miss(slot, Unheld::Missed),
                Deadline::Overflow { slot } => route::overflow(&self.latest, &mut self.state, slot),
                Deadline::Hours => {
                    self.state.cross_boundaries(at);
                    self.serve(Freed::All);
                }
                Deadline::Offline { agent } => {
                    if let Some(ax) = self.latest.agent_ix(agent.as_str()) {
                        let snap = &*self.latest;
                        self.state.requeue_chats_of(ax, Unheld::Offline, |state, slot| {
                            route::requeue_offers(snap, state, slot)
                        });
                        self.serve(Freed::All);
                    }
                }
            }
            self.end_unit();
            // Named now, while the clock is the deadline's time (R31).
            self.flush();
        }
    }
}
