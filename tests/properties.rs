//! Property tests: the real engine against the reference model in
//! `tests/model`, over random accounts and event sequences (R1–R14, R20–R25).
//! `PROPTEST_CASES` scales every property (default 1,000 cases each).

// Test code: helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
mod model;

use common::{AGENTS, GROUPS, VISITORS};
use groupgate::{Account, AgentSpec, Change, GroupId, GroupSpec, Plan};
use model::{MConfig, MState, MVisitor};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Visit(usize, Option<usize>),
    Select(usize, usize),
    Claim(usize, usize),
    Release(usize),
    Leave(usize),
    Prefer(usize, usize),
    SetStatus(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let v = 0..VISITORS.len();
    let a = 0..AGENTS.len();
    let g = 0..GROUPS.len();
    prop_oneof![
        4 => (v.clone(), proptest::option::weighted(0.8, g.clone())).prop_map(|(v, g)| Op::Visit(v, g)),
        2 => (v.clone(), g).prop_map(|(v, g)| Op::Select(v, g)),
        4 => (a.clone(), v.clone()).prop_map(|(a, v)| Op::Claim(a, v)),
        1 => v.clone().prop_map(Op::Release),
        1 => v.clone().prop_map(Op::Leave),
        1 => (v, a.clone()).prop_map(|(v, a)| Op::Prefer(v, a)),
        2 => (a, any::<u8>()).prop_map(|(a, s)| Op::SetStatus(a, s)),
    ]
}

fn gid(i: usize) -> GroupId {
    GROUPS[i].parse().unwrap()
}

/// Applies one event to the engine and the model; returns the engine's result
/// code (or "ok") after checking that the model predicts the same.
fn step(account: &mut Account, c: &MConfig, s: &mut MState, op: &Op) {
    let code = |r: Result<(), String>| r.err().unwrap_or_else(|| "ok".to_string());
    match *op {
        Op::Visit(v, g) => {
            account.visit(VISITORS[v].parse().unwrap(), g.map(gid));
            let tag = g.map(|g| GROUPS[g].to_string());
            match s.visitors.iter_mut().find(|x| x.id == VISITORS[v]) {
                Some(x) => x.tag = tag.or(x.tag.take()),
                None => s.visitors.push(MVisitor { id: VISITORS[v].into(), tag, ..MVisitor::default() }),
            }
        }
        Op::Select(v, g) => {
            let got = code(account.select_group(VISITORS[v], GROUPS[g]).map_err(|e| e.code().into()));
            let want = if s.visitor(VISITORS[v]).is_none() {
                "unknown_visitor"
            } else if c.plan != Plan::Pro || !c.selection {
                "group_selection_disabled"
            } else if !model::form_choices(c, s).contains(&GROUPS[g].to_string()) {
                "group_not_offered"
            } else {
                s.visitors.iter_mut().find(|x| x.id == VISITORS[v]).unwrap().selection = Some(GROUPS[g].into());
                "ok"
            };
            assert_eq!(got, want, "select {op:?}");
        }
        Op::Claim(a, v) => {
            let got = code(account.claim(AGENTS[a], VISITORS[v]).map(|_| ()).map_err(|e| e.code().into()));
            let want = match model::claim_visitor(c, s, AGENTS[a], VISITORS[v]) {
                Ok(_) => {
                    let x = s.visitors.iter_mut().find(|x| x.id == VISITORS[v]).unwrap();
                    x.has_chat = true;
                    x.holder = Some(AGENTS[a].into());
                    "ok"
                }
                Err(code) => code,
            };
            assert_eq!(got, want, "claim {op:?}");
        }
        Op::Release(v) => {
            let got = code(account.release(VISITORS[v]).map_err(|e| e.code().into()));
            let want = match s.visitors.iter_mut().find(|x| x.id == VISITORS[v]) {
                None => "unknown_visitor",
                Some(x) if !x.has_chat => "no_chat",
                Some(x) => {
                    x.has_chat = false;
                    x.holder = None;
                    "ok"
                }
            };
            assert_eq!(got, want, "release {op:?}");
        }
        Op::Leave(v) => {
            let got = code(account.leave(VISITORS[v]).map_err(|e| e.code().into()));
            let before = s.visitors.len();
            s.visitors.retain(|x| x.id != VISITORS[v]);
            assert_eq!(got, if before == s.visitors.len() { "unknown_visitor" } else { "ok" });
        }
        Op::Prefer(v, a) => {
            let got = code(account.prefer_agent(VISITORS[v], AGENTS[a].parse().unwrap()).map_err(|e| e.code().into()));
            let want = match s.visitors.iter_mut().find(|x| x.id == VISITORS[v]) {
                None => "unknown_visitor",
                Some(x) => {
                    x.preferred = Some(AGENTS[a].into());
                    "ok"
                }
            };
            assert_eq!(got, want);
        }
        Op::SetStatus(a, st) => {
            let st = common::status(st);
            let got = code(account.set_status(AGENTS[a], st).map_err(|e| e.code().into()));
            let want = if c.agent(AGENTS[a]).is_some() {
                s.status.retain(|(x, _)| x != AGENTS[a]);
                s.status.push((AGENTS[a].into(), st));
                "ok"
            } else {
                "unknown_agent"
            };
            assert_eq!(got, want);
        }
    }
}

