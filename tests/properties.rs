//! Property tests: the real engine against the reference model in
//! `tests/model`, over random accounts and event sequences (R1–R25).
//! Cases: 64 a property in a plain `cargo test`, 1,000 with
//! `GROUPGATE_DEEP=1` (as `.ci/run` runs them), or `PROPTEST_CASES` (see
//! `common/cases.rs`).

// Test code: helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
mod model;
mod world;

use groupgate::{Account, AgentSpec, Change, GroupSpec, Plan};
use model::{MConfig, MRouting, MState};
use proptest::prelude::*;
use world::{AGENTS, GROUPS, Op, VISITORS, World, compare, gid, step, strings};

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        25 => event(),
        // Time passing (R26): a few milliseconds, or very long.
        2 => prop_oneof![0u64..8, 1_000u64..(1 << 53)].prop_map(Op::Advance),
    ]
}

/// Visitor and agent events, without time passing.
fn event() -> impl Strategy<Value = Op> {
    let v = 0..VISITORS.len();
    let a = 0..AGENTS.len();
    let g = 0..GROUPS.len();
    prop_oneof![
        4 => (v.clone(), proptest::option::weighted(0.8, g.clone())).prop_map(|(v, g)| Op::Visit(v, g)),
        2 => (v.clone(), g.clone()).prop_map(|(v, g)| Op::Select(v, g)),
        4 => (a.clone(), v.clone()).prop_map(|(a, v)| Op::Claim(a, v)),
        1 => (v.clone(), acting()).prop_map(|(v, by)| Op::Release(v, by)),
        1 => v.clone().prop_map(Op::Leave),
        1 => (v.clone(), a.clone()).prop_map(|(v, a)| Op::Prefer(v, a)),
        2 => (a.clone(), any::<u8>()).prop_map(|(a, s)| Op::SetStatus(a, s)),
        4 => v.clone().prop_map(Op::Route),
        1 => (v.clone(), g.clone(), acting()).prop_map(|(v, g, by)| Op::TransferGroup(v, g, by)),
        1 => (v.clone(), a, acting()).prop_map(|(v, a, by)| Op::TransferAgent(v, a, by)),
        2 => (v.clone(), acting()).prop_map(|(v, by)| Op::Answer(v, by)),
        1 => (v, acting()).prop_map(|(v, by)| Op::Decline(v, by)),
    ]
}

/// The agent a chat event names as acting (R38): none (the host's own
/// event) half the time, else any agent, holder or not, existing or not.
fn acting() -> impl Strategy<Value = Option<usize>> {
    proptest::option::of(0..AGENTS.len())
}

/// Runs `ops` on the engine and the model side by side (after setting every
/// agent online first, when asked) and compares every answer after each.
fn run_against_model(raw: &groupgate::ConfigBuilder, online_first: bool, ops: &[Op]) {
    let config = raw.build().unwrap();
    let mut w = World { c: MConfig::of(&config), s: MState::default(), r: MRouting::default() };
    let mut account = Account::new(config, 0);
    let start: Vec<Op> = (0..AGENTS.len()).filter(|_| online_first).map(|a| Op::SetStatus(a, 0)).collect();
    for (now, op) in start.iter().chain(ops).enumerate() {
        step(&mut account, &mut w, now as u64, op);
        let c = w.c.clone();
        compare(&account, &w, &|_| c.clone());
    }
    world::count(ops.len());
}

