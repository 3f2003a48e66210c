//! What several areas build alike: addresses, references, and the egress rule of
//! every security group of the stack. The groups restrict who gets in (a task's group
//! admits only the load balancer's); out, everything may go, since tasks pull their
//! images and write their logs through the NAT gateway or their public IP, and call
//! whatever the app calls.

use crate::address::{Address, Kind};
use crate::resources::Ref;
use crate::resources::security_group::Rule;

pub(super) fn addr(kind: Kind, name: impl Into<String>) -> Address {
    Address::new(kind, name)
}

pub(super) fn id(kind: Kind, name: impl Into<String>) -> Ref {
    Ref::id(addr(kind, name))
}

/// References to the ids of `addresses`, e.g. a resource's subnets.
pub(super) fn ids(addresses: &[Address]) -> Vec<Ref> {
    addresses.iter().cloned().map(Ref::id).collect()
}

pub(super) fn allow_all_egress() -> Vec<Rule> {
    vec![Rule {
        protocol: "-1".into(),
        from_port: -1,
        to_port: -1,
        cidr: Some("0.0.0.0/0".into()),
        source_group: None,
        prefix_list: None,
        description: "all outbound".into(),
    }]
}
