//! Events (R33): every input that changes an account as one value, applied
//! by one call that returns the event's notices or a typed error.

use super::{Account, ActionError, Notice};
use crate::error::{ErrorCode, ErrorKind};
use crate::ids::{AgentId, GroupId, VisitorId};
use crate::route::TransferTarget;
use crate::snapshot::{Change, ChangeError};
use crate::state::Status;

/// An input that changes an account (R33): a visitor or chat event, a
/// status, a refresh, or a configuration change. The same events applied in
/// the same order to equal accounts give equal accounts and equal notices
/// (R25), so a host replicates an account by agreeing on one order of its
/// events and applying them everywhere.
///
/// Its serde form is the scenario format's step without `expect_error`:
/// `{"claim": {"agent": "anna", "visitor": "v1"}}`, and a configuration
/// change as its own step (`{"assign": {...}}`, see [`Change`]). The one
/// difference: `add_agent` carries no `status` (set it with a `set_status`
/// event).
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, Event, Notice, Status};
/// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap());
/// let events = [
///     Event::SetStatus { agent: "anna".parse().unwrap(), status: Status::Online },
///     Event::Visit { visitor: "v1".parse().unwrap(), page_group: None },
///     Event::Claim { agent: "anna".parse().unwrap(), visitor: "v1".parse().unwrap() },
/// ];
/// let mut said = Vec::new();
/// for e in &events {
///     said = account.apply_event(e).unwrap();
/// }
/// assert_eq!(said, [Notice::ChatHeld { visitor: "v1".parse().unwrap(), agent: "anna".parse().unwrap() }]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "wire::Event", into = "wire::Event"))]
#[non_exhaustive]
pub enum Event {
    /// The visitor is on a page with that group code (R2); a new visitor is
    /// created.
    Visit {
        /// The visitor.
        visitor: VisitorId,
        /// The page's group code; `None` for a page without one.
        page_group: Option<GroupId>,
    },
    /// The visitor picks a group in the contact form (R22).
    SelectGroup {
        /// The visitor.
        visitor: VisitorId,
        /// The group picked.
        group: GroupId,
    },
    /// A returning visitor's last agent (R15).
    PreferAgent {
        /// The visitor.
        visitor: VisitorId,
        /// Its last agent.
        agent: AgentId,
    },
    /// The agent claims the visitor's chat (R11, R13).
    Claim {
        /// The agent.
        agent: AgentId,
        /// The visitor.
        visitor: VisitorId,
    },
    /// The visitor starts a chat, routed under the policy (R15–R18).
    Route {
        /// The visitor.
        visitor: VisitorId,
    },
    /// The visitor's chat, held or queued, is closed (R14).
    Release {
        /// The visitor.
        visitor: VisitorId,
    },
    /// The holder transfers the chat (R19).
    Transfer {
        /// The visitor whose chat moves.
        visitor: VisitorId,
        /// Where to.
        to: TransferTarget,
    },
    /// The visitor leaves the site (R14).
    Leave {
        /// The visitor.
        visitor: VisitorId,
    },
    /// An agent's presence.
    SetStatus {
        /// The agent.
        agent: AgentId,
        /// Its new status.
        status: Status,
    },
    /// The agent reloads its dashboard (R9).
    Refresh {
        /// The agent.
        agent: AgentId,
    },
    /// The holder of the visitor's chat answered it (R27).
    Answer {
        /// The visitor.
        visitor: VisitorId,
    },
    /// The holder declines the visitor's unanswered chat (R27).
    Decline {
        /// The visitor.
        visitor: VisitorId,
    },
    /// Time passes: the clock moves this many milliseconds forward (R26),
    /// processing the deadlines due by then. Serde: `{"advance": 60000}`.
    /// A log that stores absolute times writes a [`Timed`] advance by 0.
    Advance(u64),
    /// A configuration change (R9, R24).
    Change(Change),
}

