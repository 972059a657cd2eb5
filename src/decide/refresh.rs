//! R9: which agents' visibility differs between two revisions, and which
//! pages' chat-box availability (R10) did.

use super::candidates::{is_online, online_groups};
use super::eligibility::CANDIDACY;
use super::visibility::visibility;
use crate::ids::GroupId;
use crate::snapshot::{AgentIx, ChangeImpact, GroupIx, Snapshot};
use crate::state::State;

/// The correspondence of two revisions' groups, computed once per pair so
/// that each agent's check is bit tests over dense indices.
pub(crate) struct Diff<'a> {
    old: &'a Snapshot,
    new: &'a Snapshot,
    same_groups: bool,
    /// Old group index → the same id's index in `new`.
    old_to_new: Vec<Option<GroupIx>>,
    /// New group indices whose id `old` does not resolve.
    added: Vec<GroupIx>,
}

impl<'a> Diff<'a> {
    /// O(groups of both); without lookups when both have the same groups
    /// (the correspondence is then the identity).
    pub(crate) fn new(old: &'a Snapshot, new: &'a Snapshot) -> Self {
        let same_groups = old.same_groups(new);
        let (old_to_new, added) = if same_groups {
            (old.live_groups().map(|(i, _, _)| Some(i)).collect(), Vec::new())
        } else {
            (
                old.live_groups().map(|(_, id, _)| new.group_ix(id.as_str())).collect(),
                new.live_groups().filter(|(_, id, _)| !old.resolves(id.as_str())).map(|(i, _, _)| i).collect(),
            )
        };
        Diff { old, new, same_groups, old_to_new, added }
    }

    /// Whether `agent` must refresh a dashboard loaded at `old` to see what
    /// `new` shows (R9): some combination of moved-to group, selection and
    /// page tag is visible to it under one revision and not the other.
    ///
    /// A tuple's effective groups under `old` and `new` can be any pair
    /// (a, b) with a = b for a group of both or ungrouped; (a, anything of
    /// `new`) for a group only `old` has; (anything of `old`, b) for a group
    /// only `new` has. No other pair is reachable: a group of both wins in
    /// both revisions once it is the first working id of the tuple. So the
    /// check is O(groups of both) bit tests, and O(1) when the groups are the
    /// same and the agent's scope and memberships did not change.
    pub(crate) fn stale(&self, agent: &str) -> bool {
        let old_agent = self.old.agent_ix(agent).and_then(|a| self.old.agent(a));
        let new_agent = self.new.agent_ix(agent).and_then(|a| self.new.agent(a));
        let (Some((_, a_old)), Some((_, a_new))) = (old_agent, new_agent) else { return false };
        if self.same_groups && a_old.scope == a_new.scope && a_old.groups == a_new.groups {
            return false;
        }
        let sees_old = |g: Option<GroupIx>| visibility(a_old, g).is_visible();
        let sees_new = |g: Option<GroupIx>| visibility(a_new, g).is_visible();
        if sees_old(None) != sees_new(None) {
            return true;
        }
        let range = |snap: &Snapshot, sees: &dyn Fn(Option<GroupIx>) -> bool| {
            let mut seen = [false; 2];
            for g in std::iter::once(None).chain(snap.live_groups().map(|(i, _, _)| Some(i))) {
                if let Some(slot) = seen.get_mut(usize::from(sees(g))) {
                    *slot = true;
                }
            }
            seen
        };
        let (old_range, new_range) = (range(self.old, &sees_old), range(self.new, &sees_new));
        let reaches = |range: [bool; 2], v: bool| range.get(usize::from(!v)).copied().unwrap_or(false);
        let common_or_removed = self.old_to_new.iter().enumerate().any(|(i, to)| {
            let v = sees_old(Some(i));
            match to {
                Some(j) => v != sees_new(Some(*j)),
                None => reaches(new_range, v),
            }
        });
        common_or_removed || self.added.iter().any(|&j| reaches(old_range, sees_new(Some(j))))
    }
}

