//! The serde forms of what the account answers — decisions, results and
//! errors — in one place, so that they read alike: objects with every field
//! written (`null` for none), reasons as their codes, rules as `"R4"`, error
//! kinds as `"not_found"`, ids
//! as strings. Needs the `serde` feature.
//!
//! ```
//! use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec};
//! let mut account = Account::new(ConfigBuilder::new()
//!     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
//!     .agent(AgentSpec::new("anna").member("en")).build().unwrap(), 0);
//! account.visit("v1", Some("de")).unwrap();
//! assert_eq!(serde_json::to_string(&account.sees("anna", "v1")).unwrap(),
//!     r#"{"visible":false,"reason":"not_in_group","rule":"R4"}"#);
//! let err = account.claim("anna", "v1").unwrap_err();
//! assert_eq!(serde_json::to_string(&err).unwrap(),
//!     r#"{"code":"not_in_group","kind":"forbidden","message":"claim refused: not_in_group"}"#);
//! ```

use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{
    ActionError, AgentView, Applied, AvailabilityChange, Candidates, ChangeError, ChangeReport, ClaimCheck, Claimed,
    ConfigError, EffectiveGroup, ErrorCode, EventError, GroupHours, GroupHoursOf, GroupId, IdError, LoadError,
    PageAvailability, Problem, Reason, Routed, TransferTarget, UnknownId, Visibility, VisitorView,
};

/// A reason as its code (`"not_in_group"`).
impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Reason::ALL
            .iter()
            .copied()
            .find(|r| r.code() == code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown reason code `{code}`")))
    }
}

/// `{"visible": true, "reason": null, "rule": "R5"}`.
impl Serialize for Visibility {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Visibility", 3)?;
        st.serialize_field("visible", &self.is_visible())?;
        st.serialize_field("reason", &self.reason())?;
        st.serialize_field("rule", &self.rule())?;
        st.end()
    }
}

/// `{"allowed": false, "reason": "already_claimed", "rule": "R13", "holder": "bob"}`.
impl Serialize for ClaimCheck<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let holder = match self {
            ClaimCheck::Denied { holder, .. } => *holder,
            ClaimCheck::Allowed { .. } => None,
        };
        let mut st = s.serialize_struct("ClaimCheck", 4)?;
        st.serialize_field("allowed", &self.is_allowed())?;
        st.serialize_field("reason", &self.reason())?;
        st.serialize_field("rule", &self.rule())?;
        st.serialize_field("holder", &holder)?;
        st.end()
    }
}

/// `{"agent": "anna", "offered": [], "group": "en", "moved": false, "queued": false}`.
impl Serialize for Routed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Routed", 5)?;
        st.serialize_field("agent", &self.agent())?;
        st.serialize_field("offered", self.offered())?;
        st.serialize_field("group", &self.group())?;
        st.serialize_field("moved", &self.moved())?;
        st.serialize_field("queued", &self.queued())?;
        st.end()
    }
}

/// `{"group": "de", "moved": true, "agents": ["bob"]}`.
impl Serialize for Candidates<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Candidates", 3)?;
        st.serialize_field("group", &self.group())?;
        st.serialize_field("moved", &self.moved())?;
        st.serialize_field("agents", self.agents())?;
        st.end()
    }
}

/// `{"group": "en", "source": "page_tag", "unknown": [{"source": "selection", "id": "xx"}]}`.
impl Serialize for EffectiveGroup<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Unknown<'a> {
            source: &'static str,
            id: &'a GroupId,
        }
        let unknown: Vec<Unknown<'_>> =
            self.unknown().iter().map(|(source, id)| Unknown { source: source.as_str(), id }).collect();
        let mut st = s.serialize_struct("EffectiveGroup", 3)?;
        st.serialize_field("group", &self.group())?;
        st.serialize_field("source", &self.source().map(|s| s.as_str()))?;
        st.serialize_field("unknown", &unknown)?;
        st.end()
    }
}

