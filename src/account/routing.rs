//! Routing events (R15–R19): starting a chat, transfers, the strategy
//! state. The account looks ids up and checks R19's errors; `route/` lands
//! chats and serves the queue.

use super::{Account, ActionError};
use crate::decide::{ClaimCheck, claim};
use crate::ids::{AgentId, UnknownId, VisitorId};
use crate::route::{self, Assignments, Freed, Routed, TransferTarget};
use crate::snapshot::GroupIx;

impl Account {
    /// The visitor starts a chat, routed under the routing policy (R15–R18).
    /// `chat_open` when it has one (held or queued). Cost: O(agents · chain).
    ///
    /// # Errors
    ///
    /// `unknown_visitor`; `chat_open` when the visitor already has a chat, held
    /// or queued.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// let routed = account.route("v1").unwrap();
    /// assert_eq!(routed.offered(), ["anna"]);
    /// assert_eq!(account.route("v1").unwrap_err().code(), "chat_open");
    /// ```
    pub fn route(&mut self, visitor: &str) -> Result<Routed, ActionError> {
        self.guarded(|account| account.route_event(visitor))
    }

    fn route_event(&mut self, visitor: &str) -> Result<Routed, ActionError> {
        let (slot, v) = self.known_slot(visitor)?;
        if v.chat.is_some() {
            return Err(ActionError::ChatOpen(VisitorId::stored(v.id)));
        }
        let plan = route::destination_of(&self.latest, &self.state, v);
        // Routing a new chat frees no agent: the queue has nothing new to serve.
        Ok(route::land(&self.latest, &mut self.state, slot, plan))
    }

    /// Transfers a held chat (R19) to a group or to an agent.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`; `no_chat` when nobody holds the chat; for a group,
    /// `unknown_group` then `same_group`; for an agent, `unknown_agent` then
    /// R11's checks as if the chat were unheld.
    ///
    /// ```
    /// use groupgate::{Account, AgentSpec, ConfigBuilder, ErrorCode, GroupSpec, Status, TransferTarget};
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en"))
    ///     .agent(AgentSpec::new("bob").member("de"))
    ///     .build().unwrap(), 0);
    /// account.set_status("bob", Status::Online).unwrap();
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.claim("anna", "v1").unwrap();
    /// let err = account.transfer("v1", &TransferTarget::Agent("bob".into())).unwrap_err();
    /// assert_eq!(err.code(), "not_in_group"); // bob does not see an "en" visitor
    /// let routed = account.transfer("v1", &TransferTarget::Group("de".into())).unwrap();
    /// assert!(routed.queued()); // broadcast: offered to bob, waiting for his claim
    /// assert_eq!(routed.offered(), ["bob"]);
    /// ```
    ///
    /// Cost: O(viewers of the target group · chain length), then, under `least_busy` and `round_robin`, serving the queue (R18): O(queue) visibility tests plus a routing plan for each chat the event may have unblocked.
    pub fn transfer(&mut self, visitor: &str, to: &TransferTarget) -> Result<Routed, ActionError> {
        self.transfer_as(None, visitor, to)
    }

    /// [`transfer`](Self::transfer) done by `agent` when one is given
    /// (R38): it must hold the chat, checked before the target.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`, `unknown_agent`, `no_chat`, `not_holder`, then
    /// the target's errors as [`transfer`](Self::transfer)'s.
    pub fn transfer_as(
        &mut self,
        agent: Option<&str>,
        visitor: &str,
        to: &TransferTarget,
    ) -> Result<Routed, ActionError> {
        self.guarded(|account| account.transfer_event(agent, visitor, to))
    }

    fn transfer_event(
        &mut self,
        agent: Option<&str>,
        visitor: &str,
        to: &TransferTarget,
    ) -> Result<Routed, ActionError> {
        let (slot, v) = self.known_slot(visitor)?;
        let acting = self.acting(agent)?;
        let holder = v.chat.as_ref().and_then(|c| c.holder.clone());
        let Some(holder) = holder else {
            return Err(ActionError::NoChat(VisitorId::stored(v.id)));
        };
        Self::holds(&v, acting)?;
        let own = v.group;
        let routed = match to {
            TransferTarget::Group(g) => self.transfer_to_group(slot, own, g)?,
            TransferTarget::Agent(a) => self.transfer_to_agent(slot, own, &holder, a)?,
        };
        self.serve_agent(&holder);
        Ok(routed)
    }

