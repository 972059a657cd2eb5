//! Agents' live part — status, loaded dashboard revision, held chats,
//! last assignment, offline wait — and the state's methods that change it,
//! keeping the online set and the candidate pools in step.

use smallvec::SmallVec;

use super::{Deadline, State, Status, Unheld, deadline_at, limits_of};
use crate::ids::{AgentId, VisitorId};
use crate::snapshot::{AgentIx, BitSet, ChangeImpact, Snapshot};

/// The live part of an agent. Only [`State`] changes it (its fields are
/// the state module's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentLive {
    pub(super) status: Status,
    /// The revision the agent's dashboard last loaded (R9).
    pub(super) loaded: u64,
    /// Slots of the visitors whose chat the agent holds, in the order it
    /// came to hold them: an index of the visitors' chats, kept by `State`
    /// alone.
    pub(super) held: SmallVec<[u32; 4]>,
    /// The clock of the agent's last assignment (R16).
    pub(super) last_assigned: Option<u64>,
    /// While it waits offline with a deadline to take its chats (R28): that
    /// deadline's sequence number. Any status change ends the wait.
    pub(super) offline_wait: Option<u64>,
}

impl AgentLive {
    pub(super) fn new(loaded: u64) -> Self {
        AgentLive { status: Status::Offline, loaded, held: SmallVec::new(), last_assigned: None, offline_wait: None }
    }

    /// Chats held now (R12). Saturates: a `u32` of chats cannot be exceeded in memory.
    pub(crate) fn load(&self) -> u32 {
        u32::try_from(self.held.len()).unwrap_or(u32::MAX)
    }

    pub(crate) fn status(&self) -> Status {
        self.status
    }

    /// The revision its dashboard shows (R9).
    pub(crate) fn loaded(&self) -> u64 {
        self.loaded
    }

    /// Whether it waits offline with a deadline to lose its chats (R28).
    pub(crate) fn waits_offline(&self) -> bool {
        self.offline_wait.is_some()
    }

    /// When it was last assigned a chat (R16).
    pub(crate) fn last_assigned(&self) -> Option<u64> {
        self.last_assigned
    }

    /// The slots of the visitors whose chats it holds, in the order it came
    /// to hold them.
    pub(crate) fn held(&self) -> &[u32] {
        &self.held
    }
}

impl State {
    pub(crate) fn agent(&self, id: &str) -> Option<&AgentLive> {
        self.agents.get(id)
    }

    /// The live part of the agent at `ix` of the snapshot the state is in step with. O(1).
    pub(crate) fn agent_at(&self, ix: AgentIx) -> Option<&AgentLive> {
        self.agents.get_index(ix).map(|(_, a)| a)
    }

    /// Agents in the order of the snapshot the state is in step with.
    pub(crate) fn agents(&self) -> impl Iterator<Item = (&AgentId, &AgentLive)> {
        self.agents.iter()
    }

    /// Sets an agent's status, keeping the online index in step. A change
    /// of status ends a wait offline (R28); a change to `offline` starts
    /// one of `wait` when given. O(log deadlines).
    pub(crate) fn set_status(&mut self, ix: AgentIx, status: Status, wait: Option<u64>) {
        let now = self.clock;
        if let Some((id, a)) = self.agents.get_index_mut(ix) {
            if a.status != status {
                a.offline_wait = None;
                if let (Status::Offline, Some(at)) = (status, wait.and_then(|w| deadline_at(now, w))) {
                    a.offline_wait = Some(self.deadlines.set(at, Deadline::Offline { agent: id.clone() }));
                }
            }
            a.status = status;
        }
        if status == Status::Online {
            self.online.insert(ix);
        } else {
            self.online.remove(ix);
        }
        self.repool(ix);
    }

    /// Whether the agent at `ix` is online. O(1).
    #[inline]
    pub(crate) fn is_online(&self, ix: AgentIx) -> bool {
        self.online.contains(ix)
    }

