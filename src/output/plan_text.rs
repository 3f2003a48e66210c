//! A plan as text: changes made outside stackctl first, apart from the edits to
//! stack.toml, one block per resource with its label and field diffs, warnings for
//! replacements that interrupt traffic, the secure defaults stack.toml turns off,
//! then the summary line people and scripts look for.

use crate::config::security::Warning;
use crate::plan::{Action, Cause, Change, Class, Plan};
use crate::resources::Wanted;
use serde_json::Value;
use std::fmt::Write;

pub const NO_CHANGES: &str = "No changes. The stack matches stack.toml.";

pub fn render(plan: &Plan) -> String {
    render_with_warnings(plan, &[])
}

/// The plan with the secure defaults stack.toml turns off, listed before the last
/// line whether or not anything changes: a stack keeps warning for as long as it
/// runs with a default off.
pub fn render_with_warnings(plan: &Plan, warnings: &[Warning]) -> String {
    render_with_notes(plan, warnings, "")
}

/// The plan with `notes` (the slow steps and the cost estimate) after the warnings,
/// before the last line.
pub fn render_with_notes(plan: &Plan, warnings: &[Warning], notes: &str) -> String {
    let mut out = changes(plan);
    if !warnings.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Warning: stack.toml turns off secure defaults (see docs/security.md):\n");
        for w in warnings {
            let _ = writeln!(out, "  - {} {}", w.key, w.message);
        }
    }
    if !notes.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(notes);
    }
    if !plan.has_changes() {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{NO_CHANGES}");
        return out;
    }
    let s = plan.summary();
    let held = match plan.held.len() {
        0 => String::new(),
        n => format!("; {n} held back until an image is pushed"),
    };
    let _ = writeln!(
        out,
        "\nPlan: {} to add, {} to change, {} to destroy{held}.",
        s.add, s.change, s.destroy
    );
    out
}

