//! A small, obviously-correct reference model of `docs/RULES.md`, written
//! straight from the text with plain loops over plain vectors of strings.
//! Property tests compare the real engine with it. Nothing here is fast.
#![allow(dead_code)]

use groupgate::{Config, Plan, Policy, Role, Status, Tier, UnassignedAgents, UngroupedVisitors};

#[derive(Debug, Clone)]
pub struct MGroup {
    pub id: String,
    pub fallback: Option<String>,
    pub limit: Option<u32>,
    pub in_form: bool,
    /// R29: the overflow wait.
    pub overflow: Option<u64>,
    /// R30: the schedule it follows.
    pub schedule: Option<String>,
}

/// R30: a schedule as written: intervals as milliseconds of the day.
#[derive(Debug, Clone)]
pub struct MSchedule {
    pub id: String,
    pub zone: String,
    /// `mon` first.
    pub weekly: [Vec<(u64, u64)>; 7],
    pub exceptions: Vec<(jiff::civil::Date, Vec<(u64, u64)>)>,
    /// The zone, looked up once in the library's database.
    tz: jiff::tz::TimeZone,
    /// Everything written but the id: what `next_change` remembers by.
    key: String,
}

/// `HH:MM` (or `24:00`) as milliseconds of the day.
fn hhmm(t: &str) -> u64 {
    let (h, m) = t.split_once(':').unwrap();
    (h.parse::<u64>().unwrap() * 60 + m.parse::<u64>().unwrap()) * 60_000
}

fn intervals(list: &[[String; 2]]) -> Vec<(u64, u64)> {
    list.iter().map(|[s, e]| (hhmm(s), hhmm(e))).collect()
}

impl MSchedule {
    fn of(spec: &groupgate::ScheduleSpec) -> MSchedule {
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let weekly = days.map(|d| spec.weekly.get(d).map(|l| intervals(l)).unwrap_or_default());
        let exceptions = spec.exceptions.iter().map(|e| (e.date.parse().unwrap(), intervals(&e.hours))).collect();
        let tz = jiff::tz::TimeZoneDatabase::bundled().get(&spec.time_zone).unwrap();
        let key = format!("{} {weekly:?} {exceptions:?}", spec.time_zone);
        MSchedule { id: spec.id.clone(), zone: spec.time_zone.clone(), weekly, exceptions, tz, key }
    }

    /// R30 literally: the instant's wall-clock date and time in the zone,
    /// from the library's own database, looked up in that date's hours.
    pub fn open_at(&self, at: u64) -> bool {
        let tz = self.tz.clone();
        let last = jiff::Timestamp::MAX.as_second() * 1000;
        let at = at.min(groupgate::LAST_EVALUATED) as i64;
        // Past what the time-zone library represents, the wall clock runs on
        // at its last offset.
        let z = jiff::Timestamp::from_millisecond(at.min(last)).unwrap().to_zoned_datetime(tz);
        let beyond = (at - at.min(last)) as u64;
        let of_day = ((z.hour() as u64 * 60 + z.minute() as u64) * 60 + z.second() as u64) * 1000
            + z.millisecond() as u64
            + beyond;
        // The wall-clock date may be past the last the library writes
        // (10000-01-01 east of UTC): no exception names it.
        let days = of_day / 86_400_000;
        let mut date = Some(z.date());
        for _ in 0..days {
            date = date.and_then(|d| d.tomorrow().ok());
        }
        let weekday = (z.date().weekday().to_monday_zero_offset() as u64 + days) % 7;
        let of_day = of_day % 86_400_000;
        let hours = match self.exceptions.iter().find(|(d, _)| Some(*d) == date) {
            Some((_, h)) => h,
            None => &self.weekly[weekday as usize],
        };
        hours.iter().any(|(s, e)| *s <= of_day && of_day < *e)
    }
}

#[derive(Debug, Clone)]
pub struct MAgent {
    pub id: String,
    pub role: Role,
    pub groups: Vec<(String, Tier)>,
    pub enabled: bool,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct MConfig {
    pub plan: Plan,
    pub policy: Policy,
    pub schedules: Vec<MSchedule>,
    pub groups: Vec<MGroup>,
    pub agents: Vec<MAgent>,
    pub selection: bool,
}

impl MConfig {
    /// Reads the configuration through the public accessors only.
    pub fn of(c: &Config) -> MConfig {
        MConfig {
            plan: c.plan(),
            policy: *c.policy(),
            schedules: c.schedules().iter().map(|s| MSchedule::of(s.spec())).collect(),
            groups: c
                .groups()
                .iter()
                .map(|g| MGroup {
                    id: g.id().to_string(),
                    fallback: g.fallback().map(|f| f.to_string()),
                    limit: g.chat_limit(),
                    in_form: g.in_contact_form(),
                    overflow: g.overflow_after(),
                    schedule: g.schedule().map(|s| s.to_string()),
                })
                .collect(),
            agents: c
                .agents()
                .map(|a| MAgent {
                    id: a.id().to_string(),
                    role: a.role(),
                    groups: a.memberships().iter().map(|m| (m.group().to_string(), m.tier())).collect(),
                    enabled: a.enabled(),
                    limit: a.chat_limit(),
                })
                .collect(),
            selection: c.group_selection(),
        }
    }

