//! Configuration problems (R23): every one named, all reported at once.

use std::fmt;

use super::HoursError;
use crate::error::{ErrorCode, ErrorKind};
use crate::ids::IdError;

/// Where an invalid id was written.
///
/// ```
/// use groupgate::IdPlace;
/// assert_eq!(IdPlace::Group.to_string(), "group id");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdPlace {
    /// A group's own id.
    Group,
    /// An agent's own id.
    Agent,
    /// A membership of the named agent.
    Membership {
        /// The agent (shortened and escaped).
        agent: String,
    },
    /// A tier entry of the named agent.
    Tier {
        /// The agent (shortened and escaped).
        agent: String,
    },
    /// The fallback of the named group.
    Fallback {
        /// The group (shortened and escaped).
        group: String,
    },
    /// A schedule's own id (R30).
    Schedule,
    /// The schedule the named group follows (R30).
    GroupSchedule {
        /// The group (shortened and escaped).
        group: String,
    },
}

impl fmt::Display for IdPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdPlace::Group => f.write_str("group id"),
            IdPlace::Agent => f.write_str("agent id"),
            IdPlace::Membership { agent } => write!(f, "membership of agent `{agent}`"),
            IdPlace::Tier { agent } => write!(f, "tier of agent `{agent}`"),
            IdPlace::Fallback { group } => write!(f, "fallback of group `{group}`"),
            IdPlace::Schedule => f.write_str("schedule id"),
            IdPlace::GroupSchedule { group } => write!(f, "schedule of group `{group}`"),
        }
    }
}

/// One thing wrong with a configuration. Ids are shortened and escaped for
/// display when they are themselves invalid.
///
/// ```
/// use groupgate::{ErrorCode, Problem};
/// let p = Problem::DuplicateAgent { agent: "anna".into() };
/// assert_eq!(p.code(), "duplicate_agent");
/// assert_eq!(p.to_string(), "agent `anna` is defined more than once");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// An id breaks R23.
    #[error("invalid {place}: {error}")]
    InvalidId {
        /// Where the id was written.
        place: IdPlace,
        /// What is wrong with it.
        error: IdError,
    },
    /// Two groups share an id.
    #[error("group `{group}` is defined more than once")]
    DuplicateGroup {
        /// The repeated id.
        group: String,
    },
    /// An agent lists a group twice in its memberships.
    #[error("agent `{agent}` lists group `{group}` more than once")]
    DuplicateMembership {
        /// The agent.
        agent: String,
        /// The repeated group.
        group: String,
    },
    /// Two agents share an id.
    #[error("agent `{agent}` is defined more than once")]
    DuplicateAgent {
        /// The repeated id.
        agent: String,
    },
    /// A membership names a group the account does not have.
    #[error("agent `{agent}` is a member of unknown group `{group}`")]
    UnknownMembership {
        /// The agent.
        agent: String,
        /// The missing group.
        group: String,
    },
    /// A tier names a group the agent is not a member of.
    #[error("agent `{agent}` has a tier for group `{group}`, which is not one of its groups")]
    UnknownTier {
        /// The agent.
        agent: String,
        /// The group.
        group: String,
    },
    /// A fallback names a group the account does not have.
    #[error("group `{group}` falls back to unknown group `{fallback}`")]
    UnknownFallback {
        /// The group.
        group: String,
        /// The missing fallback.
        fallback: String,
    },
    /// Two schedules share an id (R30).
    #[error("schedule `{schedule}` is defined more than once")]
    DuplicateSchedule {
        /// The repeated id.
        schedule: String,
    },
    /// A group follows a schedule the account does not have (R30).
    #[error("group `{group}` follows unknown schedule `{schedule}`")]
    UnknownSchedule {
        /// The group.
        group: String,
        /// The missing schedule.
        schedule: String,
    },
    /// A schedule's time zone or hours are wrong (R30): its code is the
    /// error's, `unknown_time_zone` or `invalid_hours`.
    #[error("schedule `{schedule}`: {error}")]
    InvalidSchedule {
        /// The schedule.
        schedule: String,
        /// What is wrong.
        error: HoursError,
    },
    /// A change removes a schedule that groups still follow (R30).
    #[error("schedule `{schedule}` is followed by {}", Listed(groups))]
    ScheduleInUse {
        /// The schedule.
        schedule: String,
        /// The groups following it, in configuration order.
        groups: Vec<String>,
    },
    /// Fallbacks form a loop (R17); the groups are listed in chain order.
    #[error("fallback cycle: {}", Chain(groups))]
    FallbackCycle {
        /// The groups of the loop, in chain order, starting with the first in
        /// configuration order.
        groups: Vec<String>,
    },
    /// Group selection is on but there is no group (R20).
    #[error("contact-form group selection is enabled but the account has no groups")]
    NoGroups,
}

/// Groups named in a message: "group `a`", "groups `a`, `b`".
struct Listed<'a>(&'a [String]);

