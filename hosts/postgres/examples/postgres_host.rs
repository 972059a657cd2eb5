//! Several servers, one PostgreSQL database: configuration and chats in the
//! database, every decision by groupgate, claims committed with
//! compare-and-set on the chat's version (R13).
//!
//! `GROUPGATE_PG="host=127.0.0.1 port=54329 user=postgres dbname=groupgate" cargo run -p groupgate-postgres --example postgres_host`
//! (`.ci/run` starts such a server.)

use groupgate_postgres as host;

use groupgate::{AgentSpec, Change, ConfigBuilder, GroupSpec, Tier};
use host::{Host, Outcome};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(url) = std::env::var("GROUPGATE_PG") else {
        println!("set GROUPGATE_PG to a PostgreSQL connection string (see .ci/run)");
        return Ok(());
    };
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("support-en"))
        .group(GroupSpec::new("support-de"))
        .agent(AgentSpec::new("anna").member("support-en").chat_limit(1))
        .agent(AgentSpec::new("bob").member("support-en"))
        .build()?;
    let visitors = vec![("v1".to_string(), Some("support-en".to_string())), ("v2".to_string(), None)];
    host::install(&mut postgres::Client::connect(&url, postgres::NoTls)?, &config, &visitors)?;

    // Two servers read the same state; both try to give v1 to their agent.
    let (mut one, mut two) = (Host::connect(&url)?, Host::connect(&url)?);
    println!("server one: anna claims v1 → {:?}", one.claim("anna", "v1")?);
    println!("server two: bob claims v1  → {:?}", two.claim("bob", "v1")?);
    assert_eq!(two.claim("bob", "v1")?, Outcome::Refused("already_claimed"));

    // A configuration change is a new revision; the other server picks it up.
    let change = Change::Assign { agent: "bob".parse()?, group: "support-de".parse()?, tier: Tier::Normal };
    if let Some(report) = one.change(&change)? {
        println!("revision {}; must refresh: {:?}", report.revision(), report.visibility_changed());
    }
    two.sync()?;
    println!("server two now on revision {}", two.account.snapshot().revision());
    println!("server two: anna claims v2 → {:?} (at her limit of 1)", two.claim("anna", "v2")?);
    Ok(())
}
