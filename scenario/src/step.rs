//! Steps: an object with exactly one action key, and `expect_error` on the
//! steps that can fail.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use groupgate::event::EVENTS;
use groupgate::{Change, Event, Notice};

use crate::payload::*;

/// The one table of expectations: each variant with its key and payload.
/// The enum, [`EXPECTATIONS`], [`Expectation::key`], reading and writing
/// all come from it.
macro_rules! expectations {
    ($( $(#[$doc:meta])* $variant:ident($payload:ty) = $key:literal; )+) => {
        /// A check that changes nothing. Names and payloads are those of the
        /// scenario format.
        ///
        /// ```
        /// use groupgate_scenario::{Action, Expectation, Step};
        /// let step: Step = serde_json::from_str(r#"{"expect_queue": ["v1"]}"#).unwrap();
        /// assert_eq!(step.action, Action::Expect(Expectation::ExpectQueue(vec!["v1".into()])));
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Expectation {
            $( $(#[$doc])* $variant($payload), )+
        }

        /// Every expectation's key, in the format's order.
        ///
        /// ```
        /// assert!(groupgate_scenario::EXPECTATIONS.contains(&"expect_needs_refresh"));
        /// ```
        pub const EXPECTATIONS: &[&str] = &[$($key),+];

        impl Expectation {
            /// The expectation's key in the file.
            pub fn key(&self) -> &'static str {
                match self { $( Expectation::$variant(_) => $key, )+ }
            }

            fn read<'de, A: MapAccess<'de>>(key: &str, map: &mut A) -> Result<Option<Expectation>, A::Error> {
                match key {
                    $( $key => map
                        .next_value()
                        .map(|p| Some(Expectation::$variant(p)))
                        .map_err(|e| de::Error::custom(format_args!("`{key}`: {e}"))), )+
                    _ => Ok(None),
                }
            }

            fn write<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self { $( Expectation::$variant(p) => map.serialize_entry($key, p), )+ }
            }
        }
    };
}

expectations! {
    /// The visitor's effective group (R2, R3).
    ExpectGroup(ExpectGroup) = "expect_group";
    /// Exactly these agents see the visitor (R4–R8).
    ExpectVisible(ExpectAgents) = "expect_visible";
    /// The agent's dashboard under its loaded revision (R9).
    ExpectDashboard(ExpectDashboard) = "expect_dashboard";
    /// Whether the agent may claim, and why not (R11).
    ExpectClaim(ExpectClaim) = "expect_claim";
    /// Who holds the visitor's chat.
    ExpectHolder(ExpectHolder) = "expect_holder";
    /// The candidates for a new chat of the visitor (R15, R17).
    ExpectCandidates(ExpectAgents) = "expect_candidates";
    /// The queued chats, oldest first (R18).
    ExpectQueue(Vec<String>) = "expect_queue";
    /// Chat box availability of a page (R10).
    ExpectOnline(ExpectOnline) = "expect_online";
    /// The groups the contact form offers (R20, R21).
    ExpectFormChoices(Vec<String>) = "expect_form_choices";
    /// Exactly the agents whose dashboards are stale (R9).
    ExpectNeedsRefresh(Vec<String>) = "expect_needs_refresh";
    /// The chats the agent holds (R12, R14).
    ExpectLoad(ExpectLoad) = "expect_load";
    /// Chat box availability for one visitor's own effective group (R10).
    ExpectOnlineFor(ExpectOnlineFor) = "expect_online_for";
    /// The visitor's chat: holder, queued, answered, missed list (R27).
    ExpectChat(ExpectChat) = "expect_chat";
    /// The agent's status (R27).
    ExpectStatus(ExpectStatus) = "expect_status";
    /// Whether a group is open now (R30).
    ExpectOpen(ExpectOpen) = "expect_open";
    /// A group's next opening or closing within 366 days (R30).
    ExpectNextChange(ExpectNextChange) = "expect_next_change";
    /// The account's earliest pending deadline (R26); `null` for none.
    ExpectNextDeadline(Option<crate::Instant>) = "expect_next_deadline";
    /// Exactly the notices of the steps since the previous `expect_notices`
    /// (or the first step), in order (R31).
    ExpectNotices(Vec<Notice>) = "expect_notices";
}

/// What a step does: an event (or configuration change) of the library, the
/// runner's `save_and_load`, or an expectation.
///
/// ```
/// use groupgate_scenario::{Action, Step};
/// use groupgate::{Event, Plan, Change};
/// let step: Step = serde_json::from_str(r#"{"set_plan": "free"}"#).unwrap();
/// assert_eq!(step.action, Action::Event(Event::Change(Change::SetPlan(Plan::Free))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// An event or a configuration change (R33); may carry `expect_error`.
    Event(Event),
    /// The account is saved and loaded back (R32); it must come back equal.
    /// `false` does nothing.
    SaveAndLoad(bool),
    /// A check; never carries `expect_error`.
    Expect(Expectation),
}

/// The three kinds of step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// A visitor, chat or agent event; may carry `expect_error`.
    Event,
    /// A configuration change (a new revision, R9); may carry `expect_error`.
    Change,
    /// A check that changes nothing; never carries `expect_error`.
    Expectation,
}

