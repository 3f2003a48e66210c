//! The floor the dependency graph allows: the longest chain of calls AWS forces in
//! sequence and of readiness waits, over the stack's dependency graph.
//!
//! Each kind's own chain comes from the table below (what the AWS APIs force, with
//! stack.toml's defaults), never from what stackctl happens to do: the bound must not
//! move when stackctl gets slower. Where it is unclear whether AWS forces a step, the
//! table leaves it out, so the bound stays a lower bound. The method is written up in
//! docs/performance.md.
//!
//! Apply: a resource's create starts once every dependency's create has answered
//! (its id and outputs exist). Readiness matters only where AWS needs it:
//! - a NAT gateway and a load balancer are ready `Timing` after their create;
//! - a service's rollout starts once its create answered and every NAT gateway it
//!   depends on (through its route table) is available (its tasks pull their image
//!   through it), and ends no earlier than every load balancer it depends on is
//!   active (health checks); one poll then sees it stable;
//! - a distribution is deployed `Timing` after its create, and one poll sees it.
//!
//! Destroy: a resource's delete starts once every resource that depends on it is
//! deleted; a distribution is disabled, deploys again (`Timing`) and is then deleted.

use crate::readiness::Timing;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// One resource of the graph, as the plan document lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub address: String,
    /// `vpc`, `ecs_service`, ... (the plan document's `kind`).
    pub kind: String,
    pub depends_on: Vec<String>,
}

/// A resource's own sequential calls, each one round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    pub create: u32,
    pub delete: u32,
}

/// The table: round trips AWS forces one after the other for each kind. Calls that
/// only need the create's id (tags go into the create call itself) run side by side
/// and count once.
pub fn chain(kind: &str) -> Chain {
    let (create, delete) = match kind {
        // CreateVpc. DNS hostnames (ModifyVpcAttribute) and the default group's
        // lockdown follow, but nothing created in the VPC needs them, so they are off
        // the chain. Delete: DeleteVpc.
        "vpc" => (1, 1),
        // CreateSubnet (a public subnet's MapPublicIpOnLaunch is a second call, not
        // counted: private subnets need none). DeleteSubnet.
        "subnet" => (1, 1),
        // Create, then Attach. Detach, then Delete.
        "internet_gateway" => (2, 2),
        // AllocateAddress. ReleaseAddress.
        "elastic_ip" => (1, 1),
        // CreateNatGateway. DeleteNatGateway, then one poll that sees it deleted
        // (its address and interface are held until then).
        "nat_gateway" => (1, 2),
        // CreateRouteTable; then CreateRoute and AssociateRouteTable at once.
        // DisassociateRouteTable, then DeleteRouteTable.
        "route_table" => (2, 2),
        // CreateSecurityGroup; then the ingress rules (one Authorize call).
        // DeleteSecurityGroup.
        "security_group" => (2, 1),
        // CreateRepository (scanning, tag mutability and tags in it); then
        // PutLifecyclePolicy for `keep_images`. DeleteRepository with force.
        "ecr_repository" => (2, 1),
        // CreateLogGroup; then PutRetentionPolicy. DeleteLogGroup.
        "log_group" => (2, 1),
        // CreateRole; then the policy (attach or put). Detach, then DeleteRole.
        "iam_role" => (2, 2),
        // CreateCluster. DeleteCluster.
        "ecs_cluster" => (1, 1),
        // CreateLoadBalancer. Its attributes (deletion protection, invalid header
        // dropping) take a second call, but what uses the ALB needs only its ARN and
        // DNS name, so that call is off the chain. Attributes (protection off), then
        // Delete.
        "load_balancer" => (1, 2),
        // CreateTargetGroup (health check in it). DeleteTargetGroup.
        "target_group" => (1, 1),
        // CreateListener. DeleteListener.
        "listener" => (1, 1),
        // CreateRule. DeleteRule.
        "listener_rule" => (1, 1),
        // RegisterTaskDefinition. DeregisterTaskDefinition.
        "task_definition" => (1, 1),
        // CreateService. DeleteService with force.
        "ecs_service" => (1, 1),
        // CreateDistributionWithTags. GetDistributionConfig (the ETag), then
        // UpdateDistribution (disable); the wait; then DeleteDistribution.
        "cloudfront_distribution" => (1, 3),
        // A kind this table does not know yet: one call each way, the least there is.
        _ => (1, 1),
    };
    Chain { create, delete }
}

/// The bound, and the chain of addresses that makes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub total: Duration,
    pub path: Vec<String>,
}

/// When each resource's step finished, and which resource it last waited for.
#[derive(Debug, Clone)]
struct Finish {
    at: Duration,
    after: Option<String>,
}

/// The graph in dependency order (dependencies first); panics on a cycle, which
/// stackctl's planner would have refused.
fn ordered(nodes: &[Node]) -> Vec<&Node> {
    let by: BTreeMap<&str, &Node> = nodes.iter().map(|n| (n.address.as_str(), n)).collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < nodes.len() {
        let before = out.len();
        for n in nodes {
            if done.contains(n.address.as_str()) {
                continue;
            }
            let ready = n
                .depends_on
                .iter()
                .all(|d| done.contains(d.as_str()) || !by.contains_key(d.as_str()));
            if ready {
                done.insert(&n.address);
                out.push(n);
            }
        }
        assert!(out.len() > before, "dependency cycle among {nodes:?}");
    }
    out
}

