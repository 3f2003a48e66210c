//! `[alarms]`: what a person should hear about. Per routed service, its tasks' CPU
//! high, its targets answering 5xx, and no healthy target; per stack, the load
//! balancer's own 5xx. With `email`, an SNS topic `{stack}-alarms` notifies the
//! addresses when an alarm fires and when it is OK again. A service's 5xx alarm is
//! also its deployment alarm: a deploy that raises it is rolled back by ECS.

use super::load_balancer::LoadBalancer;
use super::shared::addr;
use crate::address::{Address, Kind};
use crate::config::schema::{Alarms, HealthCheck};
use crate::config::validate::Validated;
use crate::config::validate::subscription_name;
use crate::desired::Desired;
use crate::resources::Ref;
use crate::resources::alarm::{AlarmDimension, AlarmSpec, DimensionValue};
use crate::resources::sns_subscription::SnsSubscriptionSpec;
use crate::resources::sns_topic::SnsTopicSpec;

/// The address of a service's 5xx alarm, which its deployment watches.
pub(super) fn deployment_alarm(service: &str) -> Address {
    addr(Kind::Alarm, format!("{service}-5xx"))
}

/// Whether the stack has alarms: on by default wherever there is a load balancer.
pub(super) fn on(v: &Validated) -> bool {
    v.config.alarms.enabled && v.has_load_balancer()
}

pub(super) fn expand(v: &Validated, lb: &LoadBalancer) -> Vec<Desired> {
    if !on(v) {
        return Vec::new();
    }
    let c = &v.config;
    let stack = &c.stack.name;
    let mut out = Vec::new();
    let topic = addr(Kind::SnsTopic, "alarms");
    let actions = match c.alarms.email.is_empty() {
        true => Vec::new(),
        false => {
            out.push(Desired::new(
                topic.clone(),
                SnsTopicSpec {
                    name: format!("{stack}-alarms"),
                    tags: c.stack.tags.clone(),
                },
            ));
            out.extend(
                c.alarms
                    .email
                    .iter()
                    .map(|email| subscription(&topic, email)),
            );
            vec![Ref::new(topic, "arn")]
        }
    };
    let alarm = |name: String, spec: Metric| spec.alarm(v, name, &actions);
    for (service, svc) in v.routed_services() {
        let thresholds = &c.alarms;
        out.push(alarm(
            format!("{service}-cpu-high"),
            cpu_high(stack, service, thresholds),
        ));
        out.push(alarm(
            format!("{service}-5xx"),
            target_5xx(service, lb, thresholds),
        ));
        out.push(alarm(
            format!("{service}-no-healthy-hosts"),
            no_healthy_hosts(service, lb, &svc.health_check),
        ));
    }
    out.push(alarm("alb-5xx".into(), alb_5xx(lb, &c.alarms)));
    out
}

fn subscription(topic: &Address, email: &str) -> Desired {
    Desired::new(
        addr(Kind::SnsSubscription, subscription_name(email)),
        SnsSubscriptionSpec {
            topic: Ref::new(topic.clone(), "arn"),
            protocol: "email".into(),
            endpoint: email.to_string(),
        },
    )
}

/// What an alarm watches and when it fires; the rest (name, actions, tags) is the
/// stack's.
struct Metric {
    description: String,
    namespace: &'static str,
    metric: &'static str,
    statistic: &'static str,
    dimensions: Vec<AlarmDimension>,
    evaluation_periods: i32,
    threshold: f64,
    comparison: &'static str,
    treat_missing_data: &'static str,
}

impl Metric {
    fn alarm(self, v: &Validated, name: String, actions: &[Ref]) -> Desired {
        let stack = &v.config.stack.name;
        Desired::new(
            addr(Kind::Alarm, name.clone()),
            AlarmSpec {
                name: format!("{stack}-{name}"),
                description: self.description,
                namespace: self.namespace.into(),
                metric: self.metric.into(),
                statistic: self.statistic.into(),
                dimensions: self.dimensions,
                // One-minute datapoints: ECS and ALB metrics come every minute.
                period: 60,
                evaluation_periods: self.evaluation_periods,
                datapoints: self.evaluation_periods,
                threshold: self.threshold,
                comparison: self.comparison.into(),
                treat_missing_data: self.treat_missing_data.into(),
                actions: actions.to_vec(),
                tags: v.config.stack.tags.clone(),
            },
        )
    }
}

fn value(name: &str, value: &str) -> AlarmDimension {
    AlarmDimension {
        name: name.into(),
        value: DimensionValue::Value(value.into()),
    }
}

