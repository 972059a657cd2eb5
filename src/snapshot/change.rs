//! Configuration changes: each gives a new revision or a typed error (R9, R24).

use super::Snapshot;
use crate::config::{
    Agent, AgentPatch, AgentSpec, Config, ConfigBuilder, ConfigError, Group, GroupPatch, GroupSpec, Membership, Plan,
    PolicyPatch, Problem, ScheduleSpec, Tier,
};
use crate::error::{ErrorCode, ErrorKind};
use crate::ids::{AgentId, GroupId, UnknownId};

/// One change to an account's configuration. Ids are text: a change
/// looks them up (text that cannot be an id is simply unknown), except where
/// it stores them — a new group or agent, a fallback, a schedule — which are
/// checked like a new configuration (R23).
///
/// Its serde form is the scenario format's configuration step:
/// `{"assign": {"agent": "anna", "group": "en", "tier": "first"}}`,
/// `{"update_group": {"group": "de", "chat_limit": null}}`.
///
/// ```
/// use groupgate::{Change, ConfigBuilder, GroupSpec, AgentSpec, Snapshot, Tier};
/// let v1 = Snapshot::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en"))
///     .agent(AgentSpec::new("anna"))
///     .build().unwrap());
/// let assign = Change::Assign { agent: "anna".into(), group: "en".into(), tier: Tier::First };
/// let v2 = v1.apply(&assign).unwrap();
/// assert_eq!(v2.config().agents().next().unwrap().tier_in("en"), Some(Tier::First));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", deny_unknown_fields))]
#[non_exhaustive]
pub enum Change {
    /// Appends a group at the end of the order.
    AddGroup(GroupSpec),
    /// Removes a group, and the memberships and fallbacks naming it (R3).
    RemoveGroup {
        /// The group.
        group: String,
    },
    /// Appends an agent at the end of the order.
    AddAgent(AgentSpec),
    /// Removes an agent (its chats go back to the queue, R14).
    RemoveAgent {
        /// The agent.
        agent: String,
    },
    /// Makes the agent a member with this tier; for a member, only sets the tier.
    Assign {
        /// The agent.
        agent: String,
        /// The group.
        group: String,
        /// The tier; `normal` when left out.
        #[cfg_attr(feature = "serde", serde(default))]
        tier: Tier,
    },
    /// Ends a membership; `not_in_group` for a non-member.
    Unassign {
        /// The agent.
        agent: String,
        /// The group.
        group: String,
    },
    /// Enables or disables an agent (R8): the same as an [`AgentPatch`]
    /// giving only `enabled`.
    SetEnabled {
        /// The agent.
        agent: String,
        /// The new flag.
        enabled: bool,
    },
    /// Changes the settings a patch gives of one group, in one revision;
    /// the group keeps its place.
    UpdateGroup(GroupPatch),
    /// Changes the settings a patch gives of one agent, in one revision.
    UpdateAgent(AgentPatch),
    /// Sets the plan (R1).
    SetPlan(Plan),
    /// Changes the policies given, keeping the others.
    SetPolicy(PolicyPatch),
    /// Turns contact-form group selection on or off (R20).
    SetGroupSelection(bool),
    /// Adds a schedule at the end, or replaces the one with its id in
    /// place (R30).
    SetSchedule(ScheduleSpec),
    /// Removes a schedule; `unknown_schedule` when there is none by that
    /// id, `schedule_in_use` while a group follows it (R30).
    RemoveSchedule {
        /// The schedule.
        schedule: String,
    },
}