impl fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.len() == 1 { "group " } else { "groups " })?;
        for (i, group) in self.0.iter().enumerate() {
            write!(f, "{}`{group}`", if i == 0 { "" } else { ", " })?;
        }
        Ok(())
    }
}

struct Chain<'a>(&'a [String]);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for group in self.0 {
            write!(f, "`{group}` → ")?;
        }
        match self.0.first() {
            Some(first) => write!(f, "`{first}`"),
            None => Ok(()),
        }
    }
}

/// Codes are the scenario format's; every problem is of kind
/// [`Invalid`](ErrorKind::Invalid).
///
/// ```
/// use groupgate::{ErrorCode, Problem};
/// assert_eq!(Problem::NoGroups.code(), "no_groups");
/// ```
impl ErrorCode for Problem {
    fn code(&self) -> &'static str {
        match self {
            Problem::InvalidId { .. } => "invalid_id",
            Problem::DuplicateGroup { .. } | Problem::DuplicateMembership { .. } => "duplicate_group",
            Problem::DuplicateAgent { .. } => "duplicate_agent",
            Problem::UnknownMembership { .. } | Problem::UnknownTier { .. } | Problem::UnknownFallback { .. } => {
                "unknown_group"
            }
            Problem::DuplicateSchedule { .. } => "duplicate_schedule",
            Problem::UnknownSchedule { .. } => "unknown_schedule",
            Problem::InvalidSchedule { error, .. } => error.code(),
            Problem::ScheduleInUse { .. } => "schedule_in_use",
            Problem::FallbackCycle { .. } => "fallback_cycle",
            Problem::NoGroups => "no_groups",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

impl Problem {
    /// Rank in the order the scenario format reports codes in: one arm per
    /// kind of problem, so a new kind cannot be added without a place in
    /// the order.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Problem::InvalidId { .. } => 0,
            Problem::DuplicateGroup { .. } | Problem::DuplicateMembership { .. } => 1,
            Problem::DuplicateAgent { .. } => 2,
            Problem::DuplicateSchedule { .. } => 3,
            Problem::UnknownMembership { .. } | Problem::UnknownTier { .. } | Problem::UnknownFallback { .. } => 4,
            Problem::UnknownSchedule { .. } => 5,
            Problem::InvalidSchedule { error: HoursError::UnknownTimeZone(_), .. } => 6,
            Problem::InvalidSchedule { error: HoursError::InvalidHours(_), .. } => 7,
            Problem::ScheduleInUse { .. } => 8,
            Problem::FallbackCycle { .. } => 9,
            Problem::NoGroups => 10,
        }
    }
}

/// Every problem of a configuration that failed to build (R23), ordered by
/// code (`invalid_id`, `duplicate_group`, `duplicate_agent`,
/// `duplicate_schedule`, `unknown_group`, `unknown_schedule`,
/// `unknown_time_zone`, `invalid_hours`, `schedule_in_use`,
/// `fallback_cycle`, `no_groups`), then by where they were found.
///
/// ```
/// use groupgate::{AgentSpec, ConfigBuilder, GroupSpec};
/// let err = ConfigBuilder::new()
///     .group(GroupSpec::new("en"))
///     .group(GroupSpec::new("en"))
///     .agent(AgentSpec::new("").member("fr"))
///     .build()
///     .unwrap_err();
/// assert_eq!(err.codes().collect::<Vec<_>>(), ["invalid_id", "duplicate_group", "unknown_group"]);
/// assert!(err.to_string().contains("group `en` is defined more than once"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<Problem>,
}

impl ConfigError {
    pub(crate) fn new(mut problems: Vec<Problem>) -> Self {
        problems.sort_by_key(Problem::rank);
        ConfigError { problems }
    }

    /// The problems, in the documented order. Never empty.
    ///
    /// ```
    /// let err = groupgate::ConfigBuilder::new().group_selection(true).build().unwrap_err();
    /// assert_eq!(err.problems(), [groupgate::Problem::NoGroups]);
    /// ```
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The codes of the problems, in the same order.
    ///
    /// ```
    /// let err = groupgate::ConfigBuilder::new().group_selection(true).build().unwrap_err();
    /// assert_eq!(err.codes().collect::<Vec<_>>(), ["no_groups"]);
    /// ```
    pub fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.problems.iter().map(ErrorCode::code)
    }
}

/// The code of the first problem — the one a failed change reports — of
/// kind [`Invalid`](ErrorKind::Invalid).
///
/// ```
/// use groupgate::ErrorCode;
/// let err = groupgate::ConfigBuilder::new().group_selection(true).build().unwrap_err();
/// assert_eq!(err.code(), "no_groups");
/// ```
impl ErrorCode for ConfigError {
    fn code(&self) -> &'static str {
        self.problems.first().map_or("invalid_config", ErrorCode::code)
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(f, "invalid configuration ({n} problem{}): ", if n == 1 { "" } else { "s" })?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
