//! Typed, validated identifiers (R23).
//!
//! Every id is non-empty, at most [`MAX_ID_LEN`] bytes and holds no control
//! character (Unicode category Cc). The id types are distinct so that a
//! group id can never be passed where an agent id is expected.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::{ErrorCode, ErrorKind};

/// The longest id, in bytes (R23).
///
/// ```
/// assert!(groupgate::GroupId::new(&"x".repeat(groupgate::MAX_ID_LEN)).is_ok());
/// assert!(groupgate::GroupId::new(&"x".repeat(groupgate::MAX_ID_LEN + 1)).is_err());
/// ```
pub const MAX_ID_LEN: usize = 64;

/// Why a string is not a valid id (R23).
///
/// ```
/// use groupgate::{GroupId, IdError};
/// assert_eq!("".parse::<GroupId>(), Err(IdError::Empty));
/// assert!(matches!("a\nb".parse::<GroupId>(), Err(IdError::ControlCharacter { at: 1, .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The id is the empty string.
    #[error("id is empty")]
    Empty,
    /// The id is longer than [`MAX_ID_LEN`] bytes.
    #[error("id `{shown}` is {len} bytes long, more than the {MAX_ID_LEN} allowed")]
    TooLong {
        /// The id's length in bytes.
        len: usize,
        /// The id, shortened and escaped for display.
        shown: String,
    },
    /// The id holds a control character.
    #[error("id `{shown}` holds a control character at byte {at}")]
    ControlCharacter {
        /// Byte offset of the first control character.
        at: usize,
        /// The id, shortened and escaped for display.
        shown: String,
    },
}

/// Always `invalid_id`, of kind [`Invalid`](ErrorKind::Invalid).
///
/// ```
/// use groupgate::{ErrorCode, IdError};
/// assert_eq!(IdError::Empty.code(), "invalid_id");
/// ```
impl ErrorCode for IdError {
    fn code(&self) -> &'static str {
        "invalid_id"
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

/// An id an event or a change looked up and did not find, as it was
/// written: the one "unknown" error of every event and change. Text that
/// cannot be an id (R23) names nothing, so it is unknown too. Messages show
/// the id escaped and shortened.
///
/// ```
/// use groupgate::{Account, ActionError, ConfigBuilder, ErrorCode, UnknownId};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap(), 0);
/// let err = account.refresh("ghost").unwrap_err();
/// assert_eq!(err, ActionError::Unknown(UnknownId::Agent("ghost".into())));
/// assert_eq!((err.code(), err.to_string().as_str()), ("unknown_agent", "unknown agent `ghost`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UnknownId {
    /// No agent with that id (in the latest revision).
    #[error("unknown agent `{}`", shown(.0))]
    Agent(String),
    /// No visitor with that id on the site.
    #[error("unknown visitor `{}`", shown(.0))]
    Visitor(String),
    /// No group with that id that works in the latest revision (R1, R3).
    #[error("unknown group `{}`", shown(.0))]
    Group(String),
    /// No schedule with that id (R30).
    #[error("unknown schedule `{}`", shown(.0))]
    Schedule(String),
}

impl UnknownId {
    /// The id as it was written.
    pub fn id(&self) -> &str {
        match self {
            UnknownId::Agent(id) | UnknownId::Visitor(id) | UnknownId::Group(id) | UnknownId::Schedule(id) => id,
        }
    }
}

/// `unknown_agent`, `unknown_visitor`, `unknown_group`, `unknown_schedule`;
/// always of kind [`NotFound`](ErrorKind::NotFound).
impl ErrorCode for UnknownId {
    fn code(&self) -> &'static str {
        match self {
            UnknownId::Agent(_) => "unknown_agent",
            UnknownId::Visitor(_) => "unknown_visitor",
            UnknownId::Group(_) => "unknown_group",
            UnknownId::Schedule(_) => "unknown_schedule",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::NotFound
    }
}