/// A raw configuration from small pools of ids, some invalid (empty, a
/// control character, 65 bytes) and some never defined, so that every R23
/// problem — and several in one entry — comes up often.
fn raw_config() -> impl Strategy<Value = groupgate::ConfigBuilder> {
    const IDS: [&str; 6] = ["g0", "g1", "g2", "", "bad\u{7}", "zz"];
    let long = "x".repeat(65);
    let id = move || {
        let long = long.clone();
        (0..IDS.len() + 1).prop_map(move |i| IDS.get(i).map_or(long.clone(), |s| (*s).to_string()))
    };
    let group = (id(), proptest::option::weighted(0.5, id()));
    let agent = (id(), proptest::collection::vec(id(), 0..4), proptest::collection::vec(id(), 0..2));
    (proptest::collection::vec(group, 0..5), proptest::collection::vec(agent, 0..4), any::<bool>()).prop_map(
        |(groups, agents, selection)| {
            let mut b = groupgate::ConfigBuilder::new().group_selection(selection);
            for (id, fallback) in groups {
                let mut g = GroupSpec::new(id);
                g.fallback = fallback;
                b = b.group(g);
            }
            for (id, memberships, tiers) in agents {
                let mut a = AgentSpec::new(id);
                a.groups = memberships;
                for t in tiers {
                    a.tiers.insert(t, groupgate::Tier::First);
                }
                b = b.agent(a);
            }
            b
        },
    )
}

/// Events around group transfers: few visitors, so the same chats are
/// claimed, moved and re-tagged again and again.
fn transfer_op() -> impl Strategy<Value = Op> {
    let v = 0..2usize;
    let a = 0..AGENTS.len();
    let g = 0..GROUPS.len();
    prop_oneof![
        3 => (v.clone(), proptest::option::of(g.clone())).prop_map(|(v, g)| Op::Visit(v, g)),
        1 => (v.clone(), g.clone()).prop_map(|(v, g)| Op::Select(v, g)),
        3 => (a.clone(), v.clone()).prop_map(|(a, v)| Op::Claim(a, v)),
        1 => (v.clone(), acting()).prop_map(|(v, by)| Op::Release(v, by)),
        1 => (a, any::<u8>()).prop_map(|(a, s)| Op::SetStatus(a, s)),
        3 => (v, g, acting()).prop_map(|(v, g, by)| Op::TransferGroup(v, g, by)),
    ]
}