fn strings<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}

/// Every answer of the engine, compared with the model's.
fn compare(account: &Account, c: &MConfig, s: &MState, loaded: &dyn Fn(&str) -> MConfig) {
    for v in VISITORS {
        let Some(mv) = s.visitor(v) else {
            assert!(!account.has_visitor(v));
            assert!(account.visible_agents(v).is_empty());
            continue;
        };
        let eff = account.effective_group(v).unwrap();
        assert_eq!(eff.group().map(|g| g.to_string()), model::effective_of(c, mv), "R2 {v}");
        assert_eq!(strings(account.visible_agents(v)), model::visible_agents(c, mv), "R4-R8 {v}");
        assert_eq!(strings(account.candidates(v).agents()), model::candidates(c, s, mv), "R15 {v}");
        assert_eq!(account.holder(v).map(|h| h.to_string()), mv.holder, "R13 {v}");
        for a in AGENTS {
            let want = model::claim_visitor(c, s, a, v);
            let check = account.can_claim(a, v);
            assert_eq!(check.reason().map(|r| r.code()), want.err(), "R11 {a} {v}");
            let sees = c.agent(a).map(|ma| model::sees(c, ma, model::effective_of(c, mv).as_deref()));
            assert_eq!(account.sees(a, v).is_visible(), sees == Some(Ok(())), "sees {a} {v}");
        }
    }
    for a in AGENTS {
        if c.agent(a).is_none() {
            assert_eq!(account.load(a), None);
            continue;
        }
        assert_eq!(account.load(a), Some(s.load(a)), "R12 load {a}");
        assert_eq!(strings(account.dashboard(a)), model::dashboard(&loaded(a), s, a), "R9 dashboard {a}");
    }
    for page in GROUPS.iter().map(|g| Some(*g)).chain([None]) {
        assert_eq!(account.is_online(page), model::online(c, s, page), "R10 {page:?}");
    }
    assert_eq!(strings(account.form_choices()), model::form_choices(c, s), "R21");
}

