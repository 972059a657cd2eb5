//! The small value types of a configuration: plan, roles, tiers and policies.

macro_rules! str_enum {
    (
        $(#[$doc:meta])*
        $name:ident { $( $(#[$vdoc:meta])* $variant:ident => $text:literal ),+ $(,)? }
        default $default:ident
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize))]
        #[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        /// Read from its snake_case name. Anything else — `null`, a number,
        /// an unknown name — is a data error that names the type and its
        /// values, so a reader can tell what is wrong and where.
        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Name;
                impl serde::de::Visitor<'_> for Name {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, "a {} name, one of ", stringify!($name))?;
                        let names: &[&str] = &[$($text),+];
                        for (i, name) in names.iter().enumerate() {
                            write!(f, "{}`{name}`", if i == 0 { "" } else { ", " })?;
                        }
                        Ok(())
                    }
                    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        value.parse().map_err(|_| E::unknown_variant(value, &[$($text),+]))
                    }
                }
                d.deserialize_str(Name)
            }
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case name used by the scenario format and serde.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text, )+ }
            }
        }

        impl Default for $name {
            fn default() -> Self { $name::$default }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::config::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    _ => Err(crate::config::UnknownValue {
                        kind: stringify!($name),
                        value: crate::ids::shown(s),
                    }),
                }
            }
        }
    };
}

pub(crate) use str_enum;

/// A string that names no value of an enumeration (`"gold"` as a [`Plan`]).
///
/// ```
/// let err = "gold".parse::<groupgate::Plan>().unwrap_err();
/// assert_eq!(err.to_string(), "`gold` is not a valid Plan");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}")]
pub struct UnknownValue {
    /// The enumeration's name.
    pub kind: &'static str,
    /// The value given, shortened and escaped.
    pub value: String,
}

/// `unknown_value` (a code the library adds), of kind
/// [`Invalid`](crate::ErrorKind::Invalid).
///
/// ```
/// use groupgate::ErrorCode;
/// assert_eq!("gold".parse::<groupgate::Plan>().unwrap_err().code(), "unknown_value");
/// ```
impl crate::ErrorCode for UnknownValue {
    fn code(&self) -> &'static str {
        "unknown_value"
    }

    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Invalid
    }
}

str_enum!(
    /// The account's plan. Only [`Plan::Pro`] has groups (R1).
    ///
    /// ```
    /// use groupgate::Plan;
    /// assert!(Plan::Pro.has_groups());
    /// assert!(!"standard".parse::<Plan>().unwrap().has_groups());
    /// ```
    Plan {
        /// The free plan: no groups.
        Free => "free",
        /// The standard plan: no groups.
        Standard => "standard",
        /// The PRO plan: groups work.
        Pro => "pro",
    }
    default Pro
);

impl Plan {
    /// Whether groups do anything on this plan (R1).
    ///
    /// ```
    /// assert!(groupgate::Plan::Pro.has_groups() && !groupgate::Plan::Free.has_groups());
    /// ```
    pub fn has_groups(self) -> bool {
        self == Plan::Pro
    }
}

str_enum!(
    /// An agent's role. Owners and admins see everything when
    /// [`Policy::admins_see_all`] is set (R7).
    ///
    /// ```
    /// assert_eq!(groupgate::Role::default(), groupgate::Role::Agent);
    /// ```
    Role {
        /// The account owner.
        Owner => "owner",
        /// An administrator.
        Admin => "admin",
        /// A plain agent.
        Agent => "agent",
    }
    default Agent
);

impl Role {
    /// Owner or admin.
    ///
    /// ```
    /// assert!(groupgate::Role::Owner.is_admin() && !groupgate::Role::Agent.is_admin());
    /// ```
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

str_enum!(
    /// A membership's priority tier (R15). Supervisors may claim by hand but
    /// are never offered chats.
    ///
    /// ```
    /// assert_eq!(groupgate::Tier::default(), groupgate::Tier::Normal);
    /// ```
    Tier {
        /// Offered chats before everyone else.
        First => "first",
        /// The default tier.
        Normal => "normal",
        /// Offered chats only when no `first` or `normal` agent can take them.
        Last => "last",
        /// Never offered chats; may claim by hand.
        Supervisor => "supervisor",
    }
    default Normal
);

str_enum!(
    /// Policy `unassigned_agents` (R5): what an agent with no group sees.
    ///
    /// ```
    /// assert_eq!(groupgate::UnassignedAgents::default().as_str(), "see_all");
    /// ```
    UnassignedAgents {
        /// Every visitor (Smartsupp).
        SeeAll => "see_all",
        /// Only ungrouped visitors (Rocket.Chat).
        SeeUngrouped => "see_ungrouped",
        /// Nothing (Chatwoot).
        SeeNothing => "see_nothing",
    }
    default SeeAll
);

str_enum!(
    /// Policy `ungrouped_visitors` (R6): who of the agents with a group sees an
    /// ungrouped visitor.
    ///
    /// ```
    /// assert_eq!(groupgate::UngroupedVisitors::default().as_str(), "visible_to_all");
    /// ```
    UngroupedVisitors {
        /// Every enabled agent with a group.
        VisibleToAll => "visible_to_all",
        /// None of them: only unassigned agents (R5) see them.
        UnassignedOnly => "unassigned_only",
    }
    default VisibleToAll
);

str_enum!(
    /// Policy `routing` (R16): how a new chat is offered.
    ///
    /// ```
    /// assert_eq!(groupgate::Routing::default(), groupgate::Routing::Broadcast);
    /// ```
    Routing {
        /// Every candidate is offered the chat; the first claim wins.
        Broadcast => "broadcast",
        /// One agent: fewest chats, then least recently assigned, then config order.
        LeastBusy => "least_busy",
        /// One agent: least recently assigned, then config order.
        RoundRobin => "round_robin",
    }
    default Broadcast
);

str_enum!(
    /// Policy `after_missed` (R27): what happens to an agent who let a chat
    /// time out unanswered.
    ///
    /// ```
    /// assert_eq!(groupgate::AfterMissed::default().as_str(), "away");
    /// ```
    AfterMissed {
        /// An `online` agent becomes `away`; its other chats stay with it.
        Away => "away",
        /// Its status is left alone.
        Stay => "stay",
    }
    default Away
);

/// The account's policies, each defaulting to the Smartsupp behaviour.
///
/// ```
/// use groupgate::{Policy, UnassignedAgents};
/// let mut policy = Policy::default();
/// assert_eq!(policy.unassigned_agents, UnassignedAgents::SeeAll);
/// policy.admins_see_all = true;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Policy {
    /// R5.
    pub unassigned_agents: UnassignedAgents,
    /// R6.
    pub ungrouped_visitors: UngroupedVisitors,
    /// R7: owners and admins see every visitor.
    pub admins_see_all: bool,
    /// R16.
    pub routing: Routing,
    /// R21: the form leaves out groups whose chat box is offline.
    pub hide_unavailable_groups: bool,
    /// R12: the chat limit of agents without one; `None` is unlimited.
    pub default_chat_limit: Option<u32>,
    /// R27: milliseconds a picked chat may stay unanswered before its
    /// holder missed it; `None`: never.
    pub answer_timeout: Option<u64>,
    /// R27: what a miss does to the agent's status.
    pub after_missed: AfterMissed,
    /// R28: milliseconds an agent may stay offline before its chats go
    /// back to the queue; `None`: never (it keeps them).
    pub offline_requeue_after: Option<u64>,
}

