//! R23: turning a [`ConfigBuilder`] into a [`Config`], reporting every problem.

use std::collections::HashSet;

use indexmap::IndexMap;
use smallvec::SmallVec;

use super::error::{ConfigError, IdPlace, Problem};
use super::{Agent, Config, ConfigBuilder, Group, Hours, Membership, Schedule, Tier};
use crate::ids::{AgentId, GroupId, ScheduleId, shown};
use crate::rows::Rows;

/// Collects problems while typed pieces are made.
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn id<T>(
        &mut self,
        raw: &str,
        place: impl FnOnce() -> IdPlace,
        make: fn(&str) -> Result<T, crate::IdError>,
    ) -> Option<T> {
        match make(raw) {
            Ok(id) => Some(id),
            Err(error) => {
                self.problems.push(Problem::InvalidId { place: place(), error });
                None
            }
        }
    }
}

pub(super) fn build(raw: &ConfigBuilder) -> Result<Config, ConfigError> {
    let mut c = Checker { problems: Vec::new() };
    let schedules = check_schedules(&mut c, raw);
    let groups = check_groups(&mut c, raw, &schedules);
    let agents = check_agents(&mut c, raw, &groups);
    check_cycles(&mut c, &groups);
    if raw.contact_form.group_selection && raw.groups.is_empty() {
        c.problems.push(Problem::NoGroups);
    }
    if !c.problems.is_empty() {
        return Err(ConfigError::new(c.problems));
    }
    Ok(Config {
        plan: raw.plan,
        policy: raw.policy,
        schedules: schedules.into_values().collect(),
        groups: groups.into_values().collect(),
        agents,
        group_selection: raw.contact_form.group_selection,
    })
}

/// Valid schedules keyed by their raw id (first occurrence wins); a
/// repeated or invalid entry still has its time zone and hours checked
/// (R23, R30).
fn check_schedules(c: &mut Checker, raw: &ConfigBuilder) -> IndexMap<String, Schedule> {
    let mut schedules: IndexMap<String, Schedule> = IndexMap::with_capacity(raw.schedules.len());
    for spec in &raw.schedules {
        let id = c.id(&spec.id, || IdPlace::Schedule, ScheduleId::new);
        let repeated = id.is_some() && schedules.contains_key(&spec.id);
        if repeated {
            c.problems.push(Problem::DuplicateSchedule { schedule: spec.id.clone() });
        }
        let hours = Hours::new(spec).map_err(|errors| {
            let schedule = shown(&spec.id);
            c.problems
                .extend(errors.into_iter().map(|error| Problem::InvalidSchedule { schedule: schedule.clone(), error }));
        });
        if let (Some(id), false, Ok(hours)) = (id, repeated, hours) {
            schedules.insert(spec.id.clone(), Schedule::new(id, spec.clone(), hours));
        }
    }
    schedules
}

/// Valid groups keyed by their raw id (first occurrence wins). Every entry
/// is checked for everything, a repeated or invalid one included (R23): its
/// fallback and schedule too.
fn check_groups(
    c: &mut Checker,
    raw: &ConfigBuilder,
    schedules: &IndexMap<String, Schedule>,
) -> IndexMap<String, Group> {
    let mut groups: IndexMap<String, Group> = IndexMap::with_capacity(raw.groups.len());
    // Fallbacks to resolve once every group id is known: (group, fallback).
    let mut fallbacks: Vec<(&str, &str)> = Vec::new();
    for spec in &raw.groups {
        let id = c.id(&spec.id, || IdPlace::Group, GroupId::new);
        let repeated = id.is_some() && groups.contains_key(&spec.id);
        if repeated {
            c.problems.push(Problem::DuplicateGroup { group: spec.id.clone() });
        }
        let fallback = spec.fallback.as_deref().and_then(|f| {
            let checked = c.id(f, || IdPlace::Fallback { group: shown(&spec.id) }, GroupId::new)?;
            fallbacks.push((&spec.id, f));
            Some(checked)
        });
        let schedule = spec.schedule.as_deref().and_then(|s| {
            let checked = c.id(s, || IdPlace::GroupSchedule { group: shown(&spec.id) }, ScheduleId::new)?;
            // A schedule written but invalid is reported as such, not as unknown.
            let written = raw.schedules.iter().any(|w| w.id == s);
            if !schedules.contains_key(s) && !written {
                c.problems.push(Problem::UnknownSchedule { group: shown(&spec.id), schedule: s.to_owned() });
            }
            Some(checked)
        });
        let (Some(id), false) = (id, repeated) else { continue };
        let group = Group { id, fallback, schedule, spec: spec.clone() };
        groups.insert(spec.id.clone(), group);
    }
    for (group, fallback) in fallbacks {
        if !groups.contains_key(fallback) {
            c.problems.push(Problem::UnknownFallback { group: shown(group), fallback: fallback.to_owned() });
        }
    }
    groups
}

