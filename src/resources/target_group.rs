//! Target group for one service (ip targets). The id is its ARN.
//!
//! Replaced create-before-destroy: the name carries a short hash of the settings that
//! force a replacement (see `config::expand`), so the new group exists beside the old
//! one, the listener, rules and service move to it, and only then is the old one
//! deleted. A replacement never fails with "target group is in use" and the listener
//! never forwards to nothing.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{elb_tags_by_arn, ensure_elb_ours};
use super::tags::{self, Tags, elb_tags};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs, batch, known, wanted_ref};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome, wait};
use aws_sdk_elasticloadbalancingv2::operation::describe_target_group_attributes::DescribeTargetGroupAttributesOutput;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroupAttribute, TargetTypeEnum,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetGroupSpec {
    pub name: String,
    pub vpc: Ref,
    pub port: i32,
    /// Always ip targets: Fargate tasks in awsvpc mode register by IP.
    pub health_check: HealthCheck,
    pub deregistration_delay: i32,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub path: String,
    pub interval: i32,
    pub timeout: i32,
    pub healthy_threshold: i32,
    pub unhealthy_threshold: i32,
    /// HTTP codes counted healthy, e.g. "200-399".
    pub matcher: String,
}

pub struct TargetGroup;

pub use crate::config::names::TARGET_GROUP_NAME_SUFFIX_LEN as NAME_SUFFIX_LEN;

/// `{stack}-{service}-{hash}`: the hash covers every setting that forces a replacement
/// (port, protocol, target type, and the VPC's CIDR, whose change replaces the VPC), so
/// a replacement gets a new name and can be created before the old group is deleted.
/// FNV-1a, written out, because the name must never change between builds.
pub fn group_name(stack: &str, service: &str, port: u16, vpc_cidr: &str) -> String {
    let input = format!("{port}/{PROTOCOL}/{TARGET_TYPE}/{vpc_cidr}");
    let mut hash: u32 = 0x811c_9dc5;
    for b in input.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{stack}-{service}-{:04x}", (hash ^ (hash >> 16)) & 0xffff)
}

/// The ALB talks plain HTTP to tasks inside the VPC; TLS ends at the ALB.
const PROTOCOL: &str = "HTTP";
const TARGET_TYPE: &str = "ip";
const MAX_NAME_LEN: usize = 32;
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";
/// What AWS uses when the delay was never set.
const DEFAULT_DEREGISTRATION_DELAY: i64 = 300;

