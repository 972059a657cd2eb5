//! Routing events (R15–R19): starting a chat, serving the queue, transfers.

use std::sync::Arc;

use super::{Account, ActionError};
use crate::config::Routing;
use crate::decide::visibility::visibility;
use crate::decide::{claim, ClaimCheck};
use crate::ids::{shown, AgentId, GroupId, VisitorId};
use crate::route::{self, Plan};
use crate::snapshot::GroupIx;
use crate::state::Chat;

/// What routing did with a chat (R15–R18).
///
/// ```
/// use groupgate::{Account, AgentSpec, Change, ConfigBuilder, GroupSpec, Policy, Routing, Status};
/// let mut policy = Policy::default();
/// policy.routing = Routing::LeastBusy;
/// let mut account = Account::new(ConfigBuilder::new()
///     .policy(policy)
///     .group(GroupSpec::new("en").fallback("de"))
///     .group(GroupSpec::new("de"))
///     .agent(AgentSpec::new("bob").member("de"))
///     .build().unwrap());
/// account.set_status("bob", Status::Online).unwrap();
/// account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
/// let routed = account.route("v1").unwrap();
/// assert_eq!(routed.agent().map(|a| a.as_str()), Some("bob"));
/// assert_eq!(routed.group().map(|g| g.as_str()), Some("de")); // R17: moved to the fallback
/// assert!(routed.moved());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub(crate) agent: Option<AgentId>,
    pub(crate) offered: Vec<AgentId>,
    pub(crate) group: Option<GroupId>,
    pub(crate) moved: bool,
}

impl Routed {
    /// The agent now holding the chat (single-agent strategies); `None` when
    /// it waits in the queue.
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// assert!(account.route("v1").unwrap().agent().is_none()); // broadcast
    /// ```
    pub fn agent(&self) -> Option<&AgentId> {
        self.agent.as_ref()
    }
    /// Under `broadcast`, the agents offered the chat, in offer order (R15);
    /// empty otherwise.
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// assert_eq!(account.route("v1").unwrap().offered(), ["bob"]);
    /// ```
    pub fn offered(&self) -> &[AgentId] {
        &self.offered
    }
    /// The group the chat is in now.
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// assert_eq!(account.route("v1").unwrap().group().unwrap(), "de");
    /// ```
    pub fn group(&self) -> Option<&GroupId> {
        self.group.as_ref()
    }
    /// Whether routing moved the chat on to a fallback group (R17): it
    /// landed in another group than the one it was routed from (the
    /// visitor's effective group, or a transfer's target).
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// assert!(account.route("v1").unwrap().moved());
    /// ```
    pub fn moved(&self) -> bool {
        self.moved
    }
    /// Whether the chat waits in the queue (R18).
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// assert!(account.route("v1").unwrap().queued());
    /// ```
    pub fn queued(&self) -> bool {
        self.agent.is_none()
    }
}

/// What an event may have made available, for queue serving (R18).
pub(super) enum Freed<'a> {
    /// Anything: a configuration change.
    All,
    /// This agent (a status change, a freed slot).
    Agent(&'a str),
    /// This visitor's own chat (its tags changed).
    Visitor(&'a str),
}

/// Where a transfer sends a chat (R19).
///
/// ```
/// use groupgate::TransferTarget;
/// let to_de = TransferTarget::Group("de".parse().unwrap());
/// assert!(matches!(to_de, TransferTarget::Group(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    /// To a group: unclaimed and routed there.
    Group(GroupId),
    /// To an agent who may claim it.
    Agent(AgentId),
}

