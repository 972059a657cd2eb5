//! The seed's setup: two groups, agents assigned to them and one left
//! unassigned, visitors on pages with `smartsupp('group', …)` codes, one of
//! them choosing a group in the contact form.
//!
//! Run with `cargo run --example quickstart`.

use groupgate::{Account, AgentSpec, Change, ClaimCheck, ConfigBuilder, GroupSpec, Plan, Status, Tier};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = ConfigBuilder::new()
        .plan(Plan::Pro)
        .group(GroupSpec::new("support-en").name("Support EN"))
        .group(GroupSpec::new("support-de").name("Support DE"))
        .agent(AgentSpec::new("anna").member_as("support-en", Tier::First).chat_limit(2))
        .agent(AgentSpec::new("bob").member("support-de"))
        .agent(AgentSpec::new("carla")) // left unassigned: sees everything (R5)
        .group_selection(true)
        .build()?;
    let mut account = Account::new(config, 0);
    for agent in ["anna", "bob", "carla"] {
        account.set_status(agent, Status::Online)?;
    }
    account.set_status("bob", Status::Away)?;

    println!("== visitors arrive");
    // <script>smartsupp('group', 'support-en')</script> on /en/pricing
    account.visit("v1", Some("support-en"))?;
    // <script>smartsupp('group', 'support-de')</script> on /de/preise
    account.visit("v2", Some("support-de"))?;
    // the home page carries no group code
    account.visit("v3", None)?;
    // v4 is on an English page but picks "Support DE" in the contact form (R22)
    account.visit("v4", Some("support-en"))?;
    println!("contact form offers: {}", list(account.form_choices()));
    account.select_group("v4", "support-de")?;

    report(&account);

    println!("\n== claims");
    for (agent, visitor) in [("anna", "v1"), ("carla", "v1"), ("bob", "v1"), ("bob", "v4")] {
        match account.claim(agent, visitor) {
            Ok(_) => println!("{agent} claims {visitor}: ok"),
            Err(e) => println!("{agent} claims {visitor}: {e}"),
        }
    }

    println!("\n== the admin moves carla into Support DE");
    let change = Change::Assign { agent: "carla".parse()?, group: "support-de".parse()?, tier: Tier::Normal };
    let changed = account.apply(&change)?;
    println!("revision {}; must refresh: {}", changed.revision(), list(changed.visibility_changed()));
    println!("carla's dashboard until she refreshes: {}", list(account.dashboard("carla")));
    account.refresh("carla")?;
    println!("carla's dashboard after refreshing:    {}", list(account.dashboard("carla")));
    for page in [Some("support-en"), Some("support-de"), None] {
        println!("chat box on {:<12} {}", page.unwrap_or("(no code)"), online(account.is_online(page)));
    }
    Ok(())
}

fn report(account: &Account) {
    for visitor in ["v1", "v2", "v3", "v4"] {
        let group = account.effective_group(visitor).and_then(|g| g.group().map(|g| g.to_string()));
        let seen_by = account.visible_agents(visitor);
        println!("{visitor} in {:<11} seen by {}", group.unwrap_or_else(|| "(none)".into()), list(seen_by));
        for agent in ["anna", "bob", "carla"] {
            if let ClaimCheck::Denied { reason, rule, .. } = account.can_claim(agent, visitor) {
                println!("    {agent:<5} may not claim: {reason} ({rule})");
            }
        }
    }
}

fn list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if items.is_empty() { "nobody".into() } else { items.join(", ") }
}

fn online(on: bool) -> &'static str {
    if on { "online" } else { "offline" }
}
