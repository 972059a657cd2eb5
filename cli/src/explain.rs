//! Explanations of a failing expectation, from the library's own decisions:
//! for each agent involved its decision, reason code and rule; the
//! visitor's effective group and where it comes from (R2); the revision
//! the answer used. Nothing here decides anything: it asks the account.

use groupgate::{Account, Visibility};
use groupgate_scenario::{Action, Expectation, Step};

/// Lines explaining `step` on `account` (as the step left it); none for
/// steps whose answers have no decisions to show.
pub fn explain(account: &Account, step: &Step) -> Vec<String> {
    let mut out = Vec::new();
    let revision = account.snapshot().revision();
    match &step.action {
        Action::Expect(Expectation::ExpectVisible(e)) => {
            visitor(account, &e.visitor, &mut out);
            out.push(format!("revision {revision} (the latest): who sees {}", e.visitor));
            for agent in agents(account) {
                out.push(format!("  {}", sees(account, &agent, &e.visitor)));
            }
        }
        Action::Expect(Expectation::ExpectClaim(e)) => {
            visitor(account, &e.visitor, &mut out);
            let check = account.can_claim(&e.agent, &e.visitor);
            let verdict = match check.reason() {
                None => "may claim".to_string(),
                Some(reason) => format!("may not claim: {}", reason.code()),
            };
            out.push(format!(
                "revision {revision} (the latest): {} {verdict} {} — {}",
                e.agent,
                e.visitor,
                check.rule()
            ));
            out.push(format!("  {}", sees(account, &e.agent, &e.visitor)));
            out.push(format!("  {}", presence(account, &e.agent)));
            if let Some(holder) = account.holder(&e.visitor) {
                out.push(format!("  the chat is held by {holder}"));
            }
        }
        Action::Expect(Expectation::ExpectCandidates(e)) => {
            visitor(account, &e.visitor, &mut out);
            let candidates = account.candidates(&e.visitor);
            let group = candidates.group().map_or_else(|| "ungrouped".to_string(), |g| format!("group {g}"));
            let moved = if candidates.moved() { ", reached down the fallback chain (R17)" } else { "" };
            out.push(format!("revision {revision}: candidates in {group}{moved} (R15)"));
            for agent in agents(account) {
                let check = account.can_claim(&agent, &e.visitor);
                let verdict = check
                    .reason()
                    .map_or_else(|| "may claim".to_string(), |r| format!("{} ({})", r.code(), check.rule()));
                out.push(format!("  {agent}: {verdict}; {}", presence(account, &agent)));
            }
            hours_of_chain(
                account,
                account.effective_group(&e.visitor).and_then(|g| g.group().map(|g| g.to_string())),
                &mut out,
            );
        }
        Action::Expect(Expectation::ExpectOnline(e)) => {
            out.push(format!(
                "revision {revision}: the page's chat box is online iff a new chat would have a candidate (R10)"
            ));
            hours_of_chain(account, e.page_group.clone(), &mut out);
            for agent in agents(account) {
                out.push(format!("  {}", presence(account, &agent)));
            }
        }
        Action::Expect(Expectation::ExpectOnlineFor(e)) => {
            visitor(account, &e.visitor, &mut out);
            hours_of_chain(
                account,
                account.effective_group(&e.visitor).and_then(|g| g.group().map(|g| g.to_string())),
                &mut out,
            );
            for agent in agents(account) {
                out.push(format!("  {}", presence(account, &agent)));
            }
        }
        Action::Expect(Expectation::ExpectDashboard(e)) => {
            let loaded = account.loaded_revision(&e.agent);
            let shown = loaded.map_or_else(|| "none (no such agent)".to_string(), |r| r.to_string());
            out.push(format!(
                "{}'s dashboard shows revision {shown}; the latest is {revision} (R9: it changes on a refresh)",
                e.agent
            ));
            let found = account.dashboard(&e.agent);
            let mut listed: Vec<String> = e.visitors.clone();
            for v in found {
                if !listed.iter().any(|x| x == v) {
                    listed.push(v.to_string());
                }
            }
            for v in listed {
                out.push(format!("  {} (under the latest revision)", sees(account, &e.agent, &v)));
            }
        }
        _ => {}
    }
    out
}