/// Some of the policies to change: the fields given replace the policy's,
/// the others keep theirs (the scenario format's `set_policy`). In serde,
/// a field left out keeps its value and `default_chat_limit: null` sets
/// the limit to none (unlimited).
///
/// ```
/// use groupgate::{Policy, PolicyPatch, Routing};
/// let patch = PolicyPatch { routing: Some(Routing::LeastBusy), ..PolicyPatch::default() };
/// let policy = patch.applied_to(Policy::default());
/// assert_eq!((policy.routing, policy.admins_see_all), (Routing::LeastBusy, false));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct PolicyPatch {
    /// R5, when given.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub unassigned_agents: Option<UnassignedAgents>,
    /// R6, when given.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub ungrouped_visitors: Option<UngroupedVisitors>,
    /// R7, when given.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub admins_see_all: Option<bool>,
    /// R16, when given.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub routing: Option<Routing>,
    /// R21, when given.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub hide_unavailable_groups: Option<bool>,
    /// R12, when given: `Some(None)` (written `null`) is unlimited.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")
    )]
    pub default_chat_limit: Option<Option<u32>>,
    /// R27, when given: `Some(None)` (written `null`) is never.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")
    )]
    pub answer_timeout: Option<Option<u64>>,
    /// R27, when given.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub after_missed: Option<AfterMissed>,
    /// R28, when given: `Some(None)` (written `null`) is never.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")
    )]
    pub offline_requeue_after: Option<Option<u64>>,
}

impl PolicyPatch {
    /// `policy` with the fields given replaced.
    pub fn applied_to(&self, mut policy: Policy) -> Policy {
        policy.unassigned_agents = self.unassigned_agents.unwrap_or(policy.unassigned_agents);
        policy.ungrouped_visitors = self.ungrouped_visitors.unwrap_or(policy.ungrouped_visitors);
        policy.admins_see_all = self.admins_see_all.unwrap_or(policy.admins_see_all);
        policy.routing = self.routing.unwrap_or(policy.routing);
        policy.hide_unavailable_groups = self.hide_unavailable_groups.unwrap_or(policy.hide_unavailable_groups);
        policy.default_chat_limit = self.default_chat_limit.unwrap_or(policy.default_chat_limit);
        policy.answer_timeout = self.answer_timeout.unwrap_or(policy.answer_timeout);
        policy.after_missed = self.after_missed.unwrap_or(policy.after_missed);
        policy.offline_requeue_after = self.offline_requeue_after.unwrap_or(policy.offline_requeue_after);
        policy
    }
}

/// The patch that gives every field: applied to any policy, it gives
/// `policy` (how a change replaces the whole policy).
///
/// ```
/// use groupgate::{Policy, PolicyPatch, Routing};
/// let mut wanted = Policy::default();
/// wanted.routing = Routing::RoundRobin;
/// assert_eq!(PolicyPatch::from(wanted).applied_to(Policy::default()), wanted);
/// ```
impl From<Policy> for PolicyPatch {
    fn from(policy: Policy) -> Self {
        PolicyPatch {
            unassigned_agents: Some(policy.unassigned_agents),
            ungrouped_visitors: Some(policy.ungrouped_visitors),
            admins_see_all: Some(policy.admins_see_all),
            routing: Some(policy.routing),
            hide_unavailable_groups: Some(policy.hide_unavailable_groups),
            default_chat_limit: Some(policy.default_chat_limit),
            answer_timeout: Some(policy.answer_timeout),
            after_missed: Some(policy.after_missed),
            offline_requeue_after: Some(policy.offline_requeue_after),
        }
    }
}

/// A field that is present, even as `null`, is `Some`: the patches'
/// "left out keeps, `null` clears" (here, the changes' serde form and the
/// scenario steps).
#[cfg(feature = "serde")]
pub(crate) fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}
