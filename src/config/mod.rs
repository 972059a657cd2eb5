//! What the admin configures: groups, agents, plan, policies, contact form.
//!
//! A [`ConfigBuilder`] is plain data that may be wrong; [`ConfigBuilder::build`]
//! checks all of it (R23) and gives a [`Config`], which is valid by construction.

mod error;
mod hours;
mod policy;
mod spec;
mod validate;

use std::sync::Arc;

use smallvec::SmallVec;

pub use error::{ConfigError, IdPlace, Problem};
pub(crate) use hours::HORIZON;
pub use hours::{ExceptionSpec, Hours, HoursError, LAST_EVALUATED, ScheduleSpec, TIME_ZONE_DATABASE};
#[cfg(feature = "serde")]
pub(crate) use policy::present;
pub(crate) use policy::str_enum;
pub use policy::{
    AfterMissed, Plan, Policy, PolicyPatch, Role, Routing, Tier, UnassignedAgents, UngroupedVisitors, UnknownValue,
};
pub use spec::{AgentPatch, AgentSpec, ConfigBuilder, ContactForm, GroupPatch, GroupSpec};

use crate::ids::{AgentId, GroupId, ScheduleId};
use crate::rows::Rows;

impl ConfigBuilder {
    /// Checks everything (R23) and returns the valid configuration, or every
    /// problem at once.
    ///
    /// Cost: O(groups + agents + memberships · groups-per-agent).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] with every problem of R23 (and R20's `no_groups`), each
    /// naming its ids, in the documented order of codes.
    ///
    /// ```
    /// use groupgate::{ConfigBuilder, ErrorCode, GroupSpec};
    /// let err = ConfigBuilder::new()
    ///     .group(GroupSpec::new("a").fallback("b"))
    ///     .group(GroupSpec::new("b").fallback("a"))
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.code(), "fallback_cycle");
    /// assert!(err.to_string().contains("`a` → `b` → `a`"));
    /// ```
    pub fn build(&self) -> Result<Config, ConfigError> {
        validate::build(self)
    }
}

/// A group of a valid configuration.
///
/// ```
/// let config = groupgate::ConfigBuilder::new()
///     .group(groupgate::GroupSpec::new("sales").chat_limit(2))
///     .build()
///     .unwrap();
/// let sales = &config.groups()[0];
/// assert_eq!((sales.id().as_str(), sales.name(), sales.chat_limit()), ("sales", "sales", Some(2)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub(crate) id: GroupId,
    /// The fallback's id, checked (R17, R23).
    pub(crate) fallback: Option<GroupId>,
    /// The schedule's id, checked (R30).
    pub(crate) schedule: Option<ScheduleId>,
    /// The group as written: its settings that name no other id are read
    /// from here, so that they are declared once (`config/spec.rs`).
    pub(crate) spec: GroupSpec,
}

impl Group {
    /// The id.
    pub fn id(&self) -> &GroupId {
        &self.id
    }
    /// The display name: the id when none was given.
    pub fn name(&self) -> &str {
        self.spec.name.as_deref().unwrap_or(self.spec.id.as_str())
    }
    /// Whether the contact form offers it (R21).
    pub fn in_contact_form(&self) -> bool {
        self.spec.in_contact_form
    }
    /// The fallback group (R17).
    pub fn fallback(&self) -> Option<&GroupId> {
        self.fallback.as_ref()
    }
    /// The per-agent chat limit while serving this group (R12).
    pub fn chat_limit(&self) -> Option<u32> {
        self.spec.chat_limit
    }
    /// How long a chat waits here before it moves on to the fallback
    /// (R29), in milliseconds; only a group with a fallback uses it.
    pub fn overflow_after(&self) -> Option<u64> {
        self.spec.overflow_after
    }
    /// The schedule whose business hours it keeps (R30); `None`: always
    /// open.
    pub fn schedule(&self) -> Option<&ScheduleId> {
        self.schedule.as_ref()
    }
}

