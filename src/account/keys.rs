//! Keys — agents and visitors resolved once, for queries that skip the id
//! lookup — and a group's business hours as the account answers them.

use super::Account;
use crate::decide::{Reason, Visibility, visibility};
use crate::rule::Rule;

/// An agent resolved once, for queries that skip the id lookup. Valid for
/// the revision it was made on; on a later revision, queries answer
/// `unknown_agent` and the host makes a new key.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec};
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en")).agent(AgentSpec::new("anna").member("en")).build().unwrap(), 0);
/// account.visit("v1", Some("en")).unwrap();
/// let (anna, v1) = (account.agent_key("anna").unwrap(), account.visitor_key("v1").unwrap());
/// assert!(account.sees_key(anna, v1).is_visible());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgentKey {
    ix: u32,
    revision: u64,
}

/// A visitor resolved once, for queries that skip the id lookup. Valid while
/// the visitor is on the site; once it leaves, queries answer
/// `unknown_visitor` (also when another visitor has taken its place in the
/// store), and a host makes a new key if it comes back.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, Reason};
/// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
/// account.visit("v1", None).unwrap();
/// let (anna, v1) = (account.agent_key("anna").unwrap(), account.visitor_key("v1").unwrap());
/// assert!(account.sees_key(anna, v1).is_visible());
/// account.leave("v1").unwrap();
/// assert_eq!(account.sees_key(anna, v1).reason(), Some(Reason::UnknownVisitor));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisitorKey {
    slot: u32,
    /// The visit's arrival number: no other visit has it.
    arrival: u64,
}

impl Account {
    /// Resolves an agent of the latest revision. Cost: O(1) expected.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert!(account.agent_key("anna").is_some() && account.agent_key("ghost").is_none());
    /// ```
    #[inline]
    pub fn agent_key(&self, agent: &str) -> Option<AgentKey> {
        let ix = u32::try_from(self.latest.agent_ix(agent)?).ok()?;
        Some(AgentKey { ix, revision: self.latest.revision() })
    }

    /// Resolves a visitor on the site. Cost: O(1) expected.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert!(account.visitor_key("v1").is_some());
    /// ```
    #[inline]
    pub fn visitor_key(&self, visitor: &str) -> Option<VisitorKey> {
        let visitors = self.state.visitors();
        let slot = visitors.slot(visitor)?;
        Some(VisitorKey { slot, arrival: visitors.visit_of(slot)? })
    }

    /// [`sees`](Self::sees) by keys: a few loads, a match and a bit test.
    /// Cost: O(1), no hashing, no allocation.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
    /// account.visit("v1", None).unwrap();
    /// let (anna, v1) = (account.agent_key("anna").unwrap(), account.visitor_key("v1").unwrap());
    /// assert!(account.sees_key(anna, v1).is_visible());
    /// account.apply(&Change::SetEnabled { agent: "anna".parse().unwrap(), enabled: false }).unwrap();
    /// assert_eq!(account.sees_key(anna, v1).reason(), Some(Reason::UnknownAgent)); // a key of an older revision
    /// ```
    #[inline]
    pub fn sees_key(&self, agent: AgentKey, visitor: VisitorKey) -> Visibility {
        let snap = &*self.latest;
        let visitors = &self.state.visitors();
        match (snap.compiled_agent(agent.ix as usize), visitors.group_at(visitor.slot, visitor.arrival)) {
            (Some(a), Some(group)) if agent.revision == snap.revision() => visibility::visibility(a, group),
            (Some(_), _) if agent.revision == snap.revision() => {
                Visibility::Hidden { reason: Reason::UnknownVisitor, rule: Rule::R4 }
            }
            _ => Visibility::Hidden { reason: Reason::UnknownAgent, rule: Rule::R4 },
        }
    }
}

/// A group's business hours at the account's clock (R30), from
/// [`Account::group_hours`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupHours {
    pub(super) open: bool,
    pub(super) next_change: Option<u64>,
}

impl GroupHours {
    /// Whether the group is open now: a closed group is offered no chats.
    pub fn open(&self) -> bool {
        self.open
    }
    /// The next instant after the clock, within 366 days, at which the
    /// group opens or closes; `None` for none.
    pub fn next_change(&self) -> Option<u64> {
        self.next_change
    }
}
