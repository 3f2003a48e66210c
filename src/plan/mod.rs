//! Planning: a pure diff of desired resources against state and what AWS reported.

pub mod action;
pub mod change;
pub mod planner;

pub use action::Action;
pub use change::{Change, FieldDiff, Plan, Reason, Summary};
pub use planner::{Observed, PlanError, plan, plan_destroy};

#[cfg(test)]
mod tests;
