//! Business hours as the state keeps them (R30): for each schedule a working
//! group follows, whether it is open at the clock and when it next changes;
//! for each group, whether it is closed now — the one bit routing reads, so
//! deciding never converts a time.
//!
//! A schedule's entry is computed when a configuration brings it in (its
//! open state at the clock, its next change looked for up to twice the
//! horizon ahead), and again only when the clock reaches its change, or
//! when the clock comes within a horizon of the end of what was looked at
//! (a schedule that does not change for over a year). So between changes a
//! group's state costs nothing, and the next change (R26) is the least of a
//! set.

use std::collections::BTreeSet;

use super::State;
use crate::config::{HORIZON, Schedule};
use crate::snapshot::{BitSet, GroupIx, Snapshot};

/// One schedule that a working group follows.
#[derive(Debug, Clone)]
struct Followed {
    schedule: Schedule,
    /// Open at the clock.
    open: bool,
    /// Its first change after the clock, when there is one up to `looked`.
    next: Option<u64>,
    /// The end of what was looked at: no change in (clock, `looked`] but
    /// `next`.
    looked: u64,
}

impl Followed {
    /// The schedule as it stands at `at`, looked at two horizons ahead.
    fn at(schedule: Schedule, at: u64) -> Self {
        let looked = at.saturating_add(2 * HORIZON);
        let hours = schedule.hours();
        Followed { open: hours.is_open_at(at), next: hours.next_change_between(at, looked), looked, schedule }
    }
}

/// The schedules working groups follow, and each group's closed flag.
#[derive(Debug, Clone, Default)]
pub(super) struct Opening {
    /// In order of first use by the groups.
    followed: Vec<Followed>,
    /// By group index: the group's entry in `followed`.
    of_group: Vec<Option<usize>>,
    /// The groups closed now.
    closed: BitSet,
    /// (next change, entry) of every entry with a known next change.
    changes: BTreeSet<(u64, usize)>,
    /// The least `looked` of the entries without a known change (`u64::MAX`
    /// for none): while the clock plus a horizon stays at or below it,
    /// nothing needs looking at again.
    quiet_until: u64,
}

impl Opening {
    /// Brings the entries in step with `snap` at clock `now`: schedules
    /// kept (the same, or written alike) keep their entries; new ones are
    /// computed. Returns whether some group's closed flag changed. O(groups)
    /// when nothing changed; plus a computation per new schedule.
    fn sync(&mut self, snap: &Snapshot, now: u64) -> bool {
        let unchanged = snap.group_schedules().count() == self.of_group.len()
            && snap.group_schedules().zip(&self.of_group).all(|(want, have)| {
                match (want, have.and_then(|f| self.followed.get(f))) {
                    (None, None) => true,
                    (Some(w), Some(h)) => w.same(&h.schedule),
                    _ => false,
                }
            });
        if unchanged {
            return false;
        }
        let mut old = std::mem::take(&mut self.followed);
        let mut followed: Vec<Followed> = Vec::new();
        let mut of_group = Vec::new();
        for want in snap.group_schedules() {
            let Some(schedule) = want else {
                of_group.push(None);
                continue;
            };
            let at = match followed.iter().position(|f| f.schedule.id() == schedule.id()) {
                Some(at) => at,
                None => {
                    let entry = match old.iter().position(|f| f.schedule == *schedule) {
                        Some(i) => Followed { schedule: schedule.clone(), ..old.swap_remove(i) },
                        None => Followed::at(schedule.clone(), now),
                    };
                    followed.push(entry);
                    followed.len() - 1
                }
            };
            of_group.push(Some(at));
        }
        self.followed = followed;
        self.of_group = of_group;
        self.reindex()
    }

