//! Routing (R15–R19): whom a new chat goes to (pure functions of snapshot
//! and state: [`destination`], [`pick`]), and applying those answers to the state —
//! landing a chat ([`land`]), group transfers ([`to_group`]), serving the
//! queue ([`serve`]). The [`Account`](crate::Account) looks ids up and calls
//! these.

use smallvec::SmallVec;

use crate::config::Routing;
use crate::decide::candidates::{each_in_group, preferred, serving_pick};
use crate::decide::group;
use crate::decide::visibility::visibility;
use crate::ids::{AgentId, GroupId};
use crate::snapshot::{AgentIx, GroupIx, Snapshot};
use crate::state::{Place, State, Tag, Unheld, Visitor};

/// Where and to whom a chat would be routed now: a routing plan, applied by
/// [`land`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Destination {
    /// The group the chat lands in: the first of its chain with a candidate
    /// (R17), or its own group when none has one.
    pub(crate) group: Option<GroupIx>,
    /// Whether some group of the chain has a candidate.
    pub(crate) found: bool,
    /// The agent a single-agent strategy picks (R16); `None` under broadcast.
    pub(crate) pick: Option<AgentIx>,
}

impl Destination {
    /// No group, no candidate: what is planned for a visitor that is gone.
    const NOWHERE: Destination = Destination { group: None, found: false, pick: None };
}

/// R15–R17 for a chat whose effective group is `own`, leaving out the
/// agents in `skip` (its missed list, R27). Cost: O(log agents · chain).
pub(crate) fn destination(
    snap: &Snapshot,
    state: &State,
    own: Option<GroupIx>,
    preferred: Option<AgentIx>,
    skip: &[AgentIx],
) -> Destination {
    match serving_pick(snap, state, own, preferred, skip) {
        None => Destination { group: own, found: false, pick: None },
        Some((group, agent)) => {
            let single = snap.policy().routing != Routing::Broadcast;
            Destination { group, found: true, pick: single.then_some(agent) }
        }
    }
}

/// The agents of the revision `snap` on the missed list of the visitor's
/// chat (R27), left out of its routing. O(list · 1) expected; no
/// allocation for a list of up to four.
pub(crate) fn missed_of(snap: &Snapshot, v: Visitor<'_>) -> SmallVec<[AgentIx; 4]> {
    v.chat.map(|c| c.missed.iter().filter_map(|a| snap.agent_ix(a.as_str())).collect()).unwrap_or_default()
}

/// The plan for a visitor's chat as it stands, its missed list left out.
pub(crate) fn destination_of(snap: &Snapshot, state: &State, v: Visitor<'_>) -> Destination {
    let own = v.group;
    destination(snap, state, own, preferred(snap, v), &missed_of(snap, v))
}

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
///     .build().unwrap(), 0);
/// account.set_status("bob", Status::Online).unwrap();
/// account.visit("v1", Some("en")).unwrap();
/// let routed = account.route("v1").unwrap();
/// assert_eq!(routed.agent().map(|a| a.as_str()), Some("bob")); // least busy: bob holds it
/// assert_eq!(routed.group().map(|g| g.as_str()), Some("de")); // R17: moved to the fallback
/// assert!(routed.moved() && !routed.queued() && routed.offered().is_empty());
///
/// // Under broadcast nobody holds a routed chat: it waits, offered to the candidates.
/// account.apply(&Change::SetPolicy(Policy::default().into())).unwrap();
/// account.visit("v2", Some("de")).unwrap();
/// let routed = account.route("v2").unwrap();
/// assert!(routed.queued() && routed.agent().is_none());
/// assert_eq!(routed.offered(), ["bob"]);
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
    pub fn agent(&self) -> Option<&AgentId> {
        self.agent.as_ref()
    }
    /// Under `broadcast`, the agents offered the chat, in offer order (R15);
    /// empty otherwise.
    pub fn offered(&self) -> &[AgentId] {
        &self.offered
    }
    /// The group the chat is in now.
    pub fn group(&self) -> Option<&GroupId> {
        self.group.as_ref()
    }
    /// Whether routing moved the chat on to a fallback group (R17): it
    /// landed in another group than the one it was routed from (the
    /// visitor's effective group, or a transfer's target).
    pub fn moved(&self) -> bool {
        self.moved
    }
    /// Whether the chat waits in the queue (R18).
    pub fn queued(&self) -> bool {
        self.agent.is_none()
    }
}

