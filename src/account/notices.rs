//! Notices (R31): what an event or a configuration change did, in the order
//! it happened, for the host to pass on to agents and pages.

use std::fmt;

use super::Account;
use crate::decide::AvailabilityChange;
use crate::ids::{AgentId, GroupId, VisitorId};
use crate::snapshot::{AgentIx, GroupIx};
use crate::state::{Note, Status, Unheld, Who};

/// One thing an event or a configuration change did (R31).
///
/// Its serde form is the scenario format's: an object with one key, the
/// kind, every field written (`null` for none).
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, Notice, Status, TimedNotice};
/// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
/// account.set_status("anna", Status::Online).unwrap();
/// account.visit("v1", None).unwrap();
/// account.claim("anna", "v1").unwrap();
/// let held = Notice::ChatHeld { visitor: "v1".parse().unwrap(), agent: "anna".parse().unwrap() };
/// assert_eq!(account.notices(), [TimedNotice { at: 0, notice: held }]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", deny_unknown_fields))]
#[non_exhaustive]
pub enum Notice {
    /// The chat has a new holder: a claim, a pick, a queue serving, a
    /// transfer. A repeat claim by the holder gives none.
    ChatHeld {
        /// Whose chat.
        visitor: VisitorId,
        /// Its holder now.
        agent: AgentId,
    },
    /// The chat entered the queue, or entered it again at the back.
    ChatQueued {
        /// Whose chat.
        visitor: VisitorId,
        /// Its effective group; `None` when ungrouped.
        group: Option<GroupId>,
        /// Under `broadcast`, its candidates at that moment (R15, the
        /// preferred agent first); empty under the single-agent strategies.
        offered: Vec<AgentId>,
    },
    /// The holder lost the chat, which stays open.
    ChatUnheld {
        /// Whose chat.
        visitor: VisitorId,
        /// The holder it had.
        agent: AgentId,
        /// Why.
        why: Unheld,
    },
    /// The visitor's effective group changed because the chat was moved: a
    /// fallback (R17), a group transfer (R19).
    ChatMoved {
        /// Whose chat.
        visitor: VisitorId,
        /// Its group before; `None` when ungrouped.
        from: Option<GroupId>,
        /// Its group now; `None` when ungrouped.
        to: Option<GroupId>,
    },
    /// An open chat, held or queued, was closed: a release, or the visitor
    /// left.
    ChatClosed {
        /// Whose chat.
        visitor: VisitorId,
        /// Its holder; `None` when it was queued.
        agent: Option<AgentId>,
    },
    /// The library changed an agent's status (R27); statuses the host sets
    /// give none.
    StatusChanged {
        /// The agent.
        agent: AgentId,
        /// Its status now.
        status: Status,
    },
    /// A page's chat box went online or offline (R10).
    AvailabilityChanged {
        /// The page's group; `None`: pages without a group code.
        group: Option<GroupId>,
        /// Whether it is online now.
        online: bool,
    },
    /// Dashboards that became stale (R9) with this configuration change and
    /// were not stale before, in configuration order.
    RefreshNeeded {
        /// The agents to tell.
        agents: Vec<AgentId>,
    },
    /// A visit made a new visitor.
    VisitorEntered {
        /// The visitor.
        visitor: VisitorId,
        /// Its effective group (R2); `None` when ungrouped.
        group: Option<GroupId>,
    },
    /// A visitor event — a visit with a new page tag, a contact-form
    /// selection — changed the visitor's effective group (R2). Moves of its
    /// chat are [`ChatMoved`](Self::ChatMoved); configuration changes give
    /// [`RefreshNeeded`](Self::RefreshNeeded) instead.
    VisitorMoved {
        /// The visitor.
        visitor: VisitorId,
        /// Its group before; `None` when ungrouped.
        from: Option<GroupId>,
        /// Its group now; `None` when ungrouped.
        to: Option<GroupId>,
    },
    /// The visitor left the site (R14), after its chat's
    /// [`ChatClosed`](Self::ChatClosed) if it had an open chat.
    VisitorLeft {
        /// The visitor.
        visitor: VisitorId,
    },
}

impl Notice {
    /// Whether this is one of the visitor notices (`visitor_entered`,
    /// `visitor_moved`, `visitor_left`), which the scenario format compares
    /// only in files that ask for them.
    ///
    /// ```
    /// use groupgate::Notice;
    /// assert!(Notice::VisitorLeft { visitor: "v1".parse().unwrap() }.about_visitor());
    /// assert!(!Notice::ChatClosed { visitor: "v1".parse().unwrap(), agent: None }.about_visitor());
    /// ```
    pub fn about_visitor(&self) -> bool {
        matches!(self, Notice::VisitorEntered { .. } | Notice::VisitorMoved { .. } | Notice::VisitorLeft { .. })
    }
}

