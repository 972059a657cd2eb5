//! R9: which agents' visibility differs between two revisions, and which
//! pages' chat-box availability (R10) did.

use super::candidates::is_online;
use super::visibility::visibility;
use crate::ids::GroupId;
use crate::snapshot::{CompiledAgent, Snapshot};
use crate::state::State;

/// Whether `agent` must refresh a dashboard loaded at `old` to see what `new`
/// shows (R9): some combination of moved-to group, selection and page tag is
/// visible to it under one revision and not the other.
///
/// A tuple's effective group under `old` and `new` can be any pair (a, b)
/// with a = b for a group of both or ungrouped; (a, anything of `new`) for a
/// group only `old` has; (anything of `old`, b) for a group only `new` has.
/// No other pair is reachable: a group of both wins in both revisions once it
/// is the first working id of the tuple. So the check is O(groups of both).
pub(crate) fn stale(old: &Snapshot, new: &Snapshot, agent: &str) -> bool {
    let (Some((_, a_old)), Some((_, a_new))) =
        (old.agent_ix(agent).and_then(|a| old.agent(a)), new.agent_ix(agent).and_then(|a| new.agent(a)))
    else {
        return false;
    };
    let sees_old = |id: Option<&GroupId>| sees(old, a_old, id);
    let sees_new = |id: Option<&GroupId>| sees(new, a_new, id);
    if sees_old(None) != sees_new(None) {
        return true;
    }
    let range = |snap: &Snapshot, agent: &CompiledAgent| {
        let mut seen = [false; 2];
        for g in std::iter::once(None).chain(snap.live_groups().map(|(i, _, _)| Some(i))) {
            let v = visibility(agent, g).is_visible();
            if let Some(slot) = seen.get_mut(usize::from(v)) {
                *slot = true;
            }
        }
        seen
    };
    let (old_range, new_range) = (range(old, a_old), range(new, a_new));
    let reaches = |range: [bool; 2], v: bool| range.get(usize::from(!v)).copied().unwrap_or(false);
    let common_or_removed = old.live_groups().any(|(_, id, _)| {
        let v = sees_old(Some(id));
        if new.resolves(id.as_str()) {
            v != sees_new(Some(id))
        } else {
            reaches(new_range, v)
        }
    });
    common_or_removed
        || new.live_groups().any(|(_, id, _)| !old.resolves(id.as_str()) && reaches(old_range, sees_new(Some(id))))
}

fn sees(snap: &Snapshot, agent: &CompiledAgent, id: Option<&GroupId>) -> bool {
    visibility(agent, id.and_then(|g| snap.group_ix(g.as_str()))).is_visible()
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

/// The pages whose availability a change from `old` to `new` can affect:
/// `new`'s groups in config order, then groups only `old` had, then the
/// ungrouped page (R25).
pub(crate) fn pages(old: &Snapshot, new: &Snapshot) -> Vec<Option<GroupId>> {
    let removed = old.config().groups().iter().filter(|g| !new.defines(g.id().as_str()));
    new.config().groups().iter().chain(removed).map(|g| Some(g.id().clone())).chain(std::iter::once(None)).collect()
}

/// R10 for each page of [`pages`].
pub(crate) fn online_pages(snap: &Snapshot, state: &State, pages: &[Option<GroupId>]) -> Vec<bool> {
    pages.iter().map(|p| is_online(snap, state, p.as_ref().and_then(|g| snap.group_ix(g.as_str())))).collect()
}

/// The pages whose availability differs between `before` and `after`.
pub(crate) fn availability_changes(
    pages: Vec<Option<GroupId>>,
    before: &[bool],
    after: &[bool],
) -> Vec<AvailabilityChange> {
    pages
        .into_iter()
        .zip(before.iter().zip(after))
        .filter(|(_, (b, a))| b != a)
        .map(|(page_group, (_, &online))| AvailabilityChange { page_group, online })
        .collect()
}
