//! One account: the latest snapshot, the snapshots agents' dashboards still
//! show, and the live state, kept in step. Every query is `&self` and pure;
//! every event and change is `&mut self` and either succeeds or changes
//! nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Config;
use crate::decide::{self, candidates, claim, form, group, refresh, visibility};
use crate::decide::{AvailabilityChange, Candidates, ClaimCheck, EffectiveGroup, Reason, SelectError, Visibility};
use crate::ids::{AgentId, GroupId, VisitorId};
use crate::snapshot::{Change, ChangeError, Snapshot};
use crate::state::{AgentLive, Chat, State, Status, VisitorLive};

/// An account's configuration history and live state: the object a chat
/// backend keeps per account.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Status};
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("support-en"))
///     .group(GroupSpec::new("support-de"))
///     .agent(AgentSpec::new("anna").member("support-en"))
///     .agent(AgentSpec::new("bob").member("support-de"))
///     .build().unwrap());
/// account.set_status("anna", Status::Online).unwrap();
/// account.visit("v1".parse().unwrap(), Some("support-en".parse().unwrap()));
/// assert_eq!(account.visible_agents("v1"), ["anna"]);
/// assert!(account.claim("anna", "v1").is_ok());
/// assert_eq!(account.claim("bob", "v1").unwrap_err().code(), "not_in_group");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    latest: Arc<Snapshot>,
    /// Revisions some agent's dashboard shows, other than `latest`.
    loaded: BTreeMap<u64, Arc<Snapshot>>,
    state: State,
    clock: u64,
}

/// Why an event was refused. Nothing changed.
///
/// ```
/// use groupgate::{Account, ConfigBuilder};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap());
/// let err = account.release("ghost").unwrap_err();
/// assert_eq!((err.code(), err.to_string().as_str()), ("unknown_visitor", "unknown visitor `ghost`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// No agent with that id.
    #[error("unknown agent `{0}`")]
    UnknownAgent(String),
    /// No visitor with that id.
    #[error("unknown visitor `{0}`")]
    UnknownVisitor(String),
    /// R11 refused a claim.
    #[error("claim refused: {reason}{}", .holder.as_ref().map(|h| format!(" (held by `{h}`)")).unwrap_or_default())]
    Denied {
        /// The first failing check of R11.
        reason: Reason,
        /// The holder, for `already_claimed`.
        holder: Option<AgentId>,
    },
    /// A compare-and-set claim saw another version of the chat (R13).
    #[error("chat version is {found}, not {expected}")]
    VersionMismatch {
        /// The version the caller read.
        expected: u64,
        /// The version now.
        found: u64,
    },
    /// The visitor has no open chat.
    #[error("visitor `{0}` has no open chat")]
    NoChat(VisitorId),
}

impl ActionError {
    /// The stable code of the scenario format. A version mismatch is
    /// `already_claimed`: the caller lost a race (R13).
    pub fn code(&self) -> &'static str {
        match self {
            ActionError::UnknownAgent(_) => "unknown_agent",
            ActionError::UnknownVisitor(_) => "unknown_visitor",
            ActionError::Denied { reason, .. } => reason.code(),
            ActionError::VersionMismatch { .. } => "already_claimed",
            ActionError::NoChat(_) => "no_chat",
        }
    }
}

/// A successful claim.
///
/// ```
/// # use groupgate::{Account, AgentSpec, ConfigBuilder, Status};
/// # let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap());
/// # account.set_status("anna", Status::Online).unwrap();
/// # account.visit("v1".parse().unwrap(), None);
/// let first = account.claim("anna", "v1").unwrap();
/// let again = account.claim("anna", "v1").unwrap();
/// assert!(first.changed() && !again.changed());
/// assert_eq!(first.version(), again.version());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    version: u64,
    changed: bool,
}

impl Claimed {
    /// The chat's version after the claim (R13).
    pub fn version(&self) -> u64 {
        self.version
    }
    /// False for a repeat claim by the holder, which changes nothing.
    pub fn changed(&self) -> bool {
        self.changed
    }
}

