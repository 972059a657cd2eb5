//! Routing (R15–R18): whom a new chat goes to. Pure functions of
//! (snapshot, state); the [`Account`](crate::Account) applies their answers.

use crate::config::Routing;
use crate::decide::candidates::{each_in_group, serving_group};
use crate::snapshot::{AgentIx, GroupIx, Snapshot};
use crate::state::{State, VisitorLive};

/// Where and to whom a chat would be routed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The group the chat lands in: the first of its chain with a candidate
    /// (R17), or its own group when none has one.
    pub(crate) group: Option<GroupIx>,
    /// Whether some group of the chain has a candidate.
    pub(crate) found: bool,
    /// The agent a single-agent strategy picks (R16); `None` under broadcast.
    pub(crate) pick: Option<AgentIx>,
}

/// R15–R17 for a chat whose effective group is `own`. Cost: O(agents · chain).
pub(crate) fn plan(snap: &Snapshot, state: &State, own: Option<GroupIx>, preferred: Option<AgentIx>) -> Plan {
    match serving_group(snap, state, own) {
        None => Plan { group: own, found: false, pick: None },
        Some(group) => Plan { group, found: true, pick: pick(snap, state, group, preferred) },
    }
}

/// The plan for a visitor's chat as it stands.
pub(crate) fn plan_for(snap: &Snapshot, state: &State, v: &VisitorLive) -> Plan {
    let own = v.group;
    let preferred = v.preferred.as_ref().and_then(|p| snap.agent_ix(p.as_str()));
    plan(snap, state, own, preferred)
}

/// R16: the one agent a single-agent strategy gives a chat in `group` to;
/// `None` under broadcast or without candidates. The preferred agent, when a
/// candidate, is emitted first and wins. Cost: O(agents), no allocation.
pub(crate) fn pick(
    snap: &Snapshot,
    state: &State,
    group: Option<GroupIx>,
    preferred: Option<AgentIx>,
) -> Option<AgentIx> {
    let routing = snap.policy().routing;
    if routing == Routing::Broadcast {
        return None;
    }
    // Keys compare least-first; `None` (never assigned) sorts before any stamp,
    // and ties keep the earlier agent: configuration order.
    let key = |a: AgentIx| {
        let live = state.agent_at(a);
        let load = live.map_or(0, |l| l.load());
        let last = live.and_then(|l| l.last_assigned);
        match routing {
            Routing::LeastBusy => (load, last),
            _ => (0, last),
        }
    };
    let mut best: Option<((u32, Option<u64>), AgentIx)> = None;
    let mut first = true;
    let mut preferred_won = false;
    each_in_group(snap, state, group, preferred, |a| {
        if first && Some(a) == preferred {
            preferred_won = true;
        }
        first = false;
        if preferred_won {
            best = best.or(Some(((0, None), a)));
            return;
        }
        let k = key(a);
        if best.is_none_or(|(b, _)| k < b) {
            best = Some((k, a));
        }
    });
    best.map(|(_, a)| a)
}
