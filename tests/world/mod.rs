//! The engine and the reference model side by side: one random operation
//! applied to both, and every answer compared. Shared by the property tests
//! and the fuzz targets (which include this file by path).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::atomic::{AtomicU64, Ordering};

use groupgate::{Account, ErrorCode, Event, Plan, Status, Tier, TransferTarget};

use crate::model::{self, MConfig, MRouting, MState, MVisitor};

/// Group ids a test may name; the last is never configured.
pub const GROUPS: [&str; 5] = ["g0", "g1", "g2", "g3", "zz"];
/// Agent ids; agents are `a0..`, `ghost` never exists.
pub const AGENTS: [&str; 7] = ["a0", "a1", "a2", "a3", "a4", "a5", "ghost"];
/// Visitor ids.
pub const VISITORS: [&str; 5] = ["v0", "v1", "v2", "v3", "v4"];

static OPERATIONS: AtomicU64 = AtomicU64::new(0);

/// Counts operations checked against the model, and says so at every
/// 100,000 (visible with `--nocapture`): the long run reports its size.
pub fn count(n: usize) {
    let n = n as u64;
    let before = OPERATIONS.fetch_add(n, Ordering::Relaxed);
    if before / 100_000 != (before + n) / 100_000 {
        eprintln!("{} operations checked against the reference model", before + n);
    }
}

pub fn tier(n: u8) -> Tier {
    Tier::ALL[usize::from(n) % Tier::ALL.len()]
}

pub fn status(n: u8) -> Status {
    [Status::Online, Status::Online, Status::Away, Status::Offline][usize::from(n) % 4]
}

pub fn limit(n: Option<u8>) -> Option<u32> {
    n.map(|n| u32::from(n % 4))
}

#[derive(Debug, Clone)]
pub enum Op {
    Visit(usize, Option<usize>),
    Select(usize, usize),
    Claim(usize, usize),
    /// The visitor, and the agent acting when one is named (R38).
    Release(usize, Option<usize>),
    Leave(usize),
    Prefer(usize, usize),
    SetStatus(usize, u8),
    Route(usize),
    TransferGroup(usize, usize, Option<usize>),
    TransferAgent(usize, usize, Option<usize>),
    Answer(usize, Option<usize>),
    Decline(usize, Option<usize>),
    /// Time passes: this many milliseconds (R26).
    Advance(u64),
}

pub fn gid(i: usize) -> String {
    GROUPS[i].to_string()
}

/// The model's side of one account: configuration, live state, routing state.
#[derive(Debug, Clone)]
pub struct World {
    pub c: MConfig,
    pub s: MState,
    pub r: MRouting,
}

/// Applies one event to the engine and the model and checks that both give
/// the same result code ("ok" for success) and the same notices. The clock
/// first advances to `now` (never back, R26), then the event runs, then
/// the deadlines it made due at the clock.
pub fn step(account: &mut Account, w: &mut World, now: u64, op: &Op) {
    advance(account, w, now);
    let before = model::pages(&w.c, &w.s);
    w.r.notes.clear();
    let got = engine(account, op);
    let want = model_step(w, op);
    assert_eq!(got, want, "{op:?}");
    if !matches!(op, Op::Advance(_)) && want == "ok" {
        let clock = w.r.now;
        model::serve(&w.c, &mut w.s, &mut w.r, clock);
        // R31: the event's own notices and the chats served because of it, then
        // every page whose availability changed, in configuration order.
        for ((page, was), (_, now)) in before.iter().zip(model::pages(&w.c, &w.s)) {
            if *was != now {
                w.r.say(model::note::availability(page.as_deref(), now));
            }
        }
        // R26: deadlines the event made due at the clock come after it.
        model::advance(&w.c, &mut w.s, &mut w.r, clock);
    }
    assert_eq!(said(account), w.r.notes, "R31 notices of {op:?}, with their instants");
    assert_eq!(account.next_deadline(), model::next_deadline(&w.c, &w.s, &w.r), "R26 next deadline after {op:?}");
    // R26: whatever was due by the clock has been processed, so nothing
    // pending is due yet — and nothing fired early, the model's deadlines
    // firing only at their instants.
    if let Some(next) = account.next_deadline() {
        assert!(next > account.clock(), "deadline {next} pending at clock {} after {op:?}", account.clock());
    }
    // R27: routing leaves a chat's missed agents out, and a claim or a
    // transfer to an agent answers the chat (clearing the list): no holder
    // is ever on its own chat's missed list.
    for v in VISITORS {
        let Some(view) = account.visitor(v) else { continue };
        if let Some(h) = view.holder() {
            assert!(!view.missed().contains(h), "{v} held by {h}, who is on its missed list, after {op:?}");
        }
    }
    // Every index the event kept in step equals a rebuild from scratch.
    assert_eq!(account.check_indexes(), Ok(()), "indexes after {op:?}");
}

