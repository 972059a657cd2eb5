#![forbid(unsafe_code)]
//! Scenario files for [`groupgate`] (`docs/SCENARIO-FORMAT.md`): an
//! account and steps — events, configuration changes and expectations —
//! read from any serde format and run against the library through its
//! public API only. A step's event is the library's own
//! [`Event`](groupgate::Event), applied with
//! [`Account::apply_event`](groupgate::Account::apply_event); what this crate
//! adds is the file's account, the expectations and the runner.
//!
//! ```
//! use groupgate_scenario::Scenario;
//! let file = r#"{
//!   "account": {"plan": "pro", "groups": [{"id": "en"}, {"id": "de"}],
//!               "agents": [{"id": "anna", "groups": ["en"]}]},
//!   "steps": [
//!     {"visit": {"visitor": "v1", "page_group": "de"}},
//!     {"claim": {"agent": "anna", "visitor": "v1"}, "expect_error": "not_in_group"},
//!     {"expect_visible": {"visitor": "v1", "agents": ["anna"]}}
//!   ]
//! }"#;
//! let report = serde_json::from_str::<Scenario>(file).unwrap().run();
//! let failure = report.failure.unwrap();
//! assert_eq!(failure.step, Some(2));
//! assert_eq!((failure.expected.as_str(), failure.found.as_str()), (r#"["anna"]"#, "[]"));
//! ```

mod format;
mod instant;
mod payload;
mod run;
mod step;

pub use format::{AccountFile, AgentFile, Scenario};
pub use instant::Instant;
pub use payload::{
    ExpectAgents, ExpectChat, ExpectClaim, ExpectDashboard, ExpectGroup, ExpectHolder, ExpectLoad, ExpectNextChange,
    ExpectOnline, ExpectOnlineFor, ExpectOpen, ExpectStatus,
};
pub use run::{Failure, Report, Traced};
pub use step::{Action, EXPECTATIONS, Expectation, Step, StepKind};
