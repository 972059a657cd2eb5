//! Decisions: every query is `&self`, pure, and cannot fail.

use super::{Account, GroupHours};
use crate::decide::{Candidates, ClaimCheck, EffectiveGroup, GroupSource, Reason, Visibility};
use crate::decide::{candidates, claim, dashboard, form, group, refresh, visibility};
use crate::ids::{AgentId, GroupId};
use crate::rule::Rule;
use crate::state::Visitor;
use crate::state::{AgentLive, Status};

impl Account {
    /// The visitor's effective group (R2) and unknown tags (R3); `None` for
    /// an unknown visitor. Cost: O(1), no allocation.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert_eq!(account.effective_group("v1").unwrap().group().unwrap(), "en");
    /// assert!(account.effective_group("ghost").is_none());
    /// ```
    pub fn effective_group(&self, visitor: &str) -> Option<EffectiveGroup<'_>> {
        Some(group::explain(&self.latest, self.state.visitor(visitor)?.tags))
    }

    /// Whether the agent sees the visitor on the latest revision (R4–R8).
    /// Unknown ids are hidden. Cost: O(1), no allocation.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert!(account.sees("anna", "v1").is_visible());
    /// assert_eq!(account.sees("bob", "v1").reason(), Some(Reason::NotInGroup));
    /// ```
    pub fn sees(&self, agent: &str, visitor: &str) -> Visibility {
        let snap = &*self.latest;
        let Some((_, a)) = snap.agent_ix(agent).and_then(|a| snap.agent(a)) else {
            return Visibility::Hidden { reason: Reason::UnknownAgent, rule: Rule::R4 };
        };
        let Some(group) = self.state.visitors().group_of(visitor) else {
            return Visibility::Hidden { reason: Reason::UnknownVisitor, rule: Rule::R4 };
        };
        visibility::visibility(a, group)
    }

    /// Every agent who sees the visitor on the latest revision, in
    /// configuration order; empty for an unknown visitor. Cost: O(output),
    /// a merge of the group's members and the agents who see everything.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert_eq!(account.visible_agents("v1"), ["anna"]);
    /// ```
    pub fn visible_agents(&self, visitor: &str) -> Vec<&AgentId> {
        let snap = &*self.latest;
        let Some(v) = self.state.visitor(visitor) else { return Vec::new() };
        let g = v.group;
        let viewers = visibility::viewers(snap, g);
        let mut out = Vec::with_capacity(viewers.size_hint().1.unwrap_or(0));
        out.extend(viewers.filter_map(|a| snap.agent_id(a)));
        out
    }

    /// The visitors on the agent's dashboard: those on the site now that the
    /// agent sees under the revision it last loaded (R9), in order of
    /// arrival; empty for an unknown agent. Cost: a merge of the per-group
    /// visitor lists the agent sees — O(groups + output · min(lists, log
    /// lists)). When the group list changed since the agent loaded its
    /// revision, the visitors whose group can differ between the two (those
    /// in groups added since, or carrying ids of groups removed since) are
    /// recomputed too: O(those · log). Only a dashboard loaded before the
    /// plan switched groups on or off costs O(visitors).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert_eq!(account.dashboard("anna"), ["v1"]);
    /// assert!(account.dashboard("bob").is_empty());
    /// ```
    pub fn dashboard(&self, agent: &str) -> Vec<&str> {
        let Some(live) = self.state.agent(agent) else { return Vec::new() };
        let snap = self.snapshot_at(live.loaded());
        let Some((_, a)) = snap.agent_ix(agent).and_then(|a| snap.agent(a)) else { return Vec::new() };
        // Visitors' cached effective groups hold for every revision with the
        // latest's groups: only a revision with other groups recomputes them.
        if live.loaded() == self.latest.revision() || snap.same_groups(&self.latest) {
            dashboard::current(snap, &self.state, a)
        } else {
            dashboard::pinned(snap, &self.latest, &self.state, a)
        }
    }

    /// Agents whose dashboard is stale (R9): their loaded revision shows
    /// something the latest does not, or the other way round. Configuration
    /// order. Cost: O(agents · groups).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.apply(&Change::Assign { agent: "bob".parse().unwrap(), group: "en".parse().unwrap(), tier: Tier::Normal }).unwrap();
    /// assert_eq!(account.needs_refresh(), ["bob"]);
    /// ```
    pub fn needs_refresh(&self) -> Vec<&AgentId> {
        self.agents().into_iter().filter(|a| a.stale()).map(|a| a.id()).collect()
    }

    /// Whether the agent may claim the visitor's chat now (R11), with the
    /// first failing reason. Cost: O(1), no allocation.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert!(account.can_claim("anna", "v1").is_allowed());
    /// assert_eq!(account.can_claim("bob", "v1").reason(), Some(Reason::NotInGroup));
    /// ```
    pub fn can_claim(&self, agent: &str, visitor: &str) -> ClaimCheck<'_> {
        let Some(ax) = self.latest.agent_ix(agent) else {
            return claim::denied(Reason::UnknownAgent, Rule::R11);
        };
        let Some(v) = self.state.visitor(visitor) else {
            return claim::denied(Reason::UnknownVisitor, Rule::R11);
        };
        claim::check_visitor(&self.latest, &self.state, ax, v)
    }

    /// Candidates for a new chat of the visitor (R15, following R17). Empty
    /// for an unknown visitor. Cost: O(agents · chain length).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert_eq!(account.candidates("v1").agents(), ["anna"]);
    /// ```
    pub fn candidates(&self, visitor: &str) -> Candidates<'_> {
        let snap = &*self.latest;
        let Some(v) = self.state.visitor(visitor) else { return Candidates::default() };
        let own = v.group;
        let preferred = candidates::preferred(snap, v);
        let found = candidates::serving_group(snap, &self.state, own, &[]);
        let mut agents = Vec::new();
        if let Some(g) = found {
            candidates::each_in_group(snap, &self.state, g, preferred, &[], |a| {
                agents.extend(snap.agent(a).map(|(id, _)| id))
            });
        }
        let group = found.unwrap_or(own);
        Candidates { group: group.and_then(|g| snap.group(g)).map(|(id, _)| id), moved: group != own, agents }
    }

    /// Whether the chat box is online on a page with this group code (R10);
    /// `None`, or a code naming no group, is an ungrouped page.
    /// Cost: O(agents · chain length), no allocation.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert!(account.is_online(Some("en")));
    /// assert!(!account.is_online(Some("de"))); // bob is offline
    /// ```
    pub fn is_online(&self, page_group: Option<&str>) -> bool {
        let g = page_group.and_then(|p| self.latest.group_ix(p));
        candidates::is_online(&self.latest, &self.state, g)
    }

    /// Whether the chat box is online for this visitor (R10): a new chat
    /// of it, from its effective group — which its selection or moved-to
    /// group can make differ from its page's — would have a candidate.
    /// False for a visitor not on the site (fail closed). Cost: that of
    /// [`is_online`](Self::is_online), no allocation.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.select_group("v1", "de").unwrap(); // picked a group nobody serves now
    /// assert!(account.is_online(Some("en"))); // the page's box
    /// assert!(!account.is_online_for("v1")); // this visitor's
    /// ```
    pub fn is_online_for(&self, visitor: &str) -> bool {
        self.state.visitor(visitor).is_some_and(|v| candidates::is_online(&self.latest, &self.state, v.group))
    }

    /// Business hours of a group now (R30): whether it is open, and the
    /// next instant within 366 days at which it opens or closes. A group
    /// without a schedule, and every group under a plan without groups, is
    /// open with no next change. `None` when the configuration has no group
    /// `group`.
    ///
    /// Cost: O(1) expected; nothing is converted (the state keeps each
    /// group's open flag and next change).
    ///
    /// ```
    /// use groupgate::*;
    /// let config = ConfigBuilder::new()
    ///     .schedule(ScheduleSpec::new("office", "Europe/Prague").day("mon", &[("08:00", "17:00")]))
    ///     .group(GroupSpec::new("cz").schedule("office"))
    ///     .group(GroupSpec::new("en"))
    ///     .build().unwrap();
    /// let sunday_noon = 1_795_345_200_000; // 2026-11-22T12:00:00+01:00
    /// let account = Account::new(config, sunday_noon);
    /// let cz = account.group_hours("cz").unwrap();
    /// assert!(!cz.open());
    /// assert_eq!(cz.next_change(), Some(sunday_noon + 20 * 3_600_000)); // Monday 08:00
    /// assert!(account.group_hours("en").unwrap().open());
    /// assert_eq!(account.group_hours("fr"), None);
    /// ```
    pub fn group_hours(&self, group: &str) -> Option<GroupHours> {
        if !self.latest.defines(group) {
            return None;
        }
        let (open, next_change) = self.latest.group_ix(group).map_or((true, None), |g| self.state.hours_of(g));
        Some(GroupHours { open, next_change })
    }

    /// The next instant after the clock, within 366 days, at which `group`
    /// opens or closes (R30): [`group_hours`](Self::group_hours)'s
    /// `next_change`, `None` also for a group the configuration does not
    /// have. Cost: O(1) expected.
    ///
    /// ```
    /// use groupgate::*;
    /// let config = ConfigBuilder::new()
    ///     .schedule(ScheduleSpec::new("office", "UTC").day("mon", &[("09:00", "17:00")]))
    ///     .group(GroupSpec::new("en").schedule("office"))
    ///     .build().unwrap();
    /// let monday_9 = 1_795_424_400_000; // 2026-11-23T09:00:00Z
    /// let account = Account::new(config, monday_9);
    /// assert_eq!(account.next_change("en"), Some(monday_9 + 8 * 3_600_000));
    /// assert_eq!(account.next_change("de"), None);
    /// ```
    pub fn next_change(&self, group: &str) -> Option<u64> {
        self.group_hours(group).and_then(|h| h.next_change())
    }

    /// The groups the contact form offers now (R20, R21), in configuration order.
    ///
    /// Cost: O(groups), or O(groups · viewers of a group) with `hide_unavailable_groups`; allocates the output.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// assert_eq!(account.form_choices(), ["en", "de"]);
    /// ```
    pub fn form_choices(&self) -> Vec<&GroupId> {
        form::choices(&self.latest, &self.state).filter_map(|g| self.latest.group(g).map(|(id, _)| id)).collect()
    }

    /// The agent holding the visitor's chat, if any.
    ///
    /// Cost: O(1) expected.
    pub fn holder(&self, visitor: &str) -> Option<&AgentId> {
        self.state.visitor(visitor)?.chat.as_ref()?.holder.as_ref()
    }

    /// The version of the visitor's chat state (R13); `None` for an unknown
    /// visitor. Versions never repeat within an account.
    ///
    /// Cost: O(1) expected.
    pub fn chat_version(&self, visitor: &str) -> Option<u64> {
        Some(self.state.visitor(visitor)?.version)
    }

    /// Chats the agent holds (R12); `None` for an unknown agent.
    ///
    /// Cost: O(1) expected.
    pub fn load(&self, agent: &str) -> Option<u32> {
        self.state.agent(agent).map(AgentLive::load)
    }

    /// The agent's presence; `None` for an unknown agent.
    ///
    /// Cost: O(1) expected.
    pub fn status(&self, agent: &str) -> Option<Status> {
        self.state.agent(agent).map(|a| a.status())
    }

    /// The revision the agent's dashboard shows (R9).
    ///
    /// Cost: O(1) expected.
    pub fn loaded_revision(&self, agent: &str) -> Option<u64> {
        self.state.agent(agent).map(|a| a.loaded())
    }

    /// Whether a visitor with this id is on the site.
    ///
    /// Cost: O(1) expected.
    pub fn has_visitor(&self, visitor: &str) -> bool {
        self.state.visitor(visitor).is_some()
    }

    /// The visitors on the site, in order of arrival.
    ///
    /// Cost: O(groups) to start, then O(log groups) per visitor yielded
    /// (a merge of the per-group lists).
    pub fn visitors(&self) -> impl Iterator<Item = &str> {
        self.state.visitors().ids()
    }

    /// A visitor on the site as the account holds it: its effective group
    /// and where that comes from (R2), its tags, preferred agent and chat,
    /// and where its chat waits (R18). `None` for a visitor not on the
    /// site. Cost: O(1) expected, no allocation; O(log queue + chats ahead
    /// of it in its group) when its chat waits.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.select_group("v1", "de").unwrap();
    /// account.claim("anna", "v1").unwrap();
    /// let v = account.visitor("v1").unwrap();
    /// assert_eq!((v.page_tag().unwrap().as_str(), v.selection().unwrap().as_str()), ("en", "de"));
    /// assert_eq!((v.holder().unwrap().as_str(), v.queued()), ("anna", false));
    /// assert_eq!(v.version(), account.chat_version("v1").unwrap());
    /// ```
    pub fn visitor(&self, visitor: &str) -> Option<VisitorView<'_>> {
        let visitors = self.state.visitors();
        let slot = visitors.slot(visitor)?;
        let v = visitors.at(slot)?;
        Some(VisitorView {
            v,
            group: group::explain(&self.latest, v.tags).group,
            queue_position: visitors.queue_position(slot),
            group_queue_position: visitors.group_queue_position(slot),
        })
    }

    /// How many queued chats are ahead of the visitor's (R18): 0 for the
    /// next one served; `None` when its chat does not wait in the queue.
    /// Cost: O(log queue) — the queue places sit in chunks with a Fenwick tree
    /// of their sizes.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
    /// for v in ["v1", "v2"] {
    ///     account.visit(v, None).unwrap();
    ///     account.route(v).unwrap(); // broadcast: waits for a claim
    /// }
    /// assert_eq!((account.queue_position("v1"), account.queue_position("v2")), (Some(0), Some(1)));
    /// account.claim("anna", "v1").unwrap_err(); // anna is offline
    /// account.release("v1").unwrap();
    /// assert_eq!((account.queue_position("v1"), account.queue_position("v2")), (None, Some(0)));
    /// ```
    pub fn queue_position(&self, visitor: &str) -> Option<usize> {
        let visitors = self.state.visitors();
        visitors.queue_position(visitors.slot(visitor)?)
    }

    /// The visitors whose chats the agent holds (R12), in order of the
    /// visitors' arrival (R25: an order a saved and loaded account keeps);
    /// empty for an agent the latest revision lacks. Cost: O(chats held ·
    /// log).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// for v in ["v1", "v2"] {
    ///     account.visit(v, None).unwrap();
    /// }
    /// account.claim("anna", "v2").unwrap();
    /// account.claim("anna", "v1").unwrap();
    /// assert_eq!(account.chats_of("anna"), ["v1", "v2"]);
    /// ```
    pub fn chats_of(&self, agent: &str) -> Vec<&str> {
        let visitors = self.state.visitors();
        let mut held: Vec<u32> = self.state.agent(agent).map_or(&[][..], |a| a.held()).to_vec();
        held.sort_unstable_by_key(|s| visitors.arrival(*s));
        held.iter().filter_map(|s| visitors.name(*s)).collect()
    }

    /// Queued chats (R18): routed, held by nobody, oldest first.
    /// Cost: O(visitors + queue · log queue).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// account.route("v1").unwrap(); // broadcast: offered, waiting for a claim
    /// assert_eq!(account.queue(), ["v1"]);
    /// ```
    pub fn queue(&self) -> Vec<&str> {
        self.state.visitors().queue().map(|v| v.id).collect()
    }
}