fn agents(account: &Account) -> Vec<String> {
    account.snapshot().config().agents().map(|a| a.id().to_string()).collect()
}

/// `anna: sees v1 — R4`, `bob: does not see v1 — R4 not_in_group`.
fn sees(account: &Account, agent: &str, visitor: &str) -> String {
    match account.sees(agent, visitor) {
        Visibility::Visible { rule } => {
            format!("{agent}: sees {visitor} — {rule} {}", why_visible(account, agent, rule))
        }
        Visibility::Hidden { reason, rule } => format!("{agent}: does not see {visitor} — {rule} {}", reason.code()),
    }
}

/// The setting behind a visibility rule, read from the configuration.
fn why_visible(account: &Account, agent: &str, rule: groupgate::Rule) -> String {
    let config = account.snapshot().config();
    let policy = config.policy();
    let groups = config.agents().find(|a| a.id() == agent).map(|a| a.memberships().len()).unwrap_or(0);
    match rule {
        groupgate::Rule::R1 => format!("(plan {}: no groups)", config.plan()),
        groupgate::Rule::R4 => "(a member of the visitor's group)".to_string(),
        groupgate::Rule::R5 if groups == 0 => {
            format!("(unassigned_agents: {}; {agent} is in no group)", policy.unassigned_agents)
        }
        groupgate::Rule::R5 => format!("(unassigned_agents: {})", policy.unassigned_agents),
        groupgate::Rule::R6 => format!("(ungrouped visitor; ungrouped_visitors: {})", policy.ungrouped_visitors),
        groupgate::Rule::R7 => "(admins_see_all)".to_string(),
        _ => String::new(),
    }
}

/// `anna: online, 1 chat held, limit 3`.
fn presence(account: &Account, agent: &str) -> String {
    let status = account.status(agent).map_or_else(|| "no such agent".to_string(), |s| s.to_string());
    let load = account.load(agent).unwrap_or(0);
    format!("{agent}: {status}, {load} chat{} held", if load == 1 { "" } else { "s" })
}

/// The visitor's effective group and its source (R2).
fn visitor(account: &Account, visitor: &str, out: &mut Vec<String>) {
    match account.effective_group(visitor) {
        None => out.push(format!("{visitor}: not on the site")),
        Some(g) => {
            let group = g.group().map_or_else(|| "ungrouped".to_string(), |g| format!("group {g}"));
            let source =
                g.source().map_or_else(|| "no tag names a group".to_string(), |s| format!("from its {}", s.as_str()));
            out.push(format!("{visitor}: {group}, {source} (R2)"));
            for (source, id) in g.unknown() {
                out.push(format!("  its {} names no group: {id} (R3)", source.as_str()));
            }
        }
    }
}

/// The fallback chain from `group`, each group open or closed (R30) and
/// its page online or not (R10, R17).
fn hours_of_chain(account: &Account, group: Option<String>, out: &mut Vec<String>) {
    let config = account.snapshot().config();
    let mut at = group;
    let mut seen = Vec::new();
    while let Some(g) = at.take() {
        if seen.contains(&g) {
            break;
        }
        let hours = account.group_hours(&g);
        let open = match hours {
            None => "no such group".to_string(),
            Some(h) if h.open() => "open".to_string(),
            Some(_) => "closed by its schedule (R30)".to_string(),
        };
        let online = if account.is_online(Some(&g)) { "online" } else { "offline" };
        out.push(format!("  group {g}: {open}; its page {online} (R10, with its fallbacks, R17)"));
        at = config.groups().iter().find(|x| x.id() == g.as_str()).and_then(|x| x.fallback()).map(|f| f.to_string());
        seen.push(g);
    }
}
