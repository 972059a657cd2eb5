//! The rules of `docs/RULES.md`, as values: every decision names the rule
//! that decided it.

macro_rules! rules {
    ($( $(#[$doc:meta])* $rule:ident ),+ $(,)?) => {
        /// A rule of `docs/RULES.md` (R1–R33 and R38; R34–R37 are not
        /// implemented yet). Decisions carry the rule that
        /// decided them ([`Visibility::rule`](crate::Visibility::rule),
        /// [`ClaimCheck::rule`](crate::ClaimCheck::rule)); ids are stable.
        ///
        /// ```
        /// use groupgate::Rule;
        /// assert_eq!(Rule::R4.to_string(), "R4");
        /// assert_eq!("R11".parse::<Rule>().unwrap(), Rule::R11);
        /// assert_eq!(Rule::ALL.len(), 34);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[non_exhaustive]
        pub enum Rule {
            $( $(#[$doc])* $rule, )+
        }

        impl Rule {
            /// Every rule, in order.
            pub const ALL: &'static [Rule] = &[$(Rule::$rule),+];

            /// The rule's id, `"R1"` … `"R38"`.
            pub fn as_str(self) -> &'static str {
                match self { $( Rule::$rule => stringify!($rule), )+ }
            }
        }

        impl std::str::FromStr for Rule {
            type Err = crate::config::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( stringify!($rule) => Ok(Rule::$rule), )+
                    _ => Err(crate::config::UnknownValue { kind: "Rule", value: crate::ids::shown(s) }),
                }
            }
        }
    };
}

rules!(
    /// Plan gate: without the groups feature, groups do nothing.
    R1,
    /// Precedence: the effective group is the moved-to group, else the
    /// selection, else the page tag — the first that names a group.
    R2,
    /// Unknown ids: tags and selections naming no group are kept, reported
    /// and skipped.
    R3,
    /// Members see the visitors of their groups.
    R4,
    /// Unassigned agents: `see_all`, `see_ungrouped` or `see_nothing`.
    R5,
    /// Ungrouped visitors: visible to every agent with a group, or only to
    /// unassigned agents.
    R6,
    /// Admins and owners see every visitor when `admins_see_all` is set.
    R7,
    /// Disabled agents see nothing, claim nothing and are offered nothing.
    R8,
    /// Dashboards keep the revision they loaded until a refresh; claims use
    /// the latest.
    R9,
    /// Availability: a page's chat box is online iff a new chat would have a
    /// candidate.
    R10,
    /// Claim eligibility, checked in order: enabled, sees, unheld, present,
    /// under its limit.
    R11,
    /// Chat limit: the smallest of the agent's (or default) and the group's.
    R12,
    /// One owner per chat; versions for compare-and-set never repeat.
    R13,
    /// Release: closing frees the load at once; removed or disabled agents'
    /// chats go back to the queue.
    R14,
    /// Candidates: eligible online agents of the best tier, the preferred
    /// agent first.
    R15,
    /// Strategies: `broadcast`, `least_busy`, `round_robin`.
    R16,
    /// Fallback: a group without candidates passes the chat down its chain.
    R17,
    /// Queue: unheld chats wait in order and are served when an agent frees
    /// up.
    R18,
    /// Transfers to a group or to an agent.
    R19,
    /// Group selection needs at least one group and the groups feature.
    R20,
    /// Form choices: groups in the contact form, in order, optionally only
    /// available ones.
    R21,
    /// Selection: only a group the form offers now.
    R22,
    /// Validation: every problem at once, each naming its ids.
    R23,
    /// Nothing lost: a failed change leaves the previous revision untouched.
    R24,
    /// Determinism: every answer in a defined order, the same on every
    /// machine and run.
    R25,
    /// Clock and deadlines.
    R26,
    /// Answering, missed and declined chats.
    R27,
    /// Offline agents' chats go back to the queue after a wait.
    R28,
    /// Overflow to the fallback group after a wait.
    R29,
    /// Business hours: a group closed by its schedule is offered no chats.
    R30,
    /// Notices of every change: what each event or configuration change
    /// did, in order.
    R31,
    /// Save and load an account: the loaded one equals the saved one.
    R32,
    /// Every input is an event value, applied by one call.
    R33,
    /// A chat event may name the agent acting, who must hold the chat.
    R38,
);

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
