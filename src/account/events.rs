//! Visitor and agent events: each succeeds or changes nothing.

use super::{Account, ActionError, Claimed};

/// Whether a [`visit`](Account::visit) made a new visitor.
///
/// ```
/// use groupgate::{Account, ConfigBuilder, Visited};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap(), 0);
/// assert_eq!(account.visit("v1", None).unwrap(), Visited::New);
/// assert_eq!(account.visit("v1", None).unwrap(), Visited::Known);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Visited {
    /// The visitor was not on the site: it is now, with this page's tag.
    New,
    /// The visitor was on the site: a page with a code replaced its tag.
    Known,
}
use crate::decide::{ClaimCheck, claim, form, group};
use crate::ids::{GroupId, UnknownId, VisitorId};
use crate::route::Freed;
use crate::state::{Status, Tag};

impl Account {
    /// A visitor is on a page (R2): creates it on first mention; `Some(tag)`
    /// replaces its page tag, `None` (a page without the code) keeps it.
    /// Cost: O(1) amortized for a new visitor; O(size of its group) for a
    /// new tag.
    ///
    /// # Errors
    ///
    /// `invalid_id` when the visitor id or the page's group code breaks
    /// R23 (both are stored); `version_exhausted` when the account's version
    /// counter has no value left (R13); `too_many_visitors` for a new visitor
    /// when the account holds 2^26 − 1 already; nothing changes.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.visit("v2", Some("de")).unwrap();
    /// let again = account.visit("v2", None).unwrap(); // a page without the code keeps the tag
    /// assert_eq!(again, Visited::Known);
    /// assert_eq!(account.effective_group("v2").unwrap().group().unwrap(), "de");
    /// ```
    pub fn visit(&mut self, visitor: &str, page_group: Option<&str>) -> Result<Visited, ActionError> {
        self.guarded(|account| account.visit_event(visitor, page_group))
    }

    fn visit_event(&mut self, visitor: &str, page_group: Option<&str>) -> Result<Visited, ActionError> {
        // Both ids are stored: text that cannot be an id is refused (R23).
        crate::check_id(visitor).map_err(ActionError::InvalidId)?;
        let page_group = match page_group {
            Some(g) => {
                crate::check_id(g).map_err(ActionError::InvalidId)?;
                Some(self.latest.shared_group_id(GroupId::stored(g)))
            }
            None => None,
        };
        let grouping = group::Grouper(&self.latest);
        let Some(slot) = self.state.visitors().slot(visitor) else {
            // A new visitor has no chat yet: nothing in the queue changes.
            self.state.add_visitor(visitor, page_group, &grouping).map_err(|_| ActionError::TooManyVisitors)?;
            return Ok(Visited::New);
        };
        if let Some(tag) = page_group {
            self.state.retag(slot, Tag::Page(tag), &grouping);
            self.serve(Freed::Visitor(slot));
        }
        Ok(Visited::Known)
    }

    /// The visitor picks a group in the contact form (R22). Cost: O(groups),
    /// or O(groups · agents) with `hide_unavailable_groups`.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`; `group_selection_disabled` when the form has no group
    /// selection; `group_not_offered` for a group the form does not offer now
    /// (R22).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.select_group("v1", "de").unwrap();
    /// assert_eq!(account.visible_agents("v1"), ["bob"]);
    /// assert_eq!(account.select_group("v1", "fr").unwrap_err().code(), "group_not_offered");
    /// ```
    pub fn select_group(&mut self, visitor: &str, group: &str) -> Result<(), ActionError> {
        self.guarded(|account| account.select_group_event(visitor, group))
    }

    fn select_group_event(&mut self, visitor: &str, group: &str) -> Result<(), ActionError> {
        let (slot, _) = self.known_slot(visitor)?;
        let g = form::check_selection(&self.latest, &self.state, group).map_err(|refused| match refused {
            form::Refused::SelectionDisabled => ActionError::GroupSelectionDisabled,
            form::Refused::NotOffered => ActionError::GroupNotOffered(group.to_owned()),
        })?;
        if let Some((id, _)) = self.latest.group(g) {
            let snap = &*self.latest;
            self.state.retag(slot, Tag::Selection(id.clone()), &group::Grouper(snap));
        }
        self.serve(Freed::Visitor(slot));
        Ok(())
    }