fn arn_suffix(name: &str, of: &Address) -> AlarmDimension {
    AlarmDimension {
        name: name.into(),
        value: DimensionValue::ArnSuffix(Ref::new(of.clone(), "arn")),
    }
}

/// The service's tasks average above `cpu` percent for five minutes running: a
/// short burst (a deploy, a cold cache) does not page anyone.
fn cpu_high(stack: &str, service: &str, a: &Alarms) -> Metric {
    Metric {
        description: format!(
            "The tasks of service {service} average above {}% CPU for 5 minutes.",
            a.cpu
        ),
        namespace: "AWS/ECS",
        metric: "CPUUtilization",
        statistic: "Average",
        dimensions: vec![value("ClusterName", stack), value("ServiceName", service)],
        evaluation_periods: 5,
        threshold: f64::from(a.cpu),
        comparison: "GreaterThanThreshold",
        // No datapoint: no task ran (scaled to nothing, or stopped): not a CPU problem.
        treat_missing_data: "notBreaching",
    }
}

/// The service's targets answer more than `target_5xx` 5xx a minute for three
/// minutes running. Minutes without requests have no datapoint, and are fine.
fn target_5xx(service: &str, lb: &LoadBalancer, a: &Alarms) -> Metric {
    Metric {
        description: format!(
            "The tasks of service {service} answer more than {} 5xx a minute for 3 minutes.",
            a.target_5xx
        ),
        namespace: "AWS/ApplicationELB",
        metric: "HTTPCode_Target_5XX_Count",
        statistic: "Sum",
        dimensions: vec![
            arn_suffix("LoadBalancer", &lb.alb),
            arn_suffix("TargetGroup", &addr(Kind::TargetGroup, service)),
        ],
        evaluation_periods: 3,
        threshold: f64::from(a.target_5xx),
        comparison: "GreaterThanThreshold",
        treat_missing_data: "notBreaching",
    }
}

/// No healthy target for longer than a new task takes to pass its health checks
/// (`healthy` checks `interval` seconds apart), plus two minutes: the app is down
/// behind the load balancer. A shorter window fires on every first deploy and every
/// target group replacement, while the new targets are still being checked. Missing
/// data is not breaching: the metric is missing only before the target group is
/// attached (a new stack), and a group with no healthy target reports 0.
fn no_healthy_hosts(service: &str, lb: &LoadBalancer, health: &HealthCheck) -> Metric {
    let minutes = no_healthy_minutes(health);
    Metric {
        description: format!("Service {service} has no healthy target for {minutes} minutes."),
        namespace: "AWS/ApplicationELB",
        metric: "HealthyHostCount",
        statistic: "Minimum",
        dimensions: vec![
            arn_suffix("LoadBalancer", &lb.alb),
            arn_suffix("TargetGroup", &addr(Kind::TargetGroup, service)),
        ],
        evaluation_periods: minutes,
        threshold: 1.0,
        comparison: "LessThanThreshold",
        treat_missing_data: "notBreaching",
    }
}

/// Whole minutes a new target takes to pass its health checks, plus two; at least 3.
fn no_healthy_minutes(health: &HealthCheck) -> i32 {
    let to_healthy = health.interval * health.healthy;
    (to_healthy.div_ceil(60) + 2).max(3) as i32
}

/// The load balancer itself answers more than `alb_5xx` 5xx a minute (no target to
/// send to, targets timing out) for three minutes running.
fn alb_5xx(lb: &LoadBalancer, a: &Alarms) -> Metric {
    Metric {
        description: format!(
            "The load balancer answers more than {} 5xx of its own a minute for 3 minutes.",
            a.alb_5xx
        ),
        namespace: "AWS/ApplicationELB",
        metric: "HTTPCode_ELB_5XX_Count",
        statistic: "Sum",
        dimensions: vec![arn_suffix("LoadBalancer", &lb.alb)],
        evaluation_periods: 3,
        threshold: f64::from(a.alb_5xx),
        comparison: "GreaterThanThreshold",
        treat_missing_data: "notBreaching",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default check (5 passes 30 s apart) takes 2.5 minutes: the alarm waits 5.
    #[test]
    fn no_healthy_hosts_waits_out_a_new_target_s_health_checks() {
        assert_eq!(no_healthy_minutes(&HealthCheck::default()), 5);
        let quick = HealthCheck {
            interval: 5,
            healthy: 2,
            ..HealthCheck::default()
        };
        assert_eq!(no_healthy_minutes(&quick), 3);
        let slow = HealthCheck {
            interval: 60,
            healthy: 10,
            ..HealthCheck::default()
        };
        assert_eq!(no_healthy_minutes(&slow), 12);
    }
}
