//! Application Load Balancer. The id is its ARN; outputs dns_name and zone_id.
//!
//! Deletion protection and dropping invalid header fields are load balancer
//! attributes, set with the idle timeout in one ModifyLoadBalancerAttributes call
//! and read back from DescribeLoadBalancerAttributes (a missing key is AWS's default,
//! false), so turning one off by hand shows as drift.

use super::facts::{self, Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{elb_tags_by_arn, ensure_elb_ours};
use super::tags::{self, Tags};
use super::{
    Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs, batch, known, wanted_sorted_refs,
};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome, wait};
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum,
    LoadBalancerTypeEnum,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancerSpec {
    pub name: String,
    /// "internet-facing" or "internal".
    pub scheme: String,
    pub subnets: Vec<Ref>,
    pub security_groups: Vec<Ref>,
    pub idle_timeout: i32,
    /// AWS refuses DeleteLoadBalancer while on; `delete` turns it off first.
    #[serde(default = "yes")]
    pub deletion_protection: bool,
    /// The ALB drops header fields that are not valid HTTP instead of forwarding them.
    #[serde(default = "yes")]
    pub drop_invalid_header_fields: bool,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct LoadBalancer;

/// AWS refuses longer load balancer (and target group) names.
const MAX_NAME_LEN: usize = 32;
const IDLE_TIMEOUT: &str = "idle_timeout.timeout_seconds";
const DELETION_PROTECTION: &str = "deletion_protection.enabled";
const DROP_INVALID_HEADER_FIELDS: &str = "routing.http.drop_invalid_header_fields.enabled";
/// The attributes stackctl sets; a change of any of them is one call with all three.
const ATTRIBUTES: &[&str] = &[
    "idle_timeout",
    "deletion_protection",
    "drop_invalid_header_fields",
];
/// What AWS uses when the idle timeout was never set.
const DEFAULT_IDLE_TIMEOUT: i64 = 60;

impl Facts for LoadBalancer {
    const SERVICE: Service = Service::ElasticLoadBalancing;
    const IMPORT_ID: &'static str = "its load balancer ARN";

    fn usual_minutes(action: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        match action {
            Action::Create | Action::Replace => Some((2, 4)),
            _ => None,
        }
    }

    /// The hourly charge, and each public address of an internet-facing one (one per
    /// zone it is in).
    fn cost(address: &Address, spec: &Self::Spec, _: &Specs<'_>, p: &Prices) -> Option<Item> {
        let public = spec.scheme == "internet-facing";
        let zones = spec.subnets.len() as f64;
        let ips = if public { zones } else { 0.0 };
        let addresses = if public {
            format!(" and its {zones} public IPv4 addresses")
        } else {
            String::new()
        };
        Some(Item {
            what: format!("{address}: load balancer{addresses}"),
            monthly: facts::month(p.load_balancer + ips * p.public_ipv4),
            up_to: None,
        })
    }

    fn stack_outputs(_: &Address, record: &Record) -> Vec<(String, String)> {
        let dns = record.outputs.get("dns_name").cloned();
        dns.map(|dns| ("load_balancer_dns".to_string(), dns))
            .into_iter()
            .collect()
    }
}

impl Resource for LoadBalancer {
    const KIND: Kind = Kind::LoadBalancer;
    /// The name and the scheme are fixed at creation.
    const REPLACE_ON: &'static [&'static str] = &["name", "scheme"];
    const WAITS: bool = true;
    /// Listeners, rules and the CloudFront origin need only the ALB's ARN and DNS
    /// name, which the create call returns. A service waits for it to be active: its
    /// rollout is judged by target health from the start of the grace period, and
    /// targets behind a provisioning ALB are not health-checked yet.
    const READY_BEFORE: &'static [Kind] = &[Kind::EcsService];
    const REPLACE_WARNING: Option<&'static str> = Some(
        "the new load balancer has a new DNS name; requests fail until it is active and CloudFront (or your DNS record) points at it",
    );
    type Spec = LoadBalancerSpec;

    fn wanted(spec: &LoadBalancerSpec, lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            ("scheme".into(), known(spec.scheme.clone())),
            ("subnets".into(), wanted_sorted_refs(lookup, &spec.subnets)),
            (
                "security_groups".into(),
                wanted_sorted_refs(lookup, &spec.security_groups),
            ),
            ("idle_timeout".into(), known(spec.idle_timeout)),
            (
                "deletion_protection".into(),
                known(spec.deletion_protection),
            ),
            (
                "drop_invalid_header_fields".into(),
                known(spec.drop_invalid_header_fields),
            ),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    /// The three reads at once; when the ALB is gone, the others' answers do not matter.
    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        batch::elb(ids, |chunk| read_chunk(aws, chunk)).await
    }

    /// By name (unique in the account and region), then its tags.
    async fn find(ctx: &Ctx<'_>, spec: &LoadBalancerSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .elb
            .describe_load_balancers()
            .names(&spec.name)
            .send()
            .await
            .op("DescribeLoadBalancers")
            .found()?;
        let Some(arn) = out
            .as_ref()
            .and_then(|o| o.load_balancers().first())
            .and_then(|lb| lb.load_balancer_arn())
        else {
            return Ok(None);
        };
        ensure_elb_ours(ctx, "load balancer", &spec.name, arn).await?;
        Ok(Some(CloudId::new(arn)))
    }

    async fn create(ctx: &Ctx<'_>, spec: &LoadBalancerSpec) -> Result<Created, AwsError> {
        const OP: &str = "CreateLoadBalancer";
        if spec.name.len() > MAX_NAME_LEN {
            return Err(AwsError::invalid(
                OP,
                format!(
                    "load balancer name `{}` is longer than {MAX_NAME_LEN} characters",
                    spec.name
                ),
            ));
        }
        let out = ctx
            .aws
            .elb
            .create_load_balancer()
            .name(&spec.name)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(LoadBalancerSchemeEnum::from(spec.scheme.as_str()))
            .ip_address_type(IpAddressType::Ipv4)
            .set_subnets(Some(ctx.resolve_all(&spec.subnets)?))
            .set_security_groups(Some(ctx.resolve_all(&spec.security_groups)?))
            .set_tags(Some(tags::elb_tags(&ctx.tags(&spec.tags))))
            .customize()
            .config_override(unknown_outcome::elb())
            .send()
            .await
            .op(OP)?;
        let lb = out
            .load_balancers()
            .first()
            .ok_or_else(|| AwsError::invalid(OP, "no load balancer in the answer"))?;
        let arn = lb
            .load_balancer_arn()
            .ok_or_else(|| AwsError::invalid(OP, "no load balancer ARN in the answer"))?;
        let id = CloudId::new(arn);
        let outputs = outputs(&id, lb);
        Ok(Created { id, outputs })
    }

    /// Listeners can be added while the ALB provisions, but targets only register
    /// and traffic only flows once it is active; "failed" never recovers.
    ///
    /// The attributes (deletion protection, header dropping, idle timeout) are set
    /// here, beside the wait: what uses the ALB (listeners, CloudFront) needs only its
    /// ARN and DNS name, so it starts as soon as the create has answered. After an
    /// update, which set any attribute that changed, this sends the same values again
    /// (one call, nothing changes). A run stopped before this step leaves the
    /// attributes as drift, which the next apply sets.
    async fn wait_ready(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &LoadBalancerSpec,
    ) -> Result<(), AwsError> {
        tokio::try_join!(set_attributes(ctx.aws, id, spec), wait_active(ctx.aws, id))?;
        Ok(())
    }
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &LoadBalancerSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        let changed = |name: &str| changed.iter().any(|c| c == name);
        if changed("subnets") {
            ctx.aws
                .elb
                .set_subnets()
                .load_balancer_arn(id.as_str())
                .set_subnets(Some(ctx.resolve_all(&spec.subnets)?))
                .send()
                .await
                .op("SetSubnets")?;
        }
        if changed("security_groups") {
            ctx.aws
                .elb
                .set_security_groups()
                .load_balancer_arn(id.as_str())
                .set_security_groups(Some(ctx.resolve_all(&spec.security_groups)?))
                .send()
                .await
                .op("SetSecurityGroups")?;
        }
        if ATTRIBUTES.iter().any(|a| changed(a)) {
            set_attributes(ctx.aws, id, spec).await?;
        }
        if changed(tags::ATTR) {
            tags::sync_elb(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Deletion protection (on by default, or turned on by hand) makes AWS refuse the
    /// delete, and destroy is the explicit intent to delete: it is turned off first.
    /// DeleteLoadBalancer returns before the ALB is gone; its subnets and security
    /// groups can only go after that.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let Some(attributes) = attributes(aws, id).await? else {
            return Ok(());
        };
        if attributes.get(DELETION_PROTECTION).map(String::as_str) == Some("true") {
            let result = modify_attribute(aws, id, DELETION_PROTECTION, "false".into())
                .await
                .found()?;
            if result.is_none() {
                return Ok(());
            }
        }
        aws.elb
            .delete_load_balancer()
            .load_balancer_arn(id.as_str())
            .send()
            .await
            .op("DeleteLoadBalancer")
            .found()?;
        wait::until(
            "wait for load balancer to be deleted",
            wait::WaitPolicy::minutes(10),
            || async {
                let out = aws
                    .elb
                    .describe_load_balancers()
                    .load_balancer_arns(id.as_str())
                    .send()
                    .await
                    .op("DescribeLoadBalancers")
                    .found()?;
                match out.as_ref().and_then(|o| o.load_balancers().first()) {
                    None => Ok(wait::Poll::Ready(())),
                    Some(lb) => Ok(wait::Poll::Pending(format!(
                        "still listed, state {}",
                        lb.state()
                            .and_then(|s| s.code())
                            .map(|c| c.as_str())
                            .unwrap_or("unknown")
                    ))),
                }
            },
        )
        .await
    }
}