    /// Records a returning visitor's last agent (R15). The agent need not
    /// exist; an unknown one is never a candidate.
    ///
    /// Cost: O(1) expected, then, under `least_busy` and `round_robin`, serving the queue (R18): O(queue) visibility tests plus a routing plan for each chat the event may have unblocked.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`, then `unknown_agent` for an agent the configuration
    /// does not have.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.prefer_agent("v1", "anna").unwrap();
    /// assert_eq!(account.candidates("v1").agents(), ["anna"]);
    /// ```
    pub fn prefer_agent(&mut self, visitor: &str, agent: &str) -> Result<(), ActionError> {
        self.guarded(|account| account.prefer_agent_event(visitor, agent))
    }

    fn prefer_agent_event(&mut self, visitor: &str, agent: &str) -> Result<(), ActionError> {
        let (slot, _) = self.known_slot(visitor)?;
        // The agent must exist now; it shares the configuration's id. Once
        // removed, it is ignored (R27's settled details).
        let ax = self.agent_ix(agent)?;
        let Some((agent, _)) = self.latest.agent(ax) else {
            return Err(UnknownId::Agent(agent.to_owned()).into());
        };
        self.state.set_preferred(slot, agent.clone());
        self.serve(Freed::Visitor(slot));
        Ok(())
    }

    /// The visitor leaves (R14): its chat closes and it is forgotten.
    /// Cost: O(size of its group), amortized.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.leave("v1").unwrap();
    /// assert!(!account.has_visitor("v1"));
    /// ```
    pub fn leave(&mut self, visitor: &str) -> Result<(), ActionError> {
        self.guarded(|account| account.leave_event(visitor))
    }

    fn leave_event(&mut self, visitor: &str) -> Result<(), ActionError> {
        let (slot, _) = self.known_slot(visitor)?;
        if let Some(holder) = self.state.remove_visitor(slot) {
            self.serve_agent(&holder);
        }
        Ok(())
    }

    /// Sets an agent's presence.
    ///
    /// Cost: O(1) expected, then, under `least_busy` and `round_robin`, serving the queue (R18): O(queue) visibility tests plus a routing plan for each chat the event may have unblocked.
    ///
    /// # Errors
    ///
    /// `unknown_agent`.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.set_status("bob", Status::Online).unwrap();
    /// assert!(account.is_online(Some("de")));
    /// ```
    pub fn set_status(&mut self, agent: &str, status: Status) -> Result<(), ActionError> {
        self.guarded(|account| account.set_status_event(agent, status))
    }

    fn set_status_event(&mut self, agent: &str, status: Status) -> Result<(), ActionError> {
        let ix = self.agent_ix(agent)?;
        self.state.set_status(ix, status, self.latest.policy().offline_requeue_after);
        self.serve(Freed::Agent(ix));
        Ok(())
    }

    /// The agent reloads its dashboard: it now shows the latest revision (R9).
    ///
    /// Cost: O(log revisions shown).
    ///
    /// # Errors
    ///
    /// `unknown_agent`.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.apply(&Change::Unassign { agent: "anna".parse().unwrap(), group: "en".parse().unwrap() }).unwrap();
    /// assert_eq!(account.dashboard("anna"), ["v1"]); // still revision 1
    /// account.refresh("anna").unwrap();
    /// assert_eq!(account.loaded_revision("anna"), Some(2));
    /// ```
    pub fn refresh(&mut self, agent: &str) -> Result<(), ActionError> {
        self.guarded(|account| account.refresh_event(agent))
    }

    fn refresh_event(&mut self, agent: &str) -> Result<(), ActionError> {
        let ix = self.agent_ix(agent)?;
        // Only the revision it showed can have lost its last dashboard.
        if let Some(before) = self.state.set_loaded(ix, self.latest.revision()) {
            if !self.state.shows_revision(before) {
                self.loaded.remove(&before);
            }
        }
        Ok(())
    }

    /// The agent claims the visitor's chat (R11, R13), starting one when the
    /// visitor has none (a proactive chat). A repeat claim by the holder
    /// succeeds and changes nothing. Cost: O(1).
    ///
    /// # Errors
    ///
    /// `unknown_agent`, `unknown_visitor`, then the first failing check of R11
    /// as [`ActionError::Denied`]: `agent_disabled`, `not_in_group` /
    /// `ungrouped_hidden`, `already_claimed` (naming the holder),
    /// `agent_offline`, `at_capacity`.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// let claimed = account.claim("anna", "v1").unwrap();
    /// assert!(claimed.changed());
    /// assert_eq!(account.claim("bob", "v1").unwrap_err().code(), "not_in_group");
    /// ```
    pub fn claim(&mut self, agent: &str, visitor: &str) -> Result<Claimed, ActionError> {
        self.guarded(|account| account.claim_event(agent, visitor))
    }

