#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// The data's one-way trip: the error vocabulary, ids (and the shared rows
// revisions keep) → what the admin configures (and the rules
// decisions cite) → the compiled snapshot
// of one revision → live state → decisions → routing → the account that
// ties them. The scenario runner (`scenario/`, crate `groupgate-scenario`)
// and the hosts sit on top and use only the public API.
// A module only imports modules above it in this list.
mod error;
mod ids;
mod hash;
mod rows;
mod config;
mod rule;
mod snapshot;
mod state;
mod decide;
mod route;
mod account;
mod timers;
#[cfg(feature = "serde")]
mod wire;

// The guide (`docs/GUIDE.md`) is read where the Markdown is, beside the
// README; its examples run as doc tests from here.
#[cfg(doctest)]
#[doc = include_str!("../docs/GUIDE.md")]
mod guide {}

pub use account::{
    Account, ActionError, AgentKey, AgentView, Applied, Assignments, ChangeReport, Claimed, CorruptCheck, Corruption,
    Event, EventError, GroupHours, GroupHoursOf, LoadError, Notice, Outcome, PageAvailability, Routed, SAVED_FORMAT,
    Saved, SavedAgent, SavedDeadline, SavedRevision, SavedVisitor, SavedWait, Timed, TimedNotice, TransferTarget,
    Visited, VisitorKey, VisitorView,
};
pub use config::{
    AfterMissed, Agent, AgentPatch, AgentSpec, Config, ConfigBuilder, ConfigError, ContactForm, ExceptionSpec, Group,
    GroupPatch, GroupSpec, Hours, HoursError, IdPlace, LAST_EVALUATED, Membership, Plan, Policy, PolicyPatch, Problem,
    Role, Routing, Schedule, ScheduleSpec, TIME_ZONE_DATABASE, Tier, UnassignedAgents, UngroupedVisitors, UnknownValue,
};
pub use decide::{
    AvailabilityChange, Candidates, ClaimCheck, EffectiveGroup, GroupSource, Reason, Visibility, visibility_changed,
};
pub use error::{ErrorCode, ErrorKind};
pub use ids::{AgentId, GroupId, IdError, MAX_ID_LEN, ScheduleId, UnknownId, VisitorId, check_id};

pub use rule::Rule;
pub use snapshot::{Change, ChangeError, Snapshot};
pub use state::{MAX_INSTANT, Status, Unheld, VisitorMemory};
pub use timers::NextDeadlines;

/// The events' payloads (R33): what each [`Event`] names, ids as text.
pub mod event {
    pub use crate::account::event::{
        AgentOnly, AgentVisitor, ChatAction, EVENTS, NewAgent, SelectGroup, SetStatus, Transfer, Visit, VisitorOnly,
    };
}