/// Advances the engine and the model to `now` (R26) and compares the
/// notices of the deadlines processed.
pub fn advance(account: &mut Account, w: &mut World, now: u64) {
    w.r.notes.clear();
    account.advance_to(now).unwrap();
    model::advance(&w.c, &mut w.s, &mut w.r, now);
    assert_eq!(said(account), w.r.notes, "R26 notices of the advance to {now}, with their instants");
    assert_eq!(account.clock(), w.r.now, "R26 clock");
}

/// The engine's notices of its last call (R31): each one's instant and text.
pub fn said(account: &Account) -> Vec<(u64, String)> {
    account.notices().iter().map(|n| (n.at, n.notice.to_string())).collect()
}

/// The event an op stands for, in the library's one vocabulary (R33).
pub fn event(op: &Op) -> Event {
    use groupgate::event::{AgentVisitor, ChatAction, SelectGroup, SetStatus, Transfer, Visit, VisitorOnly};
    let visitor = |v: usize| VISITORS[v].to_string();
    let only = |v: usize| VisitorOnly { visitor: visitor(v) };
    let acting = |a: Option<usize>| a.map(|a| AGENTS[a].to_string());
    let chat = |v: usize, a: Option<usize>| ChatAction { visitor: visitor(v), agent: acting(a) };
    match *op {
        Op::Visit(v, g) => Event::Visit(Visit { visitor: visitor(v), page_group: g.map(gid) }),
        Op::Select(v, g) => Event::SelectGroup(SelectGroup { visitor: visitor(v), group: gid(g) }),
        Op::Claim(a, v) => Event::Claim(AgentVisitor { agent: AGENTS[a].into(), visitor: visitor(v) }),
        Op::Release(v, a) => Event::Release(chat(v, a)),
        Op::Leave(v) => Event::Leave(only(v)),
        Op::Prefer(v, a) => Event::PreferAgent(AgentVisitor { agent: AGENTS[a].into(), visitor: visitor(v) }),
        Op::SetStatus(a, st) => Event::SetStatus(SetStatus { agent: AGENTS[a].into(), status: status(st) }),
        Op::Route(v) => Event::Route(only(v)),
        Op::TransferGroup(v, g, by) => {
            Event::Transfer(Transfer { visitor: visitor(v), to: TransferTarget::Group(gid(g)), agent: acting(by) })
        }
        Op::TransferAgent(v, a, by) => Event::Transfer(Transfer {
            visitor: visitor(v),
            to: TransferTarget::Agent(AGENTS[a].into()),
            agent: acting(by),
        }),
        Op::Answer(v, a) => Event::Answer(chat(v, a)),
        Op::Decline(v, a) => Event::Decline(chat(v, a)),
        Op::Advance(ms) => Event::AdvanceBy(ms),
    }
}

/// Applies an op to the engine as an [`Event`]; "ok" or the error's code.
pub fn engine(account: &mut Account, op: &Op) -> String {
    match account.apply_event(&event(op)) {
        Ok(_) => "ok".into(),
        Err(e) => e.code().into(),
    }
}

fn visitor(s: &mut MState, v: usize) -> Option<&mut MVisitor> {
    s.visitors.iter_mut().find(|x| x.id == VISITORS[v])
}

