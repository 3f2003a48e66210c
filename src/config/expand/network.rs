//! `[network]`: the VPC, its public and private subnets in each zone, the internet
//! gateway and NAT gateways, the route tables that tie them together, and the optional
//! flow logs. Public subnets hold what the internet must reach (the ALB, the NAT
//! gateways) and route straight to the internet gateway; private subnets hold the
//! tasks and reach out only through NAT, so nothing in them is addressable from the
//! internet. `nat` trades cost against availability: one gateway for every zone, or
//! one per zone so that each zone keeps its egress when another fails.

use super::shared::{addr, id, ids};
use crate::address::{Address, Kind};
use crate::config::schema::NatMode;
use crate::config::validate::Validated;
use crate::desired::Desired;
use crate::resources::Ref;
use crate::resources::elastic_ip::ElasticIpSpec;
use crate::resources::flow_log::FlowLogSpec;
use crate::resources::iam_role::IamRoleSpec;
use crate::resources::internet_gateway::InternetGatewaySpec;
use crate::resources::log_group::LogGroupSpec;
use crate::resources::nat_gateway::NatGatewaySpec;
use crate::resources::route_table::{Route, RouteTableSpec};
use crate::resources::subnet::SubnetSpec;
use crate::resources::vpc::VpcSpec;

/// What the later areas place their resources in.
pub(super) struct Network {
    pub vpc: Address,
    /// The internet gateway: internet-facing resources need it attached.
    pub igw: Address,
    /// One per zone, in the order of the zones.
    pub public_subnets: Vec<Address>,
    pub private_subnets: Vec<Address>,
    /// Every route table, public first: the subnets' egress routes.
    pub route_tables: Vec<Address>,
}

/// The network of `v`, its subnets in `zones` (one per position, see
/// `engine::zones`).
pub(super) fn expand(v: &Validated, zones: &[String]) -> (Vec<Desired>, Network) {
    let c = &v.config;
    let tags = &c.stack.tags;
    let vpc = addr(Kind::Vpc, "main");
    let mut out = vec![Desired::new(
        vpc.clone(),
        VpcSpec {
            cidr: v.vpc_cidr.to_string(),
            tags: tags.clone(),
        },
    )];
    if let Some(traffic_type) = c.network.flow_logs.traffic_type() {
        out.extend(flow_logs(v, &vpc, traffic_type));
    }
    let igw = addr(Kind::InternetGateway, "main");
    out.push(Desired::new(
        igw.clone(),
        InternetGatewaySpec {
            vpc: Ref::id(vpc.clone()),
            tags: tags.clone(),
        },
    ));
    let (subnets, public_subnets, private_subnets) = subnets(v, zones, &vpc);
    out.extend(subnets);
    let public_table = public_route_table(v, &vpc, &igw, &public_subnets);
    let mut route_tables = vec![public_table.address.clone()];
    out.push(public_table);
    out.extend(nat_gateways(v, zones.len(), &igw, &public_subnets));
    let private_tables = private_route_tables(v, zones.len(), &vpc, &private_subnets);
    route_tables.extend(private_tables.iter().map(|d| d.address.clone()));
    out.extend(private_tables);
    let network = Network {
        vpc,
        igw,
        public_subnets,
        private_subnets,
        route_tables,
    };
    (out, network)
}

/// A public and a private subnet in each zone, in that order; with the addresses of
/// the public ones and of the private ones.
fn subnets(
    v: &Validated,
    zones: &[String],
    vpc: &Address,
) -> (Vec<Desired>, Vec<Address>, Vec<Address>) {
    let mut out = Vec::new();
    let mut public_subnets = Vec::new();
    let mut private_subnets = Vec::new();
    for (i, az) in zones.iter().enumerate() {
        for (tier, cidrs, list) in [
            ("public", &v.public_cidrs, &mut public_subnets),
            ("private", &v.private_cidrs, &mut private_subnets),
        ] {
            let a = addr(Kind::Subnet, format!("{tier}-{i}"));
            out.push(Desired::new(
                a.clone(),
                SubnetSpec {
                    vpc: Ref::id(vpc.clone()),
                    cidr: cidrs[i].to_string(),
                    az: az.clone(),
                    public: tier == "public",
                    tags: v.config.stack.tags.clone(),
                },
            ));
            list.push(a);
        }
    }
    (out, public_subnets, private_subnets)
}