    fn transfer_to_group(&mut self, slot: u32, own: Option<GroupIx>, target: &str) -> Result<Routed, ActionError> {
        let g =
            self.latest.group_ix(target).ok_or_else(|| ActionError::Unknown(UnknownId::Group(target.to_owned())))?;
        if own == Some(g) {
            let same = self.latest.group(g).map(|(id, _)| id.clone());
            return Err(same.map_or_else(|| UnknownId::Group(target.to_owned()).into(), ActionError::SameGroup));
        }
        Ok(route::to_group(&self.latest, &mut self.state, slot, g))
    }

    fn transfer_to_agent(
        &mut self,
        slot: u32,
        own: Option<GroupIx>,
        holder: &AgentId,
        target: &str,
    ) -> Result<Routed, ActionError> {
        let ax = self.agent_ix(target)?;
        let group = own.and_then(|g| self.latest.group(g)).map(|(id, _)| id.clone());
        let routed = |agent: &AgentId| Routed { agent: Some(agent.clone()), offered: Vec::new(), group, moved: false };
        if target == holder.as_str() {
            return Ok(routed(holder));
        }
        if let ClaimCheck::Denied { reason, .. } = claim::check(&self.latest, &self.state, ax, own, None) {
            return Err(ActionError::Denied { reason, holder: None });
        }
        self.state.assign(ax, slot);
        let target = self.latest.agent(ax).map(|(id, _)| id.clone());
        Ok(Routed { agent: target, ..routed(holder) })
    }

    /// Serves the queue (R18) after a successful event, as far as `freed`
    /// can have changed it; each chat served is a `chat_held` notice (R31).
    pub(super) fn serve(&mut self, freed: Freed) {
        route::serve(&self.latest, &mut self.state, freed);
    }
}

impl Account {
    /// The strategy state (R16), to share with other servers.
    /// Cost: O(agents).
    pub fn assignments(&self) -> Assignments {
        Assignments(self.state.agents().filter_map(|(id, a)| Some((id.clone(), a.last_assigned()?))).collect())
    }

    /// Replaces the strategy state (R16) with one read from elsewhere: agents
    /// not listed count as never assigned; unknown agents are ignored.
    /// Cost: O(agents).
    pub fn set_assignments(&mut self, assignments: &Assignments) {
        let _ = self.guarded(|account| {
            account.state.set_assignments(|id| assignments.get(id));
            Ok::<(), ActionError>(())
        });
    }
}

impl Account {
    /// The agent [`route`](Self::route) would give the visitor's new chat to
    /// now, under a single-agent strategy (R15–R17); `None` under
    /// `broadcast`, without candidates, or for an unknown visitor. Changes
    /// nothing. Cost: O(agents who see the chat's group · chain length), no
    /// allocation.
    ///
    /// ```
    /// use groupgate::{Account, AgentSpec, ConfigBuilder, Policy, Routing, Status};
    /// let mut policy = Policy::default();
    /// policy.routing = Routing::LeastBusy;
    /// let mut account = Account::new(ConfigBuilder::new().policy(policy)
    ///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap(), 0);
    /// account.set_status("bob", Status::Online).unwrap();
    /// account.visit("v1", None).unwrap();
    /// assert_eq!(account.next_agent("v1").unwrap(), "bob");
    /// assert_eq!(account.holder("v1"), None);
    /// ```
    pub fn next_agent(&self, visitor: &str) -> Option<&AgentId> {
        let v = self.state.visitor(visitor)?;
        let plan = route::destination_of(&self.latest, &self.state, v);
        plan.pick.and_then(|a| self.latest.agent(a)).map(|(id, _)| id)
    }
}
