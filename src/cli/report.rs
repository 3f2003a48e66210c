//! How apply, deploy and destroy tell what they do: as text (the plan, progress lines
//! on stderr, the summary and the outputs) or, with `--json`, as the JSON event
//! stream on stdout (src/output/events_json.rs). Both come from the same plan and the
//! engine's one event stream.

use super::duration;
use crate::config::security::Warning;
use crate::engine::Observer;
use crate::output::events_json::Stream;
use crate::output::{plan_text, progress, stack_outputs};
use crate::plan::Plan;
use crate::state::State;
use std::time::Duration;

pub enum Report {
    Text { quiet: bool, color: bool },
    Json(Stream),
}

impl Report {
    pub fn new(json: bool, cli: &super::Cli) -> Report {
        if json {
            Report::Json(Stream::new())
        } else {
            Report::Text {
                quiet: cli.quiet,
                color: crate::output::color::wanted(cli.no_color, false),
            }
        }
    }

    pub fn is_json(&self) -> bool {
        matches!(self, Report::Json(_))
    }

    /// `--json` cannot answer a prompt: the change must be approved up front.
    pub fn check_approval(&self, approved: bool) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.is_json() || approved,
            "--json needs --auto-approve (or a saved plan): nothing can answer a prompt \
             while stdout is a stream of events"
        );
        Ok(())
    }

    /// The plan; in text with `notes` (slow steps, cost: see `notes`) before its last
    /// line.
    pub fn plan(&self, command: &str, stack: &str, plan: &Plan, warnings: &[Warning], notes: &str) {
        match self {
            Report::Text { color, .. } => {
                let text = plan_text::render_with_notes(plan, warnings, notes);
                if *color {
                    print!("{}", crate::output::color::plan(&text));
                } else {
                    print!("{text}");
                }
            }
            Report::Json(stream) => stream.plan(command, stack, plan),
        }
    }

    /// What the engine's events go to, and the ticker of long steps to abort after.
    pub fn observer(
        &self,
        total: usize,
    ) -> anyhow::Result<(Observer, Option<tokio::task::JoinHandle<()>>)> {
        Ok(match self {
            Report::Text { quiet: true, .. } => (progress::silent(), None),
            // A person at a terminal gets the live view; a log gets plain lines.
            Report::Text { quiet: false, .. } if crate::output::live::possible() => {
                let (observer, ticker) = crate::output::live::view(total);
                (observer, Some(ticker))
            }
            Report::Text { quiet: false, .. } => {
                let (observer, ticker) = progress::lines(total, progress_interval()?);
                (observer, Some(ticker))
            }
            Report::Json(stream) => {
                let (observer, ticker) = stream.observer(progress_interval()?);
                (observer, Some(ticker))
            }
        })
    }

    /// The plan had nothing to change, or the walk finished: the outputs.
    pub fn done(&self, what: Option<&str>, plan: &Plan, state: &State) {
        match self {
            Report::Text { .. } => {
                if let Some(what) = what {
                    let s = plan.summary();
                    println!(
                        "\n{what} complete: {} added, {} changed, {} destroyed.",
                        s.add, s.change, s.destroy
                    );
                }
                print_outputs(state);
            }
            Report::Json(stream) => {
                stream.summary(plan, None, &stack_outputs::from_state(state));
            }
        }
    }

    /// The walk finished, and some changes wait for an image to be pushed: what to
    /// push and how, on stderr (the JSON summary says `held`).
    pub fn held(&self, plan: &Plan, state: &State, region: &str) {
        let text = crate::output::held::after_apply(plan, state, region, "stackctl apply");
        match self {
            Report::Text { .. } => {
                let s = plan.summary();
                println!(
                    "\nApply incomplete: {} added, {} changed, {} destroyed; {} held back.",
                    s.add,
                    s.change,
                    s.destroy,
                    plan.held.len()
                );
                print_outputs(state);
                eprintln!("\n{text}");
            }
            Report::Json(stream) => {
                stream.held(plan, &text, &stack_outputs::from_state(state));
                eprintln!("{text}");
            }
        }
    }

    /// The walk failed; the error itself is printed on stderr by whoever returns it.
    pub fn failed(&self, plan: &Plan, error: &str) {
        if let Report::Json(stream) = self {
            stream.summary(plan, Some(error), &Default::default());
        }
    }

    /// A person said no at the prompt (text only: JSON never asks).
    pub fn cancelled(&self, what: &str) {
        if let Report::Text { .. } = self {
            println!("{what} cancelled.");
        }
    }
}

/// What a person wants to know before saying yes: the steps that will take minutes,
/// and what the stack will cost per month against what it costs now. `desired` is
/// what stack.toml asks for (None: nothing, as after a destroy).
pub fn notes(
    region: &str,
    plan: &Plan,
    desired: Option<&[crate::desired::Desired]>,
    state: &State,
) -> String {
    let after: std::collections::BTreeMap<_, _> = desired
        .unwrap_or_default()
        .iter()
        .map(|d| (d.address.clone(), d.spec.clone()))
        .collect();
    let before = state
        .resources
        .iter()
        .map(|(a, r)| (a.clone(), r.spec.clone()))
        .collect();
    let slow = plan_text::slow_steps(plan, state);
    let cost = plan_text::estimate(region, &after, &before);
    if slow.is_empty() {
        cost
    } else {
        format!("{slow}\n{cost}")
    }
}

/// The email subscriptions of the alarms' topic still waiting for their address to
/// follow AWS's confirmation link: until then the address gets no alarm, which a
/// person must hear from plan rather than from an outage. From the refreshed view.
pub fn pending_subscriptions(observed: &crate::plan::Observed, state: &State) -> String {
    let mut lines = Vec::new();
    for (address, live) in observed {
        let pending = live
            .as_ref()
            .and_then(|l| l.outputs.get("pending"))
            .is_some_and(|p| p == "true");
        let endpoint = state
            .resources
            .get(address)
            .and_then(|r| r.spec["endpoint"].as_str());
        if let (true, Some(endpoint)) = (pending, endpoint) {
            lines.push(format!(
                "Pending: {endpoint} has not confirmed {address} yet and gets no alarm until \
                 it follows the link in AWS's confirmation email (AWS deletes an unconfirmed \
                 subscription after 48 hours; the next apply subscribes it again)."
            ));
        }
    }
    lines.join("\n")
}

/// Joins notes, leaving out empty ones.
pub fn join_notes(parts: &[String]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

/// How often a long step is reported: STACKCTL_PROGRESS_INTERVAL (e.g. `30s`), or
/// every 10 s.
fn progress_interval() -> anyhow::Result<Duration> {
    match std::env::var(PROGRESS_INTERVAL_ENV) {
        Ok(v) if !v.trim().is_empty() => {
            let every: duration::Arg = v
                .parse()
                .map_err(|e| anyhow::anyhow!("{PROGRESS_INTERVAL_ENV}: {e}"))?;
            anyhow::ensure!(
                !every.0.is_zero(),
                "{PROGRESS_INTERVAL_ENV} must be more than 0"
            );
            Ok(every.0)
        }
        _ => Ok(progress::EVERY),
    }
}

const PROGRESS_INTERVAL_ENV: &str = "STACKCTL_PROGRESS_INTERVAL";

fn print_outputs(state: &State) {
    let outputs = stack_outputs::from_state(state);
    if outputs.is_empty() {
        return;
    }
    println!("\nOutputs:");
    let width = outputs.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in outputs {
        println!("  {k:width$} = {v}");
    }
}
