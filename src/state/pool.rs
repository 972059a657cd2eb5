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
//! supervisor there (R15). This is the one place R15's eligibility is
//! written (a group's chat limit bounds the load when a tree is read). Every inner node holds the least key and the
//! least load below it, so the best candidate is found by a descent that
//! follows the least key, and agents at a group's limit are skipped whole
//! subtrees at a time.

use smallvec::SmallVec;

use super::AgentLive;
use super::Status;
use crate::config::{Routing, Tier};
use crate::snapshot::{AgentIx, CompiledAgent, GroupIx, Snapshot};

/// An agent's place among a chat's candidates, packed in 128 bits so that
/// comparing two is one integer comparison: its tier (R15: the best tier is
/// offered first), then R16's order — least busy first (`load`, then the
/// last assignment), or longest since its last assignment, `None` (never
/// assigned) before every time. Ties go to the earlier agent: trees keep
/// agents in configuration order and prefer the left on ties.
pub(crate) type Key = u128;

/// No eligible agent: above every key (tiers stored are below `supervisor`).
const NONE: Key = u128::MAX;

/// The key of an agent of `tier` under a strategy: tier in bits 97–98, load
/// in bits 65–96, the last assignment (0 for never, else the time plus one)
/// in bits 0–64. O(1).
fn key(routing: Routing, tier: Tier, live: &AgentLive) -> Key {
    let load = if routing == Routing::LeastBusy { live.load() } else { 0 };
    let last = live.last_assigned().map_or(0, |t| u128::from(t) + 1);
    (tier_bits(tier) << 97) | (u128::from(load) << 65) | last
}

fn tier_bits(tier: Tier) -> u128 {
    match tier {
        Tier::First => 0,
        Tier::Normal => 1,
        Tier::Last => 2,
        Tier::Supervisor => 3,
    }
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

/// One node: the least key of the eligible agents below it and their least
/// load; `NONE` when none is eligible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Node {
    key: Key,
    load: u32,
}

const EMPTY: Node = Node { key: NONE, load: u32::MAX };

impl Node {
    /// Whether some agent below is eligible with a load under `below`
    /// (exactly that, at a leaf).
    fn fits(self, below: Option<u32>) -> bool {
        self.key != NONE && below.is_none_or(|b| self.load < b)
    }