/// `{"group": "de", "online": false}` (`group` null: pages without a code).
impl Serialize for AvailabilityChange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("AvailabilityChange", 2)?;
        st.serialize_field("group", &self.page_group())?;
        st.serialize_field("online", &self.online())?;
        st.end()
    }
}

/// The visitor's fields as [`VisitorView`]'s getters give them, ids as
/// strings, `null` for none.
///
/// ```
/// use groupgate::*;
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en")).agent(AgentSpec::new("anna").member("en")).build().unwrap(), 0);
/// account.visit("v1", Some("en")).unwrap();
/// account.route("v1").unwrap(); // anna is offline: the chat waits
/// let json = serde_json::to_value(account.visitor("v1").unwrap()).unwrap();
/// assert_eq!((&json["group"], &json["source"], &json["queued"]), (&"en".into(), &"page_tag".into(), &true.into()));
/// assert_eq!((&json["queue_position"], &json["group_queue_position"]), (&0.into(), &0.into()));
/// ```
impl Serialize for VisitorView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("VisitorView", 15)?;
        st.serialize_field("visitor", self.id())?;
        st.serialize_field("group", &self.group())?;
        st.serialize_field("source", &self.group_source().map(|s| s.as_str()))?;
        st.serialize_field("page_tag", &self.page_tag())?;
        st.serialize_field("selection", &self.selection())?;
        st.serialize_field("moved_to", &self.moved_to())?;
        st.serialize_field("preferred", &self.preferred())?;
        st.serialize_field("holder", &self.holder())?;
        st.serialize_field("queued", &self.queued())?;
        st.serialize_field("queue_position", &self.queue_position())?;
        st.serialize_field("group_queue_position", &self.group_queue_position())?;
        st.serialize_field("answered", &self.answered())?;
        st.serialize_field("missed", self.missed())?;
        st.serialize_field("answer_deadline", &self.answer_deadline())?;
        st.serialize_field("version", &self.version())?;
        st.end()
    }
}

/// `{"group": "de", "online": false}`, as [`AvailabilityChange`]'s.
impl Serialize for PageAvailability<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("PageAvailability", 2)?;
        st.serialize_field("group", &self.page_group())?;
        st.serialize_field("online", &self.online())?;
        st.end()
    }
}

/// `{"agent": "anna", "status": "online", "enabled": true, "load": 1,
/// "limit": 4, "loaded_revision": 2, "stale": false}` (`limit` null for
/// none).
///
/// ```
/// use groupgate::*;
/// let account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna").chat_limit(4)).build().unwrap(), 0);
/// assert_eq!(serde_json::to_string(&account.agent("anna").unwrap()).unwrap(),
///     r#"{"agent":"anna","status":"offline","enabled":true,"load":0,"limit":4,"loaded_revision":1,"stale":false}"#);
/// assert_eq!(serde_json::to_string(&account.availability()).unwrap(), r#"[{"group":null,"online":false}]"#);
/// ```
impl Serialize for AgentView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("AgentView", 7)?;
        st.serialize_field("agent", self.id())?;
        st.serialize_field("status", &self.status())?;
        st.serialize_field("enabled", &self.enabled())?;
        st.serialize_field("load", &self.load())?;
        st.serialize_field("limit", &self.limit())?;
        st.serialize_field("loaded_revision", &self.loaded_revision())?;
        st.serialize_field("stale", &self.stale())?;
        st.end()
    }
}

/// `{"revision": 2, "visibility_changed": ["anna"], "availability": [...],
/// "requeued": [], "hours_changed": [{"group": "cz", "open": false}]}`.
impl Serialize for ChangeReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Opened<'a> {
            group: &'a GroupId,
            open: bool,
        }
        let hours: Vec<Opened<'_>> =
            self.hours_changed().iter().map(|(group, open)| Opened { group, open: *open }).collect();
        let mut st = s.serialize_struct("ChangeReport", 5)?;
        st.serialize_field("revision", &self.revision())?;
        st.serialize_field("visibility_changed", self.visibility_changed())?;
        st.serialize_field("availability", self.availability())?;
        st.serialize_field("requeued", self.requeued())?;
        st.serialize_field("hours_changed", &hours)?;
        st.end()
    }
}