/// The model's answer to one event, applying it when it succeeds.
fn model_step(w: &mut World, op: &Op) -> String {
    let World { c, s, r } = w;
    let now = r.now;
    let ok = "ok".to_string();
    match *op {
        Op::Visit(v, g) => {
            let tag = g.map(|g| GROUPS[g].to_string());
            match visitor(s, v) {
                Some(x) => {
                    let from = model::effective_of(c, x);
                    x.tag = tag.or(x.tag.take());
                    // R31: the visit changed its effective group (R2).
                    let to = model::effective_of(c, x);
                    if from != to {
                        r.say(model::note::visitor_moved(VISITORS[v], from.as_deref(), to.as_deref()));
                    }
                }
                None => {
                    let x = MVisitor { id: VISITORS[v].into(), tag, ..MVisitor::default() };
                    r.say(model::note::entered(VISITORS[v], model::effective_of(c, &x).as_deref()));
                    s.visitors.push(x);
                }
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
                let x = visitor(s, v).unwrap();
                let from = model::effective_of(c, x);
                x.selection = Some(GROUPS[g].into());
                let to = model::effective_of(c, x);
                if from != to {
                    r.say(model::note::visitor_moved(VISITORS[v], from.as_deref(), to.as_deref()));
                }
                ok
            }
        }
        Op::Claim(a, v) => match model::claim_visitor(c, s, AGENTS[a], VISITORS[v]) {
            Ok(true) => ok,
            Ok(false) => {
                let token = r.token();
                let x = visitor(s, v).unwrap();
                x.has_chat = true;
                x.holder = Some(AGENTS[a].into());
                // R27: a claim by hand is answered from the start.
                (x.answered, x.token) = (true, token);
                x.missed.clear();
                r.dequeue(VISITORS[v]);
                r.stamp(AGENTS[a], now);
                r.say(model::note::held(VISITORS[v], AGENTS[a]));
                ok
            }
            Err(code) => code.into(),
        },
        Op::Release(v, by) => match visitor(s, v) {
            None => "unknown_visitor".into(),
            Some(_) if unknown(c, by) => "unknown_agent".into(),
            Some(x) if !x.has_chat => "no_chat".into(),
            Some(x) if not_holder(x, by) => "not_holder".into(),
            Some(x) => {
                r.say(model::note::closed(VISITORS[v], x.holder.as_deref()));
                x.has_chat = false;
                x.holder = None;
                x.answered = false;
                x.missed.clear();
                r.dequeue(VISITORS[v]);
                ok
            }
        },
        Op::Leave(v) => {
            let Some(x) = s.visitor(VISITORS[v]) else { return "unknown_visitor".into() };
            if x.has_chat {
                r.say(model::note::closed(VISITORS[v], x.holder.as_deref()));
            }
            // R31: the visitor left, after its chat closed.
            r.say(model::note::left(VISITORS[v]));
            s.visitors.retain(|x| x.id != VISITORS[v]);
            r.dequeue(VISITORS[v]);
            ok
        }
        Op::Prefer(v, a) => match visitor(s, v) {
            None => "unknown_visitor".into(),
            // The format: an agent a step names must exist.
            Some(_) if c.agent(AGENTS[a]).is_none() => "unknown_agent".into(),
            Some(x) => {
                x.preferred = Some(AGENTS[a].into());
                ok
            }
        },
        Op::SetStatus(a, st) => {
            if c.agent(AGENTS[a]).is_none() {
                return "unknown_agent".into();
            }
            model::set_status(c, s, r, AGENTS[a], status(st));
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
        Op::TransferGroup(v, g, by) => {
            let Some(x) = s.visitor(VISITORS[v]) else { return "unknown_visitor".into() };
            if unknown(c, by) {
                return "unknown_agent".into();
            }
            if x.holder.is_none() {
                return "no_chat".into();
            }
            if not_holder(x, by) {
                return "not_holder".into();
            }
            if !c.exists(GROUPS[g]) {
                return "unknown_group".into();
            }
            if model::effective_of(c, x).as_deref() == Some(GROUPS[g]) {
                return "same_group".into();
            }
            // R19, R2: unheld, then moved once — from the group it was in
            // to the group it lands in: the first of the target's chain
            // with a candidate (its missed list left out), the target when
            // none has one — then held or queued there (R31's order).
            let from = model::effective_of(c, x);
            let missed = x.missed.clone();
            let x = visitor(s, v).unwrap();
            r.say(model::note::unheld(VISITORS[v], x.holder.as_deref().unwrap(), "transferred"));
            x.holder = None;
            x.answered = false;
            let lands = model::serving_group_skipping(c, s, Some(GROUPS[g]), &missed).flatten();
            let x = visitor(s, v).unwrap();
            x.moved = Some(lands.unwrap_or_else(|| GROUPS[g].into()));
            let to = model::effective_of(c, x);
            if to != from {
                r.say(model::note::moved(VISITORS[v], from.as_deref(), to.as_deref()));
            }
            model::land(c, s, r, VISITORS[v], now);
            ok
        }
        Op::TransferAgent(v, a, by) => {
            let Some(x) = s.visitor(VISITORS[v]) else { return "unknown_visitor".into() };
            if unknown(c, by) {
                return "unknown_agent".into();
            }
            let Some(holder) = x.holder.clone() else { return "no_chat".into() };
            if not_holder(x, by) {
                return "not_holder".into();
            }
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
            let token = r.token();
            let x = visitor(s, v).unwrap();
            x.holder = Some(AGENTS[a].into());
            // R27: a transfer to a named agent is answered.
            (x.answered, x.token) = (true, token);
            x.missed.clear();
            r.stamp(AGENTS[a], now);
            r.say(model::note::unheld(VISITORS[v], &holder, "transferred"));
            r.say(model::note::held(VISITORS[v], AGENTS[a]));
            ok
        }
        Op::Answer(v, by) => match visitor(s, v) {
            None => "unknown_visitor".into(),
            Some(_) if unknown(c, by) => "unknown_agent".into(),
            Some(x) if x.holder.is_none() => "no_chat".into(),
            Some(x) if not_holder(x, by) => "not_holder".into(),
            Some(x) => {
                x.answered = true;
                x.missed.clear();
                ok
            }
        },
        Op::Decline(v, by) => match s.visitor(VISITORS[v]) {
            None => "unknown_visitor".into(),
            Some(_) if unknown(c, by) => "unknown_agent".into(),
            Some(x) if x.holder.is_none() => "no_chat".into(),
            Some(x) if not_holder(x, by) => "not_holder".into(),
            Some(x) if x.answered => "already_answered".into(),
            Some(_) => {
                model::miss(c, s, r, VISITORS[v], "declined");
                ok
            }
        },
        Op::Advance(ms) => {
            let to = r.now.saturating_add(ms);
            model::advance(c, s, r, to);
            ok
        }
    }
}

/// R38: a chat event names an acting agent that does not exist
/// (`unknown_agent`, checked right after the visitor).
fn unknown(c: &MConfig, acting: Option<usize>) -> bool {
    acting.is_some_and(|a| c.agent(AGENTS[a]).is_none())
}

/// R38: the acting agent named does not hold the chat (`not_holder`, after
/// `no_chat`, before the rule's own checks); a queued chat has no holder.
fn not_holder(x: &MVisitor, acting: Option<usize>) -> bool {
    acting.is_some_and(|a| x.holder.as_deref() != Some(AGENTS[a]))
}

pub fn strings<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}

