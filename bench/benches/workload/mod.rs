//! Seeded benchmark workloads ("large" and "small" accounts) and the two
//! baselines a backend developer would write instead: a string-keyed model
//! and an in-memory SQLite database.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};

use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Policy, Routing, ScheduleSpec, Status};

/// The CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`: other
/// processes' time left out, page faults counted), for timing single
/// events; zero if the clock cannot be read.
#[allow(unsafe_code)] // reading the clock is a libc call
pub fn thread_cpu() -> std::time::Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec; the call only writes it.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    if !ok {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(u64::try_from(t.tv_sec).unwrap_or(0), u32::try_from(t.tv_nsec).unwrap_or(0))
}

/// splitmix64: a tiny seeded generator, so every run uses the same data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The shape of a workload, and the plain data every implementation loads.
pub struct Workload {
    pub groups: Vec<String>,
    /// (id, groups, online)
    pub agents: Vec<(String, Vec<String>, bool)>,
    /// (id, group)
    pub visitors: Vec<(String, Option<String>)>,
    /// (agent, visitor index) pairs: chats held.
    pub chats: Vec<(String, usize)>,
    pub limit: u32,
}

impl Workload {
    /// 2,000 agents, 200 groups, each agent in 1–3 groups (5 % in none), 20 %
    /// online with 0–3 chats and a limit of 4; 100,000 visitors, 90 % tagged.
    pub fn large() -> Self {
        Self::generate(2_000, 200, 100_000, 42)
    }

    /// 5 agents, 2 groups, 50 visitors.
    pub fn small() -> Self {
        Self::generate(5, 2, 50, 7)
    }

    pub fn generate(agents: usize, groups: usize, visitors: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let group_ids: Vec<String> = (0..groups).map(|g| format!("group-{g}")).collect();
        let mut agent_rows = Vec::with_capacity(agents);
        for a in 0..agents {
            let mut member = Vec::new();
            if !rng.chance(5) {
                let n = 1 + rng.below(3.min(groups));
                while member.len() < n {
                    let g = group_ids[rng.below(groups)].clone();
                    if !member.contains(&g) {
                        member.push(g);
                    }
                }
            }
            agent_rows.push((format!("agent-{a}"), member, rng.chance(20)));
        }
        let visitor_rows: Vec<(String, Option<String>)> = (0..visitors)
            .map(|v| {
                let tag = (!rng.chance(10)).then(|| group_ids[rng.below(groups)].clone());
                (format!("visitor-{v}"), tag)
            })
            .collect();
        let mut chats = Vec::new();
        let mut taken = HashSet::new();
        for (id, member, online) in &agent_rows {
            if !online || member.is_empty() || visitors == 0 {
                continue;
            }
            let want = rng.below(4);
            let mut tries = 0;
            while chats.iter().filter(|(a, _)| a == id).count() < want && tries < 10_000 {
                tries += 1;
                let v = rng.below(visitors);
                let seen = visitor_rows[v].1.as_ref().is_none_or(|g| member.contains(g));
                if seen && taken.insert(v) {
                    chats.push((id.clone(), v));
                }
            }
        }
        Workload { groups: group_ids, agents: agent_rows, visitors: visitor_rows, chats, limit: 4 }
    }

    pub fn builder(&self, routing: Routing) -> ConfigBuilder {
        let mut policy = Policy::default();
        policy.routing = routing;
        policy.default_chat_limit = Some(self.limit);
        let mut b = ConfigBuilder::new().policy(policy);
        for g in &self.groups {
            b = b.group(GroupSpec::new(g.clone()));
        }
        for (id, groups, _) in &self.agents {
            let mut a = AgentSpec::new(id.clone());
            for g in groups {
                a = a.member(g.clone());
            }
            b = b.agent(a);
        }
        b
    }

