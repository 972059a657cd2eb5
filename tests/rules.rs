//! One or more tests per rule of `docs/RULES.md`, through the public API only.
//! Expected values come from the rule text, not from running the engine.

// Test code: helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use groupgate::{
    Account, AgentSpec, Change, ConfigBuilder, ErrorCode, GroupSource, GroupSpec, Plan, Policy, Reason, Role, Status,
    Tier, UnassignedAgents, UngroupedVisitors,
};

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

/// Groups `en`, `de`; anna in en, bob in de, carla unassigned; all online.
fn seed(policy: Policy) -> Account {
    let config = ConfigBuilder::new()
        .policy(policy)
        .group(GroupSpec::new("en"))
        .group(GroupSpec::new("de"))
        .agent(AgentSpec::new("anna").member("en"))
        .agent(AgentSpec::new("bob").member("de"))
        .agent(AgentSpec::new("carla"))
        .group_selection(true)
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    for a in ["anna", "bob", "carla"] {
        account.set_status(a, Status::Online).unwrap();
    }
    account
}

fn visit(account: &mut Account, v: &str, page: Option<&str>) {
    account.visit(v, page).unwrap();
}

fn names<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}

fn change(account: &mut Account, change: Change) {
    account.apply(&change).unwrap();
}

// ----- R1 -------------------------------------------------------------------

#[test]
fn r1_without_groups_everyone_enabled_sees_everyone_and_the_form_offers_nothing() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    change(&mut account, Change::SetPlan(Plan::Standard));
    assert_eq!(account.effective_group("v1").unwrap().group(), None);
    assert_eq!(names(account.visible_agents("v1")), ["anna", "bob", "carla"]);
    assert!(account.form_choices().is_empty());
    assert_eq!(account.sees("bob", "v1").rule(), groupgate::Rule::R1);
    change(&mut account, Change::SetEnabled { agent: id("bob"), enabled: false });
    assert_eq!(names(account.visible_agents("v1")), ["anna", "carla"]);
}

#[test]
fn r1_group_limits_and_fallbacks_do_not_apply_without_groups() {
    let config = ConfigBuilder::new()
        .plan(Plan::Free)
        .group(GroupSpec::new("en").chat_limit(0).fallback("de"))
        .group(GroupSpec::new("de"))
        .agent(AgentSpec::new("anna").member_as("en", Tier::Supervisor))
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("anna", Status::Online).unwrap();
    visit(&mut account, "v1", Some("en"));
    // Group limit 0 would forbid every chat on PRO; here it is inert, and
    // anna counts as `normal`, not supervisor, so she is a candidate.
    assert!(account.can_claim("anna", "v1").is_allowed());
    assert_eq!(names(account.candidates("v1").agents()), ["anna"]);
    assert!(account.is_online(Some("en")));
}

#[test]
fn r1_downgrade_then_upgrade_restores_the_configuration_exactly() {
    let mut account = seed(Policy::default());
    let original = account.snapshot().config().clone();
    change(&mut account, Change::SetPlan(Plan::Free));
    assert_eq!(account.snapshot().config().groups(), original.groups());
    assert!(account.snapshot().config().group_selection(), "selection kept, inert");
    let err = account.apply(&Change::SetGroupSelection(true)).unwrap_err();
    assert_eq!(err.code(), "groups_not_in_plan");
    change(&mut account, Change::SetPlan(Plan::Pro));
    assert_eq!(account.snapshot().config(), &original);
    visit(&mut account, "v1", Some("de"));
    assert_eq!(names(account.visible_agents("v1")), ["bob", "carla"]);
}

// ----- R2, R3 ----------------------------------------------------------------

#[test]
fn r2_selection_beats_page_tag_and_the_last_tag_wins() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    visit(&mut account, "v1", Some("de"));
    assert_eq!(account.effective_group("v1").unwrap().group().unwrap(), "de");
    visit(&mut account, "v1", None); // a page without the code keeps the tag
    assert_eq!(account.effective_group("v1").unwrap().group().unwrap(), "de");
    account.select_group("v1", "en").unwrap();
    let g = account.effective_group("v1").unwrap();
    assert_eq!((g.group().unwrap().as_str(), g.source()), ("en", Some(GroupSource::Selection)));
    drop(g);
    visit(&mut account, "v1", Some("de"));
    assert_eq!(account.effective_group("v1").unwrap().group().unwrap(), "en");
}

#[test]
fn r2_a_moved_to_group_beats_selection_and_tag_and_outlives_the_chat() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    account.select_group("v1", "en").unwrap();
    account.claim("anna", "v1").unwrap();
    account.transfer("v1", &groupgate::TransferTarget::Group(id("de"))).unwrap();
    let g = account.effective_group("v1").unwrap();
    assert_eq!((g.group().unwrap().as_str(), g.source()), ("de", Some(GroupSource::MovedTo)));
    drop(g);
    visit(&mut account, "v1", Some("en"));
    account.release("v1").unwrap();
    assert_eq!(account.effective_group("v1").unwrap().group().unwrap(), "de");
    // Removing the moved-to group makes it unknown: the selection counts again (R3).
    change(&mut account, Change::RemoveGroup { group: id("de") });
    let g = account.effective_group("v1").unwrap();
    assert_eq!((g.group().unwrap().as_str(), g.source()), ("en", Some(GroupSource::Selection)));
    assert_eq!(g.unknown()[0].0, GroupSource::MovedTo);
}

#[test]
fn r2_a_selection_keeps_counting_after_selection_is_switched_off() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    account.select_group("v1", "de").unwrap();
    change(&mut account, Change::SetGroupSelection(false));
    assert_eq!(account.effective_group("v1").unwrap().group().unwrap(), "de");
}

#[test]
fn r3_unknown_tags_are_kept_reported_and_match_once_the_group_exists() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("fr"));
    let g = account.effective_group("v1").unwrap();
    assert_eq!(g.group(), None);
    assert_eq!(g.unknown().len(), 1);
    assert_eq!((g.unknown()[0].0, g.unknown()[0].1.as_str()), (GroupSource::PageTag, "fr"));
    drop(g);
    change(&mut account, Change::AddGroup(GroupSpec::new("fr")));
    assert_eq!(account.effective_group("v1").unwrap().group().unwrap(), "fr");
    assert!(account.effective_group("v1").unwrap().unknown().is_empty());
}

