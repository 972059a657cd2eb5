//! Running a scenario against the real library, through its public API only.

use std::fmt;

use super::payload::Transfer;
use super::step::Action;
use super::{Scenario, Step};
use crate::{
    Account, AgentId, AgentPatch, Change, ErrorCode, GroupId, GroupPatch, Notice, Saved, ScheduleId, TransferTarget,
};

/// Why a scenario failed: where, the step as written, what was expected and
/// what was found.
///
/// ```
/// let file = r#"{"account": {}, "steps": [{"expect_queue": ["v9"]}]}"#;
/// let failure = serde_json::from_str::<groupgate::scenario::Scenario>(file).unwrap().run().failure.unwrap();
/// assert_eq!((failure.step, failure.expected.as_str(), failure.found.as_str()), (Some(0), r#"["v9"]"#, "[]"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The failing step's index (0-based); `None` for the account itself.
    pub step: Option<usize>,
    /// The failing step as written.
    pub written: Option<Step>,
    /// What the scenario expected.
    pub expected: String,
    /// What the library answered.
    pub found: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.step, &self.written) {
            (Some(i), Some(step)) => write!(f, "step {i} (`{}`): ", step.action.key())?,
            _ => f.write_str("account: ")?,
        }
        write!(f, "expected {}, found {}", self.expected, self.found)
    }
}

/// The result of [`Scenario::run`].
///
/// ```
/// let file = r#"{"account": {}, "steps": [{"expect_queue": []}]}"#;
/// assert!(serde_json::from_str::<groupgate::scenario::Scenario>(file).unwrap().run().passed());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The first failure; `None` when every step held.
    pub failure: Option<Failure>,
}

impl Report {
    /// Whether every step held.
    ///
    /// ```
    /// let file = r#"{"account": {}, "steps": [{"expect_queue": ["v1"]}]}"#;
    /// assert!(!serde_json::from_str::<groupgate::scenario::Scenario>(file).unwrap().run().passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// A mismatch inside one step: (expected, found).
type Mismatch = (String, String);

impl Scenario {
    /// Runs the scenario: builds the account, then every step in order, step
    /// `i` at clock `i`; stops at the first step that does not hold.
    ///
    /// ```
    /// let file = r#"{"account": {"contact_form": {"group_selection": true}}, "expect_invalid": ["no_groups"]}"#;
    /// assert!(serde_json::from_str::<groupgate::scenario::Scenario>(file).unwrap().run().passed());
    /// ```
    pub fn run(&self) -> Report {
        self.run_saving_through(|saved| Ok(saved.clone()))
    }

    /// [`run`](Self::run), with `save_and_load` steps passing the saved
    /// account (R32) through `through` — writing it as JSON text and reading
    /// it back, say — before loading it. An error from `through` fails the
    /// step with its message.
    ///
    /// ```
    /// let file = r#"{"account": {"agents": [{"id": "anna"}]},
    ///   "steps": [{"visit": {"visitor": "v1"}}, {"save_and_load": true}, {"expect_visible": {"visitor": "v1", "agents": ["anna"]}}]}"#;
    /// let scenario: groupgate::scenario::Scenario = serde_json::from_str(file).unwrap();
    /// let through_json = |saved: &groupgate::Saved| {
    ///     let text = serde_json::to_string(saved).map_err(|e| e.to_string())?;
    ///     serde_json::from_str(&text).map_err(|e| e.to_string())
    /// };
    /// assert!(scenario.run_saving_through(through_json).passed());
    /// ```
    pub fn run_saving_through(&self, through: impl Fn(&Saved) -> Result<Saved, String>) -> Report {
        self.run_traced(through, |_| {})
    }