    /// [`Self::builder`] with business hours (R30): every group follows a
    /// schedule of its own, Monday to Friday all day in one of a few zones,
    /// so that every group is open on a Wednesday at noon UTC.
    pub fn builder_with_schedules(&self, routing: Routing) -> ConfigBuilder {
        const ZONES: [&str; 5] = ["Europe/Prague", "Europe/London", "America/New_York", "Asia/Manila", "UTC"];
        let mut b = self.builder(routing);
        for (i, g) in b.groups.iter_mut().enumerate() {
            g.schedule = Some(format!("hours-{i}"));
        }
        for i in 0..self.groups.len() {
            let mut spec = ScheduleSpec::new(format!("hours-{i}"), ZONES[i % ZONES.len()]);
            for day in ["mon", "tue", "wed", "thu", "fri"] {
                spec = spec.day(day, &[("00:00", "24:00")]);
            }
            b = b.schedule(spec);
        }
        b
    }

    /// The workload loaded into a groupgate account.
    pub fn account(&self, routing: Routing) -> Account {
        self.load(self.builder(routing), 0)
    }

    /// The workload loaded into an account of the configuration `raw`
    /// whose clock starts at `start`.
    pub fn load(&self, raw: ConfigBuilder, start: u64) -> Account {
        let mut account = Account::new(raw.build().unwrap(), start);
        for (id, _, online) in &self.agents {
            if *online {
                account.set_status(id, Status::Online).unwrap();
            }
        }
        for (id, tag) in &self.visitors {
            account.visit(id, tag.as_deref()).unwrap();
        }
        for (agent, v) in &self.chats {
            account.claim(agent, &self.visitors[*v].0).unwrap();
        }
        account
    }

    /// An online agent with groups and room for a chat, and a grouped
    /// visitor without a chat that it sees.
    pub fn probe(&self) -> (String, String) {
        let load = |a: &str| self.chats.iter().filter(|(x, _)| x == a).count();
        let (agent, groups, _) =
            self.agents.iter().find(|(id, g, online)| !g.is_empty() && *online && load(id) < 3).unwrap();
        let chatting: HashSet<usize> = self.chats.iter().map(|(_, v)| *v).collect();
        let visitor = (0..self.visitors.len())
            .find(|v| !chatting.contains(v) && self.visitors[*v].1.as_ref().is_some_and(|t| groups.contains(t)))
            .unwrap();
        (agent.clone(), self.visitors[visitor].0.clone())
    }
}

/// What a backend developer writes by hand: strings everywhere.
pub struct Naive {
    pub agents: Vec<NaiveAgent>,
    pub by_id: HashMap<String, usize>,
    pub visitors: Vec<NaiveVisitor>,
    pub visitor_index: HashMap<String, usize>,
}

pub struct NaiveAgent {
    pub id: String,
    pub groups: HashSet<String>,
    pub online: bool,
    pub chats: u32,
    pub limit: u32,
    pub last_assigned: Option<u64>,
}

pub struct NaiveVisitor {
    pub id: String,
    pub group: Option<String>,
}

impl Naive {
    pub fn new(w: &Workload) -> Self {
        let mut agents: Vec<NaiveAgent> = w
            .agents
            .iter()
            .map(|(id, groups, online)| NaiveAgent {
                id: id.clone(),
                groups: groups.iter().cloned().collect(),
                online: *online,
                chats: 0,
                limit: w.limit,
                last_assigned: None,
            })
            .collect();
        let by_id: HashMap<String, usize> = agents.iter().enumerate().map(|(i, a)| (a.id.clone(), i)).collect();
        for (agent, _) in &w.chats {
            agents[by_id[agent]].chats += 1;
        }
        let visitors: Vec<NaiveVisitor> =
            w.visitors.iter().map(|(id, g)| NaiveVisitor { id: id.clone(), group: g.clone() }).collect();
        let visitor_index = visitors.iter().enumerate().map(|(i, v)| (v.id.clone(), i)).collect();
        Naive { agents, by_id, visitors, visitor_index }
    }

    fn agent_sees(a: &NaiveAgent, v: &NaiveVisitor) -> bool {
        a.groups.is_empty() || v.group.as_ref().is_none_or(|g| a.groups.contains(g))
    }

