//! The planner. Pure: it sees the desired resources, the state and the refreshed
//! live view, and decides per resource. Resources are planned in dependency order,
//! so a reference to something that will be created or replaced is known to be
//! "(known after apply)" when its dependents are planned.

use super::action::Action;
use super::change::{Cause, Change, Class, FieldDiff, Plan, Reason, deposed_in};
use crate::address::{Address, Kind};
use crate::aws::AwsError;
use crate::desired::Desired;
use crate::graph::{Graph, GraphError};
use crate::resources::{Attrs, Live, Lookup, Outputs, Ref, Wanted, WantedAttrs, registry};
use crate::state::{Record, State};
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
    let mut classes: BTreeMap<Address, Class> = BTreeMap::new();
    let mut changes = Vec::new();
    for address in graph.order()? {
        let d = by_address[&address];
        let kind = address.kind();
        let record = state.resources.get(&address);
        let live = observed.get(&address).and_then(Option::as_ref);
        let spec = match live {
            Some(live) => registry::keep_deployed(kind, &d.spec, &known, live)?,
            None => None,
        }
        .unwrap_or_else(|| d.spec.clone());
        let wanted = registry::wanted(kind, &spec, &known)?;
        let (action, reason, diffs) = match (record, live) {
            (None, _) => (Action::Create, None, creation_diffs(&wanted)),
            (Some(_), None) => (
                Action::Create,
                Some(Reason::DeletedOutside),
                creation_diffs(&wanted),
            ),
            (Some(record), Some(live)) => {
                let diffs = field_diffs(kind, &wanted, &record.attrs, live);
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
        let depends_on = d.dependencies();
        let class = classify(kind, action, &diffs, &depends_on, &classes);
        let warning = match action {
            Action::Replace => registry::replace_warning(kind),
            Action::Update => registry::update_warning(kind, diffs.iter().map(|d| d.name.as_str())),
            _ => None,
        };
        classes.insert(address.clone(), class);
        changes.push(Change {
            address: address.clone(),
            action,
            class,
            diffs,
            reason,
            warning,
            spec: Some(spec),
            depends_on,
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
        changes.push(deletion(address, record, Some(Reason::RemovedFromConfig)));
    }
    Ok(Plan {
        changes,
        deposed: deposed_in(state),
        held: Vec::new(),
    })
}

/// The attributes that differ between what stack.toml wants and what AWS has, each
/// told whether stack.toml moved, AWS moved (drift), or both, against the last apply.
fn field_diffs(kind: Kind, wanted: &WantedAttrs, recorded: &Attrs, live: &Live) -> Vec<FieldDiff> {
    let replace_on = registry::replace_on(kind);
    let mut diffs = Vec::new();
    for (name, want) in wanted {
        let applied = recorded.get(name);
        // What the live read cannot see is compared with the last apply.
        let have = live.attrs.get(name).or(applied);
        if matches!((want, have), (Wanted::Known(w), Some(h)) if w == h) {
            continue;
        }
        let drifted = matches!((live.attrs.get(name), applied), (Some(l), Some(r)) if l != r);
        let edited = !matches!((want, applied), (Wanted::Known(w), Some(r)) if w == r);
        let cause = match (edited, drifted) {
            (true, true) => Cause::Both,
            (false, true) => Cause::Drift,
            _ => Cause::Config,
        };
        diffs.push(FieldDiff {
            name: name.clone(),
            before: have.cloned(),
            after: want.clone(),
            forces_replacement: replace_on.contains(&name.as_str()),
            cause,
        });
    }
    diffs
}

/// The label of a change. Deploy-only: every differing attribute is one of the kind's
/// deploy attributes, and whatever it depends on that changes is itself deploy-only
/// (a service rolling to a new revision is a deploy when only the image moved).
fn classify(
    kind: Kind,
    action: Action,
    diffs: &[FieldDiff],
    depends_on: &[Address],
    classes: &BTreeMap<Address, Class>,
) -> Class {
    let deploy_attrs = registry::deploy_attrs(kind);
    let deploy_only = !diffs.is_empty()
        && diffs
            .iter()
            .all(|d| d.cause != Cause::Drift && deploy_attrs.contains(&d.name.as_str()))
        && depends_on.iter().all(|a| {
            matches!(
                classes.get(a),
                None | Some(Class::NoOp) | Some(Class::DeployOnly)
            )
        });
    match action {
        Action::NoOp => Class::NoOp,
        Action::Create => Class::Create,
        Action::Delete => Class::Delete,
        _ if deploy_only => Class::DeployOnly,
        Action::Update => Class::InPlace,
        Action::Replace => Class::Replacement,
    }
}

fn deletion(address: Address, record: &Record, reason: Option<Reason>) -> Change {
    Change {
        address,
        action: Action::Delete,
        class: Class::Delete,
        diffs: Vec::new(),
        reason,
        warning: None,
        spec: None,
        depends_on: record.depends_on.clone(),
    }
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
            let record = &state.resources[&address];
            deletion(address, record, None)
        })
        .collect();
    Ok(Plan {
        changes,
        deposed: deposed_in(state),
        held: Vec::new(),
    })
}

fn creation_diffs(wanted: &WantedAttrs) -> Vec<FieldDiff> {
    wanted
        .iter()
        .map(|(name, w)| FieldDiff {
            name: name.clone(),
            before: None,
            after: w.clone(),
            forces_replacement: false,
            cause: Cause::Config,
        })
        .collect()
}