/// Why an event was refused (R24: nothing changed): an event's error or a
/// configuration change's.
///
/// ```
/// use groupgate::{Account, ConfigBuilder, ErrorCode, Event};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap());
/// let err = account.apply_event(&Event::Release { visitor: "v1".parse().unwrap() }).unwrap_err();
/// assert_eq!(err.code(), "unknown_visitor");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// A visitor, chat, status or refresh event failed.
    #[error(transparent)]
    Action(#[from] ActionError),
    /// A configuration change failed.
    #[error(transparent)]
    Change(#[from] ChangeError),
}

/// The code and kind of the error inside.
impl ErrorCode for EventError {
    fn code(&self) -> &'static str {
        match self {
            EventError::Action(e) => e.code(),
            EventError::Change(e) => e.code(),
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            EventError::Action(e) => e.kind(),
            EventError::Change(e) => e.kind(),
        }
    }
}

impl Account {
    /// Applies one event (R33) and returns its notices (R31), as
    /// [`notices`](Self::notices) gives them; the event methods
    /// ([`visit`](Self::visit), [`claim`](Self::claim), [`apply`](Self::apply)
    /// …) are the same calls with their own results.
    ///
    /// Cost: that of the event's method, plus O(notices) to name them.
    ///
    /// # Errors
    ///
    /// The event's error ([`EventError::Action`] or
    /// [`EventError::Change`]); nothing changed and there are no notices.
    pub fn apply_event(&mut self, event: &Event) -> Result<Vec<Notice>, EventError> {
        match event {
            Event::Visit { visitor, page_group } => {
                self.visit(visitor.as_str(), page_group.as_ref().map(GroupId::as_str))?;
            }
            Event::SelectGroup { visitor, group } => self.select_group(visitor.as_str(), group.as_str())?,
            Event::PreferAgent { visitor, agent } => self.prefer_agent(visitor.as_str(), agent.as_str())?,
            Event::Claim { agent, visitor } => drop(self.claim(agent.as_str(), visitor.as_str())?),
            Event::Route { visitor } => drop(self.route(visitor.as_str())?),
            Event::Release { visitor } => self.release(visitor.as_str())?,
            Event::Transfer { visitor, to } => drop(self.transfer(visitor.as_str(), to)?),
            Event::Leave { visitor } => self.leave(visitor.as_str())?,
            Event::SetStatus { agent, status } => self.set_status(agent.as_str(), *status)?,
            Event::Refresh { agent } => self.refresh(agent.as_str())?,
            Event::Answer { visitor } => self.answer(visitor.as_str())?,
            Event::Decline { visitor } => self.decline(visitor.as_str())?,
            Event::Advance(by) => self.advance(self.clock().saturating_add(*by))?,
            Event::Change(change) => drop(self.apply(change)?),
        }
        Ok(self.notices())
    }
}

/// An event with the time it happened (R26, R33), as a log stores it.
/// Serde form: `{"at": 1764000000000, "event": {"claim": {...}}}`.
///
/// ```
/// use groupgate::{Account, ConfigBuilder, Timed};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap());
/// let line = r#"{"at": 1764000000000, "event": {"visit": {"visitor": "v1"}}}"#;
/// let timed: Timed = serde_json::from_str(line).unwrap();
/// account.apply_event_at(timed.at, &timed.event).unwrap();
/// assert_eq!(account.clock(), 1_764_000_000_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Timed {
    /// When, in milliseconds since 1970-01-01T00:00:00Z.
    pub at: u64,
    /// What.
    pub event: Event,
}

impl Account {
    /// [`apply_event`](Self::apply_event) at time `at` (R26, R33): the clock
    /// first advances to `at` ([`advance`](Self::advance): never back, the
    /// deadlines due by then processed), so that whatever the event assigns
    /// is stamped with it (R16). Servers whose clocks differ can feed one
    /// account. The notices are the advance's, then the event's.
    ///
    /// # Errors
    ///
    /// As [`apply_event`](Self::apply_event). The advance stands even so
    /// (its notices stay in [`notices`](Self::notices)); only the event
    /// changed nothing.
    ///
    /// ```
    /// use groupgate::{Account, AgentSpec, ConfigBuilder, Event};
    /// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap());
    /// let visit = Event::Visit { visitor: "v1".parse().unwrap(), page_group: None };
    /// account.apply_event_at(1_764_000_000_000, &visit).unwrap();
    /// account.apply_event_at(1_000, &visit).unwrap(); // a slower server's clock
    /// assert_eq!(account.clock(), 1_764_000_000_000);
    /// ```
    pub fn apply_event_at(&mut self, at: u64, event: &Event) -> Result<Vec<Notice>, EventError> {
        self.advance(at)?;
        let mut before = self.notices();
        match self.apply_event(event) {
            Ok(mut own) => {
                self.said.0.splice(0..0, before.iter().cloned());
                before.append(&mut own);
                Ok(before)
            }
            Err(e) => {
                self.said.0 = before;
                Err(e)
            }
        }
    }
}