    pub fn sees(&self, agent: &str, visitor: &str) -> bool {
        let a = &self.agents[self.by_id[agent]];
        Self::agent_sees(a, &self.visitors[self.visitor_index[visitor]])
    }

    pub fn visible_agents(&self, visitor: &str) -> Vec<&str> {
        let v = &self.visitors[self.visitor_index[visitor]];
        self.agents.iter().filter(|a| Self::agent_sees(a, v)).map(|a| a.id.as_str()).collect()
    }

    pub fn dashboard(&self, agent: &str) -> Vec<&str> {
        let a = &self.agents[self.by_id[agent]];
        self.visitors.iter().filter(|v| Self::agent_sees(a, v)).map(|v| v.id.as_str()).collect()
    }

    /// Least busy: online, sees the visitor, under its limit; fewest chats,
    /// then least recently assigned, then list order.
    pub fn route(&self, visitor: &str) -> Option<&str> {
        let v = &self.visitors[self.visitor_index[visitor]];
        self.agents
            .iter()
            .filter(|a| a.online && a.chats < a.limit && Self::agent_sees(a, v))
            .min_by_key(|a| (a.chats, a.last_assigned))
            .map(|a| a.id.as_str())
    }
}

/// What a competent backend developer writes by hand: groups interned as
/// `u32`, a group → members index (configuration order), a group → visitor
/// index (arrival order), sorted group lists per agent; strings hashed only
/// to resolve ids. Same rules as the workload's policies (unassigned agents
/// see everything, ungrouped visitors are visible to all, least busy).
pub struct Indexed {
    pub agent_ix: HashMap<String, u32>,
    pub visitor_ix: HashMap<String, u32>,
    pub agents: Vec<IndexedAgent>,
    /// (id, group)
    pub visitors: Vec<(String, Option<u32>)>,
    /// Group → its members, in configuration order.
    pub members: Vec<Vec<u32>>,
    /// Agents in no group (they see every visitor), in configuration order.
    pub unassigned: Vec<u32>,
    /// Group → its visitors, by arrival; the last list is the ungrouped.
    pub by_group: Vec<Vec<u32>>,
    /// Visitor → the agent holding its chat.
    pub holders: Vec<Option<u32>>,
    /// The rest of what a claim and a release do by the same rules as
    /// groupgate's, written the plain way: a version per chat from one
    /// counter (R13), each agent's held chats (for R28 and `chats_of`),
    /// the event's notices (R31), a queue per group served on release
    /// (R18), and each group's count of candidates with its page's
    /// availability (R10).
    pub versions: Vec<u64>,
    pub counter: u64,
    pub held: Vec<Vec<u32>>,
    pub notices: Vec<IndexedNotice>,
    pub queues: Vec<std::collections::VecDeque<u32>>,
    /// Per group: members online and under their limit; then the same
    /// count of the unassigned, who count in every group.
    pub candidates: Vec<u32>,
    pub wide_candidates: u32,
    pub page_online: Vec<bool>,
}

/// What the baseline tells its host after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexedNotice {
    Held { visitor: u32, agent: u32 },
    Released { visitor: u32, agent: u32 },
    Availability { group: u32, online: bool },
}

pub struct IndexedAgent {
    pub id: String,
    /// Sorted group numbers.
    pub groups: Vec<u32>,
    pub online: bool,
    pub chats: u32,
    pub limit: u32,
    pub last_assigned: Option<u64>,
}

