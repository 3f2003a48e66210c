//! Application Auto Scaling target-tracking policy: keeps one metric of a service
//! near its target by moving the desired count within its scalable target's bounds.
//! The id is the policy ARN, which carries the resource id and the policy name that
//! every other call takes.
//!
//! PutScalingPolicy creates and updates alike. AWS makes the policy's two CloudWatch
//! alarms (`TargetTracking-...`) itself and deletes them with it: stackctl never
//! touches them.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::scalable_target::dimension;
use super::{Created, Ctx, Live, Lookup, Ref, Resource, Wanted, WantedAttrs, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, SdkResultExt};
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalingPolicy as AwsPolicy,
    ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingPolicySpec {
    pub name: String,
    /// The scalable target (its id is the resource id).
    pub target: Ref,
    /// The predefined metric: `ECSServiceAverageCPUUtilization`,
    /// `ECSServiceAverageMemoryUtilization` or `ALBRequestCountPerTarget`.
    pub metric: String,
    pub target_value: f64,
    /// For `ALBRequestCountPerTarget`: the load balancer's and target group's ARNs,
    /// which make its resource label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_of: Option<RequestsOf>,
    pub scale_in_cooldown: i32,
    pub scale_out_cooldown: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestsOf {
    pub load_balancer: Ref,
    pub target_group: Ref,
}

pub struct ScalingPolicy;

/// `app/NAME/ID/targetgroup/NAME/ID`: the ALB and target group of a request-count
/// metric, from their ARNs (what follows `loadbalancer/`, and the target group's
/// resource part).
pub fn resource_label(load_balancer_arn: &str, target_group_arn: &str) -> Option<String> {
    let lb = load_balancer_arn.split_once(":loadbalancer/")?.1;
    let tg = target_group_arn.rsplit_once(':')?.1;
    tg.starts_with("targetgroup/").then(|| format!("{lb}/{tg}"))
}

/// The resource id and the policy name in a policy ARN
/// (`...:scalingPolicy:UUID:resource/ecs/service/C/S:policyName/NAME`).
fn parse_arn(arn: &str) -> Result<(&str, &str), AwsError> {
    let bad = || {
        AwsError::invalid(
            "DescribeScalingPolicies",
            format!("`{arn}` is not a policy ARN"),
        )
    };
    let (resource, name) = arn.split_once(":policyName/").ok_or_else(bad)?;
    let resource = resource.split_once(":resource/ecs/").ok_or_else(bad)?.1;
    Ok((resource, name))
}

impl Facts for ScalingPolicy {
    const SERVICE: Service = Service::ApplicationAutoScaling;
    const IMPORT_ID: &'static str = "its policy ARN (arn:...:scalingPolicy:...)";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    /// Free; its two alarms are AWS's and cost a few cents a month.
    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for ScalingPolicy {
    const KIND: Kind = Kind::ScalingPolicy;
    const REPLACE_ON: &'static [&'static str] = &["name", "target"];
    /// A policy put right after its target was registered can find the target, or
    /// the CloudWatch access it needs, not there yet (terraform-provider-aws
    /// `resourcePolicyPut` retries both for two minutes). The policies of one target
    /// are put side by side, and Application Auto Scaling refuses concurrent changes
    /// to one target (`ConcurrentUpdateException`, terraform-provider-aws #17915):
    /// the refused one is sent again.
    const TRANSIENT: &'static [Transient] = &[
        Transient::code("PutScalingPolicy", "ObjectNotFoundException"),
        Transient::code("PutScalingPolicy", "FailedResourceAccessException"),
        Transient::code("PutScalingPolicy", "ConcurrentUpdateException"),
        Transient::code("DeleteScalingPolicy", "ConcurrentUpdateException"),
    ];
    /// Looked for on its target.
    const FIND_NEEDS: &'static [Kind] = &[Kind::ScalableTarget];
    type Spec = ScalingPolicySpec;

    fn wanted(spec: &ScalingPolicySpec, lookup: &dyn Lookup) -> WantedAttrs {
        let label = match &spec.requests_of {
            None => known(Value::Null),
            Some(of) => match (
                lookup.output(&of.load_balancer),
                lookup.output(&of.target_group),
            ) {
                (Some(lb), Some(tg)) => known(resource_label(&lb, &tg)),
                _ => Wanted::Unknown,
            },
        };
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            ("target".into(), super::wanted_ref(lookup, &spec.target)),
            ("metric".into(), known(spec.metric.clone())),
            ("target_value".into(), known(spec.target_value)),
            ("resource_label".into(), label),
            ("scale_in_cooldown".into(), known(spec.scale_in_cooldown)),
            ("scale_out_cooldown".into(), known(spec.scale_out_cooldown)),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let (resource, name) = parse_arn(id.as_str())?;
        Ok(describe(aws, resource, name)
            .await?
            .map(|p| live(resource, &p)))
    }

    async fn find(ctx: &Ctx<'_>, spec: &ScalingPolicySpec) -> Result<Option<CloudId>, AwsError> {
        let Some(resource) = ctx.known(&spec.target) else {
            return Ok(None);
        };
        let found = describe(ctx.aws, &resource, &spec.name).await?;
        Ok(found.map(|p| CloudId::new(p.policy_arn())))
    }

    async fn create(ctx: &Ctx<'_>, spec: &ScalingPolicySpec) -> Result<Created, AwsError> {
        let resource = ctx.resolve(&spec.target)?;
        let arn = put(ctx, &resource, spec).await?;
        Ok(Created {
            id: CloudId::new(&arn),
            outputs: [("id".into(), arn.clone()), ("arn".into(), arn)].into(),
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &ScalingPolicySpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        let (resource, _) = parse_arn(id.as_str())?;
        put(ctx, resource, spec).await.map(|_| ())
    }

    /// A policy already gone is success; the emulator answers that with a
    /// ValidationException where AWS answers ObjectNotFoundException, so a refusal is
    /// checked against a read.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let (resource, name) = parse_arn(id.as_str())?;
        let result = aws
            .scaling
            .delete_scaling_policy()
            .policy_name(name)
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource)
            .scalable_dimension(dimension())
            .send()
            .await
            .op("DeleteScalingPolicy");
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if describe(aws, resource, name).await?.is_none() => {
                tracing::debug!("{id} is gone: {e}");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// Puts the policy on `resource`; its ARN.
async fn put(ctx: &Ctx<'_>, resource: &str, spec: &ScalingPolicySpec) -> Result<String, AwsError> {
    const OP: &str = "PutScalingPolicy";
    let label = match &spec.requests_of {
        None => None,
        Some(of) => {
            let (lb, tg) = (
                ctx.resolve(&of.load_balancer)?,
                ctx.resolve(&of.target_group)?,
            );
            let label = resource_label(&lb, &tg)
                .ok_or_else(|| AwsError::invalid(OP, format!("no resource label in {lb}, {tg}")))?;
            Some(label)
        }
    };
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::from(spec.metric.as_str()))
        .set_resource_label(label)
        .build()
        .map_err(|e| AwsError::invalid(OP, e.to_string()))?;
    let config = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(spec.target_value)
        .predefined_metric_specification(metric)
        .scale_in_cooldown(spec.scale_in_cooldown)
        .scale_out_cooldown(spec.scale_out_cooldown)
        .build()
        .map_err(|e| AwsError::invalid(OP, e.to_string()))?;
    let out = ctx
        .aws
        .scaling
        .put_scaling_policy()
        .policy_name(&spec.name)
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .scalable_dimension(dimension())
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(config)
        .send()
        .await
        .op(OP)?;
    Ok(out.policy_arn().to_string())
}

/// The policy named `name` on `resource`. Filtered here as well: the emulator
/// ignores the names filter.
async fn describe(aws: &Aws, resource: &str, name: &str) -> Result<Option<AwsPolicy>, AwsError> {
    let out = aws
        .scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .scalable_dimension(dimension())
        .policy_names(name)
        .send()
        .await
        .op("DescribeScalingPolicies")?;
    Ok(out
        .scaling_policies()
        .iter()
        .find(|p| p.policy_name() == name && p.resource_id() == resource)
        .cloned())
}

fn live(resource: &str, p: &AwsPolicy) -> Live {
    let config = p.target_tracking_scaling_policy_configuration();
    let metric = config.and_then(|c| c.predefined_metric_specification());
    let arn = p.policy_arn().to_string();
    Live {
        attrs: [
            ("name".into(), p.policy_name().into()),
            ("target".into(), resource.into()),
            (
                "metric".into(),
                metric.map(|m| m.predefined_metric_type().as_str()).into(),
            ),
            (
                "target_value".into(),
                config.map(|c| c.target_value()).into(),
            ),
            (
                "resource_label".into(),
                metric.and_then(|m| m.resource_label()).into(),
            ),
            (
                "scale_in_cooldown".into(),
                config.and_then(|c| c.scale_in_cooldown()).into(),
            ),
            (
                "scale_out_cooldown".into(),
                config.and_then(|c| c.scale_out_cooldown()).into(),
            ),
        ]
        .into(),
        outputs: [("id".into(), arn.clone()), ("arn".into(), arn)].into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_label_joins_the_load_balancer_and_target_group_parts() {
        let lb = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188";
        let tg = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/shop-web-a1b2/73e2d6bc24d8a067";
        assert_eq!(
            resource_label(lb, tg).as_deref(),
            Some("app/shop-alb/50dc6c495c0c9188/targetgroup/shop-web-a1b2/73e2d6bc24d8a067")
        );
        assert_eq!(resource_label("arn:x", tg), None);
    }

    #[test]
    fn a_policy_arn_names_its_resource_and_policy() {
        let arn = "arn:aws:autoscaling:eu-west-2:123456789012:scalingPolicy:6d8972f3-efc8-437c-92d1-6270f29a66e7:resource/ecs/service/shop/web:policyName/shop-web-cpu";
        assert_eq!(
            parse_arn(arn).unwrap(),
            ("service/shop/web", "shop-web-cpu")
        );
        assert!(parse_arn("arn:aws:autoscaling:x").is_err());
    }
}
