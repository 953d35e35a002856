//! The automation rules, pure: flow validation ([`validate`]), the graph walk of a run
//! ([`step`]), conditions ([`conditions`]), template variables ([`vars`]) and enrolment
//! decisions ([`enrol`]). No I/O: the automation actor gathers the facts (the contact as it
//! is now, its orders, the run's last message) and executes what these return.

pub mod conditions;
pub mod enrol;
pub mod graph;
pub mod quiet;
pub mod step;
pub mod validate;
pub mod vars;

#[cfg(test)]
mod tests;

pub use validate::{validate, FlowProblem};