/// The serde form: the scenario format's steps.
#[cfg(feature = "serde")]
mod wire {
    use crate::ids::{AgentId, GroupId, VisitorId};
    use crate::route::TransferTarget;
    use crate::snapshot::Change;
    use crate::state::Status;

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    pub(super) enum Event {
        Visit {
            visitor: VisitorId,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            page_group: Option<GroupId>,
        },
        SelectGroup {
            visitor: VisitorId,
            group: GroupId,
        },
        PreferAgent {
            visitor: VisitorId,
            agent: AgentId,
        },
        Claim {
            agent: AgentId,
            visitor: VisitorId,
        },
        Route {
            visitor: VisitorId,
        },
        Release {
            visitor: VisitorId,
        },
        Transfer {
            visitor: VisitorId,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            to_group: Option<GroupId>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            to_agent: Option<AgentId>,
        },
        Leave {
            visitor: VisitorId,
        },
        SetStatus {
            agent: AgentId,
            status: Status,
        },
        Refresh {
            agent: AgentId,
        },
        Answer {
            visitor: VisitorId,
        },
        Decline {
            visitor: VisitorId,
        },
        Advance(u64),
        #[serde(untagged)]
        Change(Change),
    }

    impl TryFrom<Event> for super::Event {
        type Error = &'static str;

        fn try_from(w: Event) -> Result<Self, Self::Error> {
            use super::Event as E;
            Ok(match w {
                Event::Visit { visitor, page_group } => E::Visit { visitor, page_group },
                Event::SelectGroup { visitor, group } => E::SelectGroup { visitor, group },
                Event::PreferAgent { visitor, agent } => E::PreferAgent { visitor, agent },
                Event::Claim { agent, visitor } => E::Claim { agent, visitor },
                Event::Route { visitor } => E::Route { visitor },
                Event::Release { visitor } => E::Release { visitor },
                Event::Transfer { visitor, to_group, to_agent } => match (to_group, to_agent) {
                    (Some(g), None) => E::Transfer { visitor, to: TransferTarget::Group(g) },
                    (None, Some(a)) => E::Transfer { visitor, to: TransferTarget::Agent(a) },
                    _ => return Err("`transfer` needs exactly one of `to_group` and `to_agent`"),
                },
                Event::Leave { visitor } => E::Leave { visitor },
                Event::SetStatus { agent, status } => E::SetStatus { agent, status },
                Event::Refresh { agent } => E::Refresh { agent },
                Event::Answer { visitor } => E::Answer { visitor },
                Event::Decline { visitor } => E::Decline { visitor },
                Event::Advance(by) => E::Advance(by),
                Event::Change(c) => E::Change(c),
            })
        }
    }

    impl From<super::Event> for Event {
        fn from(e: super::Event) -> Self {
            use super::Event as E;
            match e {
                E::Visit { visitor, page_group } => Event::Visit { visitor, page_group },
                E::SelectGroup { visitor, group } => Event::SelectGroup { visitor, group },
                E::PreferAgent { visitor, agent } => Event::PreferAgent { visitor, agent },
                E::Claim { agent, visitor } => Event::Claim { agent, visitor },
                E::Route { visitor } => Event::Route { visitor },
                E::Release { visitor } => Event::Release { visitor },
                E::Transfer { visitor, to: TransferTarget::Group(g) } => {
                    Event::Transfer { visitor, to_group: Some(g), to_agent: None }
                }
                E::Transfer { visitor, to: TransferTarget::Agent(a) } => {
                    Event::Transfer { visitor, to_group: None, to_agent: Some(a) }
                }
                E::Leave { visitor } => Event::Leave { visitor },
                E::SetStatus { agent, status } => Event::SetStatus { agent, status },
                E::Refresh { agent } => Event::Refresh { agent },
                E::Answer { visitor } => Event::Answer { visitor },
                E::Decline { visitor } => Event::Decline { visitor },
                E::Advance(by) => Event::Advance(by),
                E::Change(c) => Event::Change(c),
            }
        }
    }
}