/// A page whose chat-box availability differs between two revisions.
///
/// ```
/// use groupgate::{Account, AgentSpec, Change, ConfigBuilder, GroupSpec, Status};
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en"))
///     .group(GroupSpec::new("de"))
///     .agent(AgentSpec::new("anna"))
///     .build().unwrap());
/// account.set_status("anna", Status::Online).unwrap();
/// let report = account.apply(&Change::Assign {
///     agent: "anna".parse().unwrap(), group: "en".parse().unwrap(), tier: Default::default(),
/// }).unwrap();
/// // anna was unassigned (sees all): "de" pages lose their only agent.
/// let change = &report.availability()[0];
/// assert_eq!((change.page_group().map(|g| g.as_str()), change.online()), (Some("de"), false));
/// assert_eq!(report.availability().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailabilityChange {
    pub(crate) page_group: Option<GroupId>,
    pub(crate) online: bool,
}

impl AvailabilityChange {
    /// The page's group code; `None` for pages without one.
    pub fn page_group(&self) -> Option<&GroupId> {
        self.page_group.as_ref()
    }
    /// Whether the chat box is online now.
    pub fn online(&self) -> bool {
        self.online
    }
}

/// Chat-box availability (R10) of every page under one snapshot and state:
/// each group's by index ([`online_groups`]), and the ungrouped page's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Availability {
    groups: Vec<bool>,
    ungrouped: bool,
}

impl Availability {
    /// O(groups · log agents), whatever the fallback chains.
    pub(crate) fn of(snap: &Snapshot, state: &State) -> Self {
        Availability { groups: online_groups(snap, state), ungrouped: is_online(snap, state, None) }
    }

    /// The pages `touched` names (the others read as offline, before and
    /// after alike, so they never show as changed). O(pages touched · chain
    /// · log agents).
    pub(crate) fn of_touched(snap: &Snapshot, state: &State, touched: &Touched) -> Self {
        let Some(groups) = &touched.groups else { return Availability::of(snap, state) };
        Availability {
            groups: groups.iter().enumerate().map(|(g, t)| *t && is_online(snap, state, Some(g))).collect(),
            ungrouped: touched.ungrouped && is_online(snap, state, None),
        }
    }

    /// Takes the pages `touched` names from `after` (computed for them,
    /// under the same snapshot as `touched`); the others keep theirs, which
    /// is right when they are pages the change could not alter. O(groups).
    pub(crate) fn patch(&mut self, touched: &Touched, after: &Availability) {
        match &touched.groups {
            None => *self = after.clone(),
            Some(mask) => {
                self.groups.resize(mask.len(), false);
                for (g, (own, t)) in self.groups.iter_mut().zip(mask).enumerate() {
                    if *t {
                        *own = after.at(g);
                    }
                }
                if touched.ungrouped {
                    self.ungrouped = after.ungrouped;
                }
            }
        }
    }

    /// Brings the pages `pages` names up to date under `snap` and `state`
    /// (the snapshot this was computed under), the others kept: the changes,
    /// in configuration order, the ungrouped page last (R31). O(pages ·
    /// chain · log agents).
    pub(crate) fn update(&mut self, snap: &Snapshot, state: &State, pages: &Pages) -> Vec<AvailabilityChange> {
        let mut out = Vec::new();
        for &g in &pages.groups {
            let online = is_online(snap, state, Some(g));
            if let Some(own) = self.groups.get_mut(g) {
                if *own != online {
                    *own = online;
                    out.push(AvailabilityChange { page_group: snap.group(g).map(|(id, _)| id.clone()), online });
                }
            }
        }
        if pages.ungrouped {
            let online = is_online(snap, state, None);
            if self.ungrouped != online {
                self.ungrouped = online;
                out.push(AvailabilityChange { page_group: None, online });
            }
        }
        out
    }

    /// The page of the group at index `g` of the snapshot this was computed
    /// under (a group that does not work there, R1: the ungrouped page). O(1).
    fn at(&self, g: GroupIx) -> bool {
        self.groups.get(g).copied().unwrap_or(self.ungrouped)
    }

    /// The page with code `id` under `snap`. O(1) expected.
    fn page(&self, snap: &Snapshot, id: &str) -> bool {
        snap.group_ix(id).map_or(self.ungrouped, |g| self.at(g))
    }
}

/// Pages by group index, ascending, and the ungrouped page.
pub(crate) struct Pages {
    groups: Vec<GroupIx>,
    ungrouped: bool,
}