    /// Rebuilds the set of changes, the quiet instant and the closed flags
    /// from the entries; returns whether a closed flag changed. O(groups +
    /// schedules · log).
    fn reindex(&mut self) -> bool {
        self.changes = self.followed.iter().enumerate().filter_map(|(i, f)| Some((f.next?, i))).collect();
        self.quiet_until =
            self.followed.iter().filter(|f| f.next.is_none()).map(|f| f.looked).min().unwrap_or(u64::MAX);
        let mut closed = BitSet::default();
        for (g, f) in self.of_group.iter().enumerate() {
            if f.and_then(|f| self.followed.get(f)).is_some_and(|f| !f.open) {
                closed.insert(g);
            }
        }
        let flipped = closed != self.closed;
        self.closed = closed;
        flipped
    }

    /// Looks further ahead for schedules without a known change, so that
    /// none is missed up to `to` plus a horizon (R26, R30). O(1) while
    /// nothing needs it.
    fn look_ahead(&mut self, to: u64) {
        let want = to.saturating_add(HORIZON);
        if self.quiet_until >= want {
            return;
        }
        for f in self.followed.iter_mut().filter(|f| f.next.is_none() && f.looked < want) {
            let looked = to.saturating_add(2 * HORIZON);
            f.next = f.schedule.hours().next_change_between(f.looked, looked);
            f.looked = looked;
        }
        self.reindex();
    }

    /// Every schedule whose change is at `at` changes (the clock being
    /// `at`); returns whether a group's closed flag changed. O(the
    /// schedules changing · a look ahead + groups).
    fn cross(&mut self, at: u64) -> bool {
        while let Some(&(when, i)) = self.changes.first() {
            if when > at {
                break;
            }
            self.changes.pop_first();
            if let Some(f) = self.followed.get_mut(i) {
                *f = Followed::at(f.schedule.clone(), at);
            }
        }
        self.reindex()
    }
}

impl State {
    /// Whether the group at `g` is closed now (R30). O(1).
    #[inline]
    pub(crate) fn is_closed(&self, g: GroupIx) -> bool {
        self.opening.closed.contains(g)
    }

    /// The groups closed now (R30), by index. O(1).
    pub(crate) fn closed_groups(&self) -> &BitSet {
        &self.opening.closed
    }

    /// Whether the group at `g` is open now, and its next change within a
    /// horizon after the clock (R30). O(1).
    pub(crate) fn hours_of(&self, g: GroupIx) -> (bool, Option<u64>) {
        match self.opening.of_group.get(g).copied().flatten().and_then(|f| self.opening.followed.get(f)) {
            None => (true, None),
            Some(f) => (f.open, f.next.filter(|n| *n <= self.clock.saturating_add(HORIZON))),
        }
    }

    /// Brings business hours in step with `snap` at the clock; a group
    /// opening or closing is noted for availability (R31). O(groups) when
    /// nothing changed.
    pub(super) fn sync_hours(&mut self, snap: &Snapshot) {
        if self.opening.sync(snap, self.clock) {
            self.log.flipped.all();
        }
    }

    /// The next change of a group's state that is a deadline now (R26,
    /// R30): within a horizon of the clock. O(log schedules).
    pub(super) fn next_boundary(&self) -> Option<u64> {
        self.opening.changes.first().map(|(at, _)| *at).filter(|at| *at <= self.clock.saturating_add(HORIZON))
    }

    /// The next change of a group's state, however far. O(log schedules).
    pub(super) fn opening_change(&self) -> Option<u64> {
        self.opening.changes.first().map(|(at, _)| *at)
    }

    /// Makes sure every change up to `to` is known. O(1) mostly.
    pub(super) fn look_ahead(&mut self, to: u64) {
        self.opening.look_ahead(to);
    }

    /// The groups' states change at `at`, the clock being there (R30):
    /// every boundary at that instant at once. O(the schedules changing ·
    /// a look ahead + groups).
    pub(crate) fn cross_boundaries(&mut self, at: u64) {
        if self.opening.cross(at) {
            self.log.flipped.all();
        }
    }
}
