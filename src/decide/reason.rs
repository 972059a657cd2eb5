//! The reason codes of decisions, shared by every decision kind.

/// Why something is refused. Codes are those of the scenario format and are
/// stable.
///
/// ```
/// assert_eq!(groupgate::Reason::AtCapacity.code(), "at_capacity");
/// assert_eq!(groupgate::Reason::NotInGroup.to_string(), "not_in_group");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The agent is disabled (R8).
    AgentDisabled,
    /// The visitor is in a group the agent does not see (R4, R5).
    NotInGroup,
    /// The visitor is ungrouped and the agent does not see ungrouped visitors (R5, R6).
    UngroupedHidden,
    /// Another agent holds the chat (R13).
    AlreadyClaimed,
    /// The agent is offline (R11).
    AgentOffline,
    /// The agent is at its chat limit (R12).
    AtCapacity,
    /// No agent with that id.
    UnknownAgent,
    /// No visitor with that id.
    UnknownVisitor,
}

impl Reason {
    /// Every reason, in declaration order.
    ///
    /// ```
    /// assert!(groupgate::Reason::ALL.iter().any(|r| r.code() == "at_capacity"));
    /// ```
    pub const ALL: &'static [Reason] = &[
        Reason::AgentDisabled,
        Reason::NotInGroup,
        Reason::UngroupedHidden,
        Reason::AlreadyClaimed,
        Reason::AgentOffline,
        Reason::AtCapacity,
        Reason::UnknownAgent,
        Reason::UnknownVisitor,
    ];

    /// The stable snake_case code.
    ///
    /// ```
    /// assert_eq!(groupgate::Reason::AlreadyClaimed.code(), "already_claimed");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Reason::AgentDisabled => "agent_disabled",
            Reason::NotInGroup => "not_in_group",
            Reason::UngroupedHidden => "ungrouped_hidden",
            Reason::AlreadyClaimed => "already_claimed",
            Reason::AgentOffline => "agent_offline",
            Reason::AtCapacity => "at_capacity",
            Reason::UnknownAgent => "unknown_agent",
            Reason::UnknownVisitor => "unknown_visitor",
        }
    }
}

impl Reason {
    /// The kind of error a refusal for this reason is, when an event fails
    /// with it: `unknown_*` are not found, `already_claimed` a conflict, the
    /// others forbidden.
    ///
    /// ```
    /// use groupgate::{ErrorKind, Reason};
    /// assert_eq!(Reason::AtCapacity.kind(), ErrorKind::Forbidden);
    /// ```
    pub fn kind(self) -> crate::ErrorKind {
        use crate::ErrorKind;
        match self {
            Reason::UnknownAgent | Reason::UnknownVisitor => ErrorKind::NotFound,
            Reason::AlreadyClaimed => ErrorKind::Conflict,
            Reason::AgentDisabled
            | Reason::NotInGroup
            | Reason::UngroupedHidden
            | Reason::AgentOffline
            | Reason::AtCapacity => ErrorKind::Forbidden,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