#[test]
fn r3_removing_a_group_unknowns_its_tags_and_drops_memberships_and_fallbacks() {
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("en").fallback("de"))
        .group(GroupSpec::new("de"))
        .agent(AgentSpec::new("anna").member("en").member("de"))
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    visit(&mut account, "v1", Some("de"));
    change(&mut account, Change::RemoveGroup { group: id("de") });
    let config = account.snapshot().config();
    assert_eq!(config.groups()[0].fallback(), None);
    assert_eq!(names(config.agents().next().unwrap().memberships().iter().map(|m| m.group())), ["en"]);
    let g = account.effective_group("v1").unwrap();
    assert_eq!((g.group(), g.unknown()[0].1.as_str()), (None, "de"));
}

// ----- R4–R8 -------------------------------------------------------------------

#[test]
fn r4_members_see_only_their_groups() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    visit(&mut account, "v2", Some("de"));
    assert!(account.sees("anna", "v1").is_visible());
    let hidden = account.sees("anna", "v2");
    assert_eq!((hidden.reason(), hidden.rule()), (Some(Reason::NotInGroup), groupgate::Rule::R4));
    assert_eq!(names(account.visible_agents("v2")), ["bob", "carla"]);
}

#[test]
fn r5_unassigned_agents_follow_the_policy() {
    let expect = [
        (UnassignedAgents::SeeAll, true, true),
        (UnassignedAgents::SeeUngrouped, false, true),
        (UnassignedAgents::SeeNothing, false, false),
    ];
    for (policy, sees_grouped, sees_ungrouped) in expect {
        let mut p = Policy::default();
        p.unassigned_agents = policy;
        let mut account = seed(p);
        visit(&mut account, "grouped", Some("en"));
        visit(&mut account, "ungrouped", None);
        assert_eq!(account.sees("carla", "grouped").is_visible(), sees_grouped, "{policy}");
        assert_eq!(account.sees("carla", "ungrouped").is_visible(), sees_ungrouped, "{policy}");
        assert_eq!(account.sees("carla", "grouped").rule(), groupgate::Rule::R5);
    }
}

#[test]
fn r6_ungrouped_visitors_policy_applies_to_agents_with_groups() {
    let mut p = Policy::default();
    p.ungrouped_visitors = UngroupedVisitors::UnassignedOnly;
    let mut account = seed(p);
    visit(&mut account, "v1", None);
    assert_eq!(names(account.visible_agents("v1")), ["carla"]);
    assert_eq!(account.can_claim("anna", "v1").reason(), Some(Reason::UngroupedHidden));
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", None);
    assert_eq!(names(account.visible_agents("v1")), ["anna", "bob", "carla"]);
}

#[test]
fn r7_admins_see_all_only_when_the_policy_says_so() {
    let config = |admins_see_all| {
        let mut p = Policy::default();
        p.admins_see_all = admins_see_all;
        ConfigBuilder::new()
            .policy(p)
            .group(GroupSpec::new("en"))
            .group(GroupSpec::new("de"))
            .agent(AgentSpec::new("olga").role(Role::Owner).member("en"))
            .agent(AgentSpec::new("adam").role(Role::Admin).member("en"))
            .agent(AgentSpec::new("anna").member("en"))
            .build()
            .unwrap()
    };
    let mut off = Account::new(config(false), 0);
    visit(&mut off, "v1", Some("de"));
    assert!(off.visible_agents("v1").is_empty());
    let mut on = Account::new(config(true), 0);
    visit(&mut on, "v1", Some("de"));
    assert_eq!(names(on.visible_agents("v1")), ["olga", "adam"]);
    assert_eq!(on.sees("olga", "v1").rule(), groupgate::Rule::R7);
}

#[test]
fn r8_disabled_agents_see_claim_and_are_offered_nothing_but_keep_status() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    change(&mut account, Change::SetEnabled { agent: id("anna"), enabled: false });
    assert_eq!(account.sees("anna", "v1").reason(), Some(Reason::AgentDisabled));
    assert_eq!(account.claim("anna", "v1").unwrap_err().code(), "agent_disabled");
    assert_eq!(names(account.candidates("v1").agents()), ["carla"]);
    account.set_status("anna", Status::Away).unwrap();
    assert_eq!(account.status("anna"), Some(Status::Away));
    account.refresh("anna").unwrap();
    assert!(account.dashboard("anna").is_empty());
}

// ----- R9 ------------------------------------------------------------------------

#[test]
fn r9_dashboards_keep_the_loaded_revision_until_refresh() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    visit(&mut account, "v2", Some("de"));
    assert_eq!(account.snapshot().revision(), 1);
    let report = account.apply(&Change::Assign { agent: id("anna"), group: id("de"), tier: Tier::Normal }).unwrap();
    assert_eq!(report.revision(), 2);
    assert_eq!(names(report.visibility_changed()), ["anna"]);
    assert_eq!(names(account.needs_refresh()), ["anna"]);
    assert_eq!(names(account.dashboard("anna")), ["v1"], "pinned to revision 1");
    // Visitors are live: a new one shows under the pinned configuration.
    visit(&mut account, "v3", Some("en"));
    assert_eq!(names(account.dashboard("anna")), ["v1", "v3"]);
    // Claims use the latest revision, where anna is in de.
    assert!(account.can_claim("anna", "v2").is_allowed());
    account.refresh("anna").unwrap();
    assert!(account.needs_refresh().is_empty());
    assert_eq!(names(account.dashboard("anna")), ["v1", "v2", "v3"]);
}

#[test]
fn r9_a_stale_dashboard_never_grants_a_claim() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    change(&mut account, Change::Unassign { agent: id("anna"), group: id("en") });
    change(&mut account, Change::Assign { agent: id("anna"), group: id("de"), tier: Tier::Normal });
    assert_eq!(names(account.dashboard("anna")), ["v1"]);
    assert_eq!(account.claim("anna", "v1").unwrap_err().code(), "not_in_group");
}

#[test]
fn r9_changes_that_do_not_change_visibility_need_no_refresh() {
    let mut account = seed(Policy::default());
    // Tiers and limits do not change what anna sees.
    let report = account.apply(&Change::Assign { agent: id("anna"), group: id("en"), tier: Tier::First }).unwrap();
    assert!(report.visibility_changed().is_empty());
    let report = account.apply(&Change::UpdateAgent(groupgate::AgentPatch::new("anna").chat_limit(Some(1)))).unwrap();
    assert!(report.visibility_changed().is_empty());
    // Renaming-free flag changes do not either.
    let report = account.apply(&Change::UpdateGroup(groupgate::GroupPatch::new("de").in_contact_form(false))).unwrap();
    assert!(report.visibility_changed().is_empty());
    // Turning on R7 for an admin changes what they see.
    change(&mut account, Change::UpdateAgent(groupgate::AgentPatch::new("bob").role(Role::Admin)));
    let mut p = Policy::default();
    p.admins_see_all = true;
    let report = account.apply(&Change::SetPolicy(p.into())).unwrap();
    assert_eq!(names(report.visibility_changed()), ["bob"]);
}