    fn claim_event(&mut self, agent: &str, visitor: &str) -> Result<Claimed, ActionError> {
        let ax = self.agent_ix(agent)?;
        let (slot, v) = self.known_slot(visitor)?;
        match claim::check_visitor(&self.latest, &self.state, ax, v) {
            ClaimCheck::Denied { reason, holder, .. } => Err(ActionError::Denied { reason, holder: holder.cloned() }),
            ClaimCheck::Allowed { already_holder: true } => Ok(Claimed { version: v.version, changed: false }),
            ClaimCheck::Allowed { already_holder: false } => {
                Ok(Claimed { version: self.state.assign(ax, slot), changed: true })
            }
        }
    }

    /// [`claim`](Self::claim) committed only if the chat is still at
    /// `version` (compare-and-set, R13): a host with several servers passes
    /// the version it read, and the loser of a race gets `already_claimed`.
    ///
    /// # Errors
    ///
    /// As [`claim`](Self::claim), and `already_claimed`
    /// ([`ActionError::VersionMismatch`]) when the chat is no longer at
    /// `version`.
    ///
    /// ```
    /// use groupgate::{Account, AgentSpec, ConfigBuilder, ErrorCode, Status};
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.set_status("bob", Status::Online).unwrap();
    /// account.visit("v1", None).unwrap();
    /// let read = account.chat_version("v1").unwrap();
    /// account.claim_at_version("anna", "v1", read).unwrap();
    /// let lost = account.claim_at_version("bob", "v1", read).unwrap_err();
    /// assert_eq!(lost.code(), "already_claimed");
    /// ```
    ///
    /// Cost: O(1) expected.
    pub fn claim_at_version(&mut self, agent: &str, visitor: &str, version: u64) -> Result<Claimed, ActionError> {
        self.guarded(|account| account.claim_at_version_event(agent, visitor, version))
    }

    fn claim_at_version_event(&mut self, agent: &str, visitor: &str, version: u64) -> Result<Claimed, ActionError> {
        self.agent_ix(agent)?;
        let found = self.known_visitor(visitor)?.version;
        if found != version {
            return Err(ActionError::VersionMismatch { expected: version, found });
        }
        self.claim_event(agent, visitor)
    }

    /// Closes the visitor's chat, held or queued (R14): the holder's load
    /// drops at once.
    ///
    /// Cost: O(chats the holder holds), then, under `least_busy` and `round_robin`, serving the queue (R18): O(queue) visibility tests plus a routing plan for each chat the event may have unblocked.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`; `no_chat` when the visitor has no open chat.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.claim("anna", "v1").unwrap();
    /// account.release("v1").unwrap();
    /// assert_eq!(account.load("anna"), Some(0));
    /// ```
    pub fn release(&mut self, visitor: &str) -> Result<(), ActionError> {
        self.release_as(None, visitor)
    }

    /// [`release`](Self::release) done by `agent` when one is given (R38):
    /// it must hold the chat. With `None`, the host's own release.
    ///
    /// # Errors
    ///
    /// `unknown_visitor`, `unknown_agent`, `no_chat`, then `not_holder`
    /// unless `agent` holds the chat (a queued chat has no holder).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", None).unwrap();
    /// account.claim("anna", "v1").unwrap();
    /// assert_eq!(account.release_as(Some("bob"), "v1").unwrap_err().code(), "not_holder");
    /// account.release_as(Some("anna"), "v1").unwrap();
    /// assert_eq!(account.holder("v1"), None);
    /// ```
    pub fn release_as(&mut self, agent: Option<&str>, visitor: &str) -> Result<(), ActionError> {
        self.guarded(|account| account.release_event(agent, visitor))
    }

    fn release_event(&mut self, agent: Option<&str>, visitor: &str) -> Result<(), ActionError> {
        let (slot, v) = self.known_slot(visitor)?;
        let acting = self.acting(agent)?;
        if v.chat.is_none() {
            return Err(ActionError::NoChat(VisitorId::stored(v.id)));
        }
        Self::holds(&v, acting)?;
        if let Some(holder) = self.state.close(slot) {
            self.serve_agent(&holder);
        }
        Ok(())
    }
}

