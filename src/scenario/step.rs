//! Steps: an object with exactly one action key, and `expect_error` on the
//! steps that can fail.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{GroupSpec, Notice, Plan, PolicyPatch, ScheduleSpec};

use super::format::AgentFile;

use super::payload::*;

/// The one table of actions: each variant with its key, its payload and
/// whether it is an event, a configuration change or an expectation. The
/// enum, [`ACTIONS`], [`Action::key`], reading and writing all come from it.
macro_rules! actions {
    ($( $(#[$doc:meta])* $variant:ident($payload:ty) = $key:literal, $kind:ident; )+) => {
        /// What a step does. Names and payloads are those of the scenario format.
        ///
        /// ```
        /// let step: groupgate::scenario::Step = serde_json::from_str(r#"{"set_plan": "free"}"#).unwrap();
        /// assert_eq!(step.action, groupgate::scenario::Action::SetPlan(groupgate::Plan::Free));
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Action {
            $( $(#[$doc])* $variant($payload), )+
        }

        /// Every action key, in the format's order.
        ///
        /// ```
        /// assert!(groupgate::scenario::ACTIONS.contains(&"expect_needs_refresh"));
        /// ```
        pub const ACTIONS: &[&str] = &[$($key),+];

        impl Action {
            /// The action's key in the file.
            ///
            /// ```
            /// let step: groupgate::scenario::Step = serde_json::from_str(r#"{"refresh": {"agent": "anna"}}"#).unwrap();
            /// assert_eq!(step.action.key(), "refresh");
            /// ```
            pub fn key(&self) -> &'static str {
                match self { $( Action::$variant(_) => $key, )+ }
            }

            /// What kind of step it is.
            ///
            /// ```
            /// use groupgate::scenario::{Step, StepKind};
            /// let step: Step = serde_json::from_str(r#"{"expect_queue": []}"#).unwrap();
            /// assert_eq!(step.action.kind(), StepKind::Expectation);
            /// ```
            pub fn kind(&self) -> StepKind {
                match self { $( Action::$variant(_) => StepKind::$kind, )+ }
            }

            fn read<'de, A: MapAccess<'de>>(key: &str, map: &mut A) -> Result<Action, A::Error> {
                match key {
                    $( $key => Ok(Action::$variant(map.next_value()?)), )+
                    other => {
                        let known = ACTIONS.join("`, `");
                        Err(de::Error::custom(format!("unknown step `{other}`, expected one of `{known}`")))
                    }
                }
            }

            fn write<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self { $( Action::$variant(p) => map.serialize_entry($key, p), )+ }
            }
        }
    };
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

actions! {
    /// The visitor is on a page with that group code (R2).
    Visit(Visit) = "visit", Event;
    /// The visitor picks a group in the contact form (R22).
    SelectGroup(SelectGroup) = "select_group", Event;
    /// A returning visitor's last agent (R15).
    PreferAgent(AgentVisitor) = "prefer_agent", Event;
    /// The agent claims the visitor's chat (R11, R13).
    Claim(AgentVisitor) = "claim", Event;
    /// The visitor starts a chat, routed under the policy (R15–R18).
    Route(VisitorOnly) = "route", Event;
    /// The visitor's chat is closed (R14).
    Release(VisitorOnly) = "release", Event;
    /// The holder transfers the chat (R19).
    Transfer(Transfer) = "transfer", Event;
    /// The visitor leaves the site (R14).
    Leave(VisitorOnly) = "leave", Event;
    /// Agent presence.
    SetStatus(SetStatus) = "set_status", Event;
    /// The agent reloads its dashboard (R9).
    Refresh(AgentOnly) = "refresh", Event;
    /// The account is saved and loaded back (R32); it must come back equal.
    SaveAndLoad(bool) = "save_and_load", Event;
    /// The holder answered the visitor's chat (R27).
    Answer(VisitorOnly) = "answer", Event;
    /// The holder declines the visitor's unanswered chat (R27).
    Decline(VisitorOnly) = "decline", Event;
    /// Time passes: this many milliseconds more (R26).
    Advance(u64) = "advance", Event;
    /// Appends a group.
    AddGroup(GroupSpec) = "add_group", Change;
    /// Removes a group (R3).
    RemoveGroup(GroupOnly) = "remove_group", Change;
    /// Appends an agent, with its status.
    AddAgent(AgentFile) = "add_agent", Change;
    /// Removes an agent (R14).
    RemoveAgent(AgentOnly) = "remove_agent", Change;
    /// Makes an agent a member, or sets its tier.
    Assign(Assign) = "assign", Change;
    /// Ends a membership.
    Unassign(Unassign) = "unassign", Change;
    /// Enables or disables an agent (R8).
    SetEnabled(SetEnabled) = "set_enabled", Change;
    /// Sets the plan (R1).
    SetPlan(Plan) = "set_plan", Change;
    /// Changes the policy fields given.
    SetPolicy(PolicyPatch) = "set_policy", Change;
    /// Turns contact-form group selection on or off (R20).
    SetGroupSelection(bool) = "set_group_selection", Change;
    /// Changes some of a group's settings, in one revision.
    UpdateGroup(UpdateGroup) = "update_group", Change;
    /// Changes some of an agent's settings, in one revision.
    UpdateAgent(UpdateAgent) = "update_agent", Change;
    /// Adds a schedule, or replaces the one with its id (R30).
    SetSchedule(ScheduleSpec) = "set_schedule", Change;
    /// Removes a schedule no group follows (R30).
    RemoveSchedule(ScheduleOnly) = "remove_schedule", Change;
    /// The visitor's effective group (R2, R3).
    ExpectGroup(ExpectGroup) = "expect_group", Expectation;
    /// Exactly these agents see the visitor (R4–R8).
    ExpectVisible(ExpectAgents) = "expect_visible", Expectation;
    /// The agent's dashboard under its loaded revision (R9).
    ExpectDashboard(ExpectDashboard) = "expect_dashboard", Expectation;
    /// Whether the agent may claim, and why not (R11).
    ExpectClaim(ExpectClaim) = "expect_claim", Expectation;
    /// Who holds the visitor's chat.
    ExpectHolder(ExpectHolder) = "expect_holder", Expectation;
    /// The candidates for a new chat of the visitor (R15, R17).
    ExpectCandidates(ExpectAgents) = "expect_candidates", Expectation;
    /// The queued chats, oldest first (R18).
    ExpectQueue(Vec<String>) = "expect_queue", Expectation;
    /// Chat box availability of a page (R10).
    ExpectOnline(ExpectOnline) = "expect_online", Expectation;
    /// The groups the contact form offers (R20, R21).
    ExpectFormChoices(Vec<String>) = "expect_form_choices", Expectation;
    /// Exactly the agents whose dashboards are stale (R9).
    ExpectNeedsRefresh(Vec<String>) = "expect_needs_refresh", Expectation;
    /// The chats the agent holds (R12, R14).
    ExpectLoad(ExpectLoad) = "expect_load", Expectation;
    /// Chat box availability for one visitor's own effective group (R10).
    ExpectOnlineFor(ExpectOnlineFor) = "expect_online_for", Expectation;
    /// The visitor's chat: holder, queued, answered, missed list (R27).
    ExpectChat(ExpectChat) = "expect_chat", Expectation;
    /// The agent's status (R27).
    ExpectStatus(ExpectStatus) = "expect_status", Expectation;
    /// Whether a group is open now (R30).
    ExpectOpen(ExpectOpen) = "expect_open", Expectation;
    /// A group's next opening or closing within 366 days (R30).
    ExpectNextChange(ExpectNextChange) = "expect_next_change", Expectation;
    /// The account's earliest pending deadline (R26); `null` for none.
    ExpectNextDeadline(Option<super::Instant>) = "expect_next_deadline", Expectation;
    /// Exactly the notices of the steps since the previous `expect_notices`
    /// (or the first step), in order (R31).
    ExpectNotices(Vec<Notice>) = "expect_notices", Expectation;
}

impl Action {
    /// Whether this is an expectation (which may not carry `expect_error`).
    ///
    /// ```
    /// let step: groupgate::scenario::Step = serde_json::from_str(r#"{"expect_queue": []}"#).unwrap();
    /// assert!(step.action.is_expectation());
    /// ```
    pub fn is_expectation(&self) -> bool {
        self.kind() == StepKind::Expectation
    }
}

/// One step of a scenario.
///
/// ```
/// let step: groupgate::scenario::Step =
///     serde_json::from_str(r#"{"claim": {"agent": "bob", "visitor": "v1"}, "expect_error": "not_in_group"}"#).unwrap();
/// assert_eq!(step.action.key(), "claim");
/// assert_eq!(step.expect_error.as_deref(), Some("not_in_group"));
/// let two = serde_json::from_str::<groupgate::scenario::Step>(r#"{"route": {"visitor": "v1"}, "leave": {"visitor": "v1"}}"#);
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
        let mut map = s.serialize_map(Some(1 + usize::from(self.expect_error.is_some())))?;
        self.action.write(&mut map)?;
        if let Some(code) = &self.expect_error {
            map.serialize_entry("expect_error", code)?;
        }
        map.end()
    }
}