#[test]
fn r9_new_groups_change_visibility_of_tags_that_were_unknown() {
    // A visitor tagged `fr` is ungrouped while fr does not exist, so members
    // see it (R6); once fr exists only fr members (and carla) do.
    // carla (unassigned, see_all) sees everything under both revisions.
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("fr"));
    assert_eq!(names(account.visible_agents("v1")), ["anna", "bob", "carla"]);
    let report = account.apply(&Change::AddGroup(GroupSpec::new("fr"))).unwrap();
    assert_eq!(names(report.visibility_changed()), ["anna", "bob"]);
    assert_eq!(names(account.visible_agents("v1")), ["carla"]);
}

#[test]
fn r9_availability_changes_are_reported_per_page() {
    let mut account = seed(Policy::default());
    account.set_status("carla", Status::Offline).unwrap();
    let report = account.apply(&Change::SetEnabled { agent: id("bob"), enabled: false }).unwrap();
    let changed: Vec<(Option<String>, bool)> =
        report.availability().iter().map(|a| (a.page_group().map(|g| g.to_string()), a.online())).collect();
    assert_eq!(changed, [(Some("de".to_string()), false)]);
}

#[test]
fn r9_r10_r17_a_membership_change_reports_the_pages_that_fall_back_to_its_group() {
    // "en" has nobody and falls back to "de"; anna serves "de" and "it".
    // Taking her out of "de" takes "de" and, through the fallback, "en"
    // offline; adding her to "fr" brings "fr" online; "it" never changes.
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("en").fallback("de"))
        .group(GroupSpec::new("de"))
        .group(GroupSpec::new("fr"))
        .group(GroupSpec::new("it"))
        .agent(AgentSpec::new("anna").member("de").member("it"))
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("anna", Status::Online).unwrap();
    let pages = |report: &groupgate::ChangeReport| -> Vec<(Option<String>, bool)> {
        report.availability().iter().map(|a| (a.page_group().map(|g| g.to_string()), a.online())).collect()
    };
    let left = account.apply(&Change::Unassign { agent: id("anna"), group: id("de") }).unwrap();
    assert_eq!(pages(&left), [(Some("en".to_string()), false), (Some("de".to_string()), false)]);
    let joined = account.apply(&Change::Assign { agent: id("anna"), group: id("fr"), tier: Tier::Normal }).unwrap();
    assert_eq!(pages(&joined), [(Some("fr".to_string()), true)]);
    assert!(account.is_online(Some("it")) && !account.is_online(Some("en")));
    // A supervisor is never offered a chat (R15): the member list stays,
    // the page goes offline.
    let watching =
        account.apply(&Change::Assign { agent: id("anna"), group: id("it"), tier: Tier::Supervisor }).unwrap();
    assert_eq!(pages(&watching), [(Some("it".to_string()), false)]);
}

// ----- R10 -----------------------------------------------------------------------

#[test]
fn r10_an_online_unassigned_agent_makes_every_page_online() {
    let mut account = seed(Policy::default());
    account.set_status("anna", Status::Offline).unwrap();
    account.set_status("bob", Status::Offline).unwrap();
    for page in [Some("en"), Some("de"), Some("unknown"), None] {
        assert!(account.is_online(page), "{page:?}");
    }
    account.set_status("carla", Status::Away).unwrap();
    for page in [Some("en"), Some("de"), None] {
        assert!(!account.is_online(page), "away agents are not candidates: {page:?}");
    }
}

#[test]
fn r10_fallback_chains_count_and_supervisors_and_full_agents_do_not() {
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("en").fallback("de"))
        .group(GroupSpec::new("de"))
        .agent(AgentSpec::new("sam").member_as("en", Tier::Supervisor))
        .agent(AgentSpec::new("bob").member("de").chat_limit(1))
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("sam", Status::Online).unwrap();
    account.set_status("bob", Status::Online).unwrap();
    assert!(account.is_online(Some("en")), "via the fallback de");
    visit(&mut account, "v1", Some("de"));
    account.claim("bob", "v1").unwrap();
    assert!(!account.is_online(Some("en")), "bob is full, sam is a supervisor");
    assert!(!account.is_online(Some("de")));
    // Sam may still claim by hand.
    visit(&mut account, "v2", Some("en"));
    assert!(account.can_claim("sam", "v2").is_allowed());
}

#[test]
fn r10_a_wide_viewer_over_a_group_limit_does_not_keep_that_page_online() {
    // Two unassigned agents see every visitor (R5); en lets an agent hold one
    // chat there (R12), de has no limit.
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("en").chat_limit(1))
        .group(GroupSpec::new("de"))
        .agent(AgentSpec::new("carla"))
        .agent(AgentSpec::new("dora"))
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("carla", Status::Online).unwrap();
    account.set_status("dora", Status::Online).unwrap();
    visit(&mut account, "v1", Some("de"));
    account.claim("dora", "v1").unwrap();
    assert!(account.is_online(Some("en")), "carla can take a chat in en");
    account.set_status("carla", Status::Away).unwrap();
    // Dora still stands in for carla in de, not in en, where she is at its
    // limit.
    assert!(!account.is_online(Some("en")));
    assert!(account.is_online(Some("de")));
    let said: Vec<String> = account.notices().iter().map(|n| n.notice.to_string()).collect();
    assert_eq!(said, [r#"{"availability_changed": {"group": "en", "online": false}}"#]);
    account.check_indexes().unwrap();
}

// ----- R11, R12 ----------------------------------------------------------------

#[test]
fn r11_reasons_come_in_the_rule_order() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    visit(&mut account, "v2", None);
    account.claim("carla", "v1").unwrap();
    // Disabled beats not seeing, which beats already claimed.
    change(&mut account, Change::Assign { agent: id("bob"), group: id("de"), tier: Tier::Normal });
    assert_eq!(account.can_claim("bob", "v1").reason(), Some(Reason::NotInGroup));
    change(&mut account, Change::SetEnabled { agent: id("bob"), enabled: false });
    assert_eq!(account.can_claim("bob", "v1").reason(), Some(Reason::AgentDisabled));
    // Seeing but held by another: already_claimed, before offline.
    account.set_status("anna", Status::Offline).unwrap();
    assert_eq!(account.can_claim("anna", "v1").reason(), Some(Reason::AlreadyClaimed));
    assert_eq!(account.can_claim("anna", "v2").reason(), Some(Reason::AgentOffline));
    // Away may claim by hand.
    account.set_status("anna", Status::Away).unwrap();
    assert!(account.can_claim("anna", "v2").is_allowed());
    change(&mut account, Change::UpdateAgent(groupgate::AgentPatch::new("anna").chat_limit(Some(0))));
    assert_eq!(account.can_claim("anna", "v2").reason(), Some(Reason::AtCapacity));
}

