//! A plan as text: changes made outside stackctl first, apart from the edits to
//! stack.toml, one block per resource with its label and field diffs, warnings for
//! replacements that interrupt traffic, then the summary line people and scripts
//! look for.

use crate::plan::{Action, Cause, Change, Class, Plan};
use crate::resources::Wanted;
use serde_json::Value;
use std::fmt::Write;

pub const NO_CHANGES: &str = "No changes. The stack matches stack.toml.";

pub fn render(plan: &Plan) -> String {
    if !plan.has_changes() {
        return format!("{NO_CHANGES}\n");
    }
    let (drift, edits): (Vec<&Change>, Vec<&Change>) =
        plan.pending().partition(|c| c.is_drift_only());
    let mut out = String::new();
    if !drift.is_empty() {
        out.push_str(
            "Changed outside stackctl since the last apply (apply puts back what stack.toml says):\n",
        );
        drift.iter().for_each(|c| change(&mut out, c));
        if !edits.is_empty() {
            out.push_str("\nChanges from stack.toml:\n");
        }
    }
    edits.iter().for_each(|c| change(&mut out, c));
    for d in &plan.deposed {
        let _ = writeln!(
            out,
            "  - {} ({}): replaced by an earlier run and not deleted yet",
            d.address, d.id
        );
    }
    for c in plan.pending() {
        if let Some(w) = c.warning {
            let _ = writeln!(
                out,
                "\nWarning: replacing {} interrupts traffic: {w}",
                c.address
            );
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

fn change(out: &mut String, c: &Change) {
    let mut notes = Vec::new();
    if matches!(
        c.class,
        Class::InPlace | Class::Replacement | Class::DeployOnly
    ) {
        notes.push(c.class.label());
    }
    if let Some(reason) = c.reason {
        notes.push(reason.describe());
    }
    let mut head = format!("  {} {}", c.action.glyph(), c.address);
    if !notes.is_empty() {
        let _ = write!(head, "  ({})", notes.join("; "));
    }
    let _ = writeln!(out, "{head}");
    let mut lines = Vec::new();
    for d in &c.diffs {
        let mut comments = Vec::new();
        if d.forces_replacement {
            comments.push("forces replacement");
        }
        if d.cause == Cause::Both {
            comments.push("also changed outside stackctl");
        }
        let comment = if comments.is_empty() {
            String::new()
        } else {
            format!("  # {}", comments.join("; "))
        };
        match (&d.before, &d.after) {
            // Objects (health checks, containers, ...) show only the keys that differ.
            (Some(Value::Object(before)), Wanted::Known(Value::Object(after))) => {
                let keys: std::collections::BTreeSet<&String> =
                    before.keys().chain(after.keys()).collect();
                for k in keys {
                    let (b, a) = (before.get(k), after.get(k));
                    if b != a {
                        let line = format!("{} -> {}", opt(b), opt(a));
                        lines.push((format!("{}.{k}", d.name), line + &comment));
                    }
                }
            }
            (Some(Value::Object(_)), Wanted::Unknown) => {
                lines.push((d.name.clone(), format!("(known after apply){comment}")));
            }
            (before, after) => {
                let after = match after {
                    Wanted::Known(v) => value(v),
                    Wanted::Unknown => "(known after apply)".to_string(),
                };
                let line = match (before, c.action) {
                    (Some(before), _) => format!("{} -> {after}", value(before)),
                    (None, Action::Create) => after,
                    (None, _) => format!("(unset) -> {after}"),
                };
                lines.push((d.name.clone(), line + &comment));
            }
        }
    }
    let width = lines.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, line) in lines {
        let _ = writeln!(out, "      {name:width$} = {line}");
    }
}

fn opt(v: Option<&Value>) -> String {
    v.map(value).unwrap_or_else(|| "(unset)".to_string())
}

fn value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