/// Where a transfer sends a chat (R19).
///
/// ```
/// use groupgate::TransferTarget;
/// let to_de = TransferTarget::Group("de".into());
/// assert!(matches!(to_de, TransferTarget::Group(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    /// To a group: unclaimed and routed there.
    Group(String),
    /// To an agent who may claim it.
    Agent(String),
}

/// What an event may have made available, for queue serving (R18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freed {
    /// Anything: a configuration change.
    All,
    /// The agent at this index (a status change, a freed slot).
    Agent(AgentIx),
    /// The chat of the visitor in this slot (its tags changed).
    Visitor(u32),
}

/// Applies a routing plan to the visitor's unheld chat: moves it to the
/// serving group when that differs from its effective group (R2, R17), then
/// assigns the pick or queues it at the back (R18). O(viewers of the group)
/// for the offers, plus the state's costs.
pub(crate) fn land(snap: &Snapshot, state: &mut State, slot: u32, plan: Destination) -> Routed {
    let Some(own) = state.visitors().at(slot).map(|v| v.group) else {
        return Routed { agent: None, offered: Vec::new(), group: None, moved: false };
    };
    let moved = plan.group != own;
    let group = plan.group.and_then(|g| snap.group(g)).map(|(id, _)| id.clone());
    if let (true, Some(id)) = (moved, group.clone()) {
        state.retag(slot, Tag::MovedTo(id), &group::Grouper(snap));
    }
    if let Some((ax, agent)) = plan.pick.and_then(|a| Some((a, snap.agent(a)?.0.clone()))) {
        state.pick(ax, slot, snap.policy().answer_timeout);
        return Routed { agent: Some(agent), offered: Vec::new(), group, moved };
    }
    // A chat nobody could take waits in its own group, which has no candidate.
    let offered = if plan.found { offers(snap, state, slot, plan.group) } else { Vec::new() };
    let ids = offered.iter().filter_map(|a| snap.agent(*a).map(|(id, _)| id.clone())).collect();
    state.enqueue(slot, offered);
    Routed { agent: None, offered: ids, group, moved }
}

/// R31 (settled): under broadcast, the chat of the visitor in `slot` is
/// offered to the candidates of the group it waits in (R15: the preferred
/// agent first, its missed list left out); none under the single-agent
/// strategies. O(viewers of the group).
fn offers(snap: &Snapshot, state: &State, slot: u32, waits_in: Option<GroupIx>) -> Vec<AgentIx> {
    if snap.policy().routing != Routing::Broadcast {
        return Vec::new();
    }
    let Some(v) = state.visitors().at(slot) else { return Vec::new() };
    let mut out = Vec::new();
    each_in_group(snap, state, waits_in, preferred(snap, v), &missed_of(snap, v), |a| out.push(a));
    out
}

/// The candidates a chat put back in the queue is offered (R14, R28, R31):
/// it is not routed, so it waits in its own group, and [`offers`] lists
/// that group's candidates — none when it has none (nobody available, or
/// closed by R30). O(viewers of the group).
pub(crate) fn requeue_offers(snap: &Snapshot, state: &State, slot: u32) -> Vec<AgentIx> {
    let Some(v) = state.visitors().at(slot) else { return Vec::new() };
    offers(snap, state, slot, v.group)
}

/// R19 to a group (the caller checked the ids and R19's errors): the chat is
/// unclaimed and routed from the target, moving on to the fallback that
/// serves it (R17); its moved-to group becomes the group it lands in — the
/// target when none serves it — always, even when that is the visitor's
/// group before the transfer (R2). The move is one `chat_moved`, from the
/// group the chat was in to the one it lands in, and none when they are the
/// same (R31).
pub(crate) fn to_group(snap: &Snapshot, state: &mut State, slot: u32, target: GroupIx) -> Routed {
    state.unhold(slot, Unheld::Transferred);
    let Some(v) = state.visitors().at(slot) else { return land(snap, state, slot, Destination::NOWHERE) };
    let plan = destination(snap, state, Some(target), preferred(snap, v), &missed_of(snap, v));
    if let Some((id, _)) = plan.group.and_then(|g| snap.group(g)) {
        state.retag(slot, Tag::MovedTo(id.clone()), &group::Grouper(snap));
    }
    let routed = land(snap, state, slot, plan);
    Routed { moved: plan.group != Some(target), ..routed }
}