    /// The parent of two nodes; on equal keys the left (earlier) wins.
    fn join(left: Node, right: Node) -> Node {
        Node { key: left.key.min(right.key), load: left.load.min(right.load) }
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

    /// Sets the leaf at `position` and the nodes above it, stopping where
    /// nothing changes. O(log class).
    fn set(&mut self, position: u32, node: Node) {
        let mut i = self.width + position as usize;
        match self.nodes.get_mut(i) {
            Some(n) if *n != node => *n = node,
            _ => return,
        }
        while i > 1 {
            i /= 2;
            let joined = Node::join(self.node(2 * i), self.node(2 * i + 1));
            match self.nodes.get_mut(i) {
                Some(n) if *n != joined => *n = joined,
                _ => return,
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

    /// The first agent under node `i` (its leftmost leaf's), when any.
    fn first_under(&self, i: usize) -> Option<AgentIx> {
        let shift = self.width.trailing_zeros().checked_sub(usize::BITS - 1 - i.leading_zeros())?;
        self.agent(i << shift)
    }

    /// The eligible agent with the least (key, agent) among those `skip`
    /// does not rule out and whose load is below `below`: a descent that
    /// follows the least key, backing up only past agents ruled out, with
    /// subtrees that cannot beat the best found pruned. O((1 + agents ruled
    /// out) · log class), no allocation.
    pub(crate) fn best(&self, below: Option<u32>, skip: impl Fn(AgentIx) -> bool) -> Option<(Key, AgentIx)> {
        let mut found: Option<(Key, AgentIx)> = None;
        let mut stack = Stack::from(1);
        while let Some(i) = stack.pop() {
            let n = self.node(i);
            if !n.fits(below) {
                continue;
            }
            if let Some((f, fa)) = found {
                // Nothing under `i` comes before the one found.
                if f < n.key || (f == n.key && self.first_under(i).is_none_or(|a| fa < a)) {
                    continue;
                }
            }
            if i >= self.width {
                if let Some(a) = self.agent(i).filter(|a| !skip(*a)) {
                    found = Some((n.key, a));
                }
                continue;
            }
            // The child with the least key first; the left on a tie.
            let (l, r) = (2 * i, 2 * i + 1);
            let (first, second) = if self.node(r).key < self.node(l).key { (r, l) } else { (l, r) };
            stack.push(second);
            stack.push(first);
        }
        found
    }

    /// Whether agent `a` is of the class, eligible, and below `below`.
    /// O(log class).
    pub(crate) fn offers(&self, a: AgentIx, below: Option<u32>) -> bool {
        let Ok(p) = self.agents.binary_search(&a) else { return false };
        self.node(self.width + p).fits(below)
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
        let fits = |n: Node| n.fits(below) && tier_of(n.key) <= tier;
        let mut stack = Stack::from(1);
        while let Some(i) = stack.pop() {
            let n = self.node(i);
            if !fits(n) {
                continue;
            }
            if i >= self.width {
                if let Some(a) = self.agent(i).filter(|a| !skip(*a) && tier_of(n.key) == tier) {
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
    /// By agent index: its own chat limit (R12), whether it is of the two
    /// wide classes, and its groups with its tier and position there.
    agents: Vec<Placed>,
    /// By group: its members who are enabled and not supervisors there.
    pub(crate) groups: Vec<Tree>,
    /// Every agent, eligible here only if it sees every visitor.
    pub(crate) everyone: Tree,
    /// Every agent, eligible here only if it sees ungrouped visitors.
    pub(crate) ungrouped: Tree,
}

/// Where one agent sits in the trees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Placed {
    limit: Option<u32>,
    everyone: bool,
    ungrouped: bool,
    groups: SmallVec<[(GroupIx, Tier, u32); 2]>,
    /// Whether it was eligible (online, under its own limit), and its load,
    /// when its leaves were last set.
    was: (bool, u32),
}

impl Placed {
    fn of(a: &CompiledAgent) -> Self {
        Placed {
            limit: a.chat_limit,
            everyone: a.sees_everyone(),
            ungrouped: a.scope.sees_ungrouped(),
            groups: SmallVec::new(),
            was: (false, 0),
        }
    }
}

/// The groups whose candidate trees hold an agent, with its tier there:
/// its groups while it is enabled, except where it is a supervisor (R15).
fn offered_in(a: &CompiledAgent) -> impl Iterator<Item = (GroupIx, Tier)> + '_ {
    a.memberships().filter(|(_, t)| a.enabled() && *t != Tier::Supervisor)
}

impl Pools {
    /// Rebuilds the indexes for `snap` from the agents' live parts, in
    /// configuration order. O(agents + memberships).
    pub(crate) fn new<'a>(snap: &Snapshot, live: impl Iterator<Item = &'a AgentLive>) -> Self {
        let mut members: Vec<Vec<AgentIx>> = vec![Vec::new(); snap.live_groups().count()];
        let mut agents = Vec::with_capacity(snap.agents().len());
        for (ix, _, a) in snap.agents() {
            let mut placed = Placed::of(a);
            for (g, tier) in offered_in(a) {
                if let Some(list) = members.get_mut(g) {
                    if let Ok(position) = u32::try_from(list.len()) {
                        placed.groups.push((g, tier, position));
                    }
                    list.push(ix);
                }
            }
            // By group index, as `rebuild_group` keeps them.
            placed.groups.sort_unstable_by_key(|(g, ..)| *g);
            agents.push(placed);
        }
        let all: Vec<AgentIx> = (0..agents.len()).collect();
        let mut pools = Pools {
            routing: snap.policy().routing,
            agents,
            groups: members.into_iter().map(Tree::new).collect(),
            everyone: Tree::new(all.clone()),
            ungrouped: Tree::new(all),
        };
        for (ix, a) in live.enumerate() {
            pools.update(ix, a, &[]);
        }
        pools
    }

    /// Brings agent `ix`'s leaves in step with its live part. Returns
    /// whether the agent became or stopped being a candidate under one of
    /// `limits` (the groups' chat limits, and none): only then can a chat
    /// box's availability (R10) have changed. O((2 + memberships) · log
    /// agents + limits).
    pub(crate) fn update(&mut self, ix: AgentIx, live: &AgentLive, limits: &[Option<u32>]) -> bool {
        let Some(placed) = self.agents.get_mut(ix) else { return false };
        let eligible = live.status() == Status::Online && placed.limit.is_none_or(|l| live.load() < l);
        let (was_eligible, was_load) = std::mem::replace(&mut placed.was, (eligible, live.load()));
        let fits = |e: bool, load: u32, l: &Option<u32>| e && l.is_none_or(|l| load < l);
        let flipped = limits.iter().any(|l| fits(was_eligible, was_load, l) != fits(eligible, live.load(), l));
        let Some(placed) = self.agents.get(ix) else { return flipped };
        let routing = self.routing;
        let node = |tier, of_class: bool| {
            if eligible && of_class { Node { key: key(routing, tier, live), load: live.load() } } else { EMPTY }
        };
        if let Ok(p) = u32::try_from(ix) {
            self.everyone.set(p, node(Tier::Normal, placed.everyone));
            self.ungrouped.set(p, node(Tier::Normal, placed.ungrouped));
        }
        for &(g, tier, p) in &placed.groups {
            if let Some(tree) = self.groups.get_mut(g) {
                tree.set(p, node(tier, true));
            }
        }
        flipped
    }

    /// Agent `ix` was recompiled in `snap` (same agents and groups as
    /// before, same strategy): its class, limit and groups are taken again,
    /// and the trees of the groups it joined or left are rebuilt. `live`
    /// gives each agent's live part. O(log agents + the members of those
    /// groups · log).
    pub(crate) fn replace_agent<'a>(
        &mut self,
        snap: &Snapshot,
        ix: AgentIx,
        live: impl Fn(AgentIx) -> Option<&'a AgentLive>,
    ) {
        let Some((_, a)) = snap.agent(ix) else { return };
        let Some(placed) = self.agents.get_mut(ix) else { return };
        let mut touched: SmallVec<[GroupIx; 4]> = placed.groups.iter().map(|(g, _, _)| *g).collect();
        touched.extend(offered_in(a).map(|(g, _)| g).filter(|g| !placed.groups.iter().any(|(h, ..)| h == g)));
        let groups = std::mem::take(&mut placed.groups);
        *placed = Placed { groups, ..Placed::of(a) };
        for g in touched {
            self.rebuild_group(snap, g, &live);
        }
        if let Some(l) = live(ix) {
            self.update(ix, l, &[]);
        }
    }

    /// Rebuilds group `g`'s tree from `snap` and the members' live parts.
    /// O(members · (memberships + log members)).
    fn rebuild_group<'a>(&mut self, snap: &Snapshot, g: GroupIx, live: &impl Fn(AgentIx) -> Option<&'a AgentLive>) {
        let Some(tree) = self.groups.get_mut(g) else { return };
        for &a in &tree.agents {
            if let Some(p) = self.agents.get_mut(a) {
                p.groups.retain(|(h, ..)| *h != g);
            }
        }
        let listed = snap.group(g).map(|(_, c)| c.members.clone()).unwrap_or_default();
        let members: Vec<(AgentIx, Tier)> = listed
            .iter()
            .map(|&ix| ix as AgentIx)
            .filter_map(|ix| Some((ix, offered_in(snap.agent(ix)?.1).find(|(h, _)| *h == g)?.1)))
            .collect();
        *tree = Tree::new(members.iter().map(|(a, _)| *a).collect());
        for (position, (a, tier)) in members.iter().enumerate() {
            if let (Some(p), Ok(position)) = (self.agents.get_mut(*a), u32::try_from(position)) {
                // Kept by group index, as `new` makes them.
                let at = p.groups.partition_point(|(h, ..)| *h < g);
                p.groups.insert(at, (g, *tier, position));
            }
        }
        for (a, _) in members {
            if let Some(l) = live(a) {
                self.update(a, l, &[]);
            }
        }
    }
}

/// A descent's stack of node indexes, on the call's own stack: a tree over
/// `u32` positions is at most 33 levels deep and a descent keeps at most
/// one waiting sibling per level, so 66 places always suffice — no
/// allocation, no check for spilling over.
struct Stack {
    items: [usize; 66],
    len: usize,
}

impl Stack {
    fn from(root: usize) -> Self {
        let mut stack = Stack { items: [0; 66], len: 0 };
        stack.push(root);
        stack
    }

    #[inline]
    fn push(&mut self, i: usize) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = i;
            self.len += 1;
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<usize> {
        self.len = self.len.checked_sub(1)?;
        self.items.get(self.len).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Leaf = Option<(Tier, u32, Option<u64>)>;

    fn pack((tier, load, last): (Tier, u32, Option<u64>)) -> Key {
        (tier_bits(tier) << 97) | (u128::from(load) << 65) | last.map_or(0, |t| u128::from(t) + 1)
    }

    fn tree_with(keys: &[Leaf]) -> Tree {
        let mut t = Tree::new((0..keys.len()).collect());
        for (ix, k) in keys.iter().enumerate() {
            let node = k.map_or(EMPTY, |leaf| Node { key: pack(leaf), load: leaf.1 });
            t.set(u32::try_from(ix).unwrap(), node);
        }
        t
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
            assert!(pack(a) < NONE);
        }
    }

    #[test]
    fn a_tie_found_after_a_skip_goes_to_the_earlier_agent() {
        // The right half holds the least key, but its agent is ruled out;
        // the next best there ties with the left half's, whose agent comes
        // first.
        let n = (Tier::Normal, 5, None);
        let t = tree_with(&[Some(n), None, Some((Tier::First, 0, None)), Some(n)]);
        assert_eq!(t.best(None, |a| a == 2), Some((pack(n), 0)));
    }

    #[test]
    fn best_and_each_match_a_scan() {
        // Deterministic pseudo-random leaves with many ties, some agents not
        // eligible.
        let mut x: u64 = 11;
        let mut keys = Vec::new();
        for _ in 0..37 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let eligible = (x >> 60) % 4 != 0;
            let load = u32::try_from((x >> 40) % 4).unwrap();
            let last = ((x >> 20) % 3 != 0).then_some((x >> 8) % 3);
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
                    .filter_map(|(ix, k)| k.filter(|k| fits(ix, k)).map(|k| (k, ix)))
                    .min()
                    .map(|(k, ix)| (pack(k), ix));
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
