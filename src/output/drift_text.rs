//! Drift as text and as the `drift --json` document.

use crate::plan::{DriftStatus, DriftedResource};
use serde::Serialize;
use std::fmt::Write;

pub const NO_DRIFT: &str = "No drift. AWS holds what stackctl last applied.";

/// The `stackctl drift --json` document (format documented in docs/json.md).
#[derive(Debug, Serialize)]
pub struct DriftReport<'a> {
    pub format: &'static str,
    pub format_version: u32,
    pub stack: &'a str,
    pub drifted: bool,
    pub resources: &'a [DriftedResource],
}

impl<'a> DriftReport<'a> {
    pub fn new(stack: &'a str, resources: &'a [DriftedResource]) -> Self {
        DriftReport {
            format: "stackctl-drift",
            format_version: 1,
            stack,
            drifted: !resources.is_empty(),
            resources,
        }
    }
}

pub fn render(resources: &[DriftedResource]) -> String {
    if resources.is_empty() {
        return format!("{NO_DRIFT}\n");
    }
    let mut out = String::from("Changed outside stackctl since the last apply:\n");
    for r in resources {
        match r.status {
            DriftStatus::Deleted => {
                let _ = writeln!(out, "  - {} ({}): deleted", r.address, r.id);
            }
            DriftStatus::Changed => {
                let _ = writeln!(out, "  ~ {} ({})", r.address, r.id);
                let width = r.fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
                for f in &r.fields {
                    let _ = writeln!(
                        out,
                        "      {:width$}  applied {}, now {}",
                        f.name, f.recorded, f.live
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} resource(s) drifted. `stackctl plan` shows what apply would put back; \
         edit stack.toml to keep a change made outside stackctl.",
        resources.len()
    );
    out
}
