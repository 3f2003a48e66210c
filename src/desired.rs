//! A desired resource: what stack.toml asks for, as one kind's spec.

use crate::address::Address;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub address: Address,
    /// The kind's spec in JSON form; references inside it are dependencies.
    pub spec: Value,
    /// Dependencies that are not references: objects that must be ready first although
    /// no value of theirs is used (e.g. a service needs the listener rule that attaches
    /// its target group to the load balancer, and the NAT route for image pulls).
    pub after: Vec<Address>,
}

impl Desired {
    pub fn new(address: Address, spec: impl serde::Serialize) -> Self {
        Desired {
            address,
            spec: serde_json::to_value(spec).expect("specs serialize to JSON"),
            after: Vec::new(),
        }
    }

    pub fn after(mut self, deps: impl IntoIterator<Item = Address>) -> Self {
        self.after.extend(deps);
        self
    }

    /// Every address this resource needs first: references plus ordering edges.
    pub fn dependencies(&self) -> Vec<Address> {
        let mut deps = crate::resources::references(&self.spec);
        deps.extend(self.after.iter().cloned());
        deps.sort();
        deps.dedup();
        deps
    }
}
