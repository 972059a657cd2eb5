//! Configuration changes: each gives a new revision or a typed error (R9, R24).

use super::Snapshot;
use crate::config::{
    Agent, AgentPatch, AgentSpec, Config, ConfigBuilder, ConfigError, Group, GroupPatch, GroupSpec, Membership, Plan,
    Policy, PolicyPatch, Problem, Role, ScheduleSpec, Tier,
};
use crate::error::{ErrorCode, ErrorKind};
use crate::ids::{AgentId, GroupId, ScheduleId};

/// One change to an account's configuration.
///
/// ```
/// use groupgate::{Change, ConfigBuilder, GroupSpec, AgentSpec, Snapshot, Tier};
/// let v1 = Snapshot::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en"))
///     .agent(AgentSpec::new("anna"))
///     .build().unwrap());
/// let assign = Change::Assign { agent: "anna".parse().unwrap(), group: "en".parse().unwrap(), tier: Tier::First };
/// let v2 = v1.apply(&assign).unwrap();
/// assert_eq!(v2.config().agents().get(0).unwrap().tier_in("en"), Some(Tier::First));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(from = "wire::Change", into = "wire::Change"))]
#[non_exhaustive]
pub enum Change {
    /// Appends a group at the end of the order.
    AddGroup(GroupSpec),
    /// Removes a group, and the memberships and fallbacks naming it (R3).
    RemoveGroup(GroupId),
    /// Appends an agent at the end of the order.
    AddAgent(AgentSpec),
    /// Removes an agent (its chats go back to the queue, R14).
    RemoveAgent(AgentId),
    /// Makes the agent a member with this tier; for a member, only sets the tier.
    Assign {
        /// The agent.
        agent: AgentId,
        /// The group.
        group: GroupId,
        /// The tier.
        tier: Tier,
    },
    /// Ends a membership; `not_a_member` for a non-member.
    Unassign {
        /// The agent.
        agent: AgentId,
        /// The group.
        group: GroupId,
    },
    /// Enables or disables an agent (R8).
    SetEnabled {
        /// The agent.
        agent: AgentId,
        /// The new flag.
        enabled: bool,
    },
    /// Sets an agent's role (R7).
    SetRole {
        /// The agent.
        agent: AgentId,
        /// The new role.
        role: Role,
    },
    /// Sets an agent's own chat limit (R12).
    SetAgentChatLimit {
        /// The agent.
        agent: AgentId,
        /// The new limit; `None` uses the account default.
        limit: Option<u32>,
    },
    /// Sets a group's per-agent chat limit (R12).
    SetGroupChatLimit {
        /// The group.
        group: GroupId,
        /// The new limit; `None` is unlimited.
        limit: Option<u32>,
    },
    /// Sets or clears a group's fallback (R17).
    SetFallback {
        /// The group.
        group: GroupId,
        /// The new fallback.
        fallback: Option<GroupId>,
    },
    /// Sets whether the contact form offers a group (R21).
    SetInContactForm {
        /// The group.
        group: GroupId,
        /// Offered or not.
        offered: bool,
    },
    /// Changes the settings a patch gives of one group, in one revision;
    /// the group keeps its place.
    UpdateGroup {
        /// The group.
        group: GroupId,
        /// What to change.
        patch: GroupPatch,
    },
    /// Changes the settings a patch gives of one agent, in one revision.
    UpdateAgent {
        /// The agent.
        agent: AgentId,
        /// What to change.
        patch: AgentPatch,
    },
    /// Sets the plan (R1).
    SetPlan(Plan),
    /// Replaces the policies.
    SetPolicy(Policy),
    /// Changes the policies given, keeping the others.
    UpdatePolicy(PolicyPatch),
    /// Turns contact-form group selection on or off (R20).
    SetGroupSelection(bool),
    /// Adds a schedule at the end, or replaces the one with its id in
    /// place (R30).
    SetSchedule(ScheduleSpec),
    /// Removes a schedule; `unknown_schedule` when there is none by that
    /// id, `schedule_in_use` while a group follows it (R30).
    RemoveSchedule(ScheduleId),
}

