//! A service's log lines from CloudWatch Logs, for `stackctl logs` and `stackctl run`.
//!
//! ECS's awslogs driver writes each task's container to the stream
//! `PREFIX/CONTAINER/TASK_ID` of the service's log group, and the stream stays after
//! the task stops, so the lines of a task that crashed are there to read. The group,
//! prefix and container come from the state's task definition, without a call.
//!
//! FilterLogEvents is paged, and a page may be empty while more follow (its
//! nextToken says so), so every page is read. Events reach CloudWatch in batches
//! (the driver flushes every few seconds) carrying the time the container wrote them,
//! so a line can arrive after lines stamped later than it: following re-reads a
//! trailing window and drops the events it has already shown (`Follower`).

use crate::address::{Address, Kind};
use crate::aws::{Aws, AwsError, SdkResultExt};
use crate::resources::task_definition::TaskDefinitionSpec;
use crate::state::State;
use aws_smithy_types::DateTime;
use serde::Serialize;
use std::collections::HashSet;

/// How far back each poll of a follow looks again for lines that arrived late.
pub const LATE_WINDOW_MS: i64 = 30_000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LogsError {
    #[error("no service `{service}` in this stack; its services: {known}")]
    UnknownService { service: String, known: String },
    #[error(
        "service `{0}` has not been created yet, so it has no logs: run `stackctl apply` \
         (it holds a service back until its image is pushed)"
    )]
    NotCreated(String),
    #[error("the recorded task definition of `{service}` is unreadable: {problem}")]
    Spec { service: String, problem: String },
}

/// Where a service's containers log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSource {
    pub group: String,
    pub prefix: String,
    pub container: String,
}

impl LogSource {
    /// The streams of every task of the service, or of the tasks whose id starts
    /// with `task`.
    pub fn stream_prefix(&self, task: Option<&str>) -> String {
        format!("{}/{}/{}", self.prefix, self.container, task.unwrap_or(""))
    }
}

/// One line a container logged.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogLine {
    /// When the container wrote it, RFC 3339 in UTC.
    pub time: String,
    /// The same, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    pub task: String,
    pub container: String,
    pub message: String,
    #[serde(skip)]
    pub event_id: String,
}

/// The log source of `service`, from the state's record of its task definition.
pub fn source(state: &State, declared: &[String], service: &str) -> Result<LogSource, LogsError> {
    if !declared.iter().any(|s| s == service) {
        return Err(LogsError::UnknownService {
            service: service.to_string(),
            known: declared.join(", "),
        });
    }
    let Some(record) = state
        .resources
        .get(&Address::new(Kind::TaskDefinition, service))
    else {
        return Err(LogsError::NotCreated(service.to_string()));
    };
    let spec: TaskDefinitionSpec =
        serde_json::from_value(record.spec.clone()).map_err(|e| LogsError::Spec {
            service: service.to_string(),
            problem: e.to_string(),
        })?;
    let group = state
        .resources
        .get(&spec.container.log_group.to)
        .map(|r| r.id.to_string())
        .ok_or_else(|| LogsError::NotCreated(service.to_string()))?;
    Ok(LogSource {
        group,
        prefix: spec.container.log_stream_prefix,
        container: spec.container.name,
    })
}

