//! Steps: an object with exactly one action key, and `expect_error` on the
//! steps that can fail.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{GroupSpec, Plan, Routing, Status, Tier, UnassignedAgents, UngroupedVisitors};

use super::format::AgentFile;

macro_rules! payload {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(missing_docs)]
        pub struct $name { $($(#[$fdoc])* pub $field: $ty),* }
    };
}

payload!(
    /// `visit`.
    Visit { visitor: String, #[serde(default, skip_serializing_if = "Option::is_none")] page_group: Option<String> }
);
payload!(
    /// `select_group`.
    SelectGroup { visitor: String, group: String }
);
payload!(
    /// `prefer_agent`, `claim`.
    AgentVisitor { agent: String, visitor: String }
);
payload!(
    /// `route`, `release`, `leave`.
    VisitorOnly { visitor: String }
);
payload!(
    /// `set_status`.
    SetStatus { agent: String, status: Status }
);
payload!(
    /// `refresh`, `remove_agent`.
    AgentOnly { agent: String }
);
payload!(
    /// `remove_group`.
    GroupOnly { group: String }
);
payload!(
    /// `assign`.
    Assign { agent: String, group: String, #[serde(default)] tier: Tier }
);
payload!(
    /// `unassign`.
    Unassign { agent: String, group: String }
);
payload!(
    /// `set_enabled`.
    SetEnabled { agent: String, enabled: bool }
);
payload!(
    /// `expect_group`.
    ExpectGroup { visitor: String, #[serde(default)] group: Option<String> }
);
payload!(
    /// `expect_visible`, `expect_candidates`.
    ExpectAgents { visitor: String, agents: Vec<String> }
);
payload!(
    /// `expect_dashboard`.
    ExpectDashboard { agent: String, visitors: Vec<String> }
);
payload!(
    /// `expect_holder`.
    ExpectHolder { visitor: String, #[serde(default)] agent: Option<String> }
);
payload!(
    /// `expect_online`.
    ExpectOnline { #[serde(default, skip_serializing_if = "Option::is_none")] page_group: Option<String>, online: bool }
);
payload!(
    /// `expect_load`.
    ExpectLoad { agent: String, chats: u32 }
);

/// `transfer`: exactly one of `to_group`, `to_agent`.
///
/// ```
/// let step: groupgate::scenario::Step = serde_json::from_str(r#"{"transfer": {"visitor": "v1", "to_group": "de"}}"#).unwrap();
/// assert!(matches!(step.action, groupgate::scenario::Action::Transfer(groupgate::scenario::Transfer::ToGroup { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawTransfer", into = "RawTransfer")]
#[allow(missing_docs)]
pub enum Transfer {
    ToGroup { visitor: String, group: String },
    ToAgent { visitor: String, agent: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransfer {
    visitor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to_agent: Option<String>,
}

impl TryFrom<RawTransfer> for Transfer {
    type Error = &'static str;
    fn try_from(raw: RawTransfer) -> Result<Self, Self::Error> {
        match (raw.to_group, raw.to_agent) {
            (Some(group), None) => Ok(Transfer::ToGroup { visitor: raw.visitor, group }),
            (None, Some(agent)) => Ok(Transfer::ToAgent { visitor: raw.visitor, agent }),
            _ => Err("`transfer` needs exactly one of `to_group` and `to_agent`"),
        }
    }
}

impl From<Transfer> for RawTransfer {
    fn from(t: Transfer) -> Self {
        match t {
            Transfer::ToGroup { visitor, group } => RawTransfer { visitor, to_group: Some(group), to_agent: None },
            Transfer::ToAgent { visitor, agent } => RawTransfer { visitor, to_group: None, to_agent: Some(agent) },
        }
    }
}

/// `expect_claim`: `reason` is required with `allowed: false` and absent with `true`.
///
/// ```
/// let e: groupgate::scenario::ExpectClaim =
///     serde_json::from_str(r#"{"agent": "a", "visitor": "v", "allowed": false, "reason": "at_capacity"}"#).unwrap();
/// assert_eq!(e.reason.as_deref(), Some("at_capacity"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawExpectClaim", into = "RawExpectClaim")]
pub struct ExpectClaim {
    /// The agent.
    pub agent: String,
    /// The visitor.
    pub visitor: String,
    /// `None` when the claim must be allowed, else the code it must fail with.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectClaim {
    agent: String,
    visitor: String,
    allowed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl TryFrom<RawExpectClaim> for ExpectClaim {
    type Error = &'static str;
    fn try_from(raw: RawExpectClaim) -> Result<Self, Self::Error> {
        match (raw.allowed, raw.reason) {
            (true, None) => Ok(ExpectClaim { agent: raw.agent, visitor: raw.visitor, reason: None }),
            (false, Some(r)) => Ok(ExpectClaim { agent: raw.agent, visitor: raw.visitor, reason: Some(r) }),
            (true, Some(_)) => Err("`expect_claim` with `allowed: true` must not have a `reason`"),
            (false, None) => Err("`expect_claim` with `allowed: false` needs a `reason`"),
        }
    }
}

impl From<ExpectClaim> for RawExpectClaim {
    fn from(e: ExpectClaim) -> Self {
        RawExpectClaim { agent: e.agent, visitor: e.visitor, allowed: e.reason.is_none(), reason: e.reason }
    }
}

/// `set_policy`: the policy fields to change. `default_chat_limit: null` sets
/// it to unlimited; leaving it out keeps it.
///
/// ```
/// let p: groupgate::scenario::PolicyPatch = serde_json::from_str(r#"{"default_chat_limit": null}"#).unwrap();
/// assert_eq!(p.default_chat_limit, Some(None)); // present as null: set to unlimited
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PolicyPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unassigned_agents: Option<UnassignedAgents>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ungrouped_visitors: Option<UngroupedVisitors>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admins_see_all: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_unavailable_groups: Option<bool>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub default_chat_limit: Option<Option<u32>>,
}

/// A field that is present, even as `null`, is `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(d).map(Some)
}

/// What a step does. Names and payloads are those of the scenario format.
///
/// ```
/// let step: groupgate::scenario::Step = serde_json::from_str(r#"{"set_plan": "free"}"#).unwrap();
/// assert_eq!(step.action, groupgate::scenario::Action::SetPlan(groupgate::Plan::Free));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Action {
    Visit(Visit),
    SelectGroup(SelectGroup),
    PreferAgent(AgentVisitor),
    Claim(AgentVisitor),
    Route(VisitorOnly),
    Release(VisitorOnly),
    Transfer(Transfer),
    Leave(VisitorOnly),
    SetStatus(SetStatus),
    Refresh(AgentOnly),
    AddGroup(GroupSpec),
    RemoveGroup(GroupOnly),
    AddAgent(AgentFile),
    RemoveAgent(AgentOnly),
    Assign(Assign),
    Unassign(Unassign),
    SetEnabled(SetEnabled),
    SetPlan(Plan),
    SetPolicy(PolicyPatch),
    SetGroupSelection(bool),
    ExpectGroup(ExpectGroup),
    ExpectVisible(ExpectAgents),
    ExpectDashboard(ExpectDashboard),
    ExpectClaim(ExpectClaim),
    ExpectHolder(ExpectHolder),
    ExpectCandidates(ExpectAgents),
    ExpectQueue(Vec<String>),
    ExpectOnline(ExpectOnline),
    ExpectFormChoices(Vec<String>),
    ExpectNeedsRefresh(Vec<String>),
    ExpectLoad(ExpectLoad),
}

/// Every action key, in the format's order.
///
/// ```
/// assert!(groupgate::scenario::ACTIONS.contains(&"expect_needs_refresh"));
/// ```
pub const ACTIONS: &[&str] = &[
    "visit",
    "select_group",
    "prefer_agent",
    "claim",
    "route",
    "release",
    "transfer",
    "leave",
    "set_status",
    "refresh",
    "add_group",
    "remove_group",
    "add_agent",
    "remove_agent",
    "assign",
    "unassign",
    "set_enabled",
    "set_plan",
    "set_policy",
    "set_group_selection",
    "expect_group",
    "expect_visible",
    "expect_dashboard",
    "expect_claim",
    "expect_holder",
    "expect_candidates",
    "expect_queue",
    "expect_online",
    "expect_form_choices",
    "expect_needs_refresh",
    "expect_load",
];

impl Action {
    /// The action's key in the file.
    ///
    /// ```
    /// let step: groupgate::scenario::Step = serde_json::from_str(r#"{"refresh": {"agent": "anna"}}"#).unwrap();
    /// assert_eq!(step.action.key(), "refresh");
    /// ```
    pub fn key(&self) -> &'static str {
        macro_rules! keys {
            ($($variant:ident => $key:literal),* $(,)?) => {
                match self { $(Action::$variant(_) => $key,)* }
            };
        }
        keys!(
            Visit => "visit", SelectGroup => "select_group", PreferAgent => "prefer_agent", Claim => "claim",
            Route => "route", Release => "release", Transfer => "transfer", Leave => "leave",
            SetStatus => "set_status", Refresh => "refresh", AddGroup => "add_group", RemoveGroup => "remove_group",
            AddAgent => "add_agent", RemoveAgent => "remove_agent", Assign => "assign", Unassign => "unassign",
            SetEnabled => "set_enabled", SetPlan => "set_plan", SetPolicy => "set_policy",
            SetGroupSelection => "set_group_selection", ExpectGroup => "expect_group",
            ExpectVisible => "expect_visible", ExpectDashboard => "expect_dashboard", ExpectClaim => "expect_claim",
            ExpectHolder => "expect_holder", ExpectCandidates => "expect_candidates", ExpectQueue => "expect_queue",
            ExpectOnline => "expect_online", ExpectFormChoices => "expect_form_choices",
            ExpectNeedsRefresh => "expect_needs_refresh", ExpectLoad => "expect_load",
        )
    }

    /// Whether this is an expectation (which may not carry `expect_error`).
    ///
    /// ```
    /// let step: groupgate::scenario::Step = serde_json::from_str(r#"{"expect_queue": []}"#).unwrap();
    /// assert!(step.action.is_expectation());
    /// ```
    pub fn is_expectation(&self) -> bool {
        self.key().starts_with("expect_")
    }

    fn read<'de, A: MapAccess<'de>>(key: &str, map: &mut A) -> Result<Action, A::Error> {
        Ok(match key {
            "visit" => Action::Visit(map.next_value()?),
            "select_group" => Action::SelectGroup(map.next_value()?),
            "prefer_agent" => Action::PreferAgent(map.next_value()?),
            "claim" => Action::Claim(map.next_value()?),
            "route" => Action::Route(map.next_value()?),
            "release" => Action::Release(map.next_value()?),
            "transfer" => Action::Transfer(map.next_value()?),
            "leave" => Action::Leave(map.next_value()?),
            "set_status" => Action::SetStatus(map.next_value()?),
            "refresh" => Action::Refresh(map.next_value()?),
            "add_group" => Action::AddGroup(map.next_value()?),
            "remove_group" => Action::RemoveGroup(map.next_value()?),
            "add_agent" => Action::AddAgent(map.next_value()?),
            "remove_agent" => Action::RemoveAgent(map.next_value()?),
            "assign" => Action::Assign(map.next_value()?),
            "unassign" => Action::Unassign(map.next_value()?),
            "set_enabled" => Action::SetEnabled(map.next_value()?),
            "set_plan" => Action::SetPlan(map.next_value()?),
            "set_policy" => Action::SetPolicy(map.next_value()?),
            "set_group_selection" => Action::SetGroupSelection(map.next_value()?),
            "expect_group" => Action::ExpectGroup(map.next_value()?),
            "expect_visible" => Action::ExpectVisible(map.next_value()?),
            "expect_dashboard" => Action::ExpectDashboard(map.next_value()?),
            "expect_claim" => Action::ExpectClaim(map.next_value()?),
            "expect_holder" => Action::ExpectHolder(map.next_value()?),
            "expect_candidates" => Action::ExpectCandidates(map.next_value()?),
            "expect_queue" => Action::ExpectQueue(map.next_value()?),
            "expect_online" => Action::ExpectOnline(map.next_value()?),
            "expect_form_choices" => Action::ExpectFormChoices(map.next_value()?),
            "expect_needs_refresh" => Action::ExpectNeedsRefresh(map.next_value()?),
            "expect_load" => Action::ExpectLoad(map.next_value()?),
            other => {
                let known = ACTIONS.join("`, `");
                return Err(de::Error::custom(format!("unknown step `{other}`, expected one of `{known}`")));
            }
        })
    }

    fn write<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let key = self.key();
        match self {
            Action::Visit(p) => map.serialize_entry(key, p),
            Action::SelectGroup(p) => map.serialize_entry(key, p),
            Action::PreferAgent(p) | Action::Claim(p) => map.serialize_entry(key, p),
            Action::Route(p) | Action::Release(p) | Action::Leave(p) => map.serialize_entry(key, p),
            Action::Transfer(p) => map.serialize_entry(key, p),
            Action::SetStatus(p) => map.serialize_entry(key, p),
            Action::Refresh(p) | Action::RemoveAgent(p) => map.serialize_entry(key, p),
            Action::AddGroup(p) => map.serialize_entry(key, p),
            Action::RemoveGroup(p) => map.serialize_entry(key, p),
            Action::AddAgent(p) => map.serialize_entry(key, p),
            Action::Assign(p) => map.serialize_entry(key, p),
            Action::Unassign(p) => map.serialize_entry(key, p),
            Action::SetEnabled(p) => map.serialize_entry(key, p),
            Action::SetPlan(p) => map.serialize_entry(key, p),
            Action::SetPolicy(p) => map.serialize_entry(key, p),
            Action::SetGroupSelection(p) => map.serialize_entry(key, p),
            Action::ExpectGroup(p) => map.serialize_entry(key, p),
            Action::ExpectVisible(p) | Action::ExpectCandidates(p) => map.serialize_entry(key, p),
            Action::ExpectDashboard(p) => map.serialize_entry(key, p),
            Action::ExpectClaim(p) => map.serialize_entry(key, p),
            Action::ExpectHolder(p) => map.serialize_entry(key, p),
            Action::ExpectQueue(p) | Action::ExpectFormChoices(p) | Action::ExpectNeedsRefresh(p) => {
                map.serialize_entry(key, p)
            }
            Action::ExpectOnline(p) => map.serialize_entry(key, p),
            Action::ExpectLoad(p) => map.serialize_entry(key, p),
        }
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