fn public_route_table(
    v: &Validated,
    vpc: &Address,
    igw: &Address,
    public_subnets: &[Address],
) -> Desired {
    Desired::new(
        addr(Kind::RouteTable, "public"),
        RouteTableSpec {
            vpc: Ref::id(vpc.clone()),
            routes: vec![Route {
                destination: "0.0.0.0/0".into(),
                internet_gateway: Some(Ref::id(igw.clone())),
                nat_gateway: None,
            }],
            subnets: ids(public_subnets),
            tags: v.config.stack.tags.clone(),
        },
    )
}

/// An elastic IP and a NAT gateway in the first public subnet, or in each.
fn nat_gateways(
    v: &Validated,
    zone_count: usize,
    igw: &Address,
    public_subnets: &[Address],
) -> Vec<Desired> {
    let tags = &v.config.stack.tags;
    let nat_count = match v.config.network.nat {
        NatMode::None => 0,
        NatMode::Single => 1,
        NatMode::PerAz => zone_count,
    };
    let mut out = Vec::new();
    for (i, public_subnet) in public_subnets.iter().enumerate().take(nat_count) {
        let eip = addr(Kind::ElasticIp, format!("nat-{i}"));
        let nat = addr(Kind::NatGateway, format!("nat-{i}"));
        out.push(Desired::new(
            eip.clone(),
            ElasticIpSpec { tags: tags.clone() },
        ));
        // A NAT gateway only forwards once the subnet's route to the IGW exists.
        out.push(
            Desired::new(
                nat,
                NatGatewaySpec {
                    subnet: Ref::id(public_subnet.clone()),
                    eip: Ref::id(eip),
                    tags: tags.clone(),
                },
            )
            .after([igw.clone()]),
        );
    }
    out
}

/// Private subnets: per-AZ NAT gives each AZ its own table; otherwise one table.
fn private_route_tables(
    v: &Validated,
    zone_count: usize,
    vpc: &Address,
    private_subnets: &[Address],
) -> Vec<Desired> {
    let private_tables: Vec<(String, Vec<Address>, Option<usize>)> = match v.config.network.nat {
        NatMode::PerAz => (0..zone_count)
            .map(|i| {
                (
                    format!("private-{i}"),
                    vec![private_subnets[i].clone()],
                    Some(i),
                )
            })
            .collect(),
        NatMode::Single => vec![("private".into(), private_subnets.to_vec(), Some(0))],
        NatMode::None => vec![("private".into(), private_subnets.to_vec(), None)],
    };
    private_tables
        .into_iter()
        .map(|(name, subnets, nat)| {
            Desired::new(
                addr(Kind::RouteTable, name),
                RouteTableSpec {
                    vpc: Ref::id(vpc.clone()),
                    routes: nat
                        .map(|i| Route {
                            destination: "0.0.0.0/0".into(),
                            internet_gateway: None,
                            nat_gateway: Some(id(Kind::NatGateway, format!("nat-{i}"))),
                        })
                        .into_iter()
                        .collect(),
                    subnets: ids(&subnets),
                    tags: v.config.stack.tags.clone(),
                },
            )
        })
        .collect()
}

/// The VPC's flow log, its log group, and the role VPC Flow Logs assumes to write
/// to that group and nothing else. Their addresses use `_`, which service names
/// cannot, so they never meet a service's log group or role.
fn flow_logs(v: &Validated, vpc: &Address, traffic_type: &str) -> Vec<Desired> {
    let partition = v.partition.name;
    let c = &v.config;
    let stack = &c.stack.name;
    let tags = &c.stack.tags;
    let group_name = format!("/vpc/{stack}/flow-logs");
    let group = addr(Kind::LogGroup, "flow_logs");
    let role = addr(Kind::IamRole, "flow_logs");
    vec![
        Desired::new(
            group.clone(),
            LogGroupSpec {
                name: group_name.clone(),
                retention_days: c.network.flow_logs_retention_days as i32,
                tags: tags.clone(),
            },
        ),
        Desired::new(
            role.clone(),
            IamRoleSpec {
                name: format!("{stack}-flow-logs"),
                trusted_service: "vpc-flow-logs.amazonaws.com".into(),
                managed_policies: Vec::new(),
                readable_secrets: Vec::new(),
                writable_logs: vec![format!(
                    "arn:{partition}:logs:{}:*:log-group:{group_name}:*",
                    v.region
                )],
                exec_channels: false,
                tags: tags.clone(),
            },
        ),
        Desired::new(
            addr(Kind::FlowLog, "vpc"),
            FlowLogSpec {
                vpc: Ref::id(vpc.clone()),
                traffic_type: traffic_type.into(),
                log_group: Ref::id(group),
                role: Ref::new(role, "arn"),
                tags: tags.clone(),
            },
        ),
    ]
}
