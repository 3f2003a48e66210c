//! `stackctl status` as text: one block per service, its verdict first, then the
//! facts behind it (tasks, deployments with their images, targets, events, stopped
//! tasks), each on a labelled line so a person finds the one they came for.

use crate::operate::status::{DeploymentStatus, ServiceStatus, StackStatus};
use std::fmt::Write;

pub fn render(status: &StackStatus) -> String {
    let mut out = format!("Stack {} ({})", status.stack, status.region);
    if let Some(url) = &status.url {
        let _ = write!(out, "  {url}");
    }
    out.push('\n');
    if status.services.is_empty() {
        out.push_str("\nNo services.\n");
    }
    for service in &status.services {
        out.push('\n');
        out.push_str(&render_service(service));
    }
    for note in &status.notes {
        let _ = write!(out, "\n{note}\n");
    }
    out
}

fn render_service(s: &ServiceStatus) -> String {
    let mut out = match s.steady {
        true => format!("{}  steady\n", s.name),
        false => format!("{}  NOT STEADY: {}\n", s.name, s.not_steady.join("; ")),
    };
    if s.aws_name.is_empty() {
        return out;
    }
    let scaling = s
        .scaling
        .map(|r| format!(" (autoscaled {}-{})", r.min, r.max))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  tasks        {} running of {} desired{scaling}, {} pending   [{} in cluster {}]",
        s.running, s.desired, s.pending, s.aws_name, s.cluster
    );
    for d in &s.deployments {
        let _ = writeln!(out, "  deployment   {}", deployment(d));
    }
    if !s.targets.is_empty() {
        let targets: Vec<String> = s
            .targets
            .iter()
            .map(|t| {
                let port = t.port.map(|p| format!(":{p}")).unwrap_or_default();
                let why = t
                    .reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                format!("{}{port} {}{why}", t.id, t.state)
            })
            .collect();
        let _ = writeln!(
            out,
            "  targets      {}: {}",
            s.targets[0].target_group,
            targets.join(", ")
        );
    }
    lines(
        &mut out,
        "events",
        s.events
            .iter()
            .map(|e| format!("{} {}", e.at.as_deref().unwrap_or("?"), e.message)),
    );
    lines(
        &mut out,
        "stopped",
        s.stopped_tasks.iter().map(|t| {
            format!(
                "{} at {}: {}",
                t.task,
                t.stopped_at.as_deref().unwrap_or("?"),
                t.reason
            )
        }),
    );
    out
}

/// `PRIMARY COMPLETED web:7 2/2 running  repo/app:v2 (sha256:ab12…)`
fn deployment(d: &DeploymentStatus) -> String {
    let mut text = format!(
        "{} {} {}  {}/{} running",
        d.status,
        d.rollout_state.as_deref().unwrap_or("-"),
        d.task_definition,
        d.running,
        d.desired
    );
    if d.pending > 0 {
        let _ = write!(text, ", {} pending", d.pending);
    }
    if d.failed > 0 {
        let _ = write!(text, ", {} failed", d.failed);
    }
    if let Some(image) = &d.image {
        let _ = write!(text, "  {image}");
    }
    if let Some(digest) = d.digest.as_deref().filter(|_| {
        // A pinned image shows its digest already.
        !d.image.as_deref().unwrap_or_default().contains('@')
    }) {
        let _ = write!(text, " ({})", short_digest(digest));
    }
    if let Some(reason) = &d.rollout_reason {
        let _ = write!(text, "\n               {reason}");
    }
    text
}

/// `sha256:` and the first 12 hex digits, as docker shows image ids.
fn short_digest(digest: &str) -> String {
    match digest.strip_prefix("sha256:") {
        Some(hex) => format!("sha256:{}", &hex[..hex.len().min(12)]),
        None => digest.to_string(),
    }
}

fn lines(out: &mut String, label: &str, items: impl Iterator<Item = String>) {
    for (i, item) in items.enumerate() {
        let label = if i == 0 { label } else { "" };
        let _ = writeln!(out, "  {label:<12} {item}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operate::status::{EventLine, StoppedLine};
    use crate::resources::ecs_rollout::TargetState;

    #[test]
    fn a_service_block_shows_verdict_counts_images_targets_and_events() {
        let service = ServiceStatus {
            name: "web".into(),
            aws_name: "shop-web".into(),
            cluster: "shop".into(),
            status: "ACTIVE".into(),
            desired: 2,
            running: 1,
            pending: 1,
            deployments: vec![DeploymentStatus {
                id: "ecs-svc/1".into(),
                status: "PRIMARY".into(),
                rollout_state: Some("IN_PROGRESS".into()),
                task_definition: "shop-web:7".into(),
                image: Some("repo/app:v2".into()),
                digest: Some(format!("sha256:{}", "ab".repeat(32))),
                desired: 2,
                running: 1,
                pending: 1,
                ..DeploymentStatus::default()
            }],
            targets: vec![TargetState {
                target_group: "shop-web".into(),
                id: "10.0.1.5".into(),
                port: Some(8000),
                state: "unhealthy".into(),
                reason: Some("Target.ResponseCodeMismatch".into()),
                description: None,
            }],
            events: vec![EventLine {
                at: Some("2026-12-05T10:00:00Z".into()),
                message: "(service shop-web) has started 1 tasks".into(),
            }],
            stopped_tasks: vec![StoppedLine {
                task: "abc".into(),
                stopped_at: None,
                reason: "Essential container in task exited".into(),
            }],
            steady: false,
            not_steady: vec!["1 of 2 tasks running".into()],
            scaling: None,
        };
        let text = render_service(&service);
        for wanted in [
            "web  NOT STEADY: 1 of 2 tasks running",
            "tasks        1 running of 2 desired, 1 pending   [shop-web in cluster shop]",
            "PRIMARY IN_PROGRESS shop-web:7  1/2 running, 1 pending  repo/app:v2 (sha256:abababababab)",
            "targets      shop-web: 10.0.1.5:8000 unhealthy (Target.ResponseCodeMismatch)",
            "events       2026-12-05T10:00:00Z (service shop-web) has started 1 tasks",
            "stopped      abc at ?: Essential container in task exited",
        ] {
            assert!(text.contains(wanted), "{wanted:?} not in\n{text}");
        }
    }
}
