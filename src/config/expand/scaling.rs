//! `[services.NAME.scaling]`: a scalable target on the service's desired count, and a
//! target-tracking policy per metric given. Tracking (rather than step scaling) needs
//! no alarm of the user's to tune: AWS keeps the metric near the target itself, with
//! alarms it makes and removes with the policy.

use super::load_balancer::LoadBalancer;
use super::shared::addr;
use crate::address::Kind;
use crate::config::schema::{Scaling, ScalingMetric};
use crate::config::validate::Validated;
use crate::desired::Desired;
use crate::resources::Ref;
use crate::resources::scalable_target::ScalableTargetSpec;
use crate::resources::scaling_policy::{RequestsOf, ScalingPolicySpec};

pub(super) fn expand(v: &Validated, lb: &LoadBalancer) -> Vec<Desired> {
    let mut out = Vec::new();
    for (name, s) in &v.config.services {
        if let Some(scaling) = &s.scaling {
            out.extend(service(&v.config.stack.name, name, scaling, lb));
        }
    }
    out
}

fn service(stack: &str, name: &str, scaling: &Scaling, lb: &LoadBalancer) -> Vec<Desired> {
    let target = addr(Kind::ScalableTarget, name);
    let mut out = vec![Desired::new(
        target.clone(),
        ScalableTargetSpec {
            cluster: Ref::new(addr(Kind::EcsCluster, "main"), "name"),
            service: Ref::new(addr(Kind::EcsService, name), "name"),
            min: scaling.min as i32,
            max: scaling.max as i32,
        },
    )];
    for (metric, value) in scaling.targets() {
        let requests_of = (metric == ScalingMetric::Requests).then(|| RequestsOf {
            load_balancer: Ref::new(lb.alb.clone(), "arn"),
            target_group: Ref::new(addr(Kind::TargetGroup, name), "arn"),
        });
        out.push(Desired::new(
            addr(Kind::ScalingPolicy, format!("{name}-{}", metric.key())),
            ScalingPolicySpec {
                name: format!("{stack}-{name}-{}", metric.key()),
                target: Ref::id(target.clone()),
                metric: predefined(metric).into(),
                target_value: f64::from(value),
                requests_of,
                scale_in_cooldown: scaling.scale_in_cooldown as i32,
                scale_out_cooldown: scaling.scale_out_cooldown as i32,
            },
        ));
    }
    out
}

/// The predefined metric AWS tracks for `metric`.
fn predefined(metric: ScalingMetric) -> &'static str {
    match metric {
        ScalingMetric::Cpu => "ECSServiceAverageCPUUtilization",
        ScalingMetric::Memory => "ECSServiceAverageMemoryUtilization",
        ScalingMetric::Requests => "ALBRequestCountPerTarget",
    }
}
