//! Random operation sequences → the library, checked after every step
//! against the reference model of the tests (visibility, claims, candidates,
//! queue, availability, form) and for the invariants: at most one holder per
//! chat (every agent's load is the number of chats naming it), a chat changes
//! hands only to an agent who sees it, and never past the agent's limit.
#![no_main]

#[path = "../../tests/model/mod.rs"]
mod model;
#[path = "../../tests/world/mod.rs"]
mod world;

use groupgate::UngroupedVisitors;
use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Plan, Policy, Role, Routing, UnassignedAgents};
use libfuzzer_sys::fuzz_target;
use model::{MConfig, MRouting, MState};
use world::{Op, World, AGENTS, GROUPS, VISITORS};

/// Reads bytes as a stream; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *first
    }
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.next()) % n
    }
}

fn config(b: &mut Bytes) -> ConfigBuilder {
    let mut policy = Policy::default();
    policy.unassigned_agents = UnassignedAgents::ALL[b.below(3)];
    policy.ungrouped_visitors = UngroupedVisitors::ALL[b.below(2)];
    policy.admins_see_all = b.next() % 2 == 0;
    policy.routing = Routing::ALL[b.below(3)];
    policy.hide_unavailable_groups = b.next() % 2 == 0;
    policy.default_chat_limit = (b.next() % 3 == 0).then(|| u32::from(b.next() % 4));
    policy.answer_timeout = (b.next() % 2 == 0).then(|| u64::from(b.next() % 8));
    policy.after_missed = if b.next() % 2 == 0 { groupgate::AfterMissed::Away } else { groupgate::AfterMissed::Stay };
    policy.offline_requeue_after = (b.next() % 3 == 0).then(|| u64::from(b.next() % 8));
    let plan = [Plan::Pro, Plan::Pro, Plan::Pro, Plan::Free, Plan::Standard][b.below(5)];
    let groups = b.below(5);
    let mut builder = ConfigBuilder::new().plan(plan).policy(policy);
    for g in 0..groups {
        let mut spec = GroupSpec::new(GROUPS[g]).in_contact_form(b.next() % 5 != 0);
        let fallback = b.next();
        if g + 1 < groups && fallback % 3 == 0 {
            spec = spec.fallback(GROUPS[g + 1 + usize::from(fallback) % (groups - g - 1)]);
        }
        spec.chat_limit = (b.next() % 3 == 0).then(|| u32::from(b.next() % 4));
        // R29: waiting chats move on along the chain after a few ms.
        spec.overflow_after = (b.next() % 2 == 0).then(|| u64::from(b.next() % 8));
        builder = builder.group(spec);
    }
    builder = builder.group_selection(groups > 0 && b.next() % 2 == 0);
    for a in 0..b.below(7) {
        let mut spec = AgentSpec::new(AGENTS[a]).role(Role::ALL[b.below(3)]).enabled(b.next() % 7 != 0);
        spec.chat_limit = (b.next() % 2 == 0).then(|| u32::from(b.next() % 4));
        let mask = b.next();
        for g in 0..groups {
            if mask & (1 << g) != 0 {
                spec = spec.member_as(GROUPS[g], world::tier(b.next()));
            }
        }
        builder = builder.agent(spec);
    }
    builder
}

fn op(b: &mut Bytes) -> Op {
    let (v, a, g) = (b.below(VISITORS.len()), b.below(AGENTS.len()), b.below(GROUPS.len()));
    // The agent a chat event names as acting (R38), or none.
    let by = (b.next() % 2 == 0).then(|| b.below(AGENTS.len()));
    match b.below(13) {
        0 => Op::Visit(v, (b.next() % 5 != 0).then_some(g)),
        1 => Op::Select(v, g),
        2 => Op::Claim(a, v),
        3 => Op::Release(v, by),
        4 => Op::Leave(v),
        5 => Op::Prefer(v, a),
        6 => Op::SetStatus(a, b.next()),
        7 => Op::Route(v),
        8 => Op::TransferGroup(v, g, by),
        9 => Op::TransferAgent(v, a, by),
        10 => Op::Answer(v, by),
        11 => Op::Decline(v, by),
        _ => Op::Advance(u64::from(b.next()) << (b.next() % 48)),
    }
}

/// Every agent that came to hold a chat since `before` sees it (R11, R15).
fn new_holders_see(account: &Account, before: &[Option<String>]) {
    for (i, v) in VISITORS.iter().enumerate() {
        let Some(h) = account.holder(v) else { continue };
        if before.get(i).and_then(|b| b.as_deref()) != Some(h.as_str()) {
            assert!(account.sees(h.as_str(), v).is_visible(), "{h} came to hold {v} without seeing it");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let Ok(config) = config(&mut b).build() else { return };
    let mut w = World { c: MConfig::of(&config), s: MState::default(), r: MRouting::default() };
    let mut account = Account::new(config, 0);
    let mut now = 0;
    while !b.0.is_empty() && now < 200 {
        let op = op(&mut b);
        // The deadlines due by now first, then the event, each checked on
        // its own: a chat picked at a deadline may be moved out of its
        // holder's sight by the event after it (a new selection), which R2
        // allows.
        let holders = |account: &Account| -> Vec<Option<String>> {
            VISITORS.iter().map(|v| account.holder(v).map(|h| h.to_string())).collect()
        };
        let before = holders(&account);
        world::advance(&mut account, &mut w, now);
        new_holders_see(&account, &before);
        let before = holders(&account);
        world::step(&mut account, &mut w, now, &op);
        new_holders_see(&account, &before);
        let c = w.c.clone();
        world::compare(&account, &w, &|_| c.clone());
        for agent in account.snapshot().config().agents() {
            let held = VISITORS.iter().filter(|v| account.holder(v) == Some(agent.id())).count() as u32;
            assert_eq!(account.load(agent.id().as_str()), Some(held), "one holder per chat");
        }
        now += 1;
    }
});