impl Account {
    /// Records a chat state decided elsewhere — another server's committed
    /// claim, read back from shared storage — without checking R11:
    /// `holder` now holds the visitor's chat, or with `None` the chat is
    /// closed. `version` is the stored version (R13); later versions made
    /// here are greater. Loads follow at once; the strategy state (R16) is
    /// not touched — share it with [`set_assignments`](Self::set_assignments).
    ///
    /// Errors
    ///
    /// `unknown_agent`, `unknown_visitor`; `version_exhausted` for
    /// `u64::MAX`, which would leave the counter no later version to give.
    ///
    /// Cost: O(chats the previous holder holds).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap(), 0);
    /// account.visit("v1", None).unwrap();
    /// account.restore_chat("v1", Some("bob"), 41).unwrap(); // bob won it on another server
    /// assert_eq!((account.holder("v1").unwrap().as_str(), account.load("bob")), ("bob", Some(1)));
    /// assert_eq!(account.chat_version("v1"), Some(41));
    /// assert_eq!(account.assignments().get("bob"), None); // strategy state untouched
    /// account.restore_chat("v1", None, 42).unwrap();
    /// assert_eq!(account.load("bob"), Some(0));
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.claim("anna", "v1").unwrap();
    /// assert!(account.chat_version("v1").unwrap() > 42); // versions stay unique
    /// ```
    pub fn restore_chat(&mut self, visitor: &str, holder: Option<&str>, version: u64) -> Result<(), ActionError> {
        self.guarded(|account| account.restore_chat_event(visitor, holder, version))
    }

    fn restore_chat_event(&mut self, visitor: &str, holder: Option<&str>, version: u64) -> Result<(), ActionError> {
        let ax = holder.map(|h| self.agent_ix(h)).transpose()?;
        self.known_visitor(visitor)?;
        if version == u64::MAX {
            // The counter would stand at its end: no later version could differ.
            return Err(ActionError::VersionExhausted);
        }
        // The stored version is the chat's: the restore takes none of the
        // counter's values, and the counter moves past it.
        if let Some(slot) = self.state.visitors().slot(visitor) {
            self.state.restore(slot, ax, version);
        }
        Ok(())
    }

    /// The agent's chat limit for the visitor's chat (R12): the smallest of
    /// its own limit (or the account default) and the limit of the chat's
    /// group; `None` is unlimited. A host enforces it in shared storage.
    /// Fails closed: an unknown agent or visitor gets `Some(0)`, no chats.
    /// Cost: O(1) expected.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en").chat_limit(2)).agent(AgentSpec::new("anna").member("en").chat_limit(5))
    ///     .build().unwrap(), 0);
    /// account.visit("v1", Some("en")).unwrap();
    /// assert_eq!(account.chat_limit("anna", "v1"), Some(2));
    /// assert_eq!(account.chat_limit("ghost", "v1"), Some(0));
    /// ```
    pub fn chat_limit(&self, agent: &str, visitor: &str) -> Option<u32> {
        let compiled = self.latest.agent_ix(agent).and_then(|a| self.latest.agent(a));
        match (compiled, self.state.visitor(visitor)) {
            (Some((_, a)), Some(v)) => claim::limit(&self.latest, a, v.group),
            _ => Some(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Account, AgentSpec, Change, ConfigBuilder, GroupSpec};

    #[test]
    fn a_revision_no_dashboard_shows_is_dropped_when_its_last_agent_refreshes() {
        let config = ConfigBuilder::new()
            .group(GroupSpec::new("en"))
            .agent(AgentSpec::new("anna"))
            .agent(AgentSpec::new("bob"))
            .build()
            .unwrap();
        let mut account = Account::new(config, 0);
        account.apply(&Change::SetGroupSelection(true)).unwrap();
        assert_eq!(account.loaded.keys().copied().collect::<Vec<_>>(), [1], "both still show revision 1");
        account.refresh("anna").unwrap();
        assert_eq!(account.loaded.len(), 1, "bob still shows revision 1");
        account.refresh("bob").unwrap();
        assert!(account.loaded.is_empty(), "nobody shows revision 1");
        assert!(!account.state.shows_revision(1));
        assert!(account.state.shows_revision(2));
    }
}
