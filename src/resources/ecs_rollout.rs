//! How an ECS service rollout is judged while `apply` waits for it, and how a failed
//! one is reported.
//!
//! ECS never gives up on a broken deploy by itself unless the circuit breaker is on,
//! and with the breaker on it rolls back and then reports the *old* deployment as
//! COMPLETED: "stable" is not "succeeded". So the watch decides from what it sees
//! (`Watch::assess`, pure): a deployment marked FAILED, a rollback, tasks that keep
//! failing to start, targets that never pass the load balancer's health checks. A
//! failure is reported with what a person needs to fix it: the service's AWS name,
//! why its tasks stopped, the last lines those tasks logged, the targets' health and
//! what to do next. The I/O around it is thin and best effort where it only explains.

use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt};
use aws_sdk_ecs::types::{DeploymentRolloutState, DesiredStatus, LogDriver, Service, Task};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Tasks have failed and no new task reached RUNNING for this long: the rollout is
/// stuck (ECS without a circuit breaker retries forever).
pub const STALL: Duration = Duration::from_secs(5 * 60);

/// Targets may fail health checks this long after the grace period before the
/// rollout counts as failed: ECS keeps replacing such tasks without end.
pub const UNHEALTHY: Duration = Duration::from_secs(5 * 60);

/// How many stopped tasks a failure report describes, how many of them get their
/// logs read, and how many lines of each log.
const STOPPED_TASKS: usize = 5;
const TASKS_WITH_LOGS: usize = 3;
const LOG_LINES: i32 = 5;

#[derive(Debug)]
pub enum Verdict {
    Ready,
    Pending(String),
    Failed(String),
}

/// One target of the service's target group as the load balancer sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TargetState {
    /// The target group's name.
    pub target_group: String,
    /// The task's IP address (Fargate targets are IPs).
    #[serde(rename = "target")]
    pub id: String,
    pub port: Option<i32>,
    /// `initial`, `healthy`, `unhealthy`, `draining`, `unused`, `unavailable`.
    pub state: String,
    pub reason: Option<String>,
    pub description: Option<String>,
}

/// A stopped task of the service, with the last lines its containers logged.
#[derive(Debug, Clone, PartialEq)]
pub struct StoppedTask {
    /// The task id (the last part of its ARN).
    pub id: String,
    /// The task's stopped reason, then each container's reason and exit code.
    pub reason: String,
    pub logs: Vec<LogTail>,
}

/// The end of one container's log stream.
#[derive(Debug, Clone, PartialEq)]
pub struct LogTail {
    pub group: String,
    pub stream: String,
    pub lines: Vec<String>,
}

/// What the watch remembers between polls.
pub struct Watch {
    /// The PRIMARY deployment (id, task definition) when the wait began.
    first_primary: Option<(String, String)>,
    /// Most tasks of the primary deployment seen RUNNING, and when that grew.
    best_running: i32,
    last_progress: Instant,
    /// Since when some target has been unhealthy without a break.
    unhealthy_since: Option<Instant>,
    /// The service's health check grace period: failing health checks within it
    /// are expected while the app starts.
    grace: Duration,
}

impl Watch {
    pub fn new(now: Instant, grace: Duration) -> Self {
        Watch {
            first_primary: None,
            best_running: 0,
            last_progress: now,
            unhealthy_since: None,
            grace,
        }
    }