/// The scenario format's JSON text of the notice (every field written,
/// `null` for none).
///
/// ```
/// use groupgate::Notice;
/// let n = Notice::ChatClosed { visitor: "v1".parse().unwrap(), agent: None };
/// assert_eq!(n.to_string(), r#"{"chat_closed": {"visitor": "v1", "agent": null}}"#);
/// ```
impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ids hold no control characters (R23): Rust's escaping of quotes and
        // backslashes is JSON's.
        let id = |s: &str| format!("{s:?}");
        let opt = |s: Option<&str>| s.map_or_else(|| "null".to_string(), id);
        let ids = |l: &[AgentId]| format!("[{}]", l.iter().map(|a| id(a.as_str())).collect::<Vec<_>>().join(", "));
        let group = |g: &Option<GroupId>| opt(g.as_ref().map(GroupId::as_str));
        match self {
            Notice::ChatHeld { visitor, agent } => {
                write!(
                    f,
                    r#"{{"chat_held": {{"visitor": {}, "agent": {}}}}}"#,
                    id(visitor.as_str()),
                    id(agent.as_str())
                )
            }
            Notice::ChatQueued { visitor, group: g, offered } => write!(
                f,
                r#"{{"chat_queued": {{"visitor": {}, "group": {}, "offered": {}}}}}"#,
                id(visitor.as_str()),
                group(g),
                ids(offered)
            ),
            Notice::ChatUnheld { visitor, agent, why } => write!(
                f,
                r#"{{"chat_unheld": {{"visitor": {}, "agent": {}, "why": "{}"}}}}"#,
                id(visitor.as_str()),
                id(agent.as_str()),
                why.as_str()
            ),
            Notice::ChatMoved { visitor, from, to } => write!(
                f,
                r#"{{"chat_moved": {{"visitor": {}, "from": {}, "to": {}}}}}"#,
                id(visitor.as_str()),
                group(from),
                group(to)
            ),
            Notice::ChatClosed { visitor, agent } => write!(
                f,
                r#"{{"chat_closed": {{"visitor": {}, "agent": {}}}}}"#,
                id(visitor.as_str()),
                opt(agent.as_ref().map(AgentId::as_str))
            ),
            Notice::StatusChanged { agent, status } => {
                write!(
                    f,
                    r#"{{"status_changed": {{"agent": {}, "status": "{}"}}}}"#,
                    id(agent.as_str()),
                    status.as_str()
                )
            }
            Notice::AvailabilityChanged { group: g, online } => {
                write!(f, r#"{{"availability_changed": {{"group": {}, "online": {online}}}}}"#, group(g))
            }
            Notice::RefreshNeeded { agents } => write!(f, r#"{{"refresh_needed": {{"agents": {}}}}}"#, ids(agents)),
            Notice::VisitorEntered { visitor, group: g } => {
                write!(f, r#"{{"visitor_entered": {{"visitor": {}, "group": {}}}}}"#, id(visitor.as_str()), group(g))
            }
            Notice::VisitorMoved { visitor, from, to } => write!(
                f,
                r#"{{"visitor_moved": {{"visitor": {}, "from": {}, "to": {}}}}}"#,
                id(visitor.as_str()),
                group(from),
                group(to)
            ),
            Notice::VisitorLeft { visitor } => {
                write!(f, r#"{{"visitor_left": {{"visitor": {}}}}}"#, id(visitor.as_str()))
            }
        }
    }
}

impl From<&AvailabilityChange> for Notice {
    fn from(change: &AvailabilityChange) -> Self {
        Notice::AvailabilityChanged { group: change.page_group.clone(), online: change.online }
    }
}

/// A notice with the instant it happened at (R31): the account's clock
/// then, in milliseconds since 1970-01-01T00:00:00Z — a deadline's notices
/// carry the deadline's time, so a host can show and order them.
///
/// Its serde form is `{"at": 1764000000000, "notice": {"chat_held": {...}}}`,
/// and so is its text ([`Display`](fmt::Display)).
///
/// ```
/// use groupgate::*;
/// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 1_000);
/// account.visit("v1", None).unwrap();
/// assert_eq!(account.notices()[0].to_string(),
///     r#"{"at": 1000, "notice": {"visitor_entered": {"visitor": "v1", "group": null}}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct TimedNotice {
    /// When, in milliseconds since 1970-01-01T00:00:00Z (R26).
    pub at: u64,
    /// What.
    pub notice: Notice,
}

impl fmt::Display for TimedNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, r#"{{"at": {}, "notice": {}}}"#, self.at, self.notice)
    }
}