proptest! {
    #![proptest_config(common::config_for(common::cases()))]

    /// R2–R8, R10–R22: every answer — visibility, claims, candidates, picks,
    /// queue order, transfers, availability, form — equals the model's after
    /// every event.
    #[test]
    fn events_match_the_model(
        raw in common::config(),
        online_first in any::<bool>(),
        ops in proptest::collection::vec(op(), 0..24),
    ) {
        // Half the accounts start with every agent online (as scenario files
        // do), so that chats are held and moved early in the sequence.
        run_against_model(&raw, online_first, &ops);
    }

    /// R2, R17, R19: group transfers — including those whose fallback chain
    /// leads back to the visitor's own group — after claims, with page tags
    /// and selections changing afterwards; every answer equals the model's.
    #[test]
    fn group_transfers_match_the_model(raw in common::config(), ops in proptest::collection::vec(transfer_op(), 0..32)) {
        run_against_model(&raw, true, &ops);
    }

    /// R13 at the end of the counter: every event either succeeds, giving
    /// each chat it touches a version above every version given before, or
    /// fails with `version_exhausted` and changes nothing.
    #[test]
    fn versions_never_repeat_near_the_counter_end(
        raw in common::config(),
        left in 1u64..40,
        ops in proptest::collection::vec(op(), 0..24),
    ) {
        let mut account = Account::new(raw.build().unwrap(), 0);
        for a in AGENTS {
            let _ = account.set_status(a, groupgate::Status::Online);
        }
        account.visit(VISITORS[0], None).unwrap();
        account.restore_chat(VISITORS[0], None, u64::MAX - left).unwrap();
        let mut highest = u64::MAX - left;
        for op in &ops {
            let before = account.clone();
            let code = world::engine(&mut account, op);
            if code == "version_exhausted" {
                prop_assert!(account == before, "{:?} failed but changed the account", op);
                continue;
            }
            let mut new_highest = highest;
            for v in VISITORS {
                let (was, now) = (before.chat_version(v), account.chat_version(v));
                if let Some(now) = now.filter(|_| now != was) {
                    prop_assert!(now > highest, "{:?}: {} got version {} again (highest {})", op, v, now, highest);
                    new_highest = new_highest.max(now);
                }
            }
            highest = new_highest;
        }
    }

    /// R25: the same inputs give byte-identical answers on a second run.
    #[test]
    fn answers_are_deterministic(raw in common::config(), ops in proptest::collection::vec(op(), 0..24)) {
        let run = || {
            let mut account = Account::new(raw.build().unwrap(), 0);
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
                out += &format!("{:?}{:?}{:?}", account.form_choices(), account.queue(), account);
            }
            out
        };
        prop_assert_eq!(run(), run());
    }

    /// R23: every problem of a raw configuration — repeated, invalid and
    /// unknown ids anywhere, loops, selection without groups — with its code,
    /// in the documented order, equals the model's; no problem, no error.
    #[test]
    fn validation_reports_every_problem_like_the_model(raw in raw_config()) {
        let want = model::problems(&raw);
        match raw.build() {
            Ok(_) => prop_assert!(want.is_empty(), "built, but the model finds {:?}", want),
            Err(e) => prop_assert_eq!(e.codes().collect::<Vec<_>>(), want),
        }
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
    let agent = a.clone().prop_map(|a| AGENTS[a].to_string());
    let group = g.clone().prop_map(gid);
    let plan = prop_oneof![Just(Plan::Pro), Just(Plan::Free), Just(Plan::Standard)];
    prop_oneof![
        3 => (agent.clone(), group.clone(), any::<u8>())
            .prop_map(|(agent, group, t)| Change::Assign { agent, group, tier: world::tier(t) }),
        3 => (agent.clone(), group.clone()).prop_map(|(agent, group)| Change::Unassign { agent, group }),
        1 => group.clone().prop_map(|group| Change::RemoveGroup { group }),
        1 => (g.clone(), proptest::option::of(g.clone()), proptest::option::of(0..common::WAITS.len())).prop_map(|(i, f, w)| {
            let mut spec = GroupSpec::new(GROUPS[i]);
            spec.fallback = f.map(|f| GROUPS[f].to_string());
            spec.overflow_after = w.map(|w| common::WAITS[w]);
            Change::AddGroup(spec)
        }),
        1 => agent.clone().prop_map(|agent| Change::RemoveAgent { agent }),
        1 => (a.clone(), g.clone()).prop_map(|(a, g)| Change::AddAgent(AgentSpec::new(AGENTS[a]).member(GROUPS[g]))),
        2 => (agent.clone(), any::<bool>()).prop_map(|(agent, enabled)| Change::SetEnabled { agent, enabled }),
        1 => plan.prop_map(Change::SetPlan),
        1 => common::policy().prop_map(|p| Change::SetPolicy(p.into())),
        1 => any::<bool>().prop_map(Change::SetGroupSelection),
        1 => (group.clone(), proptest::option::of(group.clone())).prop_map(|(group, fallback)| {
            let mut patch = groupgate::GroupPatch::new(group);
            patch.fallback = Some(fallback);
            Change::UpdateGroup(patch)
        }),
        1 => (group, proptest::option::of(0..common::WAITS.len())).prop_map(|(group, wait)| {
            let mut patch = groupgate::GroupPatch::new(group);
            patch.overflow_after = Some(wait.map(|w| common::WAITS[w]));
            Change::UpdateGroup(patch)
        }),
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
        run_changes(&raw, &ops)?;
    }

    /// R14, R31: chats taken from agents that are disabled or removed go
    /// back to the queue with their notices, as the model says: runs
    /// weighted towards held chats and then such changes.
    #[test]
    fn chats_of_removed_and_disabled_agents_match_the_model(
        raw in common::config(),
        ops in proptest::collection::vec(prop_oneof![
            3 => op().prop_map(ChangeOp::Event),
            1 => (0..AGENTS.len(), any::<bool>()).prop_map(|(a, remove)| {
                let agent = AGENTS[a].to_string();
                ChangeOp::Change(if remove { Change::RemoveAgent { agent } } else { Change::SetEnabled { agent, enabled: false } })
            }),
        ], 0..24),
    ) {
        run_changes(&raw, &ops)?;
    }
}