/// `{"open": false, "next_change": 1795417200000}` (`next_change` null: none
/// within 366 days).
impl Serialize for GroupHours {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("GroupHours", 2)?;
        st.serialize_field("open", &self.open())?;
        st.serialize_field("next_change", &self.next_change())?;
        st.end()
    }
}

/// `{"group": "cz", "open": false, "next_change": 1764576000000}`.
impl Serialize for GroupHoursOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("GroupHoursOf", 3)?;
        st.serialize_field("group", self.group())?;
        st.serialize_field("open", &self.hours().open())?;
        st.serialize_field("next_change", &self.hours().next_change())?;
        st.end()
    }
}

/// `{"version": 7, "changed": true}`.
impl Serialize for Claimed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Claimed", 2)?;
        st.serialize_field("version", &self.version())?;
        st.serialize_field("changed", &self.changed())?;
        st.end()
    }
}

/// `{"at": 1000, "ok": true, "outcome": ..., "notices": [...]}`, or with
/// `"ok": false` the `"error"` in its form instead of the outcome.
impl Serialize for Applied {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Applied", 4)?;
        st.serialize_field("at", &self.at)?;
        st.serialize_field("ok", &self.outcome.is_ok())?;
        match &self.outcome {
            Ok(outcome) => st.serialize_field("outcome", outcome)?,
            Err(e) => st.serialize_field("error", e)?,
        }
        st.serialize_field("notices", &self.notices)?;
        st.end()
    }
}

/// The scenario format's transfer target: `{"to_group": "de"}` or
/// `{"to_agent": "bob"}`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Target {
    ToGroup(String),
    ToAgent(String),
}

impl Serialize for TransferTarget {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TransferTarget::Group(g) => Target::ToGroup(g.clone()),
            TransferTarget::Agent(a) => Target::ToAgent(a.clone()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for TransferTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Target::deserialize(d)? {
            Target::ToGroup(g) => TransferTarget::Group(g),
            Target::ToAgent(a) => TransferTarget::Agent(a),
        })
    }
}

/// A value an error carries beside its code and message.
enum Datum<'a> {
    Id(&'a str),
    Ids(&'a [String]),
    Number(u64),
    Problems(&'a [Problem]),
}

impl Serialize for Datum<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Datum::Id(id) => s.serialize_str(id),
            Datum::Ids(ids) => ids.serialize(s),
            Datum::Number(n) => s.serialize_u64(*n),
            Datum::Problems(problems) => {
                let mut seq = s.serialize_seq(Some(problems.len()))?;
                for p in problems.iter() {
                    seq.serialize_element(&Form(p))?;
                }
                seq.end()
            }
        }
    }
}

/// What an error carries beside its code, kind and message: the ids it
/// names, by what they are (`"visitor"`, `"agent"`, `"group"`, …), and for
/// a configuration error every problem, each in this same form.
trait ErrorData: ErrorCode {
    fn data(&self) -> Vec<(&'static str, Datum<'_>)>;
}

/// `{"code": "...", "kind": "...", "message": "...", ...data}`: every error
/// type alike, its data as [`ErrorData`] gives it.
struct Form<'a, E>(&'a E);