/// Load balancers, their tags and their attributes (one call per ALB: the API takes
/// one ARN), all at once.
async fn read_chunk(aws: &Aws, ids: &[CloudId]) -> Result<Vec<(String, Live)>, AwsError> {
    let arns: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let (lbs, attributes, live_tags) = tokio::join!(
        async {
            aws.elb
                .describe_load_balancers()
                .set_load_balancer_arns(Some(arns.clone()))
                .send()
                .await
                .op("DescribeLoadBalancers")
        },
        futures::future::try_join_all(ids.iter().map(|id| async move {
            Ok::<_, AwsError>((id.to_string(), attributes(aws, id).await?))
        })),
        elb_tags_by_arn(aws, &arns),
    );
    let (lbs, mut live_tags) = (lbs?, live_tags?);
    let mut attributes: BTreeMap<String, _> = attributes?.into_iter().collect();
    Ok(lbs
        .load_balancers()
        .iter()
        .filter_map(|lb| {
            let arn = lb.load_balancer_arn()?;
            let attributes = attributes.remove(arn).flatten()?;
            let live_tags = live_tags.remove(arn).unwrap_or_default();
            Some((arn.to_string(), live(lb, &attributes, live_tags)))
        })
        .collect())
}

fn live(
    lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer,
    attributes: &BTreeMap<String, String>,
    live_tags: Vec<(String, String)>,
) -> Live {
    let idle_timeout = attributes
        .get(IDLE_TIMEOUT)
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(DEFAULT_IDLE_TIMEOUT);
    let flag = |key: &str| attributes.get(key).map(String::as_str) == Some("true");
    let mut subnets: Vec<String> = lb
        .availability_zones()
        .iter()
        .filter_map(|az| az.subnet_id().map(str::to_string))
        .collect();
    subnets.sort();
    let mut security_groups = lb.security_groups().to_vec();
    security_groups.sort();
    let name = lb.load_balancer_name().unwrap_or_default();
    let scheme = lb.scheme().map(|s| s.as_str()).unwrap_or_default();
    Live {
        attrs: [
            ("name".into(), name.into()),
            ("scheme".into(), scheme.into()),
            ("subnets".into(), subnets.into()),
            ("security_groups".into(), security_groups.into()),
            ("idle_timeout".into(), idle_timeout.into()),
            (
                "deletion_protection".into(),
                flag(DELETION_PROTECTION).into(),
            ),
            (
                "drop_invalid_header_fields".into(),
                flag(DROP_INVALID_HEADER_FIELDS).into(),
            ),
            (tags::ATTR.into(), tags::live_value(live_tags)),
        ]
        .into(),
        outputs: outputs(
            &CloudId::new(lb.load_balancer_arn().unwrap_or_default()),
            lb,
        ),
    }
}

