//! Semantic checks of a parsed stack.toml, and the values derived from it that the
//! expansion needs (region and partition, zones, subnet CIDRs, routing). Pure: no AWS
//! calls; what only AWS can tell (which zones a region has) is checked before planning.

mod alarms;

pub use alarms::subscription_name;
mod cdn;
mod domain;
mod load_balancer;
mod network;
mod problems;
mod repositories;
mod routes;
mod scaling;
mod services;
mod stack;
mod state;

use super::error::Problem;
use super::regions::Partition;
use super::schema::*;
use ipnet::Ipv4Net;
use problems::Problems;
use std::collections::BTreeMap;

/// A stack.toml that passed every check, with its derived values.
#[derive(Debug, Clone)]
pub struct Validated {
    pub config: Config,
    /// The environment chosen (`--env`), whose overrides `config` includes.
    pub environment: Option<String>,
    pub region: String,
    /// The region's partition: its ARN prefix and what it offers.
    pub partition: &'static Partition,
    pub azs: Zones,
    pub vpc_cidr: Ipv4Net,
    pub public_cidrs: Vec<Ipv4Net>,
    pub private_cidrs: Vec<Ipv4Net>,
    /// The service the listener forwards to when no rule matches (it routes `/*`).
    pub default_service: Option<String>,
    /// Listener rules: service -> (priority, path patterns other than `/*`).
    pub rules: BTreeMap<String, (u32, Vec<String>)>,
    /// Image of each service, resolved against the stack's repositories.
    pub images: BTreeMap<String, Image>,
}

/// The availability zones stack.toml asks for. Zone letters differ per region (there
/// is no ap-northeast-1b) and per account, so a count is not turned into names here:
/// the names come from DescribeAvailabilityZones before planning, and explicit names
/// are checked against the same list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zones {
    /// `azs = N`: the first N zones AWS lists as available, in name order.
    Count(usize),
    /// Zones named in stack.toml.
    Named(Vec<String>),
}

impl Zones {
    pub fn len(&self) -> usize {
        match self {
            Zones::Count(n) => *n,
            Zones::Named(names) => names.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    /// A repository of this stack and the tag (or `@digest`) in it.
    Repository {
        repository: String,
        reference: String,
    },
    Uri(String),
}

impl Validated {
    pub fn routed_services(&self) -> impl Iterator<Item = (&String, &Service)> {
        self.config
            .services
            .iter()
            .filter(|(_, s)| !s.routes.is_empty())
    }

    pub fn has_load_balancer(&self) -> bool {
        self.routed_services().next().is_some()
    }
}

/// AWS's limit on ALB and target group names (32 characters), the tightest of the
/// names stackctl derives from the stack's and the services' names.
const MAX_NAME_LEN: usize = 32;
/// The only retention periods CloudWatch Logs accepts (PutRetentionPolicy refuses
/// any other), for flow logs and service logs alike.
const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Every check runs, even after a problem, so that stack.toml's problems are all
/// reported at once; the order of the checks is the order in which problems at the
/// same place in the file are shown.
pub fn validate(config: Config, env_region: Option<String>) -> Result<Validated, Vec<Problem>> {
    let mut problems = Problems::default();
    let (region, partition) = stack::check(&config.stack, env_region, &mut problems);
    state::check(&config.state, &mut problems);
    let network = network::check(&config.network, &region, &mut problems);
    repositories::check(&config.repositories, &mut problems);
    // Apart from the rest of [network], to keep the order in which problems are
    // shown (see Problems).
    network::check_flow_logs(&config.network, &mut problems);
    let resolved = services::check(
        &config.services,
        &config.stack.name,
        config.network.nat,
        &config.repositories,
        &mut problems,
    );
    let has_lb = config.services.values().any(|s| !s.routes.is_empty());
    load_balancer::check(
        &config.load_balancer,
        &region,
        &network.azs,
        has_lb,
        &mut problems,
    );
    cdn::check(
        &config.cdn,
        &config.load_balancer,
        config.domain.is_some(),
        has_lb,
        partition,
        &mut problems,
    );
    if let Some(domain) = &config.domain {
        domain::check(domain, &config.cdn, has_lb, &mut problems);
    }
    alarms::check(&config.alarms, &mut problems);
    // Last, though it reports at stack.name, for the same reason.
    if has_lb {
        load_balancer::check_name(&config.stack.name, &mut problems);
    }

    let problems = problems.into_vec();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Validated {
        region,
        partition: partition.expect("an unknown region is a problem"),
        azs: network.azs,
        vpc_cidr: network.vpc_cidr.expect("a bad network.cidr is a problem"),
        public_cidrs: network.public_cidrs,
        private_cidrs: network.private_cidrs,
        default_service: resolved.default_service,
        rules: resolved.rules,
        images: resolved.images,
        config,
        environment: None,
    })
}

/// Lowercase letters, digits and hyphens, starting with a letter, not ending in a
/// hyphen: valid in every AWS name stackctl derives from it.
fn valid_name(name: &str, max: usize) -> bool {
    name.len() <= max
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