/// R14, R28 setting: under broadcast (mostly), a chain g0 → g1 → g2 with
/// links cut now and then, and four agents with one group each, so that a
/// chat taken from its holder often waits in a group with no candidate left
/// while the fallback has one.
fn put_back_config() -> impl Strategy<Value = groupgate::ConfigBuilder> {
    (
        prop_oneof![3 => Just(0usize), 1 => 1usize..3],
        proptest::option::weighted(0.8, 0usize..5),
        any::<[bool; 2]>(),
        proptest::array::uniform4(0usize..4),
    )
        .prop_map(|(routing, wait, links, homes)| {
            let mut policy = groupgate::Policy::default();
            policy.routing = groupgate::Routing::ALL[routing];
            policy.offline_requeue_after = wait.map(|w| common::WAITS[w]);
            let mut b = groupgate::ConfigBuilder::new().policy(policy);
            for i in 0..3 {
                let mut g = GroupSpec::new(GROUPS[i]);
                if i < 2 && links[i] {
                    g = g.fallback(GROUPS[i + 1]);
                }
                b = b.group(g);
            }
            for (i, home) in homes.iter().enumerate() {
                let a = AgentSpec::new(AGENTS[i]);
                b = b.agent(if *home < 3 { a.member(GROUPS[*home]) } else { a });
            }
            b
        })
}

/// Events and changes that take chats from their holders (R14, R28) and
/// give agents back.
fn put_back_op() -> impl Strategy<Value = ChangeOp> {
    let (v, a, g) = (0..VISITORS.len(), 0..4usize, 0..3usize);
    let agent = a.clone().prop_map(|a| AGENTS[a].to_string());
    prop_oneof![
        3 => (v.clone(), g.clone()).prop_map(|(v, g)| ChangeOp::Event(Op::Visit(v, Some(g)))),
        4 => (a.clone(), v.clone()).prop_map(|(a, v)| ChangeOp::Event(Op::Claim(a, v))),
        1 => v.clone().prop_map(|v| ChangeOp::Event(Op::Route(v))),
        3 => (a.clone(), any::<u8>()).prop_map(|(a, st)| ChangeOp::Event(Op::SetStatus(a, st))),
        2 => (0u64..4).prop_map(|ms| ChangeOp::Event(Op::Advance(ms))),
        2 => (agent.clone(), any::<bool>()).prop_map(|(agent, enabled)| ChangeOp::Change(Change::SetEnabled { agent, enabled })),
        1 => agent.prop_map(|agent| ChangeOp::Change(Change::RemoveAgent { agent })),
        1 => (a, g).prop_map(|(a, g)| ChangeOp::Change(Change::AddAgent(AgentSpec::new(AGENTS[a]).member(GROUPS[g])))),
    ]
}

proptest! {
    #![proptest_config(common::config_for(common::cases()))]

    /// R14, R28, R31: a chat taken from a disabled, removed or offline agent
    /// waits in its own group and is offered to that group's candidates
    /// only, as the model says, with every other answer compared too.
    #[test]
    fn put_back_chats_match_the_model(raw in put_back_config(), ops in proptest::collection::vec(put_back_op(), 0..24)) {
        run_changes(&raw, &ops)?;
    }
}

/// R29 setting: a chain of groups g0 → g1 → g2 → g3 (some links cut),
/// each with an overflow wait now and then, and few agents with small
/// limits in the later groups, so that chats wait and overflow.
fn overflow_config() -> impl Strategy<Value = groupgate::ConfigBuilder> {
    (
        (0usize..3, proptest::option::of(0..common::WAITS.len())),
        any::<[bool; 3]>(),
        proptest::array::uniform4(proptest::option::weighted(0.6, 0..common::WAITS.len())),
        proptest::array::uniform3((any::<u8>(), 0u32..3)),
    )
        .prop_map(|((routing, timeout), links, waits, agents)| {
            let mut policy = groupgate::Policy::default();
            policy.routing = groupgate::Routing::ALL[routing];
            // Answer deadlines due with overflows (R26's order between them).
            policy.answer_timeout = timeout.map(|w| common::WAITS[w]);
            let mut b = groupgate::ConfigBuilder::new().policy(policy);
            for (i, wait) in waits.iter().enumerate() {
                let mut g = GroupSpec::new(GROUPS[i]);
                if i < 3 && links[i] {
                    g = g.fallback(GROUPS[i + 1]);
                }
                g.overflow_after = wait.map(|w| common::WAITS[w]);
                b = b.group(g);
            }
            for (i, (mask, limit)) in agents.iter().enumerate() {
                let mut a = AgentSpec::new(AGENTS[i]).chat_limit(*limit);
                for (g, id) in GROUPS.iter().enumerate().take(4).skip(1) {
                    if mask & (1 << g) != 0 {
                        a = a.member(*id);
                    }
                }
                b = b.agent(a);
            }
            b
        })
}