/// Everything above the summary line; empty when nothing changes.
fn changes(plan: &Plan) -> String {
    if !plan.has_changes() {
        return String::new();
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
    if !plan.held.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Held back until the image is pushed (apply makes everything else first):\n");
        for h in &plan.held {
            change(&mut out, &h.change);
            let _ = writeln!(out, "      (held back: {})", super::held::reason(&h.hold));
        }
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

/// The steps of `plan` that wait on AWS for minutes, with AWS's usual times, so a
/// person knows what they start; empty when there are none. A delete is judged by
/// the spec `state` records.
pub fn slow_steps(plan: &Plan, state: &crate::state::State) -> String {
    let mut out = String::new();
    for c in plan.pending() {
        let recorded = state.resources.get(&c.address).map(|r| &r.spec);
        let null = serde_json::Value::Null;
        let spec = c.spec.as_ref().or(recorded).unwrap_or(&null);
        if let Some((low, high)) =
            crate::resources::registry::usual_minutes(c.address.kind(), c.action, spec)
        {
            let _ = writeln!(
                out,
                "  {} ({}): usually {low}-{high} min",
                c.address,
                c.action.verb().0
            );
        }
    }
    if out.is_empty() {
        return out;
    }
    format!("Slow steps (they run side by side where the graph allows):\n{out}")
}

/// The monthly cost estimate of the stack as `after` describes it, against `before`
/// (the specs of what the state records), from the built-in prices of `region`.
pub fn estimate(
    region: &str,
    after: &std::collections::BTreeMap<crate::address::Address, Value>,
    before: &std::collections::BTreeMap<crate::address::Address, Value>,
) -> String {
    use crate::plan::cost;
    let (prices, known) = cost::prices(region);
    let items = cost::items(after, &prices);
    let (now, then) = (
        cost::total(&items),
        cost::total(&cost::items(before, &prices)),
    );
    let mut out = format!(
        "Estimated monthly cost, USD: on-demand prices of {} (built in, {}; see docs/costs.md), \
         without usage (data, requests, logs):\n",
        if known {
            region
        } else {
            "us-east-1, standing in for an unlisted region"
        },
        cost::PRICES_AS_OF
    );
    let width = items
        .iter()
        .map(|i| i.what.chars().count())
        .max()
        .unwrap_or(0);
    for i in &items {
        let _ = match i.up_to {
            None => writeln!(out, "  {:width$}  ${:>8.2}", i.what, i.monthly),
            Some(max) => writeln!(
                out,
                "  {:width$}  ${:>8.2} to ${max:.2} (scaled)",
                i.what, i.monthly
            ),
        };
    }
    let change = now - then;
    let up_to = cost::total_up_to(&items)
        .map(|max| format!(" (up to ${max:.2} with every scaled service at its max)"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  total ${now:.2}/month{up_to}; now ${then:.2}; change {}${:.2}",
        if change < 0.0 { "-" } else { "+" },
        change.abs()
    );
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Summary;

    fn warning(key: &str, message: &str) -> Warning {
        Warning {
            key: key.into(),
            message: message.into(),
        }
    }

    #[test]
    fn no_changes_and_no_warnings_is_the_one_line() {
        assert_eq!(render(&Plan::default()), format!("{NO_CHANGES}\n"));
        assert_eq!(
            render_with_warnings(&Plan::default(), &[]),
            format!("{NO_CHANGES}\n")
        );
    }

    #[test]
    fn warnings_come_before_the_last_line_with_or_without_changes() {
        let warnings = [
            warning("load_balancer.deletion_protection", "is false: exposed"),
            warning("services.web.env.DB_PASSWORD", "looks like a secret"),
        ];
        let text = render_with_warnings(&Plan::default(), &warnings);
        assert_eq!(
            text,
            format!(
                "Warning: stack.toml turns off secure defaults (see docs/security.md):\n\
                 \x20 - load_balancer.deletion_protection is false: exposed\n\
                 \x20 - services.web.env.DB_PASSWORD looks like a secret\n\
                 \n{NO_CHANGES}\n"
            )
        );

        let plan = Plan {
            changes: vec![Change {
                address: "vpc.main".parse().unwrap(),
                action: Action::Create,
                class: Class::Create,
                diffs: Vec::new(),
                reason: None,
                warning: None,
                spec: None,
                depends_on: Vec::new(),
            }],
            deposed: Vec::new(),
            held: Vec::new(),
        };
        assert_eq!(
            plan.summary(),
            Summary {
                add: 1,
                change: 0,
                destroy: 0
            }
        );
        let text = render_with_warnings(&plan, &warnings[..1]);
        assert_eq!(
            text,
            "  + vpc.main\n\
             \nWarning: stack.toml turns off secure defaults (see docs/security.md):\n\
             \x20 - load_balancer.deletion_protection is false: exposed\n\
             \nPlan: 1 to add, 0 to change, 0 to destroy.\n"
        );
    }
}

#[cfg(test)]
mod slow_step_tests {
    use super::*;
    use crate::address::Address;
    use crate::state::{Record, State};

    /// The production example: the domain's validation record waits for ACM, its
    /// alias records do not; a delete is judged by the recorded spec (a NAT gateway
    /// takes minutes to go).
    #[test]
    fn slow_steps_are_judged_by_each_object_s_spec() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/production/stack.toml"),
        )
        .unwrap();
        let v = crate::config::parse(std::path::Path::new("stack.toml"), &text, None).unwrap();
        let desired = crate::config::expand::expand(&v, &crate::engine::zones::lettered(&v));
        let empty = State::new("shop");
        let plan = crate::plan::plan(&desired, &empty, &Default::default()).unwrap();
        let slow = slow_steps(&plan, &empty);
        assert!(
            slow.contains("dns_record.validation (creating): usually 2-30 min"),
            "{slow}"
        );
        assert!(!slow.contains("dns_record.a "), "{slow}");

        let nat: Address = "nat_gateway.nat-0".parse().unwrap();
        let spec = desired
            .iter()
            .find(|d| d.address == nat)
            .unwrap()
            .spec
            .clone();
        let mut state = State::new("shop");
        state.resources.insert(
            nat.clone(),
            Record {
                id: crate::address::CloudId::new("nat-0123"),
                spec,
                attrs: Default::default(),
                outputs: Default::default(),
                depends_on: Vec::new(),
                deposed: Vec::new(),
            },
        );
        let plan = crate::plan::plan(&[], &state, &Default::default()).unwrap();
        let slow = slow_steps(&plan, &state);
        assert!(
            slow.contains("nat_gateway.nat-0 (destroying): usually 1-2 min"),
            "{slow}"
        );
    }
}
