//! `apply --json` and `destroy --json`: one JSON object per line on stdout, for CI
//! and tools, made from the engine's one event stream. docs/json.md documents each
//! event; within format version 1 fields are only ever added.
//!
//! Every line has `event` and `time` (seconds since the command started). `plan`
//! comes first and `summary` last; in between the engine's `started`, `recorded`,
//! `finished`, `failed` and `skipped`, and `progress` for each step still running,
//! every interval.

use super::progress::InFlight;
use crate::address::Address;
use crate::engine::{Event, Observer};
use crate::plan::{Action, Plan};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const FORMAT: &str = "stackctl-events";
pub const FORMAT_VERSION: u32 = 1;

/// Writes the lines of one command; cheap to clone into the observer and the ticker.
#[derive(Clone)]
pub struct Stream {
    started: Instant,
}

impl Stream {
    pub fn new() -> Stream {
        Stream {
            started: Instant::now(),
        }
    }

    fn write(&self, mut line: Value) {
        // The time is taken under stdout's lock, so lines come out in the order of
        // their times even when two steps report at once.
        let mut out = std::io::stdout().lock();
        if let Value::Object(map) = &mut line {
            map.insert(
                "time".into(),
                json!(round(self.started.elapsed().as_secs_f64())),
            );
        }
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// The first line: what the command is about to do.
    pub fn plan(&self, command: &str, stack: &str, plan: &Plan) {
        let s = plan.summary();
        let changes: Vec<Value> = plan
            .pending()
            .map(|c| json!({ "address": c.address, "action": c.action }))
            .collect();
        self.write(json!({
            "event": "plan",
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "command": command,
            "stack": stack,
            "summary": { "add": s.add, "change": s.change, "destroy": s.destroy },
            "changes": changes,
        }));
    }

    /// The engine's events, and `progress` every `every` for each long step.
    pub fn observer(&self, every: Duration) -> (Observer, tokio::task::JoinHandle<()>) {
        let in_flight = InFlight::default();
        let ticker = {
            let stream = self.clone();
            in_flight.tick(every, move |address, action, elapsed| {
                stream.write(progress(address, action, elapsed));
            })
        };
        let stream = self.clone();
        let observer: Observer = Arc::new(move |e: &Event| {
            in_flight.observe(e);
            stream.write(event(e));
        });
        (observer, ticker)
    }

    /// The last line: how it ended, and the stack's outputs when it succeeded.
    pub fn summary(&self, plan: &Plan, error: Option<&str>, outputs: &BTreeMap<String, String>) {
        let s = plan.summary();
        let mut line = json!({
            "event": "summary",
            "result": if error.is_some() { "failed" } else { "ok" },
            "add": s.add,
            "change": s.change,
            "destroy": s.destroy,
        });
        if let Value::Object(map) = &mut line {
            match error {
                Some(e) => {
                    map.insert("error".into(), json!(e));
                }
                None => {
                    map.insert("outputs".into(), json!(outputs));
                }
            }
        }
        self.write(line);
    }
}

impl Stream {
    /// The last line of an apply that held changes back for an image not pushed yet.
    pub fn held(&self, plan: &Plan, message: &str, outputs: &BTreeMap<String, String>) {
        let s = plan.summary();
        let held: Vec<Value> = plan
            .held
            .iter()
            .map(|h| json!({ "address": h.address(), "action": h.change.action, "hold": h.hold }))
            .collect();
        self.write(json!({
            "event": "summary",
            "result": "held",
            "add": s.add,
            "change": s.change,
            "destroy": s.destroy,
            "held": held,
            "message": message,
            "outputs": outputs,
        }));
    }
}

impl Default for Stream {
    fn default() -> Self {
        Stream::new()
    }
}

fn event(e: &Event) -> Value {
    let mut v = serde_json::to_value(e).expect("events serialize");
    // Seconds with millisecond precision: a float with more digits says nothing more.
    if let Some(elapsed) = v.get_mut("elapsed").and_then(|x| x.as_f64()) {
        v["elapsed"] = json!(round(elapsed));
    }
    v
}

#[derive(Serialize)]
struct Progress<'a> {
    event: &'static str,
    address: &'a Address,
    action: Action,
    elapsed: f64,
}

fn progress(address: &Address, action: Action, elapsed: Duration) -> Value {
    serde_json::to_value(Progress {
        event: "progress",
        address,
        action,
        elapsed: round(elapsed.as_secs_f64()),
    })
    .expect("progress serializes")
}

fn round(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Kind;

    #[test]
    fn engine_events_keep_their_fields_and_durations_are_in_seconds() {
        let a = Address::new(Kind::Vpc, "main");
        let finished = event(&Event::Finished {
            address: a.clone(),
            action: Action::Create,
            elapsed: Duration::from_millis(1234),
        });
        assert_eq!(
            finished,
            json!({"event": "finished", "address": "vpc.main", "action": "create", "elapsed": 1.234})
        );
        let p = progress(&a, Action::Delete, Duration::from_secs(80));
        assert_eq!(
            p,
            json!({"event": "progress", "address": "vpc.main", "action": "delete", "elapsed": 80.0})
        );
    }
}
