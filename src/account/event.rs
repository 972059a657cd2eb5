//! Events (R33): every input that changes an account as one value, applied
//! by one call that returns the event's notices or a typed error. The one
//! table below declares each event once: its variant, its payload and its
//! key in the serde form; configuration changes are [`Change`]s inside it.

use super::{Account, ActionError, ChangeReport, Claimed, Notice, TimedNotice, Visited};
use crate::config::AgentSpec;
use crate::error::{ErrorCode, ErrorKind};
use crate::route::{Routed, TransferTarget};
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
        /// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
        /// let events = [
        ///     Event::SetStatus(SetStatus { agent: "anna".into(), status: Status::Online }),
        ///     Event::Visit(Visit { visitor: "v1".into(), page_group: None }),
        ///     Event::Claim(AgentVisitor { agent: "anna".into(), visitor: "v1".into() }),
        /// ];
        /// for e in &events {
        ///     account.apply_event(e).unwrap();
        /// }
        /// let said: Vec<Notice> = account.notices().into_iter().map(|n| n.notice).collect();
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
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap(), 0);
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

/// What an event gave back besides its notices (R33): the result of the
/// method it stands for.
///
/// Its serde form names the kind: `"done"`, `{"visited": "new"}`,
/// `{"claimed": {...}}`, `{"routed": {...}}`, `{"changed": {...}}`.
///
/// ```
/// use groupgate::*;
/// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
/// account.set_status("anna", Status::Online).unwrap();
/// let visit: Event = serde_json::from_str(r#"{"visit": {"visitor": "v1"}}"#).unwrap();
/// assert_eq!(account.apply_event(&visit).unwrap(), Outcome::Visited(Visited::New));
/// let claim: Event = serde_json::from_str(r#"{"claim": {"agent": "anna", "visitor": "v1"}}"#).unwrap();
/// let Outcome::Claimed(claimed) = account.apply_event(&claim).unwrap() else { panic!() };
/// assert!(claimed.changed());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Outcome {
    /// The event has no result of its own beyond its notices: a selection,
    /// a preferred agent, a leave, a status, a refresh, a release, an
    /// answer, a decline, an advance.
    Done,
    /// What [`visit`](Account::visit) gives.
    Visited(Visited),
    /// What [`claim`](Account::claim) gives.
    Claimed(Claimed),
    /// What [`route`](Account::route) and [`transfer`](Account::transfer)
    /// give.
    Routed(Routed),
    /// What [`apply`](Account::apply) gives: a configuration change,
    /// `add_agent` included.
    Changed(ChangeReport),
}

impl Account {
    /// Applies one event (R33): the same call as the event's method
    /// ([`visit`](Self::visit), [`claim`](Self::claim), [`apply`](Self::apply)
    /// …), with its result as an [`Outcome`]; its notices (R31) are then in
    /// [`notices`](Self::notices). A host that keeps time applies events with
    /// [`apply_event_at`](Self::apply_event_at), which gives both at once.
    ///
    /// Cost: that of the event's method.
    ///
    /// # Errors
    ///
    /// The event's error ([`EventError::Action`] or
    /// [`EventError::Change`]); nothing changed and there are no notices.
    pub fn apply_event(&mut self, event: &Event) -> Result<Outcome, EventError> {
        let done = |()| Outcome::Done;
        Ok(match event {
            Event::Visit(v) => Outcome::Visited(self.visit(&v.visitor, v.page_group.as_deref())?),
            Event::SelectGroup(s) => self.select_group(&s.visitor, &s.group).map(done)?,
            Event::PreferAgent(p) => self.prefer_agent(&p.visitor, &p.agent).map(done)?,
            Event::Claim(c) => Outcome::Claimed(self.claim(&c.agent, &c.visitor)?),
            Event::Route(r) => Outcome::Routed(self.route(&r.visitor)?),
            Event::Release(r) => self.release_as(r.agent.as_deref(), &r.visitor).map(done)?,
            Event::Transfer(t) => Outcome::Routed(self.transfer_as(t.agent.as_deref(), &t.visitor, &t.to)?),
            Event::Leave(l) => self.leave(&l.visitor).map(done)?,
            Event::SetStatus(s) => self.set_status(&s.agent, s.status).map(done)?,
            Event::Refresh(r) => self.refresh(&r.agent).map(done)?,
            Event::Answer(a) => self.answer_as(a.agent.as_deref(), &a.visitor).map(done)?,
            Event::Decline(d) => self.decline_as(d.agent.as_deref(), &d.visitor).map(done)?,
            Event::AdvanceBy(by) => self.advance_by(*by).map(done)?,
            Event::AddAgent(a) => Outcome::Changed(self.add_agent(a)?),
            Event::Change(change) => Outcome::Changed(self.apply(change)?),
        })
    }

