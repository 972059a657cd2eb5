//! What the admin writes: plain, unchecked descriptions of an account.
//!
//! These builders never fail; every problem is reported at once by
//! [`ConfigBuilder::build`] (R23). They are also the serde form of a
//! [`Config`](crate::Config).

use indexmap::IndexMap;

#[cfg(feature = "serde")]
use super::present;
use super::{Plan, Policy, Role, ScheduleSpec, Tier};

/// Settings, each declared once: its type and default, its serde
/// attributes in the spec and in the patch, its builder on the spec and its
/// setter on the patch. The macro writes the spec with its constructor and
/// builders, the patch with its setters, and the one function that applies
/// a patch (to whatever holds the settings under the same names); a new
/// setting is one entry in a table below.
macro_rules! settings {
    (
        $(#[$smeta:meta])*
        spec $Spec:ident { $key_doc:literal $key:ident $(, $(#[$fmeta:meta])* $fixed:ident: $fty:ty = $fdefault:expr)* }
        $(#[$pmeta:meta])*
        patch $Patch:ident { $pkey_doc:literal $pkey:ident } applied to $Target:ty;
        $(
            $(#[doc = $doc:literal])*
            $field:ident: $ty:ty = $default:expr,
            spec [$($sattr:tt)*],
            patch [$($pattr:tt)*],
            build($barg:ident: $bty:ty) => $bconv:expr,
            set($parg:ident: $pty:ty) => $pconv:expr;
        )*
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
        #[non_exhaustive]
        pub struct $Spec {
            #[doc = $key_doc]
            pub $key: String,
            $( $(#[$fmeta])* pub $fixed: $fty, )*
            $(
                $(#[doc = $doc])*
                #[cfg_attr(feature = "serde", serde($($sattr)*))]
                pub $field: $ty,
            )*
        }

        impl $Spec {
            /// One with the given id and every other field at its default.
            pub fn new($key: impl Into<String>) -> Self {
                $Spec { $key: $key.into(), $( $fixed: $fdefault, )* $( $field: $default, )* }
            }

            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                #[must_use]
                pub fn $field(mut self, $barg: $bty) -> Self {
                    self.$field = $bconv;
                    self
                }
            )*
        }

        $(#[$pmeta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
        #[non_exhaustive]
        pub struct $Patch {
            #[doc = $pkey_doc]
            pub $pkey: String,
            $(
                $(#[doc = $doc])*
                #[cfg_attr(feature = "serde", serde($($pattr)*))]
                pub $field: Option<$ty>,
            )*
        }

        impl $Patch {
            /// A patch that changes nothing yet.
            pub fn new($pkey: impl Into<String>) -> Self {
                $Patch { $pkey: $pkey.into(), ..$Patch::default() }
            }

            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                #[must_use]
                pub fn $field(mut self, $parg: $pty) -> Self {
                    self.$field = Some($pconv);
                    self
                }
            )*

            /// The one place such a patch is applied: the fields given
            /// replace the target's, the others stay.
            pub(crate) fn apply_to(&self, target: &mut $Target) {
                $(
                    if let Some(given) = &self.$field {
                        target.$field.clone_from(given);
                    }
                )*
            }
        }
    };
}

settings! {
    /// A group as the admin describes it. Ids are checked when the
    /// configuration is built.
    ///
    /// ```
    /// use groupgate::GroupSpec;
    /// let de = GroupSpec::new("support-de").name("Support DE").fallback("support-en").overflow_after(60_000);
    /// assert_eq!((de.id.as_str(), de.overflow_after), ("support-de", Some(60_000)));
    /// ```
    spec GroupSpec { "The `GROUP_ID` of the page code." id }
    /// Some of one group's settings to change (the scenario format's
    /// `update_group`): the fields given (`Some`) replace the group's, the
    /// others keep theirs; `Some(None)` (written `null`) clears a name (back
    /// to the id), a fallback, a chat limit, an overflow wait or a schedule.
    ///
    /// ```
    /// use groupgate::{Change, GroupPatch};
    /// let patch = GroupPatch::new("de").chat_limit(Some(2)).fallback(None);
    /// assert_eq!((patch.chat_limit, patch.fallback.clone(), patch.name.clone()), (Some(Some(2)), Some(None), None));
    /// let change = Change::UpdateGroup(patch);
    /// assert_eq!(change.key(), "update_group");
    /// ```
    patch GroupPatch { "The group changed." group } applied to GroupSpec;
    /// Display name; the id when `None`.
    name: Option<String> = None,
        spec [default],
        patch [default, deserialize_with = "present", skip_serializing_if = "Option::is_none"],
        build(name: impl Into<String>) => Some(name.into()),
        set(name: impl Into<String>) => Some(name.into());
    /// Whether the contact form offers this group (R21). Default true.
    in_contact_form: bool = true,
        spec [default = "yes"],
        patch [default, skip_serializing_if = "Option::is_none"],
        build(offered: bool) => offered,
        set(offered: bool) => offered;
    /// The group a chat moves to when this one has no candidate (R17).
    fallback: Option<String> = None,
        spec [default],
        patch [default, deserialize_with = "present", skip_serializing_if = "Option::is_none"],
        build(group: impl Into<String>) => Some(group.into()),
        set(group: Option<&str>) => group.map(str::to_owned);
    /// Per-agent chat limit while serving this group (R12); `None` is
    /// unlimited.
    chat_limit: Option<u32> = None,
        spec [default],
        patch [default, deserialize_with = "present", skip_serializing_if = "Option::is_none"],
        build(limit: u32) => Some(limit),
        set(limit: Option<u32>) => limit;
    /// How long, in milliseconds, a chat waits in this group before it
    /// moves on to the fallback (R29); `None` is never. Only a group with a
    /// fallback uses it.
    overflow_after: Option<u64> = None,
        spec [default],
        patch [default, deserialize_with = "present", skip_serializing_if = "Option::is_none"],
        build(ms: u64) => Some(ms),
        set(ms: Option<u64>) => ms;
    /// The schedule whose business hours the group keeps (R30); `None` is
    /// always open.
    schedule: Option<String> = None,
        spec [default],
        patch [default, deserialize_with = "present", skip_serializing_if = "Option::is_none"],
        build(schedule: impl Into<String>) => Some(schedule.into()),
        set(schedule: Option<&str>) => schedule.map(str::to_owned);
}

settings! {
    /// An agent as the admin describes it.
    ///
    /// ```
    /// use groupgate::{AgentSpec, Role, Tier};
    /// let anna = AgentSpec::new("anna")
    ///     .role(Role::Admin)
    ///     .member("support-en")
    ///     .member_as("sales", Tier::Last)
    ///     .chat_limit(3);
    /// assert_eq!(anna.groups, ["support-en", "sales"]);
    /// ```
    spec AgentSpec {
        "The agent's id." id,
        /// Group memberships, in the agent's order.
        #[cfg_attr(feature = "serde", serde(default))]
        groups: Vec<String> = Vec::new(),
        /// Tier per membership; a membership not listed is `normal`.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "IndexMap::is_empty"))]
        tiers: IndexMap<String, Tier> = IndexMap::new()
    }
    /// Some of one agent's settings to change (the scenario format's
    /// `update_agent`, and `set_enabled`); memberships change with `Assign`
    /// and `Unassign`.
    ///
    /// ```
    /// use groupgate::{AgentPatch, Role};
    /// let patch = AgentPatch::new("bob").role(Role::Admin);
    /// assert_eq!(patch.chat_limit, None); // the limit is kept
    /// ```
    patch AgentPatch { "The agent changed." agent } applied to super::Agent;
    /// Role (R7); default `agent`.
    role: Role = Role::Agent,
        spec [default],
        patch [default, skip_serializing_if = "Option::is_none"],
        build(role: Role) => role,
        set(role: Role) => role;
    /// Disabled agents see, claim and are offered nothing (R8). Default
    /// true. Not part of `update_agent`'s serde form: the format sets it
    /// with its own step, `set_enabled`.
    enabled: bool = true,
        spec [default = "yes"],
        patch [skip],
        build(enabled: bool) => enabled,
        set(enabled: bool) => enabled;
    /// Own chat limit (R12); `None` falls back to the account default.
    chat_limit: Option<u32> = None,
        spec [default],
        patch [default, deserialize_with = "present", skip_serializing_if = "Option::is_none"],
        build(limit: u32) => Some(limit),
        set(limit: Option<u32>) => limit;
}

#[cfg(feature = "serde")]
fn yes() -> bool {
    true
}

impl GroupPatch {
    /// Whether the patch sets or clears a fallback or a schedule, which
    /// the configuration keeps checked: such a change is made like a new
    /// configuration (R17, R23, R30).
    pub(crate) fn names_references(&self) -> bool {
        self.fallback.is_some() || self.schedule.is_some()
    }
}

impl AgentSpec {
    /// Adds a membership with tier `normal`.
    #[must_use]
    pub fn member(self, group: impl Into<String>) -> Self {
        self.member_as(group, Tier::Normal)
    }

    /// Adds a membership with the given tier.
    ///
    /// ```
    /// let a = groupgate::AgentSpec::new("anna").member_as("en", groupgate::Tier::Last);
    /// assert_eq!(a.tiers["en"], groupgate::Tier::Last);
    /// ```
    #[must_use]
    pub fn member_as(mut self, group: impl Into<String>, tier: Tier) -> Self {
        let group = group.into();
        if tier != Tier::Normal {
            self.tiers.insert(group.clone(), tier);
        }
        self.groups.push(group);
        self
    }
}

/// The contact form's settings (R20).
///
/// ```
/// let form = groupgate::ContactForm::default();
/// assert!(!form.group_selection);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct ContactForm {
    /// Whether the visitor may pick a group.
    pub group_selection: bool,
}

/// An unchecked account configuration; [`build`](Self::build) checks it.
///
/// This is also the serde form of [`Config`](crate::Config): unknown fields
/// are rejected and every field but the lists may be left out.
///
/// ```
/// use groupgate::{AgentSpec, ConfigBuilder, GroupSpec, Plan};
/// let config = ConfigBuilder::new()
///     .plan(Plan::Pro)
///     .group(GroupSpec::new("support-en"))
///     .agent(AgentSpec::new("anna").member("support-en"))
///     .build()
///     .unwrap();
/// assert_eq!(config.groups().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct ConfigBuilder {
    /// The plan (R1). Default `pro`.
    pub plan: Plan,
    /// The policies.
    pub policy: Policy,
    /// Schedules in configuration order (R30).
    pub schedules: Vec<ScheduleSpec>,
    /// Groups in configuration order.
    pub groups: Vec<GroupSpec>,
    /// Agents in configuration order.
    pub agents: Vec<AgentSpec>,
    /// The contact form (R20).
    pub contact_form: ContactForm,
}

impl ConfigBuilder {
    /// An empty PRO account with default policies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the plan.
    ///
    /// ```
    /// let c = groupgate::ConfigBuilder::new().plan(groupgate::Plan::Free).build().unwrap();
    /// assert_eq!(c.plan(), groupgate::Plan::Free);
    /// ```
    #[must_use]
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self
    }

    /// Sets every policy.
    ///
    /// ```
    /// let mut p = groupgate::Policy::default();
    /// p.admins_see_all = true;
    /// assert!(groupgate::ConfigBuilder::new().policy(p).build().unwrap().policy().admins_see_all);
    /// ```
    #[must_use]
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Appends a schedule (R30).
    #[must_use]
    pub fn schedule(mut self, schedule: ScheduleSpec) -> Self {
        self.schedules.push(schedule);
        self
    }

    /// Appends a group.
    #[must_use]
    pub fn group(mut self, group: GroupSpec) -> Self {
        self.groups.push(group);
        self
    }

    /// Appends an agent.
    #[must_use]
    pub fn agent(mut self, agent: AgentSpec) -> Self {
        self.agents.push(agent);
        self
    }

    /// Turns contact-form group selection on or off (R20).
    ///
    /// ```
    /// use groupgate::ErrorCode;
    /// let raw = groupgate::ConfigBuilder::new().group_selection(true);
    /// assert_eq!(raw.build().unwrap_err().code(), "no_groups");
    /// ```
    #[must_use]
    pub fn group_selection(mut self, on: bool) -> Self {
        self.contact_form.group_selection = on;
        self
    }
}