#[test]
fn r11_a_holder_keeps_its_chat_after_losing_sight_but_cannot_claim_again() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    account.claim("anna", "v1").unwrap();
    account.set_status("anna", Status::Offline).unwrap();
    assert!(account.claim("anna", "v1").is_ok(), "the holder may, whatever its status");
    change(&mut account, Change::Unassign { agent: id("anna"), group: id("en") });
    change(&mut account, Change::Assign { agent: id("anna"), group: id("de"), tier: Tier::Normal });
    assert_eq!(account.holder("v1").unwrap(), "anna");
    assert_eq!(account.load("anna"), Some(1));
    assert_eq!(account.claim("anna", "v1").unwrap_err().code(), "not_in_group");
}

#[test]
fn r12_the_limit_is_the_smallest_of_own_or_default_and_the_group() {
    let mut p = Policy::default();
    p.default_chat_limit = Some(3);
    let config = ConfigBuilder::new()
        .policy(p)
        .group(GroupSpec::new("en").chat_limit(1))
        .group(GroupSpec::new("de"))
        .agent(AgentSpec::new("anna").member("en").member("de"))
        .agent(AgentSpec::new("bob").member("de").chat_limit(0))
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("anna", Status::Online).unwrap();
    account.set_status("bob", Status::Online).unwrap();
    for (v, g) in [("d1", "de"), ("e1", "en"), ("d2", "de"), ("d3", "de"), ("d4", "de")] {
        visit(&mut account, v, Some(g));
    }
    account.claim("anna", "d1").unwrap();
    // Load counts chats in any group: 1 ≥ en's limit of 1.
    assert_eq!(account.claim("anna", "e1").unwrap_err().code(), "at_capacity");
    account.claim("anna", "d2").unwrap();
    account.claim("anna", "d3").unwrap();
    assert_eq!(account.claim("anna", "d4").unwrap_err().code(), "at_capacity", "default limit 3");
    assert_eq!(account.claim("bob", "d4").unwrap_err().code(), "at_capacity", "0 means no chats");
    // Lowering a limit never takes chats away.
    change(&mut account, Change::UpdateAgent(groupgate::AgentPatch::new("anna").chat_limit(Some(1))));
    assert_eq!(account.load("anna"), Some(3));
    assert_eq!(account.holder("d3").unwrap(), "anna");
}

// ----- R13, R14 -----------------------------------------------------------------

#[test]
fn r13_one_owner_and_repeat_claims_change_nothing() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    let first = account.claim("anna", "v1").unwrap();
    let err = account.claim("carla", "v1").unwrap_err();
    assert_eq!(err.code(), "already_claimed");
    assert!(err.to_string().contains("`anna`"), "names the holder: {err}");
    let again = account.claim("anna", "v1").unwrap();
    assert!(!again.changed());
    assert_eq!(again.version(), first.version());
    assert_eq!(account.load("anna"), Some(1));
}

#[test]
fn r13_compare_and_set_loser_gets_already_claimed_and_versions_never_repeat() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    let mut seen = vec![account.chat_version("v1").unwrap()];
    let read = seen[0];
    // Two servers read the same version; anna's commit lands first.
    account.claim_at_version("anna", "v1", read).unwrap();
    assert_eq!(account.claim_at_version("carla", "v1", read).unwrap_err().code(), "already_claimed");
    seen.push(account.chat_version("v1").unwrap());
    for _ in 0..3 {
        account.release("v1").unwrap();
        seen.push(account.chat_version("v1").unwrap());
        account.claim("anna", "v1").unwrap();
        seen.push(account.chat_version("v1").unwrap());
    }
    account.leave("v1").unwrap();
    visit(&mut account, "v1", Some("en"));
    seen.push(account.chat_version("v1").unwrap());
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
}

#[test]
fn r13_versions_never_repeat_even_at_the_end_of_the_counter() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    visit(&mut account, "v2", Some("de"));
    // A restore that would leave the counter unable to move on is refused.
    let before = account.clone();
    assert_eq!(account.restore_chat("v1", Some("anna"), u64::MAX).unwrap_err().code(), "version_exhausted");
    assert_eq!(account, before);
    // One value left: a release takes it, and every later event that needs a
    // version fails and changes nothing.
    account.restore_chat("v1", Some("anna"), u64::MAX - 1).unwrap();
    assert_eq!(account.chat_version("v1"), Some(u64::MAX - 1));
    account.release("v1").unwrap();
    assert_eq!(account.chat_version("v1"), Some(u64::MAX));
    assert_eq!(account.load("anna"), Some(0));
    let before = account.clone();
    assert_eq!(account.claim("anna", "v1").unwrap_err().code(), "version_exhausted");
    assert_eq!(account.claim("bob", "v2").unwrap_err().code(), "version_exhausted");
    assert_eq!(account.route("v2").unwrap_err().code(), "version_exhausted");
    assert_eq!(account.visit("v3", None).unwrap_err().code(), "version_exhausted");
    assert_eq!(account, before, "failed events change nothing");
    assert_eq!((account.chat_version("v1"), account.holder("v1")), (Some(u64::MAX), None));
    assert!(!account.has_visitor("v3"));
    // Events that need no new version still work.
    visit(&mut account, "v2", Some("en"));
    account.set_status("bob", Status::Away).unwrap();
    account.refresh("anna").unwrap();
}

#[test]
fn r13_r14_a_change_that_would_requeue_past_the_counter_end_changes_nothing() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    visit(&mut account, "v2", Some("en"));
    account.restore_chat("v1", Some("anna"), u64::MAX - 2).unwrap();
    account.restore_chat("v2", Some("anna"), u64::MAX - 1).unwrap();
    let before = account.clone();
    // Disabling anna puts her two chats back in the queue: two new
    // versions, where one value is left.
    let change = Change::SetEnabled { agent: id("anna"), enabled: false };
    assert_eq!(account.apply(&change).unwrap_err().code(), "version_exhausted");
    assert_eq!(account, before);
    assert_eq!(account.snapshot().revision(), 1);
}

#[test]
fn r14_release_frees_load_and_leaving_forgets_the_visitor() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    visit(&mut account, "v2", Some("en"));
    account.claim("anna", "v1").unwrap();
    account.release("v1").unwrap();
    assert_eq!(account.load("anna"), Some(0));
    assert_eq!(account.release("v1").unwrap_err().code(), "no_chat");
    account.claim("anna", "v1").unwrap();
    account.leave("v1").unwrap();
    assert_eq!(account.load("anna"), Some(0));
    assert!(!account.has_visitor("v1"));
    visit(&mut account, "v1", None);
    assert_eq!(account.effective_group("v1").unwrap().group(), None, "a new visitor: no old tag");
    assert_eq!(names(account.dashboard("anna")), ["v2", "v1"], "arrives after v2");
}

