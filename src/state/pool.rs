//! Indexes of the agents who could be offered a chat (R15, R16): one per
//! group over its members, one over the agents who see every visitor (R1,
//! R5 `see_all`, R7) and one over those who see ungrouped visitors (R5, R6).
//! Routing a chat then costs O(log agents) instead of a scan of its viewers
//! (see `decide::candidates`).
//!
//! Each index is a tournament tree over the agents of its class in
//! configuration order. A leaf holds the agent's key — its tier in the
//! group, then its place in R16's order — when the agent is eligible:
//! online, enabled, below its own chat limit (R11, R12), and not a
//! supervisor there (R15). Every inner node holds the least key and the
//! least load below it, so the best candidate is found by a descent that
//! follows the least key, and agents at a group's limit are skipped whole
//! subtrees at a time.

use smallvec::SmallVec;

use super::AgentLive;
use super::Status;
use crate::config::{Routing, Tier};
use crate::snapshot::{AgentIx, GroupIx, Scope, Snapshot};

/// An agent's place among a chat's candidates: its tier (R15: the best tier
/// is offered first), then R16's order — least busy first (`load`, then the
/// last assignment), or longest since its last assignment; ties go to the
/// earlier agent. `None` (never assigned) comes before every time.
pub(crate) type Key = (Tier, u32, Option<u64>, AgentIx);

/// The key of an agent of `tier` under a strategy. O(1).
pub(crate) fn key(routing: Routing, tier: Tier, ix: AgentIx, live: &AgentLive) -> Key {
    match routing {
        Routing::LeastBusy => (tier, live.load(), live.last_assigned(), ix),
        _ => (tier, 0, live.last_assigned(), ix),
    }
}

/// One node: the least key of the eligible agents below it and their least
/// load; `None` when none is eligible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Node {
    key: Option<Key>,
    load: u32,
}

const EMPTY: Node = Node { key: None, load: u32::MAX };

impl Node {
    fn join(a: Node, b: Node) -> Node {
        let key = match (a.key, b.key) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        Node { key, load: a.load.min(b.load) }
    }
}

/// A tournament tree over the agents of one class. Cost of each method stated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tree {
    /// The class's agents, ascending.
    agents: Vec<AgentIx>,
    /// Leaves at `width..width + agents.len()`; node `i`'s children are
    /// `2i` and `2i + 1`.
    nodes: Vec<Node>,
    width: usize,
}

impl Tree {
    fn new(agents: Vec<AgentIx>) -> Self {
        let width = agents.len().next_power_of_two().max(1);
        Tree { agents, nodes: vec![EMPTY; 2 * width], width }
    }

    /// The leaf of agent `ix`, if it is of the class. O(log class).
    fn leaf(&self, ix: AgentIx) -> Option<usize> {
        self.agents.binary_search(&ix).ok().map(|i| i + self.width)
    }

    /// Sets an agent's leaf and the nodes above it. O(log class).
    fn set(&mut self, ix: AgentIx, node: Node) {
        let Some(mut i) = self.leaf(ix) else { return };
        if let Some(n) = self.nodes.get_mut(i) {
            *n = node;
        }
        while i > 1 {
            i /= 2;
            let joined = Node::join(self.node(2 * i), self.node(2 * i + 1));
            if let Some(n) = self.nodes.get_mut(i) {
                *n = joined;
            }
        }
    }

    fn node(&self, i: usize) -> Node {
        self.nodes.get(i).copied().unwrap_or(EMPTY)
    }

    /// The agent of a leaf.
    fn agent(&self, leaf: usize) -> Option<AgentIx> {
        self.agents.get(leaf.checked_sub(self.width)?).copied()
    }

    /// The eligible agent with the least key among those `skip` does not
    /// rule out and whose load is below `below`: a descent that follows the
    /// least key, backing up only past agents ruled out, with subtrees that
    /// cannot beat the best found pruned. O((1 + agents ruled out) · log
    /// class), no allocation.
    pub(crate) fn best(&self, below: Option<u32>, skip: impl Fn(AgentIx) -> bool) -> Option<(Key, AgentIx)> {
        let fits = |n: Node| below.is_none_or(|b| n.load < b);
        let mut found: Option<(Key, AgentIx)> = None;
        let mut stack: SmallVec<[usize; 64]> = SmallVec::new();
        stack.push(1);
        while let Some(i) = stack.pop() {
            let n = self.node(i);
            let Some(k) = n.key.filter(|_| fits(n)) else { continue };
            if found.is_some_and(|(f, _)| f <= k) {
                continue;
            }
            if i >= self.width {
                if let Some(a) = self.agent(i).filter(|a| !skip(*a)) {
                    found = Some((k, a));
                }
                continue;
            }
            let (l, r) = (2 * i, 2 * i + 1);
            let (first, second) =
                if self.node(r).key < self.node(l).key && self.node(r).key.is_some() { (r, l) } else { (l, r) };
            stack.push(second);
            stack.push(first);
        }
        found
    }

    /// Calls `emit` with every eligible agent of tier `tier` whose load is
    /// below `below` and that `skip` does not rule out, in configuration
    /// order. O((output + agents ruled out) · log class).
    pub(crate) fn each(
        &self,
        tier: Tier,
        below: Option<u32>,
        skip: impl Fn(AgentIx) -> bool,
        mut emit: impl FnMut(AgentIx),
    ) {
        // A subtree whose least key has a worse tier holds none of `tier`.
        let fits = |n: Node| n.key.is_some_and(|k| k.0 <= tier) && below.is_none_or(|b| n.load < b);
        let mut stack: SmallVec<[usize; 64]> = SmallVec::new();
        stack.push(1);
        while let Some(i) = stack.pop() {
            let n = self.node(i);
            if !fits(n) {
                continue;
            }
            if i >= self.width {
                if let Some(a) = self.agent(i).filter(|a| !skip(*a) && n.key.is_some_and(|k| k.0 == tier)) {
                    emit(a);
                }
                continue;
            }
            stack.push(2 * i + 1);
            stack.push(2 * i);
        }
    }
}