impl Action {
    /// The action's key in the file.
    ///
    /// ```
    /// let step: groupgate_scenario::Step = serde_json::from_str(r#"{"refresh": {"agent": "anna"}}"#).unwrap();
    /// assert_eq!(step.action.key(), "refresh");
    /// ```
    pub fn key(&self) -> &'static str {
        match self {
            Action::Event(e) => e.key(),
            Action::SaveAndLoad(_) => "save_and_load",
            Action::Expect(e) => e.key(),
        }
    }

    /// What kind of step it is.
    ///
    /// ```
    /// use groupgate_scenario::{Step, StepKind};
    /// let step: Step = serde_json::from_str(r#"{"expect_queue": []}"#).unwrap();
    /// assert_eq!(step.action.kind(), StepKind::Expectation);
    /// ```
    pub fn kind(&self) -> StepKind {
        match self {
            Action::Event(Event::Change(_) | Event::AddAgent(_)) => StepKind::Change,
            Action::Event(_) | Action::SaveAndLoad(_) => StepKind::Event,
            Action::Expect(_) => StepKind::Expectation,
        }
    }

    /// Whether this is an expectation (which may not carry `expect_error`).
    ///
    /// ```
    /// let step: groupgate_scenario::Step = serde_json::from_str(r#"{"expect_queue": []}"#).unwrap();
    /// assert!(step.action.is_expectation());
    /// ```
    pub fn is_expectation(&self) -> bool {
        self.kind() == StepKind::Expectation
    }

    fn read<'de, A: MapAccess<'de>>(key: &str, map: &mut A) -> Result<Action, A::Error> {
        if key == "save_and_load" {
            return map
                .next_value()
                .map(Action::SaveAndLoad)
                .map_err(|e| de::Error::custom(format_args!("`{key}`: {e}")));
        }
        if let Some(event) = Event::read_entry(key, map)? {
            return Ok(Action::Event(event));
        }
        if let Some(expectation) = Expectation::read(key, map)? {
            return Ok(Action::Expect(expectation));
        }
        let known = [EVENTS, &["save_and_load"], Change::KEYS, EXPECTATIONS].concat().join("`, `");
        Err(de::Error::custom(format!("unknown step `{key}`, expected one of `{known}`")))
    }
}

/// A step with an event, written as the event's one entry and
/// `expect_error` beside it.
#[derive(Serialize)]
struct EventStep<'a> {
    #[serde(flatten)]
    event: &'a Event,
    #[serde(skip_serializing_if = "Option::is_none")]
    expect_error: &'a Option<String>,
}

/// One step of a scenario.
///
/// ```
/// let step: groupgate_scenario::Step =
///     serde_json::from_str(r#"{"claim": {"agent": "bob", "visitor": "v1"}, "expect_error": "not_in_group"}"#).unwrap();
/// assert_eq!(step.action.key(), "claim");
/// assert_eq!(step.expect_error.as_deref(), Some("not_in_group"));
/// let two = serde_json::from_str::<groupgate_scenario::Step>(r#"{"route": {"visitor": "v1"}, "leave": {"visitor": "v1"}}"#);
/// assert!(two.unwrap_err().to_string().contains("exactly one action"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What the step does or checks.
    pub action: Action,
    /// The code the step must fail with, when it must fail.
    pub expect_error: Option<String>,
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(StepVisitor)
    }
}

struct StepVisitor;

impl<'de> Visitor<'de> for StepVisitor {
    type Value = Step;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a step: an object with exactly one action key")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Step, A::Error> {
        let mut action: Option<Action> = None;
        let mut expect_error: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "expect_error" {
                if expect_error.is_some() {
                    return Err(de::Error::duplicate_field("expect_error"));
                }
                expect_error = Some(map.next_value()?);
                continue;
            }
            if let Some(first) = &action {
                let msg = format!("a step has exactly one action, found `{}` and `{key}`", first.key());
                return Err(de::Error::custom(msg));
            }
            action = Some(Action::read(&key, &mut map)?);
        }
        let action = action.ok_or_else(|| de::Error::custom("a step needs one action key"))?;
        if expect_error.is_some() && action.is_expectation() {
            return Err(de::Error::custom(format!("`expect_error` is not allowed on `{}`", action.key())));
        }
        Ok(Step { action, expect_error })
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Action::Event(event) = &self.action {
            return EventStep { event, expect_error: &self.expect_error }.serialize(s);
        }
        let mut map = s.serialize_map(Some(1 + usize::from(self.expect_error.is_some())))?;
        match &self.action {
            Action::SaveAndLoad(on) => map.serialize_entry("save_and_load", on)?,
            Action::Expect(e) => e.write(&mut map)?,
            Action::Event(_) => {}
        }
        if let Some(code) = &self.expect_error {
            map.serialize_entry("expect_error", code)?;
        }
        map.end()
    }
}