#[test]
fn r14_removing_or_disabling_an_agent_requeues_its_chats() {
    let mut account = seed(Policy::default());
    for v in ["v1", "v2", "v3"] {
        visit(&mut account, v, Some("en"));
    }
    account.claim("anna", "v2").unwrap();
    account.claim("anna", "v1").unwrap();
    account.claim("carla", "v3").unwrap();
    let report = account.apply(&Change::SetEnabled { agent: id("anna"), enabled: false }).unwrap();
    assert_eq!(names(report.requeued()), ["v1", "v2"], "ties by arrival");
    assert_eq!(names(account.queue()), ["v1", "v2"]);
    assert_eq!(account.holder("v1"), None);
    assert_eq!(account.load("anna"), Some(0));
    change(&mut account, Change::RemoveAgent { agent: id("carla") });
    assert_eq!(names(account.queue()), ["v1", "v2", "v3"], "re-queued goes to the back");
    change(&mut account, Change::AddAgent(AgentSpec::new("carla")));
    assert_eq!((account.load("carla"), account.status("carla")), (Some(0), Some(Status::Offline)));
    assert_eq!(account.loaded_revision("carla"), Some(account.snapshot().revision()));
}

// ----- R20–R22 ------------------------------------------------------------------

#[test]
fn r20_group_selection_needs_groups_and_the_plan() {
    let mut account = Account::new(ConfigBuilder::new().build().unwrap(), 0);
    assert_eq!(account.apply(&Change::SetGroupSelection(true)).unwrap_err().code(), "no_groups");
    change(&mut account, Change::AddGroup(GroupSpec::new("en")));
    change(&mut account, Change::SetGroupSelection(true));
    assert_eq!(account.apply(&Change::RemoveGroup { group: id("en") }).unwrap_err().code(), "no_groups");
    change(&mut account, Change::SetPlan(Plan::Free));
    assert!(account.snapshot().config().group_selection(), "kept, inert");
    change(&mut account, Change::SetGroupSelection(false));
    assert_eq!(account.apply(&Change::SetGroupSelection(true)).unwrap_err().code(), "groups_not_in_plan");
    // groups_not_in_plan comes before no_groups.
    let mut empty = Account::new(ConfigBuilder::new().plan(Plan::Free).build().unwrap(), 0);
    assert_eq!(empty.apply(&Change::SetGroupSelection(true)).unwrap_err().code(), "groups_not_in_plan");
}

#[test]
fn r21_choices_in_config_order_with_flags_and_availability() {
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("sales"))
        .group(GroupSpec::new("hidden").in_contact_form(false))
        .group(GroupSpec::new("en"))
        .agent(AgentSpec::new("anna").member("en"))
        .group_selection(true)
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("anna", Status::Online).unwrap();
    assert_eq!(names(account.form_choices()), ["sales", "en"]);
    let mut p = Policy::default();
    p.hide_unavailable_groups = true;
    change(&mut account, Change::SetPolicy(p.into()));
    assert_eq!(names(account.form_choices()), ["en"]);
    change(&mut account, Change::SetGroupSelection(false));
    assert!(account.form_choices().is_empty());
}

#[test]
fn r22_selection_only_of_offered_groups_and_failures_change_nothing() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    change(&mut account, Change::UpdateGroup(groupgate::GroupPatch::new("de").in_contact_form(false)));
    let before = account.clone();
    assert_eq!(account.select_group("v1", "de").unwrap_err().code(), "group_not_offered");
    assert_eq!(account.select_group("v1", "nope").unwrap_err().code(), "group_not_offered");
    assert_eq!(account.select_group("ghost", "en").unwrap_err().code(), "unknown_visitor");
    change(&mut account, Change::SetGroupSelection(false));
    assert_eq!(account.select_group("v1", "de").unwrap_err().code(), "group_selection_disabled");
    // Only the configuration changed: the visitors and agents as saved are
    // the same.
    let (now, then) = (account.save(), before.save());
    assert_eq!((now.visitors, now.agents), (then.visitors, then.agents));
}

// ----- R23–R25 ------------------------------------------------------------------

#[test]
fn r23_every_problem_at_once_with_ids() {
    let raw = ConfigBuilder::new()
        .group(GroupSpec::new("en").fallback("de"))
        .group(GroupSpec::new("de").fallback("en"))
        .group(GroupSpec::new("en"))
        .group(GroupSpec::new(""))
        .group(GroupSpec::new("x".repeat(65)))
        .group(GroupSpec::new("bad\tid"))
        .group(GroupSpec::new("sales").fallback("nowhere"))
        .agent(AgentSpec::new("anna").member("en").member("en").member("fr").member_as("de", Tier::First))
        .agent(AgentSpec::new("anna"))
        .group_selection(true);
    let mut raw = raw;
    raw.agents[0].tiers.insert("sales".into(), Tier::Last);
    let err = raw.build().unwrap_err();
    let codes: Vec<&str> = err.codes().collect();
    assert_eq!(
        codes,
        [
            "invalid_id",
            "invalid_id",
            "invalid_id",
            "duplicate_group",
            "duplicate_group",
            "duplicate_agent",
            "unknown_group",
            "unknown_group",
            "unknown_group",
            "fallback_cycle"
        ]
    );
    let msg = err.to_string();
    for needle in [
        "group `en` is defined more than once",
        "agent `anna` lists group `en` more than once",
        "agent `anna` is defined more than once",
        "agent `anna` is a member of unknown group `fr`",
        "agent `anna` has a tier for group `sales`",
        "group `sales` falls back to unknown group `nowhere`",
        "fallback cycle: `en` → `de` → `en`",
        "bad\\tid",
    ] {
        assert!(msg.contains(needle), "{needle:?} missing from {msg}");
    }
}