/// Changes that move overflow instants (R29): waits, fallbacks, the plan.
fn overflow_change() -> impl Strategy<Value = ChangeOp> {
    let group = (0..GROUPS.len()).prop_map(gid);
    prop_oneof![
        3 => (group.clone(), proptest::option::of(0..common::WAITS.len())).prop_map(|(group, wait)| {
            let mut patch = groupgate::GroupPatch::new(group);
            patch.overflow_after = Some(wait.map(|w| common::WAITS[w]));
            Change::UpdateGroup(patch)
        }),
        1 => (group.clone(), proptest::option::of(group)).prop_map(|(group, fallback)| {
            let mut patch = groupgate::GroupPatch::new(group);
            patch.fallback = Some(fallback);
            Change::UpdateGroup(patch)
        }),
        1 => prop_oneof![Just(Plan::Pro), Just(Plan::Free)].prop_map(Change::SetPlan),
    ]
    .prop_map(ChangeOp::Change)
}

proptest! {
    #![proptest_config(common::config_for(common::cases()))]

    /// R29: chats that wait move on along the fallback chain at their
    /// overflow instants, as the model finds them by a scan, through
    /// events, advances and changes of the waits, fallbacks and plan.
    #[test]
    fn overflow_matches_the_model(
        raw in overflow_config(),
        ops in proptest::collection::vec(prop_oneof![4 => op().prop_map(ChangeOp::Event), 1 => overflow_change()], 0..32),
    ) {
        run_changes(&raw, &ops)?;
    }
}

/// R30 setting: zones whose offsets, and the instants they change at, are
/// whole quarter hours (daylight saving both ways, a half-hour shift, none,
/// a 45-minute offset), so that the model finds every change by looking at
/// each quarter hour.
const ZONES: [&str; 6] =
    ["Europe/Prague", "America/New_York", "Australia/Lord_Howe", "Asia/Manila", "UTC", "Asia/Kathmandu"];
const DAY: u64 = 86_400_000;

fn hhmm(quarters: u32) -> String {
    format!("{:02}:{:02}", quarters / 4, quarters % 4 * 15)
}

/// A day's hours: up to three intervals on a quarter-hour grid, 00:00 and
/// 24:00 likely (so that days touch across midnight).
fn day_hours() -> impl Strategy<Value = Vec<[String; 2]>> {
    proptest::collection::btree_set(prop_oneof![Just(0u32), Just(96), 0u32..=96], 0..=6).prop_map(|cuts| {
        let cuts: Vec<u32> = cuts.into_iter().collect();
        cuts.chunks(2)
            .filter_map(|p| match p {
                [a, b] => Some([hhmm(*a), hhmm(*b)]),
                _ => None,
            })
            .collect()
    })
}