/// Until the ALB is active; "failed" never recovers.
async fn wait_active(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    wait::until(
        "wait for load balancer to be active",
        wait::WaitPolicy::minutes(10),
        || async {
            let out = aws
                .elb
                .describe_load_balancers()
                .load_balancer_arns(id.as_str())
                .send()
                .await
                .op("DescribeLoadBalancers")?;
            let state = out
                .load_balancers()
                .first()
                .and_then(|lb| lb.state())
                .and_then(|s| s.code());
            match state {
                Some(LoadBalancerStateEnum::Active) => Ok(wait::Poll::Ready(())),
                Some(LoadBalancerStateEnum::Failed) => Err(AwsError::invalid(
                    "DescribeLoadBalancers",
                    format!("load balancer {id} is in state failed"),
                )),
                other => Ok(wait::Poll::Pending(format!(
                    "state {}",
                    other.map(|s| s.as_str()).unwrap_or("unknown")
                ))),
            }
        },
    )
    .await
}

/// Outputs other kinds reference: listeners use the ARN, CloudFront and DNS records
/// the DNS name and the hosted zone of an alias record.
fn outputs(
    id: &CloudId,
    lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer,
) -> super::Outputs {
    let mut outputs = BTreeMap::from([
        ("id".to_string(), id.to_string()),
        ("arn".to_string(), id.to_string()),
    ]);
    if let Some(dns) = lb.dns_name() {
        outputs.insert("dns_name".into(), dns.to_string());
    }
    if let Some(zone) = lb.canonical_hosted_zone_id() {
        outputs.insert("zone_id".into(), zone.to_string());
    }
    outputs
}