#[test]
fn r23_a_repeated_or_invalid_entry_is_still_checked_for_everything_else() {
    use groupgate::Problem;
    // A repeated group whose copy names an unknown fallback.
    let err = ConfigBuilder::new().group(GroupSpec::new("g")).group(GroupSpec::new("g").fallback("zz")).build();
    assert_eq!(
        err.unwrap_err().problems(),
        [
            Problem::DuplicateGroup { group: "g".into() },
            Problem::UnknownFallback { group: "g".into(), fallback: "zz".into() }
        ]
    );
    // A repeated agent whose copy lists a group twice and an unknown one.
    let err = ConfigBuilder::new()
        .group(GroupSpec::new("g"))
        .agent(AgentSpec::new("a"))
        .agent(AgentSpec::new("a").member("g").member("g").member("zz"))
        .build();
    assert_eq!(
        err.unwrap_err().problems(),
        [
            Problem::DuplicateMembership { agent: "a".into(), group: "g".into() },
            Problem::DuplicateAgent { agent: "a".into() },
            Problem::UnknownMembership { agent: "a".into(), group: "zz".into() }
        ]
    );
    // A group whose own id is invalid, with an unknown fallback; an agent
    // whose own id is invalid, with an unknown membership.
    let err = ConfigBuilder::new()
        .group(GroupSpec::new("").fallback("zz"))
        .agent(AgentSpec::new("").member("yy"))
        .build()
        .unwrap_err();
    assert_eq!(err.codes().collect::<Vec<_>>(), ["invalid_id", "invalid_id", "unknown_group", "unknown_group"]);
    // A reference that breaks the id rules is `invalid_id`, not unknown.
    let err = ConfigBuilder::new().group(GroupSpec::new("g").fallback("")).build().unwrap_err();
    assert_eq!(err.codes().collect::<Vec<_>>(), ["invalid_id"]);
}

#[test]
fn r23_a_change_with_several_problems_fails_with_the_first_code_of_the_documented_order() {
    let mut account = seed(Policy::default());
    // `anna` exists and the membership repeats `en`: `duplicate_group` comes
    // before `duplicate_agent` whichever part of the change each is in.
    let change = Change::AddAgent(AgentSpec::new("anna").member("en").member("en"));
    assert_eq!(account.apply(&change).unwrap_err().code(), "duplicate_group");
    let change = Change::AddAgent(AgentSpec::new("anna").member("fr"));
    assert_eq!(account.apply(&change).unwrap_err().code(), "duplicate_agent");
    let change = Change::AddGroup(GroupSpec::new("en").fallback("fr"));
    assert_eq!(account.apply(&change).unwrap_err().code(), "duplicate_group");
    assert_eq!(account.snapshot().revision(), 1, "nothing changed");
}

#[test]
fn r23_no_groups_with_selection_is_reported() {
    let err = ConfigBuilder::new().group_selection(true).build().unwrap_err();
    assert_eq!(err.codes().collect::<Vec<_>>(), ["no_groups"]);
}

#[test]
fn r24_a_failed_change_leaves_the_previous_revision_untouched() {
    let mut account = seed(Policy::default());
    visit(&mut account, "v1", Some("en"));
    account.claim("anna", "v1").unwrap();
    let before = account.clone();
    let failing = [
        Change::AddGroup(GroupSpec::new("en")),
        Change::AddGroup(GroupSpec::new("fr").fallback("nowhere")),
        Change::UpdateGroup(groupgate::GroupPatch::new("de").fallback(Some("de"))),
        Change::RemoveAgent { agent: id("ghost") },
        Change::Unassign { agent: id("bob"), group: id("en") },
        Change::AddAgent(AgentSpec::new("anna")),
    ];
    let codes: Vec<&str> = failing.iter().map(|c| account.apply(c).unwrap_err().code()).collect();
    assert_eq!(
        codes,
        ["duplicate_group", "unknown_group", "fallback_cycle", "unknown_agent", "not_in_group", "duplicate_agent"]
    );
    assert_eq!(account, before);
    assert_eq!(account.snapshot().revision(), 1);
}

#[test]
fn r24_serde_round_trip_keeps_order_and_rejects_unknown_fields() {
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("zeta").name("Zeta").chat_limit(2))
        .group(GroupSpec::new("alpha").fallback("zeta").in_contact_form(false))
        .agent(AgentSpec::new("zoe").member("zeta").member_as("alpha", Tier::Supervisor))
        .agent(AgentSpec::new("adam").role(Role::Admin).enabled(false).chat_limit(7))
        .group_selection(true)
        .build()
        .unwrap();
    let json = serde_json::to_string(&config).unwrap();
    let back: groupgate::Config = serde_json::from_str(&json).unwrap();
    assert_eq!(back, config);
    assert_eq!(names(back.groups().iter().map(|g| g.id())), ["zeta", "alpha"]);
    let typo = r#"{"groups": [{"id": "en", "fallbak": "de"}]}"#;
    let err = serde_json::from_str::<groupgate::Config>(typo).unwrap_err();
    assert!(err.to_string().contains("fallbak"), "{err}");
    let invalid = r#"{"groups": [{"id": "en"}, {"id": "en"}], "agents": [{"id": "", "groups": ["fr"]}]}"#;
    let err = serde_json::from_str::<groupgate::Config>(invalid).unwrap_err().to_string();
    assert!(err.contains("3 problems") && err.contains("`en`") && err.contains("`fr`"), "{err}");
}

#[test]
fn r25_lists_follow_configuration_order_not_input_or_hash_order() {
    let mut b = ConfigBuilder::new().group(GroupSpec::new("en"));
    let ids = ["zed", "amy", "mo", "bea", "kai", "ivy", "al", "ned"];
    for a in ids {
        b = b.agent(AgentSpec::new(a).member("en"));
    }
    let mut account = Account::new(b.build().unwrap(), 0);
    for a in ids.iter().rev() {
        account.set_status(a, Status::Online).unwrap();
    }
    for v in ["v9", "v1", "v5"] {
        visit(&mut account, v, Some("en"));
    }
    assert_eq!(names(account.visible_agents("v1")), ids);
    assert_eq!(names(account.candidates("v1").agents()), ids);
    assert_eq!(names(account.dashboard("mo")), ["v9", "v1", "v5"]);
}