impl Change {
    /// Every change's key in the serde form, in the variants' order.
    pub const KEYS: &'static [&'static str] = &[
        "add_group",
        "remove_group",
        "add_agent",
        "remove_agent",
        "assign",
        "unassign",
        "set_enabled",
        "update_group",
        "update_agent",
        "set_plan",
        "set_policy",
        "set_group_selection",
        "set_schedule",
        "remove_schedule",
    ];

    /// The change's key in the serde form.
    ///
    /// ```
    /// use groupgate::{Change, Plan};
    /// assert_eq!(Change::SetPlan(Plan::Free).key(), "set_plan");
    /// assert!(Change::KEYS.contains(&"update_group"));
    /// ```
    pub fn key(&self) -> &'static str {
        match self {
            Change::AddGroup(_) => "add_group",
            Change::RemoveGroup { .. } => "remove_group",
            Change::AddAgent(_) => "add_agent",
            Change::RemoveAgent { .. } => "remove_agent",
            Change::Assign { .. } => "assign",
            Change::Unassign { .. } => "unassign",
            Change::SetEnabled { .. } => "set_enabled",
            Change::UpdateGroup(_) => "update_group",
            Change::UpdateAgent(_) => "update_agent",
            Change::SetPlan(_) => "set_plan",
            Change::SetPolicy(_) => "set_policy",
            Change::SetGroupSelection(_) => "set_group_selection",
            Change::SetSchedule(_) => "set_schedule",
            Change::RemoveSchedule { .. } => "remove_schedule",
        }
    }

    /// Whether `key` is a change's key in the serde form.
    pub fn is_key(key: &str) -> bool {
        Change::KEYS.contains(&key)
    }
}

/// Why a change was refused. The previous revision is untouched (R24).
///
/// ```
/// use groupgate::{Change, ConfigBuilder, ErrorCode, Snapshot};
/// let v1 = Snapshot::new(ConfigBuilder::new().build().unwrap());
/// let err = v1.apply(&Change::SetGroupSelection(true)).unwrap_err();
/// assert_eq!(err.code(), "no_groups");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// The change names an agent, group or schedule the configuration
    /// does not have.
    #[error(transparent)]
    Unknown(#[from] UnknownId),
    /// Unassigning an agent from a group it is not in: `not_in_group`, as
    /// the scenario format names it (a claim's `not_in_group` is a
    /// [`Reason`](crate::Reason): the agent does not see the visitor's group).
    #[error("agent `{agent}` is not a member of group `{group}`")]
    NotAMember {
        /// The agent.
        agent: AgentId,
        /// The group.
        group: GroupId,
    },
    /// Group selection needs a plan with groups (R20).
    #[error("contact-form group selection needs a plan with groups")]
    GroupsNotInPlan,
    /// The changed configuration would be invalid (R23).
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// The revision counter would overflow `u64`.
    #[error("revision counter exhausted")]
    RevisionExhausted,
    /// The account's counter of chat versions (R13) has no value left for
    /// the chats this change puts back in the queue (R14).
    #[error("chat versions are exhausted")]
    VersionExhausted,
}

/// Codes are the scenario format's; `revision_exhausted` and
/// `version_exhausted` are the library's own.
///
/// ```
/// use groupgate::{ChangeError, ErrorCode, ErrorKind};
/// assert_eq!(ChangeError::GroupsNotInPlan.code(), "groups_not_in_plan");
/// assert_eq!(ChangeError::GroupsNotInPlan.kind(), ErrorKind::Forbidden);
/// ```
impl ErrorCode for ChangeError {
    fn code(&self) -> &'static str {
        match self {
            ChangeError::Unknown(e) => e.code(),
            ChangeError::NotAMember { .. } => "not_in_group",
            ChangeError::GroupsNotInPlan => "groups_not_in_plan",
            ChangeError::Invalid(e) => e.code(),
            ChangeError::RevisionExhausted => "revision_exhausted",
            ChangeError::VersionExhausted => "version_exhausted",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            ChangeError::Unknown(e) => e.kind(),
            ChangeError::NotAMember { .. } | ChangeError::RevisionExhausted | ChangeError::VersionExhausted => {
                ErrorKind::Conflict
            }
            ChangeError::GroupsNotInPlan => ErrorKind::Forbidden,
            ChangeError::Invalid(e) => e.kind(),
        }
    }
}