    /// `add_agent` with a status as one event: the change, then the status;
    /// notices in R31's order (the change's own, the status's — the queue it
    /// serves, the pages it brings online — then the change's
    /// `refresh_needed`). Nothing changes when either part fails.
    fn add_agent(&mut self, agent: &NewAgent) -> Result<ChangeReport, EventError> {
        // The status of an agent just added fails only when chat versions
        // run out, near 2^64: only then is a copy kept to undo the change.
        let before = self.state.near_counter_end().then(|| self.clone());
        let report = self.apply(&Change::AddAgent(agent.agent.clone()))?;
        let (mut said, refresh): (Vec<TimedNotice>, Vec<TimedNotice>) =
            self.notices().into_iter().partition(|n| !matches!(n.notice, Notice::RefreshNeeded { .. }));
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
        self.said.0 = said;
        Ok(report)
    }
}

/// An event with the time it happened (R26, R33), as a log stores it.
/// Serde form: `{"at": 1764000000000, "event": {"claim": {...}}}`.
///
/// ```
/// use groupgate::{Account, ConfigBuilder, Timed};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap(), 0);
/// let line = r#"{"at": 1764000000000, "event": {"visit": {"visitor": "v1"}}}"#;
/// let timed: Timed = serde_json::from_str(line).unwrap();
/// let applied = account.apply_event_at(timed.at, &timed.event);
/// assert!(applied.outcome.is_ok());
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

/// Everything one timed event did (R26, R31, R33): when it ran, its outcome
/// or why it was refused, and the notices — those of the deadlines
/// processed before it, then its own — each with its instant. What a host
/// answers the event's sender with, and passes on to agents and pages.
///
/// Its serde form (serialization only) is
/// `{"at": 1000, "ok": true, "outcome": <Outcome>, "notices": [<TimedNotice>, …]}`,
/// or with `"ok": false` an `"error"` in the errors' form
/// (`{"code", "kind", "message", …data}`) instead of the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "an applied event may have been refused, and its notices are for the host to pass on"]
pub struct Applied {
    /// The account's clock when the event ran: the later of its time and the
    /// clock before (R26).
    pub at: u64,
    /// The event's outcome, or why it was refused: then the event changed
    /// nothing (R24), though the deadlines before it stand.
    pub outcome: Result<Outcome, EventError>,
    /// The notices of the deadlines processed on the way to `at`, then the
    /// event's own (none when it was refused).
    pub notices: Vec<TimedNotice>,
}

impl Account {
    /// Applies `event` at time `at` (R26, R33) and gives back everything it
    /// did in one value: the clock first advances to `at`
    /// ([`advance_to`](Self::advance_to): never back, the deadlines due by
    /// then processed, each with its notices at its own time), then the
    /// event runs there, so that whatever it assigns is stamped with it
    /// (R16). Servers whose clocks differ can feed one account.
    /// [`notices`](Self::notices) gives the same notices until the next
    /// event.
    ///
    /// Cost: that of the advance and of the event's method, plus O(notices)
    /// to name them.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut policy = Policy::default();
    /// policy.routing = Routing::RoundRobin;
    /// policy.answer_timeout = Some(30_000);
    /// let mut account = Account::new(ConfigBuilder::new().policy(policy)
    ///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap(), 0);
    /// let event = |text: &str| serde_json::from_str::<Event>(text).unwrap();
    /// let _ = account.apply_event_at(0, &event(r#"{"set_status": {"agent": "anna", "status": "online"}}"#));
    /// let _ = account.apply_event_at(0, &event(r#"{"set_status": {"agent": "bob", "status": "online"}}"#));
    /// let _ = account.apply_event_at(0, &event(r#"{"visit": {"visitor": "v1"}}"#));
    /// let routed = account.apply_event_at(1_000, &event(r#"{"route": {"visitor": "v1"}}"#));
    /// let Ok(Outcome::Routed(r)) = &routed.outcome else { panic!() };
    /// assert_eq!(r.agent().unwrap(), "anna");
    ///
    /// // Anna does not answer within 30 s: at the next event, her miss comes
    /// // first, at the deadline's time; the event's own notices at its time.
    /// let late = account.apply_event_at(40_000, &event(r#"{"answer": {"visitor": "v1", "agent": "anna"}}"#));
    /// assert_eq!(late.at, 40_000);
    /// assert_eq!(late.outcome.unwrap_err().code(), "not_holder");
    /// let when: Vec<u64> = late.notices.iter().map(|n| n.at).collect();
    /// assert_eq!(when, [31_000, 31_000, 31_000]); // unheld, anna away, held by bob
    /// assert_eq!(late.notices[2].notice.to_string(), r#"{"chat_held": {"visitor": "v1", "agent": "bob"}}"#);
    /// ```
    pub fn apply_event_at(&mut self, at: u64, event: &Event) -> Applied {
        if let Err(e) = self.advance_to(at) {
            return Applied { at: self.clock(), outcome: Err(e.into()), notices: Vec::new() };
        }
        let mut notices = self.notices();
        let outcome = self.apply_event(event);
        if outcome.is_ok() {
            let own = self.notices();
            self.said.0.splice(0..0, notices.iter().cloned());
            notices.extend(own);
        } else {
            self.said.0.clone_from(&notices);
        }
        Applied { at: self.clock(), outcome, notices }
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
