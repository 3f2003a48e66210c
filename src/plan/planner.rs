//! The planner. Pure: it sees the desired resources, the state and the refreshed
//! live view, and decides per resource. Resources are planned in dependency order,
//! so a reference to something that will be created or replaced is known to be
//! "(known after apply)" when its dependents are planned.

use super::action::Action;
use super::change::{Change, FieldDiff, Plan, Reason};
use crate::address::Address;
use crate::aws::AwsError;
use crate::desired::Desired;
use crate::graph::{Graph, GraphError};
use crate::resources::{Live, Lookup, Outputs, Ref, Wanted, registry};
use crate::state::State;
use std::collections::BTreeMap;

/// The live view of each recorded resource: None when AWS says it is gone.
pub type Observed = BTreeMap<Address, Option<Live>>;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Spec(#[from] AwsError),
}

/// Outputs that are known at plan time: those of resources that keep their object.
struct Known<'a> {
    outputs: BTreeMap<&'a Address, &'a Outputs>,
}

impl Lookup for Known<'_> {
    fn output(&self, r: &Ref) -> Option<String> {
        self.outputs
            .get(&r.to)
            .and_then(|o| o.get(&r.output))
            .cloned()
    }
}

pub fn plan(desired: &[Desired], state: &State, observed: &Observed) -> Result<Plan, PlanError> {
    let by_address: BTreeMap<&Address, &Desired> =
        desired.iter().map(|d| (&d.address, d)).collect();
    let graph = Graph::new(
        desired
            .iter()
            .map(|d| (d.address.clone(), d.dependencies())),
    );
    let mut known = Known {
        outputs: BTreeMap::new(),
    };
    let mut changes = Vec::new();
    for address in graph.order()? {
        let d = by_address[&address];
        let kind = address.kind();
        let wanted = registry::wanted(kind, &d.spec, &known)?;
        let record = state.resources.get(&address);
        let live = observed.get(&address).and_then(Option::as_ref);
        let (action, reason, diffs) = match (record, live) {
            (None, _) => (Action::Create, None, creation_diffs(&wanted)),
            (Some(_), None) => (
                Action::Create,
                Some(Reason::DeletedOutside),
                creation_diffs(&wanted),
            ),
            (Some(record), Some(live)) => {
                let replace_on = registry::replace_on(kind);
                let mut diffs = Vec::new();
                for (name, want) in &wanted {
                    // What the live read cannot see is compared with the last apply.
                    let have = live.attrs.get(name).or_else(|| record.attrs.get(name));
                    let same = matches!((want, have), (Wanted::Known(w), Some(h)) if w == h);
                    if !same {
                        diffs.push(FieldDiff {
                            name: name.clone(),
                            before: have.cloned(),
                            after: want.clone(),
                            forces_replacement: replace_on.contains(&name.as_str()),
                        });
                    }
                }
                let only_unknown =
                    !diffs.is_empty() && diffs.iter().all(|f| f.after == Wanted::Unknown);
                let reason = only_unknown.then_some(Reason::DependencyReplaced);
                if diffs.iter().any(|f| f.forces_replacement) {
                    (Action::Replace, reason, diffs)
                } else if !diffs.is_empty() {
                    (Action::Update, reason, diffs)
                } else {
                    (Action::NoOp, None, diffs)
                }
            }
        };
        if matches!(action, Action::NoOp | Action::Update) {
            // Live outputs win: they are what AWS says now.
            if let Some(outputs) = live.map(|l| &l.outputs).or(record.map(|r| &r.outputs)) {
                known.outputs.insert(&d.address, outputs);
            }
        }
        changes.push(Change {
            address: address.clone(),
            action,
            diffs,
            reason,
            spec: Some(d.spec.clone()),
            depends_on: d.dependencies(),
        });
    }
    // Recorded but no longer desired: delete, dependents first.
    let removed = Graph::new(
        state
            .resources
            .iter()
            .filter(|(a, _)| !by_address.contains_key(a))
            .map(|(a, r)| (a.clone(), r.depends_on.clone())),
    );
    for address in removed.reversed().order()? {
        let record = &state.resources[&address];
        changes.push(Change {
            address,
            action: Action::Delete,
            diffs: Vec::new(),
            reason: Some(Reason::RemovedFromConfig),
            spec: None,
            depends_on: record.depends_on.clone(),
        });
    }
    Ok(Plan { changes })
}

/// Destroy: every recorded resource, dependents first.
pub fn plan_destroy(state: &State) -> Result<Plan, PlanError> {
    let graph = Graph::new(
        state
            .resources
            .iter()
            .map(|(a, r)| (a.clone(), r.depends_on.clone())),
    );
    let changes = graph
        .reversed()
        .order()?
        .into_iter()
        .map(|address| {
            let depends_on = state.resources[&address].depends_on.clone();
            Change {
                address,
                action: Action::Delete,
                diffs: Vec::new(),
                reason: None,
                spec: None,
                depends_on,
            }
        })
        .collect();
    Ok(Plan { changes })
}

fn creation_diffs(wanted: &crate::resources::WantedAttrs) -> Vec<FieldDiff> {
    wanted
        .iter()
        .map(|(name, w)| FieldDiff {
            name: name.clone(),
            before: None,
            after: w.clone(),
            forces_replacement: false,
        })
        .collect()
}
