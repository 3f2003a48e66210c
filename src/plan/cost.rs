//! The monthly cost estimate a plan shows: what the stack will cost to run, what it
//! costs now, and the difference, from a built-in table of on-demand prices per
//! region (docs/costs.md). It is an estimate: usage (data through the NAT gateway and
//! CloudFront, requests, load balancer capacity units, logs, images) is not in it,
//! and AWS changes prices; the table says when it was taken.

use crate::address::Address;
use crate::resources::facts::Specs;
use crate::resources::registry;
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
    /// A standard-resolution metric alarm, per month (not per hour).
    pub alarm_month: f64,
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
            alarm_month: 0.10,
        }),
        "eu-central-1" => known(Prices {
            fargate_vcpu_x86: 0.04656,
            fargate_gb_x86: 0.00511,
            fargate_vcpu_arm: 0.03725,
            fargate_gb_arm: 0.00409,
            nat_gateway: 0.052,
            load_balancer: 0.027,
            public_ipv4: 0.005,
            alarm_month: 0.10,
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
    alarm_month: 0.10,
};

/// One line of the estimate: what, and USD per month; from `monthly` up to `up_to`
/// where the count is the autoscaler's (a service scaled between min and max).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub what: String,
    pub monthly: f64,
    pub up_to: Option<f64>,
}

/// The items of a stack given its resources' specs by address (desired or recorded);
/// each kind prices its own objects (`Facts::cost`).
pub fn items(specs: &BTreeMap<Address, Value>, p: &Prices) -> Vec<Item> {
    let specs = Specs(specs);
    specs
        .0
        .keys()
        .filter_map(|address| registry::cost(address, &specs, p))
        .collect()
}

pub fn total(items: &[Item]) -> f64 {
    // + 0.0: the sum of nothing is -0.0, which would print as "$-0.00".
    items.iter().map(|i| i.monthly).sum::<f64>() + 0.0
}

/// The total with every scaled service at its maximum; `None` when nothing scales.
pub fn total_up_to(items: &[Item]) -> Option<f64> {
    items.iter().any(|i| i.up_to.is_some()).then(|| {
        items
            .iter()
            .map(|i| i.up_to.unwrap_or(i.monthly))
            .sum::<f64>()
            + 0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The specs stack.toml `text` expands to, in zones a and b of its region.
    fn specs(text: &str) -> BTreeMap<Address, Value> {
        let v = crate::config::parse(Path::new("stack.toml"), text, None).unwrap();
        let zones = crate::engine::zones::lettered(&v);
        crate::config::expand::expand(&v, &zones)
            .into_iter()
            .map(|d| (d.address, d.spec))
            .collect()
    }

    fn service(region: &str, extra: &str) -> String {
        format!(
            r#"
[stack]
name = "demo"
region = "{region}"

[network]
nat = "single"

[services.web]
image = "public.ecr.aws/docker/library/nginx:1.27"
port = 80
cpu = 256
memory = 512
desired_count = 2
{extra}
"#
        )
    }

    fn line<'a>(items: &'a [Item], address: &str) -> &'a Item {
        let prefix = format!("{address}:");
        items
            .iter()
            .find(|i| i.what.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no line for {address}: {items:?}"))
    }

    #[test]
    fn fargate_is_priced_per_task_by_cpu_memory_architecture_and_capacity() {
        let (p, known) = prices("us-east-1");
        assert!(known);
        let items = items(&specs(&service("us-east-1", "")), &p);
        // (0.25 × 0.04048 + 0.5 × 0.004445) × 2 tasks × 730 h
        let web = line(&items, "ecs_service.web");
        assert!((web.monthly - 18.02005).abs() < 0.001, "{items:?}");
        let spot = super::items(&specs(&service("us-east-1", "spot = true")), &p);
        let web_spot = line(&spot, "ecs_service.web");
        assert!((web_spot.monthly - 18.02005 * SPOT_SHARE).abs() < 0.001);
        let arm = super::items(&specs(&service("us-east-1", r#"arch = "arm64""#)), &p);
        // (0.25 × 0.03238 + 0.5 × 0.00356) × 2 × 730
        let web_arm = line(&arm, "ecs_service.web");
        assert!((web_arm.monthly - 14.4175).abs() < 0.001, "{arm:?}");
    }

    /// A scaled service costs its minimum, up to its maximum, whatever desired_count
    /// says (the autoscaler owns the count).
    #[test]
    fn a_scaled_service_costs_from_its_min_to_its_max_tasks() {
        let (p, _) = prices("us-east-1");
        let scaled = service("us-east-1", "\n[services.web.scaling]\nmin = 3\nmax = 10\n");
        let items = items(&specs(&scaled), &p);
        let web = line(&items, "ecs_service.web");
        let per_task = 18.02005 / 2.0;
        assert!(web.what.contains(": 3-10 ×"), "{web:?}");
        assert!((web.monthly - 3.0 * per_task).abs() < 0.001, "{web:?}");
        assert!(
            (web.up_to.unwrap() - 10.0 * per_task).abs() < 0.001,
            "{web:?}"
        );
        let rest = total(&items) - web.monthly;
        assert!((total_up_to(&items).unwrap() - rest - 10.0 * per_task).abs() < 0.001);
        let fixed = super::items(&specs(&service("us-east-1", "")), &p);
        assert_eq!(total_up_to(&fixed), None);
    }

    #[test]
    fn a_nat_gateway_an_address_and_an_internet_facing_alb_cost_by_the_hour() {
        let (p, _) = prices("eu-west-2");
        let text = service("eu-west-2", "") + "\n[cdn]\nenabled = true\n";
        let items = items(&specs(&text), &p);
        let others: Vec<&Item> = items
            .iter()
            .filter(|i| !i.what.starts_with("ecs_service.") && !i.what.starts_with("alarm."))
            .collect();
        // The four alarms of a routed service and its load balancer, at $0.10 each.
        let alarms: Vec<&Item> = items
            .iter()
            .filter(|i| i.what.starts_with("alarm."))
            .collect();
        assert_eq!(alarms.len(), 4, "{items:?}");
        assert!(alarms.iter().all(|i| (i.monthly - 0.10).abs() < 1e-9));
        assert_eq!(others.len(), 4, "{items:?}");
        for a in [
            "nat_gateway.nat-0",
            "elastic_ip.nat-0",
            "load_balancer.main",
            "cloudfront_distribution.main",
        ] {
            line(&items, a);
        }
        let sum: f64 = others.iter().map(|i| i.monthly).sum();
        let expected = 730.0 * (0.050 + 0.005 + 0.02646 + 2.0 * 0.005);
        assert!((sum - expected).abs() < 0.001, "{items:?}");
        assert!(!prices("ap-south-2").1, "an unknown region says so");
    }
}