    pub fn agent(&self, id: &str) -> Option<&MAgent> {
        self.agents.iter().find(|a| a.id == id)
    }

    /// R1 + R3: a group id "exists" only on a plan with groups.
    pub fn exists(&self, id: &str) -> bool {
        self.plan == Plan::Pro && self.groups.iter().any(|g| g.id == id)
    }

    fn group(&self, id: &str) -> Option<&MGroup> {
        if !self.exists(id) {
            return None;
        }
        self.groups.iter().find(|g| g.id == id)
    }

    /// R30: the schedule a working group follows.
    pub fn schedule_of(&self, group: &str) -> Option<&MSchedule> {
        let id = self.group(group)?.schedule.as_ref()?;
        self.schedules.iter().find(|s| s.id == *id)
    }

    /// R30: whether a group is open at `at` — always without a schedule,
    /// and under a plan without groups.
    pub fn open_at(&self, group: &str, at: u64) -> bool {
        self.schedule_of(group).is_none_or(|s| s.open_at(at))
    }
}

/// R30: the first instant in (`from`, `until`] at which the group opens or
/// closes, found by looking at every quarter hour: the property tests'
/// schedules are on a quarter-hour grid, in zones whose offsets and
/// changes of offset are too, so every change is at a quarter hour. A
/// stretch already looked at without a change is remembered (in `memo`),
/// so that advancing through years looks at each quarter hour once.
pub fn next_change(c: &MConfig, memo: &Memo, group: &str, from: u64, until: u64) -> Option<u64> {
    const STEP: u64 = 15 * 60_000;
    let s = c.schedule_of(group)?;
    let until = until.min(groupgate::LAST_EVALUATED);
    let open = s.open_at(from);
    let key = s.key.clone();
    let mut t = (from / STEP + 1) * STEP;
    let mut start = from;
    // A stretch (a, b) known to be all `open` that holds `from`: its
    // quarter hours need no second look.
    let known = memo
        .0
        .borrow()
        .iter()
        .find(|(k, a, b, was)| *k == key && *a <= from && from < *b && *was == open)
        .map(|(_, a, b, _)| (*a, *b));
    if let Some((a, b)) = known {
        (start, t) = (a, t.max(b));
    }
    let mut found = None;
    while t <= until {
        if s.open_at(t) != open {
            found = Some(t);
            break;
        }
        t += STEP;
    }
    let mut memo = memo.0.borrow_mut();
    memo.retain(|(k, ..)| *k != key);
    memo.push((key, start, t, open));
    found
}

/// Stretches of time `next_change` found without a change.
#[derive(Debug, Clone, Default)]
pub struct Memo(pub std::cell::RefCell<Vec<(String, u64, u64, bool)>>);

#[derive(Debug, Clone, Default)]
pub struct MVisitor {
    pub id: String,
    pub tag: Option<String>,
    pub selection: Option<String>,
    pub moved: Option<String>,
    pub preferred: Option<String>,
    pub has_chat: bool,
    pub holder: Option<String>,
    /// R27: whether the holder answered the chat.
    pub answered: bool,
    /// R27: agents that missed or declined the chat, in order.
    pub missed: Vec<String>,
    /// The assignment that gave the chat its holder (unique in a run).
    pub token: u64,
}

#[derive(Debug, Clone, Default)]
pub struct MState {
    /// R26: the clock, at which business hours are read (R30).
    pub clock: u64,
    pub status: Vec<(String, Status)>,
    pub visitors: Vec<MVisitor>,
    /// How many times each agent's status changed (R28: a wait ends at any change).
    pub changes: Vec<(String, u64)>,
}

impl MState {
    pub fn status(&self, agent: &str) -> Status {
        for (a, s) in &self.status {
            if a == agent {
                return *s;
            }
        }
        Status::Offline
    }

    pub fn load(&self, agent: &str) -> u32 {
        let mut n = 0;
        for v in &self.visitors {
            if v.holder.as_deref() == Some(agent) {
                n += 1;
            }
        }
        n
    }

    pub fn visitor(&self, id: &str) -> Option<&MVisitor> {
        self.visitors.iter().find(|v| v.id == id)
    }

    pub fn changes(&self, agent: &str) -> u64 {
        self.changes.iter().find(|(a, _)| a == agent).map_or(0, |(_, n)| *n)
    }
}

/// R2.
pub fn effective(c: &MConfig, moved: Option<&str>, selection: Option<&str>, tag: Option<&str>) -> Option<String> {
    for id in [moved, selection, tag].into_iter().flatten() {
        if c.exists(id) {
            return Some(id.to_string());
        }
    }
    None
}

/// R2: which of the visitor's ids gave its effective group.
pub fn source_of(c: &MConfig, v: &MVisitor) -> Option<&'static str> {
    let named = [("moved_to", &v.moved), ("selection", &v.selection), ("page_tag", &v.tag)];
    named.into_iter().find(|(_, id)| id.as_deref().is_some_and(|id| c.exists(id))).map(|(source, _)| source)
}

pub fn effective_of(c: &MConfig, v: &MVisitor) -> Option<String> {
    effective(c, v.moved.as_deref(), v.selection.as_deref(), v.tag.as_deref())
}