#[test]
fn r14_r18_r25_indexes_survive_thousands_of_departures() {
    // Thousands of visitors leave and others take their places in the
    // store: queue, dashboards, group lists, holders and keys must all stay
    // right.
    let mut account = seed(Policy::default());
    for i in 0..3000 {
        visit(&mut account, &format!("v{i}"), Some(if i % 2 == 0 { "en" } else { "de" }));
    }
    let old_key = account.visitor_key("v2996").unwrap();
    let gone_key = account.visitor_key("v0").unwrap();
    let anna = account.agent_key("anna").unwrap();
    account.route("v2998").unwrap(); // queued (broadcast)
    account.advance_to(1).unwrap(); // so that v10 enters the queue later
    account.route("v10").unwrap();
    account.claim("anna", "v2996").unwrap();
    for i in 0..2990 {
        if i != 10 {
            account.leave(&format!("v{i}")).unwrap();
        }
    }
    visit(&mut account, "v10", Some("de")); // a retag after the departures
    visit(&mut account, "late", Some("en")); // takes a freed place
    let expected_en: Vec<String> = ["v2990", "v2992", "v2994", "v2996", "v2998", "late"].map(String::from).to_vec();
    assert_eq!(names(account.dashboard("anna")), expected_en);
    assert_eq!(names(account.dashboard("bob")), ["v10", "v2991", "v2993", "v2995", "v2997", "v2999"]);
    assert_eq!(names(account.queue()), ["v2998", "v10"]);
    assert_eq!(account.holder("v2996").unwrap(), "anna");
    assert_eq!(names(account.visitors()).len(), 12);
    account.release("v2998").unwrap();
    assert_eq!(names(account.queue()), ["v10"]);
    // A key of a visitor who stayed still works; a key of one who left is
    // refused, whoever took its place.
    assert!(account.sees_key(anna, old_key).is_visible());
    assert_eq!(account.sees_key(anna, gone_key).reason(), Some(Reason::UnknownVisitor));
    for i in 0..3000 {
        visit(&mut account, &format!("w{i}"), Some("en"));
    }
    assert_eq!(account.sees_key(anna, gone_key).reason(), Some(Reason::UnknownVisitor));
    assert_eq!(account.sees_key(anna, old_key), account.sees("anna", "v2996"));
    assert!(!account.sees_key(anna, account.visitor_key("v10").unwrap()).is_visible());
}

#[test]
fn r09_dashboards_of_agents_who_see_many_groups_keep_arrival_order() {
    let mut b = ConfigBuilder::new();
    for g in 0..12 {
        b = b.group(GroupSpec::new(format!("g{g}")));
    }
    let groups: Vec<String> = (0..12).map(|g| format!("g{g}")).collect();
    let mut busy = AgentSpec::new("busy");
    for g in &groups[..10] {
        busy = busy.member(g.clone());
    }
    let mut account = Account::new(b.agent(busy).agent(AgentSpec::new("all")).build().unwrap(), 0);
    let mut arrivals = Vec::new();
    for i in 0..40 {
        let v = format!("v{i}");
        visit(&mut account, &v, Some(&groups[(i * 7) % 12]));
        arrivals.push((v, (i * 7) % 12));
    }
    visit(&mut account, "none", None);
    let seen_by_busy: Vec<String> =
        arrivals.iter().filter(|(_, g)| *g < 10).map(|(v, _)| v.clone()).chain(["none".to_string()]).collect();
    assert_eq!(names(account.dashboard("busy")), seen_by_busy);
    let everyone: Vec<String> = arrivals.iter().map(|(v, _)| v.clone()).chain(["none".to_string()]).collect();
    assert_eq!(names(account.dashboard("all")), everyone);
}

#[test]
fn an_account_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Account>();
    let account = std::sync::Arc::new(std::sync::RwLock::new(seed(Policy::default())));
    let writer = std::sync::Arc::clone(&account);
    std::thread::spawn(move || visit(&mut writer.write().unwrap(), "v1", Some("en"))).join().unwrap();
    assert_eq!(names(account.read().unwrap().visible_agents("v1")), ["anna", "carla"]);
}

/// R30 is under way: a configuration cannot define schedules yet, so a
/// group with no schedule (`null`, as the scenario format writes it) is
/// always open, and one naming a schedule fails with `unknown_schedule`,
/// also through `update_group`; a failed change loses nothing (R24).
#[test]
fn r30_validation_reports_every_schedule_problem_with_its_ids() {
    let bad = groupgate::ScheduleSpec::new("nights", "Mars/Olympus_Mons")
        .day("monday", &[("08:00", "17:00")])
        .day("tue", &[("17:00", "08:00")])
        .exception("2026-02-30", &[]);
    let err = ConfigBuilder::new()
        .schedule(groupgate::ScheduleSpec::new("office", "Europe/Prague").day("mon", &[("08:00", "17:00")]))
        .schedule(groupgate::ScheduleSpec::new("office", "UTC").day("wed", &[("08:00", "12:00"), ("11:00", "13:00")]))
        .schedule(bad)
        .schedule(groupgate::ScheduleSpec::new("", "UTC"))
        .group(GroupSpec::new("en").schedule("office"))
        .group(GroupSpec::new("de").schedule("weekends"))
        .group(GroupSpec::new("fr").schedule("bad\nid"))
        .build()
        .unwrap_err();
    let codes: Vec<&str> = err.codes().collect();
    assert_eq!(
        codes,
        [
            "invalid_id",
            "invalid_id",
            "duplicate_schedule",
            "unknown_schedule",
            "unknown_time_zone",
            "invalid_hours",
            "invalid_hours",
            "invalid_hours",
            "invalid_hours",
        ]
    );
    let text = err.to_string();
    for part in [
        "invalid schedule id: id is empty",
        "invalid schedule of group `fr`",
        "schedule `office` is defined more than once",
        "group `de` follows unknown schedule `weekends`",
        "schedule `nights`: unknown time zone `Mars/Olympus_Mons`",
        "schedule `nights`: invalid hours: `monday` is no day name",
        "schedule `nights`: invalid hours: `tue`: 17:00–08:00 does not start before it ends",
        "schedule `nights`: invalid hours: `2026-02-30` is no date",
        // The repeated entry is checked too (R23).
        "schedule `office`: invalid hours: `wed`: intervals overlap",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text}");
    }
    // A schedule that is written but wrong is not also unknown.
    let err = ConfigBuilder::new()
        .schedule(groupgate::ScheduleSpec::new("office", "Europe/Pragu"))
        .group(GroupSpec::new("en").schedule("office"))
        .build()
        .unwrap_err();
    assert_eq!(err.codes().collect::<Vec<_>>(), ["unknown_time_zone"]);
}