impl<E: ErrorData> Serialize for Form<'_, E> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let data = self.0.data();
        let mut map = s.serialize_map(Some(3 + data.len()))?;
        map.serialize_entry("code", self.0.code())?;
        map.serialize_entry("kind", &self.0.kind())?;
        map.serialize_entry("message", &self.0.to_string())?;
        for (key, value) in &data {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl ErrorData for UnknownId {
    fn data(&self) -> Vec<(&'static str, Datum<'_>)> {
        let what = match self {
            UnknownId::Agent(_) => "agent",
            UnknownId::Visitor(_) => "visitor",
            UnknownId::Group(_) => "group",
            UnknownId::Schedule(_) => "schedule",
        };
        vec![(what, Datum::Id(self.id()))]
    }
}

impl ErrorData for ActionError {
    fn data(&self) -> Vec<(&'static str, Datum<'_>)> {
        match self {
            ActionError::Unknown(e) => e.data(),
            ActionError::Denied { holder: Some(h), .. } => vec![("holder", Datum::Id(h.as_str()))],
            ActionError::VersionMismatch { expected, found } => {
                vec![("expected", Datum::Number(*expected)), ("found", Datum::Number(*found))]
            }
            ActionError::NoChat(v) | ActionError::ChatOpen(v) | ActionError::AlreadyAnswered(v) => {
                vec![("visitor", Datum::Id(v.as_str()))]
            }
            ActionError::SameGroup(g) => vec![("group", Datum::Id(g.as_str()))],
            ActionError::GroupNotOffered(g) => vec![("group", Datum::Id(g))],
            ActionError::NotHolder { agent, visitor } => {
                vec![("agent", Datum::Id(agent.as_str())), ("visitor", Datum::Id(visitor.as_str()))]
            }
            _ => Vec::new(),
        }
    }
}

impl ErrorData for Problem {
    fn data(&self) -> Vec<(&'static str, Datum<'_>)> {
        match self {
            Problem::DuplicateGroup { group } => vec![("group", Datum::Id(group))],
            Problem::DuplicateAgent { agent } => vec![("agent", Datum::Id(agent))],
            Problem::DuplicateMembership { agent, group }
            | Problem::UnknownMembership { agent, group }
            | Problem::UnknownTier { agent, group } => vec![("agent", Datum::Id(agent)), ("group", Datum::Id(group))],
            Problem::UnknownFallback { group, fallback } => {
                vec![("group", Datum::Id(group)), ("fallback", Datum::Id(fallback))]
            }
            Problem::DuplicateSchedule { schedule } | Problem::InvalidSchedule { schedule, .. } => {
                vec![("schedule", Datum::Id(schedule))]
            }
            Problem::UnknownSchedule { group, schedule } => {
                vec![("group", Datum::Id(group)), ("schedule", Datum::Id(schedule))]
            }
            Problem::ScheduleInUse { schedule, groups } => {
                vec![("schedule", Datum::Id(schedule)), ("groups", Datum::Ids(groups))]
            }
            Problem::FallbackCycle { groups } => vec![("groups", Datum::Ids(groups))],
            _ => Vec::new(),
        }
    }
}

impl ErrorData for ConfigError {
    fn data(&self) -> Vec<(&'static str, Datum<'_>)> {
        vec![("problems", Datum::Problems(self.problems()))]
    }
}

impl ErrorData for ChangeError {
    fn data(&self) -> Vec<(&'static str, Datum<'_>)> {
        match self {
            ChangeError::Unknown(e) => e.data(),
            ChangeError::NotAMember { agent, group } => {
                vec![("agent", Datum::Id(agent.as_str())), ("group", Datum::Id(group.as_str()))]
            }
            ChangeError::Invalid(e) => e.data(),
            _ => Vec::new(),
        }
    }
}

impl ErrorData for EventError {
    fn data(&self) -> Vec<(&'static str, Datum<'_>)> {
        match self {
            EventError::Action(e) => e.data(),
            EventError::Change(e) => e.data(),
        }
    }
}

impl ErrorData for LoadError {
    fn data(&self) -> Vec<(&'static str, Datum<'_>)> {
        match self {
            LoadError::UnsupportedVersion(v) => vec![("format", Datum::Number(u64::from(*v)))],
            LoadError::Corrupt(_) => Vec::new(),
        }
    }
}

impl ErrorData for IdError {
    fn data(&self) -> Vec<(&'static str, Datum<'_>)> {
        Vec::new()
    }
}

macro_rules! error_form {
    ($($ty:ty),+) => {$(
        /// `{"code": "...", "kind": "...", "message": "...", ...data}`: the ids
        /// the error names, and a configuration error's problems.
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                Form(self).serialize(s)
            }
        }
    )+};
}

error_form!(ActionError, ChangeError, EventError, LoadError, ConfigError, IdError);
