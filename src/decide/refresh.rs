//! R9: which agents' visibility differs between two revisions, and which
//! pages' chat-box availability (R10) did.

use super::candidates::is_online;
use super::visibility::visibility;
use crate::ids::GroupId;
use crate::snapshot::{GroupIx, Snapshot};
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
    /// O(groups of both).
    pub(crate) fn new(old: &'a Snapshot, new: &'a Snapshot) -> Self {
        let old_to_new = old.live_groups().map(|(_, id, _)| new.group_ix(id.as_str())).collect();
        let added = new.live_groups().filter(|(_, id, _)| !old.resolves(id.as_str())).map(|(i, _, _)| i).collect();
        Diff { old, new, same_groups: old.same_groups(new), old_to_new, added }
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
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap()));
    /// let report = account.apply(&Change::SetEnabled { agent: "bob".parse().unwrap(), enabled: false }).unwrap();
    /// assert_eq!(report.availability()[1].page_group().unwrap(), "de");
    /// ```
    pub fn page_group(&self) -> Option<&GroupId> {
        self.page_group.as_ref()
    }
    /// Whether the chat box is online now.
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap()));
    /// let report = account.apply(&Change::SetEnabled { agent: "bob".parse().unwrap(), enabled: false }).unwrap();
    /// assert!(report.availability().iter().all(|a| !a.online()));
    /// ```
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
