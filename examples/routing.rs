//! Whom a new chat goes to (R15–R19): the three strategies, a fallback, the
//! queue and a transfer.
//!
//! Run with `cargo run --example routing`.

use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Policy, Routing, Status, Tier, TransferTarget};

fn account(routing: Routing) -> Result<Account, Box<dyn std::error::Error>> {
    let mut policy = Policy::default();
    policy.routing = routing;
    let config = ConfigBuilder::new()
        .policy(policy)
        .group(GroupSpec::new("support-de").name("Support DE").fallback("support-en"))
        .group(GroupSpec::new("support-en").name("Support EN"))
        .group(GroupSpec::new("sales").name("Sales"))
        .agent(AgentSpec::new("dora").member("support-de").chat_limit(1))
        .agent(AgentSpec::new("emil").member("support-en"))
        .agent(AgentSpec::new("erin").member("support-en"))
        .agent(AgentSpec::new("lena").member_as("support-en", Tier::Last))
        .agent(AgentSpec::new("sven").member("sales"))
        .build()?;
    let mut account = Account::new(config, 0);
    for agent in ["dora", "emil", "erin", "lena", "sven"] {
        account.set_status(agent, Status::Online)?;
    }
    Ok(account)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for routing in [Routing::Broadcast, Routing::LeastBusy, Routing::RoundRobin] {
        println!("== routing: {routing}");
        let mut account = account(routing)?;
        for (clock, visitor) in ["v1", "v2", "v3"].into_iter().enumerate() {
            account.advance_to(clock as u64)?;
            if visitor == "v3" {
                account.release("v2")?; // erin (or the queue) frees a chat before v3 arrives
            }
            account.visit(visitor, Some("support-en"))?;
            let routed = account.route(visitor)?;
            match routed.agent() {
                Some(agent) => println!("{visitor} → {agent}"),
                None => println!("{visitor} → queued, offered to {}", join(routed.offered())),
            }
        }
    }

    println!("\n== fallback (R17) and queue (R18), least busy");
    let mut account = account(Routing::LeastBusy)?;
    account.visit("d1", Some("support-de"))?;
    account.visit("d2", Some("support-de"))?;
    let first = account.route("d1")?;
    println!("d1 → {} in {}", show(first.agent()), show(first.group()));
    let second = account.route("d2")?;
    println!("d2 → {} in {} (dora is full: moved to the fallback)", show(second.agent()), show(second.group()));
    for agent in ["emil", "erin", "lena"] {
        account.set_status(agent, Status::Offline)?;
    }
    account.visit("d3", Some("support-de"))?;
    println!("d3 queued: {}; queue: {}", account.route("d3")?.queued(), join(account.queue()));
    account.release("d1")?;
    println!("d1 closed: dora's slot frees, the queue is served: d3 → {}", show(account.holder("d3")));

    println!("\n== transfers (R19)");
    let to_sales = TransferTarget::Group("sales".parse()?);
    let moved = account.transfer("d3", &to_sales)?;
    println!("d3 to sales → {} (effective group now {})", show(moved.agent()), show(moved.group()));
    let to_dora = TransferTarget::Agent("dora".parse()?);
    match account.transfer("d3", &to_dora) {
        Ok(_) => println!("d3 to dora: ok"),
        Err(e) => println!("d3 to dora: {e}"),
    }
    Ok(())
}

fn show<T: std::fmt::Display>(x: Option<T>) -> String {
    x.map_or_else(|| "nobody".to_string(), |x| x.to_string())
}

fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if items.is_empty() { "nobody".into() } else { items.join(", ") }
}
