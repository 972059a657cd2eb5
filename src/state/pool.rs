//! Indexes of the agents who could be offered a chat, for the two classes of
//! viewers that can hold every agent of an account: those who see every
//! visitor (R1, R5 `see_all`, R7) and those who see ungrouped visitors (R5,
//! R6). Routing a chat that only they can take then costs O(log agents)
//! instead of a scan of them all; a group's own members are few and are
//! scanned (see `decide::candidates`).
//!
//! Each index is a tournament tree over the agents of its class in
//! configuration order. A leaf holds the agent's routing key when the agent
//! is eligible — online, enabled, and below its own chat limit (R11, R12,
//! R15) — and every inner node holds the least key and the least load below
//! it, so the least busy (or longest waiting) agent is found by a best-first
//! descent, and agents at a group's limit are skipped whole subtrees at a
//! time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::AgentLive;
use super::Status;
use crate::config::Routing;
use crate::snapshot::{AgentIx, Snapshot};

/// An agent's place in the order of R16: least busy first (`load`, then the
/// last assignment), or longest since its last assignment; ties go to the
/// earlier agent. `None` (never assigned) comes before every time.
pub(crate) type Key = (u32, Option<u64>, AgentIx);

/// The key of an agent under a strategy. O(1).
pub(crate) fn key(routing: Routing, ix: AgentIx, live: &AgentLive) -> Key {
    match routing {
        Routing::LeastBusy => (live.load(), live.last_assigned(), ix),
        _ => (0, live.last_assigned(), ix),
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
    /// rule out and whose load is below `below`. Best first: a heap of
    /// subtrees by their least key. O((1 + agents ruled out) · log class ·
    /// log heap).
    pub(crate) fn best(&self, below: Option<u32>, skip: impl Fn(AgentIx) -> bool) -> Option<AgentIx> {
        let fits = |n: Node| n.key.is_some() && below.is_none_or(|b| n.load < b);
        let mut heap: BinaryHeap<Reverse<(Key, usize)>> = BinaryHeap::new();
        let root = self.node(1);
        if let (true, Some(k)) = (fits(root), root.key) {
            heap.push(Reverse((k, 1)));
        }
        while let Some(Reverse((_, i))) = heap.pop() {
            if i >= self.width {
                match self.agent(i) {
                    Some(a) if !skip(a) => return Some(a),
                    _ => continue,
                }
            }
            for child in [2 * i, 2 * i + 1] {
                let n = self.node(child);
                if let (true, Some(k)) = (fits(n), n.key) {
                    heap.push(Reverse((k, child)));
                }
            }
        }
        None
    }

    /// Calls `emit` with every eligible agent whose load is below `below`
    /// and that `skip` does not rule out, in configuration order.
    /// O((output + agents ruled out) · log class).
    pub(crate) fn each(&self, below: Option<u32>, skip: impl Fn(AgentIx) -> bool, mut emit: impl FnMut(AgentIx)) {
        let fits = |n: Node| n.key.is_some() && below.is_none_or(|b| n.load < b);
        let mut stack = vec![1usize];
        while let Some(i) = stack.pop() {
            if !fits(self.node(i)) {
                continue;
            }
            if i >= self.width {
                if let Some(a) = self.agent(i).filter(|a| !skip(*a)) {
                    emit(a);
                }
                continue;
            }
            stack.push(2 * i + 1);
            stack.push(2 * i);
        }
    }
}

/// The two indexes, kept by [`State`](super::State) in step with every
/// change of status, load and last assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pools {
    routing: Routing,
    /// Each agent's own chat limit (R12), by index.
    limits: Vec<Option<u32>>,
    /// Agents who see every visitor.
    pub(crate) everyone: Tree,
    /// Agents who see ungrouped visitors.
    pub(crate) ungrouped: Tree,
}

impl Pools {
    /// Rebuilds both indexes for `snap` from the agents' live parts, in
    /// configuration order. O(agents).
    pub(crate) fn new<'a>(snap: &Snapshot, live: impl Iterator<Item = &'a AgentLive>) -> Self {
        let (mut everyone, mut ungrouped, mut limits) = (Vec::new(), Vec::new(), Vec::new());
        for (ix, _, a) in snap.agents() {
            if matches!(a.scope, crate::snapshot::Scope::Everything(_)) {
                everyone.push(ix);
            }
            if a.scope.sees_ungrouped() {
                ungrouped.push(ix);
            }
            limits.push(a.chat_limit);
        }
        let mut pools = Pools {
            routing: snap.policy().routing,
            limits,
            everyone: Tree::new(everyone),
            ungrouped: Tree::new(ungrouped),
        };
        for (ix, a) in live.enumerate() {
            pools.update(ix, a);
        }
        pools
    }

    /// Brings agent `ix`'s leaves in step with its live part. O(log agents).
    pub(crate) fn update(&mut self, ix: AgentIx, live: &AgentLive) {
        let below_own = self.limits.get(ix).copied().flatten().is_none_or(|l| live.load() < l);
        let node = if live.status() == Status::Online && below_own {
            Node { key: Some(key(self.routing, ix, live)), load: live.load() }
        } else {
            EMPTY
        };
        self.everyone.set(ix, node);
        self.ungrouped.set(ix, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_with(keys: &[Option<(u32, Option<u64>)>]) -> Tree {
        let mut t = Tree::new((0..keys.len()).collect());
        for (ix, k) in keys.iter().enumerate() {
            let node = k.map_or(EMPTY, |(load, last)| Node { key: Some((load, last, ix)), load });
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
            keys.push(eligible.then_some((load, last)));
        }
        let t = tree_with(&keys);
        for below in [None, Some(1), Some(2), Some(3)] {
            for modulus in [1usize, 2, 3] {
                let skip = |a: AgentIx| modulus > 1 && a % modulus == 0;
                let fits = |ix: usize, k: &(u32, Option<u64>)| below.is_none_or(|b| k.0 < b) && !skip(ix);
                let scan: Vec<usize> =
                    keys.iter().enumerate().filter_map(|(ix, k)| k.filter(|k| fits(ix, k)).map(|_| ix)).collect();
                let least = keys
                    .iter()
                    .enumerate()
                    .filter_map(|(ix, k)| k.filter(|k| fits(ix, k)).map(|(l, t)| (l, t, ix)))
                    .min()
                    .map(|k| k.2);
                assert_eq!(t.best(below, skip), least, "below {below:?}, skip mod {modulus}");
                let mut each = Vec::new();
                t.each(below, skip, |a| each.push(a));
                assert_eq!(each, scan, "below {below:?}, skip mod {modulus}");
            }
        }
    }
}