proptest! {
    #![proptest_config(common::config_for(common::cases()))]

    /// R2–R8, R10–R15, R21, R22: every answer equals the model's after every event.
    #[test]
    fn events_match_the_model(raw in common::config(), ops in proptest::collection::vec(op(), 0..24)) {
        let config = raw.build().unwrap();
        let c = MConfig::of(&config);
        let mut account = Account::new(config);
        let mut s = MState::default();
        for op in &ops {
            step(&mut account, &c, &mut s, op);
            compare(&account, &c, &s, &|_| c.clone());
        }
    }

    /// R25: the same inputs give byte-identical answers on a second run.
    #[test]
    fn answers_are_deterministic(raw in common::config(), ops in proptest::collection::vec(op(), 0..24)) {
        let run = || {
            let mut account = Account::new(raw.build().unwrap());
            let c = MConfig::of(account.snapshot().config());
            let mut s = MState::default();
            let mut out = String::new();
            for op in &ops {
                step(&mut account, &c, &mut s, op);
                for v in VISITORS {
                    out += &format!("{:?}{:?}{:?}", account.visible_agents(v), account.candidates(v), account.effective_group(v));
                }
                for a in AGENTS {
                    out += &format!("{:?}{:?}", account.dashboard(a), account.can_claim(a, "v0"));
                }
                out += &format!("{:?}{:?}", account.form_choices(), account.queue());
            }
            out
        };
        prop_assert_eq!(run(), run());
    }

    /// R24: a configuration survives serde and the builder, order included.
    #[test]
    fn config_round_trips(raw in common::config()) {
        let config = raw.build().unwrap();
        let json = serde_json::to_string(&config).unwrap();
        let back: groupgate::Config = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &config);
        prop_assert_eq!(&config.to_builder().build().unwrap(), &config);
    }
}

#[derive(Debug, Clone)]
enum ChangeOp {
    Change(Change),
    Refresh(usize),
    Event(Op),
}

fn change() -> impl Strategy<Value = ChangeOp> {
    let a = 0..AGENTS.len();
    let g = 0..GROUPS.len();
    let agent = a.clone().prop_map(|a| AGENTS[a].parse::<groupgate::AgentId>().unwrap());
    let group = g.clone().prop_map(gid);
    let plan = prop_oneof![Just(Plan::Pro), Just(Plan::Free), Just(Plan::Standard)];
    prop_oneof![
        3 => (agent.clone(), group.clone(), any::<u8>())
            .prop_map(|(agent, group, t)| Change::Assign { agent, group, tier: common::tier(t) }),
        3 => (agent.clone(), group.clone()).prop_map(|(agent, group)| Change::Unassign { agent, group }),
        1 => group.clone().prop_map(Change::RemoveGroup),
        1 => (g.clone(), proptest::option::of(g.clone())).prop_map(|(i, f)| {
            let mut spec = GroupSpec::new(GROUPS[i]);
            spec.fallback = f.map(|f| GROUPS[f].to_string());
            Change::AddGroup(spec)
        }),
        1 => agent.clone().prop_map(Change::RemoveAgent),
        1 => (a.clone(), g.clone()).prop_map(|(a, g)| Change::AddAgent(AgentSpec::new(AGENTS[a]).member(GROUPS[g]))),
        2 => (agent.clone(), any::<bool>()).prop_map(|(agent, enabled)| Change::SetEnabled { agent, enabled }),
        1 => plan.prop_map(Change::SetPlan),
        1 => common::policy().prop_map(Change::SetPolicy),
        1 => any::<bool>().prop_map(Change::SetGroupSelection),
        1 => (group.clone(), proptest::option::of(group)).prop_map(|(group, fallback)| Change::SetFallback { group, fallback }),
    ]
    .prop_map(ChangeOp::Change)
    .boxed()
    .prop_union(a.prop_map(ChangeOp::Refresh).boxed())
    .or(op().prop_map(ChangeOp::Event).boxed())
}

