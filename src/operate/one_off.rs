//! One-off tasks (`stackctl run`): the service's task definition, network and roles,
//! with the command overridden, for migrations and admin jobs.
//!
//! What AWS does that matters here (ECS API reference, RunTask and DescribeTasks):
//! * RunTask answers 200 with a `failures` list when it could not place the task
//!   (capacity, a missing ENI): that is an error, not a started task.
//! * `clientToken` (up to 64 characters) makes a retried RunTask start one task, not
//!   two: the SDK retries throttling and 5xx answers, and RunTask is throttled.
//! * ECS is eventually consistent: DescribeTasks right after RunTask can answer
//!   `MISSING` for the new task, so that is waited out (bounded).
//! * A task that never ran its command (image pull failed, secret unreadable) stops
//!   with a `stoppedReason` and no container exit code.
//!
//! One-off tasks run on Fargate on-demand, whatever capacity the service uses: a
//! migration stopped half-way by a Spot reclaim is worse than the few cents saved.

use crate::aws::{Aws, AwsError, SdkResultExt};
use crate::resources::ecs_rollout;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ContainerOverride, LaunchType, NetworkConfiguration,
    PropagateTags, Task, TaskOverride,
};
use std::time::{Duration, Instant};

/// `startedBy` of every one-off task: how a person finds them in the console.
pub const STARTED_BY: &str = "stackctl-run";

/// How long a new task may be unknown to DescribeTasks.
const VISIBLE_WITHIN: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("ECS did not start the task: {0}")]
    NotStarted(String),
    #[error("the task {task} is still unknown to ECS {}s after it was started", VISIBLE_WITHIN.as_secs())]
    NeverSeen { task: String },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// What to run, and where: the service's own settings.
#[derive(Debug, Clone, PartialEq)]
pub struct OneOff {
    pub cluster: String,
    pub task_definition: String,
    pub container: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
    pub command: Vec<String>,
    /// Task size overrides, as ECS wants them ("512", "1024").
    pub cpu: Option<String>,
    pub memory: Option<String>,
    /// ECS Exec on the task (the service has it).
    pub exec: bool,
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// The container ran and exited with this code.
    Exited(i32),
    /// It never ran, or ECS stopped it without an exit code: the reason.
    Failed(String),
}

/// Starts the task; returns its ARN.
pub async fn start(aws: &Aws, one_off: &OneOff) -> Result<String, RunError> {
    let network = AwsVpcConfiguration::builder()
        .set_subnets(Some(one_off.subnets.clone()))
        .set_security_groups(Some(one_off.security_groups.clone()))
        .assign_public_ip(match one_off.assign_public_ip {
            true => AssignPublicIp::Enabled,
            false => AssignPublicIp::Disabled,
        })
        .build()
        .map_err(|e| AwsError::invalid("RunTask", e.to_string()))?;
    let overrides = TaskOverride::builder()
        .container_overrides(
            ContainerOverride::builder()
                .name(&one_off.container)
                .set_command(Some(one_off.command.clone()))
                .build(),
        )
        .set_cpu(one_off.cpu.clone())
        .set_memory(one_off.memory.clone())
        .build();
    let out = aws
        .ecs
        .run_task()
        .cluster(&one_off.cluster)
        .task_definition(&one_off.task_definition)
        .launch_type(LaunchType::Fargate)
        .count(1)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(network)
                .build(),
        )
        .overrides(overrides)
        .started_by(STARTED_BY)
        .propagate_tags(PropagateTags::TaskDefinition)
        .enable_ecs_managed_tags(true)
        .enable_execute_command(one_off.exec)
        .client_token(uuid::Uuid::new_v4().to_string())
        .send()
        .await
        .op("RunTask")?;
    if let Some(arn) = out.tasks().first().and_then(|t| t.task_arn()) {
        return Ok(arn.to_string());
    }
    let failures: Vec<String> = out
        .failures()
        .iter()
        .map(|f| {
            format!(
                "{}{}",
                f.reason().unwrap_or("no reason given"),
                f.detail().map(|d| format!(" ({d})")).unwrap_or_default()
            )
        })
        .collect();
    Err(RunError::NotStarted(match failures.is_empty() {
        true => "RunTask answered without a task or a failure".into(),
        false => failures.join("; "),
    }))
}

/// The task as ECS sees it now; None while it is not visible yet (within a bound).
pub async fn describe(
    aws: &Aws,
    cluster: &str,
    task: &str,
    started: Instant,
) -> Result<Option<Task>, RunError> {
    let out = aws
        .ecs
        .describe_tasks()
        .cluster(cluster)
        .tasks(task)
        .send()
        .await
        .op("DescribeTasks")?;
    match out.tasks().first() {
        Some(t) => Ok(Some(t.clone())),
        None if started.elapsed() < VISIBLE_WITHIN => Ok(None),
        None => Err(RunError::NeverSeen {
            task: task.to_string(),
        }),
    }
}

/// How the task ended, once it has stopped; None while it has not. Pure.
pub fn ended(task: &Task, container: &str) -> Option<Ended> {
    if task.last_status() != Some("STOPPED") {
        return None;
    }
    let code = task
        .containers()
        .iter()
        .find(|c| c.name() == Some(container))
        .and_then(|c| c.exit_code());
    Some(match code {
        Some(code) => Ended::Exited(code),
        None => Ended::Failed(ecs_rollout::stopped_reason(task)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::Container;

    fn task(status: &str, exit: Option<i32>, reason: Option<&str>) -> Task {
        Task::builder()
            .last_status(status)
            .set_stopped_reason(reason.map(str::to_string))
            .containers(Container::builder().name("web").set_exit_code(exit).build())
            .build()
    }

    #[test]
    fn a_task_ends_with_its_containers_exit_code() {
        assert_eq!(ended(&task("RUNNING", None, None), "web"), None);
        assert_eq!(
            ended(
                &task(
                    "STOPPED",
                    Some(3),
                    Some("Essential container in task exited")
                ),
                "web"
            ),
            Some(Ended::Exited(3))
        );
        assert_eq!(
            ended(&task("STOPPED", Some(0), None), "web"),
            Some(Ended::Exited(0))
        );
    }

    #[test]
    fn a_task_that_never_ran_its_command_ends_with_the_reason() {
        let pull = "CannotPullContainerError: pull image manifest has been retried 5 time(s)";
        let Some(Ended::Failed(reason)) = ended(&task("STOPPED", None, Some(pull)), "web") else {
            panic!("not a failure");
        };
        assert!(reason.starts_with(pull), "{reason}");
    }
}
