//! R15's eligibility and R16's order, written once: who is a candidate for
//! a chat in a class of candidates, and in what order candidates come. The
//! candidate trees of the state (`state/pool.rs`) index agents by what this
//! module gives them — the classes an agent belongs to and its key in each
//! — and know nothing of the rules themselves; the account hands this rule
//! to the state it builds ([`CANDIDACY`]).
//!
//! A class is a group's members (each with its tier there) or one of the
//! two wide classes: the agents who see every visitor, and those who see
//! ungrouped visitors. Requirements (R35) will make a class a group and a
//! set of requirements, interned: the rule then places an agent in the
//! classes whose requirements it meets, and the trees stay what they are —
//! ordered indexes of a class. Queue serving (`route::serve`) assumes today
//! that a group's queued chats share their candidates; with requirements
//! the queue is to be kept per class the same way, so that serving stays
//! O(log) a chat.

use smallvec::SmallVec;

use crate::config::{Routing, Tier};
use crate::snapshot::{CompiledAgent, GroupIx};
use crate::state::{AgentLive, Candidacy, Key, Placement, Status};

/// The rule the account gives its state's candidate trees.
pub(crate) const CANDIDACY: Candidacy = Candidacy { placement, eligible, order };

/// Where agent `a` is a candidate at all (R15): its own chat limit (R12),
/// the wide classes it belongs to (R1, R5–R7), and its groups with its tier
/// there — while it is enabled (R8), and not where it is a supervisor.
/// Its rank in a class is its tier's there: every wide-class viewer counts
/// as `normal` (R15).
fn placement(a: &CompiledAgent) -> Placement {
    let groups: SmallVec<[(GroupIx, Key); 2]> =
        a.memberships().filter(|(_, t)| a.enabled() && *t != Tier::Supervisor).map(|(g, t)| (g, rank(t))).collect();
    let wide = |of: bool| of.then(|| rank(Tier::Normal));
    Placement {
        limit: a.chat_limit,
        everyone: wide(a.sees_everyone()),
        ungrouped: wide(a.scope.sees_ungrouped()),
        groups,
    }
}

/// Whether an agent is a candidate now, wherever it is placed (R11, R12):
/// online and below its own chat limit. A group's chat limit bounds its
/// load where the trees are read.
fn eligible(limit: Option<u32>, live: &AgentLive) -> bool {
    live.status() == Status::Online && limit.is_none_or(|l| live.load() < l)
}

/// An agent's key in a class, its rank there plus its order, packed so that
/// comparing two is one integer comparison: its tier (R15: the best tier is
/// offered first), then R16's order — least busy first (`load`, then the
/// last assignment), or longest since its last assignment, never assigned
/// before every time. Ties go to the earlier agent (the trees keep agents
/// in configuration order). Tier in bits 97–98 (the rank), load in bits
/// 65–96 and the last assignment (0 for never, else the time plus one) in
/// bits 0–64 (the order, below 2^97): every key is below `u128::MAX`. O(1).
fn order(routing: Routing, live: &AgentLive) -> Key {
    let load = if routing == Routing::LeastBusy { live.load() } else { 0 };
    let last = live.last_assigned().map_or(0, |t| u128::from(t) + 1);
    (u128::from(load) << 65) | last
}

/// A tier's rank: its bits above every order.
fn rank(tier: Tier) -> Key {
    let bits: u128 = match tier {
        Tier::First => 0,
        Tier::Normal => 1,
        Tier::Last => 2,
        Tier::Supervisor => 3,
    };
    bits << 97
}

/// The tier a key was made with.
pub(crate) fn tier_of(key: Key) -> Tier {
    match key >> 97 {
        0 => Tier::First,
        1 => Tier::Normal,
        2 => Tier::Last,
        _ => Tier::Supervisor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack((tier, load, last): (Tier, u32, Option<u64>)) -> Key {
        rank(tier) + ((u128::from(load) << 65) | last.map_or(0, |t| u128::from(t) + 1))
    }

    #[test]
    fn keys_order_like_the_tuples_they_pack() {
        let leaves = [
            (Tier::First, 3, Some(u64::MAX)),
            (Tier::Normal, 0, None),
            (Tier::Normal, 0, Some(0)),
            (Tier::Normal, 0, Some(u64::MAX)),
            (Tier::Normal, u32::MAX, None),
            (Tier::Last, 0, None),
        ];
        for a in leaves {
            for b in leaves {
                assert_eq!(pack(a).cmp(&pack(b)), a.cmp(&b), "{a:?} {b:?}");
            }
            assert_eq!(tier_of(pack(a)), a.0);
            assert!(pack(a) < u128::MAX);
        }
    }
}