impl Account {
    /// The visitor starts a chat, routed under the routing policy (R15–R18).
    /// `chat_open` when it has one (held or queued). Cost: O(agents · chain).
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .group_selection(true).build().unwrap());
    /// # account.set_status("anna", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// let routed = account.route("v1").unwrap();
    /// assert_eq!(routed.offered(), ["anna"]);
    /// assert_eq!(account.route("v1").unwrap_err().code(), "chat_open");
    /// ```
    pub fn route(&mut self, visitor: &str) -> Result<Routed, ActionError> {
        self.guarded(|account| account.route_event(visitor))
    }

    fn route_event(&mut self, visitor: &str) -> Result<Routed, ActionError> {
        let v = self.visitor(visitor)?;
        if v.chat.is_some() {
            return Err(ActionError::ChatOpen(shown(visitor)));
        }
        let plan = route::plan_for(&self.latest, &self.state, v);
        // Routing a new chat frees no agent: the queue has nothing new to serve.
        Ok(self.land(visitor, plan))
    }

    /// Transfers a held chat (R19) to a group or to an agent.
    ///
    /// ```
    /// use groupgate::{Account, AgentSpec, ConfigBuilder, ErrorCode, GroupSpec, Status, TransferTarget};
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en"))
    ///     .agent(AgentSpec::new("bob").member("de"))
    ///     .build().unwrap());
    /// account.set_status("bob", Status::Online).unwrap();
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// account.claim("anna", "v1").unwrap();
    /// let err = account.transfer("v1", &TransferTarget::Agent("bob".parse().unwrap())).unwrap_err();
    /// assert_eq!(err.code(), "not_in_group"); // bob does not see an "en" visitor
    /// let routed = account.transfer("v1", &TransferTarget::Group("de".parse().unwrap())).unwrap();
    /// assert!(routed.queued()); // broadcast: offered to bob, waiting for his claim
    /// assert_eq!(routed.offered(), ["bob"]);
    /// ```
    ///
    /// Cost: O(viewers of the target group · chain length), then, under `least_busy` and `round_robin`, serving the queue (R18): O(queue) visibility tests plus a routing plan for each chat the event may have unblocked.
    pub fn transfer(&mut self, visitor: &str, to: &TransferTarget) -> Result<Routed, ActionError> {
        self.guarded(|account| account.transfer_event(visitor, to))
    }

    fn transfer_event(&mut self, visitor: &str, to: &TransferTarget) -> Result<Routed, ActionError> {
        let v = self.visitor(visitor)?;
        let holder = v.chat.as_ref().and_then(|c| c.holder.clone());
        let Some(holder) = holder else {
            return Err(ActionError::NoChat(shown(visitor)));
        };
        let routed = match to {
            TransferTarget::Group(g) => self.transfer_to_group(visitor, g)?,
            TransferTarget::Agent(a) => self.transfer_to_agent(visitor, &holder, a)?,
        };
        self.settle_for(Freed::Agent(holder.as_str()));
        Ok(routed)
    }

    fn transfer_to_group(&mut self, visitor: &str, target: &GroupId) -> Result<Routed, ActionError> {
        let snap = &*self.latest;
        let g = snap.group_ix(target.as_str()).ok_or_else(|| ActionError::UnknownGroup(shown(target.as_str())))?;
        let v = self.visitor(visitor)?;
        if v.group == Some(g) {
            return Err(ActionError::SameGroup(target.clone()));
        }
        let preferred = v.preferred.as_ref().and_then(|p| snap.agent_ix(p.as_str()));
        // R2: a transfer always records where the chat goes. The target first;
        // `land` then moves it on to the fallback that serves it (R17) — even
        // when that is the group the visitor was in, so that no later page tag
        // or selection takes the chat away.
        let target = snap.group(g).map(|(id, _)| id.clone());
        self.close(visitor);
        self.retag(visitor, |v| v.moved_to = target);
        let plan = route::plan(&self.latest, &self.state, Some(g), preferred);
        Ok(self.land(visitor, plan))
    }

    fn transfer_to_agent(&mut self, visitor: &str, holder: &AgentId, target: &AgentId) -> Result<Routed, ActionError> {
        let ax = self.agent_ix(target.as_str())?;
        let v = self.visitor(visitor)?;
        let own = v.group;
        let routed = |agent: &AgentId, s: &Self| Routed {
            agent: Some(agent.clone()),
            offered: Vec::new(),
            group: own.and_then(|g| s.latest.group(g)).map(|(id, _)| id.clone()),
            moved: false,
        };
        if target == holder {
            return Ok(routed(holder, self));
        }
        if let ClaimCheck::Denied { reason, .. } = claim::check(&self.latest, &self.state, ax, own, None) {
            return Err(ActionError::Denied { reason, holder: None });
        }
        self.close(visitor);
        self.assign(ax, visitor);
        Ok(routed(target, self))
    }

    /// Applies a routing plan to the visitor's (unheld) chat: moves it to the
    /// serving group when that differs (R2, R17), then assigns the pick or
    /// queues it at the back (R18).
    fn land(&mut self, visitor: &str, plan: Plan) -> Routed {
        let own = self.state.visitor(visitor).and_then(|v| v.group);
        let moved = plan.group != own;
        if moved {
            self.set_moved(visitor, plan.group);
        }
        let group = plan.group.and_then(|g| self.latest.group(g)).map(|(id, _)| id.clone());
        if let Some((ax, agent)) = plan.pick.and_then(|a| Some((a, self.latest.agent(a)?.0.clone()))) {
            self.assign(ax, visitor);
            return Routed { agent: Some(agent), offered: Vec::new(), group, moved };
        }
        let offered = self.offers(visitor, plan);
        self.enqueue(visitor);
        Routed { agent: None, offered, group, moved }
    }

    /// Under broadcast, the candidates offered the chat.
    fn offers(&self, visitor: &str, plan: Plan) -> Vec<AgentId> {
        if !plan.found || self.latest.policy().routing != Routing::Broadcast {
            return Vec::new();
        }
        let snap = &*self.latest;
        let preferred =
            self.state.visitor(visitor).and_then(|v| v.preferred.as_ref()).and_then(|p| snap.agent_ix(p.as_str()));
        let mut out = Vec::new();
        crate::decide::candidates::each_in_group(snap, &self.state, plan.group, preferred, |a| {
            out.extend(snap.agent(a).map(|(id, _)| id.clone()));
        });
        out
    }

    fn set_moved(&mut self, visitor: &str, group: Option<GroupIx>) {
        if let Some(id) = group.and_then(|g| self.latest.group(g)).map(|(id, _)| id.clone()) {
            self.retag(visitor, |v| v.moved_to = Some(id));
        }
    }

    /// Opens (or re-opens) the visitor's chat unheld, at the back of the queue.
    fn enqueue(&mut self, visitor: &str) {
        let key = self.state.tick();
        let version = self.state.tick();
        self.state.visitors.set_chat(visitor, Some(Chat { holder: None, queued: Some(key) }), version);
    }

    /// Serves the queue after a successful step, under the single-agent
    /// strategies (R18): oldest first, each chat to the agent `route` would
    /// pick; chats without a candidate stay.
    pub(super) fn settle(&mut self) {
        self.settle_for(Freed::All);
    }

    /// [`Self::settle`] limited to the chats an event can have given a
    /// candidate: after a visitor's tags changed, only its own chat; after an
    /// agent became free, only the chats it could serve somewhere on their
    /// fallback chain. Every other queued chat still has no candidate, so the
    /// outcome is the full pass's. Cost: O(queue) visibility tests plus a
    /// routing plan per chat that may have changed.
    pub(super) fn settle_for(&mut self, freed: Freed<'_>) {
        if self.latest.policy().routing == Routing::Broadcast || self.state.visitors.queue().next().is_none() {
            return;
        }
        let snap = Arc::clone(&self.latest);
        let agent = match freed {
            Freed::Agent(id) => match snap.agent_ix(id).and_then(|a| snap.agent(a)) {
                Some((_, agent)) => Some(agent),
                None => return,
            },
            _ => None,
        };
        let may_serve = |v: &crate::state::VisitorLive| match (&freed, agent) {
            (Freed::Visitor(id), _) => v.id == **id,
            (Freed::Agent(_), Some(agent)) => match v.group {
                None => visibility(agent, None).is_visible(),
                Some(g) => snap.chain(g).any(|g| visibility(agent, Some(g)).is_visible()),
            },
            _ => true,
        };
        let queue: Vec<VisitorId> =
            self.state.visitors.queue().filter(|v| may_serve(v)).map(|v| v.id.clone()).collect();
        for visitor in queue {
            let Some(v) = self.state.visitor(visitor.as_str()) else { continue };
            let plan = route::plan_for(&self.latest, &self.state, v);
            if plan.pick.is_some() {
                self.land(visitor.as_str(), plan);
                self.served.push(visitor);
            }
        }
    }

    /// Chats that queue serving (R18) gave an agent since the last call, in
    /// the order served: the host tells those agents. Use
    /// [`holder`](Self::holder) for who got each.
    ///
    /// Cost: O(1).
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .group_selection(true).build().unwrap());
    /// # account.set_status("anna", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// assert!(account.drain_served().is_empty());
    /// ```
    pub fn drain_served(&mut self) -> Vec<VisitorId> {
        std::mem::take(&mut self.served)
    }
}

