//! The next deadline of many accounts, for a host that holds them in one
//! process and wants one timer: it tells the index each account's
//! [`next_deadline`](crate::Account::next_deadline) after every call that
//! can change it, sleeps until [`NextDeadlines::first`], and advances the
//! accounts [`NextDeadlines::due`] gives. Nothing here knows accounts: a key
//! is whatever the host names an account by.

use std::collections::{BTreeMap, BTreeSet};

/// The next deadline of each of many keys (accounts), and which comes first.
/// Keys are ordered, so that accounts due at the same instant come in key
/// order (R25: no hash order reaches an output). Cost of each method stated;
/// n is the number of keys with a deadline.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, NextDeadlines, Policy, Status};
/// let mut policy = Policy::default();
/// policy.offline_requeue_after = Some(60_000);
/// let config = ConfigBuilder::new().policy(policy).agent(AgentSpec::new("anna")).build().unwrap();
/// let mut accounts = vec![Account::new(config.clone(), 1_000), Account::new(config, 1_000)];
/// let mut timers = NextDeadlines::new();
/// accounts[1].set_status("anna", Status::Online).unwrap();
/// accounts[1].set_status("anna", Status::Offline).unwrap(); // her chats wait 60 s
/// for (n, account) in accounts.iter().enumerate() {
///     timers.set(n, account.next_deadline());
/// }
/// assert_eq!(timers.first(), Some((61_000, &1)));
/// // The host's timer fires at 61,000: advance what is due, and note again.
/// for n in timers.due(61_000) {
///     accounts[n].advance_to(61_000).unwrap();
///     timers.set(n, accounts[n].next_deadline());
/// }
/// assert_eq!(timers.first(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextDeadlines<K> {
    by_time: BTreeSet<(u64, K)>,
    of: BTreeMap<K, u64>,
}

impl<K: Ord + Clone> Default for NextDeadlines<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Ord + Clone> NextDeadlines<K> {
    /// No deadlines. O(1).
    pub fn new() -> Self {
        NextDeadlines { by_time: BTreeSet::new(), of: BTreeMap::new() }
    }

    /// Sets `key`'s next deadline — `None` when it has none (an account
    /// with nothing pending, or one the host unloaded). O(log n).
    ///
    /// ```
    /// use groupgate::NextDeadlines;
    /// let mut timers = NextDeadlines::new();
    /// timers.set("acme", Some(5_000));
    /// timers.set("acme", Some(9_000)); // replaces, never adds
    /// timers.set("globex", Some(7_000));
    /// assert_eq!(timers.first(), Some((7_000, &"globex")));
    /// timers.set("globex", None);
    /// assert_eq!(timers.first(), Some((9_000, &"acme")));
    /// assert_eq!(timers.len(), 1);
    /// ```
    pub fn set(&mut self, key: K, next: Option<u64>) {
        if let Some(old) = self.of.remove(&key) {
            self.by_time.remove(&(old, key.clone()));
        }
        if let Some(at) = next {
            self.by_time.insert((at, key.clone()));
            self.of.insert(key, at);
        }
    }

    /// `key`'s next deadline as last set. O(log n).
    pub fn get(&self, key: &K) -> Option<u64> {
        self.of.get(key).copied()
    }

    /// The earliest deadline and its key (the least key among those due
    /// then): when the host's one timer should fire. O(log n).
    pub fn first(&self) -> Option<(u64, &K)> {
        self.by_time.first().map(|(at, key)| (*at, key))
    }

    /// Takes out every key whose deadline is at or before `now`, earliest
    /// first (ties in key order): the accounts to advance. Each is gone
    /// until the host sets its next deadline again. O(k log n) for k keys
    /// due.
    ///
    /// ```
    /// use groupgate::NextDeadlines;
    /// let mut timers = NextDeadlines::new();
    /// timers.set(3, Some(20));
    /// timers.set(1, Some(20));
    /// timers.set(2, Some(10));
    /// timers.set(4, Some(30));
    /// assert_eq!(timers.due(20), [2, 1, 3]);
    /// assert_eq!(timers.first(), Some((30, &4)));
    /// assert!(timers.due(29).is_empty());
    /// ```
    pub fn due(&mut self, now: u64) -> Vec<K> {
        let mut out = Vec::new();
        while let Some((at, _)) = self.by_time.first() {
            if *at > now {
                break;
            }
            if let Some((_, key)) = self.by_time.pop_first() {
                self.of.remove(&key);
                out.push(key);
            }
        }
        out
    }

    /// Keys with a deadline. O(1).
    pub fn len(&self) -> usize {
        self.of.len()
    }

    /// Whether no key has a deadline. O(1).
    pub fn is_empty(&self) -> bool {
        self.of.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a plain map of key → deadline, searched whole for the
    /// earliest: random sets, clears and takes.
    #[test]
    fn matches_a_map_searched_whole() {
        let mut timers: NextDeadlines<u32> = NextDeadlines::new();
        let mut model: BTreeMap<u32, u64> = BTreeMap::new();
        let mut x: u64 = 9;
        let mut next = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            x >> 33
        };
        for step in 0..20_000 {
            let key = u32::try_from(next() % 50).unwrap_or(0);
            match next() % 4 {
                0 => {
                    timers.set(key, None);
                    model.remove(&key);
                }
                1 => {
                    let now = next() % 1_000;
                    let mut want: Vec<(u64, u32)> =
                        model.iter().filter(|(_, at)| **at <= now).map(|(k, at)| (*at, *k)).collect();
                    want.sort_unstable();
                    let want: Vec<u32> = want.into_iter().map(|(_, k)| k).collect();
                    model.retain(|_, at| *at > now);
                    assert_eq!(timers.due(now), want, "step {step}");
                }
                _ => {
                    let at = next() % 1_000;
                    timers.set(key, Some(at));
                    model.insert(key, at);
                }
            }
            let first = model.iter().map(|(k, at)| (*at, *k)).min();
            assert_eq!(timers.first().map(|(at, k)| (at, *k)), first, "step {step}");
            assert_eq!(timers.len(), model.len());
            assert_eq!(timers.get(&key), model.get(&key).copied());
        }
    }
}
