//! `[services.NAME.scaling]`: the bounds and targets of a service's autoscaling.

use super::problems::Problems;
use crate::schema::Scaling;

/// ECS runs at most 5,000 tasks per service (its service quotas page).
const MAX_TASKS: u32 = 5000;

/// A cooldown longer than a day would stop the service scaling for good in practice.
const MAX_COOLDOWN: u32 = 86_400;

/// `routed`: the service has routes, so an ALB counts its requests.
pub(super) fn check(name: &str, scaling: &Scaling, routed: bool, problems: &mut Problems) {
    let key = |k: &str| format!("services.{name}.scaling.{k}");
    if scaling.min == 0 {
        problems.push(
            &key("min"),
            "0 tasks serve nothing, and with no task there is no CPU or request metric to \
             scale out on: use 1 or more"
                .into(),
        );
    }
    if scaling.max < scaling.min {
        problems.push(
            &key("max"),
            format!("{} is below min = {}", scaling.max, scaling.min),
        );
    }
    if scaling.max > MAX_TASKS {
        problems.push(
            &key("max"),
            format!(
                "{} tasks: ECS runs at most {MAX_TASKS} per service",
                scaling.max
            ),
        );
    }
    for (k, value) in [("cpu", scaling.cpu), ("memory", scaling.memory)] {
        if let Some(v) = value.filter(|v| !(1..=100).contains(v)) {
            problems.push(&key(k), format!("{v}% is not a utilization: use 1 to 100"));
        }
    }
    for (k, value) in [
        ("scale_in_cooldown", scaling.scale_in_cooldown),
        ("scale_out_cooldown", scaling.scale_out_cooldown),
    ] {
        if value > MAX_COOLDOWN {
            problems.push(
                &key(k),
                format!("{value} seconds: use at most {MAX_COOLDOWN} (a day)"),
            );
        }
    }
    match scaling.requests {
        Some(0) => problems.push(
            &key("requests"),
            "0 requests per task: use 1 or more".into(),
        ),
        Some(_) if !routed => problems.push(
            &key("requests"),
            format!(
                "service `{name}` has no routes, so no load balancer counts its requests: \
                 scale it on cpu or memory"
            ),
        ),
        _ => {}
    }
}
