//! The file format of `SCENARIO-FORMAT.md`, as serde types. Unknown fields
//! anywhere are an error.

use serde::{Deserialize, Serialize};

use crate::instant::{Instant, check_duration};
use groupgate::MAX_INSTANT;
use groupgate::{Change, ConfigBuilder, ContactForm, Event, GroupSpec, Plan, Policy, ScheduleSpec};

/// A scenario file: one account and the steps run against it.
///
/// ```
/// let file = r#"{
///   "description": "members see their group",
///   "account": {"plan": "pro", "groups": [{"id": "en"}], "agents": [{"id": "anna", "groups": ["en"]}]},
///   "steps": [
///     {"visit": {"visitor": "v1", "page_group": "en"}},
///     {"expect_visible": {"visitor": "v1", "agents": ["anna"]}}
///   ]
/// }"#;
/// let scenario: groupgate_scenario::Scenario = serde_json::from_str(file).unwrap();
/// assert!(scenario.run().passed());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawScenario", into = "RawScenario")]
pub struct Scenario {
    /// What the scenario shows.
    pub description: String,
    /// The account at revision 1.
    pub account: AccountFile,
    /// The steps, run in order; step `i` runs at clock `start + i + A`,
    /// A the sum of the `advance` amounts of steps 0 to `i` (R26).
    pub steps: Vec<crate::Step>,
    /// When set, the account must fail validation with exactly these codes
    /// (as a set) and there are no steps.
    pub expect_invalid: Option<Vec<String>>,
    /// Whether `expect_notices` compares the visitor notices too
    /// (`visitor_entered`, `visitor_moved`, `visitor_left`, R31); files
    /// written before they existed leave it out.
    pub visitor_notices: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    #[serde(default)]
    description: String,
    account: AccountFile,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    steps: Vec<crate::Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expect_invalid: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    visitor_notices: bool,
}

impl TryFrom<RawScenario> for Scenario {
    type Error = String;
    fn try_from(raw: RawScenario) -> Result<Self, String> {
        if raw.expect_invalid.is_some() && !raw.steps.is_empty() {
            return Err("a scenario with `expect_invalid` must have no steps".into());
        }
        let policy = &raw.account.policy;
        check_duration("answer_timeout", policy.answer_timeout)?;
        check_duration("offline_requeue_after", policy.offline_requeue_after)?;
        for g in &raw.account.groups {
            check_duration(&format!("group `{}`: overflow_after", g.id), g.overflow_after)?;
        }
        // Step i runs at start + i + the advances of steps 0 to i (R26): a
        // clock past 2^53 − 1 is a format error, not a clock held at its end.
        let (start, mut advanced) = (u128::from(raw.account.start.0), 0u128);
        for (i, step) in raw.steps.iter().enumerate() {
            let at = |what: &str| format!("step {i}: {what}");
            if let crate::Action::Event(Event::AdvanceBy(ms)) = step.action {
                advanced += u128::from(ms);
            }
            let clock = start + i as u128 + advanced;
            if clock > u128::from(MAX_INSTANT) {
                return Err(at(&format!(
                    "its clock, {start} (start) + {i} + {advanced} (advanced) = {clock} ms, passes 2^53 − 1 ms"
                )));
            }
            match &step.action {
                crate::Action::Event(Event::AdvanceBy(ms)) => check_duration(&at("advance"), Some(*ms))?,
                crate::Action::Event(Event::Change(Change::SetPolicy(p))) => {
                    check_duration(&at("answer_timeout"), p.answer_timeout.flatten())?;
                    check_duration(&at("offline_requeue_after"), p.offline_requeue_after.flatten())?;
                }
                crate::Action::Event(Event::Change(Change::UpdateGroup(u))) => {
                    check_duration(&at("overflow_after"), u.overflow_after.flatten())?;
                }
                crate::Action::Event(Event::Change(Change::AddGroup(g))) => {
                    check_duration(&at("overflow_after"), g.overflow_after)?;
                }
                _ => {}
            }
        }
        Ok(Scenario {
            description: raw.description,
            account: raw.account,
            steps: raw.steps,
            expect_invalid: raw.expect_invalid,
            visitor_notices: raw.visitor_notices,
        })
    }
}

impl From<Scenario> for RawScenario {
    fn from(s: Scenario) -> Self {
        RawScenario {
            description: s.description,
            account: s.account,
            steps: s.steps,
            expect_invalid: s.expect_invalid,
            visitor_notices: s.visitor_notices,
        }
    }
}

/// The `account` of a scenario: a configuration plus each agent's status.
///
/// ```
/// let account: groupgate_scenario::AccountFile =
///     serde_json::from_str(r#"{"groups": [{"id": "en"}], "agents": [{"id": "anna", "status": "away"}]}"#).unwrap();
/// assert_eq!(account.builder().build().unwrap().groups().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct AccountFile {
    /// The plan; `pro` when left out.
    pub plan: Plan,
    /// The policies.
    pub policy: Policy,
    /// The clock at the start (R26); 0 when left out.
    #[serde(skip_serializing_if = "is_zero")]
    pub start: Instant,
    /// Schedules in configuration order (R30).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<ScheduleSpec>,
    /// Groups in configuration order.
    pub groups: Vec<GroupSpec>,
    /// Agents in configuration order.
    pub agents: Vec<AgentFile>,
    /// The contact form.
    pub contact_form: ContactForm,
}

impl AccountFile {
    /// The configuration part, unchecked.
    ///
    /// ```
    /// let account: groupgate_scenario::AccountFile = serde_json::from_str(r#"{"plan": "free"}"#).unwrap();
    /// assert_eq!(account.builder().plan, groupgate::Plan::Free);
    /// ```
    pub fn builder(&self) -> ConfigBuilder {
        let mut b = ConfigBuilder::new().plan(self.plan).policy(self.policy);
        b.schedules.clone_from(&self.schedules);
        b.groups.clone_from(&self.groups);
        b.agents = self.agents.iter().map(|a| a.agent.clone()).collect();
        b.contact_form = self.contact_form;
        b
    }
}

fn is_zero(i: &Instant) -> bool {
    i.0 == 0
}

/// An agent of a scenario file: an [`AgentSpec`](groupgate::AgentSpec) plus
/// its status (default `online`), the same as an `add_agent` event's.
///
/// ```
/// let agent: groupgate_scenario::AgentFile = serde_json::from_str(r#"{"id": "anna"}"#).unwrap();
/// assert_eq!(agent.status, groupgate::Status::Online);
/// ```
pub type AgentFile = groupgate::event::NewAgent;
