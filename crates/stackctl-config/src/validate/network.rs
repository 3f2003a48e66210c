//! The `[network]` table: availability zones, the VPC block, its subnets and flow
//! logs.

use super::problems::Problems;
use super::{RETENTION_DAYS, Zones};
use crate::schema::{Azs, Network};
use ipnet::Ipv4Net;

/// The zones and address blocks the network is laid out on; `Validated` keeps them.
pub(super) struct Layout {
    pub(super) azs: Zones,
    /// None when network.cidr is a problem.
    pub(super) vpc_cidr: Option<Ipv4Net>,
    pub(super) public_cidrs: Vec<Ipv4Net>,
    pub(super) private_cidrs: Vec<Ipv4Net>,
}

/// Zone names are checked against `region`; when none is set it is empty and
/// refuses no name, the missing region being a problem of its own.
pub(super) fn check(network: &Network, region: &str, problems: &mut Problems) -> Layout {
    let azs = zones(&network.azs, region, problems);
    let vpc_cidr = vpc_cidr(&network.cidr, problems);
    let (public_cidrs, private_cidrs) = match vpc_cidr {
        Some(vpc) if !azs.is_empty() => subnets(network, vpc, azs.len(), problems),
        _ => (Vec::new(), Vec::new()),
    };
    Layout {
        azs,
        vpc_cidr,
        public_cidrs,
        private_cidrs,
    }
}

fn zones(azs: &Azs, region: &str, problems: &mut Problems) -> Zones {
    match azs {
        Azs::Count(n) if (1..=6).contains(n) => Zones::Count(*n as usize),
        Azs::Count(n) => {
            problems.push("network.azs", format!("{n} AZs: use 1 to 6"));
            Zones::Count(0)
        }
        Azs::Names(names) => {
            if names.is_empty() || names.len() > 6 {
                problems.push("network.azs", "list 1 to 6 availability zones".into());
            }
            for n in names {
                if !n.starts_with(region) {
                    problems.push(
                        "network.azs",
                        format!("`{n}` is not an availability zone of {region}"),
                    );
                }
            }
            Zones::Named(names.clone())
        }
    }
}

fn vpc_cidr(cidr: &str, problems: &mut Problems) -> Option<Ipv4Net> {
    match cidr.parse::<Ipv4Net>() {
        Ok(net) if net.prefix_len() < 16 || net.prefix_len() > 24 => {
            problems.push(
                "network.cidr",
                format!("{net}: AWS takes VPC blocks from /16 to /24"),
            );
            None
        }
        Ok(net) if net != net.trunc() => {
            problems.push(
                "network.cidr",
                format!("{net} has host bits set; did you mean {}?", net.trunc()),
            );
            None
        }
        Ok(net) => Some(net),
        Err(_) => {
            problems.push(
                "network.cidr",
                format!("`{cidr}` is not an IPv4 CIDR block"),
            );
            None
        }
    }
}

/// The public and private subnets of `azs` zones: as listed, or carved from the VPC
/// block when not listed.
fn subnets(
    network: &Network,
    vpc: Ipv4Net,
    azs: usize,
    problems: &mut Problems,
) -> (Vec<Ipv4Net>, Vec<Ipv4Net>) {
    let (mut public_cidrs, mut private_cidrs) = (Vec::new(), Vec::new());
    let carved = carve(vpc, azs);
    for (key, given, out, default) in [
        (
            "network.public_subnets",
            &network.public_subnets,
            &mut public_cidrs,
            carved.as_ref().map(|c| c.0.clone()),
        ),
        (
            "network.private_subnets",
            &network.private_subnets,
            &mut private_cidrs,
            carved.as_ref().map(|c| c.1.clone()),
        ),
    ] {
        match given {
            Some(list) => {
                if list.len() != azs {
                    problems.push(
                        key,
                        format!("{} blocks for {azs} AZs: give one per AZ", list.len()),
                    );
                }
                for s in list {
                    match s.parse::<Ipv4Net>() {
                        Ok(net) if !vpc.contains(&net) => {
                            problems.push(key, format!("{net} is outside the VPC block {vpc}"))
                        }
                        Ok(net) if net.prefix_len() > 28 => {
                            problems.push(key, format!("{net}: AWS subnets are /28 or larger"))
                        }
                        Ok(net) => out.push(net.trunc()),
                        Err(_) => problems.push(key, format!("`{s}` is not an IPv4 CIDR block")),
                    }
                }
            }
            None => match default {
                Some(list) => *out = list,
                None => problems.push(
                    key,
                    format!(
                        "{vpc} is too small to carve subnets for {azs} AZs; list them explicitly"
                    ),
                ),
            },
        }
    }
    check_overlaps(&public_cidrs, &private_cidrs, problems);
    (public_cidrs, private_cidrs)
}

/// Each overlap is reported at the list holding the second block of the pair.
fn check_overlaps(public_cidrs: &[Ipv4Net], private_cidrs: &[Ipv4Net], problems: &mut Problems) {
    let all: Vec<(&str, Ipv4Net)> = public_cidrs
        .iter()
        .map(|n| ("network.public_subnets", *n))
        .chain(
            private_cidrs
                .iter()
                .map(|n| ("network.private_subnets", *n)),
        )
        .collect();
    for (i, (_, a)) in all.iter().enumerate() {
        for (key, b) in &all[i + 1..] {
            if a.contains(b) || b.contains(a) {
                problems.push(key, format!("subnets {a} and {b} overlap"));
            }
        }
    }
}

/// Public subnets from the bottom of the VPC block, private ones from its upper
/// half, each 1/256 of the block (a /24 in a /16), never smaller than /28.
fn carve(vpc: Ipv4Net, count: usize) -> Option<(Vec<Ipv4Net>, Vec<Ipv4Net>)> {
    let prefix = (vpc.prefix_len() + 8).min(28);
    let blocks: Vec<Ipv4Net> = vpc.subnets(prefix).ok()?.collect();
    let half = blocks.len() / 2;
    if count > half {
        return None;
    }
    Some((
        blocks[..count].to_vec(),
        blocks[half..half + count].to_vec(),
    ))
}

/// CloudWatch Logs keeps a log group's events for one of a fixed set of periods.
pub(super) fn check_flow_logs(network: &Network, problems: &mut Problems) {
    if !RETENTION_DAYS.contains(&network.flow_logs_retention_days) {
        problems.push(
            "network.flow_logs_retention_days",
            format!("CloudWatch keeps logs for one of {RETENTION_DAYS:?} days"),
        );
    }
}