/// The pages whose availability (R10) the flipped candidacy of `agents` can
/// have changed: the groups whose class each agent is of, and every group
/// whose fallback chain reaches one (R17); the ungrouped page when one of
/// them sees ungrouped visitors. `None` when that is every page (an agent
/// who sees every visitor, or a plan without groups, R1). O(pages · log).
pub(crate) fn pages_of_agents(snap: &Snapshot, agents: &[AgentIx]) -> Option<Pages> {
    if !snap.plan().has_groups() {
        return None;
    }
    let mut direct: Vec<GroupIx> = Vec::new();
    let mut ungrouped = false;
    for &ix in agents {
        let (_, a) = snap.agent(ix)?;
        let placed = (CANDIDACY.placement)(a);
        if placed.everyone.is_some() {
            return None;
        }
        ungrouped |= placed.ungrouped.is_some();
        direct.extend(placed.groups.iter().map(|(g, _)| *g));
    }
    Some(Pages { groups: snap.upstream_of(direct), ungrouped })
}

/// The pages whose chat-box availability a change from `old` to `new` can
/// alter: every page, unless the change kept the agents, groups, plan and
/// policies and only recompiled some agents or groups' settings, and no
/// chat waits (so nothing is served or re-queued during the change). Then
/// only the groups whose candidates changed — a changed group, the groups
/// of a changed agent before and after — and the groups whose fallback
/// chain reaches one; the ungrouped page when a changed agent sees
/// ungrouped visitors.
pub(crate) struct Touched {
    /// By group index of `new`; `None`: every page.
    groups: Option<Vec<bool>>,
    ungrouped: bool,
}

impl Touched {
    /// O(groups · chain + agents / 64 + the agents in chunks the change
    /// copied).
    pub(crate) fn by(old: &Snapshot, new: &Snapshot, impact: &ChangeImpact, state: &State) -> Touched {
        let every = Touched { groups: None, ungrouped: true };
        // Business hours (R30) rewritten can open or close any group.
        if !impact.settings_same
            || !impact.agents_same
            || !impact.groups_same
            || state.visitors().queue().next().is_some()
        {
            return every;
        }
        let n = new.live_groups().count();
        let mut direct = vec![false; n];
        for &g in &impact.groups_changed {
            if let Some(d) = direct.get_mut(g) {
                *d = true;
            }
        }
        let mut ungrouped = false;
        for &ix in &impact.agents_changed {
            let (Some((_, a)), Some((_, b))) = (old.agent(ix), new.agent(ix)) else { return every };
            // Everyone's candidates change, or held chats go back to the queue.
            let holds = state.agent_at(ix).is_some_and(|l| l.load() > 0);
            if a.sees_everyone() || b.sees_everyone() || (holds && !b.enabled()) {
                return every;
            }
            ungrouped |= a.scope.sees_ungrouped() || b.scope.sees_ungrouped();
            for (g, _) in a.memberships().chain(b.memberships()) {
                if let Some(d) = direct.get_mut(g) {
                    *d = true;
                }
            }
        }
        let groups = (0..n).map(|g| new.chain(g).any(|h| direct.get(h).copied().unwrap_or(true))).collect();
        Touched { groups: Some(groups), ungrouped }
    }
}

/// The pages whose availability differs between `before` (under `old`) and
/// `after` (under `new`): `new`'s groups in config order, then the ungrouped
/// page (R25). A group `old` did not have compares with the ungrouped page;
/// groups only `old` had are not reported (R31, settled). When both
/// revisions have the same groups, pages are compared by index: O(groups),
/// no lookups.
pub(crate) fn availability_changes(
    (old, before): (&Snapshot, &Availability),
    (new, after): (&Snapshot, &Availability),
) -> Vec<AvailabilityChange> {
    let same = old.same_groups(new);
    let mut out = Vec::new();
    let mut compare = |page_group: Option<&GroupId>, was: bool, online: bool| {
        if was != online {
            out.push(AvailabilityChange { page_group: page_group.cloned(), online });
        }
    };
    for (j, g) in new.config().groups().iter().enumerate() {
        let was = if same { before.at(j) } else { before.page(old, g.id().as_str()) };
        compare(Some(g.id()), was, after.at(j));
    }
    compare(None, before.ungrouped, after.ungrouped);
    out
}
