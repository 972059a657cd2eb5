//! Random accounts for the property tests: small pools of ids so that
//! collisions, unknown ids and every policy combination come up often.
#![allow(dead_code)]

use groupgate::{
    AgentSpec, ConfigBuilder, GroupSpec, Plan, Policy, Role, Routing, UnassignedAgents, UngroupedVisitors,
};
use proptest::prelude::*;

#[allow(unused_imports)]
pub use crate::world::{AGENTS, GROUPS, VISITORS, limit, status, tier};

mod cases;
#[allow(unused_imports)]
pub use cases::{cases, config_for, deep};

/// Durations short against the one millisecond each step takes, so that
/// deadlines come due inside a sequence: 0 (at once) to 100; and the
/// longest duration there is, 2^53 − 1 ms, whose deadlines fall past the
/// end of the clock and are never reached (R26, settled), while a random
/// advance can take the clock to its end.
pub const WAITS: [u64; 7] = [0, 1, 2, 3, 5, 100, groupgate::MAX_INSTANT];

prop_compose! {
    pub fn policy()(
        ua in 0usize..3, uv in 0usize..2, admins in any::<bool>(), routing in 0usize..3,
        hide in any::<bool>(), default_limit in proptest::option::weighted(0.3, any::<u8>()),
        timeout in proptest::option::weighted(0.5, 0..WAITS.len()), stay in any::<bool>(),
        requeue in proptest::option::weighted(0.4, 0..WAITS.len()),
    ) -> Policy {
        let mut p = Policy::default();
        p.unassigned_agents = UnassignedAgents::ALL[ua];
        p.ungrouped_visitors = UngroupedVisitors::ALL[uv];
        p.admins_see_all = admins;
        p.routing = Routing::ALL[routing];
        p.hide_unavailable_groups = hide;
        p.default_chat_limit = limit(default_limit);
        p.answer_timeout = timeout.map(|i| WAITS[i]);
        p.after_missed = if stay { groupgate::AfterMissed::Stay } else { groupgate::AfterMissed::Away };
        p.offline_requeue_after = requeue.map(|i| WAITS[i]);
        p
    }
}

prop_compose! {
    fn group_raw()(fallback in proptest::option::weighted(0.4, any::<u8>()),
                   limit in proptest::option::weighted(0.3, any::<u8>()),
                   in_form in proptest::bool::weighted(0.8),
                   overflow in proptest::option::weighted(0.4, 0..WAITS.len())) -> (Option<u8>, Option<u8>, bool, Option<usize>) {
        (fallback, limit, in_form, overflow)
    }
}

prop_compose! {
    fn agent_raw()(role in 0usize..3, mask in any::<u8>(), tiers in any::<[u8; 4]>(),
                   enabled in proptest::bool::weighted(0.85),
                   limit in proptest::option::weighted(0.5, any::<u8>())) -> (usize, u8, [u8; 4], bool, Option<u8>) {
        (role, mask, tiers, enabled, limit)
    }
}

prop_compose! {
    /// A valid configuration: fallbacks only point to later groups, so no cycle.
    pub fn config()(
        pro in proptest::bool::weighted(0.85), plan in 0usize..2, policy in policy(),
        groups in proptest::collection::vec(group_raw(), 0..=4),
        agents in proptest::collection::vec(agent_raw(), 0..=6),
        selection in any::<bool>(),
    ) -> ConfigBuilder {
        let n = groups.len();
        let mut b = ConfigBuilder::new()
            .plan(if pro { Plan::Pro } else { [Plan::Free, Plan::Standard][plan] })
            .policy(policy)
            .group_selection(selection && n > 0);
        for (i, (fallback, lim, in_form, overflow)) in groups.into_iter().enumerate() {
            let mut g = GroupSpec::new(GROUPS[i]).in_contact_form(in_form);
            if let Some(f) = fallback {
                if i + 1 < n {
                    g = g.fallback(GROUPS[i + 1 + usize::from(f) % (n - i - 1)]);
                }
            }
            g.chat_limit = limit(lim);
            g.overflow_after = overflow.map(|w| WAITS[w]);
            b = b.group(g);
        }
        for (i, (role, mask, tiers, enabled, lim)) in agents.into_iter().enumerate() {
            let mut a = AgentSpec::new(AGENTS[i]).role(Role::ALL[role]).enabled(enabled);
            a.chat_limit = limit(lim);
            for g in 0..n {
                if mask & (1 << g) != 0 {
                    a = a.member_as(GROUPS[g], tier(tiers[g]));
                }
            }
            b = b.agent(a);
        }
        b
    }
}
