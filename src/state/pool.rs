//! Indexes of the agents who could be offered a chat (R15, R16): one per
//! class of candidates — a group's members, the agents who see every
//! visitor (R1, R5 `see_all`, R7), those who see ungrouped visitors (R5,
//! R6). Routing a chat then costs O(log agents) instead of a scan of its
//! viewers (see `decide::candidates`).
//!
//! Each index is a tournament tree over the agents of its class in
//! configuration order. A leaf holds the agent's key when the agent is a
//! candidate. What makes an agent a candidate, in which classes, and its
//! key — R15's eligibility and R16's order — is not written here: the
//! account gives the state that rule ([`Candidacy`], written in
//! `decide::eligibility`), and the trees only keep agents ordered by it.
//! Every inner node holds the least key and the least load below it, so the
//! best candidate is found by a descent that follows the least key, and
//! agents at a group's limit are skipped whole subtrees at a time.

use smallvec::SmallVec;

use super::AgentLive;
use crate::config::Routing;
use crate::snapshot::{AgentIx, CompiledAgent, GroupIx, Snapshot};

/// An agent's place among a chat's candidates: the lower, the sooner. Keys
/// are the rule's ([`Candidacy::order`] within a rank); every key is below `u128::MAX`.
pub(crate) type Key = u128;

/// No eligible agent: above every key.
const NONE: Key = u128::MAX;

/// Where an agent is a candidate at all, as the rule places it: the
/// classes it is of, each with its rank there. An agent's key in a class is
/// its rank there plus its order ([`Candidacy::order`]); the rule keeps
/// every order below the gap between two ranks, and every key below
/// `u128::MAX`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Its own chat limit (R12).
    pub(crate) limit: Option<u32>,
    /// Its rank in the wide classes (the agents who see every visitor, or
    /// ungrouped visitors): where it is of them.
    pub(crate) everyone: Option<Key>,
    /// The same for the class of agents who see ungrouped visitors.
    pub(crate) ungrouped: Option<Key>,
    /// The groups whose class it is of, with its rank there.
    pub(crate) groups: SmallVec<[(GroupIx, Key); 2]>,
}

/// The rule the candidate trees are kept by (R15's eligibility, R16's
/// order), given by `decide::eligibility` through the account. Plain
/// functions: on every change of status, load and last assignment the
/// trees ask whether the agent is a candidate, and its order, once each.
#[derive(Clone, Copy)]
pub(crate) struct Candidacy {
    /// The classes an agent is of, its rank in each, and its own limit.
    pub(crate) placement: fn(&CompiledAgent) -> Placement,
    /// Whether it is a candidate now (given its own limit), wherever placed.
    pub(crate) eligible: fn(Option<u32>, &AgentLive) -> bool,
    /// Its order within a rank, under a strategy.
    pub(crate) order: fn(Routing, &AgentLive) -> Key,
}

/// The rule of a state nobody gave one: no agent is a candidate. Never the
/// rule of an account's state.
impl Default for Candidacy {
    fn default() -> Self {
        Candidacy { placement: |_| Placement::default(), eligible: |_, _| false, order: |_, _| 0 }
    }
}

impl std::fmt::Debug for Candidacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Candidacy")
    }
}

