//! R18 at scale: long random sequences with queues of hundreds (thousands
//! with `GROUPGATE_QUEUE`) of chats under the single-agent strategies. The
//! engine serves only the queues an event can unblock; the reference model
//! serves the whole queue after every step. After every event the queue
//! order, every holder and every load must be the same.
//!
//! Each case is a few hundred events over hundreds of chats against a model
//! that re-serves the whole queue, so this file runs fewer cases than the
//! others: 2 of 100 visitors in a plain `cargo test`, 8 of 300 in a deep run
//! (`GROUPGATE_DEEP=1`, as `.ci/run` sets). `PROPTEST_CASES` sets the cases
//! and `GROUPGATE_QUEUE=3000` the visitors in either.

// Test code: helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
mod model;
mod world;

use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Policy, Routing, Status};
use model::{MConfig, MRouting, MState, MVisitor};
use proptest::prelude::*;

/// Cases when `PROPTEST_CASES` is not set.
fn cases_here() -> u32 {
    match std::env::var("PROPTEST_CASES") {
        Ok(_) => common::cases(),
        Err(_) if common::deep() => 8,
        Err(_) => 2,
    }
}

fn visitors() -> usize {
    let default = if common::deep() { 300 } else { 100 };
    std::env::var("GROUPGATE_QUEUE").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[derive(Debug, Clone)]
enum Op {
    /// A visitor moves to a page of group `g` (`None`: a page without a group).
    Visit(usize, Option<usize>),
    Route(usize),
    Release(usize),
    Claim(usize, usize),
    Status(usize, u8),
}

const GROUPS: [&str; 4] = ["g0", "g1", "g2", "g3"];
const AGENTS: usize = 6;

fn op(visitors: usize) -> impl Strategy<Value = Op> {
    let v = 0..visitors;
    let a = 0..AGENTS;
    prop_oneof![
        2 => (v.clone(), proptest::option::weighted(0.9, 0..GROUPS.len())).prop_map(|(v, g)| Op::Visit(v, g)),
        3 => v.clone().prop_map(Op::Route),
        3 => v.clone().prop_map(Op::Release),
        1 => (a.clone(), v).prop_map(|(a, v)| Op::Claim(a, v)),
        2 => (a, any::<u8>()).prop_map(|(a, s)| Op::Status(a, s)),
    ]
}

/// Groups with fallbacks to later groups and some with their own chat limit;
/// six agents, each in one or two groups (one unassigned), with small limits
/// so that most chats wait.
fn config(
    routing: Routing,
    fallbacks: [Option<u8>; 3],
    group_limits: [Option<u8>; 4],
    limits: [u8; AGENTS],
    groups: [u8; AGENTS],
) -> ConfigBuilder {
    let mut policy = Policy::default();
    policy.routing = routing;
    let mut b = ConfigBuilder::new().policy(policy);
    for (i, g) in GROUPS.iter().enumerate() {
        let mut spec = GroupSpec::new(*g);
        if let Some(f) = fallbacks.get(i).copied().flatten() {
            spec = spec.fallback(GROUPS[i + 1 + usize::from(f) % (GROUPS.len() - i - 1)]);
        }
        if let Some(l) = group_limits[i] {
            spec = spec.chat_limit(u32::from(l % 4));
        }
        b = b.group(spec);
    }
    for a in 0..AGENTS {
        let mut spec = AgentSpec::new(format!("a{a}")).chat_limit(u32::from(limits[a] % 3));
        if a > 0 {
            let first = usize::from(groups[a]) % GROUPS.len();
            spec = spec.member(GROUPS[first]);
            if groups[a] >= 128 {
                spec = spec.member(GROUPS[(first + 1) % GROUPS.len()]);
            }
        }
        b = b.agent(spec);
    }
    b
}

fn status(n: u8) -> Status {
    world::status(n)
}

/// Applies `op` to the engine and the model; both must give the same code.
fn step(account: &mut Account, c: &MConfig, s: &mut MState, r: &mut MRouting, now: u64, op: &Op) {
    let name = |v: usize| format!("v{v}");
    let agent = |a: usize| format!("a{a}");
    let (got, want): (String, String) = match op {
        Op::Visit(v, g) => {
            let tag = g.map(|g| GROUPS[g].to_string());
            let got = code(account.visit(&name(*v), tag.as_deref()));
            match s.visitors.iter_mut().find(|x| x.id == name(*v)) {
                Some(x) => x.tag = tag.or(x.tag.take()),
                None => s.visitors.push(MVisitor { id: name(*v), tag, ..MVisitor::default() }),
            }
            (got, "ok".into())
        }
        Op::Route(v) => {
            let got = code(account.route(&name(*v)));
            let want = match s.visitor(&name(*v)) {
                None => "unknown_visitor".into(),
                Some(x) if x.has_chat => "chat_open".into(),
                Some(_) => {
                    model::land(c, s, r, &name(*v), now);
                    "ok".into()
                }
            };
            (got, want)
        }
        Op::Release(v) => {
            let got = code(account.release(&name(*v)));
            let want = match s.visitors.iter_mut().find(|x| x.id == name(*v)) {
                None => "unknown_visitor".into(),
                Some(x) if !x.has_chat => "no_chat".into(),
                Some(x) => {
                    x.has_chat = false;
                    x.holder = None;
                    r.dequeue(&name(*v));
                    "ok".into()
                }
            };
            (got, want)
        }
        Op::Claim(a, v) => {
            let got = code(account.claim(&agent(*a), &name(*v)));
            let want = match model::claim_visitor(c, s, &agent(*a), &name(*v)) {
                Ok(true) => "ok".into(),
                Ok(false) => {
                    let x = s.visitors.iter_mut().find(|x| x.id == name(*v)).unwrap();
                    x.has_chat = true;
                    x.holder = Some(agent(*a));
                    r.dequeue(&name(*v));
                    r.stamp(&agent(*a), now);
                    "ok".into()
                }
                Err(code) => code.into(),
            };
            (got, want)
        }
        Op::Status(a, st) => {
            let got = code(account.set_status(&agent(*a), status(*st)));
            s.status.retain(|(x, _)| *x != agent(*a));
            s.status.push((agent(*a), status(*st)));
            (got, "ok".into())
        }
    };
    assert_eq!(got, want, "{op:?}");
    model::serve(c, s, r, now);
}

fn code<T>(result: Result<T, groupgate::ActionError>) -> String {
    use groupgate::ErrorCode;
    result.map_or_else(|e| e.code().to_string(), |_| "ok".to_string())
}

proptest! {
    #![proptest_config(common::config_for(cases_here()))]

    /// Queue order, holders and loads equal the model's after every event,
    /// with most of hundreds of chats waiting.
    #[test]
    fn long_queues_match_the_model(
        least_busy in any::<bool>(),
        fallbacks in any::<[Option<u8>; 3]>(),
        group_limits in any::<[Option<u8>; 4]>(),
        limits in any::<[u8; AGENTS]>(),
        groups in any::<[u8; AGENTS]>(),
        ops in proptest::collection::vec(op(visitors()), 0..200),
    ) {
        let routing = if least_busy { Routing::LeastBusy } else { Routing::RoundRobin };
        let config = config(routing, fallbacks, group_limits, limits, groups).build().unwrap();
        let c = MConfig::of(&config);
        let (mut s, mut r) = (MState::default(), MRouting::default());
        let mut account = Account::new(config, 0);
        // Everyone online, every visitor on a page and routed: the queue
        // starts long.
        let mut start: Vec<Op> = (0..AGENTS).map(|a| Op::Status(a, 0)).collect();
        start.extend((0..visitors()).flat_map(|v| [Op::Visit(v, Some(v % GROUPS.len())), Op::Route(v)]));
        let total = start.len() + ops.len();
        for (now, op) in start.iter().chain(&ops).enumerate() {
            account.advance_to(now as u64).unwrap();
            r.now = now as u64;
            step(&mut account, &c, &mut s, &mut r, now as u64, op);
            let is_start = now < start.len();
            // Compare after the start (once) and after every random event.
            if !is_start || now + 1 == start.len() {
                let queue: Vec<String> = account.queue().iter().map(|v| v.to_string()).collect();
                prop_assert_eq!(&queue, &r.queue(&s), "R18 queue after {:?}", op);
                for x in &s.visitors {
                    prop_assert_eq!(account.holder(&x.id).map(|h| h.to_string()), x.holder.clone(), "holder of {}", x.id);
                }
                for a in 0..AGENTS {
                    let a = format!("a{a}");
                    prop_assert_eq!(account.load(&a), Some(s.load(&a)), "load of {}", a);
                }
            }
        }
        world::count(total);
    }
}
