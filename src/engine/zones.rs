//! Which availability zones the stack's subnets go in.
//!
//! Zone letters are not the same in every region (ap-northeast-1 has 1a, 1c and 1d,
//! no 1b), nor, in the older regions, in every account, and a region may have a zone
//! that is closed to new subnets. So `azs = N` takes the first N zones that
//! DescribeAvailabilityZones lists as available (real availability zones, not local
//! or wavelength zones, and only those where Fargate runs: in us-west-1 and
//! ap-northeast-1 it runs in some zones only), in name order; and zones named in
//! stack.toml are checked against the same list, so that a wrong name is an error
//! naming the region's zones rather than CreateSubnet's refusal half-way through an
//! apply.
//!
//! Once a subnet exists its zone never moves: the zone recorded in the state for
//! subnet N is kept for position N, whatever the list says today (a zone AWS has
//! since closed to new subnets still holds the old ones). Only positions without a
//! recorded subnet take new zones, so the call is made only when there is one.

use crate::address::{Address, Kind};
use crate::aws::{Aws, AwsError, SdkResultExt};
use crate::config::{Validated, Zones};
use crate::resources::subnet::ZONE_ATTR as SUBNET_ZONE;
use crate::state::State;
use aws_sdk_ec2::types::Filter;

#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    #[error(
        "network.azs = {wanted}, but {region} has only {} availability zone(s) this account \
         can use with Fargate: {}. Set network.azs to at most {}",
        available.len(),
        available.join(", "),
        available.len()
    )]
    TooFew {
        wanted: usize,
        region: String,
        available: Vec<String>,
    },
    #[error(
        "network.azs names `{zone}`, which is not an availability zone of {region} that this \
         account can use with Fargate; its zones are {}",
        available.join(", ")
    )]
    Unknown {
        zone: String,
        region: String,
        available: Vec<String>,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// The zone names of the stack's subnets, position by position. `listed` holds the
/// region's list once a command has asked for it (see `available`), so a command
/// that resolves twice (before and after adoption) asks once.
pub async fn resolve(
    aws: &Aws,
    v: &Validated,
    state: &State,
    listed: &tokio::sync::OnceCell<Vec<String>>,
) -> Result<Vec<String>, ZoneError> {
    let recorded = recorded(state, v.azs.len());
    let complete = match &v.azs {
        Zones::Count(_) => recorded.iter().all(Option::is_some),
        Zones::Named(names) => names
            .iter()
            .zip(&recorded)
            .all(|(n, r)| r.as_ref() == Some(n)),
    };
    let available: &[String] = match complete {
        true => &[],
        false => listed.get_or_try_init(|| available(aws)).await?,
    };
    choose(&v.region, &v.azs, &recorded, available)
}

/// Names for commands that never ask AWS (`validate`, `graph`): the named zones, or
/// placeholders that only stand for a position.
pub fn unresolved(v: &Validated) -> Vec<String> {
    match &v.azs {
        Zones::Named(names) => names.clone(),
        Zones::Count(n) => (1..=*n)
            .map(|i| format!("({} zone {i})", v.region))
            .collect(),
    }
}

/// `{region}a`, `{region}b`, ...: the zones unit tests of expansion and planning use,
/// as the emulator's first zones of most regions are.
#[cfg(test)]
pub fn lettered(v: &Validated) -> Vec<String> {
    match &v.azs {
        Zones::Named(names) => names.clone(),
        Zones::Count(n) => (0..*n)
            .map(|i| format!("{}{}", v.region, (b'a' + i as u8) as char))
            .collect(),
    }
}

/// Pure: the zone of each position from what is recorded and what AWS lists
/// (`available`, in name order; empty when every position is recorded).
pub fn choose(
    region: &str,
    wanted: &Zones,
    recorded: &[Option<String>],
    available: &[String],
) -> Result<Vec<String>, ZoneError> {
    match wanted {
        Zones::Named(names) => {
            for (name, was) in names.iter().zip(recorded) {
                if was.as_ref() != Some(name) && !available.contains(name) {
                    return Err(ZoneError::Unknown {
                        zone: name.clone(),
                        region: region.to_string(),
                        available: available.to_vec(),
                    });
                }
            }
            Ok(names.clone())
        }
        Zones::Count(n) => {
            let taken: Vec<&String> = recorded.iter().flatten().collect();
            let mut fresh = available.iter().filter(|z| !taken.contains(z));
            let chosen: Option<Vec<String>> = (0..*n)
                .map(|i| match recorded.get(i).cloned().flatten() {
                    Some(zone) => Some(zone),
                    None => fresh.next().cloned(),
                })
                .collect();
            chosen.ok_or_else(|| ZoneError::TooFew {
                wanted: *n,
                region: region.to_string(),
                available: available.to_vec(),
            })
        }
    }
}

/// The zone the state records for the subnets of each position (`public-N`, else
/// `private-N`).
fn recorded(state: &State, count: usize) -> Vec<Option<String>> {
    (0..count)
        .map(|i| {
            ["public", "private"].iter().find_map(|tier| {
                let record = state
                    .resources
                    .get(&Address::new(Kind::Subnet, format!("{tier}-{i}")))?;
                // The zone as last applied or seen (an adopted subnet's is the live
                // one), else as asked for.
                let zone = record.attrs.get(SUBNET_ZONE).or(record.spec.get("az"))?;
                zone.as_str().map(str::to_string)
            })
        })
        .collect()
}

/// Regions where Fargate runs in some of the zones only, by zone id (zone names
/// differ per account; ids do not): "Supported Regions for Amazon ECS on AWS
/// Fargate", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html
const FARGATE_ZONES: &[(&str, &[&str])] = &[
    ("us-west-1", &["usw1-az1", "usw1-az3"]),
    ("ap-northeast-1", &["apne1-az1", "apne1-az2", "apne1-az4"]),
];

/// Whether Fargate tasks can run in zone `zone_id` of `region`.
fn fargate_runs_in(region: &str, zone_id: Option<&str>) -> bool {
    match FARGATE_ZONES.iter().find(|(r, _)| *r == region) {
        Some((_, ids)) => zone_id.is_some_and(|id| ids.contains(&id)),
        None => true,
    }
}

/// The region's availability zones open to new subnets where Fargate runs, in name
/// order.
async fn available(aws: &Aws) -> Result<Vec<String>, AwsError> {
    let filter = |name: &str, value: &str| Filter::builder().name(name).values(value).build();
    let out = aws
        .ec2
        .describe_availability_zones()
        .filters(filter("zone-type", "availability-zone"))
        .filters(filter("state", "available"))
        .send()
        .await
        .op("DescribeAvailabilityZones")?;
    let mut names: Vec<String> = out
        .availability_zones()
        .iter()
        // Filters again here: an endpoint may ignore one it does not know.
        .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
        .filter(|z| z.state().is_none_or(|s| s.as_str() == "available"))
        .filter(|z| fargate_runs_in(&aws.region, z.zone_id()))
        .filter_map(|z| z.zone_name().map(str::to_string))
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const TOKYO: &[&str] = &["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"];

    #[test]
    fn a_count_takes_the_first_zones_the_region_lists() {
        let chosen = choose(
            "ap-northeast-1",
            &Zones::Count(2),
            &[None, None],
            &names(TOKYO),
        );
        assert_eq!(
            chosen.unwrap(),
            names(&["ap-northeast-1a", "ap-northeast-1c"])
        );
    }

    #[test]
    fn recorded_zones_stay_where_they_are() {
        // The subnet of position 0 was made in 1d; 1a and 1c are free for position 1.
        let recorded = [Some("ap-northeast-1d".to_string()), None];
        let chosen = choose("ap-northeast-1", &Zones::Count(2), &recorded, &names(TOKYO));
        assert_eq!(
            chosen.unwrap(),
            names(&["ap-northeast-1d", "ap-northeast-1a"])
        );
        // A recorded zone no longer listed (closed to new subnets) is kept.
        let closed = [
            Some("ap-northeast-1b".to_string()),
            Some("ap-northeast-1c".to_string()),
        ];
        let chosen = choose("ap-northeast-1", &Zones::Count(2), &closed, &[]);
        assert_eq!(
            chosen.unwrap(),
            names(&["ap-northeast-1b", "ap-northeast-1c"])
        );
    }

    #[test]
    fn more_zones_than_the_region_has_is_an_error_naming_them() {
        let e = choose(
            "cn-north-1",
            &Zones::Count(3),
            &[None, None, None],
            &names(&["cn-north-1a", "cn-north-1b"]),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("network.azs = 3"), "{text}");
        assert!(text.contains("cn-north-1a, cn-north-1b"), "{text}");
    }

    #[test]
    fn fargate_runs_only_in_the_zones_aws_lists_for_it() {
        assert!(fargate_runs_in("ap-northeast-1", Some("apne1-az4")));
        assert!(!fargate_runs_in("ap-northeast-1", Some("apne1-az3")));
        assert!(!fargate_runs_in("us-west-1", Some("usw1-az2")));
        assert!(fargate_runs_in("eu-west-2", Some("euw2-az1")));
    }

    #[test]
    fn named_zones_are_checked_against_the_list() {
        let wanted = Zones::Named(names(&["ap-northeast-1a", "ap-northeast-1b"]));
        let e = choose("ap-northeast-1", &wanted, &[None, None], &names(TOKYO)).unwrap_err();
        assert!(
            matches!(&e, ZoneError::Unknown { zone, available, .. }
                if zone == "ap-northeast-1b" && *available == names(TOKYO)),
            "{e}"
        );
        let fine = Zones::Named(names(&["ap-northeast-1a", "ap-northeast-1d"]));
        assert!(choose("ap-northeast-1", &fine, &[None, None], &names(TOKYO)).is_ok());
    }
}
