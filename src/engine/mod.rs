//! Applying a plan: each change becomes one or two operations (destroy the old
//! object, apply the new), ordered by the dependency graph, run concurrently as
//! soon as what they need is done, with the state saved after every step.

pub mod adopt;
pub mod cloud;
pub mod domain;
pub mod event;
#[cfg(test)]
pub mod fake;
pub mod images;
pub mod ops;
pub mod recover;
pub mod refresh;
pub mod step_error;
pub mod walker;
pub mod zones;

pub use event::{Event, Observer};
pub use walker::{ApplyError, apply};