/// What a successful configuration change did (R9).
///
/// ```
/// use groupgate::{Account, AgentSpec, Change, ConfigBuilder, GroupSpec};
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en"))
///     .group(GroupSpec::new("de"))
///     .agent(AgentSpec::new("anna"))
///     .build().unwrap());
/// let report = account.apply(&Change::Assign {
///     agent: "anna".parse().unwrap(), group: "en".parse().unwrap(), tier: Default::default(),
/// }).unwrap();
/// assert_eq!(report.revision(), 2);
/// assert_eq!(report.needs_refresh(), ["anna"]); // she no longer sees "de" visitors
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeReport {
    revision: u64,
    needs_refresh: Vec<AgentId>,
    availability: Vec<AvailabilityChange>,
    requeued: Vec<VisitorId>,
}

impl ChangeReport {
    /// The new revision.
    pub fn revision(&self) -> u64 {
        self.revision
    }
    /// Agents whose visibility differs between the previous revision and this
    /// one, in configuration order: tell them to refresh.
    pub fn needs_refresh(&self) -> &[AgentId] {
        &self.needs_refresh
    }
    /// Pages whose chat box went online or offline.
    pub fn availability(&self) -> &[AvailabilityChange] {
        &self.availability
    }
    /// Chats put back in the queue because their agent was removed or
    /// disabled (R14), in order of visitor arrival.
    pub fn requeued(&self) -> &[VisitorId] {
        &self.requeued
    }
}

impl Account {
    /// An account at revision 1 of `config`. Every agent is offline and has
    /// loaded revision 1; there are no visitors.
    pub fn new(config: Config) -> Self {
        Self::from_snapshot(Snapshot::new(config))
    }