/// The serde form of [`Change`]: the scenario format's configuration steps
/// (`{"assign": {"agent": "bob", "group": "de", "tier": "normal"}}`), and
/// for changes the format has no step for, the same shape under their own
/// names. `set_policy` changes the fields given, as the format's step
/// does; `replace_policy` carries a whole policy.
#[cfg(feature = "serde")]
mod wire {
    use crate::config::{
        AgentPatch, AgentSpec, GroupPatch, GroupSpec, Plan, Policy, PolicyPatch, Role, ScheduleSpec, Tier,
    };
    use crate::ids::{AgentId, GroupId, ScheduleId};

    use crate::config::present;

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    pub(super) enum Change {
        AddGroup(GroupSpec),
        RemoveGroup {
            group: GroupId,
        },
        AddAgent(AgentSpec),
        RemoveAgent {
            agent: AgentId,
        },
        Assign {
            agent: AgentId,
            group: GroupId,
            #[serde(default)]
            tier: Tier,
        },
        Unassign {
            agent: AgentId,
            group: GroupId,
        },
        SetEnabled {
            agent: AgentId,
            enabled: bool,
        },
        SetRole {
            agent: AgentId,
            role: Role,
        },
        SetAgentChatLimit {
            agent: AgentId,
            chat_limit: Option<u32>,
        },
        SetGroupChatLimit {
            group: GroupId,
            chat_limit: Option<u32>,
        },
        SetFallback {
            group: GroupId,
            fallback: Option<GroupId>,
        },
        SetInContactForm {
            group: GroupId,
            in_contact_form: bool,
        },
        UpdateGroup {
            group: GroupId,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            name: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            in_contact_form: Option<bool>,
            #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
            fallback: Option<Option<String>>,
            #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
            chat_limit: Option<Option<u32>>,
            #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
            overflow_after: Option<Option<u64>>,
            #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
            schedule: Option<Option<String>>,
        },
        UpdateAgent {
            agent: AgentId,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            role: Option<Role>,
            #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
            chat_limit: Option<Option<u32>>,
        },
        SetPlan(Plan),
        ReplacePolicy(Policy),
        SetPolicy(PolicyPatch),
        SetGroupSelection(bool),
        SetSchedule(ScheduleSpec),
        RemoveSchedule {
            schedule: ScheduleId,
        },
    }

    impl From<Change> for super::Change {
        fn from(w: Change) -> Self {
            use super::Change as C;
            match w {
                Change::AddGroup(g) => C::AddGroup(g),
                Change::RemoveGroup { group } => C::RemoveGroup(group),
                Change::AddAgent(a) => C::AddAgent(a),
                Change::RemoveAgent { agent } => C::RemoveAgent(agent),
                Change::Assign { agent, group, tier } => C::Assign { agent, group, tier },
                Change::Unassign { agent, group } => C::Unassign { agent, group },
                Change::SetEnabled { agent, enabled } => C::SetEnabled { agent, enabled },
                Change::SetRole { agent, role } => C::SetRole { agent, role },
                Change::SetAgentChatLimit { agent, chat_limit } => C::SetAgentChatLimit { agent, limit: chat_limit },
                Change::SetGroupChatLimit { group, chat_limit } => C::SetGroupChatLimit { group, limit: chat_limit },
                Change::SetFallback { group, fallback } => C::SetFallback { group, fallback },
                Change::SetInContactForm { group, in_contact_form } => {
                    C::SetInContactForm { group, offered: in_contact_form }
                }
                Change::UpdateGroup {
                    group,
                    name,
                    in_contact_form,
                    fallback,
                    chat_limit,
                    overflow_after,
                    schedule,
                } => {
                    let patch = GroupPatch { name, in_contact_form, fallback, chat_limit, overflow_after, schedule };
                    C::UpdateGroup { group, patch }
                }
                Change::UpdateAgent { agent, role, chat_limit } => {
                    C::UpdateAgent { agent, patch: AgentPatch { role, chat_limit } }
                }
                Change::SetPlan(p) => C::SetPlan(p),
                Change::ReplacePolicy(p) => C::SetPolicy(p),
                Change::SetPolicy(p) => C::UpdatePolicy(p),
                Change::SetGroupSelection(on) => C::SetGroupSelection(on),
                Change::SetSchedule(spec) => C::SetSchedule(spec),
                Change::RemoveSchedule { schedule } => C::RemoveSchedule(schedule),
            }
        }
    }