/// Every line logged since `start_ms` by the tasks `task` picks (all when None),
/// oldest first.
pub async fn read(
    aws: &Aws,
    source: &LogSource,
    task: Option<&str>,
    start_ms: i64,
) -> Result<Vec<LogLine>, AwsError> {
    let prefix = source.stream_prefix(task);
    let mut lines = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = aws
            .logs
            .filter_log_events()
            .log_group_name(&source.group)
            .log_stream_name_prefix(&prefix)
            .start_time(start_ms)
            .set_next_token(token.take())
            .send()
            .await
            .op("FilterLogEvents")?;
        for event in out.events() {
            let stream = event.log_stream_name().unwrap_or_default();
            // AWS filters by the prefix; checked here too, as the emulator ignores it.
            if !stream.starts_with(&prefix) {
                continue;
            }
            let timestamp = event.timestamp().unwrap_or_default();
            lines.push(LogLine {
                time: super::status::time(&DateTime::from_millis(timestamp)),
                timestamp,
                task: stream.rsplit('/').next().unwrap_or_default().to_string(),
                container: source.container.clone(),
                message: event.message().unwrap_or_default().trim_end().to_string(),
                event_id: event.event_id().unwrap_or_default().to_string(),
            });
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    // Pages are in time order on AWS; sorted again so the order never depends on it.
    lines.sort_by_key(|l| l.timestamp);
    Ok(lines)
}

/// What a follow has shown: each poll reads from `since` (a window before the newest
/// line shown) and keeps only the lines not shown yet.
#[derive(Debug)]
pub struct Follower {
    since: i64,
    shown: HashSet<String>,
    shown_at: Vec<(i64, String)>,
}

impl Follower {
    pub fn new(start_ms: i64) -> Self {
        Follower {
            since: start_ms,
            shown: HashSet::new(),
            shown_at: Vec::new(),
        }
    }

    /// Where the next read starts.
    pub fn since(&self) -> i64 {
        self.since
    }

    /// The lines of a read not shown before; remembers them. Pure.
    pub fn fresh(&mut self, lines: Vec<LogLine>) -> Vec<LogLine> {
        let fresh: Vec<LogLine> = lines
            .into_iter()
            .filter(|l| !self.shown.contains(&l.event_id))
            .collect();
        for line in &fresh {
            self.shown.insert(line.event_id.clone());
            self.shown_at.push((line.timestamp, line.event_id.clone()));
        }
        if let Some(newest) = self.shown_at.iter().map(|(t, _)| *t).max() {
            self.since = self.since.max(newest - LATE_WINDOW_MS);
        }
        // Lines older than the window are never read again: forget them.
        let since = self.since;
        let shown = &mut self.shown;
        self.shown_at.retain(|(t, id)| {
            let keep = *t >= since;
            if !keep {
                shown.remove(id);
            }
            keep
        });
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Record;
    use serde_json::json;

    fn line(id: &str, timestamp: i64) -> LogLine {
        LogLine {
            time: String::new(),
            timestamp,
            task: "t".into(),
            container: "web".into(),
            message: id.into(),
            event_id: id.into(),
        }
    }

    #[test]
    fn a_follow_shows_each_line_once_and_catches_lines_that_arrive_late() {
        let mut follow = Follower::new(1_000);
        let first = follow.fresh(vec![line("a", 100_000), line("b", 101_000)]);
        assert_eq!(first.len(), 2);
        assert_eq!(follow.since(), 101_000 - LATE_WINDOW_MS);
        // The next read sees the same lines again, and one stamped earlier than the
        // newest that arrived late.
        let again = follow.fresh(vec![
            line("late", 99_000),
            line("a", 100_000),
            line("b", 101_000),
            line("c", 102_000),
        ]);
        let ids: Vec<&str> = again.iter().map(|l| l.event_id.as_str()).collect();
        assert_eq!(ids, ["late", "c"]);
    }

    #[test]
    fn a_follow_forgets_lines_older_than_its_window() {
        let mut follow = Follower::new(0);
        follow.fresh(vec![line("old", 1_000)]);
        follow.fresh(vec![line("new", 1_000 + 2 * LATE_WINDOW_MS)]);
        assert!(!follow.shown.contains("old"));
        assert!(follow.shown.contains("new"));
    }

    fn state_with_service() -> State {
        let mut state = State::new("shop");
        let group = Address::new(Kind::LogGroup, "web");
        state.resources.insert(
            group.clone(),
            Record {
                id: crate::address::CloudId::new("/ecs/shop/web"),
                spec: json!({}),
                attrs: Default::default(),
                outputs: Default::default(),
                depends_on: vec![],
                deposed: vec![],
            },
        );
        let spec = json!({
            "family": "shop-web", "cpu": "256", "memory": "512",
            "cpu_architecture": "X86_64",
            "execution_role": {"ref": "iam_role.execution", "output": "arn"},
            "container": {
                "name": "web", "image": {"reference": "nginx:1.27"},
                "environment": {}, "secrets": {},
                "log_group": {"ref": "log_group.web", "output": "name"},
                "log_region": "eu-west-2", "log_stream_prefix": "web"
            }
        });
        state.resources.insert(
            Address::new(Kind::TaskDefinition, "web"),
            Record {
                id: crate::address::CloudId::new("arn:td/shop-web:1"),
                spec,
                attrs: Default::default(),
                outputs: Default::default(),
                depends_on: vec![],
                deposed: vec![],
            },
        );
        state
    }

    #[test]
    fn the_source_comes_from_the_recorded_task_definition() {
        let state = state_with_service();
        let declared = vec!["web".to_string(), "worker".to_string()];
        let source = source(&state, &declared, "web").unwrap();
        assert_eq!(source.group, "/ecs/shop/web");
        assert_eq!(source.stream_prefix(Some("abc")), "web/web/abc");
        assert_eq!(
            super::source(&state, &declared, "worker"),
            Err(LogsError::NotCreated("worker".into()))
        );
        assert!(matches!(
            super::source(&state, &declared, "api"),
            Err(LogsError::UnknownService { .. })
        ));
    }
}