    /// The agent's dashboard now shows `revision` (R9); returns the revision
    /// it showed before. O(log revisions shown).
    pub(crate) fn set_loaded(&mut self, ix: AgentIx, revision: u64) -> Option<u64> {
        let (_, a) = self.agents.get_index_mut(ix)?;
        let before = std::mem::replace(&mut a.loaded, revision);
        if let Some(n) = self.shown.get_mut(&before) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.shown.remove(&before);
            }
        }
        *self.shown.entry(revision).or_insert(0) += 1;
        Some(before)
    }

    /// Whether some agent's dashboard shows `revision`. O(log revisions shown).
    pub(crate) fn shows_revision(&self, revision: u64) -> bool {
        self.shown.contains_key(&revision)
    }

    /// Replaces every agent's last assignment (R16): `stamp` gives it by id.
    /// O(agents · log agents).
    pub(crate) fn set_assignments(&mut self, stamp: impl Fn(&str) -> Option<u64>) {
        for (ix, (id, live)) in self.agents.iter_mut().enumerate() {
            live.last_assigned = stamp(id.as_str());
            if self.pools.update(ix, live, &self.limits.distinct) {
                self.log.flipped.agent(ix);
            }
        }
    }

    /// Brings the agents in step with the snapshot `latest` after a change
    /// from `previous` — and the groups' business hours (R30), evaluated
    /// again only for schedules the change brought in or rewrote: new
    /// agents load `latest`, removed agents go, and the
    /// chats of removed or newly disabled agents go back to the queue (R14),
    /// together; the routing indexes follow `latest`. Returns those chats in
    /// visitor arrival order. O(agents) when agents were added or removed;
    /// otherwise O(agents / 64 + the agents the change recompiled and their
    /// groups' members); plus O(log queue) per chat re-queued.
    pub(crate) fn sync_agents(
        &mut self,
        previous: &Snapshot,
        latest: &Snapshot,
        impact: &ChangeImpact,
        offers: impl Fn(&State, u32) -> Vec<AgentIx>,
    ) -> Vec<VisitorId> {
        let was_enabled = |id: &AgentId| {
            previous.agent_ix(id.as_str()).and_then(|a| previous.agent(a)).is_some_and(|(_, a)| a.enabled())
        };
        self.limits = limits_of(latest);
        self.sync_hours(latest);
        self.visitors.set_overflow(latest.overflow_waits());
        let mut lost: Vec<(u32, AgentId, Unheld)> = Vec::new();
        let taken = |id: &AgentId, live: &mut AgentLive, why: Unheld| {
            live.held.drain(..).map(|slot| (slot, id.clone(), why)).collect::<Vec<_>>()
        };
        if impact.agents_same {
            let changed = &impact.agents_changed;
            for &ix in changed {
                let (Some((_, before)), Some((_, after))) = (previous.agent(ix), latest.agent(ix)) else { continue };
                if before.enabled() && !after.enabled() {
                    if let Some((id, live)) = self.agents.get_index_mut(ix) {
                        lost.extend(taken(id, live, Unheld::Disabled));
                    }
                }
            }
            if impact.groups_same && impact.routing_same {
                for &ix in changed {
                    let agents = &self.agents;
                    self.pools.replace_agent(latest, ix, |a| agents.get_index(a).map(|(_, l)| l));
                }
            } else {
                self.reindex_pools(latest);
            }
        } else {
            let mut old = std::mem::take(&mut self.agents);
            for (_, id, compiled) in latest.agents() {
                let mut live = old.swap_remove(id).unwrap_or_else(|| AgentLive::new(latest.revision()));
                if !compiled.enabled() && was_enabled(id) {
                    lost.extend(taken(id, &mut live, Unheld::Disabled));
                }
                self.agents.insert(id.clone(), live);
            }
            let removed: Vec<AgentId> = old.keys().cloned().collect();
            for (id, mut live) in old {
                lost.extend(taken(&id, &mut live, Unheld::Removed));
            }
            self.forget_missed(&removed);
            self.reindex_online();
            self.recount_shown();
            self.reindex_pools(latest);
        }
        self.requeue(lost, offers)
    }

    /// Every chat the agent at `ax` holds goes back to the queue (R28), at
    /// the back in visitor arrival order, each offered to what `offers`
    /// gives; returns their ids. O(n log n + n · log queue).
    pub(crate) fn requeue_chats_of(
        &mut self,
        ax: AgentIx,
        why: Unheld,
        offers: impl Fn(&State, u32) -> Vec<AgentIx>,
    ) -> Vec<VisitorId> {
        let Some((id, live)) = self.agents.get_index_mut(ax) else { return Vec::new() };
        let lost = live.held.drain(..).map(|slot| (slot, id.clone(), why)).collect();
        self.repool(ax);
        self.requeue(lost, offers)
    }

    /// Takes removed agents off every missed list (R27). O(visitors).
    fn forget_missed(&mut self, removed: &[AgentId]) {
        if removed.is_empty() {
            return;
        }
        let slots: Vec<u32> = self
            .visitors
            .matching(|v| v.chat.is_some_and(|c| c.missed.iter().any(|a| removed.contains(a))))
            .iter()
            .filter_map(|v| self.visitors.slot(v.id))
            .collect();
        for slot in slots {
            if let Some(chat) = self.visitors.chat_mut(slot) {
                chat.missed.retain(|a| !removed.contains(a));
            }
        }
    }

    /// Rebuilds the online index after agents were added or removed. O(agents).
    fn reindex_online(&mut self) {
        self.online = BitSet::default();
        for (ix, (_, a)) in self.agents.iter().enumerate() {
            if a.status == Status::Online {
                self.online.insert(ix);
            }
        }
    }
}