    impl From<super::Change> for Change {
        fn from(c: super::Change) -> Self {
            use super::Change as C;
            match c {
                C::AddGroup(g) => Change::AddGroup(g),
                C::RemoveGroup(group) => Change::RemoveGroup { group },
                C::AddAgent(a) => Change::AddAgent(a),
                C::RemoveAgent(agent) => Change::RemoveAgent { agent },
                C::Assign { agent, group, tier } => Change::Assign { agent, group, tier },
                C::Unassign { agent, group } => Change::Unassign { agent, group },
                C::SetEnabled { agent, enabled } => Change::SetEnabled { agent, enabled },
                C::SetRole { agent, role } => Change::SetRole { agent, role },
                C::SetAgentChatLimit { agent, limit } => Change::SetAgentChatLimit { agent, chat_limit: limit },
                C::SetGroupChatLimit { group, limit } => Change::SetGroupChatLimit { group, chat_limit: limit },
                C::SetFallback { group, fallback } => Change::SetFallback { group, fallback },
                C::SetInContactForm { group, offered } => Change::SetInContactForm { group, in_contact_form: offered },
                C::UpdateGroup { group, patch } => Change::UpdateGroup {
                    group,
                    name: patch.name,
                    in_contact_form: patch.in_contact_form,
                    fallback: patch.fallback,
                    chat_limit: patch.chat_limit,
                    overflow_after: patch.overflow_after,
                    schedule: patch.schedule,
                },
                C::UpdateAgent { agent, patch } => {
                    Change::UpdateAgent { agent, role: patch.role, chat_limit: patch.chat_limit }
                }
                C::SetPlan(p) => Change::SetPlan(p),
                C::SetPolicy(p) => Change::ReplacePolicy(p),
                C::UpdatePolicy(p) => Change::SetPolicy(p),
                C::SetGroupSelection(on) => Change::SetGroupSelection(on),
                C::SetSchedule(spec) => Change::SetSchedule(spec),
                C::RemoveSchedule(schedule) => Change::RemoveSchedule { schedule },
            }
        }
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
    /// The change names an agent the configuration does not have.
    #[error("unknown agent `{0}`")]
    UnknownAgent(AgentId),
    /// The change names a group the configuration does not have.
    #[error("unknown group `{0}`")]
    UnknownGroup(GroupId),
    /// The change names a schedule the configuration does not have (R30).
    #[error("unknown schedule `{0}`")]
    UnknownSchedule(ScheduleId),
    /// Unassigning an agent from a group it is not in: `not_a_member`, a
    /// code of the library's own (a claim's `not_in_group` means the agent
    /// does not see the visitor's group). The scenario format calls this
    /// step's failure `not_in_group`; its runner says so.
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
            ChangeError::UnknownAgent(_) => "unknown_agent",
            ChangeError::UnknownGroup(_) => "unknown_group",
            ChangeError::UnknownSchedule(_) => "unknown_schedule",
            ChangeError::NotAMember { .. } => "not_a_member",
            ChangeError::GroupsNotInPlan => "groups_not_in_plan",
            ChangeError::Invalid(e) => e.code(),
            ChangeError::RevisionExhausted => "revision_exhausted",
            ChangeError::VersionExhausted => "version_exhausted",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            ChangeError::UnknownAgent(_) | ChangeError::UnknownGroup(_) | ChangeError::UnknownSchedule(_) => {
                ErrorKind::NotFound
            }
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
    /// assert_eq!(v2.apply(&Change::RemoveGroup("en".parse().unwrap())).unwrap_err().code(), "no_groups");
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
            | Change::SetRole { agent, .. }
            | Change::SetAgentChatLimit { agent, .. }
            | Change::UpdateAgent { agent, .. } => self.with_agent(config, revision, self.agent_index(agent)?),
            Change::SetGroupChatLimit { group, .. }
            | Change::SetInContactForm { group, .. }
            | Change::UpdateGroup { group, .. } => self.with_group(config, revision, self.group_index(group)?),
            _ => Snapshot::with_revision(config, revision),
        })
    }

    fn agent_index(&self, id: &AgentId) -> Result<usize, ChangeError> {
        self.agent_ix(id.as_str()).ok_or_else(|| ChangeError::UnknownAgent(id.clone()))
    }

    fn group_index(&self, id: &GroupId) -> Result<usize, ChangeError> {
        self.groups.get_index_of(id.as_str()).ok_or_else(|| ChangeError::UnknownGroup(id.clone()))
    }

    fn agent_in<'c>(&self, config: &'c mut Config, id: &AgentId) -> Result<&'c mut Agent, ChangeError> {
        let ix = self.agent_index(id)?;
        config.agents.get_mut(ix).ok_or_else(|| ChangeError::UnknownAgent(id.clone()))
    }

    fn group_in<'c>(&self, config: &'c mut Config, id: &GroupId) -> Result<&'c mut Group, ChangeError> {
        let ix = self.group_index(id)?;
        config.groups.get_mut(ix).ok_or_else(|| ChangeError::UnknownGroup(id.clone()))
    }

    /// The changes that cannot break R23, made on a copy of the typed
    /// configuration; `None` for the others.
    fn edit_in_place(&self, change: &Change) -> Result<Option<Config>, ChangeError> {
        let mut config = self.config.clone();
        match change {
            Change::RemoveAgent(id) => {
                let ix = self.agent_index(id)?;
                config.agents.remove(ix);
            }
            Change::Assign { agent: a, group: g, tier } => {
                self.agent_index(a)?;
                self.group_index(g)?;
                assign(self.agent_in(&mut config, a)?, g, *tier);
            }
            Change::Unassign { agent: a, group: g } => {
                self.agent_index(a)?;
                self.group_index(g)?;
                let member = self.agent_in(&mut config, a)?;
                let before = member.memberships.len();
                member.memberships.retain(|m| m.group != *g);
                if member.memberships.len() == before {
                    return Err(ChangeError::NotAMember { agent: a.clone(), group: g.clone() });
                }
            }
            Change::SetEnabled { agent: a, enabled } => self.agent_in(&mut config, a)?.enabled = *enabled,
            Change::SetRole { agent: a, role } => self.agent_in(&mut config, a)?.role = *role,
            Change::SetAgentChatLimit { agent: a, limit } => self.agent_in(&mut config, a)?.chat_limit = *limit,
            Change::SetGroupChatLimit { group: g, limit } => self.group_in(&mut config, g)?.chat_limit = *limit,
            Change::SetInContactForm { group: g, offered } => self.group_in(&mut config, g)?.in_contact_form = *offered,
            Change::UpdateAgent { agent: a, patch } => {
                let agent = self.agent_in(&mut config, a)?;
                agent.role = patch.role.unwrap_or(agent.role);
                agent.chat_limit = patch.chat_limit.unwrap_or(agent.chat_limit);
            }
            // A new fallback is checked like a new configuration (R17, R23).
            Change::UpdateGroup { patch, .. }
                if patch.fallback.is_some() || matches!(patch.schedule, Some(Some(_))) =>
            {
                return Ok(None);
            }
            Change::UpdateGroup { group: g, patch } => {
                let group = self.group_in(&mut config, g)?;
                if patch.schedule.is_some() {
                    // Only clearing it comes here.
                    group.schedule = None;
                }
                group.name = patch.name.clone().unwrap_or_else(|| group.name.clone());
                group.in_contact_form = patch.in_contact_form.unwrap_or(group.in_contact_form);
                group.chat_limit = patch.chat_limit.unwrap_or(group.chat_limit);
                group.overflow_after = patch.overflow_after.unwrap_or(group.overflow_after);
            }
            Change::SetPlan(plan) => config.plan = *plan,
            Change::SetPolicy(policy) => config.policy = *policy,
            Change::UpdatePolicy(patch) => config.policy = patch.applied_to(config.policy),
            Change::SetGroupSelection(false) => config.group_selection = false,
            Change::AddGroup(_)
            | Change::RemoveGroup(_)
            | Change::AddAgent(_)
            | Change::SetFallback { .. }
            | Change::SetSchedule(_)
            | Change::RemoveSchedule(_)
            | Change::SetGroupSelection(true) => return Ok(None),
        }
        Ok(Some(config))
    }
}

