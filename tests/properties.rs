//! Property tests: the real engine against the reference model in
//! `tests/model`, over random accounts and event sequences (R1–R25).
//! `PROPTEST_CASES` scales every property (default 1,000 cases each).

// Test code: helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
mod model;

use common::{AGENTS, GROUPS, VISITORS};
use groupgate::{Account, AgentSpec, Change, GroupId, GroupSpec, Plan, TransferTarget};
use model::{MConfig, MRouting, MState, MVisitor};
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
    Route(usize),
    TransferGroup(usize, usize),
    TransferAgent(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let v = 0..VISITORS.len();
    let a = 0..AGENTS.len();
    let g = 0..GROUPS.len();
    prop_oneof![
        4 => (v.clone(), proptest::option::weighted(0.8, g.clone())).prop_map(|(v, g)| Op::Visit(v, g)),
        2 => (v.clone(), g.clone()).prop_map(|(v, g)| Op::Select(v, g)),
        4 => (a.clone(), v.clone()).prop_map(|(a, v)| Op::Claim(a, v)),
        1 => v.clone().prop_map(Op::Release),
        1 => v.clone().prop_map(Op::Leave),
        1 => (v.clone(), a.clone()).prop_map(|(v, a)| Op::Prefer(v, a)),
        2 => (a.clone(), any::<u8>()).prop_map(|(a, s)| Op::SetStatus(a, s)),
        4 => v.clone().prop_map(Op::Route),
        1 => (v.clone(), g.clone()).prop_map(|(v, g)| Op::TransferGroup(v, g)),
        1 => (v, a).prop_map(|(v, a)| Op::TransferAgent(v, a)),
    ]
}

fn gid(i: usize) -> GroupId {
    GROUPS[i].parse().unwrap()
}

/// The model's side of one account: configuration, live state, routing state.
#[derive(Debug, Clone)]
struct World {
    c: MConfig,
    s: MState,
    r: MRouting,
}

/// Applies one event to the engine and the model and checks that both give
/// the same result code ("ok" for success). Every step runs at clock `now`.
fn step(account: &mut Account, w: &mut World, now: u64, op: &Op) {
    account.set_clock(now);
    let got = engine(account, op);
    let want = model_step(w, now, op);
    assert_eq!(got, want, "{op:?}");
    model::serve(&w.c, &mut w.s, &mut w.r, now);
}

fn engine(account: &mut Account, op: &Op) -> String {
    fn code<T, E: Into<String>>(r: Result<T, E>) -> String {
        r.map(|_| "ok".to_string()).unwrap_or_else(Into::into)
    }
    match *op {
        Op::Visit(v, g) => {
            account.visit(VISITORS[v].parse().unwrap(), g.map(gid));
            "ok".into()
        }
        Op::Select(v, g) => code(account.select_group(VISITORS[v], GROUPS[g]).map_err(|e| e.code())),
        Op::Claim(a, v) => code(account.claim(AGENTS[a], VISITORS[v]).map_err(|e| e.code())),
        Op::Release(v) => code(account.release(VISITORS[v]).map_err(|e| e.code())),
        Op::Leave(v) => code(account.leave(VISITORS[v]).map_err(|e| e.code())),
        Op::Prefer(v, a) => code(account.prefer_agent(VISITORS[v], AGENTS[a].parse().unwrap()).map_err(|e| e.code())),
        Op::SetStatus(a, st) => code(account.set_status(AGENTS[a], common::status(st)).map_err(|e| e.code())),
        Op::Route(v) => code(account.route(VISITORS[v]).map_err(|e| e.code())),
        Op::TransferGroup(v, g) => {
            code(account.transfer(VISITORS[v], &TransferTarget::Group(gid(g))).map_err(|e| e.code()))
        }
        Op::TransferAgent(v, a) => {
            let to = TransferTarget::Agent(AGENTS[a].parse().unwrap());
            code(account.transfer(VISITORS[v], &to).map_err(|e| e.code()))
        }
    }
}

fn visitor(s: &mut MState, v: usize) -> Option<&mut MVisitor> {
    s.visitors.iter_mut().find(|x| x.id == VISITORS[v])
}