impl Indexed {
    pub fn new(w: &Workload) -> Self {
        let group_ix: HashMap<&str, u32> = w.groups.iter().enumerate().map(|(i, g)| (g.as_str(), i as u32)).collect();
        let mut agents: Vec<IndexedAgent> = w
            .agents
            .iter()
            .map(|(id, groups, online)| {
                let mut groups: Vec<u32> = groups.iter().map(|g| group_ix[g.as_str()]).collect();
                groups.sort_unstable();
                IndexedAgent { id: id.clone(), groups, online: *online, chats: 0, limit: w.limit, last_assigned: None }
            })
            .collect();
        let agent_ix: HashMap<String, u32> = agents.iter().enumerate().map(|(i, a)| (a.id.clone(), i as u32)).collect();
        for (agent, _) in &w.chats {
            agents[agent_ix[agent] as usize].chats += 1;
        }
        let mut members = vec![Vec::new(); w.groups.len()];
        let mut unassigned = Vec::new();
        for (i, a) in agents.iter().enumerate() {
            if a.groups.is_empty() {
                unassigned.push(i as u32);
            }
            for g in &a.groups {
                members[*g as usize].push(i as u32);
            }
        }
        let visitors: Vec<(String, Option<u32>)> =
            w.visitors.iter().map(|(id, g)| (id.clone(), g.as_ref().map(|g| group_ix[g.as_str()]))).collect();
        let visitor_ix = visitors.iter().enumerate().map(|(i, (id, _))| (id.clone(), i as u32)).collect();
        let mut by_group = vec![Vec::new(); w.groups.len() + 1];
        for (i, (_, g)) in visitors.iter().enumerate() {
            by_group[g.map_or(w.groups.len(), |g| g as usize)].push(i as u32);
        }
        let holders = vec![None; visitors.len()];
        let versions = vec![0; visitors.len()];
        let held = vec![Vec::new(); agents.len()];
        let queues = vec![std::collections::VecDeque::new(); members.len()];
        let mut indexed = Indexed {
            agent_ix,
            visitor_ix,
            agents,
            visitors,
            members,
            unassigned,
            by_group,
            holders,
            versions,
            counter: 0,
            held,
            notices: Vec::new(),
            queues,
            candidates: Vec::new(),
            wide_candidates: 0,
            page_online: Vec::new(),
        };
        indexed.candidates = (0..indexed.members.len())
            .map(|g| indexed.members[g].iter().filter(|a| indexed.eligible(**a)).count() as u32)
            .collect();
        indexed.wide_candidates = indexed.unassigned.iter().filter(|a| indexed.eligible(**a)).count() as u32;
        indexed.page_online = indexed.candidates.iter().map(|c| *c > 0 || indexed.wide_candidates > 0).collect();
        indexed
    }

    /// Online and under its limit: a candidate for a chat.
    fn eligible(&self, a: u32) -> bool {
        let a = &self.agents[a as usize];
        a.online && a.chats < a.limit
    }

    /// Agent `a`'s load changes by `by`; when that makes it a candidate or
    /// stops it being one, its groups' counts move and the pages whose
    /// availability changed are noticed.
    fn change_load(&mut self, a: u32, by: i32) {
        let was = self.eligible(a);
        let ag = &mut self.agents[a as usize];
        ag.chats = ag.chats.wrapping_add_signed(by);
        let now = self.eligible(a);
        if was == now {
            return;
        }
        let step = |c: &mut u32| if now { *c += 1 } else { *c -= 1 };
        let groups = std::mem::take(&mut self.agents[a as usize].groups);
        if groups.is_empty() {
            step(&mut self.wide_candidates);
        }
        for &g in &groups {
            step(&mut self.candidates[g as usize]);
        }
        // An unassigned agent counts in every group: every page is looked at.
        let pages: Vec<u32> = if groups.is_empty() { (0..self.members.len() as u32).collect() } else { groups.clone() };
        for g in pages {
            let online = self.candidates[g as usize] > 0 || self.wide_candidates > 0;
            if self.page_online[g as usize] != online {
                self.page_online[g as usize] = online;
                self.notices.push(IndexedNotice::Availability { group: g, online });
            }
        }
        self.agents[a as usize].groups = groups;
    }

    fn sees_ix(&self, a: u32, v: u32) -> bool {
        let a = &self.agents[a as usize];
        a.groups.is_empty() || self.visitors[v as usize].1.is_none_or(|g| a.groups.binary_search(&g).is_ok())
    }

