//! Events (R33): every input that changes an account as one value, applied
//! by one call that returns the event's notices or a typed error. The one
//! table below declares each event once: its variant, its payload and its
//! key in the serde form; configuration changes are [`Change`]s inside it.

use super::{Account, ActionError, Notice};
use crate::config::AgentSpec;
use crate::error::{ErrorCode, ErrorKind};
use crate::route::TransferTarget;
use crate::snapshot::{Change, ChangeError};
use crate::state::Status;

/// The events' payloads: what each event names, ids as text (an event
/// looks ids up; text that cannot be an id names nothing).
macro_rules! payload {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
        pub struct $name { $($(#[$fdoc])* pub $field: $ty),* }
    };
}

payload!(
    /// `visit`: the visitor is on a page with that group code (R2).
    Visit {
        /// The visitor; created on first mention, its id checked (R23).
        visitor: String,
        /// The page's group code (checked, R23); `None` for a page without one.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        page_group: Option<String>,
    }
);
payload!(
    /// `select_group`: the visitor picks a group in the contact form (R22).
    SelectGroup {
        /// The visitor.
        visitor: String,
        /// The group it picks.
        group: String,
    }
);
payload!(
    /// `prefer_agent` (a returning visitor's last agent, R15) and `claim`
    /// (R11, R13).
    AgentVisitor {
        /// The agent.
        agent: String,
        /// The visitor.
        visitor: String,
    }
);
payload!(
    /// `route`, `leave`: an event of one visitor.
    VisitorOnly {
        /// The visitor.
        visitor: String,
    }
);
payload!(
    /// `release`, `answer`, `decline`: an event of one visitor's chat, done
    /// by the agent acting when one is named (R38: `not_holder` unless it
    /// holds the chat), else by the host.
    ChatAction {
        /// The visitor.
        visitor: String,
        /// The agent acting, if any (R38).
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        agent: Option<String>,
    }
);
payload!(
    /// `set_status`: an agent's presence.
    SetStatus {
        /// The agent.
        agent: String,
        /// Its new status.
        status: Status,
    }
);
payload!(
    /// `refresh`: the agent reloads its dashboard (R9).
    AgentOnly {
        /// The agent.
        agent: String,
    }
);

/// `transfer`: the holder transfers the visitor's chat (R19). Serde:
/// `{"visitor": "v1", "to_group": "de"}` or `{"visitor": "v1", "to_agent": "bob"}`,
/// with `"agent": "anna"` when an agent does it (R38).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "wire::Transfer", into = "wire::Transfer"))]
pub struct Transfer {
    /// The visitor whose chat moves.
    pub visitor: String,
    /// Where to.
    pub to: TransferTarget,
    /// The agent acting, if any (R38: `not_holder` unless it holds the
    /// chat).
    pub agent: Option<String>,
}

/// `add_agent`: a configuration change that appends an agent, and the
/// status it starts with, as one event (the scenario format's step; R31
/// orders its notices: the change's, the status's, then the change's
/// `refresh_needed`). Serde: an [`AgentSpec`]'s fields plus `status`
/// (default `online`, as the format's agents).
///
/// ```
/// use groupgate::{Status, event::NewAgent};
/// let agent: NewAgent = serde_json::from_str(r#"{"id": "anna", "groups": ["en"], "status": "away"}"#).unwrap();
/// assert_eq!((agent.agent.groups.as_slice(), agent.status), (["en".to_string()].as_slice(), Status::Away));
/// let online: NewAgent = serde_json::from_str(r#"{"id": "bob"}"#).unwrap();
/// assert_eq!(online.status, Status::Online);
/// assert!(serde_json::from_str::<NewAgent>(r#"{"id": "bob", "mood": "fine"}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewAgent {
    /// The agent, as the configuration gets it.
    pub agent: AgentSpec,
    /// Its presence once added.
    pub status: Status,
}

impl NewAgent {
    /// An agent of the given spec starting with `status`.
    pub fn new(agent: AgentSpec, status: Status) -> Self {
        NewAgent { agent, status }
    }
}

/// The one table of events: each variant with its payload and its key. The
/// enum, [`Event::key`], [`EVENTS`] and the serde form all come from it.
macro_rules! events {
    ($( $(#[$doc:meta])* $variant:ident($payload:ty) = $key:literal; )+) => {
        /// An input that changes an account (R33): a visitor or chat event, a
        /// status, a refresh, the clock, or a configuration change. The same
        /// events applied in the same order to equal accounts give equal
        /// accounts and equal notices (R25), so a host replicates an account
        /// by agreeing on one order of its events and applying them
        /// everywhere.
        ///
        /// Ids are text, as every method takes them: an event looks its ids
        /// up, and one it does not find is unknown whatever its text; the ids
        /// an event stores (`visit`'s, a new group's or agent's) are checked
        /// against R23 (`invalid_id`).
        ///
        /// Its serde form is the scenario format's step without
        /// `expect_error`: `{"claim": {"agent": "anna", "visitor": "v1"}}`,
        /// `{"advance": 60000}`, and a configuration change as its own step
        /// (`{"assign": {...}}`, see [`Change`]). A malformed event's error
        /// names the step and the field.
        ///
        /// ```
        /// use groupgate::{Account, AgentSpec, ConfigBuilder, Event, Notice, Status};
        /// use groupgate::event::{AgentVisitor, SetStatus, Visit};
        /// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap());
        /// let events = [
        ///     Event::SetStatus(SetStatus { agent: "anna".into(), status: Status::Online }),
        ///     Event::Visit(Visit { visitor: "v1".into(), page_group: None }),
        ///     Event::Claim(AgentVisitor { agent: "anna".into(), visitor: "v1".into() }),
        /// ];
        /// let mut said = Vec::new();
        /// for e in &events {
        ///     said = account.apply_event(e).unwrap();
        /// }
        /// assert_eq!(said, [Notice::ChatHeld { visitor: "v1".parse().unwrap(), agent: "anna".parse().unwrap() }]);
        /// let read: Event = serde_json::from_str(r#"{"claim": {"agent": "anna", "visitor": "v1"}}"#).unwrap();
        /// assert_eq!(read, events[2]);
        /// let bad = serde_json::from_str::<Event>(r#"{"claim": {"agent": "anna", "visitor": 7}}"#).unwrap_err();
        /// assert!(bad.to_string().starts_with("`claim.visitor`: invalid type"), "{bad}");
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Event {
            $( $(#[$doc])* $variant($payload), )+
            /// A configuration change (R9, R24).
            Change(Change),
        }

        /// Every event's key in the serde form, in the table's order; a
        /// configuration change has its [`Change`]'s keys.
        ///
        /// ```
        /// assert!(groupgate::event::EVENTS.contains(&"claim"));
        /// ```
        pub const EVENTS: &[&str] = &[$($key),+];

        impl Event {
            /// The event's key in the serde form.
            ///
            /// ```
            /// use groupgate::{Change, Event};
            /// assert_eq!(Event::AdvanceBy(5).key(), "advance");
            /// assert_eq!(Event::Change(Change::SetGroupSelection(true)).key(), "set_group_selection");
            /// ```
            pub fn key(&self) -> &'static str {
                match self {
                    $( Event::$variant(_) => $key, )+
                    Event::Change(c) => c.key(),
                }
            }

            /// Reads the event whose key is `key` from the value `map` is
            /// at: the scenario runner's entry point, whose steps hold other
            /// keys beside the event's. `Ok(None)` when `key` is no event's
            /// and no change's, the value left unread.
            #[cfg(feature = "serde")]
            pub fn read_entry<'de, A: serde::de::MapAccess<'de>>(
                key: &str,
                map: &mut A,
            ) -> Result<Option<Event>, A::Error> {
                match key {
                    $( $key => wire::payload(key, map).map(|p| Some(Event::$variant(p))), )+
                    _ if Change::is_key(key) => wire::change(key, map).map(|c| Some(Event::Change(c))),
                    _ => Ok(None),
                }
            }

            #[cfg(feature = "serde")]
            fn write_entry<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self {
                    $( Event::$variant(p) => map.serialize_entry($key, p), )+
                    // A bare `add_agent` change starts offline (R27); the
                    // serde form's `add_agent` says so, its default being
                    // the format's `online`.
                    Event::Change(Change::AddAgent(spec)) => {
                        map.serialize_entry("add_agent", &NewAgent::new(spec.clone(), Status::Offline))
                    }
                    // Written whole by `Change`'s own form.
                    Event::Change(_) => Ok(()),
                }
            }
        }
    };
}

events! {
    /// The visitor is on a page with that group code (R2); a new visitor is
    /// created.
    Visit(Visit) = "visit";
    /// The visitor picks a group in the contact form (R22).
    SelectGroup(SelectGroup) = "select_group";
    /// A returning visitor's last agent (R15).
    PreferAgent(AgentVisitor) = "prefer_agent";
    /// The agent claims the visitor's chat (R11, R13).
    Claim(AgentVisitor) = "claim";
    /// The visitor starts a chat, routed under the policy (R15–R18).
    Route(VisitorOnly) = "route";
    /// The visitor's chat, held or queued, is closed (R14).
    Release(ChatAction) = "release";
    /// The holder transfers the chat (R19).
    Transfer(Transfer) = "transfer";
    /// The visitor leaves the site (R14).
    Leave(VisitorOnly) = "leave";
    /// An agent's presence.
    SetStatus(SetStatus) = "set_status";
    /// The agent reloads its dashboard (R9).
    Refresh(AgentOnly) = "refresh";
    /// The holder of the visitor's chat answered it (R27).
    Answer(ChatAction) = "answer";
    /// The holder declines the visitor's unanswered chat (R27).
    Decline(ChatAction) = "decline";
    /// Time passes: the clock moves this many milliseconds forward (R26),
    /// processing the deadlines due by then. Serde: `{"advance": 60000}`.
    /// A log that stores absolute times writes a [`Timed`] advance by 0.
    AdvanceBy(u64) = "advance";
    /// A new agent and its status: the change, then the status (R31).
    AddAgent(NewAgent) = "add_agent";
}

/// Why an event was refused (R24: nothing changed): an event's error or a
/// configuration change's.
///
/// ```
/// use groupgate::{Account, ConfigBuilder, ErrorCode, Event};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap());
/// let release = groupgate::event::ChatAction { visitor: "v1".into(), agent: None };
/// let err = account.apply_event(&Event::Release(release)).unwrap_err();
/// assert_eq!(err.code(), "unknown_visitor");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// A visitor, chat, status or refresh event failed.
    #[error(transparent)]
    Action(#[from] ActionError),
    /// A configuration change failed.
    #[error(transparent)]
    Change(#[from] ChangeError),
}

/// The code and kind of the error inside.
impl ErrorCode for EventError {
    fn code(&self) -> &'static str {
        match self {
            EventError::Action(e) => e.code(),
            EventError::Change(e) => e.code(),
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            EventError::Action(e) => e.kind(),
            EventError::Change(e) => e.kind(),
        }
    }
}

impl Account {
    /// Applies one event (R33) and returns its notices (R31), as
    /// [`notices`](Self::notices) gives them; the event methods
    /// ([`visit`](Self::visit), [`claim`](Self::claim), [`apply`](Self::apply)
    /// …) are the same calls with their own results.
    ///
    /// Cost: that of the event's method, plus O(notices) to name them.
    ///
    /// # Errors
    ///
    /// The event's error ([`EventError::Action`] or
    /// [`EventError::Change`]); nothing changed and there are no notices.
    pub fn apply_event(&mut self, event: &Event) -> Result<Vec<Notice>, EventError> {
        match event {
            Event::Visit(v) => drop(self.visit(&v.visitor, v.page_group.as_deref())?),
            Event::SelectGroup(s) => self.select_group(&s.visitor, &s.group)?,
            Event::PreferAgent(p) => self.prefer_agent(&p.visitor, &p.agent)?,
            Event::Claim(c) => drop(self.claim(&c.agent, &c.visitor)?),
            Event::Route(r) => drop(self.route(&r.visitor)?),
            Event::Release(r) => self.release_as(r.agent.as_deref(), &r.visitor)?,
            Event::Transfer(t) => drop(self.transfer_as(t.agent.as_deref(), &t.visitor, &t.to)?),
            Event::Leave(l) => self.leave(&l.visitor)?,
            Event::SetStatus(s) => self.set_status(&s.agent, s.status)?,
            Event::Refresh(r) => self.refresh(&r.agent)?,
            Event::Answer(a) => self.answer_as(a.agent.as_deref(), &a.visitor)?,
            Event::Decline(d) => self.decline_as(d.agent.as_deref(), &d.visitor)?,
            Event::AdvanceBy(by) => self.advance_by(*by)?,
            Event::AddAgent(a) => return self.add_agent(a),
            Event::Change(change) => drop(self.apply(change)?),
        }
        Ok(self.notices())
    }

    /// `add_agent` with a status as one event: the change, then the status;
    /// notices in R31's order (the change's own, the status's — the queue it
    /// serves, the pages it brings online — then the change's
    /// `refresh_needed`). Nothing changes when either part fails.
    fn add_agent(&mut self, agent: &NewAgent) -> Result<Vec<Notice>, EventError> {
        // The status of an agent just added fails only when chat versions
        // run out, near 2^64: only then is a copy kept to undo the change.
        let before = self.state.near_counter_end().then(|| self.clone());
        self.apply(&Change::AddAgent(agent.agent.clone()))?;
        let (mut said, refresh): (Vec<Notice>, Vec<Notice>) =
            self.notices().into_iter().partition(|n| !matches!(n, Notice::RefreshNeeded { .. }));
        if let Err(e) = self.set_status(&agent.agent.id, agent.status) {
            if let Some(before) = before {
                *self = before;
            }
            return Err(e.into());
        }
        said.extend(self.notices());
        said.extend(refresh);
        // The step's notices, as `notices` gives them until the next event.
        self.state.clear_notes();
        self.tail.0.clear();
        self.said.0.clone_from(&said);
        Ok(said)
    }
}

/// An event with the time it happened (R26, R33), as a log stores it.
/// Serde form: `{"at": 1764000000000, "event": {"claim": {...}}}`.
///
/// ```
/// use groupgate::{Account, ConfigBuilder, Timed};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap());
/// let line = r#"{"at": 1764000000000, "event": {"visit": {"visitor": "v1"}}}"#;
/// let timed: Timed = serde_json::from_str(line).unwrap();
/// account.apply_event_at(timed.at, &timed.event).unwrap();
/// assert_eq!(account.clock(), 1_764_000_000_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Timed {
    /// When, in milliseconds since 1970-01-01T00:00:00Z.
    pub at: u64,
    /// What.
    pub event: Event,
}

impl Account {
    /// [`apply_event`](Self::apply_event) at time `at` (R26, R33): the clock
    /// first advances to `at` ([`advance_to`](Self::advance_to): never back, the
    /// deadlines due by then processed), so that whatever the event assigns
    /// is stamped with it (R16). Servers whose clocks differ can feed one
    /// account. The notices are the advance's, then the event's.
    ///
    /// # Errors
    ///
    /// As [`apply_event`](Self::apply_event). The advance stands even so
    /// (its notices stay in [`notices`](Self::notices)); only the event
    /// changed nothing.
    ///
    /// ```
    /// use groupgate::{Account, AgentSpec, ConfigBuilder, Event};
    /// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap());
    /// let visit = Event::Visit(groupgate::event::Visit { visitor: "v1".into(), page_group: None });
    /// account.apply_event_at(1_764_000_000_000, &visit).unwrap();
    /// account.apply_event_at(1_000, &visit).unwrap(); // a slower server's clock
    /// assert_eq!(account.clock(), 1_764_000_000_000);
    /// ```
    pub fn apply_event_at(&mut self, at: u64, event: &Event) -> Result<Vec<Notice>, EventError> {
        self.advance_to(at)?;
        let mut before = self.notices();
        match self.apply_event(event) {
            Ok(mut own) => {
                self.said.0.splice(0..0, before.iter().cloned());
                before.append(&mut own);
                Ok(before)
            }
            Err(e) => {
                self.said.0 = before;
                Err(e)
            }
        }
    }
}

/// The serde form: the scenario format's steps.
#[cfg(feature = "serde")]
mod wire;

#[cfg(feature = "serde")]
impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if let Event::Change(c) = self
            && !matches!(c, Change::AddAgent(_))
        {
            return c.serialize(s);
        }
        let mut map = s.serialize_map(Some(1))?;
        self.write_entry(&mut map)?;
        map.end()
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(wire::EventVisitor)
    }
}