    /// An account at the given snapshot (for a host restoring a revision).
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        let rev = snapshot.revision();
        let state = State {
            agents: snapshot.agents().map(|(_, id, _)| (id.clone(), AgentLive::new(rev))).collect(),
            ..State::default()
        };
        Account { latest: Arc::new(snapshot), loaded: BTreeMap::new(), state, clock: 0 }
    }

    /// The latest revision's snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.latest
    }

    /// The live state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Sets the host clock that stamps assignments (R16).
    pub fn set_clock(&mut self, now: u64) {
        self.clock = now;
    }

    /// The host clock.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    fn agent_ix(&self, agent: &str) -> Result<usize, ActionError> {
        self.latest.agent_ix(agent).ok_or_else(|| ActionError::UnknownAgent(crate::ids::shown(agent)))
    }

    fn visitor(&self, visitor: &str) -> Result<&VisitorLive, ActionError> {
        self.state.visitor(visitor).ok_or_else(|| ActionError::UnknownVisitor(crate::ids::shown(visitor)))
    }

    fn visitor_mut(&mut self, visitor: &str) -> Result<&mut VisitorLive, ActionError> {
        self.state.visitors.get_mut(visitor).ok_or_else(|| ActionError::UnknownVisitor(crate::ids::shown(visitor)))
    }

    fn snapshot_at(&self, revision: u64) -> &Snapshot {
        self.loaded.get(&revision).map_or(&self.latest, |s| s)
    }

    // ----- configuration -------------------------------------------------

    /// Applies a configuration change (R9, R24): a new revision, the agents
    /// whose dashboards it made stale, the pages whose availability changed.
    /// On error nothing changes.
    ///
    /// Cost: O(configuration + agents · groups + pages · agents).
    pub fn apply(&mut self, change: &Change) -> Result<ChangeReport, ChangeError> {
        let next = Arc::new(self.latest.apply(change)?);
        let pages = refresh::pages(&self.latest, &next);
        let before = refresh::online_pages(&self.latest, &self.state, &pages);
        let needs_refresh = decide::needs_refresh(&self.latest, &next).into_iter().cloned().collect();
        let previous = std::mem::replace(&mut self.latest, next);
        if self.state.agents.values().any(|a| a.loaded == previous.revision()) {
            self.loaded.insert(previous.revision(), previous.clone());
        }
        let requeued = self.sync_agents(&previous);
        let after = refresh::online_pages(&self.latest, &self.state, &pages);
        Ok(ChangeReport {
            revision: self.latest.revision(),
            needs_refresh,
            availability: refresh::availability_changes(pages, &before, &after),
            requeued,
        })
    }

    /// Brings agents' live state in step with the latest snapshot: new agents
    /// load it, removed or newly disabled agents lose their chats to the queue (R14).
    fn sync_agents(&mut self, previous: &Snapshot) -> Vec<VisitorId> {
        let rev = self.latest.revision();
        let mut old = std::mem::take(&mut self.state.agents);
        let mut lost: Vec<VisitorId> = Vec::new();
        for (_, id, compiled) in self.latest.agents() {
            let mut live = old.swap_remove(id).unwrap_or_else(|| AgentLive::new(rev));
            let was_enabled =
                previous.agent_ix(id.as_str()).and_then(|a| previous.agent(a)).is_some_and(|(_, a)| a.enabled);
            if was_enabled && !compiled.enabled {
                lost.extend(live.held.drain(..));
            }
            self.state.agents.insert(id.clone(), live);
        }
        lost.extend(old.into_values().flat_map(|a| a.held));
        self.requeue(lost)
    }

    /// Puts chats back in the queue, together (R18: ties by arrival).
    fn requeue(&mut self, mut visitors: Vec<VisitorId>) -> Vec<VisitorId> {
        self.gc_loaded();
        if visitors.is_empty() {
            return visitors;
        }
        visitors.sort_by_key(|v| self.state.visitor(v.as_str()).map(|v| v.arrival));
        let key = self.state.tick();
        for v in &visitors {
            let version = self.state.tick();
            if let Some(live) = self.state.visitors.get_mut(v.as_str()) {
                live.chat = Some(Chat { holder: None, queued: Some(key) });
                live.version = version;
            }
        }
        visitors
    }

    fn gc_loaded(&mut self) {
        let agents = &self.state.agents;
        self.loaded.retain(|rev, _| agents.values().any(|a| a.loaded == *rev));
    }

    // ----- visitor and agent events ----------------------------------------

    /// A visitor is on a page (R2): creates it on first mention; `Some(tag)`
    /// replaces its page tag, `None` (a page without the code) keeps it.
    /// Cost: O(1) amortized.
    pub fn visit(&mut self, visitor: VisitorId, page_group: Option<GroupId>) {
        if let Some(v) = self.state.visitors.get_mut(visitor.as_str()) {
            if page_group.is_some() {
                v.page_tag = page_group;
            }
            return;
        }
        let arrival = self.state.tick();
        let live = VisitorLive {
            arrival,
            page_tag: page_group,
            selection: None,
            moved_to: None,
            preferred: None,
            chat: None,
            version: arrival,
        };
        self.state.visitors.insert(visitor, live);
    }

    /// The visitor picks a group in the contact form (R22). Cost: O(groups),
    /// or O(groups · agents) with `hide_unavailable_groups`.
    pub fn select_group(&mut self, visitor: &str, group: &str) -> Result<(), SelectError> {
        if self.state.visitor(visitor).is_none() {
            return Err(SelectError::UnknownVisitor(crate::ids::shown(visitor)));
        }
        let g = form::check_selection(&self.latest, &self.state, group)?;
        let id = self.latest.group(g).map(|(id, _)| id.clone());
        if let Some(v) = self.state.visitors.get_mut(visitor) {
            v.selection = id;
        }
        Ok(())
    }

    /// Records a returning visitor's last agent (R15). The agent need not
    /// exist; an unknown one is never a candidate.
    pub fn prefer_agent(&mut self, visitor: &str, agent: AgentId) -> Result<(), ActionError> {
        self.visitor_mut(visitor)?.preferred = Some(agent);
        Ok(())
    }

    /// The visitor leaves (R14): its chat closes and it is forgotten.
    /// Cost: O(visitors) (the arrival order is kept).
    pub fn leave(&mut self, visitor: &str) -> Result<(), ActionError> {
        self.visitor(visitor)?;
        self.close(visitor);
        self.state.visitors.shift_remove(visitor);
        Ok(())
    }

    /// Sets an agent's presence.
    pub fn set_status(&mut self, agent: &str, status: Status) -> Result<(), ActionError> {
        self.agent_ix(agent)?;
        if let Some(a) = self.state.agents.get_mut(agent) {
            a.status = status;
        }
        Ok(())
    }

    /// The agent reloads its dashboard: it now shows the latest revision (R9).
    pub fn refresh(&mut self, agent: &str) -> Result<(), ActionError> {
        self.agent_ix(agent)?;
        let rev = self.latest.revision();
        if let Some(a) = self.state.agents.get_mut(agent) {
            a.loaded = rev;
        }
        self.gc_loaded();
        Ok(())
    }

    /// The agent claims the visitor's chat (R11, R13), starting one when the
    /// visitor has none (a proactive chat). A repeat claim by the holder
    /// succeeds and changes nothing. Cost: O(1).
    pub fn claim(&mut self, agent: &str, visitor: &str) -> Result<Claimed, ActionError> {
        let ax = self.agent_ix(agent)?;
        let v = self.visitor(visitor)?;
        match claim::check_visitor(&self.latest, &self.state, ax, v) {
            ClaimCheck::Denied { reason, holder, .. } => Err(ActionError::Denied { reason, holder: holder.cloned() }),
            ClaimCheck::Allowed { already_holder: true } => Ok(Claimed { version: v.version, changed: false }),
            ClaimCheck::Allowed { already_holder: false } => Ok(self.assign(agent, visitor)),
        }
    }

    /// [`claim`](Self::claim) committed only if the chat is still at
    /// `version` (compare-and-set, R13): a host with several servers passes
    /// the version it read, and the loser of a race gets `already_claimed`.
    ///
    /// ```
    /// # use groupgate::{Account, AgentSpec, ConfigBuilder, Status};
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap());
    /// # account.set_status("anna", Status::Online).unwrap();
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), None);
    /// let read = account.chat_version("v1").unwrap();
    /// account.claim_at_version("anna", "v1", read).unwrap();
    /// let lost = account.claim_at_version("bob", "v1", read).unwrap_err();
    /// assert_eq!(lost.code(), "already_claimed");
    /// ```
    pub fn claim_at_version(&mut self, agent: &str, visitor: &str, version: u64) -> Result<Claimed, ActionError> {
        self.agent_ix(agent)?;
        let found = self.visitor(visitor)?.version;
        if found != version {
            return Err(ActionError::VersionMismatch { expected: version, found });
        }
        self.claim(agent, visitor)
    }

    /// Makes `agent` hold `visitor`'s chat. Both exist; the caller checked R11.
    fn assign(&mut self, agent: &str, visitor: &str) -> Claimed {
        let version = self.state.tick();
        let clock = self.clock;
        let Some(vid) = self.state.visitors.get_key_value(visitor).map(|(id, _)| id.clone()) else {
            return Claimed { version, changed: false };
        };
        let holder = self.state.agents.get_full(agent).map(|(_, id, _)| id.clone());
        if let Some(a) = self.state.agents.get_mut(agent) {
            a.held.push(vid);
            a.last_assigned = Some(clock);
        }
        if let Some(v) = self.state.visitors.get_mut(visitor) {
            v.chat = Some(Chat { holder, queued: None });
            v.version = version;
        }
        Claimed { version, changed: true }
    }

    /// Closes the visitor's chat, held or queued (R14): the holder's load
    /// drops at once.
    pub fn release(&mut self, visitor: &str) -> Result<(), ActionError> {
        let (id, v) = self
            .state
            .visitors
            .get_key_value(visitor)
            .ok_or_else(|| ActionError::UnknownVisitor(crate::ids::shown(visitor)))?;
        if v.chat.is_none() {
            return Err(ActionError::NoChat(id.clone()));
        }
        self.close(visitor);
        Ok(())
    }

    fn close(&mut self, visitor: &str) {
        let version = self.state.tick();
        let Some(v) = self.state.visitors.get_mut(visitor) else { return };
        let holder = v.chat.take().and_then(|c| c.holder);
        v.version = version;
        if let Some(a) = holder.and_then(|h| self.state.agents.get_mut(h.as_str())) {
            a.held.retain(|h| h.as_str() != visitor);
        }
    }

    // ----- decisions ----------------------------------------------------------

    /// The visitor's effective group (R2) and unknown tags (R3); `None` for
    /// an unknown visitor. Cost: O(1), no allocation.
    pub fn effective_group(&self, visitor: &str) -> Option<EffectiveGroup<'_>> {
        Some(group::explain(&self.latest, self.state.visitor(visitor)?))
    }

    /// Whether the agent sees the visitor on the latest revision (R4–R8).
    /// Unknown ids are hidden. Cost: O(1), no allocation.
    pub fn sees(&self, agent: &str, visitor: &str) -> Visibility {
        let snap = &*self.latest;
        let Some((_, a)) = snap.agent_ix(agent).and_then(|a| snap.agent(a)) else {
            return Visibility::Hidden { reason: Reason::UnknownAgent, rule: "R4" };
        };
        let Some(v) = self.state.visitor(visitor) else {
            return Visibility::Hidden { reason: Reason::UnknownVisitor, rule: "R4" };
        };
        visibility::visibility(snap, a, group::effective(snap, v).map(|(g, _)| g))
    }

    /// Every agent who sees the visitor on the latest revision, in
    /// configuration order; empty for an unknown visitor. Cost: O(agents).
    pub fn visible_agents(&self, visitor: &str) -> Vec<&AgentId> {
        let snap = &*self.latest;
        let Some(v) = self.state.visitor(visitor) else { return Vec::new() };
        let g = group::effective(snap, v).map(|(g, _)| g);
        snap.agents().filter(|(_, _, a)| visibility::visibility(snap, a, g).is_visible()).map(|(_, id, _)| id).collect()
    }

    /// The visitors on the agent's dashboard: those on the site now that the
    /// agent sees under the revision it last loaded (R9), in order of
    /// arrival; empty for an unknown agent. Cost: O(visitors).
    pub fn dashboard(&self, agent: &str) -> Vec<&VisitorId> {
        let Some(live) = self.state.agent(agent) else { return Vec::new() };
        let snap = self.snapshot_at(live.loaded);
        let Some((_, a)) = snap.agent_ix(agent).and_then(|a| snap.agent(a)) else { return Vec::new() };
        self.state
            .visitors
            .iter()
            .filter(|(_, v)| visibility::visibility(snap, a, group::effective(snap, v).map(|(g, _)| g)).is_visible())
            .map(|(id, _)| id)
            .collect()
    }

    /// Agents whose dashboard is stale (R9): their loaded revision shows
    /// something the latest does not, or the other way round. Configuration
    /// order. Cost: O(agents · groups).
    pub fn needs_refresh(&self) -> Vec<&AgentId> {
        self.latest
            .agents()
            .filter(|(_, id, _)| {
                let loaded = self.state.agent(id.as_str()).map_or(self.latest.revision(), |a| a.loaded);
                refresh::stale(self.snapshot_at(loaded), &self.latest, id.as_str())
            })
            .map(|(_, id, _)| id)
            .collect()
    }

    /// Whether the agent may claim the visitor's chat now (R11), with the
    /// first failing reason. Cost: O(1), no allocation.
    pub fn can_claim(&self, agent: &str, visitor: &str) -> ClaimCheck<'_> {
        let Some(ax) = self.latest.agent_ix(agent) else {
            return claim::denied(Reason::UnknownAgent, "R11");
        };
        let Some(v) = self.state.visitor(visitor) else {
            return claim::denied(Reason::UnknownVisitor, "R11");
        };
        claim::check_visitor(&self.latest, &self.state, ax, v)
    }

    /// Candidates for a new chat of the visitor (R15, following R17). Empty
    /// for an unknown visitor. Cost: O(agents · chain length).
    pub fn candidates(&self, visitor: &str) -> Candidates<'_> {
        let snap = &*self.latest;
        let Some(v) = self.state.visitor(visitor) else { return Candidates::default() };
        let own = group::effective(snap, v).map(|(g, _)| g);
        let preferred = v.preferred.as_ref().and_then(|p| snap.agent_ix(p.as_str()));
        let found = candidates::serving_group(snap, &self.state, own);
        let mut agents = Vec::new();
        if let Some(g) = found {
            candidates::each_in_group(snap, &self.state, g, preferred, |a| {
                agents.extend(snap.agent(a).map(|(id, _)| id))
            });
        }
        let group = found.unwrap_or(own);
        Candidates { group: group.and_then(|g| snap.group(g)).map(|(id, _)| id), moved: group != own, agents }
    }

    /// Whether the chat box is online on a page with this group code (R10);
    /// `None`, or a code naming no group, is an ungrouped page.
    /// Cost: O(agents · chain length), no allocation.
    pub fn is_online(&self, page_group: Option<&str>) -> bool {
        let g = page_group.and_then(|p| self.latest.group_ix(p));
        candidates::is_online(&self.latest, &self.state, g)
    }

    /// The groups the contact form offers now (R20, R21), in configuration order.
    pub fn form_choices(&self) -> Vec<&GroupId> {
        form::choices(&self.latest, &self.state).filter_map(|g| self.latest.group(g).map(|(id, _)| id)).collect()
    }

    /// The agent holding the visitor's chat, if any.
    pub fn holder(&self, visitor: &str) -> Option<&AgentId> {
        self.state.visitor(visitor)?.chat.as_ref()?.holder.as_ref()
    }

    /// The version of the visitor's chat state (R13); `None` for an unknown
    /// visitor. Versions never repeat within an account.
    pub fn chat_version(&self, visitor: &str) -> Option<u64> {
        Some(self.state.visitor(visitor)?.version)
    }

    /// Chats the agent holds (R12); `None` for an unknown agent.
    pub fn load(&self, agent: &str) -> Option<u32> {
        self.state.agent(agent).map(AgentLive::load)
    }

    /// The agent's presence; `None` for an unknown agent.
    pub fn status(&self, agent: &str) -> Option<Status> {
        self.state.agent(agent).map(|a| a.status)
    }

    /// The revision the agent's dashboard shows (R9).
    pub fn loaded_revision(&self, agent: &str) -> Option<u64> {
        self.state.agent(agent).map(|a| a.loaded)
    }

    /// Whether a visitor with this id is on the site.
    pub fn has_visitor(&self, visitor: &str) -> bool {
        self.state.visitor(visitor).is_some()
    }

    /// The visitors on the site, in order of arrival.
    pub fn visitors(&self) -> impl Iterator<Item = &VisitorId> {
        self.state.visitors.keys()
    }

    /// Queued chats (R18): routed, held by nobody, oldest first.
    /// Cost: O(visitors + queue · log queue).
    pub fn queue(&self) -> Vec<&VisitorId> {
        let mut q: Vec<(u64, u64, &VisitorId)> =
            self.state.visitors.iter().filter_map(|(id, v)| Some((v.chat.as_ref()?.queued?, v.arrival, id))).collect();
        q.sort_unstable();
        q.into_iter().map(|(_, _, id)| id).collect()
    }
}