impl Snapshot {
    /// Applies one change, giving the next revision, or an error and nothing
    /// else: `self` is never modified (R24).
    ///
    /// Cost: O(size of the configuration). Changes that add ids or
    /// fallbacks, or remove groups, are checked by the same code as
    /// [`ConfigBuilder::build`]; the others cannot break R23 and only look
    /// their ids up.
    ///
    /// # Errors
    ///
    /// `unknown_agent` / `unknown_group` for ids the configuration lacks,
    /// `not_a_member` for unassigning a non-member, `groups_not_in_plan`,
    /// [`ChangeError::Invalid`] when the result would break R23 or R20, and
    /// `revision_exhausted` after 2^64 − 1 revisions.
    ///
    /// ```
    /// # use groupgate::*;
    /// let v1 = Snapshot::new(ConfigBuilder::new().group(GroupSpec::new("en")).build().unwrap());
    /// let v2 = v1.apply(&Change::SetGroupSelection(true)).unwrap();
    /// assert!(v2.config().group_selection() && !v1.config().group_selection());
    /// assert_eq!(v2.apply(&Change::RemoveGroup { group: "en".parse().unwrap() }).unwrap_err().code(), "no_groups");
    /// ```
    pub fn apply(&self, change: &Change) -> Result<Snapshot, ChangeError> {
        let revision = self.revision.checked_add(1).ok_or(ChangeError::RevisionExhausted)?;
        let Some(config) = self.edit_in_place(change)? else {
            let mut raw = self.config.to_builder();
            edit_structure(&mut raw, change)?;
            return Ok(Snapshot::with_revision(raw.build()?, revision));
        };
        // A change to one agent or one group's settings patches this
        // revision; the rest recompile.
        Ok(match change {
            Change::Assign { agent, .. }
            | Change::Unassign { agent, .. }
            | Change::SetEnabled { agent, .. }
            | Change::UpdateAgent(AgentPatch { agent, .. }) => {
                self.with_agent(config, revision, self.agent_index(agent)?)
            }
            Change::UpdateGroup(patch) => self.with_group(config, revision, self.group_index(&patch.group)?),
            _ => Snapshot::with_revision(config, revision),
        })
    }

    fn agent_index(&self, id: &str) -> Result<usize, ChangeError> {
        self.agent_ix(id).ok_or_else(|| UnknownId::Agent(id.to_owned()).into())
    }

    fn group_index(&self, id: &str) -> Result<usize, ChangeError> {
        self.groups.get_index_of(id).ok_or_else(|| UnknownId::Group(id.to_owned()).into())
    }

    fn agent_in<'c>(&self, config: &'c mut Config, id: &str) -> Result<&'c mut Agent, ChangeError> {
        let ix = self.agent_index(id)?;
        config.agents.get_mut(ix).ok_or_else(|| UnknownId::Agent(id.to_owned()).into())
    }

    fn group_in<'c>(&self, config: &'c mut Config, id: &str) -> Result<&'c mut Group, ChangeError> {
        let ix = self.group_index(id)?;
        config.groups.get_mut(ix).ok_or_else(|| UnknownId::Group(id.to_owned()).into())
    }

    /// The changes that cannot break R23, made on a copy of the typed
    /// configuration; `None` for the others.
    fn edit_in_place(&self, change: &Change) -> Result<Option<Config>, ChangeError> {
        let mut config = self.config.clone();
        match change {
            Change::RemoveAgent { agent } => {
                let ix = self.agent_index(agent)?;
                config.agents.remove(ix);
            }
            Change::Assign { agent: a, group: g, tier } => {
                self.agent_index(a)?;
                let group = self.group_id(g)?;
                assign(self.agent_in(&mut config, a)?, group, *tier);
            }
            Change::Unassign { agent: a, group: g } => {
                self.agent_index(a)?;
                let group = self.group_id(g)?;
                let member = self.agent_in(&mut config, a)?;
                let before = member.memberships.len();
                member.memberships.retain(|m| m.group != group);
                if member.memberships.len() == before {
                    return Err(ChangeError::NotAMember { agent: member.id.clone(), group });
                }
            }
            Change::SetEnabled { agent, enabled } => {
                let patch = AgentPatch::new(agent.as_str()).enabled(*enabled);
                patch.apply_to(self.agent_in(&mut config, agent)?);
            }
            Change::UpdateAgent(patch) => patch.apply_to(self.agent_in(&mut config, &patch.agent)?),
            // A new fallback or schedule is checked like a new configuration (R17, R23).
            Change::UpdateGroup(patch) if patch.names_references() => return Ok(None),
            Change::UpdateGroup(patch) => {
                patch.apply_to(&mut self.group_in(&mut config, &patch.group)?.spec);
            }
            Change::SetPlan(plan) => config.plan = *plan,
            Change::SetPolicy(patch) => config.policy = patch.applied_to(config.policy),
            Change::SetGroupSelection(false) => config.group_selection = false,
            Change::AddGroup(_)
            | Change::RemoveGroup { .. }
            | Change::AddAgent(_)
            | Change::SetSchedule(_)
            | Change::RemoveSchedule { .. }
            | Change::SetGroupSelection(true) => return Ok(None),
        }
        Ok(Some(config))
    }

    /// The typed id of a group of this revision.
    fn group_id(&self, id: &str) -> Result<GroupId, ChangeError> {
        self.groups.get_key_value(id).map(|(g, _)| g.clone()).ok_or_else(|| UnknownId::Group(id.to_owned()).into())
    }
}