/// Valid agents in order (first occurrence wins); a repeated or invalid
/// entry still has its memberships and tiers checked (R23).
fn check_agents(c: &mut Checker, raw: &ConfigBuilder, groups: &IndexMap<String, Group>) -> Rows<Agent> {
    let mut seen: IndexMap<&str, ()> = IndexMap::with_capacity(raw.agents.len());
    let mut agents = Vec::with_capacity(raw.agents.len());
    for spec in &raw.agents {
        let id = c.id(&spec.id, || IdPlace::Agent, AgentId::new);
        let repeated = id.is_some() && seen.insert(&spec.id, ()).is_some();
        if repeated {
            c.problems.push(Problem::DuplicateAgent { agent: spec.id.clone() });
        }
        let memberships = check_memberships(c, spec, groups);
        if let (Some(id), false) = (id, repeated) {
            agents.push(Agent { id, role: spec.role, memberships, enabled: spec.enabled, chat_limit: spec.chat_limit });
        }
    }
    agents.into_iter().collect()
}

fn check_memberships(
    c: &mut Checker,
    spec: &super::AgentSpec,
    groups: &IndexMap<String, Group>,
) -> SmallVec<[Membership; 2]> {
    let agent = || shown(&spec.id);
    // A set for lookups only: nothing is ever iterated out of it (R25).
    let mut listed: HashSet<&str> = HashSet::with_capacity(spec.groups.len());
    let mut out: SmallVec<[Membership; 2]> = SmallVec::new();
    for raw in &spec.groups {
        let Some(group) = c.id(raw, || IdPlace::Membership { agent: agent() }, GroupId::new) else { continue };
        if !listed.insert(raw) {
            c.problems.push(Problem::DuplicateMembership { agent: agent(), group: raw.clone() });
        } else if !groups.contains_key(raw) {
            c.problems.push(Problem::UnknownMembership { agent: agent(), group: raw.clone() });
        } else {
            let tier = spec.tiers.get(raw).copied().unwrap_or(Tier::Normal);
            out.push(Membership { group, tier });
        }
    }
    for raw in spec.tiers.keys() {
        if c.id(raw, || IdPlace::Tier { agent: agent() }, GroupId::new).is_some() && !listed.contains(raw.as_str()) {
            c.problems.push(Problem::UnknownTier { agent: agent(), group: raw.clone() });
        }
    }
    out
}

/// Reports each fallback loop once, starting at its first group in config order.
fn check_cycles(c: &mut Checker, groups: &IndexMap<String, Group>) {
    let next = |i: usize| -> Option<usize> {
        let g = groups.get_index(i)?.1;
        groups.get_index_of(g.fallback.as_ref()?.as_str())
    };
    // 0: not visited, 1: on the current path, 2: finished.
    let mut mark = vec![0u8; groups.len()];
    for start in 0..groups.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match mark.get(i).copied() {
                Some(0) => {}
                Some(1) => {
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    report_cycle(c, groups, path.get(from..).unwrap_or(&[]));
                    break;
                }
                _ => break,
            }
            if let Some(m) = mark.get_mut(i) {
                *m = 1;
            }
            path.push(i);
            at = next(i);
        }
        for i in path {
            if let Some(m) = mark.get_mut(i) {
                *m = 2;
            }
        }
    }
}

fn report_cycle(c: &mut Checker, groups: &IndexMap<String, Group>, cycle: &[usize]) {
    let lowest = (0..cycle.len()).min_by_key(|&k| cycle.get(k).copied()).unwrap_or(0);
    let ids = cycle
        .iter()
        .cycle()
        .skip(lowest)
        .take(cycle.len())
        .filter_map(|&i| groups.get_index(i).map(|(id, _)| id.clone()))
        .collect();
    c.problems.push(Problem::FallbackCycle { groups: ids });
}
