//! A plan as text: one block per changed resource with its field diffs, then the
//! summary line people and scripts look for.

use crate::plan::{Action, Plan};
use crate::resources::Wanted;
use serde_json::Value;
use std::fmt::Write;

pub const NO_CHANGES: &str = "No changes. The stack matches stack.toml.";

pub fn render(plan: &Plan) -> String {
    if !plan.has_changes() {
        return format!("{NO_CHANGES}\n");
    }
    let mut out = String::new();
    for c in plan.pending() {
        let mut head = format!("  {} {}", c.action.glyph(), c.address);
        if c.action == Action::Replace {
            head.push_str(" (replace)");
        }
        if let Some(reason) = c.reason {
            let _ = write!(head, " ({})", reason.describe());
        }
        let _ = writeln!(out, "{head}");
        let width = c.diffs.iter().map(|d| d.name.len()).max().unwrap_or(0);
        for d in &c.diffs {
            let after = match &d.after {
                Wanted::Known(v) => value(v),
                Wanted::Unknown => "(known after apply)".to_string(),
            };
            let line = match (&d.before, c.action) {
                (Some(before), _) => format!("{} -> {after}", value(before)),
                (None, Action::Create) => after,
                (None, _) => format!("(unset) -> {after}"),
            };
            let forces = if d.forces_replacement {
                "  # forces replacement"
            } else {
                ""
            };
            let _ = writeln!(out, "      {:width$} = {line}{forces}", d.name);
        }
    }
    let s = plan.summary();
    let _ = writeln!(
        out,
        "\nPlan: {} to add, {} to change, {} to destroy.",
        s.add, s.change, s.destroy
    );
    out
}

fn value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