fn assign(agent: &mut Agent, group: GroupId, tier: Tier) {
    match agent.memberships.iter_mut().find(|m| m.group == group) {
        Some(m) => m.tier = tier,
        None => agent.memberships.push(Membership { group, tier }),
    }
}

fn group_mut<'a>(raw: &'a mut ConfigBuilder, id: &str) -> Result<&'a mut GroupSpec, ChangeError> {
    raw.groups.iter_mut().find(|g| g.id == id).ok_or_else(|| UnknownId::Group(id.to_owned()).into())
}

/// The changes that may break R23: made on the builder form and checked by
/// [`ConfigBuilder::build`].
fn edit_structure(raw: &mut ConfigBuilder, change: &Change) -> Result<(), ChangeError> {
    match change {
        Change::AddGroup(spec) => raw.groups.push(spec.clone()),
        Change::RemoveGroup { group } => remove_group(raw, group)?,
        Change::AddAgent(spec) => raw.agents.push(spec.clone()),
        Change::UpdateGroup(patch) => patch.apply_to(group_mut(raw, &patch.group)?),
        Change::SetSchedule(spec) => match raw.schedules.iter_mut().find(|s| s.id == spec.id) {
            Some(written) => *written = spec.clone(),
            None => raw.schedules.push(spec.clone()),
        },
        Change::RemoveSchedule { schedule } => remove_schedule(raw, schedule)?,
        Change::SetGroupSelection(on) => {
            if *on && !raw.plan.has_groups() {
                return Err(ChangeError::GroupsNotInPlan);
            }
            raw.contact_form.group_selection = *on;
        }
        // Made in place by `Snapshot::edit_in_place`.
        _ => {}
    }
    Ok(())
}

fn remove_group(raw: &mut ConfigBuilder, id: &str) -> Result<(), ChangeError> {
    group_mut(raw, id)?;
    raw.groups.retain(|g| g.id != id);
    for g in &mut raw.groups {
        if g.fallback.as_deref() == Some(id) {
            g.fallback = None;
        }
    }
    for a in &mut raw.agents {
        a.groups.retain(|g| g != id);
        a.tiers.shift_remove(id);
    }
    Ok(())
}

fn remove_schedule(raw: &mut ConfigBuilder, id: &str) -> Result<(), ChangeError> {
    if !raw.schedules.iter().any(|s| s.id == id) {
        return Err(UnknownId::Schedule(id.to_owned()).into());
    }
    let groups: Vec<String> =
        raw.groups.iter().filter(|g| g.schedule.as_deref() == Some(id)).map(|g| g.id.clone()).collect();
    if !groups.is_empty() {
        let problem = Problem::ScheduleInUse { schedule: id.to_string(), groups };
        return Err(ChangeError::Invalid(ConfigError::new(vec![problem])));
    }
    raw.schedules.retain(|s| s.id != id);
    Ok(())
}