    /// [`run_saving_through`](Self::run_saving_through), calling `each`
    /// after every step that ran — the failing one included — with the
    /// step, the account as it left it, and the notices it produced (the
    /// deadlines due before it included; none for an expectation or a
    /// failed step): the story of a scenario, and the account to explain a
    /// failure with.
    ///
    /// ```
    /// let file = r#"{"account": {"agents": [{"id": "anna"}]},
    ///   "steps": [{"visit": {"visitor": "v1"}}, {"claim": {"agent": "anna", "visitor": "v1"}}, {"expect_holder": {"visitor": "v1", "agent": "bob"}}]}"#;
    /// let scenario: groupgate::scenario::Scenario = serde_json::from_str(file).unwrap();
    /// let mut told = Vec::new();
    /// let report = scenario.run_traced(|s| Ok(s.clone()), |t| told.push((t.index, t.notices.len(), t.account.holder("v1").is_some())));
    /// assert_eq!(told, [(0, 0, false), (1, 1, true), (2, 0, true)]);
    /// assert_eq!(report.failure.unwrap().step, Some(2));
    /// ```
    pub fn run_traced(
        &self,
        through: impl Fn(&Saved) -> Result<Saved, String>,
        mut each: impl FnMut(&Traced<'_>),
    ) -> Report {
        let fail = |step: Option<usize>, (expected, found): Mismatch| Report {
            failure: Some(Failure { step, written: step.and_then(|i| self.steps.get(i).cloned()), expected, found }),
        };
        let mut account = match (self.account.builder().build(), &self.expect_invalid) {
            (Err(e), Some(codes)) => {
                let (mut want, mut got): (Vec<&str>, Vec<&str>) =
                    (codes.iter().map(String::as_str).collect(), e.codes().collect());
                for list in [&mut want, &mut got] {
                    list.sort_unstable();
                    list.dedup();
                }
                return if want == got {
                    Report { failure: None }
                } else {
                    fail(None, (list(&want), format!("{} ({e})", list(&got))))
                };
            }
            (Err(e), None) => return fail(None, ("a valid account".into(), e.to_string())),
            (Ok(_), Some(codes)) => {
                return fail(None, (format!("invalid with {}", list(codes)), "a valid account".into()));
            }
            (Ok(config), None) => Account::new_at(config, self.account.start.0),
        };
        let start = account.clock();
        for agent in &self.account.agents {
            // Every agent exists: the configuration was built from this list.
            let _ = account.set_status(&agent.id, agent.status);
        }
        // The notices of the steps since the last `expect_notices` (R31);
        // the statuses set above belong to no step.
        let mut notices: Vec<Notice> = Vec::new();
        let mut advanced: u64 = 0;
        for (i, step) in self.steps.iter().enumerate() {
            // R26: step i runs at start + i + the advances of steps 0 to i;
            // the deadlines due by then belong to it, and stand even if it
            // fails.
            if let Action::Advance(ms) = step.action {
                advanced = advanced.saturating_add(ms);
            }
            let at = start.saturating_add(u64::try_from(i).unwrap_or(u64::MAX)).saturating_add(advanced);
            if let Err(e) = account.advance(at) {
                return fail(Some(i), ("the clock to advance".into(), format!("error `{}`", e.code())));
            }
            let mark = notices.len();
            notices.extend(account.notices());
            let result = if let Action::SaveAndLoad(save) = &step.action {
                save_and_load(&mut account, *save, &through)
            } else {
                run_step(&mut account, step, &mut notices)
            };
            let produced = if result.is_ok() { notices.get(mark..).unwrap_or(&[]) } else { &[] };
            each(&Traced { index: i, step, account: &account, notices: produced });
            if let Err(mismatch) = result {
                return fail(Some(i), mismatch);
            }
        }
        Report { failure: None }
    }
}

/// One step as [`Scenario::run_traced`] reports it.
#[derive(Debug)]
pub struct Traced<'a> {
    /// The step's index (0-based).
    pub index: usize,
    /// The step as written.
    pub step: &'a Step,
    /// The account after the step.
    pub account: &'a Account,
    /// What the step produced (R31), the deadlines due before it included.
    pub notices: &'a [Notice],
}

fn run_step(account: &mut Account, step: &Step, notices: &mut Vec<Notice>) -> Result<(), Mismatch> {
    let before = step.expect_error.as_ref().map(|_| account.clone());
    let result = match run_action(account, &step.action, notices) {
        Ran::Checked(check) => return check,
        Ran::Done(result) => result.map(|()| notices.extend(account.notices())),
        Ran::Said(result) => result.map(|said| notices.extend(said)),
    };
    match (&step.expect_error, result) {
        (None, Ok(())) => Ok(()),
        (None, Err(code)) => Err(("success".into(), format!("error `{code}`"))),
        (Some(want), Ok(())) => Err((format!("error `{want}`"), "success".into())),
        (Some(want), Err(code)) if *want != code => Err((format!("error `{want}`"), format!("error `{code}`"))),
        (Some(_), Err(_)) if before.as_ref() != Some(account) => {
            Err(("a failed step to change nothing".into(), "a changed account".into()))
        }
        (Some(_), Err(_)) => Ok(()),
    }
}

/// `save_and_load` (R32): the account saved, passed `through`, loaded; it
/// must equal the one saved and replaces it. No notices.
fn save_and_load(
    account: &mut Account,
    save: bool,
    through: &impl Fn(&Saved) -> Result<Saved, String>,
) -> Result<(), Mismatch> {
    if !save {
        return Ok(());
    }
    let saved = through(&account.save()).map_err(|e| ("the saved account to read back".to_string(), e))?;
    let loaded = Account::from_saved(saved).map_err(|e| ("the saved account to load".to_string(), e.to_string()))?;
    if loaded != *account {
        return Err(("the loaded account to equal the saved one".into(), "a different account".into()));
    }
    *account = loaded;
    Ok(())
}

/// What running one action gave.
enum Ran {
    /// An event or a change: success (its notices are the account's), or
    /// the code it failed with.
    Done(Result<(), String>),
    /// A step made of several calls: the notices they gave together, or
    /// the code it failed with.
    Said(Result<Vec<Notice>, String>),
    /// An expectation: held, or (expected, found).
    Checked(Result<(), Mismatch>),
}

/// Every action, each named once: no arm for "the others".
fn run_action(account: &mut Account, action: &Action, notices: &mut Vec<Notice>) -> Ran {
    use Ran::{Checked, Done};
    // An event or change that succeeded says what it did.

    let agent = |id: &str, account: &Account| {
        lookup::<AgentId>(id)
            .filter(|a| account.snapshot().has_agent(a.as_str()))
            .ok_or_else(|| "unknown_agent".to_string())
    };
    let group = |id: &str| lookup::<GroupId>(id).ok_or_else(|| "unknown_group".to_string());
    match action {
        Action::Visit(v) => Done(visit(account, v)),
        Action::SelectGroup(s) => Done(looked_up(
            account.select_group(&s.visitor, &s.group).map_err(code),
            &[(&s.visitor, "unknown_visitor"), (&s.group, "group_not_offered")],
        )),
        Action::PreferAgent(p) => Done(prefer_agent(account, &p.visitor, &p.agent)),
        Action::Claim(c) => Done(looked_up(
            account.claim(&c.agent, &c.visitor).map(drop).map_err(code),
            &[(&c.agent, "unknown_agent"), (&c.visitor, "unknown_visitor")],
        )),
        Action::Route(r) => {
            Done(looked_up(account.route(&r.visitor).map(drop).map_err(code), &[(&r.visitor, "unknown_visitor")]))
        }
        Action::Release(r) => {
            Done(looked_up(account.release(&r.visitor).map_err(code), &[(&r.visitor, "unknown_visitor")]))
        }
        Action::Transfer(t) => Done(transfer(account, t)),
        Action::Leave(l) => {
            Done(looked_up(account.leave(&l.visitor).map_err(code), &[(&l.visitor, "unknown_visitor")]))
        }
        Action::SetStatus(s) => {
            Done(looked_up(account.set_status(&s.agent, s.status).map_err(code), &[(&s.agent, "unknown_agent")]))
        }
        Action::Refresh(r) => Done(looked_up(account.refresh(&r.agent).map_err(code), &[(&r.agent, "unknown_agent")])),
        // Run by `Scenario::run_saving_through` itself, which has the codec.
        Action::SaveAndLoad(_) => Done(Ok(())),
        Action::Answer(a) => {
            Done(looked_up(account.answer(&a.visitor).map_err(code), &[(&a.visitor, "unknown_visitor")]))
        }
        Action::Decline(d) => {
            Done(looked_up(account.decline(&d.visitor).map_err(code), &[(&d.visitor, "unknown_visitor")]))
        }
        // The runner advanced the clock before the step (R26).
        Action::Advance(_) => Ran::Said(Ok(Vec::new())),
        Action::AddGroup(g) => Done(apply(account, Ok(Change::AddGroup(g.clone())))),
        Action::RemoveGroup(g) => Done(apply(account, group(&g.group).map(Change::RemoveGroup))),
        Action::AddAgent(a) => Ran::Said(add_agent(account, a)),
        Action::RemoveAgent(a) => Done(apply(account, agent(&a.agent, account).map(Change::RemoveAgent))),
        Action::Assign(a) => {
            let change = agent(&a.agent, account)
                .and_then(|agent| Ok(Change::Assign { agent, group: group(&a.group)?, tier: a.tier }));
            Done(apply(account, change))
        }
        Action::Unassign(u) => {
            let change =
                agent(&u.agent, account).and_then(|agent| Ok(Change::Unassign { agent, group: group(&u.group)? }));
            // The format names this failure `not_in_group`; the library's
            // own code is `not_a_member`, since a claim's `not_in_group`
            // means something else.
            Done(apply(account, change).map_err(|c| if c == "not_a_member" { "not_in_group".into() } else { c }))
        }
        Action::SetEnabled(s) => {
            let change = agent(&s.agent, account).map(|agent| Change::SetEnabled { agent, enabled: s.enabled });
            Done(apply(account, change))
        }
        Action::SetPlan(p) => Done(apply(account, Ok(Change::SetPlan(*p)))),
        Action::SetPolicy(p) => Done(apply(account, Ok(Change::UpdatePolicy(*p)))),
        Action::SetGroupSelection(on) => Done(apply(account, Ok(Change::SetGroupSelection(*on)))),
        Action::UpdateGroup(u) => {
            let patch = GroupPatch {
                name: u.name.clone(),
                in_contact_form: u.in_contact_form,
                fallback: u.fallback.clone(),
                chat_limit: u.chat_limit,
                overflow_after: u.overflow_after,
                schedule: u.schedule.clone(),
            };
            Done(apply(account, group(&u.group).map(|group| Change::UpdateGroup { group, patch })))
        }
        Action::SetSchedule(spec) => Done(apply(account, Ok(Change::SetSchedule(spec.clone())))),
        Action::RemoveSchedule(r) => {
            let id = lookup::<ScheduleId>(&r.schedule).ok_or_else(|| "unknown_schedule".to_string());
            Done(apply(account, id.map(Change::RemoveSchedule)))
        }
        Action::UpdateAgent(u) => {
            let patch = AgentPatch { role: u.role, chat_limit: u.chat_limit };
            Done(apply(account, agent(&u.agent, account).map(|agent| Change::UpdateAgent { agent, patch })))
        }
        Action::ExpectGroup(e) => Checked(visitor_exists(account, &e.visitor).and_then(|()| {
            let found = account.effective_group(&e.visitor).and_then(|g| g.group().map(ToString::to_string));
            same(e.group.clone(), found, |g| opt(g.as_deref()))
        })),
        Action::ExpectVisible(e) => Checked(
            visitor_exists(account, &e.visitor)
                .and_then(|()| lists(&e.agents, names(account.visible_agents(&e.visitor)))),
        ),
        Action::ExpectDashboard(e) => Checked(
            agent_exists(account, &e.agent).and_then(|()| lists(&e.visitors, names(account.dashboard(&e.agent)))),
        ),
        Action::ExpectClaim(e) => {
            let found = account.can_claim(&e.agent, &e.visitor).reason().map(|r| r.code().to_string());
            Checked(same(e.reason.clone(), found, |r| {
                r.as_ref().map_or_else(|| "allowed".into(), |r| format!("refused: `{r}`"))
            }))
        }
        Action::ExpectHolder(e) => Checked(visitor_exists(account, &e.visitor).and_then(|()| {
            same(e.agent.clone(), account.holder(&e.visitor).map(ToString::to_string), |h| opt(h.as_deref()))
        })),
        Action::ExpectCandidates(e) => Checked(
            visitor_exists(account, &e.visitor)
                .and_then(|()| lists(&e.agents, names(account.candidates(&e.visitor).agents()))),
        ),
        Action::ExpectQueue(q) => Checked(lists(q, names(account.queue()))),
        Action::ExpectOnline(e) => {
            let show = |on: &bool| if *on { "online".to_string() } else { "offline".to_string() };
            Checked(same(e.online, account.is_online(e.page_group.as_deref()), show))
        }
        Action::ExpectFormChoices(c) => Checked(lists(c, names(account.form_choices()))),
        Action::ExpectNeedsRefresh(n) => Checked(lists(n, names(account.needs_refresh()))),
        Action::ExpectLoad(e) => Checked(agent_exists(account, &e.agent).and_then(|()| {
            same(Some(e.chats), account.load(&e.agent), |n| n.map_or_else(|| "none".into(), |n| n.to_string()))
        })),
        Action::ExpectOnlineFor(e) => {
            let show = |on: &bool| if *on { "online".to_string() } else { "offline".to_string() };
            Checked(
                visitor_exists(account, &e.visitor)
                    .and_then(|()| same(e.online, account.is_online_for(&e.visitor), show)),
            )
        }
        Action::ExpectChat(e) => Checked(visitor_exists(account, &e.visitor).and_then(|()| {
            let v = account.visitor(&e.visitor);
            let found = (
                v.as_ref().and_then(|v| v.holder().map(ToString::to_string)),
                v.as_ref().is_some_and(|v| v.queued()),
                v.as_ref().is_some_and(|v| v.answered()),
                v.as_ref().map(|v| names(v.missed())).unwrap_or_default(),
            );
            let want = (e.holder.clone(), e.queued, e.answered, e.missed.clone());
            same(want, found, |(h, q, a, m)| {
                format!("holder {}, queued {q}, answered {a}, missed {}", opt(h.as_deref()), list(m))
            })
        })),
        Action::ExpectStatus(e) => Checked(agent_exists(account, &e.agent).and_then(|()| {
            same(Some(e.status), account.status(&e.agent), |s| s.map_or_else(|| "none".into(), |s| s.to_string()))
        })),
        Action::ExpectOpen(e) => Checked(group_hours(account, &e.group).and_then(|h| {
            let show = |open: &bool| if *open { "open".to_string() } else { "closed".to_string() };
            same(e.open, h.open(), show)
        })),
        Action::ExpectNextChange(e) => Checked(group_hours(account, &e.group).and_then(|h| {
            let found = h.next_change().map(super::Instant);
            same(e.at, found, |i| i.map_or_else(|| "null".into(), |i| i.to_string()))
        })),
        Action::ExpectNextDeadline(want) => {
            let found = account.next_deadline().map(super::Instant);
            Checked(same(*want, found, |i| i.map_or_else(|| "null".into(), |i| i.to_string())))
        }
        Action::ExpectNotices(want) => {
            let found = std::mem::take(notices);
            let show =
                |n: &Vec<Notice>| format!("[{}]", n.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
            Checked(same(want.clone(), found, show))
        }
    }
}

/// A group's business hours, or the mismatch of a group that does not exist.
fn group_hours(account: &Account, group: &str) -> Result<crate::GroupHours, Mismatch> {
    account.group_hours(group).ok_or_else(|| (format!("group `{group}` to exist"), "no such group".into()))
}

/// The code of a failed event or change.
fn code(e: impl ErrorCode) -> String {
    e.code().to_string()
}

/// The format does not check ids a step only looks up: one that cannot be
/// an id is simply unknown. The library says `invalid_id` for it, at the
/// first such field in the order it checks them (the fields' order), so that
/// field's unknown code replaces it.
fn looked_up(result: Result<(), String>, fields: &[(&str, &'static str)]) -> Result<(), String> {
    match result {
        Err(code) if code == "invalid_id" => {
            let unknown = fields.iter().find(|(id, _)| crate::check_id(id).is_err()).map(|(_, code)| *code);
            Err(unknown.map_or(code, str::to_string))
        }
        other => other,
    }
}

/// Parses an id a step only looks up; `None` for one that cannot exist.
fn lookup<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.parse().ok()
}

/// `visit` stores its ids: ones that break R23 are `invalid_id`, as the
/// library says.
fn visit(account: &mut Account, v: &super::Visit) -> Result<(), String> {
    account.visit(&v.visitor, v.page_group.as_deref()).map(drop).map_err(code)
}

/// `prefer_agent` naming an agent the configuration lacks is `unknown_agent`.
fn prefer_agent(account: &mut Account, visitor: &str, agent: &str) -> Result<(), String> {
    if !account.has_visitor(visitor) {
        return Err("unknown_visitor".into());
    }
    if !account.snapshot().has_agent(agent) {
        return Err("unknown_agent".into());
    }
    account.prefer_agent(visitor, agent).map_err(code)
}

/// R19: an id that cannot exist is unknown, after the visitor and held checks.
fn transfer(account: &mut Account, t: &Transfer) -> Result<(), String> {
    let (visitor, target, unknown) = match t {
        Transfer::ToGroup { visitor, group } => {
            (visitor, lookup::<GroupId>(group).map(TransferTarget::Group), "unknown_group")
        }
        Transfer::ToAgent { visitor, agent } => {
            (visitor, lookup::<AgentId>(agent).map(TransferTarget::Agent), "unknown_agent")
        }
    };
    match target {
        Some(target) => account.transfer(visitor, &target).map(drop).map_err(code),
        None if !account.has_visitor(visitor) => Err("unknown_visitor".into()),
        None if account.holder(visitor).is_none() => Err("no_chat".into()),
        None => Err(unknown.into()),
    }
}

/// A configuration change whose ids were looked up (in field order).
fn apply(account: &mut Account, change: Result<Change, String>) -> Result<(), String> {
    account.apply(&change?).map(drop).map_err(code)
}

/// `add_agent`: the change, then the agent's status, as one step (R31): the
/// change's notices, then the status's (the queue it serves, the pages it
/// brings online), then the change's refresh list.
fn add_agent(account: &mut Account, a: &super::AgentFile) -> Result<Vec<Notice>, String> {
    apply(account, Ok(Change::AddAgent(a.spec())))?;
    let (mut said, refresh): (Vec<Notice>, Vec<Notice>) =
        account.notices().into_iter().partition(|n| !matches!(n, Notice::RefreshNeeded { .. }));
    account.set_status(&a.id, a.status).map_err(code)?;
    said.extend(account.notices());
    said.extend(refresh);
    Ok(said)
}

fn visitor_exists(account: &Account, v: &str) -> Result<(), Mismatch> {
    if account.has_visitor(v) {
        Ok(())
    } else {
        Err((format!("visitor {v:?} on the site"), "no such visitor".to_string()))
    }
}

fn agent_exists(account: &Account, a: &str) -> Result<(), Mismatch> {
    if account.snapshot().has_agent(a) {
        Ok(())
    } else {
        Err((format!("agent {a:?} in the configuration"), "no such agent".to_string()))
    }
}

fn lists(want: &[String], got: Vec<String>) -> Result<(), Mismatch> {
    same(want.to_vec(), got, |l| list(l))
}

/// Formats a list the way the format writes it: `["a", "b"]`.
fn list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{:?}", s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

fn opt<S: AsRef<str>>(item: Option<S>) -> String {
    item.map_or_else(|| "null".into(), |s| format!("{:?}", s.as_ref()))
}

fn same<T: PartialEq>(expected: T, found: T, show: impl Fn(&T) -> String) -> Result<(), Mismatch> {
    if expected == found { Ok(()) } else { Err((show(&expected), show(&found))) }
}

fn names<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}