    /// By key: both ids already resolved, as `sees_key` is.
    pub fn sees_by_key(&self, a: u32, v: u32) -> bool {
        self.sees_ix(a, v)
    }

    pub fn sees(&self, agent: &str, visitor: &str) -> bool {
        self.sees_ix(self.agent_ix[agent], self.visitor_ix[visitor])
    }

    /// The agents who see a visitor: for a visitor of a group, its members
    /// merged with the unassigned in configuration order, in one pass into
    /// the answer; every agent for an ungrouped visitor.
    pub fn visible_agents(&self, visitor: &str) -> Vec<&str> {
        let g = self.visitors[self.visitor_ix[visitor] as usize].1;
        let Some(g) = g else { return self.agents.iter().map(|a| a.id.as_str()).collect() };
        let (m, u) = (&self.members[g as usize], &self.unassigned);
        let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(m.len() + u.len()));
        while i < m.len() || j < u.len() {
            let a = if j == u.len() || (i < m.len() && m[i] < u[j]) {
                i += 1;
                m[i - 1]
            } else {
                j += 1;
                u[j - 1]
            };
            out.push(self.agents[a as usize].id.as_str());
        }
        out
    }

    /// The agent's groups' visitor lists and the ungrouped one, by arrival;
    /// everyone for an unassigned agent.
    pub fn dashboard(&self, agent: &str) -> Vec<&str> {
        let a = &self.agents[self.agent_ix[agent] as usize];
        if a.groups.is_empty() {
            return self.visitors.iter().map(|(id, _)| id.as_str()).collect();
        }
        let lists: Vec<&[u32]> = a
            .groups
            .iter()
            .map(|g| self.by_group[*g as usize].as_slice())
            .chain(std::iter::once(self.by_group[self.by_group.len() - 1].as_slice()))
            .collect();
        // Visitor numbers are arrival order: the lists concatenated and
        // sorted once (faster here than a k-way merge by minimum search).
        let mut merged: Vec<u32> = lists.concat();
        merged.sort_unstable();
        merged.into_iter().map(|v| self.visitors[v as usize].0.as_str()).collect()
    }

    /// Least busy among the viewers that are online and under their limit:
    /// fewest chats, then least recently assigned, then configuration order.
    pub fn route(&self, visitor: &str) -> Option<&str> {
        let g = self.visitors[self.visitor_ix[visitor] as usize].1;
        let pick = |candidates: &mut dyn Iterator<Item = u32>| {
            candidates
                .filter(|a| {
                    let a = &self.agents[*a as usize];
                    a.online && a.chats < a.limit
                })
                .min_by_key(|a| {
                    let a = &self.agents[*a as usize];
                    (a.chats, a.last_assigned)
                })
        };
        let best = match g {
            None => pick(&mut (0..self.agents.len() as u32)),
            Some(g) => {
                // Members and unassigned merged in configuration order, no
                // allocation: `min_by_key` keeps the first of equals.
                let (m, u) = (&self.members[g as usize], &self.unassigned);
                let (mut i, mut j) = (0, 0);
                let mut merged = std::iter::from_fn(|| {
                    let next = match (m.get(i), u.get(j)) {
                        (Some(a), Some(b)) if a < b => Some(*a),
                        (_, Some(b)) => Some(*b),
                        (Some(a), None) => Some(*a),
                        (None, None) => None,
                    }?;
                    if m.get(i) == Some(&next) {
                        i += 1;
                    } else {
                        j += 1;
                    }
                    Some(next)
                });
                pick(&mut merged)
            }
        };
        best.map(|a| self.agents[a as usize].id.as_str())
    }

    /// A claim by hand (R11): the agent sees the visitor, is online, under
    /// its limit, and nobody holds the chat; then the agent holds it, the
    /// chat gets the next version (R13), and the host is told (R31). Both
    /// ids resolved by hash, as a host would.
    pub fn claim(&mut self, agent: &str, visitor: &str) -> bool {
        self.notices.clear();
        let (a, v) = (self.agent_ix[agent], self.visitor_ix[visitor]);
        let ok = {
            let ag = &self.agents[a as usize];
            self.holders[v as usize].is_none() && ag.online && ag.chats < ag.limit && self.sees_ix(a, v)
        };
        if ok {
            self.hold(a, v);
        }
        ok
    }

    /// Agent `a` holds visitor `v`'s chat: a new version, its list, the
    /// notice, its load.
    fn hold(&mut self, a: u32, v: u32) {
        self.holders[v as usize] = Some(a);
        self.counter += 1;
        self.versions[v as usize] = self.counter;
        self.held[a as usize].push(v);
        self.notices.push(IndexedNotice::Held { visitor: v, agent: a });
        self.change_load(a, 1);
    }

    /// Closes the visitor's chat (R14): its holder has one chat fewer, the
    /// chat a new version, and the freed agent takes the oldest chat
    /// waiting in its groups' queues (R18).
    pub fn release(&mut self, visitor: &str) -> bool {
        self.notices.clear();
        let v = self.visitor_ix[visitor];
        let Some(a) = self.holders[v as usize].take() else { return false };
        self.counter += 1;
        self.versions[v as usize] = self.counter;
        let held = &mut self.held[a as usize];
        if let Some(i) = held.iter().position(|h| *h == v) {
            held.swap_remove(i);
        }
        self.notices.push(IndexedNotice::Released { visitor: v, agent: a });
        self.change_load(a, -1);
        // The oldest waiting chat of the agent's groups (queues hold
        // visitor numbers, which are arrival order).
        let next = self.agents[a as usize]
            .groups
            .iter()
            .filter_map(|g| self.queues[*g as usize].front().map(|q| (*q, *g)))
            .min();
        if let Some((q, g)) = next.filter(|_| self.eligible(a)) {
            self.queues[g as usize].pop_front();
            self.hold(a, q);
        }
        true
    }
}

