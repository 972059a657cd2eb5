//! The payloads of steps: what each event, change and expectation of the
//! format names, as serde types (unknown fields are errors).

use serde::{Deserialize, Deserializer, Serialize};

use crate::config::present;
use crate::{Status, Tier};

macro_rules! payload {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name { $($(#[$fdoc])* pub $field: $ty),* }
    };
}

payload!(
    /// `visit`.
    Visit {
        /// The visitor; created on first mention.
        visitor: String,
        /// The page's group code; left out for a page without one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page_group: Option<String>,
    }
);
payload!(
    /// `select_group`.
    SelectGroup {
        /// The visitor.
        visitor: String,
        /// The group it picks in the contact form.
        group: String,
    }
);
payload!(
    /// `prefer_agent`, `claim`.
    AgentVisitor {
        /// The agent.
        agent: String,
        /// The visitor.
        visitor: String,
    }
);
payload!(
    /// `route`, `release`, `leave`.
    VisitorOnly {
        /// The visitor.
        visitor: String,
    }
);
payload!(
    /// `set_status`.
    SetStatus {
        /// The agent.
        agent: String,
        /// Its new presence.
        status: Status,
    }
);
payload!(
    /// `refresh`, `remove_agent`.
    AgentOnly {
        /// The agent.
        agent: String,
    }
);
payload!(
    /// `remove_group`.
    GroupOnly {
        /// The group.
        group: String,
    }
);
payload!(
    /// `assign`.
    Assign {
        /// The agent.
        agent: String,
        /// The group it becomes a member of.
        group: String,
        /// Its tier there; `normal` when left out.
        #[serde(default)]
        tier: Tier,
    }
);
payload!(
    /// `unassign`.
    Unassign {
        /// The agent.
        agent: String,
        /// The group it leaves.
        group: String,
    }
);
payload!(
    /// `set_enabled`.
    SetEnabled {
        /// The agent.
        agent: String,
        /// Enabled or disabled (R8).
        enabled: bool,
    }
);
payload!(
    /// `expect_group`.
    ExpectGroup {
        /// The visitor.
        visitor: String,
        /// Its effective group; `null` for ungrouped.
        #[serde(default)]
        group: Option<String>,
    }
);
payload!(
    /// `expect_visible`, `expect_candidates`.
    ExpectAgents {
        /// The visitor.
        visitor: String,
        /// The agents, in configuration order (the preferred agent first for candidates).
        agents: Vec<String>,
    }
);
payload!(
    /// `expect_dashboard`.
    ExpectDashboard {
        /// The agent.
        agent: String,
        /// The visitors on its dashboard, in order of arrival.
        visitors: Vec<String>,
    }
);
payload!(
    /// `expect_holder`.
    ExpectHolder {
        /// The visitor.
        visitor: String,
        /// The agent holding its chat; `null` for nobody.
        #[serde(default)]
        agent: Option<String>,
    }
);
payload!(
    /// `expect_online`.
    ExpectOnline {
        /// The page's group code; left out for a page without one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page_group: Option<String>,
        /// Whether the chat box is online.
        online: bool,
    }
);
payload!(
    /// `expect_online_for`.
    ExpectOnlineFor {
        /// The visitor.
        visitor: String,
        /// Whether a new chat of the visitor would have a candidate (R10).
        online: bool,
    }
);
payload!(
    /// `expect_load`.
    ExpectLoad {
        /// The agent.
        agent: String,
        /// The chats it holds.
        chats: u32,
    }
);

/// `expect_chat`: every field is required.
///
/// ```
/// let e: groupgate::scenario::ExpectChat = serde_json::from_str(
///     r#"{"visitor": "v1", "holder": null, "queued": true, "answered": false, "missed": ["bob"]}"#).unwrap();
/// assert_eq!((e.holder, e.missed), (None, vec!["bob".to_string()]));
/// assert!(serde_json::from_str::<groupgate::scenario::ExpectChat>(
///     r#"{"visitor": "v1", "queued": true, "answered": false, "missed": []}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectChat {
    /// The visitor.
    pub visitor: String,
    /// The holder of its chat; `null` for nobody.
    #[serde(deserialize_with = "required")]
    pub holder: Option<String>,
    /// Whether the chat waits in the queue.
    pub queued: bool,
    /// Whether it is answered (R27).
    pub answered: bool,
    /// Its missed list, in the order agents joined it (R27).
    pub missed: Vec<String>,
}

/// A field that must be written, even as `null`.
fn required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

payload!(
    /// `remove_schedule`.
    ScheduleOnly {
        /// The schedule.
        schedule: String,
    }
);

payload!(
    /// `expect_open`.
    ExpectOpen {
        /// The group.
        group: String,
        /// Whether it is open now (R30).
        open: bool,
    }
);

/// `expect_next_change`: `at` is required, `null` for none.
///
/// ```
/// let e: groupgate::scenario::ExpectNextChange =
///     serde_json::from_str(r#"{"group": "de", "at": "2026-11-23T17:00:00Z"}"#).unwrap();
/// assert_eq!(e.at.map(|i| i.0), Some(1_795_453_200_000));
/// assert!(serde_json::from_str::<groupgate::scenario::ExpectNextChange>(r#"{"group": "de"}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectNextChange {
    /// The group.
    pub group: String,
    /// The next instant after the clock, within 366 days, at which it opens
    /// or closes (R30).
    #[serde(deserialize_with = "required")]
    pub at: Option<super::Instant>,
}