/// R27: the holder of the visitor's unanswered chat missed it (`Missed`)
/// or declined it (`Declined`): it loses the chat and joins its missed
/// list, and the chat is routed again from the visitor's effective group
/// as `route` does, the missed list left out (the caller changes the
/// holder's status when the policy says so, before the re-route, and
/// serves the queue after). Returns the holder.
pub(crate) fn miss(
    snap: &Snapshot,
    state: &mut State,
    slot: u32,
    why: Unheld,
    status: impl FnOnce(&mut State, &AgentId),
) -> Option<AgentId> {
    let holder = state.unhold(slot, why)?;
    status(state, &holder);
    let v = state.visitors().at(slot)?;
    let plan = destination_of(snap, state, v);
    land(snap, state, slot, plan);
    Some(holder)
}

/// R29: the chat waiting in `slot` has waited its group's overflow wait.
/// Its moved-to group becomes the group it lands in from the fallback F —
/// F, or the first group of F's chain with a candidate (R17), its missed
/// list left out — and a single-agent strategy's pick holds it; a chat that
/// still waits keeps its place in the queue, its wait starting now (F's own
/// overflow wait applies in turn). No queue serving follows: an overflow
/// takes an agent's capacity and never frees any.
pub(crate) fn overflow(snap: &Snapshot, state: &mut State, slot: u32) {
    let Some(v) = state.visitors().at(slot) else { return };
    let Some(fallback) = v.group.and_then(|g| snap.group(g)).and_then(|(_, g)| g.fallback) else { return };
    let plan = destination(snap, state, Some(fallback), preferred(snap, v), &missed_of(snap, v));
    if let Some((id, _)) = plan.group.and_then(|g| snap.group(g)) {
        state.retag(slot, Tag::MovedTo(id.clone()), &group::Grouper(snap));
    }
    match plan.pick {
        Some(ax) => {
            state.pick(ax, slot, snap.policy().answer_timeout);
        }
        None => state.restart_wait(slot),
    }
}

/// Serves the queue after a successful event, under the single-agent
/// strategies (R18): oldest first, each chat to the agent `route` would pick;
/// chats without a candidate stay. Returns how many chats were served; each
/// is a `chat_held` notice (R31).
///
/// Between events every queued chat has no candidate (the previous serving
/// left it so), so only the chats the event can have given one are planned:
/// - a visitor's tags changed: its own chat, if queued — O(1) expected plus
///   one routing plan;
/// - an agent freed a slot or came online: it is the only agent that can have
///   become a candidate, so only the queues of groups whose fallback chain it
///   sees are merged, oldest first, and serving stops once it is full by its
///   own limit — O(groups with queued chats · chain) to choose the queues,
///   then O(log queue + a routing plan) per chat looked at. An agent that is
///   not online serves nothing;
/// - a configuration change: every queue, oldest first — O(groups with
///   queued chats) per chat served, plus one look at each queue whose chats
///   still have no candidate.
pub(crate) fn serve(snap: &Snapshot, state: &mut State, freed: Freed) -> usize {
    if !may_serve(snap, state) {
        return 0;
    }
    match freed {
        Freed::All => {
            let groups: SmallVec<[Option<GroupIx>; 8]> = state.visitors().queued_groups().collect();
            serve_merged(snap, state, &groups, |_| false)
        }
        Freed::Visitor(slot) => {
            let queued = state.visitors().chat(slot).is_some_and(|c| c.queued.is_some());
            usize::from(queued && serve_one(snap, state, slot))
        }
        Freed::Agent(ax) => serve_for_agent(snap, state, ax),
    }
}

/// Whether serving the queue can do anything (R18): only under the
/// single-agent strategies, while chats wait. O(1).
pub(crate) fn may_serve(snap: &Snapshot, state: &State) -> bool {
    snap.policy().routing != Routing::Broadcast && state.visitors().has_queue()
}

