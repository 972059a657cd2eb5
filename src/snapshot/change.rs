//! Configuration changes: each gives a new revision or a typed error (R9, R24).

use super::Snapshot;
use crate::config::{AgentSpec, ConfigBuilder, ConfigError, GroupSpec, Plan, Policy, Role, Tier};
use crate::ids::{AgentId, GroupId};

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
/// assert_eq!(v2.config().agents()[0].tier_in("en"), Some(Tier::First));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Ends a membership; `not_in_group` for a non-member.
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
    /// Sets the plan (R1).
    SetPlan(Plan),
    /// Replaces the policies.
    SetPolicy(Policy),
    /// Turns contact-form group selection on or off (R20).
    SetGroupSelection(bool),
}

/// Why a change was refused. The previous revision is untouched (R24).
///
/// ```
/// use groupgate::{Change, ConfigBuilder, Snapshot};
/// let v1 = Snapshot::new(ConfigBuilder::new().build().unwrap());
/// let err = v1.apply(&Change::SetGroupSelection(true)).unwrap_err();
/// assert_eq!(err.code(), "no_groups");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// The change names an agent the configuration does not have.
    #[error("unknown agent `{agent}`")]
    UnknownAgent {
        /// The agent.
        agent: AgentId,
    },
    /// The change names a group the configuration does not have.
    #[error("unknown group `{group}`")]
    UnknownGroup {
        /// The group.
        group: GroupId,
    },
    /// Unassigning an agent from a group it is not in.
    #[error("agent `{agent}` is not a member of group `{group}`")]
    NotInGroup {
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
}

impl ChangeError {
    /// The stable code of the scenario format.
    pub fn code(&self) -> &'static str {
        match self {
            ChangeError::UnknownAgent { .. } => "unknown_agent",
            ChangeError::UnknownGroup { .. } => "unknown_group",
            ChangeError::NotInGroup { .. } => "not_in_group",
            ChangeError::GroupsNotInPlan => "groups_not_in_plan",
            ChangeError::Invalid(e) => e.code(),
            ChangeError::RevisionExhausted => "revision_exhausted",
        }
    }
}

impl Snapshot {
    /// Applies one change, giving the next revision, or an error and nothing
    /// else: `self` is never modified (R24).
    ///
    /// Cost: O(size of the configuration): the new revision is rebuilt and
    /// checked by the same code as [`ConfigBuilder::build`].
    pub fn apply(&self, change: &Change) -> Result<Snapshot, ChangeError> {
        let revision = self.revision.checked_add(1).ok_or(ChangeError::RevisionExhausted)?;
        let mut raw = self.config.to_builder();
        edit(&mut raw, change)?;
        Ok(Snapshot::with_revision(raw.build()?, revision))
    }
}

fn agent_mut<'a>(raw: &'a mut ConfigBuilder, id: &AgentId) -> Result<&'a mut AgentSpec, ChangeError> {
    raw.agents.iter_mut().find(|a| a.id == id.as_str()).ok_or_else(|| ChangeError::UnknownAgent { agent: id.clone() })
}

fn group_mut<'a>(raw: &'a mut ConfigBuilder, id: &GroupId) -> Result<&'a mut GroupSpec, ChangeError> {
    raw.groups.iter_mut().find(|g| g.id == id.as_str()).ok_or_else(|| ChangeError::UnknownGroup { group: id.clone() })
}

fn edit(raw: &mut ConfigBuilder, change: &Change) -> Result<(), ChangeError> {
    match change {
        Change::AddGroup(spec) => raw.groups.push(spec.clone()),
        Change::RemoveGroup(id) => remove_group(raw, id)?,
        Change::AddAgent(spec) => raw.agents.push(spec.clone()),
        Change::RemoveAgent(id) => {
            agent_mut(raw, id)?;
            raw.agents.retain(|a| a.id != id.as_str());
        }
        Change::Assign { agent, group, tier } => assign(raw, agent, group, *tier)?,
        Change::Unassign { agent, group } => unassign(raw, agent, group)?,
        Change::SetEnabled { agent, enabled } => agent_mut(raw, agent)?.enabled = *enabled,
        Change::SetRole { agent, role } => agent_mut(raw, agent)?.role = *role,
        Change::SetAgentChatLimit { agent, limit } => agent_mut(raw, agent)?.chat_limit = *limit,
        Change::SetGroupChatLimit { group, limit } => group_mut(raw, group)?.chat_limit = *limit,
        Change::SetFallback { group, fallback } => {
            group_mut(raw, group)?.fallback = fallback.as_ref().map(GroupId::to_string);
        }
        Change::SetInContactForm { group, offered } => group_mut(raw, group)?.in_contact_form = *offered,
        Change::SetPlan(plan) => raw.plan = *plan,
        Change::SetPolicy(policy) => raw.policy = *policy,
        Change::SetGroupSelection(on) => {
            if *on && !raw.plan.has_groups() {
                return Err(ChangeError::GroupsNotInPlan);
            }
            raw.contact_form.group_selection = *on;
        }
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

fn assign(raw: &mut ConfigBuilder, agent: &AgentId, group: &GroupId, tier: Tier) -> Result<(), ChangeError> {
    agent_mut(raw, agent)?;
    group_mut(raw, group)?;
    let spec = agent_mut(raw, agent)?;
    if !spec.groups.iter().any(|g| g == group.as_str()) {
        spec.groups.push(group.to_string());
    }
    if tier == Tier::Normal {
        spec.tiers.shift_remove(group.as_str());
    } else {
        spec.tiers.insert(group.to_string(), tier);
    }
    Ok(())
}

fn unassign(raw: &mut ConfigBuilder, agent: &AgentId, group: &GroupId) -> Result<(), ChangeError> {
    agent_mut(raw, agent)?;
    group_mut(raw, group)?;
    let spec = agent_mut(raw, agent)?;
    if !spec.groups.iter().any(|g| g == group.as_str()) {
        return Err(ChangeError::NotInGroup { agent: agent.clone(), group: group.clone() });
    }
    spec.groups.retain(|g| g != group.as_str());
    spec.tiers.shift_remove(group.as_str());
    Ok(())
}