/// A visitor on the site, read from the account ([`Account::visitor`]).
/// Serde: `{"visitor": "v1", "group": "en", "source": "page_tag",
/// "page_tag": "en", "selection": null, "moved_to": null, "preferred":
/// null, "holder": "anna", "queued": false, "queue_position": null,
/// "group_queue_position": null, "answered": false, "missed": [],
/// "answer_deadline": 30000, "version": 3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitorView<'a> {
    v: Visitor<'a>,
    group: Option<(&'a GroupId, GroupSource)>,
    queue_position: Option<usize>,
    group_queue_position: Option<usize>,
}

impl<'a> VisitorView<'a> {
    /// Its id.
    pub fn id(&self) -> &'a str {
        self.v.id
    }
    /// Its effective group (R2); `None` when ungrouped.
    pub fn group(&self) -> Option<&'a GroupId> {
        self.group.map(|(g, _)| g)
    }
    /// Which of its fields gave the effective group (R2).
    pub fn group_source(&self) -> Option<GroupSource> {
        self.group.map(|(_, s)| s)
    }
    /// How many queued chats are ahead of its chat in the whole queue
    /// ([`Account::queue_position`]); `None` when its chat does not wait.
    pub fn queue_position(&self) -> Option<usize> {
        self.queue_position
    }
    /// How many chats of its group wait ahead of its chat — the ones its
    /// group's agents take first (R18); `None` when it does not wait.
    pub fn group_queue_position(&self) -> Option<usize> {
        self.group_queue_position
    }
    /// The group code of the page it was last seen on with one.
    pub fn page_tag(&self) -> Option<&'a GroupId> {
        self.v.tags.page_tag
    }
    /// Its contact-form selection (R22).
    pub fn selection(&self) -> Option<&'a GroupId> {
        self.v.tags.selection
    }
    /// Where its chat was moved: a fallback, an overflow, a transfer (R2).
    pub fn moved_to(&self) -> Option<&'a GroupId> {
        self.v.tags.moved_to
    }
    /// Its last agent, when returning (R15).
    pub fn preferred(&self) -> Option<&'a AgentId> {
        self.v.preferred
    }
    /// The agent holding its chat.
    pub fn holder(&self) -> Option<&'a AgentId> {
        self.v.chat.and_then(|c| c.holder.as_ref())
    }
    /// Whether its chat waits in the queue (R18).
    pub fn queued(&self) -> bool {
        self.v.chat.is_some_and(|c| c.queued.is_some())
    }
    /// Whether it has an open chat, held or queued.
    pub fn has_chat(&self) -> bool {
        self.v.chat.is_some()
    }
    /// Whether the holder answered its chat (R27); false when nobody holds
    /// it.
    pub fn answered(&self) -> bool {
        self.v.chat.is_some_and(|c| c.answered)
    }
    /// The agents who missed or declined its chat since it was last
    /// answered, in the order they did (R27); they are left out of its
    /// routing.
    pub fn missed(&self) -> &'a [AgentId] {
        self.v.chat.map_or(&[], |c| c.missed.as_slice())
    }
    /// Its chat state's version (R13).
    pub fn version(&self) -> u64 {
        self.v.version
    }
    /// When its holder must answer its chat or miss it (R27): while the
    /// chat is held and unanswered and an answer timeout applied when it
    /// came to be held; `None` otherwise.
    pub fn answer_deadline(&self) -> Option<u64> {
        self.v.chat.filter(|c| c.holder.is_some() && !c.answered).and_then(|c| c.answer_by)
    }
}