/// R1, R4–R8: Ok, or the code a claim would fail with.
pub fn sees(c: &MConfig, a: &MAgent, group: Option<&str>) -> Result<(), &'static str> {
    let hidden = if group.is_none() { "ungrouped_hidden" } else { "not_in_group" };
    if !a.enabled {
        return Err("agent_disabled");
    }
    if c.plan != Plan::Pro {
        return Ok(());
    }
    if c.policy.admins_see_all && (a.role == Role::Owner || a.role == Role::Admin) {
        return Ok(());
    }
    if a.groups.is_empty() {
        return match c.policy.unassigned_agents {
            UnassignedAgents::SeeAll => Ok(()),
            UnassignedAgents::SeeUngrouped if group.is_none() => Ok(()),
            _ => Err(hidden),
        };
    }
    match group {
        None => {
            if c.policy.ungrouped_visitors == UngroupedVisitors::VisibleToAll {
                Ok(())
            } else {
                Err("ungrouped_hidden")
            }
        }
        Some(g) => {
            for (m, _) in &a.groups {
                if m == g {
                    return Ok(());
                }
            }
            Err("not_in_group")
        }
    }
}

/// R12.
pub fn limit(c: &MConfig, a: &MAgent, group: Option<&str>) -> Option<u32> {
    let own = a.limit.or(c.policy.default_chat_limit);
    let of_group = group.and_then(|g| c.group(g)).and_then(|g| g.limit);
    match (own, of_group) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// R11 for a chat in `group` held by `holder`: Ok(already holder) or a code.
pub fn claim_check(
    c: &MConfig,
    s: &MState,
    agent: &str,
    group: Option<&str>,
    holder: Option<&str>,
) -> Result<bool, &'static str> {
    let Some(a) = c.agent(agent) else { return Err("unknown_agent") };
    sees(c, a, group)?;
    if let Some(h) = holder {
        if h == agent {
            return Ok(true);
        }
        return Err("already_claimed");
    }
    if s.status(agent) == Status::Offline {
        return Err("agent_offline");
    }
    if let Some(l) = limit(c, a, group) {
        if s.load(agent) >= l {
            return Err("at_capacity");
        }
    }
    Ok(false)
}

pub fn claim_visitor(c: &MConfig, s: &MState, agent: &str, visitor: &str) -> Result<bool, &'static str> {
    if c.agent(agent).is_none() {
        return Err("unknown_agent");
    }
    let Some(v) = s.visitor(visitor) else { return Err("unknown_visitor") };
    let g = effective_of(c, v);
    claim_check(c, s, agent, g.as_deref(), v.holder.as_deref())
}

fn tier(a: &MAgent, group: Option<&str>) -> Tier {
    for (g, t) in &a.groups {
        if Some(g.as_str()) == group {
            return *t;
        }
    }
    Tier::Normal
}

/// R15 eligibility in one group: the tier, or None.
pub fn offerable(c: &MConfig, s: &MState, a: &MAgent, group: Option<&str>) -> Option<Tier> {
    if s.status(&a.id) != Status::Online {
        return None;
    }
    if claim_check(c, s, &a.id, group, None).is_err() {
        return None;
    }
    let t = tier(a, group);
    if t == Tier::Supervisor { None } else { Some(t) }
}

/// R17: the chain of groups tried, the group itself first.
pub fn chain(c: &MConfig, group: &str) -> Vec<String> {
    let mut out = vec![group.to_string()];
    let mut at = group.to_string();
    for _ in 0..c.groups.len() {
        let Some(g) = c.group(&at) else { break };
        let Some(f) = &g.fallback else { break };
        out.push(f.clone());
        at = f.clone();
    }
    out
}

fn rank(t: Tier) -> u8 {
    match t {
        Tier::First => 0,
        Tier::Normal => 1,
        Tier::Last => 2,
        Tier::Supervisor => 3,
    }
}

fn in_group(c: &MConfig, s: &MState, group: Option<&str>, preferred: Option<&str>) -> Vec<String> {
    in_group_skipping(c, s, group, preferred, &[])
}

/// R15 in one group, the agents in `skip` (a missed list, R27) left out
/// before tiers apply.
fn in_group_skipping(
    c: &MConfig,
    s: &MState,
    group: Option<&str>,
    preferred: Option<&str>,
    skip: &[String],
) -> Vec<String> {
    // R30: a closed group has no candidates.
    if group.is_some_and(|g| !c.open_at(g, s.clock)) {
        return Vec::new();
    }
    let mut eligible: Vec<(String, Tier)> = Vec::new();
    for a in &c.agents {
        if skip.contains(&a.id) {
            continue;
        }
        if let Some(t) = offerable(c, s, a, group) {
            eligible.push((a.id.clone(), t));
        }
    }
    let mut best = 99;
    for (_, t) in &eligible {
        best = best.min(rank(*t));
    }
    let mut out = Vec::new();
    if let Some(p) = preferred {
        if eligible.iter().any(|(a, _)| a == p) {
            out.push(p.to_string());
        }
    }
    for (a, t) in &eligible {
        if rank(*t) == best && Some(a.as_str()) != preferred {
            out.push(a.clone());
        }
    }
    out
}

