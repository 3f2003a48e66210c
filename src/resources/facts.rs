//! What a kind knows about itself besides how to create, read and delete its objects:
//! the service it calls, how `import` names its objects, how long its slow steps
//! usually take, its line in the cost estimate and the values it gives `stackctl
//! output`. Each lives in the kind's own file. The trait has no defaults on purpose:
//! a new kind does not compile until it has said, for every one of them, what holds
//! for it (most say "nothing"), so no estimate, slow-step list or output silently
//! misses it.

use super::Resource;
use crate::address::Address;
use serde_json::Value;
use std::collections::BTreeMap;

// What the items speak of, in one import for the kinds' files.
pub use crate::aws::Service;
pub use crate::plan::Action;
pub use crate::plan::cost::{Item, Prices};
pub use crate::state::Record;

pub trait Facts: Resource {
    /// The service its calls go to: it sets the in-flight bound they share, and the
    /// fault proxy of the tests must speak its error format.
    const SERVICE: Service;

    /// What identifies one of its objects for `stackctl import` ("its VPC id
    /// (vpc-...)"), for the messages of import.
    const IMPORT_ID: &'static str;

    /// The usual duration in minutes (low, high) of `action` when it waits on AWS,
    /// which `plan` shows before a person starts an apply that runs for minutes. None
    /// for steps that take seconds.
    fn usual_minutes(action: Action, spec: &Self::Spec) -> Option<(u32, u32)>;

    /// Its line of the monthly cost estimate, from the built-in on-demand prices;
    /// None where it has no standing charge. `specs` has the stack's other specs, for
    /// a kind whose cost another decides (a service's tasks are sized by its task
    /// definition).
    fn cost(address: &Address, spec: &Self::Spec, specs: &Specs<'_>, p: &Prices) -> Option<Item>;

    /// The values people need after an apply that this object gives (`stackctl
    /// output`: where the app answers, where to push images), by output name.
    fn stack_outputs(address: &Address, record: &Record) -> Vec<(String, String)>;
}

/// The specs of a whole stack (desired or recorded), read as the kinds' own types.
pub struct Specs<'a>(pub &'a BTreeMap<Address, Value>);

impl Specs<'_> {
    /// The spec at `address` as `R`'s; None when there is none, or it is not one of
    /// `R`'s (a recorded spec from another version).
    pub fn get<R: Resource>(&self, address: &Address) -> Option<R::Spec> {
        let spec = self.0.get(address)?;
        (address.kind() == R::KIND)
            .then(|| serde_json::from_value(spec.clone()).ok())
            .flatten()
    }

    /// Every spec of `R`'s kind, with its address.
    pub fn all<R: Resource>(&self) -> impl Iterator<Item = (&Address, R::Spec)> + '_ {
        self.0
            .keys()
            .filter(|a| a.kind() == R::KIND)
            .filter_map(|a| Some((a, self.get::<R>(a)?)))
    }
}

/// `month(per_hour)`: an hourly price over the month AWS bills by.
pub fn month(per_hour: f64) -> f64 {
    per_hour * crate::plan::cost::HOURS_PER_MONTH
}