/// Every answer of the engine, compared with the model's.
pub fn compare(account: &Account, w: &World, loaded: &dyn Fn(&str) -> MConfig) {
    let (c, s) = (&w.c, &w.s);
    assert_eq!(strings(account.queue()), w.r.queue(s), "R18 queue");
    for (i, v) in w.r.queue(s).iter().enumerate() {
        assert_eq!(account.queue_position(v), Some(i), "R18 place of {v}");
    }
    for v in VISITORS {
        let Some(mv) = s.visitor(v) else {
            assert!(!account.has_visitor(v));
            assert!(account.visible_agents(v).is_empty());
            continue;
        };
        let eff = account.effective_group(v).unwrap();
        assert_eq!(eff.group().map(|g| g.to_string()), model::effective_of(c, mv), "R2 {v}");
        // Where it comes from too: a moved-to group that equals the page tag
        // still decides once the tag changes (R2, R19).
        assert_eq!(eff.source().map(|s| s.as_str()), model::source_of(c, mv), "R2 source {v}");
        assert_eq!(strings(account.visible_agents(v)), model::visible_agents(c, mv), "R4-R8 {v}");
        assert_eq!(strings(account.candidates(v).agents()), model::candidates(c, s, mv), "R15 {v}");
        assert_eq!(account.holder(v).map(|h| h.to_string()), mv.holder, "R13 {v}");
        let view = account.visitor(v).unwrap();
        assert_eq!((view.group(), view.group_source()), (eff.group(), eff.source()), "R2 view {v}");
        // Where it waits: in the whole queue, and among its group's chats.
        let queue = w.r.queue(s);
        let at = queue.iter().position(|q| q == v);
        assert_eq!(view.queue_position(), at, "R18 view {v}");
        let own = model::effective_of(c, mv);
        let ahead = at.map(|at| {
            queue.iter().take(at).filter(|q| s.visitor(q).is_some_and(|x| model::effective_of(c, x) == own)).count()
        });
        assert_eq!(view.group_queue_position(), ahead, "R18 place in its group {v}");
        assert_eq!(view.answered(), mv.answered, "R27 answered {v}");
        // Its answer deadline: the one of its answer deadlines that stands.
        let answer_by =
            w.r.deadlines
                .iter()
                .filter(|d| matches!(&d.cause, model::MCause::Answer { visitor, .. } if visitor == v))
                .filter(|d| model::stands(c, s, d))
                .map(|d| d.at)
                .min();
        assert_eq!(view.answer_deadline(), answer_by, "R27 answer deadline {v}");
        assert_eq!(strings(view.missed()), mv.missed, "R27 missed list {v}");
        for a in AGENTS {
            let want = model::claim_visitor(c, s, a, v);
            let check = account.can_claim(a, v);
            assert_eq!(check.reason().map(|r| r.code()), want.err(), "R11 {a} {v}");
            let sees = c.agent(a).map(|ma| model::sees(c, ma, model::effective_of(c, mv).as_deref()));
            assert_eq!(account.sees(a, v).is_visible(), sees == Some(Ok(())), "sees {a} {v}");
            if let (Some(ak), Some(vk)) = (account.agent_key(a), account.visitor_key(v)) {
                assert_eq!(account.sees_key(ak, vk), account.sees(a, v), "sees_key {a} {v}");
            }
        }
    }
    for a in AGENTS {
        if c.agent(a).is_none() {
            assert_eq!(account.load(a), None);
            continue;
        }
        assert_eq!(account.load(a), Some(s.load(a)), "R12 load {a}");
        assert_eq!(account.status(a), Some(s.status(a)), "R27 status {a}");
        assert_eq!(strings(account.dashboard(a)), model::dashboard(&loaded(a), s, a), "R9 dashboard {a}");
    }
    // One agent's view and all of them at once agree with the answers
    // above and with each other (`needs_refresh`, which the properties
    // compare with the model's stale agents, reads the same flag).
    let views = account.agents();
    for view in &views {
        let a = view.id().as_str();
        assert_eq!((view.load(), view.status()), (s.load(a), s.status(a)), "agent view {a}");
        assert_eq!(account.agent(a).as_ref(), Some(view), "one agent's view {a}");
    }
    assert_eq!(views.len(), c.agents.len(), "every agent");
    for page in GROUPS.iter().map(|g| Some(*g)).chain([None]) {
        assert_eq!(account.is_online(page), model::online(c, s, page), "R10 {page:?}");
    }
    // Every page at once: the configuration's groups in order, then the
    // page without a code (R10, R25).
    let pages: Vec<(Option<String>, bool)> =
        account.availability().iter().map(|p| (p.page_group().map(|g| g.to_string()), p.online())).collect();
    let want: Vec<(Option<String>, bool)> = c
        .groups
        .iter()
        .filter(|_| c.plan.has_groups())
        .map(|g| (Some(g.id.clone()), model::online(c, s, Some(&g.id))))
        .chain([(None, model::online(c, s, None))])
        .collect();
    assert_eq!(pages, want, "R10 every page");
    assert_eq!(strings(account.form_choices()), model::form_choices(c, s), "R21");
    // R30: every group's hours at once, in configuration order, as each
    // group's single answer below.
    let all = account.hours();
    let ids: Vec<String> = all.iter().map(|h| h.group().to_string()).collect();
    assert_eq!(ids, c.groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>(), "R30 every group");
    for h in &all {
        assert_eq!(Some(h.hours()), account.group_hours(h.group().as_str()), "R30 {}", h.group());
    }
    // R30: each group open or closed at the clock, and its next change
    // within the horizon.
    for g in GROUPS {
        let hours = account.group_hours(g);
        assert_eq!(hours.is_some(), c.groups.iter().any(|x| x.id == g), "R30 group {g}");
        let Some(hours) = hours else { continue };
        assert_eq!(hours.open(), c.open_at(g, s.clock), "R30 {g} open at {}", s.clock);
        let next = model::next_change(c, &w.r.memo, g, s.clock, s.clock.saturating_add(model::HORIZON));
        assert_eq!(hours.next_change(), next, "R30 {g} next change after {}", s.clock);
    }
}