/// The same data in an in-memory SQLite database, queried with a membership join.
pub struct Sqlite {
    pub db: rusqlite::Connection,
}

impl Sqlite {
    pub fn new(w: &Workload) -> Self {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE agents (id TEXT PRIMARY KEY, ord INTEGER, online INTEGER, chats INTEGER, lim INTEGER);
             CREATE TABLE memberships (agent_id TEXT, group_id TEXT, PRIMARY KEY (agent_id, group_id));
             CREATE INDEX memberships_group ON memberships (group_id, agent_id);
             CREATE TABLE visitors (id TEXT PRIMARY KEY, group_id TEXT, arrival INTEGER);
             CREATE INDEX visitors_group ON visitors (group_id, arrival);",
        )
        .unwrap();
        let tx = db.unchecked_transaction().unwrap();
        for (i, (id, groups, online)) in w.agents.iter().enumerate() {
            tx.execute(
                "INSERT INTO agents VALUES (?1, ?2, ?3, 0, ?4)",
                rusqlite::params![id, i as i64, online, w.limit],
            )
            .unwrap();
            for g in groups {
                tx.execute("INSERT INTO memberships VALUES (?1, ?2)", rusqlite::params![id, g]).unwrap();
            }
        }
        for (i, (id, g)) in w.visitors.iter().enumerate() {
            tx.execute("INSERT INTO visitors VALUES (?1, ?2, ?3)", rusqlite::params![id, g, i as i64]).unwrap();
        }
        tx.commit().unwrap();
        db.execute_batch("ANALYZE").unwrap();
        Sqlite { db }
    }

    /// The visitors an agent with groups sees: its groups' and the ungrouped, by arrival.
    pub fn dashboard(&self, agent: &str) -> Vec<String> {
        let mut stmt = self
            .db
            .prepare_cached(
                "SELECT id FROM visitors
                 WHERE group_id IS NULL OR group_id IN (SELECT group_id FROM memberships WHERE agent_id = ?1)
                 ORDER BY arrival",
            )
            .unwrap();
        stmt.query_map([agent], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
    }
}