proptest! {
    #![proptest_config(common::config_for(common::cases()))]

    /// R9, R14, R24: after random changes, refreshes and events, the refresh
    /// lists, dashboards and availability changes equal the model's; a failed
    /// change leaves the account byte-identical.
    #[test]
    fn changes_match_the_model(raw in common::config(), ops in proptest::collection::vec(change(), 0..24)) {
        let mut account = Account::new(raw.build().unwrap());
        let mut c = MConfig::of(account.snapshot().config());
        let mut s = MState::default();
        let mut loaded: Vec<(String, MConfig)> = c.agents.iter().map(|a| (a.id.clone(), c.clone())).collect();
        for op in &ops {
            match op {
                ChangeOp::Event(e) => step(&mut account, &c, &mut s, e),
                ChangeOp::Refresh(a) => {
                    let ok = account.refresh(AGENTS[*a]).is_ok();
                    prop_assert_eq!(ok, c.agent(AGENTS[*a]).is_some());
                    if ok {
                        loaded.retain(|(x, _)| x != AGENTS[*a]);
                        loaded.push((AGENTS[*a].into(), c.clone()));
                    }
                }
                ChangeOp::Change(ch) => {
                    let before = format!("{account:?}");
                    let copy = account.clone();
                    match account.apply(ch) {
                        Err(_) => {
                            prop_assert_eq!(format!("{account:?}"), before, "R24: failed change changed the account");
                            prop_assert!(account == copy);
                        }
                        Ok(report) => {
                            let new = MConfig::of(account.snapshot().config());
                            let want: Vec<String> = new.agents.iter()
                                .filter(|a| model::needs_refresh(&c, &new, &a.id)).map(|a| a.id.clone()).collect();
                            prop_assert_eq!(strings(report.needs_refresh()), want, "R9 report for {:?}", ch);
                            let pages = pages(&c, &new);
                            let old_online: Vec<bool> = pages.iter().map(|p| model::online(&c, &s, p.as_deref())).collect();
                            requeue(&c, &new, &mut s);
                            let want: Vec<(Option<String>, bool)> = pages.iter().zip(old_online)
                                .filter_map(|(p, was)| {
                                    let now = model::online(&new, &s, p.as_deref());
                                    (now != was).then(|| (p.clone(), now))
                                }).collect();
                            let got: Vec<(Option<String>, bool)> = report.availability().iter()
                                .map(|a| (a.page_group().map(|g| g.to_string()), a.online())).collect();
                            prop_assert_eq!(got, want, "R10 availability for {:?}", ch);
                            for a in &new.agents {
                                if !loaded.iter().any(|(x, _)| *x == a.id) {
                                    loaded.push((a.id.clone(), new.clone()));
                                }
                            }
                            loaded.retain(|(x, _)| new.agent(x).is_some());
                            s.status.retain(|(x, _)| new.agent(x).is_some());
                            c = new;
                        }
                    }
                }
            }
            let loaded_of = |a: &str| loaded.iter().find(|(x, _)| x == a).map(|(_, m)| m.clone()).unwrap();
            let stale: Vec<String> = c.agents.iter()
                .filter(|a| model::needs_refresh(&loaded_of(&a.id), &c, &a.id)).map(|a| a.id.clone()).collect();
            prop_assert_eq!(strings(account.needs_refresh()), stale, "R9 stale agents");
            compare(&account, &c, &s, &loaded_of);
        }
    }
}

/// R14 in the model: chats of removed agents, and of agents disabled by this
/// change, lose their holder and wait in the queue.
fn requeue(old: &MConfig, new: &MConfig, s: &mut MState) {
    for v in &mut s.visitors {
        let Some(h) = v.holder.clone() else { continue };
        let was_enabled = old.agent(&h).is_some_and(|a| a.enabled);
        let gone = match new.agent(&h) {
            None => true,
            Some(a) => was_enabled && !a.enabled,
        };
        if gone {
            v.holder = None;
        }
    }
}

/// The pages a change can affect, in the documented order.
fn pages(old: &MConfig, new: &MConfig) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = new.groups.iter().map(|g| Some(g.id.clone())).collect();
    for g in &old.groups {
        if !new.groups.iter().any(|n| n.id == g.id) {
            out.push(Some(g.id.clone()));
        }
    }
    out.push(None);
    out
}