/// A schedule `id` in a random zone: weekly hours that change, or never
/// do (closed all week, open all week), and up to two exceptions some days
/// after `near`, or about one or two years after — past the horizon of R30,
/// and past what is looked at when the account starts.
fn schedule(id: &'static str, near: u64) -> impl Strategy<Value = groupgate::ScheduleSpec> {
    let weekly = prop_oneof![
        4 => proptest::array::uniform7(day_hours()),
        1 => Just(std::array::from_fn(|_| Vec::new())),
        1 => Just(std::array::from_fn(|_| vec![["00:00".to_string(), "24:00".to_string()]])),
    ];
    let exception = (prop_oneof![0u64..20, 355u64..380, 700u64..800], day_hours());
    (0..ZONES.len(), weekly, proptest::collection::vec(exception, 0..=2)).prop_map(move |(zone, weekly, exceptions)| {
        let mut spec = groupgate::ScheduleSpec::new(id, ZONES[zone]);
        for (day, hours) in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().zip(weekly) {
            spec.weekly.insert(day.to_string(), hours);
        }
        for (days, hours) in exceptions {
            let at = jiff::Timestamp::from_millisecond((near + days * DAY).min(253_402_207_200_000) as i64).unwrap();
            let date = at.to_zoned_datetime(jiff::tz::TimeZoneDatabase::bundled().get(ZONES[zone]).unwrap()).date();
            if !spec.exceptions.iter().any(|e| e.date == date.to_string()) {
                spec.exceptions.push(groupgate::ExceptionSpec::new(date.to_string(), hours));
            }
        }
        spec
    })
}

/// R30 setting: a start between 1970 and 2100 (or near the last instant
/// schedules are evaluated at), two schedules, a chain g0 → g1 → g2 → g3
/// (some links cut) of groups following one of them or none, now and then
/// with an overflow wait, and agents in the groups.
fn hours_config() -> impl Strategy<Value = (u64, groupgate::ConfigBuilder)> {
    prop_oneof![9 => 0u64..4_102_444_800_000, 1 => 253_401_000_000_000u64..253_402_300_000_000].prop_flat_map(|start| {
        (
            Just(start),
            schedule("s0", start),
            schedule("s1", start),
            (0usize..3, proptest::option::of(0..common::WAITS.len())),
            any::<[bool; 3]>(),
            proptest::array::uniform4((0usize..3, proptest::option::weighted(0.3, 0..common::WAITS.len()))),
            proptest::array::uniform3(any::<u8>()),
        )
            .prop_map(|(start, s0, s1, (routing, timeout), links, follows, agents)| {
                let mut policy = groupgate::Policy::default();
                policy.routing = groupgate::Routing::ALL[routing];
                policy.answer_timeout = timeout.map(|w| common::WAITS[w]);
                let mut b = groupgate::ConfigBuilder::new().policy(policy).schedule(s0).schedule(s1);
                for (i, (follows, wait)) in follows.iter().enumerate() {
                    let mut g = GroupSpec::new(GROUPS[i]);
                    if i < 3 && links[i] {
                        g = g.fallback(GROUPS[i + 1]);
                    }
                    g.schedule = [None, Some("s0"), Some("s1")][*follows].map(str::to_string);
                    // Overflow (R29) passing over closed groups.
                    g.overflow_after = wait.map(|w| common::WAITS[w]);
                    b = b.group(g);
                }
                for (i, mask) in agents.iter().enumerate() {
                    let mut a = AgentSpec::new(AGENTS[i]);
                    for (g, id) in GROUPS.iter().enumerate().take(4) {
                        if mask & (1 << g) != 0 {
                            a = a.member(*id);
                        }
                    }
                    b = b.agent(a);
                }
                (start, b)
            })
    })
}

/// Changes of business hours (R30): a group's schedule set or taken away,
/// a schedule rewritten, the plan.
fn hours_change(near: u64) -> impl Strategy<Value = ChangeOp> {
    let group = (0..GROUPS.len()).prop_map(gid);
    let which = prop_oneof![Just(None), Just(Some("s0")), Just(Some("s1")), Just(Some("s9"))];
    prop_oneof![
        3 => (group, which).prop_map(|(group, schedule)| {
            let mut patch = groupgate::GroupPatch::new(group);
            patch.schedule = Some(schedule.map(str::to_string));
            Change::UpdateGroup(patch)
        }),
        2 => prop_oneof![schedule("s0", near), schedule("s1", near)].prop_map(Change::SetSchedule),
        1 => prop_oneof![Just(Plan::Pro), Just(Plan::Free)].prop_map(Change::SetPlan),
    ]
    .prop_map(ChangeOp::Change)
}

