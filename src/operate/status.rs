//! What `stackctl status` reports: each service as ECS and the load balancer see it
//! now, read-only, and whether it is steady. Gathering is thin I/O; judging
//! (`not_steady`) is pure, so what counts as "steady" is tested without AWS.
//!
//! A service is steady when it does what stack.toml asked and nothing is moving:
//! one deployment, completed, at least as many tasks running as desired, none pending, no
//! target failing its health checks. Anything else is a reason, named, and the
//! command exits 2, so a script can wait for a deploy or page on a sick service.

use crate::address::{Address, Kind};
use crate::aws::{Aws, AwsError, SdkResultExt};
use crate::resources::ecs_rollout::{self, TargetState};
use crate::resources::ecs_service;
use crate::state::State;
use aws_sdk_ecs::types::{DesiredStatus, Service, Task};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde::Serialize;
use std::collections::BTreeMap;

/// How many service events and stopped tasks a status shows.
const EVENTS: usize = 5;
const STOPPED: usize = 3;

/// The JSON document's name and version (docs/json.md), as for plans and drift.
pub const FORMAT: &str = "stackctl-status";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct StackStatus {
    pub format: &'static str,
    pub format_version: u32,
    pub stack: String,
    pub region: String,
    pub url: Option<String>,
    pub steady: bool,
    pub services: Vec<ServiceStatus>,
    /// Things a person must act on that are not a service's state (an alarm email
    /// address that has not confirmed its subscription).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceStatus {
    /// The service's name in stack.toml.
    pub name: String,
    /// Its name in ECS, and its cluster's; empty when it is not created.
    pub aws_name: String,
    pub cluster: String,
    /// ECS's status (`ACTIVE`, `DRAINING`), or `MISSING` (recorded, gone from AWS),
    /// or `NOT_CREATED` (in stack.toml, never created: held back for its image).
    pub status: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// The autoscaler's range when it owns the desired count.
    pub scaling: Option<ScalingRange>,
    pub deployments: Vec<DeploymentStatus>,
    pub targets: Vec<TargetState>,
    /// The service's last events, oldest first.
    pub events: Vec<EventLine>,
    /// Its most recently stopped tasks, newest first (AWS keeps them about an hour).
    pub stopped_tasks: Vec<StoppedLine>,
    pub steady: bool,
    /// Why it is not steady, one reason each; empty when steady.
    pub not_steady: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct ScalingRange {
    pub min: i64,
    pub max: i64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DeploymentStatus {
    pub id: String,
    /// `PRIMARY` (the one being rolled out or running), `ACTIVE` (the one it replaces).
    pub status: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`; absent for services without rollout
    /// state.
    pub rollout_state: Option<String>,
    pub rollout_reason: Option<String>,
    /// `family:revision`.
    pub task_definition: String,
    /// The image the task definition names.
    pub image: Option<String>,
    /// The digest it runs: from the image itself when pinned, else from a running task.
    pub digest: Option<String>,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub failed: i32,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventLine {
    pub at: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoppedLine {
    pub task: String,
    pub stopped_at: Option<String>,
    pub reason: String,
}

/// RFC 3339 in UTC, as AWS's console and logs show times.
pub fn time(at: &DateTime) -> String {
    at.fmt(Format::DateTime).unwrap_or_else(|_| at.to_string())
}

/// The status of the stack's services (`only` one of them), read now.
pub async fn gather(
    aws: &Aws,
    state: &State,
    declared: &[String],
    only: Option<&str>,
) -> Result<Vec<ServiceStatus>, AwsError> {
    let names: Vec<&String> = declared
        .iter()
        .filter(|n| only.is_none_or(|o| o == n.as_str()))
        .collect();
    let reads = names.iter().map(|name| service(aws, state, name));
    let mut statuses = Vec::new();
    for status in futures::future::join_all(reads).await {
        let mut status = status?;
        status.not_steady = not_steady(&status);
        status.steady = status.not_steady.is_empty();
        statuses.push(status);
    }
    Ok(statuses)
}

async fn service(aws: &Aws, state: &State, name: &str) -> Result<ServiceStatus, AwsError> {
    let mut status = ServiceStatus {
        name: name.to_string(),
        scaling: scaling(state, name),
        ..ServiceStatus::default()
    };
    let Some(record) = state.resources.get(&Address::new(Kind::EcsService, name)) else {
        status.status = "NOT_CREATED".into();
        return Ok(status);
    };
    let (cluster, _) = ecs_service::locate(&record.id)?;
    let Some(svc) = ecs_service::describe(aws, &record.id).await? else {
        status.status = "MISSING".into();
        return Ok(status);
    };
    status.aws_name = svc.service_name().unwrap_or_default().to_string();
    status.cluster = ecs_rollout::arn_tail(&cluster).to_string();
    status.status = svc.status().unwrap_or("?").to_string();
    status.desired = svc.desired_count();
    status.running = svc.running_count();
    status.pending = svc.pending_count();
    status.events = events(&svc);
    let target_groups: Vec<String> = svc
        .load_balancers()
        .iter()
        .filter_map(|lb| lb.target_group_arn().map(str::to_string))
        .collect();
    let (targets, running, stopped) = futures::join!(
        ecs_rollout::target_states(aws, &target_groups),
        ecs_rollout::service_tasks(aws, &cluster, &status.aws_name, DesiredStatus::Running),
        ecs_rollout::recent_stopped(aws, &cluster, &status.aws_name, STOPPED),
    );
    status.targets = targets?;
    status.stopped_tasks = stopped.iter().map(stopped_line).collect();
    status.deployments = deployments(aws, &svc, &running).await;
    Ok(status)
}

/// The autoscaler's range, from the state: what stack.toml set when it was applied.
fn scaling(state: &State, name: &str) -> Option<ScalingRange> {
    let record = state
        .resources
        .get(&Address::new(Kind::ScalableTarget, name))?;
    Some(ScalingRange {
        min: record.spec.get("min")?.as_i64()?,
        max: record.spec.get("max")?.as_i64()?,
    })
}

fn events(svc: &Service) -> Vec<EventLine> {
    let mut events: Vec<EventLine> = svc
        .events()
        .iter()
        .take(EVENTS)
        .map(|e| EventLine {
            at: e.created_at().map(time),
            message: e.message().unwrap_or_default().to_string(),
        })
        .collect();
    // ECS lists them newest first; a person reads them in the order they happened.
    events.reverse();
    events
}

fn stopped_line(task: &Task) -> StoppedLine {
    StoppedLine {
        task: ecs_rollout::arn_tail(task.task_arn().unwrap_or("?")).to_string(),
        stopped_at: task.stopped_at().map(time),
        reason: ecs_rollout::stopped_reason(task),
    }
}

/// Each deployment with the image its task definition names and, where a running task
/// shows it, the digest that image resolved to.
async fn deployments(aws: &Aws, svc: &Service, running: &[Task]) -> Vec<DeploymentStatus> {
    let mut digests: BTreeMap<&str, &str> = BTreeMap::new();
    for task in running {
        let digest = task.containers().iter().find_map(|c| c.image_digest());
        if let (Some(td), Some(digest)) = (task.task_definition_arn(), digest) {
            digests.entry(td).or_insert(digest);
        }
    }
    let mut out = Vec::new();
    for d in svc.deployments() {
        let td = d.task_definition().unwrap_or_default();
        let image = image_of(aws, td).await;
        let pinned = image
            .as_deref()
            .and_then(|i| i.split_once('@'))
            .map(|(_, digest)| digest.to_string());
        out.push(DeploymentStatus {
            id: d.id().unwrap_or_default().to_string(),
            status: d.status().unwrap_or_default().to_string(),
            rollout_state: d.rollout_state().map(|s| s.as_str().to_string()),
            rollout_reason: d.rollout_state_reason().map(str::to_string),
            task_definition: ecs_rollout::arn_tail(td).to_string(),
            digest: pinned.or_else(|| digests.get(td).map(|d| d.to_string())),
            image,
            desired: d.desired_count(),
            running: d.running_count(),
            pending: d.pending_count(),
            failed: d.failed_tasks(),
            created_at: d.created_at().map(time),
        });
    }
    out
}

/// The (first) container image of a task definition. Best effort: status shows what
/// it can read.
async fn image_of(aws: &Aws, task_definition: &str) -> Option<String> {
    let out = aws
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .op("DescribeTaskDefinition")
        .ok()?;
    out.task_definition()?
        .container_definitions()
        .first()?
        .image()
        .map(str::to_string)
}

/// Why a service is not steady; none when it is. Pure.
pub fn not_steady(s: &ServiceStatus) -> Vec<String> {
    match s.status.as_str() {
        "NOT_CREATED" => {
            return vec![
                "not created yet: `stackctl apply` creates it once its image is in its \
                 repository (`stackctl deploy` builds and pushes the image of a service \
                 with `build`)"
                    .into(),
            ];
        }
        "MISSING" => {
            return vec![
                "recorded in the state but gone from AWS (deleted outside stackctl?): \
                 `stackctl plan` shows what apply would create again"
                    .into(),
            ];
        }
        "ACTIVE" => {}
        other => return vec![format!("the service is {other}")],
    }
    let mut reasons = Vec::new();
    if let Some(failed) = s
        .deployments
        .iter()
        .find(|d| d.rollout_state.as_deref() == Some("FAILED"))
    {
        reasons.push(format!(
            "deployment {} failed: {}",
            failed.id,
            failed
                .rollout_reason
                .as_deref()
                .unwrap_or("no reason given")
        ));
    }
    if s.deployments.len() > 1 {
        reasons.push(format!(
            "{} deployments: a rollout is in progress",
            s.deployments.len()
        ));
    } else if let Some(d) = s
        .deployments
        .first()
        .filter(|d| d.rollout_state.as_deref() == Some("IN_PROGRESS"))
    {
        reasons.push(format!("deployment {} is in progress", d.id));
    }
    // More running than desired is ECS stopping the extra ones (a scale-in): the
    // rollout watch of apply counts it as settled too.
    if s.running < s.desired {
        reasons.push(format!("{} of {} tasks running", s.running, s.desired));
    }
    if s.pending > 0 {
        reasons.push(format!("{} tasks pending", s.pending));
    }
    let failing: Vec<String> = s
        .targets
        .iter()
        .filter(|t| matches!(t.state.as_str(), "unhealthy" | "initial" | "unavailable"))
        .map(|t| format!("{} {}", t.id, t.state))
        .collect();
    if !failing.is_empty() {
        reasons.push(format!("targets not healthy: {}", failing.join(", ")));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steady_service() -> ServiceStatus {
        ServiceStatus {
            name: "web".into(),
            status: "ACTIVE".into(),
            desired: 2,
            running: 2,
            deployments: vec![DeploymentStatus {
                id: "ecs-svc/1".into(),
                status: "PRIMARY".into(),
                rollout_state: Some("COMPLETED".into()),
                desired: 2,
                running: 2,
                ..DeploymentStatus::default()
            }],
            targets: vec![TargetState {
                target_group: "web".into(),
                id: "10.0.1.5".into(),
                port: Some(8000),
                state: "healthy".into(),
                reason: None,
                description: None,
            }],
            ..ServiceStatus::default()
        }
    }

    #[test]
    fn a_service_doing_what_it_was_asked_is_steady() {
        assert_eq!(not_steady(&steady_service()), Vec::<String>::new());
    }

    #[test]
    fn a_rollout_short_tasks_or_a_sick_target_is_not_steady() {
        let mut rolling = steady_service();
        let mut second = rolling.deployments[0].clone();
        second.status = "ACTIVE".into();
        rolling.deployments[0].rollout_state = Some("IN_PROGRESS".into());
        rolling.deployments.push(second);
        assert!(not_steady(&rolling)[0].contains("2 deployments"));

        let mut short = steady_service();
        short.running = 1;
        short.pending = 1;
        assert_eq!(
            not_steady(&short),
            vec!["1 of 2 tasks running", "1 tasks pending"]
        );

        let mut sick = steady_service();
        sick.targets[0].state = "unhealthy".into();
        assert_eq!(
            not_steady(&sick),
            vec!["targets not healthy: 10.0.1.5 unhealthy"]
        );

        let mut failed = steady_service();
        failed.deployments[0].rollout_state = Some("FAILED".into());
        failed.deployments[0].rollout_reason = Some("alarm(s) detected".into());
        assert!(not_steady(&failed)[0].contains("failed: alarm(s) detected"));
    }

    #[test]
    fn a_draining_target_of_the_old_tasks_does_not_hold_steady_back() {
        let mut draining = steady_service();
        draining.targets[0].state = "draining".into();
        assert!(not_steady(&draining).is_empty());
    }

    #[test]
    fn services_not_created_or_gone_say_what_to_do() {
        let mut held = steady_service();
        held.status = "NOT_CREATED".into();
        assert!(not_steady(&held)[0].contains("stackctl apply"));
        let mut gone = steady_service();
        gone.status = "MISSING".into();
        assert!(not_steady(&gone)[0].contains("stackctl plan"));
        let mut draining = steady_service();
        draining.status = "DRAINING".into();
        assert_eq!(not_steady(&draining), vec!["the service is DRAINING"]);
    }
}