/// The model's answer to one event, applying it when it succeeds.
fn model_step(w: &mut World, now: u64, op: &Op) -> String {
    let World { c, s, r } = w;
    let ok = "ok".to_string();
    match *op {
        Op::Visit(v, g) => {
            let tag = g.map(|g| GROUPS[g].to_string());
            match visitor(s, v) {
                Some(x) => x.tag = tag.or(x.tag.take()),
                None => s.visitors.push(MVisitor { id: VISITORS[v].into(), tag, ..MVisitor::default() }),
            }
            ok
        }
        Op::Select(v, g) => {
            if s.visitor(VISITORS[v]).is_none() {
                "unknown_visitor".into()
            } else if c.plan != Plan::Pro || !c.selection {
                "group_selection_disabled".into()
            } else if !model::form_choices(c, s).contains(&GROUPS[g].to_string()) {
                "group_not_offered".into()
            } else {
                visitor(s, v).unwrap().selection = Some(GROUPS[g].into());
                ok
            }
        }
        Op::Claim(a, v) => match model::claim_visitor(c, s, AGENTS[a], VISITORS[v]) {
            Ok(true) => ok,
            Ok(false) => {
                let x = visitor(s, v).unwrap();
                x.has_chat = true;
                x.holder = Some(AGENTS[a].into());
                r.dequeue(VISITORS[v]);
                r.stamp(AGENTS[a], now);
                ok
            }
            Err(code) => code.into(),
        },
        Op::Release(v) => match visitor(s, v) {
            None => "unknown_visitor".into(),
            Some(x) if !x.has_chat => "no_chat".into(),
            Some(x) => {
                x.has_chat = false;
                x.holder = None;
                r.dequeue(VISITORS[v]);
                ok
            }
        },
        Op::Leave(v) => {
            if s.visitor(VISITORS[v]).is_none() {
                return "unknown_visitor".into();
            }
            s.visitors.retain(|x| x.id != VISITORS[v]);
            r.dequeue(VISITORS[v]);
            ok
        }
        Op::Prefer(v, a) => match visitor(s, v) {
            None => "unknown_visitor".into(),
            Some(x) => {
                x.preferred = Some(AGENTS[a].into());
                ok
            }
        },
        Op::SetStatus(a, st) => {
            if c.agent(AGENTS[a]).is_none() {
                return "unknown_agent".into();
            }
            s.status.retain(|(x, _)| x != AGENTS[a]);
            s.status.push((AGENTS[a].into(), common::status(st)));
            ok
        }
        Op::Route(v) => match s.visitor(VISITORS[v]) {
            None => "unknown_visitor".into(),
            Some(x) if x.has_chat => "chat_open".into(),
            Some(_) => {
                model::land(c, s, r, VISITORS[v], now);
                ok
            }
        },
        Op::TransferGroup(v, g) => {
            let Some(x) = s.visitor(VISITORS[v]) else { return "unknown_visitor".into() };
            if x.holder.is_none() {
                return "no_chat".into();
            }
            if !c.exists(GROUPS[g]) {
                return "unknown_group".into();
            }
            if model::effective_of(c, x).as_deref() == Some(GROUPS[g]) {
                return "same_group".into();
            }
            let x = visitor(s, v).unwrap();
            x.holder = None;
            x.moved = Some(GROUPS[g].into());
            model::land(c, s, r, VISITORS[v], now);
            ok
        }
        Op::TransferAgent(v, a) => {
            let Some(x) = s.visitor(VISITORS[v]) else { return "unknown_visitor".into() };
            let Some(holder) = x.holder.clone() else { return "no_chat".into() };
            if c.agent(AGENTS[a]).is_none() {
                return "unknown_agent".into();
            }
            if holder == AGENTS[a] {
                return ok;
            }
            let g = model::effective_of(c, x);
            if let Err(code) = model::claim_check(c, s, AGENTS[a], g.as_deref(), None) {
                return code.into();
            }
            visitor(s, v).unwrap().holder = Some(AGENTS[a].into());
            r.stamp(AGENTS[a], now);
            ok
        }
    }
}

fn strings<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}