/// The ALB's attributes by key; `None` when the ALB is gone.
async fn attributes(aws: &Aws, id: &CloudId) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    let out = aws
        .elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(id.as_str())
        .send()
        .await
        .op("DescribeLoadBalancerAttributes")
        .found()?;
    Ok(out.map(|o| {
        o.attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
            .collect()
    }))
}

fn yes() -> bool {
    true
}

/// Every attribute stackctl manages, in one call.
async fn set_attributes(aws: &Aws, id: &CloudId, spec: &LoadBalancerSpec) -> Result<(), AwsError> {
    modify_attributes(
        aws,
        id,
        &[
            (IDLE_TIMEOUT, spec.idle_timeout.to_string()),
            (DELETION_PROTECTION, spec.deletion_protection.to_string()),
            (
                DROP_INVALID_HEADER_FIELDS,
                spec.drop_invalid_header_fields.to_string(),
            ),
        ],
    )
    .await
}

async fn modify_attribute(
    aws: &Aws,
    id: &CloudId,
    key: &str,
    value: String,
) -> Result<(), AwsError> {
    modify_attributes(aws, id, &[(key, value)]).await
}

async fn modify_attributes(
    aws: &Aws,
    id: &CloudId,
    attributes: &[(&str, String)],
) -> Result<(), AwsError> {
    aws.elb
        .modify_load_balancer_attributes()
        .load_balancer_arn(id.as_str())
        .set_attributes(Some(
            attributes
                .iter()
                .map(|(key, value)| {
                    LoadBalancerAttribute::builder()
                        .key(*key)
                        .value(value)
                        .build()
                })
                .collect(),
        ))
        .send()
        .await
        .op("ModifyLoadBalancerAttributes")?;
    Ok(())
}
