//! Planning: a pure diff of desired resources against state and what AWS reported.

pub mod action;
pub mod change;
pub mod cost;
pub mod deploy;
pub mod document;
pub mod drift;
pub mod hold;
pub mod planner;

pub use action::Action;
pub use change::{
    Applying, Cause, Change, Class, Deposed, FieldDiff, Plan, Reason, Summary, deposed_in,
};
pub use deploy::{DeployError, parse_image, plan_deploy};
pub use document::{DocumentError, PlanDocument};
pub use drift::{DriftStatus, DriftedField, DriftedResource, drift};
pub use hold::{Held, Hold, MissingImage, hold_back};
pub use planner::{Observed, PlanError, plan, plan_destroy};

#[cfg(test)]
mod tests;
