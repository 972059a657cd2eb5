//! R20–R22: the contact form's group choices.

use super::candidates::{is_online, online_groups};
use crate::snapshot::{CompiledGroup, GroupIx, Snapshot};
use crate::state::State;

/// R21: the groups the form offers now, in configuration order. Cost:
/// O(groups), or O(groups + memberships) with `hide_unavailable_groups`
/// (availability of all groups at once, [`online_groups`]).
pub(crate) fn choices<'a>(snap: &'a Snapshot, state: &'a State) -> impl Iterator<Item = GroupIx> + 'a {
    let on = snap.config().group_selection();
    let online = (on && snap.policy().hide_unavailable_groups).then(|| online_groups(snap, state));
    snap.live_groups()
        .filter(move |_| on)
        .filter(move |(i, _, g)| {
            offers(snap, g, || online.as_ref().is_some_and(|o| o.get(*i).copied().unwrap_or(false)))
        })
        .map(|(i, _, _)| i)
}

/// R21 for one group, given how to learn whether its chat box is online:
/// asked only under `hide_unavailable_groups`.
fn offers(snap: &Snapshot, group: &CompiledGroup, online: impl FnOnce() -> bool) -> bool {
    group.in_contact_form && (!snap.policy().hide_unavailable_groups || online())
}

/// Why R22 refuses a selection; the account turns it into its event error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// No group selection on the form (switched off, or a plan without groups).
    SelectionDisabled,
    /// The form does not offer that group now.
    NotOffered,
}

/// R22: checks a selection of `group` without changing anything.
pub(crate) fn check_selection(snap: &Snapshot, state: &State, group: &str) -> Result<GroupIx, Refused> {
    if !snap.config().group_selection() || !snap.plan().has_groups() {
        return Err(Refused::SelectionDisabled);
    }
    let not_offered = || Refused::NotOffered;
    let (g, compiled) = snap.group_ix(group).and_then(|g| Some((g, snap.group(g)?.1))).ok_or_else(not_offered)?;
    // One chain walk for this group alone: the cost does not grow with the
    // number of groups before it in the form.
    if offers(snap, compiled, || is_online(snap, state, Some(g))) { Ok(g) } else { Err(not_offered()) }
}
