//! R11 and R12: whether an agent may claim a visitor's chat.

use super::Reason;
use super::visibility::{Visibility, visibility};
use crate::ids::AgentId;
use crate::rule::Rule;
use crate::snapshot::{AgentIx, CompiledAgent, GroupIx, Snapshot};
use crate::state::{State, Status, Visitor};

/// Whether an agent may claim a chat now, with the first failing reason of
/// R11's order.
///
/// ```
/// use groupgate::{Account, AgentSpec, ClaimCheck, ConfigBuilder, Reason, Status};
/// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
/// account.visit("v1", None).unwrap();
/// assert_eq!(account.can_claim("anna", "v1").reason(), Some(Reason::AgentOffline));
/// account.set_status("anna", Status::Online).unwrap();
/// assert!(account.can_claim("anna", "v1").is_allowed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimCheck<'a> {
    /// The claim would succeed.
    Allowed {
        /// The agent already holds the chat: claiming again changes nothing (R13).
        already_holder: bool,
    },
    /// The claim would fail.
    Denied {
        /// The first failing check of R11.
        reason: Reason,
        /// The rule that decided.
        rule: Rule,
        /// The agent holding the chat, for [`Reason::AlreadyClaimed`].
        holder: Option<&'a AgentId>,
    },
}

impl ClaimCheck<'_> {
    /// Whether allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, ClaimCheck::Allowed { .. })
    }
    /// The reason when denied.
    pub fn reason(&self) -> Option<Reason> {
        match self {
            ClaimCheck::Allowed { .. } => None,
            ClaimCheck::Denied { reason, .. } => Some(*reason),
        }
    }

    /// The rule that decided: the refusing one, R13 for a repeat claim by
    /// the holder, R11 for any other allowed claim.
    ///
    /// ```
    /// use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Rule, Status};
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en").chat_limit(0))
    ///     .agent(AgentSpec::new("bob").member("de"))
    ///     .build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert_eq!(account.can_claim("bob", "v1").rule(), Rule::R4); // not in "en"
    /// assert_eq!(account.can_claim("anna", "v1").rule(), Rule::R12); // a limit of 0
    /// ```
    pub fn rule(&self) -> Rule {
        match self {
            ClaimCheck::Allowed { already_holder: true } => Rule::R13,
            ClaimCheck::Allowed { already_holder: false } => Rule::R11,
            ClaimCheck::Denied { rule, .. } => *rule,
        }
    }
}

pub(crate) const fn denied(reason: Reason, rule: Rule) -> ClaimCheck<'static> {
    ClaimCheck::Denied { reason, rule, holder: None }
}

/// R12: the agent's limit while serving `group` — the lower of its own
/// (the compiled `chat_limit`, account default included) and the group's;
/// `None` is unlimited. The candidate indexes apply the same two parts: the
/// own limit in each agent's leaf, [`group_limit`] when a group's candidates
/// are read. O(1).
pub(crate) fn limit(snap: &Snapshot, agent: &CompiledAgent, group: Option<GroupIx>) -> Option<u32> {
    match (agent.chat_limit, group_limit(snap, group)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// R12: the per-agent limit of chats in `group` (none for ungrouped chats).
/// O(1).
pub(crate) fn group_limit(snap: &Snapshot, group: Option<GroupIx>) -> Option<u32> {
    group.and_then(|g| snap.group(g)).and_then(|(_, g)| g.chat_limit)
}

/// R11 for a chat in `group`, held by `holder` (ignored when `None`): the one
/// place the claim order is written. Cost: O(1) plus two hash lookups.
pub(crate) fn check<'a>(
    snap: &Snapshot,
    state: &'a State,
    agent: AgentIx,
    group: Option<GroupIx>,
    holder: Option<&'a AgentId>,
) -> ClaimCheck<'a> {
    let Some((id, compiled)) = snap.agent(agent) else {
        return denied(Reason::UnknownAgent, Rule::R11);
    };
    if let Visibility::Hidden { reason, rule } = visibility(compiled, group) {
        return denied(reason, rule);
    }
    match holder {
        Some(h) if h == id => return ClaimCheck::Allowed { already_holder: true },
        Some(h) => return ClaimCheck::Denied { reason: Reason::AlreadyClaimed, rule: Rule::R13, holder: Some(h) },
        None => {}
    }
    let live = state.agent_at(agent);
    if live.map_or(Status::Offline, |a| a.status()) == Status::Offline {
        return denied(Reason::AgentOffline, Rule::R11);
    }
    let load = live.map_or(0, |a| a.load());
    if limit(snap, compiled, group).is_some_and(|l| load >= l) {
        return denied(Reason::AtCapacity, Rule::R12);
    }
    ClaimCheck::Allowed { already_holder: false }
}

/// R11 for a visitor's chat on `snap` (the latest revision).
pub(crate) fn check_visitor<'a>(snap: &Snapshot, state: &'a State, agent: AgentIx, v: Visitor<'a>) -> ClaimCheck<'a> {
    let group = v.group;
    let holder = v.chat.and_then(|c| c.holder.as_ref());
    check(snap, state, agent, group, holder)
}