/// Time passing across business hours: a few milliseconds, a quarter hour
/// to a few days, or up to about a year and a month (past the horizon).
fn hours_advance() -> impl Strategy<Value = ChangeOp> {
    prop_oneof![
        2 => 0u64..8,
        6 => 1u64..(4 * DAY),
        1 => (30 * DAY)..(400 * DAY),
    ]
    .prop_map(|ms| ChangeOp::Event(Op::Advance(ms)))
}

proptest! {
    #![proptest_config(common::config_for(common::cases()))]

    /// R30: groups open and close as the model reads the schedules
    /// literally (each instant converted to wall-clock time with the same
    /// database), through events, advances spanning days to over a year
    /// from starts between 1970 and 2100, and changes of schedules, of
    /// which group follows which, and of the plan: candidates, fallbacks,
    /// availability, the form, queue serving, next changes and deadlines.
    #[test]
    fn business_hours_match_the_model(
        (start, raw, ops) in hours_config().prop_flat_map(|(start, raw)| {
            let ops = proptest::collection::vec(prop_oneof![
                5 => event().prop_map(ChangeOp::Event),
                3 => hours_advance(),
                1 => hours_change(start),
            ], 0..16);
            (Just(start), Just(raw), ops)
        }),
    ) {
        run_changes_from(&raw, &ops, start)?;
    }
}

/// Runs events, refreshes and changes on the engine and the model side by
/// side, everyone online first, comparing every answer after each.
fn run_changes(raw: &groupgate::ConfigBuilder, ops: &[ChangeOp]) -> Result<(), TestCaseError> {
    run_changes_from(raw, ops, 0)
}

/// [`run_changes`] for an account whose clock starts at `start`.
fn run_changes_from(raw: &groupgate::ConfigBuilder, ops: &[ChangeOp], start: u64) -> Result<(), TestCaseError> {
    let mut account = Account::new(raw.build().unwrap(), start);
    let c = MConfig::of(account.snapshot().config());
    let mut loaded: Vec<(String, MConfig)> = c.agents.iter().map(|a| (a.id.clone(), c.clone())).collect();
    let s = MState { clock: start, ..MState::default() };
    let mut w = World { c, s, r: MRouting { now: start, ..MRouting::default() } };
    // Everyone online first, so that chats are held when agents are
    // removed or disabled (R14).
    let online: Vec<ChangeOp> = (0..AGENTS.len()).map(|a| ChangeOp::Event(Op::SetStatus(a, 0))).collect();
    for (now, op) in online.iter().chain(ops).enumerate() {
        let now = start + now as u64;
        if !matches!(op, ChangeOp::Event(_)) {
            world::advance(&mut account, &mut w, now);
        }
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
                let stale_before = stale(&loaded, &w.c);
                w.r.notes.clear();
                match account.apply(ch) {
                    Err(_) => {
                        prop_assert_eq!(format!("{account:?}"), before, "R24: failed change changed the account");
                        prop_assert!(account == copy);
                    }
                    Ok(report) => {
                        let new = MConfig::of(account.snapshot().config());
                        let want: Vec<String> = new
                            .agents
                            .iter()
                            .filter(|a| model::visibility_changed(&w.c, &new, &a.id))
                            .map(|a| a.id.clone())
                            .collect();
                        prop_assert_eq!(strings(report.visibility_changed()), want, "R9 report for {:?}", ch);
                        let pages = pages(&new);
                        let old_online: Vec<bool> =
                            pages.iter().map(|p| model::online(&w.c, &w.s, p.as_deref())).collect();
                        requeue(&w.c, &new, &mut w.s, &mut w.r);
                        w.c = new;
                        let clock = w.r.now;
                        model::serve(&w.c, &mut w.s, &mut w.r, clock);
                        let want: Vec<(Option<String>, bool)> = pages
                            .iter()
                            .zip(old_online)
                            .filter_map(|(p, was)| {
                                let on = model::online(&w.c, &w.s, p.as_deref());
                                (on != was).then(|| (p.clone(), on))
                            })
                            .collect();
                        let got: Vec<(Option<String>, bool)> = report
                            .availability()
                            .iter()
                            .map(|a| (a.page_group().map(|g| g.to_string()), a.online()))
                            .collect();
                        prop_assert_eq!(&got, &want, "R10 availability for {:?}", ch);
                        for (page, on) in &want {
                            w.r.say(model::note::availability(page.as_deref(), *on));
                        }
                        loaded.retain(|(x, _)| w.c.agent(x).is_some());
                        for a in &w.c.agents {
                            if !loaded.iter().any(|(x, _)| *x == a.id) {
                                loaded.push((a.id.clone(), w.c.clone()));
                            }
                        }
                        // R31: the dashboards this change made stale that were not.
                        let newly: Vec<String> =
                            stale(&loaded, &w.c).into_iter().filter(|a| !stale_before.contains(a)).collect();
                        if !newly.is_empty() {
                            w.r.say(model::note::refresh(&newly));
                        }
                        // R26: deadlines the change made due at the clock.
                        model::advance(&w.c, &mut w.s, &mut w.r, clock);
                        prop_assert_eq!(&world::said(&account), &w.r.notes, "R31 notices of {:?}", ch);
                        // The change's fast paths give what a full recomputation gives.
                        prop_assert_eq!(account.check_indexes(), Ok(()), "indexes after {:?}", ch);
                    }
                }
            }
        }
        let loaded_of = |a: &str| loaded.iter().find(|(x, _)| x == a).map(|(_, m)| m.clone()).unwrap();
        let stale = stale(&loaded, &w.c);
        prop_assert_eq!(strings(account.needs_refresh()), stale, "R9 stale agents");
        compare(&account, &w, &loaded_of);
    }
    world::count(ops.len());
    Ok(())
}