/// One rule per crate: two states' trees compare by what they hold.
impl PartialEq for Candidacy {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Candidacy {}

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
        // Each parent joins the child just set, known here, with its sibling.
        let mut child = node;
        while i > 1 {
            let sibling = self.node(i ^ 1);
            let joined = if i & 1 == 0 { Node::join(child, sibling) } else { Node::join(sibling, child) };
            i /= 2;
            match self.nodes.get_mut(i) {
                Some(n) if *n != joined => *n = joined,
                _ => return,
            }
            child = joined;
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

    /// Whether some eligible agent of the class is not ruled out by `skip`:
    /// `None` when more than `budget` eligible agents were ruled out before
    /// one was found or all were seen. O((1 + budget) · log class).
    pub(crate) fn any_besides(&self, skip: impl Fn(AgentIx) -> bool, budget: usize) -> Option<bool> {
        let mut ruled_out = 0;
        let mut stack = Stack::from(1);
        while let Some(i) = stack.pop() {
            if !self.node(i).fits(None) {
                continue;
            }
            if i < self.width {
                stack.push(2 * i + 1);
                stack.push(2 * i);
                continue;
            }
            match self.agent(i) {
                Some(a) if !skip(a) => return Some(true),
                _ => ruled_out += 1,
            }
            if ruled_out > budget {
                return None;
            }
        }
        Some(false)
    }

    /// Whether agent `a` is of the class, eligible, and below `below`.
    /// O(log class).
    pub(crate) fn offers(&self, a: AgentIx, below: Option<u32>) -> bool {
        let Ok(p) = self.agents.binary_search(&a) else { return false };
        self.node(self.width + p).fits(below)
    }

    /// Calls `emit` with every eligible agent whose key is in a band — where
    /// `band` says `Equal` (it says `Less` before the band and `Greater`
    /// after it, keys ordered) — whose load is below `below` and that `skip`
    /// does not rule out, in configuration order. (`decide` asks for one
    /// tier's agents this way.) O((output + agents ruled out) · log class).
    pub(crate) fn each(
        &self,
        band: impl Fn(Key) -> std::cmp::Ordering,
        below: Option<u32>,
        skip: impl Fn(AgentIx) -> bool,
        mut emit: impl FnMut(AgentIx),
    ) {
        // A subtree whose least key is past the band holds none of it.
        let fits = |n: Node| n.fits(below) && band(n.key).is_le();
        let mut stack = Stack::from(1);
        while let Some(i) = stack.pop() {
            let n = self.node(i);
            if !fits(n) {
                continue;
            }
            if i >= self.width {
                if let Some(a) = self.agent(i).filter(|a| !skip(*a) && band(n.key).is_eq()) {
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
    rule: Candidacy,
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
    everyone: Option<Key>,
    ungrouped: Option<Key>,
    /// Its groups with its rank and position there, by group index.
    groups: SmallVec<[(GroupIx, Key, u32); 2]>,
    /// Whether it was eligible (online, under its own limit), and its load,
    /// when its leaves were last set.
    was: (bool, u32),
}

impl Placed {
    fn of(p: &Placement) -> Self {
        Placed {
            limit: p.limit,
            everyone: p.everyone,
            ungrouped: p.ungrouped,
            groups: SmallVec::new(),
            was: (false, 0),
        }
    }
}

impl Pools {
    /// Rebuilds the indexes for `snap` from the agents' live parts, in
    /// configuration order. O(agents + memberships).
    pub(crate) fn new<'a>(rule: Candidacy, snap: &Snapshot, live: impl Iterator<Item = &'a AgentLive>) -> Self {
        let mut members: Vec<Vec<AgentIx>> = vec![Vec::new(); snap.live_groups().count()];
        let mut agents = Vec::with_capacity(snap.agents().len());
        for (ix, _, a) in snap.agents() {
            let placement = (rule.placement)(a);
            let mut placed = Placed::of(&placement);
            for &(g, rank) in &placement.groups {
                if let Some(list) = members.get_mut(g) {
                    if let Ok(position) = u32::try_from(list.len()) {
                        placed.groups.push((g, rank, position));
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
            rule,
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
        let eligible = (self.rule.eligible)(placed.limit, live);
        let (was_eligible, was_load) = std::mem::replace(&mut placed.was, (eligible, live.load()));
        let fits = |e: bool, load: u32, l: &Option<u32>| e && l.is_none_or(|l| load < l);
        let flipped = limits.iter().any(|l| fits(was_eligible, was_load, l) != fits(eligible, live.load(), l));
        let Some(placed) = self.agents.get(ix) else { return flipped };
        let order = if eligible { (self.rule.order)(self.routing, live) } else { 0 };
        let node = |rank: Option<Key>| match rank {
            Some(rank) if eligible => Node { key: rank.saturating_add(order), load: live.load() },
            _ => EMPTY,
        };
        if let Ok(p) = u32::try_from(ix) {
            self.everyone.set(p, node(placed.everyone));
            self.ungrouped.set(p, node(placed.ungrouped));
        }
        for &(g, rank, p) in &placed.groups {
            if let Some(tree) = self.groups.get_mut(g) {
                tree.set(p, node(Some(rank)));
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
        let placement = (self.rule.placement)(a);
        let Some(placed) = self.agents.get_mut(ix) else { return };
        let mut touched: SmallVec<[GroupIx; 4]> = placed.groups.iter().map(|(g, _, _)| *g).collect();
        touched
            .extend(placement.groups.iter().map(|(g, _)| *g).filter(|g| !placed.groups.iter().any(|(h, ..)| h == g)));
        let groups = std::mem::take(&mut placed.groups);
        *placed = Placed { groups, ..Placed::of(&placement) };
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
        let members: Vec<(AgentIx, Key)> = listed
            .iter()
            .map(|&ix| ix as AgentIx)
            .filter_map(|ix| {
                let placement = (self.rule.placement)(snap.agent(ix)?.1);
                Some((ix, placement.groups.iter().find(|(h, _)| *h == g)?.1))
            })
            .collect();
        *tree = Tree::new(members.iter().map(|(a, _)| *a).collect());
        for (position, (a, rank)) in members.iter().enumerate() {
            if let (Some(p), Ok(position)) = (self.agents.get_mut(*a), u32::try_from(position)) {
                // Kept by group index, as `new` makes them.
                let at = p.groups.partition_point(|(h, ..)| *h < g);
                p.groups.insert(at, (g, *rank, position));
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
    use crate::config::Tier;

    type Leaf = Option<(Tier, u32, Option<u64>)>;

    /// Keys made like the rule's (`decide::eligibility`), tier first.
    fn pack((tier, load, last): (Tier, u32, Option<u64>)) -> Key {
        let bits = match tier {
            Tier::First => 0,
            Tier::Normal => 1,
            Tier::Last => 2,
            Tier::Supervisor => 3,
        };
        (bits << 97) | (u128::from(load) << 65) | last.map_or(0, |t| u128::from(t) + 1)
    }

    fn tier_of(key: Key) -> Tier {
        [Tier::First, Tier::Normal, Tier::Last]
            .get(usize::try_from(key >> 97).unwrap())
            .copied()
            .unwrap_or(Tier::Supervisor)
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
                    t.each(|k| tier_of(k).cmp(&tier), below, skip, |a| each.push(a));
                    assert_eq!(each, scan, "{tier:?}, below {below:?}, skip mod {modulus}");
                }
            }
        }
    }
}
