//! The monthly cost estimate a plan shows: what the stack will cost to run, what it
//! costs now, and the difference, from a built-in table of on-demand prices per
//! region (docs/costs.md). It is an estimate: usage (data through the NAT gateway and
//! CloudFront, requests, load balancer capacity units, logs, images) is not in it,
//! and AWS changes prices; the table says when it was taken.

use crate::address::{Address, Kind};
use serde_json::Value;
use std::collections::BTreeMap;

/// Hours in the month AWS bills by.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// When the prices below were taken from AWS's pricing pages.
pub const PRICES_AS_OF: &str = "2025-01";

/// On-demand prices of one region, USD per hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    pub fargate_vcpu_x86: f64,
    pub fargate_gb_x86: f64,
    pub fargate_vcpu_arm: f64,
    pub fargate_gb_arm: f64,
    pub nat_gateway: f64,
    pub load_balancer: f64,
    /// Every public IPv4 address: an elastic IP, each of an internet-facing ALB's.
    pub public_ipv4: f64,
}

/// Fargate Spot runs at about 30% of the on-demand price; AWS varies it.
pub const SPOT_SHARE: f64 = 0.3;

/// The table, and whether `region` is in it (else us-east-1's prices stand in).
pub fn prices(region: &str) -> (Prices, bool) {
    let known = |p| (p, true);
    match region {
        "us-east-1" | "us-east-2" | "us-west-2" => known(US_EAST_1),
        "eu-west-1" => known(Prices {
            nat_gateway: 0.048,
            load_balancer: 0.0252,
            ..US_EAST_1
        }),
        "eu-west-2" => known(Prices {
            fargate_vcpu_x86: 0.04656,
            fargate_gb_x86: 0.00511,
            fargate_vcpu_arm: 0.03725,
            fargate_gb_arm: 0.00409,
            nat_gateway: 0.050,
            load_balancer: 0.02646,
            public_ipv4: 0.005,
        }),
        "eu-central-1" => known(Prices {
            fargate_vcpu_x86: 0.04656,
            fargate_gb_x86: 0.00511,
            fargate_vcpu_arm: 0.03725,
            fargate_gb_arm: 0.00409,
            nat_gateway: 0.052,
            load_balancer: 0.027,
            public_ipv4: 0.005,
        }),
        _ => (US_EAST_1, false),
    }
}

const US_EAST_1: Prices = Prices {
    fargate_vcpu_x86: 0.04048,
    fargate_gb_x86: 0.004445,
    fargate_vcpu_arm: 0.03238,
    fargate_gb_arm: 0.00356,
    nat_gateway: 0.045,
    load_balancer: 0.0225,
    public_ipv4: 0.005,
};

/// One line of the estimate: what, and USD per month.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub what: String,
    pub monthly: f64,
}