/// Agents and pages as a UI shows them: one agent's view, all of them, and
/// every page's availability at once.
impl Account {
    /// The agent as it is now: status, whether enabled (R8), load and own
    /// limit (R12), the revision its dashboard shows and whether that is
    /// stale (R9); `None` for an unknown agent.
    ///
    /// Cost: O(1) expected; O(groups) more when its dashboard shows an
    /// older revision (the stale check).
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en").chat_limit(3)).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// let anna = account.agent("anna").unwrap();
    /// assert_eq!((anna.status(), anna.load(), anna.limit(), anna.stale()), (Status::Online, 0, Some(3), false));
    /// account.apply(&Change::Unassign { agent: "anna".parse().unwrap(), group: "en".parse().unwrap() }).unwrap();
    /// let anna = account.agent("anna").unwrap();
    /// assert_eq!((anna.loaded_revision(), anna.stale()), (1, true)); // she sees "de" visitors now (R5)
    /// assert_eq!(account.needs_refresh(), ["anna"]);
    /// assert!(account.agent("ghost").is_none());
    /// ```
    pub fn agent(&self, agent: &str) -> Option<AgentView<'_>> {
        let ix = self.latest.agent_ix(agent)?;
        self.agent_view(ix, None)
    }

    /// Every agent of the latest revision, in configuration order, as
    /// [`agent`](Self::agent) gives each.
    ///
    /// Cost: O(agents + revisions shown · groups).
    ///
    /// ```
    /// use groupgate::*;
    /// let account = Account::new(ConfigBuilder::new()
    ///     .agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap(), 0);
    /// let ids: Vec<&str> = account.agents().iter().map(|a| a.id().as_str()).collect();
    /// assert_eq!(ids, ["anna", "bob"]);
    /// ```
    pub fn agents(&self) -> Vec<AgentView<'_>> {
        let diffs: Vec<(u64, refresh::Diff<'_>)> =
            self.loaded.iter().map(|(rev, snap)| (*rev, refresh::Diff::new(snap, &self.latest))).collect();
        (0..self.latest.agents().len()).filter_map(|ix| self.agent_view(ix, Some(&diffs))).collect()
    }

    /// The agent at `ix` of the latest revision; `diffs` the revisions
    /// shown against the latest, when already made.
    fn agent_view(&self, ix: usize, diffs: Option<&[(u64, refresh::Diff<'_>)]>) -> Option<AgentView<'_>> {
        let (id, compiled) = self.latest.agent(ix)?;
        let live = self.state.agent_at(ix)?;
        let loaded = live.loaded();
        let stale = loaded != self.latest.revision()
            && match diffs {
                Some(diffs) => diffs.iter().find(|(rev, _)| *rev == loaded).is_some_and(|(_, d)| d.stale(id.as_str())),
                None => self
                    .loaded
                    .get(&loaded)
                    .is_some_and(|snap| refresh::Diff::new(snap, &self.latest).stale(id.as_str())),
            };
        Some(AgentView {
            id,
            status: live.status(),
            enabled: compiled.enabled(),
            load: live.load(),
            limit: compiled.chat_limit,
            loaded_revision: loaded,
            stale,
        })
    }

    /// Every group's business hours (R30) at the account's clock, in
    /// configuration order, as [`group_hours`](Self::group_hours) gives
    /// each.
    ///
    /// Cost: O(groups).
    ///
    /// ```
    /// use groupgate::*;
    /// let account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de")).build().unwrap(), 0);
    /// let all: Vec<(&str, bool)> = account.hours().iter().map(|h| (h.group().as_str(), h.hours().open())).collect();
    /// assert_eq!(all, [("en", true), ("de", true)]); // no schedule: always open
    /// ```
    pub fn hours(&self) -> Vec<GroupHoursOf<'_>> {
        self.latest
            .config()
            .groups()
            .iter()
            .filter_map(|g| Some(GroupHoursOf { group: g.id(), hours: self.group_hours(g.id().as_str())? }))
            .collect()
    }

    /// Every page's chat-box availability (R10) as the account keeps it:
    /// each group's page in configuration order, then the page without a
    /// group code (`page_group` `None`). Under a plan without groups (R1),
    /// the one page without a code.
    ///
    /// Cost: O(groups), no decision made again.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// let pages: Vec<(Option<&str>, bool)> =
    ///     account.availability().iter().map(|p| (p.page_group().map(|g| g.as_str()), p.online())).collect();
    /// // anna takes "en" chats, and ungrouped ones (R6's default), not "de" ones.
    /// assert_eq!(pages, [(Some("en"), true), (Some("de"), false), (None, true)]);
    /// ```
    pub fn availability(&self) -> Vec<PageAvailability<'_>> {
        self.available.pages(&self.latest).map(|(page_group, online)| PageAvailability { page_group, online }).collect()
    }
}

