//! The resource graph as text for `stackctl graph`: Graphviz DOT or a Mermaid
//! flowchart. An edge A -> B reads "A needs B": B is created before A and deleted
//! after it. An edge labelled `ready` is one where A waits for B to be ready (NAT
//! available, ALB active), not merely created (`Resource::READY_BEFORE`): those are
//! the edges that add AWS's waits up.

use crate::address::Address;
use crate::desired::Desired;
use crate::resources::registry;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
}

/// One edge: from the dependent to what it needs.
struct Edge<'a> {
    from: &'a Address,
    to: Address,
    ready: bool,
}

fn edges(resources: &[Desired]) -> Vec<Edge<'_>> {
    resources
        .iter()
        .flat_map(|d| {
            d.dependencies().into_iter().map(move |to| Edge {
                ready: registry::ready_before(to.kind()).contains(&d.address.kind()),
                from: &d.address,
                to,
            })
        })
        .collect()
}

pub fn render(stack: &str, resources: &[Desired], format: Format) -> String {
    match format {
        Format::Dot => dot(stack, resources),
        Format::Mermaid => mermaid(resources),
    }
}

fn dot(stack: &str, resources: &[Desired]) -> String {
    let mut out = format!("digraph {} {{\n", quoted(stack));
    out.push_str("  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
    for d in resources {
        out.push_str(&format!("  {};\n", quoted(&d.address.to_string())));
    }
    for e in edges(resources) {
        let label = if e.ready { " [label=\"ready\"]" } else { "" };
        out.push_str(&format!(
            "  {} -> {}{label};\n",
            quoted(&e.from.to_string()),
            quoted(&e.to.to_string())
        ));
    }
    out.push_str("}\n");
    out
}

fn mermaid(resources: &[Desired]) -> String {
    let mut out = String::from("flowchart LR\n");
    for d in resources {
        out.push_str(&format!(
            "  {}[\"{}\"]\n",
            mermaid_id(&d.address),
            d.address
        ));
    }
    for e in edges(resources) {
        let arrow = if e.ready { "-- ready -->" } else { "-->" };
        out.push_str(&format!(
            "  {} {arrow} {}\n",
            mermaid_id(e.from),
            mermaid_id(&e.to)
        ));
    }
    out
}

/// A DOT string: quotes and backslashes escaped.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Mermaid node ids take letters, digits and underscores: `_` doubles, and `.` and `-`
/// become `_d_` and `_h_`, so that no two addresses share an id.
fn mermaid_id(a: &Address) -> String {
    a.to_string()
        .replace('_', "__")
        .replace('.', "_d_")
        .replace('-', "_h_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Kind;
    use crate::resources::Ref;
    use serde_json::json;

    fn stack() -> Vec<Desired> {
        let vpc = Address::new(Kind::Vpc, "main");
        let nat = Address::new(Kind::NatGateway, "nat-0");
        let table = Address::new(Kind::RouteTable, "private");
        vec![
            Desired::new(vpc.clone(), json!({})),
            Desired::new(nat.clone(), json!({})),
            Desired::new(table, json!({ "vpc": Ref::id(vpc), "nat": Ref::id(nat) })),
        ]
    }

    #[test]
    fn dot_has_every_resource_and_each_need_with_the_ready_edges_labelled() {
        let text = render("demo", &stack(), Format::Dot);
        assert_eq!(
            text,
            "digraph \"demo\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n  \
             \"vpc.main\";\n  \"nat_gateway.nat-0\";\n  \"route_table.private\";\n  \
             \"route_table.private\" -> \"vpc.main\";\n  \
             \"route_table.private\" -> \"nat_gateway.nat-0\" [label=\"ready\"];\n}\n"
        );
    }

    #[test]
    fn mermaid_ids_are_plain_and_distinct() {
        let text = render("demo", &stack(), Format::Mermaid);
        assert!(text.starts_with("flowchart LR\n"), "{text}");
        assert!(
            text.contains("  nat__gateway_d_nat_h_0[\"nat_gateway.nat-0\"]\n"),
            "{text}"
        );
        assert!(
            text.contains("  route__table_d_private -- ready --> nat__gateway_d_nat_h_0\n"),
            "{text}"
        );
        assert!(
            text.contains("  route__table_d_private --> vpc_d_main\n"),
            "{text}"
        );
        let a = mermaid_id(&Address::new(Kind::Subnet, "a-b"));
        let b = mermaid_id(&Address::new(Kind::Subnet, "a_b"));
        assert_ne!(a, b);
    }
}
