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
///     .build().unwrap(), 0);
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

    /// Brings every page, or only `pages`, up to date after an event or a
    /// change from `old` to `new` (this being the availability under
    /// `old`, as kept), and gives the pages that changed, in `new`'s
    /// configuration order, the ungrouped page last (R31). `pages` must
    /// only be given when both snapshots have the same groups. O(pages ·
    /// chain · log agents), or O(groups · log agents) for every page.
    pub(crate) fn refresh(
        &mut self,
        (old, new): (&Snapshot, &Snapshot),
        state: &State,
        pages: Option<&Pages>,
    ) -> Vec<AvailabilityChange> {
        if let Some(pages) = pages {
            return self.update(new, state, pages);
        }
        let after = Availability::of(new, state);
        let changes = availability_changes((old, self), (new, &after));
        *self = after;
        changes
    }

    /// The pages `pages` names brought up to date under `snap` (whose
    /// groups this has), the others kept: the changes, in configuration
    /// order, the ungrouped page last.
    fn update(&mut self, snap: &Snapshot, state: &State, pages: &Pages) -> Vec<AvailabilityChange> {
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

    /// Every page under `snap` (whose groups this has): each group's in
    /// configuration order, then the ungrouped page. O(groups).
    pub(crate) fn pages<'a>(&'a self, snap: &'a Snapshot) -> impl Iterator<Item = (Option<&'a GroupId>, bool)> + 'a {
        let groups = snap.live_groups().map(|(g, id, _)| (Some(id), self.at(g)));
        groups.chain(std::iter::once((None, self.ungrouped)))
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
/// them sees ungrouped visitors. `None` when that is every page: a plan
/// without groups (R1), or an agent who sees every visitor flipped while no
/// other such agent can stand in for it (below). O(pages · log).
pub(crate) fn pages_of_agents(snap: &Snapshot, state: &State, agents: &[AgentIx]) -> Option<Pages> {
    if !snap.plan().has_groups() {
        return None;
    }
    let mut direct: Vec<GroupIx> = Vec::new();
    let (mut ungrouped, mut wide) = (false, false);
    for &ix in agents {
        let (_, a) = snap.agent(ix)?;
        let placed = (CANDIDACY.placement)(a);
        wide |= placed.everyone.is_some();
        ungrouped |= placed.ungrouped.is_some();
        direct.extend(placed.groups.iter().map(|(g, _)| *g));
    }
    if wide && !stands_in(snap, state, agents) {
        return None;
    }
    if wide {
        direct.extend_from_slice(state.limited_groups());
    }
    Some(Pages { groups: snap.upstream_of(direct), ungrouped })
}

/// Whether an agent who sees every visitor, is a member of no group and is
/// not among the `flipped` is a candidate (R15). Such an agent counts in
/// every open group (as a viewer, never left out as a member) wherever the
/// group's chat limit allows, and it was one before the event too (its
/// candidacy did not flip): whatever the flipped wide viewers did, every
/// open group without a chat limit had and has a candidate, so only the
/// flipped agents' own groups and the groups with a limit can have changed.
/// Gives up (false) after 8 ruled-out agents. O(log agents).
fn stands_in(snap: &Snapshot, state: &State, flipped: &[AgentIx]) -> bool {
    let ruled_out =
        |a: AgentIx| flipped.contains(&a) || snap.agent(a).is_none_or(|(_, c)| c.memberships().next().is_some());
    state.pool_everyone().any_besides(ruled_out, 8) == Some(true)
}

/// The pages whose chat-box availability a change from `old` to `new` can
/// alter: every page (`None`), unless the change kept the agents, groups,
/// plan and policies and only recompiled some agents or groups' settings,
/// and no chat waits (so nothing is served or re-queued during the change).
/// Then only the groups whose candidates changed — a changed group, the
/// groups of a changed agent before and after — and the groups whose
/// fallback chain reaches one; the ungrouped page when a changed agent sees
/// ungrouped visitors. O(the changed rows + pages · log).
pub(crate) fn pages_of_change(old: &Snapshot, new: &Snapshot, impact: &ChangeImpact, state: &State) -> Option<Pages> {
    // Business hours (R30) rewritten can open or close any group.
    if !impact.settings_same || !impact.agents_same || !impact.groups_same || state.visitors().queue().next().is_some()
    {
        return None;
    }
    let mut direct: Vec<GroupIx> = impact.groups_changed.clone();
    let mut ungrouped = false;
    for &ix in &impact.agents_changed {
        let ((_, a), (_, b)) = (old.agent(ix)?, new.agent(ix)?);
        // Everyone's candidates change, or held chats go back to the queue.
        let holds = state.agent_at(ix).is_some_and(|l| l.load() > 0);
        if a.sees_everyone() || b.sees_everyone() || (holds && !b.enabled()) {
            return None;
        }
        ungrouped |= a.scope.sees_ungrouped() || b.scope.sees_ungrouped();
        direct.extend(a.memberships().chain(b.memberships()).map(|(g, _)| g));
    }
    Some(Pages { groups: new.upstream_of(direct), ungrouped })
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