/// An agent as it is now, read from the account ([`Account::agent`],
/// [`Account::agents`]). Serde: `{"agent": "anna", "status": "online",
/// "enabled": true, "load": 1, "limit": 4, "loaded_revision": 2, "stale":
/// false}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentView<'a> {
    pub(crate) id: &'a AgentId,
    pub(crate) status: Status,
    pub(crate) enabled: bool,
    pub(crate) load: u32,
    pub(crate) limit: Option<u32>,
    pub(crate) loaded_revision: u64,
    pub(crate) stale: bool,
}

impl<'a> AgentView<'a> {
    /// Its id.
    pub fn id(&self) -> &'a AgentId {
        self.id
    }
    /// Its presence.
    pub fn status(&self) -> Status {
        self.status
    }
    /// Whether it is enabled (R8).
    pub fn enabled(&self) -> bool {
        self.enabled
    }
    /// Chats it holds (R12).
    pub fn load(&self) -> u32 {
        self.load
    }
    /// Its own chat limit, or the account's default (R12); a group's limit
    /// may be lower for chats there.
    pub fn limit(&self) -> Option<u32> {
        self.limit
    }
    /// The revision its dashboard shows (R9).
    pub fn loaded_revision(&self) -> u64 {
        self.loaded_revision
    }
    /// Whether its dashboard shows another set of visitors than the latest
    /// revision would (R9): it should refresh.
    pub fn stale(&self) -> bool {
        self.stale
    }
}

/// One group's business hours ([`Account::hours`]). Serde: `{"group":
/// "cz", "open": false, "next_change": 1764576000000}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupHoursOf<'a> {
    pub(crate) group: &'a GroupId,
    pub(crate) hours: GroupHours,
}

impl<'a> GroupHoursOf<'a> {
    /// The group.
    pub fn group(&self) -> &'a GroupId {
        self.group
    }
    /// Its hours now.
    pub fn hours(&self) -> GroupHours {
        self.hours
    }
}

/// One page's chat-box availability ([`Account::availability`]). Serde:
/// `{"group": "en", "online": true}` (`group` null for pages without a
/// code), as an `availability_changed` notice's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageAvailability<'a> {
    pub(crate) page_group: Option<&'a GroupId>,
    pub(crate) online: bool,
}

impl<'a> PageAvailability<'a> {
    /// The page's group code; `None` for pages without one.
    pub fn page_group(&self) -> Option<&'a GroupId> {
        self.page_group
    }
    /// Whether the chat box is online there.
    pub fn online(&self) -> bool {
        self.online
    }
}
