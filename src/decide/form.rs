//! R20–R22: the contact form's group choices.

use super::candidates::is_online;
use crate::snapshot::{GroupIx, Snapshot};
use crate::state::State;

/// R21: the groups the form offers now, in configuration order. Cost:
/// O(groups), or O(groups · agents) with `hide_unavailable_groups`.
pub(crate) fn choices<'a>(snap: &'a Snapshot, state: &'a State) -> impl Iterator<Item = GroupIx> + 'a {
    let on = snap.config().group_selection();
    let hide = snap.policy().hide_unavailable_groups;
    snap.live_groups()
        .filter(move |_| on)
        .filter(|(_, _, g)| g.in_contact_form)
        .filter(move |(i, _, _)| !hide || is_online(snap, state, Some(*i)))
        .map(|(i, _, _)| i)
}

/// Why a contact-form selection was refused (R22). Nothing changed.
///
/// ```
/// use groupgate::{Account, ConfigBuilder, GroupSpec, SelectError};
/// let mut account = Account::new(ConfigBuilder::new().group(GroupSpec::new("en")).build().unwrap());
/// account.visit("v1".parse().unwrap(), None);
/// assert_eq!(account.select_group("v1", "en"), Err(SelectError::GroupSelectionDisabled));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// No visitor with that id.
    #[error("unknown visitor `{0}`")]
    UnknownVisitor(String),
    /// The form has no group selection (switched off, or a plan without groups).
    #[error("the contact form has no group selection")]
    GroupSelectionDisabled,
    /// The form does not offer that group now.
    #[error("the contact form does not offer group `{0}`")]
    GroupNotOffered(String),
}

impl SelectError {
    /// The stable code of the scenario format.
    ///
    /// ```
    /// assert_eq!(groupgate::SelectError::GroupSelectionDisabled.code(), "group_selection_disabled");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            SelectError::UnknownVisitor(_) => "unknown_visitor",
            SelectError::GroupSelectionDisabled => "group_selection_disabled",
            SelectError::GroupNotOffered(_) => "group_not_offered",
        }
    }
}

/// R22: checks a selection of `group` without changing anything.
pub(crate) fn check_selection(snap: &Snapshot, state: &State, group: &str) -> Result<GroupIx, SelectError> {
    if !snap.config().group_selection() || !snap.plan().has_groups() {
        return Err(SelectError::GroupSelectionDisabled);
    }
    let g = snap.group_ix(group).ok_or_else(|| SelectError::GroupNotOffered(crate::ids::shown(group)))?;
    if choices(snap, state).any(|c| c == g) {
        Ok(g)
    } else {
        Err(SelectError::GroupNotOffered(crate::ids::shown(group)))
    }
}