/// Every answer of the engine, compared with the model's.
fn compare(account: &Account, w: &World, loaded: &dyn Fn(&str) -> MConfig) {
    let (c, s) = (&w.c, &w.s);
    assert_eq!(strings(account.queue()), w.r.queue(s), "R18 queue");
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

    /// R2–R8, R10–R22: every answer — visibility, claims, candidates, picks,
    /// queue order, transfers, availability, form — equals the model's after
    /// every event.
    #[test]
    fn events_match_the_model(raw in common::config(), ops in proptest::collection::vec(op(), 0..24)) {
        let config = raw.build().unwrap();
        let mut w = World { c: MConfig::of(&config), s: MState::default(), r: MRouting::default() };
        let mut account = Account::new(config);
        for (now, op) in ops.iter().enumerate() {
            step(&mut account, &mut w, now as u64, op);
            let c = w.c.clone();
            compare(&account, &w, &|_| c.clone());
        }
    }

    /// R25: the same inputs give byte-identical answers on a second run.
    #[test]
    fn answers_are_deterministic(raw in common::config(), ops in proptest::collection::vec(op(), 0..24)) {
        let run = || {
            let mut account = Account::new(raw.build().unwrap());
            let mut w = World { c: MConfig::of(account.snapshot().config()), s: MState::default(), r: MRouting::default() };
            let mut out = String::new();
            for (now, op) in ops.iter().enumerate() {
                step(&mut account, &mut w, now as u64, op);
                for v in VISITORS {
                    out += &format!("{:?}{:?}{:?}", account.visible_agents(v), account.candidates(v), account.effective_group(v));
                }
                for a in AGENTS {
                    out += &format!("{:?}{:?}{:?}", account.dashboard(a), account.can_claim(a, "v0"), account.load(a));
                }
                out += &format!("{:?}{:?}{:?}", account.form_choices(), account.queue(), account.state());
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
        let c = MConfig::of(account.snapshot().config());
        let mut loaded: Vec<(String, MConfig)> = c.agents.iter().map(|a| (a.id.clone(), c.clone())).collect();
        let mut w = World { c, s: MState::default(), r: MRouting::default() };
        for (now, op) in ops.iter().enumerate() {
            let now = now as u64;
            account.set_clock(now);
            match op {
                ChangeOp::Event(e) => step(&mut account, &mut w, now, e),
                ChangeOp::Refresh(a) => {
                    let ok = account.refresh(AGENTS[*a]).is_ok();
                    prop_assert_eq!(ok, w.c.agent(AGENTS[*a]).is_some());
                    if ok {
                        loaded.retain(|(x, _)| x != AGENTS[*a]);
                        loaded.push((AGENTS[*a].into(), w.c.clone()));
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
                                .filter(|a| model::needs_refresh(&w.c, &new, &a.id)).map(|a| a.id.clone()).collect();
                            prop_assert_eq!(strings(report.needs_refresh()), want, "R9 report for {:?}", ch);
                            let pages = pages(&w.c, &new);
                            let old_online: Vec<bool> = pages.iter().map(|p| model::online(&w.c, &w.s, p.as_deref())).collect();
                            requeue(&w.c, &new, &mut w.s, &mut w.r);
                            w.c = new;
                            model::serve(&w.c, &mut w.s, &mut w.r, now);
                            let want: Vec<(Option<String>, bool)> = pages.iter().zip(old_online)
                                .filter_map(|(p, was)| {
                                    let on = model::online(&w.c, &w.s, p.as_deref());
                                    (on != was).then(|| (p.clone(), on))
                                }).collect();
                            let got: Vec<(Option<String>, bool)> = report.availability().iter()
                                .map(|a| (a.page_group().map(|g| g.to_string()), a.online())).collect();
                            prop_assert_eq!(got, want, "R10 availability for {:?}", ch);
                            loaded.retain(|(x, _)| w.c.agent(x).is_some());
                            for a in &w.c.agents {
                                if !loaded.iter().any(|(x, _)| *x == a.id) {
                                    loaded.push((a.id.clone(), w.c.clone()));
                                }
                            }
                        }
                    }
                }
            }
            let loaded_of = |a: &str| loaded.iter().find(|(x, _)| x == a).map(|(_, m)| m.clone()).unwrap();
            let stale: Vec<String> = w.c.agents.iter()
                .filter(|a| model::needs_refresh(&loaded_of(&a.id), &w.c, &a.id)).map(|a| a.id.clone()).collect();
            prop_assert_eq!(strings(account.needs_refresh()), stale, "R9 stale agents");
            compare(&account, &w, &loaded_of);
        }
    }
}

/// R14 in the model: chats of removed agents, and of agents disabled by this
/// change, lose their holder and wait in the queue (ties by arrival); a
/// removed agent's history is forgotten.
fn requeue(old: &MConfig, new: &MConfig, s: &mut MState, r: &mut MRouting) {
    let mut lost = Vec::new();
    for v in &mut s.visitors {
        let Some(h) = v.holder.clone() else { continue };
        let was_enabled = old.agent(&h).is_some_and(|a| a.enabled);
        let gone = match new.agent(&h) {
            None => true,
            Some(a) => was_enabled && !a.enabled,
        };
        if gone {
            v.holder = None;
            lost.push(v.id.clone());
        }
    }
    for v in lost {
        r.enqueue(&v);
    }
    s.status.retain(|(x, _)| new.agent(x).is_some());
    r.last.retain(|(x, _)| new.agent(x).is_some());
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
