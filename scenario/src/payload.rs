//! The payloads of expectations: what each of the format's checks names,
//! as serde types (unknown fields are errors). Events and changes are the
//! library's own [`Event`](groupgate::Event).

use serde::{Deserialize, Deserializer, Serialize};

use groupgate::Status;

macro_rules! payload {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name { $($(#[$fdoc])* pub $field: $ty),* }
    };
}

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
/// let e: groupgate_scenario::ExpectChat = serde_json::from_str(
///     r#"{"visitor": "v1", "holder": null, "queued": true, "answered": false, "missed": ["bob"]}"#).unwrap();
/// assert_eq!((e.holder, e.missed), (None, vec!["bob".to_string()]));
/// assert!(serde_json::from_str::<groupgate_scenario::ExpectChat>(
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
/// let e: groupgate_scenario::ExpectNextChange =
///     serde_json::from_str(r#"{"group": "de", "at": "2026-11-23T17:00:00Z"}"#).unwrap();
/// assert_eq!(e.at.map(|i| i.0), Some(1_795_453_200_000));
/// assert!(serde_json::from_str::<groupgate_scenario::ExpectNextChange>(r#"{"group": "de"}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectNextChange {
    /// The group.
    pub group: String,
    /// The next instant after the clock, within 366 days, at which it opens
    /// or closes (R30).
    #[serde(deserialize_with = "required")]
    pub at: Option<crate::Instant>,
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

/// `expect_claim`: `reason` is required with `allowed: false` and absent with `true`.
///
/// ```
/// let e: groupgate_scenario::ExpectClaim =
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
