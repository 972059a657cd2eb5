//! Why an event was refused: [`ActionError`], with its stable codes.

use crate::decide::Reason;
use crate::error::{ErrorCode, ErrorKind};
use crate::ids::{AgentId, GroupId, UnknownId, VisitorId};

/// Why an event was refused. Nothing changed.
///
/// Every event may also fail with `version_exhausted`. Ids are looked up in
/// the order of the event's parameters; an id an event only looks up is
/// unknown whatever its text (text that cannot be an id names nothing), and
/// the error gives it back as written. Ids an event stores (`visit`'s) are
/// checked against R23: `invalid_id`.
///
/// ```
/// use groupgate::{Account, ConfigBuilder, ErrorCode};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap(), 0);
/// let err = account.release("ghost").unwrap_err();
/// assert_eq!((err.code(), err.to_string().as_str()), ("unknown_visitor", "unknown visitor `ghost`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// An id given to the event breaks R23's id rules, so it can name
    /// nothing.
    #[error("invalid id: {0}")]
    InvalidId(crate::IdError),
    /// An agent, visitor or group the event names does not exist.
    #[error(transparent)]
    Unknown(#[from] UnknownId),
    /// R11 refused a claim.
    #[error("claim refused: {reason}{}", .holder.as_ref().map(|h| format!(" (held by `{h}`)")).unwrap_or_default())]
    Denied {
        /// The first failing check of R11.
        reason: Reason,
        /// The holder, for `already_claimed`.
        holder: Option<AgentId>,
    },
    /// A compare-and-set claim saw another version of the chat (R13).
    #[error("chat version is {found}, not {expected}")]
    VersionMismatch {
        /// The version the caller read.
        expected: u64,
        /// The version now.
        found: u64,
    },
    /// The visitor has no chat held by an agent (release: no open chat).
    #[error("visitor `{0}` has no chat to act on")]
    NoChat(VisitorId),
    /// The visitor already has an open chat, held or queued.
    #[error("visitor `{0}` already has an open chat")]
    ChatOpen(VisitorId),
    /// A transfer to the group the chat is already in (R19).
    #[error("the chat is already in group `{0}`")]
    SameGroup(GroupId),
    /// The contact form has no group selection (switched off, or a plan
    /// without groups; R22).
    #[error("the contact form has no group selection")]
    GroupSelectionDisabled,
    /// The contact form does not offer that group now (R22).
    #[error("the contact form does not offer group `{}`", crate::ids::shown(.0))]
    GroupNotOffered(String),
    /// The account's counter of chat versions (R13) has no value left for
    /// this event: versions never repeat, so the event is refused. Also a
    /// [`restore_chat`](crate::Account::restore_chat) of a version that would leave
    /// the counter unable to move on.
    #[error("chat versions are exhausted")]
    VersionExhausted,
    /// A new visitor would pass the most visitors an account holds at once
    /// (2^26 − 1, 67,108,863).
    #[error("the account holds as many visitors as it can")]
    TooManyVisitors,
    /// A decline of a chat its holder answered (R27).
    #[error("the chat of visitor `{0}` is answered")]
    AlreadyAnswered(VisitorId),
    /// The agent acting on a chat does not hold it (R38).
    #[error("agent `{agent}` does not hold the chat of visitor `{visitor}`")]
    NotHolder {
        /// The agent that acted.
        agent: AgentId,
        /// The visitor whose chat it is.
        visitor: VisitorId,
    },
}

/// Codes are the scenario format's. A version mismatch is
/// `already_claimed`: the caller lost a race (R13).
///
/// ```
/// use groupgate::*;
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en")).agent(AgentSpec::new("anna").member("en")).build().unwrap(), 0);
/// account.visit("v1", Some("en")).unwrap();
/// let err = account.release("v1").unwrap_err();
/// assert_eq!((err.code(), err.kind()), ("no_chat", ErrorKind::Conflict));
/// ```
impl ErrorCode for ActionError {
    fn code(&self) -> &'static str {
        match self {
            ActionError::InvalidId(_) => "invalid_id",
            ActionError::Unknown(e) => e.code(),
            ActionError::Denied { reason, .. } => reason.code(),
            ActionError::VersionMismatch { .. } => "already_claimed",
            ActionError::NoChat(_) => "no_chat",
            ActionError::ChatOpen(_) => "chat_open",
            ActionError::SameGroup(_) => "same_group",
            ActionError::GroupSelectionDisabled => "group_selection_disabled",
            ActionError::GroupNotOffered(_) => "group_not_offered",
            ActionError::VersionExhausted => "version_exhausted",
            ActionError::TooManyVisitors => "too_many_visitors",
            ActionError::AlreadyAnswered(_) => "already_answered",
            ActionError::NotHolder { .. } => "not_holder",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            ActionError::Unknown(e) => e.kind(),
            ActionError::Denied { reason, .. } => reason.kind(),
            ActionError::InvalidId(_) => ErrorKind::Invalid,
            ActionError::GroupSelectionDisabled | ActionError::GroupNotOffered(_) | ActionError::NotHolder { .. } => {
                ErrorKind::Forbidden
            }
            ActionError::VersionMismatch { .. }
            | ActionError::NoChat(_)
            | ActionError::ChatOpen(_)
            | ActionError::SameGroup(_)
            | ActionError::VersionExhausted
            | ActionError::TooManyVisitors
            | ActionError::AlreadyAnswered(_) => ErrorKind::Conflict,
        }
    }
}
