//! The orderings AWS enforces (and the emulator does not), as a fixed table checked
//! on the API log of a real run. It is written from AWS's rules, not from the edges
//! stackctl declares: a check against the engine's own edges would only prove that
//! the engine follows itself.
//!
//! Each rule: every successful call `then` (for the addresses `pair` picks) starts
//! after every successful call `first` has ended. Calls of a run that made or deleted
//! nothing of a kind leave its rules unchecked; `check` returns how many pairs it
//! compared, so a test can tell an empty check from a passed one.

use stackctl::address::{Address, Kind};
use stackctl::aws::call_log::CallRecord;
use stackctl::resources::references;
use stackctl::state::State;

/// Which call must end before which starts.
struct Rule {
    first: (Kind, &'static str),
    then: (Kind, &'static str),
    /// Whether the rule holds between these two addresses (the first of `first`'s
    /// kind, the second of `then`'s): `Any` for every pair, or only where the names
    /// say they belong together.
    pair: Pair,
    /// What AWS answers when the order is broken.
    why: &'static str,
}

#[derive(Clone, Copy)]
enum Pair {
    Any,
    /// Any first, and a service behind the load balancer (its recorded spec names a
    /// target group): a service without routes needs no listener.
    RoutedService,
    /// A service and the rules that route to it (`listener_rule.NAME-http`).
    ServiceOfRule,
    /// The first is the record that validates a certificate the second uses.
    Validates,
    /// The first object was made with the second (its recorded spec names it): a load
    /// balancer, NAT gateway or service in a subnet or security group, a rule
    /// forwarding to a target group, a group whose rule names another as its source.
    Uses,
}

impl Pair {
    fn holds(self, first: &Address, then: &Address, state: &State) -> bool {
        match self {
            Pair::Any => true,
            Pair::RoutedService => state
                .resources
                .get(then)
                .is_some_and(|r| !r.spec["load_balancer"].is_null()),
            Pair::ServiceOfRule => first
                .name()
                .rsplit_once('-')
                .is_some_and(|(service, _)| service == then.name()),
            Pair::Uses => state
                .resources
                .get(first)
                .is_some_and(|r| references(&r.spec).contains(then)),
            Pair::Validates => {
                let (Some(record), Some(user)) =
                    (state.resources.get(first), state.resources.get(then))
                else {
                    return false;
                };
                let certificates = references(&record.spec["validates"]);
                references(&user.spec)
                    .iter()
                    .any(|a| certificates.contains(a))
            }
        }
    }
}

const APPLY: &[Rule] = &[
    Rule {
        first: (Kind::InternetGateway, "AttachInternetGateway"),
        then: (Kind::NatGateway, "CreateNatGateway"),
        pair: Pair::Any,
        why: "a NAT gateway in a VPC without an attached internet gateway: Gateway.NotAttached",
    },
    Rule {
        first: (Kind::InternetGateway, "AttachInternetGateway"),
        then: (Kind::LoadBalancer, "CreateLoadBalancer"),
        pair: Pair::Any,
        why: "an internet-facing load balancer in a VPC without an internet gateway: InvalidSubnet",
    },
    Rule {
        first: (Kind::Listener, "CreateListener"),
        then: (Kind::EcsService, "CreateService"),
        pair: Pair::RoutedService,
        why: "a service on a target group no listener forwards to: does not have an associated load balancer",
    },
    Rule {
        first: (Kind::DnsRecord, "ChangeResourceRecordSets"),
        then: (Kind::Listener, "CreateListener"),
        pair: Pair::Validates,
        why: "an HTTPS listener on a certificate ACM has not issued: UnsupportedCertificate",
    },
    Rule {
        first: (Kind::DnsRecord, "ChangeResourceRecordSets"),
        then: (Kind::CloudfrontDistribution, "CreateDistributionWithTags"),
        pair: Pair::Validates,
        why: "a distribution on a certificate ACM has not issued: InvalidViewerCertificate",
    },
    Rule {
        first: (Kind::ListenerRule, "CreateRule"),
        then: (Kind::EcsService, "CreateService"),
        pair: Pair::ServiceOfRule,
        why: "a service on a target group no rule forwards to: does not have an associated load balancer",
    },
];

const DESTROY: &[Rule] = &[
    Rule {
        first: (Kind::Listener, "DeleteListener"),
        then: (Kind::Certificate, "DeleteCertificate"),
        pair: Pair::Uses,
        why: "a certificate a listener uses: ResourceInUseException",
    },
    Rule {
        first: (Kind::CloudfrontDistribution, "DeleteDistribution"),
        then: (Kind::Certificate, "DeleteCertificate"),
        pair: Pair::Uses,
        why: "a certificate a distribution uses: ResourceInUseException",
    },
    Rule {
        first: (Kind::Listener, "DeleteListener"),
        then: (Kind::TargetGroup, "DeleteTargetGroup"),
        pair: Pair::Uses,
        why: "a target group a listener forwards to: ResourceInUse",
    },
    Rule {
        first: (Kind::ListenerRule, "DeleteRule"),
        then: (Kind::TargetGroup, "DeleteTargetGroup"),
        pair: Pair::Uses,
        why: "a target group a rule forwards to: ResourceInUse",
    },
    Rule {
        first: (Kind::EcsService, "DeleteService"),
        then: (Kind::EcsCluster, "DeleteCluster"),
        pair: Pair::Any,
        why: "a cluster with services: ClusterContainsServicesException",
    },
    Rule {
        first: (Kind::NatGateway, "DeleteNatGateway"),
        then: (Kind::InternetGateway, "DetachInternetGateway"),
        pair: Pair::Any,
        why: "a gateway whose VPC still has mapped public addresses: DependencyViolation",
    },
    Rule {
        first: (Kind::LoadBalancer, "DeleteLoadBalancer"),
        then: (Kind::InternetGateway, "DetachInternetGateway"),
        pair: Pair::Any,
        why: "a gateway whose VPC still has mapped public addresses: DependencyViolation",
    },
    Rule {
        first: (Kind::NatGateway, "DeleteNatGateway"),
        then: (Kind::ElasticIp, "ReleaseAddress"),
        pair: Pair::Uses,
        why: "an address a NAT gateway uses: InvalidIPAddress.InUse",
    },
    Rule {
        first: (Kind::LoadBalancer, "DeleteLoadBalancer"),
        then: (Kind::Subnet, "DeleteSubnet"),
        pair: Pair::Uses,
        why: "a subnet with the load balancer's network interfaces: DependencyViolation",
    },
    Rule {
        first: (Kind::NatGateway, "DeleteNatGateway"),
        then: (Kind::Subnet, "DeleteSubnet"),
        pair: Pair::Uses,
        why: "a subnet with a NAT gateway's network interface: DependencyViolation",
    },
    Rule {
        first: (Kind::EcsService, "DeleteService"),
        then: (Kind::Subnet, "DeleteSubnet"),
        pair: Pair::Uses,
        why: "a subnet with tasks' network interfaces: DependencyViolation",
    },
    Rule {
        first: (Kind::LoadBalancer, "DeleteLoadBalancer"),
        then: (Kind::SecurityGroup, "DeleteSecurityGroup"),
        pair: Pair::Uses,
        why: "a group the load balancer's interfaces use: DependencyViolation",
    },
    Rule {
        first: (Kind::EcsService, "DeleteService"),
        then: (Kind::SecurityGroup, "DeleteSecurityGroup"),
        pair: Pair::Uses,
        why: "a group tasks' interfaces use: DependencyViolation",
    },
    Rule {
        first: (Kind::SecurityGroup, "DeleteSecurityGroup"),
        then: (Kind::SecurityGroup, "DeleteSecurityGroup"),
        pair: Pair::Uses,
        why: "a group another group's rule names as its source: DependencyViolation",
    },
    Rule {
        first: (Kind::InternetGateway, "DetachInternetGateway"),
        then: (Kind::Vpc, "DeleteVpc"),
        pair: Pair::Any,
        why: "a VPC with an attached gateway: DependencyViolation",
    },
    Rule {
        first: (Kind::Subnet, "DeleteSubnet"),
        then: (Kind::Vpc, "DeleteVpc"),
        pair: Pair::Any,
        why: "a VPC with subnets: DependencyViolation",
    },
    Rule {
        first: (Kind::SecurityGroup, "DeleteSecurityGroup"),
        then: (Kind::Vpc, "DeleteVpc"),
        pair: Pair::Any,
        why: "a VPC with security groups: DependencyViolation",
    },
    Rule {
        first: (Kind::RouteTable, "DeleteRouteTable"),
        then: (Kind::Vpc, "DeleteVpc"),
        pair: Pair::Any,
        why: "a VPC with route tables: DependencyViolation",
    },
];

/// The orderings of an apply (`destroy` false) or a destroy hold in `calls`; `state`
/// is the stack's (after the apply, before the destroy). Returns how many pairs of
/// calls were compared.
#[track_caller]
pub fn check(calls: &[CallRecord], destroy: bool, state: &State) -> usize {
    let rules = if destroy { DESTROY } else { APPLY };
    let of = |(kind, operation): (Kind, &str)| -> Vec<(&Address, &CallRecord)> {
        calls
            .iter()
            .filter(|c| c.ok && c.operation == operation)
            .filter_map(|c| Some((c.address.as_ref()?, c)))
            .filter(|(a, _)| a.kind() == kind)
            .collect()
    };
    let mut compared = 0;
    for rule in rules {
        for (a, first) in of(rule.first) {
            for (b, then) in of(rule.then) {
                if a == b || !rule.pair.holds(a, b, state) {
                    continue;
                }
                assert!(
                    first.end_us <= then.start_us,
                    "{} of {a} must end before {} of {b} starts ({} on AWS)",
                    first.operation,
                    then.operation,
                    rule.why
                );
                compared += 1;
            }
        }
    }
    compared
}

/// The call that makes an object of `kind`: what a run must never send twice for one
/// address. Exhaustive, so a new kind does not compile until it is named here.
pub fn create_operation(kind: Kind) -> &'static str {
    match kind {
        Kind::Vpc => "CreateVpc",
        Kind::Subnet => "CreateSubnet",
        Kind::InternetGateway => "CreateInternetGateway",
        Kind::ElasticIp => "AllocateAddress",
        Kind::NatGateway => "CreateNatGateway",
        Kind::RouteTable => "CreateRouteTable",
        Kind::SecurityGroup => "CreateSecurityGroup",
        Kind::EcrRepository => "CreateRepository",
        Kind::LogGroup => "CreateLogGroup",
        Kind::IamRole => "CreateRole",
        Kind::FlowLog => "CreateFlowLogs",
        Kind::EcsCluster => "CreateCluster",
        Kind::LoadBalancer => "CreateLoadBalancer",
        Kind::TargetGroup => "CreateTargetGroup",
        Kind::Listener => "CreateListener",
        Kind::ListenerRule => "CreateRule",
        Kind::TaskDefinition => "RegisterTaskDefinition",
        Kind::EcsService => "CreateService",
        // Also how they are updated: a second one for an address may be an update.
        Kind::ScalableTarget => "RegisterScalableTarget",
        Kind::ScalingPolicy => "PutScalingPolicy",
        Kind::SnsTopic => "CreateTopic",
        Kind::SnsSubscription => "Subscribe",
        Kind::Alarm => "PutMetricAlarm",
        Kind::CloudfrontDistribution => "CreateDistributionWithTags",
        Kind::Certificate => "RequestCertificate",
        // Also how the validation record is written again (UPSERT) and updated.
        Kind::DnsRecord => "ChangeResourceRecordSets",
    }
}

/// The addresses whose create call succeeded in `calls`.
pub fn created(calls: &[CallRecord]) -> Vec<&Address> {
    calls
        .iter()
        .filter(|c| c.ok)
        .filter_map(|c| c.address.as_ref().map(|a| (a, c)))
        .filter(|(a, c)| c.operation == create_operation(a.kind()))
        .map(|(a, _)| a)
        .collect()
}

/// The calls of the API log at `log` that change something (anything but Describe*,
/// List*, Get*).
pub fn writes(log: &std::path::Path) -> Vec<CallRecord> {
    stackctl::aws::call_log::CallLog::read(log)
        .unwrap()
        .into_iter()
        .filter(|c| {
            !["Describe", "List", "Get"]
                .iter()
                .any(|p| c.operation.starts_with(p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(address: &str, operation: &str, start: u128, end: u128) -> CallRecord {
        CallRecord {
            service: String::new(),
            operation: operation.into(),
            address: Some(address.parse().unwrap()),
            waiting: false,
            start_us: start,
            end_us: end,
            ok: true,
        }
    }

    #[test]
    fn a_nat_gateway_made_before_the_gateway_is_attached_is_caught() {
        let good = [
            call("internet_gateway.main", "AttachInternetGateway", 0, 10),
            call("nat_gateway.nat-0", "CreateNatGateway", 11, 20),
        ];
        let state = State::new("t");
        assert_eq!(check(&good, false, &state), 1);
        let bad = [
            call("internet_gateway.main", "AttachInternetGateway", 0, 10),
            call("nat_gateway.nat-0", "CreateNatGateway", 5, 20),
        ];
        assert!(std::panic::catch_unwind(|| check(&bad, false, &state)).is_err());
    }

    #[test]
    fn a_service_pairs_with_its_own_rules_only() {
        let calls = [
            call("listener_rule.api-http", "CreateRule", 0, 10),
            call("ecs_service.web", "CreateService", 5, 20),
            call("ecs_service.api", "CreateService", 11, 20),
        ];
        assert_eq!(check(&calls, false, &State::new("t")), 1);
    }
}