/// A schedule of a valid configuration (R30): its id, the schedule as
/// written, and its checked hours. Cheap to clone (shared).
///
/// ```
/// use groupgate::{ConfigBuilder, GroupSpec, ScheduleSpec};
/// let config = ConfigBuilder::new()
///     .schedule(ScheduleSpec::new("office", "Europe/Prague").day("mon", &[("08:00", "17:00")]))
///     .group(GroupSpec::new("cz").schedule("office"))
///     .build()
///     .unwrap();
/// let office = &config.schedules()[0];
/// assert_eq!((office.id().as_str(), office.spec().time_zone.as_str()), ("office", "Europe/Prague"));
/// assert!(office.hours().is_open_at(1_795_420_800_000)); // Monday 09:00 in Prague
/// assert_eq!(config.groups()[0].schedule().map(|s| s.as_str()), Some("office"));
/// ```
#[derive(Debug, Clone)]
pub struct Schedule(Arc<ScheduleData>);

#[derive(Debug)]
struct ScheduleData {
    id: ScheduleId,
    spec: ScheduleSpec,
    hours: Hours,
}

/// Schedules are equal when they are written alike.
impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.spec == other.0.spec
    }
}

impl Eq for Schedule {}

impl Schedule {
    pub(crate) fn new(id: ScheduleId, spec: ScheduleSpec, hours: Hours) -> Self {
        Schedule(Arc::new(ScheduleData { id, spec, hours }))
    }
    /// The id.
    pub fn id(&self) -> &ScheduleId {
        &self.0.id
    }
    /// The schedule as written.
    pub fn spec(&self) -> &ScheduleSpec {
        &self.0.spec
    }
    /// Its hours, checked.
    pub fn hours(&self) -> &Hours {
        &self.0.hours
    }
    /// Whether both are the same shared schedule (not only equal). O(1).
    pub(crate) fn same(&self, other: &Schedule) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// One of an agent's group memberships.
///
/// ```
/// use groupgate::{AgentSpec, ConfigBuilder, GroupSpec, Tier};
/// let config = ConfigBuilder::new()
///     .group(GroupSpec::new("en"))
///     .agent(AgentSpec::new("anna").member_as("en", Tier::First))
///     .build()
///     .unwrap();
/// let m = &config.agents().next().unwrap().memberships()[0];
/// assert_eq!((m.group().as_str(), m.tier()), ("en", Tier::First));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub(crate) group: GroupId,
    pub(crate) tier: Tier,
}

impl Membership {
    /// The group.
    pub fn group(&self) -> &GroupId {
        &self.group
    }
    /// The tier (R15).
    pub fn tier(&self) -> Tier {
        self.tier
    }
}

/// An agent of a valid configuration.
///
/// ```
/// let config = groupgate::ConfigBuilder::new()
///     .agent(groupgate::AgentSpec::new("bob").enabled(false))
///     .build()
///     .unwrap();
/// assert!(!config.agents().next().unwrap().enabled());
/// assert!(config.agents().next().unwrap().memberships().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub(crate) id: AgentId,
    pub(crate) role: Role,
    pub(crate) memberships: SmallVec<[Membership; 2]>,
    pub(crate) enabled: bool,
    pub(crate) chat_limit: Option<u32>,
}

impl Agent {
    /// The id.
    pub fn id(&self) -> &AgentId {
        &self.id
    }
    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// Memberships, in the agent's order.
    pub fn memberships(&self) -> &[Membership] {
        &self.memberships
    }
    /// The tier of a membership, `None` for a group the agent is not in.
    /// Cost: O(memberships).
    ///
    /// ```
    /// # use groupgate::*;
    /// let config = ConfigBuilder::new()
    ///     .group(GroupSpec::new("en").name("Support EN").fallback("de").chat_limit(3))
    ///     .group(GroupSpec::new("de").in_contact_form(false))
    ///     .agent(AgentSpec::new("anna").role(Role::Admin).member_as("en", Tier::First).chat_limit(2))
    ///     .build().unwrap();
    /// assert_eq!(config.agents().next().unwrap().tier_in("en"), Some(Tier::First));
    /// assert_eq!(config.agents().next().unwrap().tier_in("de"), None);
    /// ```
    pub fn tier_in(&self, group: &str) -> Option<Tier> {
        self.memberships.iter().find(|m| m.group == *group).map(|m| m.tier)
    }
    /// Whether the agent is enabled (R8).
    pub fn enabled(&self) -> bool {
        self.enabled
    }
    /// The agent's own chat limit (R12).
    pub fn chat_limit(&self) -> Option<u32> {
        self.chat_limit
    }
}