fn assign(agent: &mut Agent, group: &GroupId, tier: Tier) {
    match agent.memberships.iter_mut().find(|m| m.group == *group) {
        Some(m) => m.tier = tier,
        None => agent.memberships.push(Membership { group: group.clone(), tier }),
    }
}

fn group_mut<'a>(raw: &'a mut ConfigBuilder, id: &GroupId) -> Result<&'a mut GroupSpec, ChangeError> {
    raw.groups.iter_mut().find(|g| g.id == id.as_str()).ok_or_else(|| ChangeError::UnknownGroup(id.clone()))
}

/// The changes that may break R23: made on the builder form and checked by
/// [`ConfigBuilder::build`].
fn edit_structure(raw: &mut ConfigBuilder, change: &Change) -> Result<(), ChangeError> {
    match change {
        Change::AddGroup(spec) => raw.groups.push(spec.clone()),
        Change::RemoveGroup(id) => remove_group(raw, id)?,
        Change::AddAgent(spec) => raw.agents.push(spec.clone()),
        Change::SetFallback { group, fallback } => {
            group_mut(raw, group)?.fallback = fallback.as_ref().map(GroupId::to_string);
        }
        Change::UpdateGroup { group, patch } => {
            let spec = group_mut(raw, group)?;
            spec.name = patch.name.clone().or_else(|| spec.name.clone());
            spec.in_contact_form = patch.in_contact_form.unwrap_or(spec.in_contact_form);
            spec.fallback = patch.fallback.clone().unwrap_or_else(|| spec.fallback.clone());
            spec.chat_limit = patch.chat_limit.unwrap_or(spec.chat_limit);
            spec.overflow_after = patch.overflow_after.unwrap_or(spec.overflow_after);
            spec.schedule = patch.schedule.clone().unwrap_or_else(|| spec.schedule.clone());
        }
        Change::SetSchedule(spec) => match raw.schedules.iter_mut().find(|s| s.id == spec.id) {
            Some(written) => *written = spec.clone(),
            None => raw.schedules.push(spec.clone()),
        },
        Change::RemoveSchedule(id) => remove_schedule(raw, id)?,
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

fn remove_group(raw: &mut ConfigBuilder, id: &GroupId) -> Result<(), ChangeError> {
    group_mut(raw, id)?;
    raw.groups.retain(|g| g.id != id.as_str());
    for g in &mut raw.groups {
        if g.fallback.as_deref() == Some(id.as_str()) {
            g.fallback = None;
        }
    }
    for a in &mut raw.agents {
        a.groups.retain(|g| g != id.as_str());
        a.tiers.shift_remove(id.as_str());
    }
    Ok(())
}

fn remove_schedule(raw: &mut ConfigBuilder, id: &ScheduleId) -> Result<(), ChangeError> {
    if !raw.schedules.iter().any(|s| s.id == id.as_str()) {
        return Err(ChangeError::UnknownSchedule(id.clone()));
    }
    let groups: Vec<String> =
        raw.groups.iter().filter(|g| g.schedule.as_deref() == Some(id.as_str())).map(|g| g.id.clone()).collect();
    if !groups.is_empty() {
        let problem = Problem::ScheduleInUse { schedule: id.to_string(), groups };
        return Err(ChangeError::Invalid(ConfigError::new(vec![problem])));
    }
    raw.schedules.retain(|s| s.id != id.as_str());
    Ok(())
}