/// The routing strategies' state (R16): when each agent was last assigned,
/// by the host clock, in configuration order. Agents never assigned are not
/// listed. Hosts with several servers share it so that every server picks
/// the same agent.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, Policy, Routing, Status};
/// let mut policy = Policy::default();
/// policy.routing = Routing::RoundRobin;
/// let config = ConfigBuilder::new().policy(policy)
///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap();
/// let mut one = Account::new(config.clone());
/// let mut two = Account::new(config);
/// for account in [&mut one, &mut two] {
///     account.set_status("anna", Status::Online).unwrap();
///     account.set_status("bob", Status::Online).unwrap();
///     account.visit("v1".parse().unwrap(), None).unwrap();
/// }
/// one.set_clock(7);
/// one.route("v1").unwrap(); // anna
/// assert_eq!(one.assignments().get("anna"), Some(7));
/// two.set_assignments(&one.assignments());
/// assert_eq!(two.route("v1").unwrap().agent().unwrap(), "bob"); // same answer as on `one`
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Assignments(indexmap::IndexMap<AgentId, u64>);

impl Assignments {
    /// When the agent was last assigned. Cost: O(1).
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// account.set_clock(3);
    /// account.visit("v2".parse().unwrap(), Some("de".parse().unwrap())).unwrap();
    /// account.claim("bob", "v2").unwrap();
    /// assert_eq!((account.assignments().get("bob"), account.assignments().get("anna")), (Some(3), None));
    /// ```
    pub fn get(&self, agent: &str) -> Option<u64> {
        self.0.get(agent).copied()
    }