#[test]
fn r30_schedules_round_trip_and_remove_only_when_unused() {
    let config = ConfigBuilder::new()
        .schedule(
            groupgate::ScheduleSpec::new("office", "Europe/Prague")
                .day("fri", &[("08:00", "17:00")])
                .day("mon", &[("13:00", "17:00"), ("08:00", "12:00")]),
        )
        .schedule(groupgate::ScheduleSpec::new("night", "Asia/Manila").exception("2026-12-24", &[("00:00", "24:00")]))
        .group(GroupSpec::new("en").schedule("office"))
        .group(GroupSpec::new("de").schedule("night"))
        .group(GroupSpec::new("fr"))
        .build()
        .unwrap();
    // R24: written out and read back, equal, order included.
    let json = serde_json::to_string(&config).unwrap();
    let back: groupgate::Config = serde_json::from_str(&json).unwrap();
    assert_eq!(back, config);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    assert!(json.find("\"office\"").unwrap() < json.find("\"night\"").unwrap());
    assert!(json.find("\"fri\"").unwrap() < json.find("\"mon\"").unwrap());
    let mut account = Account::new(config, 0);
    let err = account.apply(&Change::RemoveSchedule { schedule: id("night") }).unwrap_err();
    assert_eq!(err.code(), "schedule_in_use");
    assert_eq!(err.to_string(), "invalid configuration (1 problem): schedule `night` is followed by group `de`");
    assert_eq!(
        account.apply(&Change::RemoveSchedule { schedule: id("ghost") }).unwrap_err().code(),
        "unknown_schedule"
    );
    assert_eq!(account.snapshot().revision(), 1);
    let patch = groupgate::GroupPatch::new("de").schedule(None);
    account.apply(&Change::UpdateGroup(patch)).unwrap();
    account.apply(&Change::RemoveSchedule { schedule: id("night") }).unwrap();
    let ids: Vec<&str> = account.snapshot().config().schedules().iter().map(|s| s.id().as_str()).collect();
    assert_eq!(ids, ["office"]);
    // A group may write its schedule as null (the format's example does).
    let json = r#"{"id": "en", "fallback": null, "chat_limit": null, "overflow_after": null, "schedule": null}"#;
    let spec: GroupSpec = serde_json::from_str(json).unwrap();
    assert_eq!(spec, GroupSpec::new("en"));
}

/// Monday 2026-11-23 in Prague: 08:00 is 07:00Z, 17:00 is 16:00Z.
const PRAGUE_MON_8: u64 = 1_795_417_200_000;
const PRAGUE_MON_17: u64 = 1_795_449_600_000;
const HOUR: u64 = 3_600_000;

fn office_account(start: u64) -> Account {
    let office = groupgate::ScheduleSpec::new("office", "Europe/Prague").day("mon", &[("08:00", "17:00")]);
    let mut policy = Policy::default();
    policy.routing = groupgate::Routing::LeastBusy;
    let config = ConfigBuilder::new()
        .policy(policy)
        .schedule(office)
        .group(GroupSpec::new("cz").schedule("office"))
        .agent(AgentSpec::new("anna").member("cz"))
        .build()
        .unwrap();
    let mut account = Account::new(config, start);
    account.set_status("anna", Status::Online).unwrap();
    account
}

#[test]
fn r30_a_change_that_opens_or_closes_a_group_reports_it() {
    let mut account = office_account(PRAGUE_MON_8 + HOUR);
    let patch = groupgate::GroupPatch::new("cz").schedule(None);
    let report = account.apply(&Change::UpdateGroup(patch)).unwrap();
    assert!(report.hours_changed().is_empty(), "open before and after");
    account.apply(&Change::SetSchedule(groupgate::ScheduleSpec::new("shut", "UTC"))).unwrap();
    let patch = groupgate::GroupPatch::new("cz").schedule(Some("shut"));
    let report = account.apply(&Change::UpdateGroup(patch)).unwrap();
    assert_eq!(report.hours_changed(), [(id("cz"), false)]);
    assert_eq!(report.availability().len(), 1);
    assert!(!report.availability()[0].online());
    let all_day = groupgate::ScheduleSpec::new("shut", "UTC").day("mon", &[("00:00", "24:00")]);
    let report = account.apply(&Change::SetSchedule(all_day)).unwrap();
    assert_eq!(report.hours_changed(), [(id("cz"), true)]);
    let report = account.apply(&Change::AddGroup(GroupSpec::new("de").schedule("office"))).unwrap();
    assert!(report.hours_changed().is_empty(), "a group added open");
    let report = account.apply(&Change::AddGroup(GroupSpec::new("at").schedule("office"))).unwrap();
    assert!(report.hours_changed().is_empty());
}

#[test]
fn r30_saved_accounts_load_with_the_same_hours_and_boundaries() {
    let mut account = office_account(PRAGUE_MON_8 - HOUR);
    account.visit("v1", Some("cz")).unwrap();
    account.route("v1").unwrap();
    assert_eq!(account.queue(), ["v1"]);
    assert_eq!(account.next_deadline(), Some(PRAGUE_MON_8));
    let json = serde_json::to_string(&account.save()).unwrap();
    let mut loaded = Account::from_saved(serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(loaded, account);
    assert_eq!(loaded.next_deadline(), Some(PRAGUE_MON_8));
    assert!(!loaded.group_hours("cz").unwrap().open());
    // The boundary serves the queue (R18) the same way in both.
    for a in [&mut account, &mut loaded] {
        // Past the boundary: its notices carry its own time (R31).
        a.advance_to(PRAGUE_MON_8 + HOUR).unwrap();
        assert_eq!(a.holder("v1").unwrap(), "anna");
        let said: Vec<String> = a.notices().iter().map(ToString::to_string).collect();
        let at = PRAGUE_MON_8;
        assert_eq!(
            said,
            [
                format!(r#"{{"at": {at}, "notice": {{"chat_held": {{"visitor": "v1", "agent": "anna"}}}}}}"#),
                format!(r#"{{"at": {at}, "notice": {{"availability_changed": {{"group": "cz", "online": true}}}}}}"#),
            ]
        );
        assert_eq!(a.group_hours("cz").unwrap().next_change(), Some(PRAGUE_MON_17));
    }
    assert_eq!(loaded, account);
}

#[test]
fn r30_an_account_starting_on_a_boundary_has_no_deadline_there() {
    let account = office_account(PRAGUE_MON_8);
    assert!(account.group_hours("cz").unwrap().open());
    assert_eq!(account.next_deadline(), Some(PRAGUE_MON_17));
    // Started at 0, the same account reaches that Monday through every
    // boundary since 1970, and agrees.
    let mut old = office_account(0);
    assert!(!old.group_hours("cz").unwrap().open());
    old.advance_to(PRAGUE_MON_8).unwrap();
    assert!(old.group_hours("cz").unwrap().open());
    assert_eq!(old.next_deadline(), Some(PRAGUE_MON_17));
    assert_eq!(old.group_hours("cz"), account.group_hours("cz"));
}

#[test]
fn r30_under_a_plan_without_groups_schedules_do_nothing() {
    let mut account = office_account(PRAGUE_MON_17 + HOUR);
    assert!(!account.group_hours("cz").unwrap().open());
    assert!(account.next_deadline().is_some());
    account.apply(&Change::SetPlan(Plan::Free)).unwrap();
    let hours = account.group_hours("cz").unwrap();
    assert!(hours.open() && hours.next_change().is_none());
    assert_eq!(account.next_deadline(), None);
    assert!(account.is_online(Some("cz")));
    account.apply(&Change::SetPlan(Plan::Pro)).unwrap();
    assert!(!account.group_hours("cz").unwrap().open());
    assert!(!account.is_online(Some("cz")));
}