    /// Pure: decides from one DescribeServices answer and the health of the
    /// service's targets at the same time.
    pub fn assess(&mut self, svc: &Service, targets: &[TargetState], now: Instant) -> Verdict {
        let deployments = svc.deployments();
        if let Some(failed) = deployments
            .iter()
            .find(|d| d.rollout_state() == Some(&DeploymentRolloutState::Failed))
        {
            return Verdict::Failed(format!(
                "deployment {} failed: {}",
                failed.id().unwrap_or("?"),
                failed.rollout_state_reason().unwrap_or("no reason given")
            ));
        }
        let Some(primary) = deployments.iter().find(|d| d.status() == Some("PRIMARY")) else {
            return Verdict::Pending("no primary deployment yet".into());
        };
        let id = primary.id().unwrap_or_default().to_string();
        let task_def = primary.task_definition().unwrap_or_default().to_string();
        let reason = primary.rollout_state_reason().unwrap_or_default();
        let lower = reason.to_ascii_lowercase();
        if lower.contains("rolling back") || lower.contains("rolled back") {
            return Verdict::Failed(format!(
                "the circuit breaker rolled the deployment back: {reason}"
            ));
        }
        match &self.first_primary {
            None => self.first_primary = Some((id.clone(), task_def.clone())),
            Some((first_id, first_td)) if *first_id != id && *first_td != task_def => {
                return Verdict::Failed(format!(
                    "deployment {first_id} ({first_td}) was replaced by deployment {id} \
                     running {task_def}: rolled back or superseded"
                ));
            }
            Some(_) => {}
        }
        let failed = primary.failed_tasks();
        let running = primary.running_count();
        if running > self.best_running {
            self.best_running = running;
            self.last_progress = now;
        }
        // The threshold ECS's circuit breaker uses: half the desired count, 3..=200.
        let threshold = ((primary.desired_count() + 1) / 2).clamp(3, 200);
        if failed >= threshold && running == 0 {
            return Verdict::Failed(format!(
                "{failed} tasks failed to start and none is running"
            ));
        }
        if failed > 0 && now.duration_since(self.last_progress) >= STALL {
            return Verdict::Failed(format!(
                "{failed} tasks failed and no further task reached RUNNING for {} minutes",
                STALL.as_secs() / 60
            ));
        }
        let state = primary.rollout_state().map(|s| s.as_str());
        let settled = matches!(state, Some("COMPLETED") | None)
            && deployments.len() == 1
            && svc.running_count() >= svc.desired_count();
        if settled {
            self.unhealthy_since = None;
            return Verdict::Ready;
        }
        let unhealthy: Vec<&TargetState> =
            targets.iter().filter(|t| t.state == "unhealthy").collect();
        if unhealthy.is_empty() {
            self.unhealthy_since = None;
        } else {
            let since = *self.unhealthy_since.get_or_insert(now);
            let bound = self.grace + UNHEALTHY;
            if now.duration_since(since) >= bound {
                return Verdict::Failed(format!(
                    "targets failed the load balancer's health checks for {}s: {}",
                    bound.as_secs(),
                    unhealthy
                        .iter()
                        .map(|t| describe_target(t))
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
        Verdict::Pending(format!(
            "rollout {}: {}/{} running, {} pending, {} failed, {} deployments{}",
            state.unwrap_or("?"),
            svc.running_count(),
            svc.desired_count(),
            svc.pending_count(),
            failed,
            deployments.len(),
            if targets.is_empty() {
                String::new()
            } else {
                format!(", targets: {}", target_counts(targets))
            }
        ))
    }
}

/// `10.0.1.5:8080 unhealthy (Target.ResponseCodeMismatch: Health checks failed ...)`
pub fn describe_target(t: &TargetState) -> String {
    let mut text = match t.port {
        Some(p) => format!("{}:{p} {}", t.id, t.state),
        None => format!("{} {}", t.id, t.state),
    };
    match (&t.reason, &t.description) {
        (Some(r), Some(d)) => text.push_str(&format!(" ({r}: {d})")),
        (Some(r), None) => text.push_str(&format!(" ({r})")),
        (None, Some(d)) => text.push_str(&format!(" ({d})")),
        (None, None) => {}
    }
    text
}

/// `2 healthy, 1 unhealthy`
fn target_counts(targets: &[TargetState]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for t in targets {
        *counts.entry(t.state.as_str()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(state, n)| format!("{n} {state}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report of a failed rollout, one fact per line: why, why tasks stopped (each
/// distinct reason once, with the last log lines of its most recent task), the
/// targets' health, the service's recent events, and what to do.
pub fn failure_message(
    svc: &Service,
    why: &str,
    stopped: &[StoppedTask],
    targets: &[TargetState],
    fired: &[FiredAlarm],
) -> String {
    let name = svc.service_name().unwrap_or("?");
    let mut text = format!("service {name}: {why}");
    for alarm in fired {
        text.push_str(&format!(
            "\n  deployment alarm {} is in ALARM: {}",
            alarm.name, alarm.reason
        ));
    }
    if stopped.is_empty() {
        text.push_str("\n  no stopped task of the service was found to say why");
    } else {
        text.push_str("\n  stopped tasks:");
    }
    let mut reasons: Vec<(&str, Vec<&StoppedTask>)> = Vec::new();
    for task in stopped {
        match reasons.iter_mut().find(|(r, _)| *r == task.reason) {
            Some((_, tasks)) => tasks.push(task),
            None => reasons.push((&task.reason, vec![task])),
        }
    }
    for (reason, tasks) in &reasons {
        let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
        text.push_str(&format!("\n    {reason} (task {})", ids.join(", ")));
        let Some(task) = tasks
            .iter()
            .find(|t| t.logs.iter().any(|l| !l.lines.is_empty()))
        else {
            continue;
        };
        for log in task.logs.iter().filter(|l| !l.lines.is_empty()) {
            text.push_str(&format!(
                "\n      last log lines of task {} ({} {}):",
                task.id, log.group, log.stream
            ));
            for line in &log.lines {
                text.push_str(&format!("\n        {line}"));
            }
        }
    }
    if !targets.is_empty() {
        let mut by_group: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for t in targets {
            by_group
                .entry(t.target_group.as_str())
                .or_default()
                .push(describe_target(t));
        }
        for (group, described) in by_group {
            text.push_str(&format!("\n  targets of {group}: {}", described.join("; ")));
        }
    }
    let events: Vec<&str> = svc
        .events()
        .iter()
        .take(5)
        .filter_map(|e| e.message())
        .collect();
    if !events.is_empty() {
        text.push_str(&format!("\n  recent events: {}", events.join(" | ")));
    }
    if !fired.is_empty() {
        text.push_str(
            "\n  The new version's tasks ran, but the alarm fired while ECS watched the \
             deployment, so ECS failed it (and, with alarms.rollback, rolled the service \
             back to the last deployment that completed). Look at what the new version \
             answers and logs before deploying it again.",
        );
    }
    text.push_str(&format!(
        "\n  What to do: fix what the reasons above point at (the image, its command, \
         the port, the health check path, the task's permissions), then deploy again \
         (`stackctl apply --image SERVICE=IMAGE`, or edit stack.toml and run `stackctl \
         apply`); running apply again without a change does not retry the rollout. \
         What was created or changed so far, service {name} included, is recorded in \
         the state."
    ));
    text
}

/// A deployment alarm of the service found in ALARM when its rollout failed.
#[derive(Debug, Clone, PartialEq)]
pub struct FiredAlarm {
    pub name: String,
    /// CloudWatch's state reason ("Threshold Crossed: 3 datapoints ...").
    pub reason: String,
}

/// Which of `names` (the service's deployment alarms) are in ALARM: what failed the
/// deployment, named in the report. Best effort: a failed read names none.
pub async fn fired_alarms(aws: &Aws, names: &[String]) -> Vec<FiredAlarm> {
    if names.is_empty() {
        return Vec::new();
    }
    let out = aws
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .send()
        .await;
    let Ok(out) = out else {
        return Vec::new();
    };
    // AWS applies both filters; the emulator only the names, so the state is checked
    // here as well.
    out.metric_alarms()
        .iter()
        .filter(|a| a.state_value() == Some(&aws_sdk_cloudwatch::types::StateValue::Alarm))
        .map(|a| FiredAlarm {
            name: a.alarm_name().unwrap_or_default().to_string(),
            reason: a.state_reason().unwrap_or("no reason given").to_string(),
        })
        .collect()
}

/// The last part of an ARN: a task's id, a target group's `NAME/ID` cut to NAME.
pub fn arn_tail(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

pub fn target_group_name(arn: &str) -> &str {
    arn.split_once(":targetgroup/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or(arn)
}

/// The health of every target in the service's target groups. A target group that
/// is gone is skipped: it cannot hold the rollout back.
pub async fn target_states(
    aws: &Aws,
    target_groups: &[String],
) -> Result<Vec<TargetState>, AwsError> {
    let mut states = Vec::new();
    for arn in target_groups {
        let Some(out) = aws
            .elb
            .describe_target_health()
            .target_group_arn(arn)
            .send()
            .await
            .op("DescribeTargetHealth")
            .found()?
        else {
            continue;
        };
        for d in out.target_health_descriptions() {
            let health = d.target_health();
            states.push(TargetState {
                target_group: target_group_name(arn).to_string(),
                id: d
                    .target()
                    .and_then(|t| t.id())
                    .unwrap_or_default()
                    .to_string(),
                port: d.target().and_then(|t| t.port()),
                state: health
                    .and_then(|h| h.state())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "unknown".into()),
                reason: health
                    .and_then(|h| h.reason())
                    .map(|r| r.as_str().to_string()),
                description: health.and_then(|h| h.description()).map(str::to_string),
            });
        }
    }
    Ok(states)
}

/// The service's most recently stopped tasks, with their reasons and log tails.
/// Best effort: a failure here must not hide the rollout failure itself.
pub async fn stopped_tasks(aws: &Aws, cluster: &str, svc: &Service) -> Vec<StoppedTask> {
    let Some(name) = svc.service_name() else {
        return Vec::new();
    };
    let tasks = recent_stopped(aws, cluster, name, STOPPED_TASKS).await;
    let mut definitions = BTreeMap::new();
    let mut stopped = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        let logs = if i < TASKS_WITH_LOGS {
            log_tails(aws, task, &mut definitions).await
        } else {
            Vec::new()
        };
        stopped.push(StoppedTask {
            id: arn_tail(task.task_arn().unwrap_or("?")).to_string(),
            reason: stopped_reason(task),
            logs,
        });
    }
    stopped
}

/// The service's `n` most recently stopped tasks, newest first. AWS keeps a stopped
/// task for about an hour. Best effort: a failed read gives none.
pub async fn recent_stopped(aws: &Aws, cluster: &str, service: &str, n: usize) -> Vec<Task> {
    let mut tasks = service_tasks(aws, cluster, service, DesiredStatus::Stopped).await;
    tasks.sort_by(|a, b| b.stopped_at().cmp(&a.stopped_at()));
    tasks.truncate(n);
    tasks
}

/// The service's tasks with `status` (up to 100, the most ListTasks gives at once).
/// Best effort: a failed read gives none.
pub async fn service_tasks(
    aws: &Aws,
    cluster: &str,
    service: &str,
    status: DesiredStatus,
) -> Vec<Task> {
    let Ok(listed) = aws
        .ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(service)
        .desired_status(status)
        .send()
        .await
        .op("ListTasks")
    else {
        return Vec::new();
    };
    let arns: Vec<String> = listed.task_arns().iter().take(100).cloned().collect();
    if arns.is_empty() {
        return Vec::new();
    }
    let Ok(described) = aws
        .ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .op("DescribeTasks")
    else {
        return Vec::new();
    };
    // A service's tasks are in the group `service:NAME`; checked here as well because
    // the emulator ignores ListTasks' service filter.
    let group = format!("service:{service}");
    described
        .tasks()
        .iter()
        .filter(|t| t.group() == Some(group.as_str()))
        .cloned()
        .collect()
}

/// `Essential container in task exited (container web: exit code 1)`
pub fn stopped_reason(task: &Task) -> String {
    let mut text = task
        .stopped_reason()
        .unwrap_or("no reason given")
        .to_string();
    for c in task.containers() {
        let mut parts = Vec::new();
        if let Some(code) = c.exit_code().filter(|c| *c != 0) {
            parts.push(format!("exit code {code}"));
        }
        if let Some(r) = c.reason() {
            parts.push(r.to_string());
        }
        if !parts.is_empty() {
            text.push_str(&format!(
                " (container {}: {})",
                c.name().unwrap_or("?"),
                parts.join(", ")
            ));
        }
    }
    text
}

/// The awslogs log configuration of each container of a task definition:
/// (container, log group, stream prefix).
pub type LogTargets = Vec<(String, String, String)>;

/// The last lines of each container's awslogs stream, which ECS names
/// `PREFIX/CONTAINER/TASK_ID`. Containers without awslogs, or without a stream
/// prefix (then the stream name is not derivable), are skipped.
async fn log_tails(
    aws: &Aws,
    task: &Task,
    definitions: &mut BTreeMap<String, LogTargets>,
) -> Vec<LogTail> {
    let Some(td) = task.task_definition_arn() else {
        return Vec::new();
    };
    if !definitions.contains_key(td) {
        let targets = log_targets(aws, td).await;
        definitions.insert(td.to_string(), targets);
    }
    let task_id = arn_tail(task.task_arn().unwrap_or_default());
    let mut tails = Vec::new();
    for (container, group, prefix) in &definitions[td] {
        let stream = format!("{prefix}/{container}/{task_id}");
        let Ok(out) = aws
            .logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(&stream)
            .limit(LOG_LINES)
            .start_from_head(false)
            .send()
            .await
            .op("GetLogEvents")
        else {
            continue;
        };
        let lines: Vec<String> = out
            .events()
            .iter()
            .filter_map(|e| e.message())
            .map(|m| shorten(m.trim_end(), 300))
            .collect();
        tails.push(LogTail {
            group: group.clone(),
            stream,
            lines,
        });
    }
    tails
}

pub async fn log_targets(aws: &Aws, task_definition: &str) -> LogTargets {
    let Ok(out) = aws
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .op("DescribeTaskDefinition")
    else {
        return Vec::new();
    };
    let Some(def) = out.task_definition() else {
        return Vec::new();
    };
    def.container_definitions()
        .iter()
        .filter_map(|c| {
            let logs = c.log_configuration()?;
            if *logs.log_driver() != LogDriver::Awslogs {
                return None;
            }
            let options = logs.options()?;
            Some((
                c.name()?.to_string(),
                options.get("awslogs-group")?.clone(),
                options.get("awslogs-stream-prefix")?.clone(),
            ))
        })
        .collect()
}

pub fn shorten(line: &str, max: usize) -> String {
    match line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{Deployment, ServiceEvent};

    fn deployment(
        id: &str,
        status: &str,
        state: DeploymentRolloutState,
        reason: &str,
    ) -> Deployment {
        Deployment::builder()
            .id(id)
            .status(status)
            .task_definition(format!("arn:td/{id}"))
            .desired_count(2)
            .running_count(2)
            .rollout_state(state)
            .rollout_state_reason(reason)
            .build()
    }

    fn service(deployments: Vec<Deployment>, running: i32) -> Service {
        Service::builder()
            .service_name("web")
            .desired_count(2)
            .running_count(running)
            .set_deployments(Some(deployments))
            .build()
    }

    fn in_progress() -> Service {
        service(
            vec![deployment(
                "a",
                "PRIMARY",
                DeploymentRolloutState::InProgress,
                "ECS deployment a in progress.",
            )],
            0,
        )
    }

    fn target(state: &str, reason: Option<&str>, description: Option<&str>) -> TargetState {
        TargetState {
            target_group: "shop-web".into(),
            id: "10.0.1.5".into(),
            port: Some(8080),
            state: state.into(),
            reason: reason.map(str::to_string),
            description: description.map(str::to_string),
        }
    }

    fn failed(verdict: Verdict) -> String {
        match verdict {
            Verdict::Failed(why) => why,
            other => panic!("not failed: {other:?}"),
        }
    }

    #[test]
    fn a_completed_single_deployment_is_ready() {
        let now = Instant::now();
        let svc = service(
            vec![deployment(
                "a",
                "PRIMARY",
                DeploymentRolloutState::Completed,
                "done",
            )],
            2,
        );
        assert!(matches!(
            Watch::new(now, Duration::ZERO).assess(&svc, &[], now),
            Verdict::Ready
        ));
    }

    #[test]
    fn a_failed_deployment_fails_even_while_rolling_back() {
        let now = Instant::now();
        let svc = service(
            vec![
                deployment(
                    "b",
                    "PRIMARY",
                    DeploymentRolloutState::InProgress,
                    "ECS deployment b in progress.",
                ),
                deployment(
                    "a",
                    "ACTIVE",
                    DeploymentRolloutState::Failed,
                    "ECS deployment circuit breaker: tasks failed to start.",
                ),
            ],
            0,
        );
        let why = failed(Watch::new(now, Duration::ZERO).assess(&svc, &[], now));
        assert!(why.contains("tasks failed to start"), "{why}");
    }

    #[test]
    fn a_circuit_breaker_rolling_back_is_a_failure() {
        // What ECS reports on the new primary deployment once the breaker tripped.
        let now = Instant::now();
        let svc = service(
            vec![deployment(
                "b",
                "PRIMARY",
                DeploymentRolloutState::InProgress,
                "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/123.",
            )],
            1,
        );
        let why = failed(Watch::new(now, Duration::ZERO).assess(&svc, &[], now));
        assert!(why.contains("rolled the deployment back"), "{why}");
        assert!(why.contains("ecs-svc/123"), "{why}");
    }

    #[test]
    fn a_rollback_completed_is_not_success() {
        let now = Instant::now();
        let mut watch = Watch::new(now, Duration::ZERO);
        let before = service(
            vec![deployment(
                "new",
                "PRIMARY",
                DeploymentRolloutState::InProgress,
                "in progress",
            )],
            1,
        );
        assert!(matches!(
            watch.assess(&before, &[], now),
            Verdict::Pending(_)
        ));
        let after = service(
            vec![deployment(
                "old",
                "PRIMARY",
                DeploymentRolloutState::Completed,
                "completed",
            )],
            2,
        );
        let why = failed(watch.assess(&after, &[], now));
        assert!(why.contains("arn:td/old"), "{why}");
    }

    #[test]
    fn failing_tasks_without_progress_fail_after_the_stall_window() {
        let start = Instant::now();
        let mut watch = Watch::new(start, Duration::ZERO);
        let d = Deployment::builder()
            .id("a")
            .status("PRIMARY")
            .task_definition("td")
            .desired_count(10)
            .running_count(4)
            .failed_tasks(1)
            .rollout_state(DeploymentRolloutState::InProgress)
            .build();
        let svc = service(vec![d], 4);
        assert!(matches!(
            watch.assess(&svc, &[], start),
            Verdict::Pending(_)
        ));
        assert!(matches!(
            watch.assess(&svc, &[], start + STALL),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn targets_that_stay_unhealthy_past_grace_and_bound_fail_the_rollout() {
        let start = Instant::now();
        let grace = Duration::from_secs(60);
        let mut watch = Watch::new(start, grace);
        let svc = in_progress();
        let sick = [target(
            "unhealthy",
            Some("Target.ResponseCodeMismatch"),
            Some("Health checks failed with these codes: [404]"),
        )];
        let Verdict::Pending(seen) = watch.assess(&svc, &sick, start) else {
            panic!("failed at once")
        };
        assert!(seen.contains("targets: 1 unhealthy"), "{seen}");
        let just_before = start + grace + UNHEALTHY - Duration::from_secs(1);
        assert!(matches!(
            watch.assess(&svc, &sick, just_before),
            Verdict::Pending(_)
        ));
        let why = failed(watch.assess(&svc, &sick, start + grace + UNHEALTHY));
        assert!(
            why.contains(
                "10.0.1.5:8080 unhealthy (Target.ResponseCodeMismatch: \
                 Health checks failed with these codes: [404])"
            ),
            "{why}"
        );
    }

    #[test]
    fn a_target_that_recovers_restarts_the_unhealthy_clock() {
        let start = Instant::now();
        let mut watch = Watch::new(start, Duration::ZERO);
        let svc = in_progress();
        let sick = [target("unhealthy", Some("Target.Timeout"), None)];
        let well = [target("healthy", None, None)];
        assert!(matches!(
            watch.assess(&svc, &sick, start),
            Verdict::Pending(_)
        ));
        let mid = start + UNHEALTHY / 2;
        assert!(matches!(
            watch.assess(&svc, &well, mid),
            Verdict::Pending(_)
        ));
        assert!(matches!(
            watch.assess(&svc, &sick, mid),
            Verdict::Pending(_)
        ));
        assert!(matches!(
            watch.assess(&svc, &sick, start + UNHEALTHY),
            Verdict::Pending(_)
        ));
        assert!(matches!(
            watch.assess(&svc, &sick, mid + UNHEALTHY),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn the_failure_report_names_reasons_logs_targets_and_what_to_do() {
        let svc = Service::builder()
            .service_name("shop-web")
            .events(
                ServiceEvent::builder()
                    .message("(service shop-web) has started 2 tasks")
                    .build(),
            )
            .build();
        let crash = "Essential container in task exited (container web: exit code 1)";
        let stopped = vec![
            StoppedTask {
                id: "t1".into(),
                reason: crash.into(),
                logs: vec![LogTail {
                    group: "/ecs/shop/web".into(),
                    stream: "app/web/t1".into(),
                    lines: vec![
                        "Traceback (most recent call last):".into(),
                        "ModuleNotFoundError: No module named 'flask'".into(),
                    ],
                }],
            },
            StoppedTask {
                id: "t2".into(),
                reason: crash.into(),
                logs: Vec::new(),
            },
            StoppedTask {
                id: "t3".into(),
                reason: "CannotPullContainerError: pull image manifest has been retried".into(),
                logs: Vec::new(),
            },
        ];
        let targets = [target("unhealthy", Some("Target.Timeout"), None)];
        let text = failure_message(&svc, "3 tasks failed to start", &stopped, &targets, &[]);
        assert_eq!(
            text.lines().take(8).collect::<Vec<_>>(),
            [
                "service shop-web: 3 tasks failed to start",
                "  stopped tasks:",
                "    Essential container in task exited (container web: exit code 1) (task t1, t2)",
                "      last log lines of task t1 (/ecs/shop/web app/web/t1):",
                "        Traceback (most recent call last):",
                "        ModuleNotFoundError: No module named 'flask'",
                "    CannotPullContainerError: pull image manifest has been retried (task t3)",
                "  targets of shop-web: 10.0.1.5:8080 unhealthy (Target.Timeout)",
            ]
        );
        assert!(
            text.contains("recent events: (service shop-web) has started 2 tasks"),
            "{text}"
        );
        assert!(text.contains("What to do: fix what"), "{text}");
    }

    #[test]
    fn a_report_without_stopped_tasks_says_so() {
        let svc = Service::builder().service_name("shop-web").build();
        let text = failure_message(&svc, "deployment failed", &[], &[], &[]);
        assert!(
            text.contains("no stopped task of the service was found"),
            "{text}"
        );
    }

    #[test]
    fn names_come_from_arns() {
        assert_eq!(
            target_group_name(
                "arn:aws:elasticloadbalancing:eu-west-2:1:targetgroup/shop-web/6d0ecf831eec9f09"
            ),
            "shop-web"
        );
        assert_eq!(
            arn_tail("arn:aws:ecs:eu-west-2:1:task/shop/0b69d5c0d8d14a7d"),
            "0b69d5c0d8d14a7d"
        );
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