/// The indexes, kept by [`State`](super::State) in step with every change
/// of status, load and last assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pools {
    routing: Routing,
    /// Each agent's own chat limit (R12), by index.
    limits: Vec<Option<u32>>,
    /// Each agent's groups with its tier there, supervisors left out, by
    /// index.
    groups_of: Vec<SmallVec<[(GroupIx, Tier); 2]>>,
    /// By group: its members who are enabled and not supervisors there.
    pub(crate) groups: Vec<Tree>,
    /// Agents who see every visitor.
    pub(crate) everyone: Tree,
    /// Agents who see ungrouped visitors.
    pub(crate) ungrouped: Tree,
}

impl Pools {
    /// Rebuilds the indexes for `snap` from the agents' live parts, in
    /// configuration order. O(agents + memberships).
    pub(crate) fn new<'a>(snap: &Snapshot, live: impl Iterator<Item = &'a AgentLive>) -> Self {
        let (mut everyone, mut ungrouped, mut limits, mut groups_of) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut members: Vec<Vec<AgentIx>> = vec![Vec::new(); snap.live_groups().count()];
        for (ix, _, a) in snap.agents() {
            if matches!(a.scope, Scope::Everything(_)) {
                everyone.push(ix);
            }
            if a.scope.sees_ungrouped() {
                ungrouped.push(ix);
            }
            limits.push(a.chat_limit);
            let offered = a.tiers.iter().filter(|(g, t)| a.enabled() && *t != Tier::Supervisor && *g < members.len());
            let offered: SmallVec<[(GroupIx, Tier); 2]> = offered.copied().collect();
            for (g, _) in &offered {
                if let Some(list) = members.get_mut(*g) {
                    list.push(ix);
                }
            }
            groups_of.push(offered);
        }
        let mut pools = Pools {
            routing: snap.policy().routing,
            limits,
            groups_of,
            groups: members.into_iter().map(Tree::new).collect(),
            everyone: Tree::new(everyone),
            ungrouped: Tree::new(ungrouped),
        };
        for (ix, a) in live.enumerate() {
            pools.update(ix, a);
        }
        pools
    }

    /// Brings agent `ix`'s leaves in step with its live part. O((2 +
    /// memberships) · log agents).
    pub(crate) fn update(&mut self, ix: AgentIx, live: &AgentLive) {
        let below_own = self.limits.get(ix).copied().flatten().is_none_or(|l| live.load() < l);
        let eligible = live.status() == Status::Online && below_own;
        let node = |tier| {
            if eligible { Node { key: Some(key(self.routing, tier, ix, live)), load: live.load() } } else { EMPTY }
        };
        let normal = node(Tier::Normal);
        self.everyone.set(ix, normal);
        self.ungrouped.set(ix, normal);
        for &(g, tier) in self.groups_of.get(ix).map_or(&[][..], |m| m.as_slice()) {
            let n = node(tier);
            if let Some(tree) = self.groups.get_mut(g) {
                tree.set(ix, n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Leaf = Option<(Tier, u32, Option<u64>)>;

    fn tree_with(keys: &[Leaf]) -> Tree {
        let mut t = Tree::new((0..keys.len()).collect());
        for (ix, k) in keys.iter().enumerate() {
            let node = k.map_or(EMPTY, |(tier, load, last)| Node { key: Some((tier, load, last, ix)), load });
            t.set(ix, node);
        }
        t
    }

    #[test]
    fn best_and_each_match_a_scan() {
        // Deterministic pseudo-random keys, some agents not eligible.
        let mut x: u64 = 11;
        let mut keys = Vec::new();
        for _ in 0..37 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let eligible = (x >> 60) % 4 != 0;
            let load = u32::try_from((x >> 40) % 4).unwrap();
            let last = ((x >> 20) % 3 != 0).then_some((x >> 8) % 5);
            let tier = [Tier::First, Tier::Normal, Tier::Normal, Tier::Last][usize::try_from((x >> 4) % 4).unwrap()];
            keys.push(eligible.then_some((tier, load, last)));
        }
        let t = tree_with(&keys);
        for below in [None, Some(1), Some(2), Some(3)] {
            for modulus in [1usize, 2, 3] {
                let skip = |a: AgentIx| modulus > 1 && a % modulus == 0;
                let fits = |ix: usize, k: &(Tier, u32, Option<u64>)| below.is_none_or(|b| k.1 < b) && !skip(ix);
                let least = keys
                    .iter()
                    .enumerate()
                    .filter_map(|(ix, k)| k.filter(|k| fits(ix, k)).map(|(t, l, s)| ((t, l, s, ix), ix)))
                    .min();
                assert_eq!(t.best(below, skip), least, "below {below:?}, skip mod {modulus}");
                for tier in [Tier::First, Tier::Normal, Tier::Last] {
                    let scan: Vec<usize> = keys
                        .iter()
                        .enumerate()
                        .filter_map(|(ix, k)| k.filter(|k| fits(ix, k) && k.0 == tier).map(|_| ix))
                        .collect();
                    let mut each = Vec::new();
                    t.each(tier, below, skip, |a| each.push(a));
                    assert_eq!(each, scan, "{tier:?}, below {below:?}, skip mod {modulus}");
                }
            }
        }
    }
}