/// Notices the account keeps between calls. Not part of the account's
/// value: two accounts are equal whatever their last events said.
#[derive(Clone)]
pub(super) struct Kept<T>(pub(super) Vec<T>);

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept(Vec::new())
    }
}

impl<T> PartialEq for Kept<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> fmt::Debug for Kept<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kept")
    }
}

impl Account {
    /// The notices (R31) of the last event or configuration change, in the
    /// order it made them: its own changes, the chats served from the queue
    /// because of it, the pages whose availability changed (configuration
    /// order, pages without a group code last), then the agents to tell to
    /// refresh. Empty after one that failed (R24). Every event method and
    /// [`apply`](Self::apply) sets them.
    ///
    /// Cost: O(notices); allocates the ids.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en"))
    ///     .agent(AgentSpec::new("anna").member("en")).build().unwrap(), 0);
    /// account.visit("v1", Some("en")).unwrap();
    /// account.advance_to(5_000).unwrap();
    /// account.set_status("anna", Status::Online).unwrap();
    /// // Both pages go online at 5 s: anna sees "en" visitors and, by
    /// // default, ungrouped ones (R10).
    /// let notices = account.notices();
    /// assert!(notices.iter().all(|n| n.at == 5_000));
    /// assert_eq!(notices.into_iter().map(|n| n.notice).collect::<Vec<_>>(), [
    ///     Notice::AvailabilityChanged { group: Some("en".parse().unwrap()), online: true },
    ///     Notice::AvailabilityChanged { group: None, online: true },
    /// ]);
    /// account.release("v1").unwrap_err(); // no chat: a failed event says nothing
    /// assert!(account.notices().is_empty());
    /// ```
    pub fn notices(&self) -> Vec<TimedNotice> {
        let mut out = Vec::with_capacity(self.said.0.len() + self.state.notes().len() + self.tail.0.len());
        out.extend(self.said.0.iter().cloned());
        self.unit_notices(&mut out);
        out
    }

    /// Appends the notices of the unit under way (an event, or one
    /// deadline of an advance) to `out`, each at the clock — the unit's
    /// time. O(its notices).
    pub(super) fn unit_notices(&self, out: &mut Vec<TimedNotice>) {
        let at = self.state.clock();
        let snap = &*self.latest;
        let visitors = self.state.visitors();
        let visitor = |slot: u32| VisitorId::stored(visitors.name(slot).unwrap_or_default());
        let group = |g: Option<GroupIx>| g.and_then(|g| snap.group(g)).map(|(id, _)| id.clone());
        let agent = |a: AgentIx| snap.agent(a).map(|(id, _)| id.clone());
        let who = |w: &Who| match w {
            Who::At(a) => agent(*a),
            Who::Gone(id) => Some(id.clone()),
        };
        out.reserve(self.state.notes().len() + self.tail.0.len());
        for note in self.state.notes() {
            let notice = match note {
                Note::Held { slot, agent: a } => match agent(*a) {
                    Some(agent) => Notice::ChatHeld { visitor: visitor(*slot), agent },
                    None => continue,
                },
                Note::Queued { slot, group: g, offered } => Notice::ChatQueued {
                    visitor: visitor(*slot),
                    group: group(*g),
                    offered: offered.iter().filter_map(|a| snap.agent(*a).map(|(id, _)| id.clone())).collect(),
                },
                Note::Unheld { slot, agent: a, why } => match who(a) {
                    Some(agent) => Notice::ChatUnheld { visitor: visitor(*slot), agent, why: *why },
                    None => continue,
                },
                Note::Moved { slot, from, to } => {
                    Notice::ChatMoved { visitor: visitor(*slot), from: group(*from), to: group(*to) }
                }
                Note::Closed { slot, agent: a } => {
                    Notice::ChatClosed { visitor: visitor(*slot), agent: a.and_then(agent) }
                }
                Note::ClosedLeaving { name, agent: a } => {
                    Notice::ChatClosed { visitor: VisitorId::stored(self.state.gone(*name)), agent: a.and_then(agent) }
                }
                Note::Entered { slot, group: g } => {
                    Notice::VisitorEntered { visitor: visitor(*slot), group: group(*g) }
                }
                Note::VisitorMoved { slot, from, to } => {
                    Notice::VisitorMoved { visitor: visitor(*slot), from: group(*from), to: group(*to) }
                }
                Note::Left { name } => Notice::VisitorLeft { visitor: VisitorId::stored(self.state.gone(*name)) },
                Note::Status { agent: a, status } => match agent(*a) {
                    Some(agent) => Notice::StatusChanged { agent, status: *status },
                    None => continue,
                },
            };
            out.push(TimedNotice { at, notice });
        }
        out.extend(self.tail.0.iter().map(|notice| TimedNotice { at, notice: notice.clone() }));
    }
}
