//! One error vocabulary: every error type of the crate implements
//! [`ErrorCode`], giving the stable snake_case code of the scenario format
//! and an [`ErrorKind`] a host maps to its protocol.

/// What kind of failure an error is, for a host to map to its protocol
/// (HTTP 404, 409, 403, 400/422, say).
///
/// ```
/// use groupgate::{Account, ConfigBuilder, ErrorCode, ErrorKind};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap(), 0);
/// assert_eq!(account.release("ghost").unwrap_err().kind(), ErrorKind::NotFound);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ErrorKind {
    /// An id the account does not have: `unknown_agent`, `unknown_visitor`,
    /// and `unknown_group` where a group is looked up.
    NotFound,
    /// The state does not allow it now: `already_claimed`, `chat_open`,
    /// `no_chat`, `same_group`, and a counter at its end
    /// (`version_exhausted`, `revision_exhausted`).
    Conflict,
    /// The rules refuse it to this agent or visitor: a claim's or a
    /// selection's refusal (`not_in_group`, `agent_offline`,
    /// `group_not_offered`, …).
    Forbidden,
    /// The input itself is wrong: a configuration or change that breaks R23
    /// or R20, an invalid id or name.
    Invalid,
}

impl ErrorKind {
    /// The snake_case name.
    ///
    /// ```
    /// assert_eq!(groupgate::ErrorKind::NotFound.as_str(), "not_found");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Invalid => "invalid",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Implemented by every error type of the crate: the stable code (the
/// scenario format's, or one the library added — see `docs/DECISIONS.md`) and its
/// kind. A code means the same thing whichever type carries it.
///
/// ```
/// use groupgate::{ConfigBuilder, ErrorCode, ErrorKind};
/// let err = ConfigBuilder::new().group_selection(true).build().unwrap_err();
/// assert_eq!((err.code(), err.kind()), ("no_groups", ErrorKind::Invalid));
/// ```
pub trait ErrorCode: std::error::Error {
    /// The stable snake_case code.
    fn code(&self) -> &'static str;
    /// What kind of failure it is.
    fn kind(&self) -> ErrorKind;
}