/// R15 + R17.
pub fn candidates(c: &MConfig, s: &MState, v: &MVisitor) -> Vec<String> {
    match effective_of(c, v) {
        None => in_group(c, s, None, v.preferred.as_deref()),
        Some(g) => {
            for tried in chain(c, &g) {
                let found = in_group(c, s, Some(&tried), v.preferred.as_deref());
                if !found.is_empty() {
                    return found;
                }
            }
            Vec::new()
        }
    }
}

/// R10.
pub fn online(c: &MConfig, s: &MState, page: Option<&str>) -> bool {
    let v = MVisitor { tag: page.map(str::to_string), ..MVisitor::default() };
    !candidates(c, s, &v).is_empty()
}

/// R21.
pub fn form_choices(c: &MConfig, s: &MState) -> Vec<String> {
    let mut out = Vec::new();
    if c.plan != Plan::Pro || !c.selection {
        return out;
    }
    for g in &c.groups {
        if g.in_form && (!c.policy.hide_unavailable_groups || online(c, s, Some(&g.id))) {
            out.push(g.id.clone());
        }
    }
    out
}

/// R9, brute force from the definition: every combination of moved-to group,
/// selection and page tag drawn from the groups of both revisions, an id
/// neither has, and nothing.
pub fn visibility_changed(old: &MConfig, new: &MConfig, agent: &str) -> bool {
    let (Some(a_old), Some(a_new)) = (old.agent(agent), new.agent(agent)) else { return false };
    let mut ids: Vec<Option<String>> = vec![None, Some("zz-nowhere".into())];
    for g in old.groups.iter().chain(&new.groups) {
        ids.push(Some(g.id.clone()));
    }
    for m in &ids {
        for s in &ids {
            for t in &ids {
                let e_old = effective(old, m.as_deref(), s.as_deref(), t.as_deref());
                let e_new = effective(new, m.as_deref(), s.as_deref(), t.as_deref());
                if sees(old, a_old, e_old.as_deref()).is_ok() != sees(new, a_new, e_new.as_deref()).is_ok() {
                    return true;
                }
            }
        }
    }
    false
}

/// R9: the dashboard under a loaded configuration, visitors in arrival order.
pub fn dashboard(loaded: &MConfig, s: &MState, agent: &str) -> Vec<String> {
    let Some(a) = loaded.agent(agent) else { return Vec::new() };
    let mut out = Vec::new();
    for v in &s.visitors {
        if sees(loaded, a, effective_of(loaded, v).as_deref()).is_ok() {
            out.push(v.id.clone());
        }
    }
    out
}

/// R4–R8 over all agents, in configuration order.
pub fn visible_agents(c: &MConfig, v: &MVisitor) -> Vec<String> {
    let g = effective_of(c, v);
    let mut out = Vec::new();
    for a in &c.agents {
        if sees(c, a, g.as_deref()).is_ok() {
            out.push(a.id.clone());
        }
    }
    out
}

// ----- routing (R15–R19) -----------------------------------------------------

/// Live routing state the model keeps beside `MState`.
#[derive(Debug, Clone, Default)]
pub struct MRouting {
    pub last: Vec<(String, u64)>,
    /// R18, R29: waiting chats as (visitor, entered the queue, wait started).
    pub queued: Vec<(String, u64, u64)>,
    /// R26: the clock.
    pub now: u64,
    /// R26: every deadline ever set, with the order it was set in.
    pub deadlines: Vec<MDeadline>,
    pub seq: u64,
    /// The last assignment token given.
    pub tokens: u64,
    /// R31: the notices of the event under way, as the format writes them,
    /// each with the instant it happened at (the clock then).
    pub notes: Vec<(u64, String)>,
    /// R30: what `next_change` has looked at.
    pub memo: Memo,
}

/// R30: the next instant in (`from`, `until`] at which some working group
/// opens or closes.
pub fn next_boundary(c: &MConfig, r: &MRouting, from: u64, until: u64) -> Option<u64> {
    c.groups.iter().filter_map(|g| next_change(c, &r.memo, &g.id, from, until)).min()
}

/// R30: how far ahead changes of business hours are deadlines.
pub const HORIZON: u64 = 366 * 86_400_000;

