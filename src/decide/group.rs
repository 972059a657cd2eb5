//! R2 and R3: a visitor's effective group and its unknown tags.

use smallvec::SmallVec;

use crate::ids::GroupId;
use crate::snapshot::{GroupIx, Snapshot};
use crate::state::{Grouping, Tagged};

/// Where a visitor's group comes from, in R2's order of precedence.
///
/// ```
/// assert_eq!(groupgate::GroupSource::Selection.as_str(), "selection");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupSource {
    /// The group its chat was moved to (R17, R19).
    MovedTo,
    /// Its contact-form selection (R22).
    Selection,
    /// The `smartsupp('group', …)` code of its page.
    PageTag,
}

impl GroupSource {
    /// A short name.
    ///
    /// ```
    /// assert_eq!(groupgate::GroupSource::MovedTo.as_str(), "moved_to");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            GroupSource::MovedTo => "moved_to",
            GroupSource::Selection => "selection",
            GroupSource::PageTag => "page_tag",
        }
    }
}

/// A visitor's effective group (R2) with the tags that named no group (R3).
///
/// ```
/// use groupgate::{Account, ConfigBuilder, GroupSource, GroupSpec};
/// let mut account = Account::new(ConfigBuilder::new().group(GroupSpec::new("en")).build().unwrap(), 0);
/// account.visit("v1", Some("xx")).unwrap();
/// {
///     let g = account.effective_group("v1").unwrap();
///     assert_eq!((g.group(), g.source()), (None, None)); // ungrouped
///     assert_eq!(g.unknown()[0], (GroupSource::PageTag, &"xx".parse().unwrap())); // R3
/// }
/// account.visit("v1", Some("en")).unwrap();
/// let g = account.effective_group("v1").unwrap();
/// assert_eq!((g.group().unwrap().as_str(), g.source()), ("en", Some(GroupSource::PageTag)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveGroup<'a> {
    pub(crate) group: Option<(&'a GroupId, GroupSource)>,
    pub(crate) unknown: SmallVec<[(GroupSource, &'a GroupId); 3]>,
}

impl<'a> EffectiveGroup<'a> {
    /// The effective group; `None` for an ungrouped visitor.
    pub fn group(&self) -> Option<&'a GroupId> {
        self.group.map(|(g, _)| g)
    }
    /// Which of the visitor's fields gave the group.
    pub fn source(&self) -> Option<GroupSource> {
        self.group.map(|(_, s)| s)
    }
    /// Tags and selections that name no group of the configuration (R3), in
    /// R2's order. They are kept as written and match again if such a group is
    /// created.
    pub fn unknown(&self) -> &[(GroupSource, &'a GroupId)] {
        &self.unknown
    }
}

fn sources(v: Tagged<'_>) -> [(GroupSource, Option<&GroupId>); 3] {
    [(GroupSource::MovedTo, v.moved_to), (GroupSource::Selection, v.selection), (GroupSource::PageTag, v.page_tag)]
}

/// R2: the first source naming a group that works in `snap`. Cost: up to three
/// hash lookups, no allocation.
pub(crate) fn effective(snap: &Snapshot, v: Tagged<'_>) -> Option<(GroupIx, GroupSource)> {
    sources(v).into_iter().find_map(|(s, id)| Some((snap.group_ix(id?.as_str())?, s)))
}

/// R2's group alone, as the state's cache of effective groups wants it.
pub(crate) fn effective_ix(snap: &Snapshot, v: Tagged<'_>) -> Option<GroupIx> {
    effective(snap, v).map(|(g, _)| g)
}

/// R2 under one snapshot, as the live state needs it to keep visitors in
/// their groups' lists.
pub(crate) struct Grouper<'a>(pub(crate) &'a Snapshot);

impl Grouping for Grouper<'_> {
    fn effective(&self, v: Tagged<'_>) -> Option<GroupIx> {
        effective_ix(self.0, v)
    }

    /// A tag naming no group, under a plan with groups (under R1 every
    /// visitor is ungrouped whatever its tags, and a plan change regroups
    /// everyone).
    fn unresolved(&self, tag: &GroupId) -> bool {
        self.0.plan().has_groups() && self.0.group_ix(tag.as_str()).is_none()
    }
}

/// R2 and R3 with explanations, built on [`effective`].
pub(crate) fn explain<'a>(snap: &'a Snapshot, v: Tagged<'a>) -> EffectiveGroup<'a> {
    let group = effective(snap, v).and_then(|(g, s)| Some((snap.group(g)?.0, s)));
    let unknown = sources(v)
        .into_iter()
        .filter_map(|(s, id)| id.map(|id| (s, id)))
        .filter(|(_, id)| !snap.defines(id.as_str()))
        .collect();
    EffectiveGroup { group, unknown }
}