/// The agents whose dashboards are stale (R9): their loaded configuration
/// shows them other visitors than `c`, in configuration order.
fn stale(loaded: &[(String, MConfig)], c: &MConfig) -> Vec<String> {
    let loaded_of = |a: &str| loaded.iter().find(|(x, _)| x == a).map(|(_, m)| m.clone()).unwrap();
    c.agents.iter().filter(|a| model::visibility_changed(&loaded_of(&a.id), c, &a.id)).map(|a| a.id.clone()).collect()
}

/// R14 in the model: chats of removed agents, and of agents disabled by this
/// change, lose their holder and wait in the queue (ties by arrival); a
/// removed agent's history is forgotten.
fn requeue(old: &MConfig, new: &MConfig, s: &mut MState, r: &mut MRouting) {
    let mut lost = Vec::new();
    for v in &mut s.visitors {
        let Some(h) = v.holder.clone() else { continue };
        let was_enabled = old.agent(&h).is_some_and(|a| a.enabled);
        let why = match new.agent(&h) {
            None => "removed",
            Some(a) if was_enabled && !a.enabled => "disabled",
            Some(_) => continue,
        };
        v.holder = None;
        lost.push((v.id.clone(), h, why));
    }
    // R27: a removed agent leaves every missed list.
    for v in &mut s.visitors {
        v.missed.retain(|a| new.agent(a).is_some());
    }
    // R31: chat by chat in arrival order, unheld then queued, offered to
    // its candidates under the new revision when broadcasting (its missed
    // list left out).
    for (v, h, why) in lost {
        r.say(model::note::unheld(&v, &h, why));
        model::requeue_chat(new, s, r, &v);
    }
    // A removed agent's wait offline ends with it (R28).
    for (a, n) in &mut s.changes {
        if new.agent(a).is_none() {
            *n += 1;
        }
    }
    s.status.retain(|(x, _)| new.agent(x).is_some());
    r.last.retain(|(x, _)| new.agent(x).is_some());
}

/// The pages a change can affect, in the documented order: the groups of
/// the configuration after it, then the ungrouped page. Removed groups are
/// not reported (R31, settled).
fn pages(new: &MConfig) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = new.groups.iter().map(|g| Some(g.id.clone())).collect();
    out.push(None);
    out
}