payload!(
    /// `expect_status`.
    ExpectStatus {
        /// The agent.
        agent: String,
        /// Its status (R27 changes it).
        status: Status,
    }
);

/// `update_group`: the fields given change; `null` clears `fallback`,
/// `chat_limit`, `overflow_after` and `schedule`.
///
/// ```
/// let u: groupgate::scenario::UpdateGroup = serde_json::from_str(r#"{"group": "de", "fallback": null}"#).unwrap();
/// assert_eq!((u.fallback, u.chat_limit), (Some(None), None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    /// The group.
    pub group: String,
    /// Its display name, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the contact form offers it, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_contact_form: Option<bool>,
    /// Its fallback, when given; `null` clears it.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Option<String>>,
    /// Its per-agent chat limit, when given; `null` is unlimited.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub chat_limit: Option<Option<u32>>,
    /// Its overflow wait (R29) in milliseconds, when given; `null` is never.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub overflow_after: Option<Option<u64>>,
    /// Its schedule (R30), when given; `null` is none.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Option<String>>,
}

/// `update_agent`: the fields given change; `chat_limit: null` falls back
/// to the account default.
///
/// ```
/// let u: groupgate::scenario::UpdateAgent = serde_json::from_str(r#"{"agent": "bob", "role": "admin"}"#).unwrap();
/// assert_eq!(u.chat_limit, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    /// The agent.
    pub agent: String,
    /// Its role, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<crate::Role>,
    /// Its chat limit, when given; `null` uses the account default.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub chat_limit: Option<Option<u32>>,
}

/// `transfer`: exactly one of `to_group`, `to_agent`.
///
/// ```
/// let step: groupgate::scenario::Step = serde_json::from_str(r#"{"transfer": {"visitor": "v1", "to_group": "de"}}"#).unwrap();
/// assert!(matches!(step.action, groupgate::scenario::Action::Transfer(groupgate::scenario::Transfer::ToGroup { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawTransfer", into = "RawTransfer")]
pub enum Transfer {
    /// `to_group`: unclaimed and routed in that group (R19).
    ToGroup {
        /// The visitor whose chat moves.
        visitor: String,
        /// The target group.
        group: String,
    },
    /// `to_agent`: to an agent who may claim it (R19).
    ToAgent {
        /// The visitor whose chat moves.
        visitor: String,
        /// The target agent.
        agent: String,
    },
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
