//! Running a scenario against the real library, through its public API only.

use std::fmt;

use crate::step::{Action, Expectation};
use crate::{Scenario, Step};
use groupgate::{Account, ErrorCode, Event, Notice, Saved};

/// Why a scenario failed: where, the step as written, what was expected and
/// what was found.
///
/// ```
/// let file = r#"{"account": {}, "steps": [{"expect_queue": ["v9"]}]}"#;
/// let failure = serde_json::from_str::<groupgate_scenario::Scenario>(file).unwrap().run().failure.unwrap();
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
/// assert!(serde_json::from_str::<groupgate_scenario::Scenario>(file).unwrap().run().passed());
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
    /// assert!(!serde_json::from_str::<groupgate_scenario::Scenario>(file).unwrap().run().passed());
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
    /// assert!(serde_json::from_str::<groupgate_scenario::Scenario>(file).unwrap().run().passed());
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
    /// let scenario: groupgate_scenario::Scenario = serde_json::from_str(file).unwrap();
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
    /// let scenario: groupgate_scenario::Scenario = serde_json::from_str(file).unwrap();
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
            (Ok(config), None) => Account::new(config, self.account.start.0),
        };
        let start = account.clock();
        for agent in &self.account.agents {
            // Every agent exists: the configuration was built from this list.
            let _ = account.set_status(&agent.agent.id, agent.status);
        }
        // The notices of the steps since the last `expect_notices` (R31);
        // the statuses set above belong to no step.
        let mut notices: Vec<Notice> = Vec::new();
        let mut advanced: u64 = 0;
        for (i, step) in self.steps.iter().enumerate() {
            // R26: step i runs at start + i + the advances of steps 0 to i;
            // the deadlines due by then belong to it, and stand even if it
            // fails.
            if let Action::Event(Event::AdvanceBy(ms)) = step.action {
                advanced = advanced.saturating_add(ms);
            }
            let at = start.saturating_add(u64::try_from(i).unwrap_or(u64::MAX)).saturating_add(advanced);
            if let Err(e) = account.advance_to(at) {
                return fail(Some(i), ("the clock to advance".into(), format!("error `{}`", e.code())));
            }
            let mark = notices.len();
            notices.extend(self.compared(&account));
            let result = if let Action::SaveAndLoad(save) = &step.action {
                save_and_load(&mut account, *save, &through)
            } else {
                run_step(&mut account, step, &mut notices, |a| self.compared(a))
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

impl Scenario {
    /// The notices of the account's last call that this file compares
    /// (R31): without their instants, and without the visitor notices
    /// unless the file asks for them.
    fn compared(&self, account: &Account) -> Vec<Notice> {
        let notices = account.notices().into_iter().map(|n| n.notice);
        notices.filter(|n| self.visitor_notices || !n.about_visitor()).collect()
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

fn run_step(
    account: &mut Account,
    step: &Step,
    notices: &mut Vec<Notice>,
    compared: impl Fn(&Account) -> Vec<Notice>,
) -> Result<(), Mismatch> {
    let before = step.expect_error.as_ref().map(|_| account.clone());
    let result = match run_action(account, &step.action, notices, compared) {
        Ran::Checked(check) => return check,
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
    /// An event or a change: its notices, or the code it failed with.
    Said(Result<Vec<Notice>, String>),
    /// An expectation: held, or (expected, found).
    Checked(Result<(), Mismatch>),
}

/// Every action: an event is the library's, applied as it is; an
/// expectation is checked here, each named once.
fn run_action(
    account: &mut Account,
    action: &Action,
    notices: &mut Vec<Notice>,
    compared: impl Fn(&Account) -> Vec<Notice>,
) -> Ran {
    use Ran::Checked;
    let expectation = match action {
        // The runner advanced the clock before the step (R26).
        Action::Event(Event::AdvanceBy(_)) => return Ran::Said(Ok(Vec::new())),
        Action::Event(event) => {
            return Ran::Said(match account.apply_event(event) {
                Ok(_) => Ok(compared(account)),
                Err(e) => Err(e.code().to_string()),
            });
        }
        // Run by `Scenario::run_saving_through` itself, which has the codec.
        Action::SaveAndLoad(_) => return Ran::Said(Ok(Vec::new())),
        Action::Expect(e) => e,
    };
    match expectation {
        Expectation::ExpectGroup(e) => Checked(visitor_exists(account, &e.visitor).and_then(|()| {
            let found = account.effective_group(&e.visitor).and_then(|g| g.group().map(ToString::to_string));
            same(e.group.clone(), found, |g| opt(g.as_deref()))
        })),
        Expectation::ExpectVisible(e) => Checked(
            visitor_exists(account, &e.visitor)
                .and_then(|()| lists(&e.agents, names(account.visible_agents(&e.visitor)))),
        ),
        Expectation::ExpectDashboard(e) => Checked(
            agent_exists(account, &e.agent).and_then(|()| lists(&e.visitors, names(account.dashboard(&e.agent)))),
        ),
        Expectation::ExpectClaim(e) => {
            let found = account.can_claim(&e.agent, &e.visitor).reason().map(|r| r.code().to_string());
            Checked(same(e.reason.clone(), found, |r| {
                r.as_ref().map_or_else(|| "allowed".into(), |r| format!("refused: `{r}`"))
            }))
        }
        Expectation::ExpectHolder(e) => Checked(visitor_exists(account, &e.visitor).and_then(|()| {
            same(e.agent.clone(), account.holder(&e.visitor).map(ToString::to_string), |h| opt(h.as_deref()))
        })),
        Expectation::ExpectCandidates(e) => Checked(
            visitor_exists(account, &e.visitor)
                .and_then(|()| lists(&e.agents, names(account.candidates(&e.visitor).agents()))),
        ),
        Expectation::ExpectQueue(q) => Checked(lists(q, names(account.queue()))),
        Expectation::ExpectOnline(e) => {
            let show = |on: &bool| if *on { "online".to_string() } else { "offline".to_string() };
            Checked(same(e.online, account.is_online(e.page_group.as_deref()), show))
        }
        Expectation::ExpectFormChoices(c) => Checked(lists(c, names(account.form_choices()))),
        Expectation::ExpectNeedsRefresh(n) => Checked(lists(n, names(account.needs_refresh()))),
        Expectation::ExpectLoad(e) => Checked(agent_exists(account, &e.agent).and_then(|()| {
            same(Some(e.chats), account.load(&e.agent), |n| n.map_or_else(|| "none".into(), |n| n.to_string()))
        })),
        Expectation::ExpectOnlineFor(e) => {
            let show = |on: &bool| if *on { "online".to_string() } else { "offline".to_string() };
            Checked(
                visitor_exists(account, &e.visitor)
                    .and_then(|()| same(e.online, account.is_online_for(&e.visitor), show)),
            )
        }
        Expectation::ExpectChat(e) => Checked(visitor_exists(account, &e.visitor).and_then(|()| {
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
        Expectation::ExpectStatus(e) => Checked(agent_exists(account, &e.agent).and_then(|()| {
            same(Some(e.status), account.status(&e.agent), |s| s.map_or_else(|| "none".into(), |s| s.to_string()))
        })),
        Expectation::ExpectOpen(e) => Checked(group_hours(account, &e.group).and_then(|h| {
            let show = |open: &bool| if *open { "open".to_string() } else { "closed".to_string() };
            same(e.open, h.open(), show)
        })),
        Expectation::ExpectNextChange(e) => Checked(group_hours(account, &e.group).and_then(|h| {
            let found = h.next_change().map(crate::Instant);
            same(e.at, found, |i| i.map_or_else(|| "null".into(), |i| i.to_string()))
        })),
        Expectation::ExpectNextDeadline(want) => {
            let found = account.next_deadline().map(crate::Instant);
            Checked(same(*want, found, |i| i.map_or_else(|| "null".into(), |i| i.to_string())))
        }
        Expectation::ExpectNotices(want) => {
            let found = std::mem::take(notices);
            let show =
                |n: &Vec<Notice>| format!("[{}]", n.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
            Checked(same(want.clone(), found, show))
        }
    }
}

/// A group's business hours, or the mismatch of a group that does not exist.
fn group_hours(account: &Account, group: &str) -> Result<groupgate::GroupHours, Mismatch> {
    account.group_hours(group).ok_or_else(|| (format!("group `{group}` to exist"), "no such group".into()))
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
