//! Turns a validated stack.toml into the list of desired resources, one per AWS
//! object, wired together by references. This is where the architecture lives:
//! which subnets route where, which security group admits whom. Each part of
//! stack.toml has its file, expanded in the order of `expand`; the user tags go into
//! every taggable spec, so the planner diffs them.

mod alarms;
mod cdn;
mod domain;
mod load_balancer;
mod network;
mod repositories;
mod scaling;
mod services;
mod shared;

use super::validate::Validated;
use crate::desired::Desired;

pub use load_balancer::CLOUDFRONT_ORIGIN_FACING;
pub use services::{execution_policy, secret_grant};

/// The desired resources of `v`, its subnets in `zones` (one per position, see
/// `engine::zones`). Each area gets the addresses it attaches to from the areas
/// before it; the order is the one plans and golden tests show.
pub fn expand(v: &Validated, zones: &[String]) -> Vec<Desired> {
    let (mut out, network) = network::expand(v, zones);
    out.extend(repositories::expand(v));
    // Without services there is nothing to run or route to: no cluster, no load
    // balancer, no CDN.
    if v.config.services.is_empty() {
        return out;
    }
    let (load_balancer, lb) = load_balancer::expand(v, &network);
    out.extend(load_balancer);
    out.extend(services::expand(v, &network, &lb));
    out.extend(scaling::expand(v, &lb));
    out.extend(alarms::expand(v, &lb));
    out.extend(cdn::expand(v, &lb));
    out.extend(domain::expand(v, &lb));
    out
}