/// Every address `address` depends on, directly or not.
fn ancestors<'a>(by: &BTreeMap<&str, &'a Node>, address: &str) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![address];
    while let Some(a) = todo.pop() {
        if let Some(n) = by.get(a) {
            for d in &n.depends_on {
                if let Some(dep) = by.get(d.as_str())
                    && seen.insert(dep.address.as_str())
                {
                    todo.push(dep.address.as_str());
                }
            }
        }
    }
    seen
}

/// The latest of `finishes`, with who it was.
fn latest<'a>(finishes: impl Iterator<Item = (&'a str, Duration)>) -> Finish {
    let mut best = Finish {
        at: Duration::ZERO,
        after: None,
    };
    for (address, at) in finishes {
        if at > best.at || best.after.is_none() && at == best.at {
            best = Finish {
                at,
                after: Some(address.to_string()),
            };
        }
    }
    best
}

/// The path back from `end` through `finish`.
fn path(finish: &BTreeMap<String, Finish>, end: &str) -> Vec<String> {
    let mut out = vec![end.to_string()];
    let mut at = end;
    while let Some(Finish {
        after: Some(prev), ..
    }) = finish.get(at)
    {
        if out.contains(prev) {
            break;
        }
        out.push(prev.clone());
        at = prev;
    }
    out.reverse();
    out
}

/// The bound of an apply that creates every node, at `latency` per call, with the
/// readiness times of `timing` (None: everything is ready at once, as in moto).
pub fn apply(nodes: &[Node], latency: Duration, timing: Option<&Timing>) -> Bound {
    let by: BTreeMap<&str, &Node> = nodes.iter().map(|n| (n.address.as_str(), n)).collect();
    let wait = |f: fn(&Timing) -> Duration| timing.map(f).unwrap_or_default();
    let mut created: BTreeMap<String, Finish> = BTreeMap::new();
    let mut ready: BTreeMap<String, Finish> = BTreeMap::new();
    for n in ordered(nodes) {
        let start = latest(
            n.depends_on
                .iter()
                .filter_map(|d| created.get(d).map(|f| (d.as_str(), f.at))),
        );
        let made = start.at + latency * chain(&n.kind).create;
        let ready_at = |kinds: &str| {
            latest(
                ancestors(&by, &n.address)
                    .into_iter()
                    .filter(|a| by[a].kind == kinds)
                    .map(|a| (a, ready[a].at)),
            )
        };
        let own = |at: Duration| Finish {
            at,
            after: Some(n.address.clone()),
        };
        let done = match n.kind.as_str() {
            "nat_gateway" => own(made + wait(|t| t.nat_gateway)),
            "load_balancer" => own(made + wait(|t| t.load_balancer)),
            "cloudfront_distribution" => own(made + wait(|t| t.distribution) + latency),
            "ecs_service" => {
                let nat = ready_at("nat_gateway");
                let rollout_from = if nat.at > made { nat } else { own(made) };
                let rolled = Finish {
                    at: rollout_from.at + wait(|t| t.service),
                    after: rollout_from.after,
                };
                let lb = ready_at("load_balancer");
                let end = if lb.at > rolled.at { lb } else { rolled };
                Finish {
                    at: end.at + latency,
                    after: end.after,
                }
            }
            _ => own(made),
        };
        created.insert(n.address.clone(), Finish { at: made, ..start });
        ready.insert(n.address.clone(), done);
    }
    // The chain behind a ready time runs through created times of dependencies;
    // the ready entry of a node names the node (or the gate) it ended with.
    let end = latest(ready.iter().map(|(a, f)| (a.as_str(), f.at)));
    let Some(last) = end.after else {
        return Bound {
            total: Duration::ZERO,
            path: Vec::new(),
        };
    };
    let mut trail = vec![];
    let gate = ready[&last].after.clone().unwrap_or(last.clone());
    if gate != last {
        trail.push(last.clone());
    }
    let mut chain = path(&created, &gate);
    chain.extend(trail);
    Bound {
        total: end.at,
        path: chain,
    }
}

/// The bound of a destroy that deletes every node: the graph reversed.
pub fn destroy(nodes: &[Node], latency: Duration, timing: Option<&Timing>) -> Bound {
    let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in nodes {
        for d in &n.depends_on {
            dependents.entry(d.as_str()).or_default().push(&n.address);
        }
    }
    let mut deleted: BTreeMap<String, Finish> = BTreeMap::new();
    for n in ordered(nodes).into_iter().rev() {
        let start = latest(
            dependents
                .get(n.address.as_str())
                .into_iter()
                .flatten()
                .filter_map(|d| deleted.get(*d).map(|f| (*d, f.at))),
        );
        let mut at = start.at + latency * chain(&n.kind).delete;
        if n.kind == "cloudfront_distribution" {
            // The disabled distribution deploys again, and one poll sees it.
            at += timing.map(|t| t.distribution).unwrap_or_default() + latency;
        }
        deleted.insert(n.address.clone(), Finish { at, ..start });
    }
    let end = latest(deleted.iter().map(|(a, f)| (a.as_str(), f.at)));
    match end.after {
        Some(last) => Bound {
            total: end.at,
            path: path(&deleted, &last),
        },
        None => Bound {
            total: Duration::ZERO,
            path: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests;