/// A valid account configuration (R23). Immutable; changes go through
/// [`Snapshot::apply`](crate::Snapshot::apply).
///
/// With the `serde` feature it serializes in the [`ConfigBuilder`] form, and
/// deserializing checks everything, reporting every problem in one error. A
/// round trip gives an equal configuration, order included (R24).
///
/// ```
/// use groupgate::{ConfigBuilder, GroupSpec, Plan};
/// let config = ConfigBuilder::new().plan(Plan::Standard).group(GroupSpec::new("en")).build().unwrap();
/// assert_eq!(config.plan(), Plan::Standard);
/// assert_eq!(config.to_builder().build().unwrap(), config);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "ConfigBuilder", into = "ConfigBuilder"))]
pub struct Config {
    pub(crate) plan: Plan,
    pub(crate) policy: Policy,
    pub(crate) schedules: Vec<Schedule>,
    pub(crate) groups: Vec<Group>,
    pub(crate) agents: Rows<Agent>,
    pub(crate) group_selection: bool,
}

impl Config {
    /// The plan (R1).
    pub fn plan(&self) -> Plan {
        self.plan
    }
    /// The policies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
    /// Schedules in configuration order (R30).
    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }
    /// The schedule with this id. Cost: O(schedules).
    pub fn schedule(&self, id: &str) -> Option<&Schedule> {
        self.schedule_index(id).and_then(|i| self.schedules.get(i))
    }
    /// The index of the schedule with this id. O(schedules).
    pub(crate) fn schedule_index(&self, id: &str) -> Option<usize> {
        self.schedules.iter().position(|s| s.id() == id)
    }
    /// Groups in configuration order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }
    /// Agents in configuration order. Cost: O(1) to start, O(1) a step.
    pub fn agents(&self) -> impl ExactSizeIterator<Item = &Agent> + Clone + '_ {
        self.agents.iter()
    }
    /// Whether the contact form lets visitors pick a group (R20). Kept, inert,
    /// on plans without groups.
    pub fn group_selection(&self) -> bool {
        self.group_selection
    }

    /// The editable form of this configuration. Cost: O(size), allocating.
    ///
    /// ```
    /// # use groupgate::*;
    /// let config = ConfigBuilder::new()
    ///     .group(GroupSpec::new("en").name("Support EN").fallback("de").chat_limit(3))
    ///     .group(GroupSpec::new("de").in_contact_form(false))
    ///     .agent(AgentSpec::new("anna").role(Role::Admin).member_as("en", Tier::First).chat_limit(2))
    ///     .build().unwrap();
    /// let mut raw = config.to_builder();
    /// raw.groups.push(GroupSpec::new("sales"));
    /// assert_eq!(raw.build().unwrap().groups().len(), 3);
    /// ```
    pub fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder {
            plan: self.plan,
            policy: self.policy,
            schedules: self.schedules.iter().map(|s| s.spec().clone()).collect(),
            groups: self.groups.iter().map(group_spec).collect(),
            agents: self.agents.iter().map(agent_spec).collect(),
            contact_form: ContactForm { group_selection: self.group_selection },
        }
    }
}

fn group_spec(g: &Group) -> GroupSpec {
    g.spec.clone()
}

fn agent_spec(a: &Agent) -> AgentSpec {
    let mut spec = AgentSpec::new(a.id.to_string()).role(a.role).enabled(a.enabled);
    spec.chat_limit = a.chat_limit;
    for m in &a.memberships {
        spec = spec.member_as(m.group.to_string(), m.tier);
    }
    spec
}

impl From<Config> for ConfigBuilder {
    fn from(config: Config) -> Self {
        config.to_builder()
    }
}

impl TryFrom<ConfigBuilder> for Config {
    type Error = ConfigError;
    fn try_from(raw: ConfigBuilder) -> Result<Self, ConfigError> {
        raw.build()
    }
}