impl Facts for TargetGroup {
    const SERVICE: Service = Service::ElasticLoadBalancing;
    const IMPORT_ID: &'static str = "its target group ARN";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for TargetGroup {
    const KIND: Kind = Kind::TargetGroup;
    /// AWS fixes all of these at creation; only the health check and attributes change.
    const REPLACE_ON: &'static [&'static str] =
        &["name", "port", "protocol", "vpc_id", "target_type"];
    const CREATE_BEFORE_DESTROY: bool = true;
    type Spec = TargetGroupSpec;

    fn wanted(spec: &TargetGroupSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let hc = &spec.health_check;
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            ("port".into(), known(spec.port)),
            ("protocol".into(), known(PROTOCOL)),
            ("vpc_id".into(), wanted_ref(lookup, &spec.vpc)),
            ("target_type".into(), known(TARGET_TYPE)),
            (
                "health_check".into(),
                known(health_check_value(
                    &hc.path,
                    hc.interval.into(),
                    hc.timeout.into(),
                    hc.healthy_threshold.into(),
                    hc.unhealthy_threshold.into(),
                    &hc.matcher,
                )),
            ),
            (
                "deregistration_delay".into(),
                known(spec.deregistration_delay),
            ),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    /// The three reads at once; when the group is gone, the others' answers do not
    /// matter.
    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        batch::elb(ids, |chunk| read_chunk(aws, chunk)).await
    }

    /// By name (unique in the account and region), then its tags.
    async fn find(ctx: &Ctx<'_>, spec: &TargetGroupSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .elb
            .describe_target_groups()
            .names(&spec.name)
            .send()
            .await
            .op("DescribeTargetGroups")
            .found()?;
        let Some(arn) = out
            .as_ref()
            .and_then(|o| o.target_groups().first())
            .and_then(|tg| tg.target_group_arn())
        else {
            return Ok(None);
        };
        ensure_elb_ours(ctx, "target group", &spec.name, arn).await?;
        Ok(Some(CloudId::new(arn)))
    }

    async fn create(ctx: &Ctx<'_>, spec: &TargetGroupSpec) -> Result<Created, AwsError> {
        const OP: &str = "CreateTargetGroup";
        if spec.name.len() > MAX_NAME_LEN {
            return Err(AwsError::invalid(
                OP,
                format!(
                    "target group name `{}` is longer than {MAX_NAME_LEN} characters",
                    spec.name
                ),
            ));
        }
        let hc = &spec.health_check;
        let out = ctx
            .aws
            .elb
            .create_target_group()
            .name(&spec.name)
            .protocol(ProtocolEnum::from(PROTOCOL))
            .port(spec.port)
            .vpc_id(ctx.resolve(&spec.vpc)?)
            .target_type(TargetTypeEnum::from(TARGET_TYPE))
            .health_check_enabled(true)
            .health_check_path(&hc.path)
            .health_check_interval_seconds(hc.interval)
            .health_check_timeout_seconds(hc.timeout)
            .healthy_threshold_count(hc.healthy_threshold)
            .unhealthy_threshold_count(hc.unhealthy_threshold)
            .matcher(Matcher::builder().http_code(&hc.matcher).build())
            .set_tags(Some(elb_tags(&ctx.tags(&spec.tags))))
            .customize()
            .config_override(unknown_outcome::elb())
            .send()
            .await
            .op(OP)?;
        let arn = out
            .target_groups()
            .first()
            .and_then(|tg| tg.target_group_arn())
            .ok_or_else(|| AwsError::invalid(OP, "no target group ARN in the answer"))?;
        let id = CloudId::new(arn);
        set_deregistration_delay(ctx.aws, &id, spec.deregistration_delay).await?;
        Ok(Created {
            outputs: outputs(&id),
            id,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &TargetGroupSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        let changed = |name: &str| changed.iter().any(|c| c == name);
        if changed("health_check") {
            let hc = &spec.health_check;
            ctx.aws
                .elb
                .modify_target_group()
                .target_group_arn(id.as_str())
                .health_check_enabled(true)
                .health_check_path(&hc.path)
                .health_check_interval_seconds(hc.interval)
                .health_check_timeout_seconds(hc.timeout)
                .healthy_threshold_count(hc.healthy_threshold)
                .unhealthy_threshold_count(hc.unhealthy_threshold)
                .matcher(Matcher::builder().http_code(&hc.matcher).build())
                .send()
                .await
                .op("ModifyTargetGroup")?;
        }
        if changed("deregistration_delay") {
            set_deregistration_delay(ctx.aws, id, spec.deregistration_delay).await?;
        }
        if changed(tags::ATTR) {
            tags::sync_elb(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// AWS refuses (ResourceInUse) while a listener or rule still forwards here; on
    /// destroy those go first, but the refusal can outlast them briefly, so retry.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        wait::while_in_use(wait::WaitPolicy::minutes(5), || async {
            aws.elb
                .delete_target_group()
                .target_group_arn(id.as_str())
                .send()
                .await
                .op("DeleteTargetGroup")
                .map(|_| ())
        })
        .await
    }
}

/// Target groups, their tags and their attributes (one call per group: the API takes
/// one ARN), all at once.
async fn read_chunk(aws: &Aws, ids: &[CloudId]) -> Result<Vec<(String, Live)>, AwsError> {
    let arns: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let (groups, attributes, live_tags) = tokio::join!(
        async {
            aws.elb
                .describe_target_groups()
                .set_target_group_arns(Some(arns.clone()))
                .send()
                .await
                .op("DescribeTargetGroups")
        },
        futures::future::try_join_all(arns.iter().map(|arn| async move {
            let out = aws
                .elb
                .describe_target_group_attributes()
                .target_group_arn(arn)
                .send()
                .await
                .op("DescribeTargetGroupAttributes")?;
            Ok::<_, AwsError>((arn.clone(), out))
        })),
        elb_tags_by_arn(aws, &arns),
    );
    let (groups, mut live_tags) = (groups?, live_tags?);
    let mut attributes: BTreeMap<String, _> = attributes?.into_iter().collect();
    Ok(groups
        .target_groups()
        .iter()
        .filter_map(|tg| {
            let arn = tg.target_group_arn()?;
            let attributes = attributes.remove(arn)?;
            let live_tags = live_tags.remove(arn).unwrap_or_default();
            Some((arn.to_string(), live(tg, &attributes, live_tags)))
        })
        .collect())
}

fn live(
    tg: &aws_sdk_elasticloadbalancingv2::types::TargetGroup,
    attributes: &DescribeTargetGroupAttributesOutput,
    live_tags: Vec<(String, String)>,
) -> Live {
    let deregistration_delay = attributes
        .attributes()
        .iter()
        .find(|a| a.key() == Some(DEREGISTRATION_DELAY))
        .and_then(|a| a.value())
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(DEFAULT_DEREGISTRATION_DELAY);
    let health_check = health_check_value(
        tg.health_check_path().unwrap_or_default(),
        tg.health_check_interval_seconds().map(i64::from).into(),
        tg.health_check_timeout_seconds().map(i64::from).into(),
        tg.healthy_threshold_count().map(i64::from).into(),
        tg.unhealthy_threshold_count().map(i64::from).into(),
        tg.matcher().and_then(|m| m.http_code()).unwrap_or_default(),
    );
    let attrs = BTreeMap::from([
        (
            "name".to_string(),
            tg.target_group_name().unwrap_or_default().into(),
        ),
        ("port".into(), tg.port().into()),
        ("protocol".into(), tg.protocol().map(|p| p.as_str()).into()),
        ("vpc_id".into(), tg.vpc_id().into()),
        (
            "target_type".into(),
            tg.target_type().map(|t| t.as_str()).into(),
        ),
        ("health_check".into(), health_check),
        ("deregistration_delay".into(), deregistration_delay.into()),
        (tags::ATTR.into(), tags::live_value(live_tags)),
    ]);
    Live {
        attrs,
        outputs: outputs(&CloudId::new(tg.target_group_arn().unwrap_or_default())),
    }
}

fn outputs(id: &CloudId) -> super::Outputs {
    BTreeMap::from([
        ("id".to_string(), id.to_string()),
        ("arn".to_string(), id.to_string()),
    ])
}

/// The health check as one attribute: its settings only change together
/// (one ModifyTargetGroup call).
fn health_check_value(
    path: &str,
    interval: Value,
    timeout: Value,
    healthy_threshold: Value,
    unhealthy_threshold: Value,
    matcher: &str,
) -> Value {
    json!({
        "path": path,
        "interval": interval,
        "timeout": timeout,
        "healthy_threshold": healthy_threshold,
        "unhealthy_threshold": unhealthy_threshold,
        "matcher": matcher,
    })
}

async fn set_deregistration_delay(aws: &Aws, id: &CloudId, seconds: i32) -> Result<(), AwsError> {
    aws.elb
        .modify_target_group_attributes()
        .target_group_arn(id.as_str())
        .attributes(
            TargetGroupAttribute::builder()
                .key(DEREGISTRATION_DELAY)
                .value(seconds.to_string())
                .build(),
        )
        .send()
        .await
        .op("ModifyTargetGroupAttributes")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_change_with_what_forces_a_replacement_and_only_with_it() {
        let name = group_name("shop", "web", 5000, "10.0.0.0/16");
        assert_eq!(name.len(), "shop-web".len() + NAME_SUFFIX_LEN);
        assert!(name.starts_with("shop-web-"));
        assert_eq!(name, group_name("shop", "web", 5000, "10.0.0.0/16"));
        assert_ne!(name, group_name("shop", "web", 8000, "10.0.0.0/16"));
        assert_ne!(name, group_name("shop", "web", 5000, "10.1.0.0/16"));
    }
}