/// Checks a candidate id against R23.
///
/// Cost: O(length of `s`), no allocation unless the id is invalid.
///
/// # Errors
///
/// [`IdError`]: empty, over 64 bytes, or holding a control character.
///
/// ```
/// assert!(groupgate::check_id("support-en").is_ok());
/// assert!(groupgate::check_id(&"x".repeat(65)).is_err());
/// ```
pub fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { len: s.len(), shown: shown(s) });
    }
    if let Some((at, _)) = s.char_indices().find(|(_, c)| c.is_control()) {
        return Err(IdError::ControlCharacter { at, shown: shown(s) });
    }
    Ok(())
}

/// An id shortened to [`MAX_ID_LEN`] characters and escaped, fit for an error message.
pub(crate) fn shown(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().take(MAX_ID_LEN) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if s.chars().count() > MAX_ID_LEN {
        out.push('…');
    }
    out
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Validates `s` (R23) and makes an id of it.
            ///
            /// Cost: O(length), one allocation.
            ///
            /// # Errors
            ///
            /// [`IdError`] when `s` breaks R23's id rules ([`check_id`]).
            ///
            /// ```
            #[doc = concat!("let id = groupgate::", stringify!($name), "::new(\"", $example, "\").unwrap();")]
            #[doc = concat!("assert_eq!(id.as_str(), \"", $example, "\");")]
            #[doc = concat!("assert!(groupgate::", stringify!($name), "::new(\"\").is_err());")]
            /// ```
            pub fn new(s: &str) -> Result<Self, IdError> {
                check_id(s)?;
                Ok(Self(Arc::from(s)))
            }

            /// The id as a string slice. Cost: O(1).
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// An id of text that was a valid id when it was stored (R23
            /// checked then). Cost: O(length), one allocation.
            #[allow(dead_code, reason = "used for visitor and agent ids only")]
            pub(crate) fn stored(s: &str) -> Self {
                Self(Arc::from(s))
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(&s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::new(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

define_id!(
    /// A group's id: the `GROUP_ID` of a page's `smartsupp('group', 'GROUP_ID')` code.
    ///
    /// ```
    /// let g: groupgate::GroupId = "support-en".parse().unwrap();
    /// assert_eq!(g.to_string(), "support-en");
    /// ```
    GroupId,
    "support-en"
);

define_id!(
    /// An agent's id.
    ///
    /// ```
    /// let a: groupgate::AgentId = "anna".parse().unwrap();
    /// assert_eq!(a, "anna");
    /// ```
    AgentId,
    "anna"
);

define_id!(
    /// A schedule's id (R30).
    ///
    /// ```
    /// let s: groupgate::ScheduleId = "office-cz".parse().unwrap();
    /// assert_eq!(s.as_str(), "office-cz");
    /// ```
    ScheduleId,
    "office-cz"
);

define_id!(
    /// A visitor's id.
    ///
    /// ```
    /// let v: groupgate::VisitorId = "v1".parse().unwrap();
    /// assert_eq!(v.as_str(), "v1");
    /// ```
    VisitorId,
    "v1"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r23_boundaries() {
        assert!(GroupId::new(&"a".repeat(64)).is_ok());
        assert!(matches!(GroupId::new(&"a".repeat(65)), Err(IdError::TooLong { len: 65, .. })));
        assert_eq!(GroupId::new(""), Err(IdError::Empty));
        assert!(matches!(AgentId::new("a\u{7f}"), Err(IdError::ControlCharacter { at: 1, .. })));
        // Multi-byte: 16 four-byte characters is exactly 64 bytes.
        assert!(VisitorId::new(&"😀".repeat(16)).is_ok());
        assert!(VisitorId::new(&"😀".repeat(17)).is_err());
        // Non-control Unicode is fine.
        assert!(GroupId::new("Support DE – Ü").is_ok());
    }

    #[test]
    fn r23_hostile_ids_give_short_messages() {
        let huge = "\u{1}".repeat(10_000);
        let err = GroupId::new(&huge).unwrap_err();
        let msg = err.to_string();
        assert!(msg.len() < 600, "message is {} bytes", msg.len());
        assert!(msg.contains("10000 bytes"));
    }
}