/// Routes one queued chat if it has a candidate now. O(one routing plan).
fn serve_one(snap: &Snapshot, state: &mut State, slot: u32) -> bool {
    let Some(v) = state.visitors().at(slot) else { return false };
    let to = destination_of(snap, state, v);
    if to.pick.is_none() {
        return false;
    }
    land(snap, state, slot, to);
    true
}

/// [`serve`] after the agent at `ax` freed a slot or came online.
fn serve_for_agent(snap: &Snapshot, state: &mut State, ax: AgentIx) -> usize {
    let Some((_, agent)) = snap.agent(ax) else { return 0 };
    if !state.is_online(ax) {
        return 0;
    }
    let own_limit = crate::decide::claim::limit(snap, agent, None);
    let full = |state: &State| {
        let load = state.agent_at(ax).map_or(0, |a| a.load());
        own_limit.is_some_and(|limit| load >= limit)
    };
    let serves = |g: Option<GroupIx>| match g {
        None => visibility(agent, None).is_visible(),
        Some(g) => snap.chain(g).any(|h| visibility(agent, Some(h)).is_visible()),
    };
    let groups: SmallVec<[Option<GroupIx>; 8]> = state.visitors().queued_groups().filter(|g| serves(*g)).collect();
    serve_merged(snap, state, &groups, full)
}

/// Serves the queues of `groups` merged by place (entry time, arrival) until `stop`
/// holds or no chat can be served. Returns how many were served.
fn serve_merged(
    snap: &Snapshot,
    state: &mut State,
    groups: &[Option<GroupIx>],
    stop: impl Fn(&State) -> bool,
) -> usize {
    // The next entry of each queue is looked up again after every step,
    // since landing a chat takes it out of its queue and nothing else. A
    // freed slot is usually filled by the first chat looked at, so the
    // oldest head is found by a plain scan. Chats waiting in one group's
    // queue share their fallback chain, so whether one has a candidate is
    // whether all have (the preferred agent only orders candidates), and
    // serving only fills agents: once one stays, that queue is done, and a
    // queue nobody can take chats from costs one look.
    let next = |state: &State, g: Option<GroupIx>, after| state.visitors().next_queued(g, after);
    let mut heads: SmallVec<[Option<(Place, u32)>; 8]> = groups.iter().map(|g| next(state, *g, None)).collect();
    let mut served = 0;
    while !stop(state) {
        let oldest = heads.iter().enumerate().filter_map(|(i, h)| Some((i, (*h)?))).min_by_key(|(_, e)| *e);
        let Some((i, entry)) = oldest else { break };
        // A chat with a missed list (R27) may stay while the next is served.
        let own_list = state.visitors().chat(entry.1).is_some_and(|c| !c.missed.is_empty());
        let more = serve_one(snap, state, entry.1);
        served += usize::from(more);
        if let (Some(head), Some(g)) = (heads.get_mut(i), groups.get(i)) {
            *head = if more || own_list { next(state, *g, Some(entry)) } else { None };
        }
    }
    served
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
/// let mut one = Account::new(config.clone(), 0);
/// let mut two = Account::new(config, 0);
/// for account in [&mut one, &mut two] {
///     account.set_status("anna", Status::Online).unwrap();
///     account.set_status("bob", Status::Online).unwrap();
///     account.visit("v1", None).unwrap();
/// }
/// one.advance_to(7).unwrap();
/// one.route("v1").unwrap(); // anna
/// assert_eq!(one.assignments().get("anna"), Some(7));
/// two.set_assignments(&one.assignments());
/// assert_eq!(two.route("v1").unwrap().agent().unwrap(), "bob"); // same answer as on `one`
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Assignments(pub(crate) indexmap::IndexMap<AgentId, u64>);

impl Assignments {
    /// When the agent was last assigned. Cost: O(1).
    pub fn get(&self, agent: &str) -> Option<u64> {
        self.0.get(agent).copied()
    }

    /// Every stamp, in configuration order.
    pub fn iter(&self) -> impl Iterator<Item = (&AgentId, u64)> {
        self.0.iter().map(|(a, t)| (a, *t))
    }
}