/// R31's notices in the scenario format's text.
pub mod note {
    fn id(s: &str) -> String {
        format!("{s:?}")
    }
    fn opt(s: Option<&str>) -> String {
        s.map_or("null".to_string(), id)
    }
    pub fn held(v: &str, a: &str) -> String {
        format!(r#"{{"chat_held": {{"visitor": {}, "agent": {}}}}}"#, id(v), id(a))
    }
    pub fn queued(v: &str, group: Option<&str>, offered: &[String]) -> String {
        let offered: Vec<String> = offered.iter().map(|a| id(a)).collect();
        format!(
            r#"{{"chat_queued": {{"visitor": {}, "group": {}, "offered": [{}]}}}}"#,
            id(v),
            opt(group),
            offered.join(", ")
        )
    }
    pub fn unheld(v: &str, a: &str, why: &str) -> String {
        format!(r#"{{"chat_unheld": {{"visitor": {}, "agent": {}, "why": "{why}"}}}}"#, id(v), id(a))
    }
    pub fn moved(v: &str, from: Option<&str>, to: Option<&str>) -> String {
        format!(r#"{{"chat_moved": {{"visitor": {}, "from": {}, "to": {}}}}}"#, id(v), opt(from), opt(to))
    }
    pub fn closed(v: &str, a: Option<&str>) -> String {
        format!(r#"{{"chat_closed": {{"visitor": {}, "agent": {}}}}}"#, id(v), opt(a))
    }
    pub fn refresh(agents: &[String]) -> String {
        let agents: Vec<String> = agents.iter().map(|a| id(a)).collect();
        format!(r#"{{"refresh_needed": {{"agents": [{}]}}}}"#, agents.join(", "))
    }
    pub fn status(a: &str, status: &str) -> String {
        format!(r#"{{"status_changed": {{"agent": {}, "status": "{status}"}}}}"#, id(a))
    }
    pub fn availability(group: Option<&str>, online: bool) -> String {
        format!(r#"{{"availability_changed": {{"group": {}, "online": {online}}}}}"#, opt(group))
    }
    pub fn entered(v: &str, group: Option<&str>) -> String {
        format!(r#"{{"visitor_entered": {{"visitor": {}, "group": {}}}}}"#, id(v), opt(group))
    }
    pub fn visitor_moved(v: &str, from: Option<&str>, to: Option<&str>) -> String {
        format!(r#"{{"visitor_moved": {{"visitor": {}, "from": {}, "to": {}}}}}"#, id(v), opt(from), opt(to))
    }
    pub fn left(v: &str) -> String {
        format!(r#"{{"visitor_left": {{"visitor": {}}}}}"#, id(v))
    }
}

/// R10 for the page of every configured group, in configuration order,
/// then the ungrouped page (R31's order for availability notices). Under a
/// plan without groups (R1) a group's page is an ungrouped page, and
/// changes with it.
pub fn pages(c: &MConfig, s: &MState) -> Vec<(Option<String>, bool)> {
    let groups = c.groups.iter();
    let mut out: Vec<(Option<String>, bool)> =
        groups.map(|g| (Some(g.id.clone()), online(c, s, Some(&g.id)))).collect();
    out.push((None, online(c, s, None)));
    out
}

/// Why a deadline was set (R27, R28), with what must still hold for it to
/// do anything.
#[derive(Debug, Clone)]
pub enum MCause {
    /// The chat is missed if still held by `holder` since assignment `token`, unanswered.
    Answer { visitor: String, holder: String, token: u64 },
    /// The agent's chats go back if it is still offline after `changes` status changes.
    Offline { agent: String, changes: u64 },
}

#[derive(Debug, Clone)]
pub struct MDeadline {
    pub at: u64,
    pub seq: u64,
    pub cause: MCause,
}

/// R26: whether a deadline's cause still stands.
pub fn stands(c: &MConfig, s: &MState, d: &MDeadline) -> bool {
    match &d.cause {
        MCause::Answer { visitor, holder, token } => s
            .visitor(visitor)
            .is_some_and(|v| v.holder.as_deref() == Some(holder.as_str()) && !v.answered && v.token == *token),
        MCause::Offline { agent, changes } => {
            c.agent(agent).is_some() && s.status(agent) == Status::Offline && s.changes(agent) == *changes
        }
    }
}

/// R29: the overflow instant of v's waiting chat: the start of its wait
/// plus the overflow wait of its effective group, when that group has one
/// and a fallback.
pub fn overflow_at(c: &MConfig, s: &MState, r: &MRouting, visitor: &str) -> Option<u64> {
    let (_, _, since) = r.queued.iter().find(|(v, ..)| v == visitor)?;
    let g = c.group(&effective_of(c, s.visitor(visitor)?)?)?;
    g.fallback.as_ref()?;
    reachable(*since, g.overflow?)
}

/// R26 (settled): the instant `wait` after `from`, or none when it falls
/// after 2^53 − 1 ms — such a deadline is never reached.
pub fn reachable(from: u64, wait: u64) -> Option<u64> {
    from.checked_add(wait).filter(|at| *at <= groupgate::MAX_INSTANT)
}

/// R29: the earliest overflow instant, ties in queue order, by a scan.
fn next_overflow(c: &MConfig, s: &MState, r: &MRouting) -> Option<(u64, String)> {
    let mut best: Option<(u64, String)> = None;
    for v in r.queue(s) {
        if let Some(at) = overflow_at(c, s, r, &v) {
            if best.as_ref().is_none_or(|(b, _)| at < *b) {
                best = Some((at, v));
            }
        }
    }
    best
}

/// R26: the earliest deadline whose cause stands, by a scan, overflow
/// instants (R29) included.
pub fn next_deadline(c: &MConfig, s: &MState, r: &MRouting) -> Option<u64> {
    let kept = r.deadlines.iter().filter(|d| stands(c, s, d)).map(|d| d.at).min();
    let overflow = next_overflow(c, s, r).map(|(at, _)| at);
    let boundary = next_boundary(c, r, r.now, r.now.saturating_add(HORIZON));
    [kept, overflow, boundary].into_iter().flatten().min()
}

/// R26: advance to `to`, processing every standing deadline due by then,
/// earliest first (ties in the order set), each at its own time with its
/// own notices, queue serving and availability.
pub fn advance(c: &MConfig, s: &mut MState, r: &mut MRouting, to: u64) {
    // The clock is at most 2^53 − 1 ms (R26, settled details).
    let to = to.min(groupgate::MAX_INSTANT);
    loop {
        let due = r
            .deadlines
            .iter()
            .enumerate()
            .filter(|(_, d)| d.at <= to && stands(c, s, d))
            .min_by_key(|(_, d)| (d.at, d.seq))
            .map(|(i, _)| i);
        // R29: overflow instants are recomputed after every change, so they
        // are the last set of the deadlines due at the same time; among
        // themselves, queue order.
        let overflow = next_overflow(c, s, r).filter(|(at, _)| *at <= to);
        let kept_at = due.map(|i| r.deadlines[i].at);
        // R30: groups open and close at the instant, all together, before
        // anything else due then; the queue is served.
        let boundary = next_boundary(c, r, r.now, to);
        if let Some(at) =
            boundary.filter(|b| kept_at.is_none_or(|k| *b <= k) && overflow.as_ref().is_none_or(|(o, _)| *b <= *o))
        {
            let before = pages(c, s);
            r.now = at;
            s.clock = at;
            serve(c, s, r, at);
            for ((page, was), (_, now)) in before.iter().zip(pages(c, s)) {
                if *was != now {
                    r.say(note::availability(page.as_deref(), now));
                }
            }
            continue;
        }
        if let Some((at, v)) = overflow.filter(|(at, _)| kept_at.is_none_or(|k| *at < k)) {
            r.now = r.now.max(at);
            s.clock = r.now;
            let before = pages(c, s);
            overflow_chat(c, s, r, &v);
            for ((page, was), (_, now)) in before.iter().zip(pages(c, s)) {
                if *was != now {
                    r.say(note::availability(page.as_deref(), now));
                }
            }
            continue;
        }
        let Some(i) = due else { break };
        let d = r.deadlines.remove(i);
        r.now = r.now.max(d.at);
        s.clock = r.now;
        let before = pages(c, s);
        match d.cause {
            MCause::Answer { visitor, .. } => miss(c, s, r, &visitor, "missed"),
            MCause::Offline { agent, .. } => {
                let held: Vec<String> = s
                    .visitors
                    .iter()
                    .filter(|v| v.holder.as_deref() == Some(agent.as_str()))
                    .map(|v| v.id.clone())
                    .collect();
                for v in held {
                    r.say(note::unheld(&v, &agent, "offline"));
                    requeue_chat(c, s, r, &v);
                }
                let now = r.now;
                serve(c, s, r, now);
            }
        }
        for ((page, was), (_, now)) in before.iter().zip(pages(c, s)) {
            if *was != now {
                r.say(note::availability(page.as_deref(), now));
            }
        }
    }
    r.now = r.now.max(to);
    s.clock = r.now;
}

/// R29: v's chat waited its group's overflow wait: it moves on to the
/// group it lands in from the fallback F (F, or the first of F's chain with
/// a candidate, its missed list left out) and is picked there, or keeps
/// waiting in its place with its wait starting now; then the queue is
/// served (R18).
pub fn overflow_chat(c: &MConfig, s: &mut MState, r: &mut MRouting, visitor: &str) {
    let x = s.visitor(visitor).unwrap().clone();
    let own = effective_of(c, &x).unwrap();
    let f = c.group(&own).unwrap().fallback.clone().unwrap();
    let found = serving_group_skipping(c, s, Some(&f), &x.missed);
    let landing = found.clone().unwrap_or(Some(f));
    s.visitors.iter_mut().find(|y| y.id == visitor).unwrap().moved = landing.clone();
    r.say(note::moved(visitor, Some(&own), landing.as_deref()));
    let cands = match &found {
        Some(g) => in_group_skipping(c, s, g.as_deref(), x.preferred.as_deref(), &x.missed),
        None => Vec::new(),
    };
    let now = r.now;
    match pick(c, s, r, &cands, x.preferred.as_deref()) {
        Some(a) => {
            let token = r.token();
            let y = s.visitors.iter_mut().find(|y| y.id == visitor).unwrap();
            y.holder = Some(a.clone());
            y.answered = false;
            y.token = token;
            r.dequeue(visitor);
            r.stamp(&a, now);
            r.say(note::held(visitor, &a));
            if let Some(at) = c.policy.answer_timeout.and_then(|t| reachable(now, t)) {
                let cause = MCause::Answer { visitor: visitor.to_string(), holder: a.clone(), token };
                r.set_deadline(at, cause);
            }
        }
        None => {
            let w = r.queued.iter_mut().find(|(v, ..)| v == visitor).unwrap();
            w.2 = now;
        }
    }
    serve(c, s, r, now);
}

/// R27: the holder of v's chat missed or declined it.
pub fn miss(c: &MConfig, s: &mut MState, r: &mut MRouting, visitor: &str, why: &str) {
    let x = s.visitors.iter_mut().find(|x| x.id == visitor).unwrap();
    let holder = x.holder.take().unwrap();
    x.answered = false;
    x.missed.push(holder.clone());
    r.say(note::unheld(visitor, &holder, why));
    if why == "missed" && c.policy.after_missed == groupgate::AfterMissed::Away && s.status(&holder) == Status::Online {
        set_status(c, s, r, &holder, Status::Away);
        r.say(note::status(&holder, "away"));
    }
    let now = r.now;
    land(c, s, r, visitor, now);
    serve(c, s, r, now);
}

/// A chat taken from its holder goes back in the queue at the back (R14,
/// R28). It is not routed: it waits in its own group, and under broadcast
/// is offered to the candidates of that group (R31, settled: "the group
/// the chat waits in"), its missed list left out.
pub fn requeue_chat(c: &MConfig, s: &mut MState, r: &mut MRouting, visitor: &str) {
    let x = s.visitors.iter_mut().find(|x| x.id == visitor).unwrap();
    x.holder = None;
    x.answered = false;
    let x = x.clone();
    let own = effective_of(c, &x);
    let offered = if c.policy.routing == groupgate::Routing::Broadcast {
        in_group_skipping(c, s, own.as_deref(), x.preferred.as_deref(), &x.missed)
    } else {
        Vec::new()
    };
    r.say(note::queued(visitor, own.as_deref(), &offered));
    r.enqueue(visitor);
}

/// A status set by the host or by R27: a change ends a wait offline, a
/// change to offline starts one (R28).
pub fn set_status(c: &MConfig, s: &mut MState, r: &mut MRouting, agent: &str, status: Status) {
    if s.status(agent) == status {
        return;
    }
    let n = s.changes(agent) + 1;
    s.changes.retain(|(a, _)| a != agent);
    s.changes.push((agent.to_string(), n));
    s.status.retain(|(a, _)| a != agent);
    s.status.push((agent.to_string(), status));
    if let (Status::Offline, Some(at)) = (status, c.policy.offline_requeue_after.and_then(|w| reachable(r.now, w))) {
        r.set_deadline(at, MCause::Offline { agent: agent.to_string(), changes: n });
    }
}

impl MRouting {
    pub fn set_deadline(&mut self, at: u64, cause: MCause) {
        self.deadlines.push(MDeadline { at, seq: self.seq, cause });
        self.seq += 1;
    }
    pub fn token(&mut self) -> u64 {
        self.tokens += 1;
        self.tokens
    }
    pub fn last(&self, agent: &str) -> Option<u64> {
        self.last.iter().find(|(a, _)| a == agent).map(|(_, t)| *t)
    }
    /// R31: a notice, happening now.
    pub fn say(&mut self, notice: String) {
        self.notes.push((self.now, notice));
    }

    pub fn stamp(&mut self, agent: &str, now: u64) {
        self.last.retain(|(a, _)| a != agent);
        self.last.push((agent.to_string(), now));
    }
    /// R18: the chat enters the queue now (its place: now, then arrival),
    /// its wait starting now (R29).
    pub fn enqueue(&mut self, visitor: &str) {
        self.queued.retain(|(v, ..)| v != visitor);
        self.queued.push((visitor.to_string(), self.now, self.now));
    }
    pub fn dequeue(&mut self, visitor: &str) {
        self.queued.retain(|(v, ..)| v != visitor);
    }
    /// R18: by when it entered the queue, then by arrival.
    pub fn queue(&self, s: &MState) -> Vec<String> {
        let mut q: Vec<(u64, usize, String)> = Vec::new();
        for (v, key, _) in &self.queued {
            let arrival = s.visitors.iter().position(|x| &x.id == v).unwrap();
            q.push((*key, arrival, v.clone()));
        }
        q.sort();
        q.into_iter().map(|(_, _, v)| v).collect()
    }
}

/// R17: the group a chat in `own` is served in, or None when no group of the
/// chain has a candidate.
pub fn serving_group(c: &MConfig, s: &MState, own: Option<&str>) -> Option<Option<String>> {
    serving_group_skipping(c, s, own, &[])
}

/// R17 for a chat whose missed list is `skip` (R27).
pub fn serving_group_skipping(c: &MConfig, s: &MState, own: Option<&str>, skip: &[String]) -> Option<Option<String>> {
    let has = |g: Option<&str>| !in_group_skipping(c, s, g, None, skip).is_empty();
    match own {
        None => has(None).then_some(None),
        Some(g) => chain(c, g).into_iter().find(|t| has(Some(t))).map(Some),
    }
}

/// R16: the single agent picked from `cands` (preferred first when present).
pub fn pick(c: &MConfig, s: &MState, r: &MRouting, cands: &[String], preferred: Option<&str>) -> Option<String> {
    use groupgate::Routing;
    if c.policy.routing == Routing::Broadcast || cands.is_empty() {
        return None;
    }
    if preferred.is_some() && cands.first().map(String::as_str) == preferred {
        return cands.first().cloned();
    }
    let mut best: Option<(u32, Option<u64>, String)> = None;
    for a in cands {
        let load = if c.policy.routing == Routing::LeastBusy { s.load(a) } else { 0 };
        let key = (load, r.last(a));
        match &best {
            Some((l, t, _)) if (*l, *t) <= key => {}
            _ => best = Some((key.0, key.1, a.clone())),
        }
    }
    best.map(|(_, _, a)| a)
}

/// Routes (or re-routes) v's unheld chat: R15–R18. Returns the agent picked.
pub fn land(c: &MConfig, s: &mut MState, r: &mut MRouting, visitor: &str, now: u64) -> Option<String> {
    let v = s.visitor(visitor).unwrap().clone();
    let own = effective_of(c, &v);
    let found = serving_group_skipping(c, s, own.as_deref(), &v.missed);
    let group = found.clone().unwrap_or(own.clone());
    if group != own {
        s.visitors.iter_mut().find(|x| x.id == visitor).unwrap().moved = group.clone();
        r.say(note::moved(visitor, own.as_deref(), group.as_deref()));
    }
    let cands = match &found {
        Some(g) => in_group_skipping(c, s, g.as_deref(), v.preferred.as_deref(), &v.missed),
        None => Vec::new(),
    };
    let chosen = pick(c, s, r, &cands, v.preferred.as_deref());
    let token = r.token();
    let x = s.visitors.iter_mut().find(|x| x.id == visitor).unwrap();
    x.has_chat = true;
    x.holder = chosen.clone();
    x.answered = false;
    match &chosen {
        Some(a) => {
            x.token = token;
            r.dequeue(visitor);
            r.stamp(a, now);
            r.say(note::held(visitor, a));
            // R27: a pick is unanswered until answered, within the timeout.
            if let Some(at) = c.policy.answer_timeout.and_then(|t| reachable(now, t)) {
                let cause = MCause::Answer { visitor: visitor.to_string(), holder: a.clone(), token };
                r.set_deadline(at, cause);
            }
        }
        None => {
            r.enqueue(visitor);
            let broadcast = c.policy.routing == groupgate::Routing::Broadcast;
            let offered = if broadcast { cands } else { Vec::new() };
            r.say(note::queued(visitor, group.as_deref(), &offered));
        }
    }
    chosen
}

/// R18: serve the queue under the single-agent strategies.
pub fn serve(c: &MConfig, s: &mut MState, r: &mut MRouting, now: u64) {
    if c.policy.routing == groupgate::Routing::Broadcast {
        return;
    }
    for v in r.queue(s) {
        let x = s.visitor(&v).unwrap().clone();
        let own = effective_of(c, &x);
        let Some(g) = serving_group_skipping(c, s, own.as_deref(), &x.missed) else { continue };
        let cands = in_group_skipping(c, s, g.as_deref(), x.preferred.as_deref(), &x.missed);
        if pick(c, s, r, &cands, x.preferred.as_deref()).is_some() {
            land(c, s, r, &v, now);
        }
    }
}

/// R23's id rules: not empty, at most 64 bytes, no control character (Cc).
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && !id.chars().any(char::is_control)
}

/// R23, every problem of a raw configuration, as codes in the documented
/// order (`invalid_id`, `duplicate_group`, `duplicate_agent`,
/// `unknown_group`, `fallback_cycle`, `no_groups`). Every entry is checked
/// for everything, a repeated or invalid one included.
pub fn problems(raw: &groupgate::ConfigBuilder) -> Vec<&'static str> {
    let mut out = Vec::new();
    // The groups the account has: each valid id, once.
    let mut defined: Vec<&str> = Vec::new();
    for g in &raw.groups {
        if !valid_id(&g.id) {
            out.push("invalid_id");
        } else if defined.contains(&g.id.as_str()) {
            out.push("duplicate_group");
        } else {
            defined.push(&g.id);
        }
    }
    for g in &raw.groups {
        match g.fallback.as_deref() {
            Some(f) if !valid_id(f) => out.push("invalid_id"),
            Some(f) if !defined.contains(&f) => out.push("unknown_group"),
            _ => {}
        }
    }
    let mut agents: Vec<&str> = Vec::new();
    for a in &raw.agents {
        if !valid_id(&a.id) {
            out.push("invalid_id");
        } else if agents.contains(&a.id.as_str()) {
            out.push("duplicate_agent");
        } else {
            agents.push(&a.id);
        }
        let mut listed: Vec<&str> = Vec::new();
        for m in &a.groups {
            if !valid_id(m) {
                out.push("invalid_id");
            } else if listed.contains(&m.as_str()) {
                out.push("duplicate_group");
            } else {
                listed.push(m);
                if !defined.contains(&m.as_str()) {
                    out.push("unknown_group");
                }
            }
        }
        for t in a.tiers.keys() {
            if !valid_id(t) {
                out.push("invalid_id");
            } else if !listed.contains(&t.as_str()) {
                out.push("unknown_group");
            }
        }
    }
    // Each loop once: a group is on a loop when following fallbacks from it
    // comes back to it; the loop is counted at its first group in order.
    let fallback_of = |id: &str| raw.groups.iter().find(|g| g.id == id).and_then(|g| g.fallback.as_deref());
    let on_loop = |start: &str| {
        let mut at = fallback_of(start);
        for _ in 0..defined.len() {
            match at {
                Some(x) if x == start => return true,
                Some(x) if defined.contains(&x) => at = fallback_of(x),
                _ => return false,
            }
        }
        false
    };
    let mut counted: Vec<&str> = Vec::new();
    for &g in &defined {
        if counted.contains(&g) || !on_loop(g) {
            continue;
        }
        let mut at = g;
        loop {
            counted.push(at);
            match fallback_of(at) {
                Some(x) if x != g => at = x,
                _ => break,
            }
        }
        out.push("fallback_cycle");
    }
    if raw.contact_form.group_selection && raw.groups.is_empty() {
        out.push("no_groups");
    }
    let rank = |c: &str| {
        ["invalid_id", "duplicate_group", "duplicate_agent", "unknown_group", "fallback_cycle", "no_groups"]
            .iter()
            .position(|x| *x == c)
    };
    out.sort_by_key(|c| rank(c));
    out
}