    /// Every stamp, in configuration order.
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// account.set_clock(3);
    /// account.visit("v2".parse().unwrap(), Some("de".parse().unwrap())).unwrap();
    /// account.claim("bob", "v2").unwrap();
    /// assert_eq!(account.assignments().iter().count(), 1);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&AgentId, u64)> {
        self.0.iter().map(|(a, t)| (a, *t))
    }
}

impl Account {
    /// The strategy state (R16), to share with other servers.
    /// Cost: O(agents).
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .group_selection(true).build().unwrap());
    /// # account.set_status("anna", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// account.set_clock(5);
    /// account.claim("anna", "v1").unwrap();
    /// assert_eq!(account.assignments().get("anna"), Some(5));
    /// ```
    pub fn assignments(&self) -> Assignments {
        Assignments(self.state.agents.iter().filter_map(|(id, a)| Some((id.clone(), a.last_assigned?))).collect())
    }

    /// Replaces the strategy state (R16) with one read from elsewhere: agents
    /// not listed count as never assigned; unknown agents are ignored.
    /// Cost: O(agents).
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .group_selection(true).build().unwrap());
    /// # account.set_status("anna", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
    /// account.set_assignments(&Assignments::default());
    /// assert_eq!(account.assignments().get("anna"), None);
    /// ```
    pub fn set_assignments(&mut self, assignments: &Assignments) {
        for (id, live) in &mut self.state.agents {
            live.last_assigned = assignments.get(id.as_str());
        }
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
    ///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap());
    /// account.set_status("bob", Status::Online).unwrap();
    /// account.visit("v1".parse().unwrap(), None).unwrap();
    /// assert_eq!(account.next_agent("v1").unwrap(), "bob");
    /// assert_eq!(account.holder("v1"), None);
    /// ```
    pub fn next_agent(&self, visitor: &str) -> Option<&AgentId> {
        let v = self.state.visitor(visitor)?;
        let plan = route::plan_for(&self.latest, &self.state, v);
        plan.pick.and_then(|a| self.latest.agent(a)).map(|(id, _)| id)
    }
}