/// The items of a stack given its resources' specs by address (desired or recorded).
pub fn items(specs: &BTreeMap<Address, Value>, p: &Prices) -> Vec<Item> {
    let mut items = Vec::new();
    let month = |per_hour: f64| per_hour * HOURS_PER_MONTH;
    for (address, spec) in specs {
        match address.kind() {
            Kind::EcsService => {
                let Some(td) = spec["task_definition"]["ref"]
                    .as_str()
                    .and_then(|a| a.parse::<Address>().ok())
                    .and_then(|a| specs.get(&a))
                else {
                    continue;
                };
                let number = |v: &Value| {
                    v.as_str()
                        .and_then(|s| s.parse::<f64>().ok())
                        .or_else(|| v.as_f64())
                        .unwrap_or(0.0)
                };
                let vcpu = number(&td["cpu"]) / 1024.0;
                let gb = number(&td["memory"]) / 1024.0;
                let arm = td["cpu_architecture"].as_str() == Some("ARM64");
                let (per_vcpu, per_gb) = if arm {
                    (p.fargate_vcpu_arm, p.fargate_gb_arm)
                } else {
                    (p.fargate_vcpu_x86, p.fargate_gb_x86)
                };
                let spot = spec["capacity"].as_str() == Some("FARGATE_SPOT");
                let tasks = spec["desired_count"].as_f64().unwrap_or(0.0);
                let share = if spot { SPOT_SHARE } else { 1.0 };
                items.push(Item {
                    what: format!(
                        "{address}: {tasks} × {vcpu} vCPU / {gb} GB Fargate{}{}",
                        if arm { " ARM" } else { "" },
                        if spot { " Spot" } else { "" }
                    ),
                    monthly: month((vcpu * per_vcpu + gb * per_gb) * tasks * share),
                });
            }
            Kind::NatGateway => items.push(Item {
                what: format!("{address}: NAT gateway"),
                monthly: month(p.nat_gateway),
            }),
            Kind::ElasticIp => items.push(Item {
                what: format!("{address}: public IPv4 address"),
                monthly: month(p.public_ipv4),
            }),
            Kind::LoadBalancer => {
                let public = spec["scheme"].as_str() == Some("internet-facing");
                let zones = spec["subnets"].as_array().map_or(0, Vec::len) as f64;
                let ips = if public { zones } else { 0.0 };
                items.push(Item {
                    what: format!(
                        "{address}: load balancer{}",
                        if public {
                            format!(" and its {zones} public IPv4 addresses")
                        } else {
                            String::new()
                        }
                    ),
                    monthly: month(p.load_balancer + ips * p.public_ipv4),
                });
            }
            // Listed so nobody wonders: CloudFront has no base charge.
            Kind::CloudfrontDistribution => items.push(Item {
                what: format!("{address}: CloudFront, no monthly base (billed by use)"),
                monthly: 0.0,
            }),
            _ => {}
        }
    }
    items
}

pub fn total(items: &[Item]) -> f64 {
    // + 0.0: the sum of nothing is -0.0, which would print as "$-0.00".
    items.iter().map(|i| i.monthly).sum::<f64>() + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn fargate_is_priced_per_task_by_cpu_memory_architecture_and_capacity() {
        let (p, known) = prices("us-east-1");
        assert!(known);
        let specs = BTreeMap::from([
            (
                a("task_definition.web"),
                json!({"cpu": "256", "memory": "512", "cpu_architecture": "X86_64"}),
            ),
            (
                a("ecs_service.web"),
                json!({"task_definition": {"ref": "task_definition.web", "output": "arn"},
                       "desired_count": 2, "capacity": "FARGATE"}),
            ),
        ]);
        let items = items(&specs, &p);
        assert_eq!(items.len(), 1);
        // (0.25 × 0.04048 + 0.5 × 0.004445) × 2 tasks × 730 h
        assert!((items[0].monthly - 18.02005).abs() < 0.001, "{items:?}");
        let mut spot = specs.clone();
        spot.get_mut(&a("ecs_service.web")).unwrap()["capacity"] = json!("FARGATE_SPOT");
        let spot_items = super::items(&spot, &p);
        assert!((spot_items[0].monthly - 18.02005 * SPOT_SHARE).abs() < 0.001);
    }

    #[test]
    fn a_nat_gateway_an_address_and_an_internet_facing_alb_cost_by_the_hour() {
        let (p, _) = prices("eu-west-2");
        let specs = BTreeMap::from([
            (a("nat_gateway.nat-0"), json!({})),
            (a("elastic_ip.nat-0"), json!({})),
            (
                a("load_balancer.main"),
                json!({"scheme": "internet-facing", "subnets": [{}, {}]}),
            ),
            (a("cloudfront_distribution.main"), json!({})),
        ]);
        let items = items(&specs, &p);
        assert_eq!(items.len(), 4);
        let sum = total(&items);
        let expected = 730.0 * (0.050 + 0.005 + 0.02646 + 2.0 * 0.005);
        assert!((sum - expected).abs() < 0.001, "{items:?}");
        assert!(!prices("ap-south-2").1, "an unknown region says so");
    }
}
