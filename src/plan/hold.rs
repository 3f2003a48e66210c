//! Changes an apply holds back: a task definition whose image is not in its
//! repository yet, and what needs it (its service).
//!
//! A Fargate task pulls its image when it starts; a service on an image that does
//! not exist starts tasks that stop at once with CannotPullContainerError, over and
//! over, and a first apply into a new (empty) repository would do exactly that. So
//! the image is looked up before (`engine::images`), and the task definition and its
//! service wait while everything else is applied; the apply then ends with its own
//! exit code and the commands that push the image. Pure, like the planner.

use super::action::Action;
use super::change::{Change, Plan};
use crate::address::Address;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An image a task definition would run that its repository does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingImage {
    /// The stack's repository (`ecr_repository.web`).
    pub repository: Address,
    /// Its URI, once it exists (`123456789012.dkr.ecr.eu-west-2.amazonaws.com/shop-web`).
    pub repository_uri: Option<String>,
    /// The tag, or `@sha256:...`.
    pub reference: String,
    /// The repository is created by this apply, so it cannot hold the image yet.
    pub new_repository: bool,
}

impl MissingImage {
    /// `URI:tag` or `URI@sha256:...`, or the repository's address while it has no URI.
    pub fn image(&self) -> String {
        let repository = self
            .repository_uri
            .clone()
            .unwrap_or_else(|| self.repository.to_string());
        match self.reference.starts_with('@') {
            true => format!("{repository}{}", self.reference),
            false => format!("{repository}:{}", self.reference),
        }
    }
}

/// Why a change is held back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "because", rename_all = "snake_case")]
pub enum Hold {
    /// The task definition's image is not in its repository.
    ImageMissing(MissingImage),
    /// It needs a change that is held back.
    Needs { address: Address },
    /// A running object held back for its image uses it: changing it now would
    /// change what the old tasks run on (their port, their target group).
    UsedBy { address: Address },
}

/// A change the apply leaves for later.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Held {
    pub change: Change,
    pub hold: Hold,
}

impl Held {
    pub fn address(&self) -> &Address {
        &self.change.address
    }
}

/// `plan` without the changes of the task definitions in `missing` and of everything
/// that needs them, which move to `plan.held`. Where a held change touches an object
/// that exists (a running service rolling to an image not pushed yet), the changes of
/// what it uses wait too (a new port on its security group, a new target group):
/// the service keeps running as it is, on the old side of every move, until the next
/// apply after the push. A first apply holds only the new service and what needs it.
pub fn hold_back(mut plan: Plan, missing: &BTreeMap<Address, MissingImage>) -> Plan {
    let mut held_now: BTreeMap<Address, Hold> = missing
        .iter()
        .map(|(a, m)| (a.clone(), Hold::ImageMissing(m.clone())))
        .collect();
    loop {
        let before = held_now.len();
        hold_dependents(&plan, &mut held_now);
        hold_what_running_objects_use(&plan, &mut held_now);
        if held_now.len() == before {
            break;
        }
    }
    let (held, kept): (Vec<Change>, Vec<Change>) = plan
        .changes
        .into_iter()
        .partition(|c| c.action != Action::NoOp && held_now.contains_key(&c.address));
    plan.changes = kept;
    plan.held.extend(held.into_iter().map(|change| Held {
        hold: held_now[&change.address].clone(),
        change,
    }));
    plan
}

/// Holds every change that needs a held one. Dependents are planned after what they
/// depend on, so one pass in plan order reaches every transitive dependent.
fn hold_dependents(plan: &Plan, held: &mut BTreeMap<Address, Hold>) {
    for c in &plan.changes {
        if c.action == Action::NoOp || held.contains_key(&c.address) {
            continue;
        }
        if let Some(needed) = c.depends_on.iter().find(|d| held.contains_key(*d)) {
            let hold = Hold::Needs {
                address: needed.clone(),
            };
            held.insert(c.address.clone(), hold);
        }
    }
}

/// Holds the changes to existing objects that a held change of an existing object
/// uses. In reverse plan order, so what a held object uses through another is reached.
fn hold_what_running_objects_use(plan: &Plan, held: &mut BTreeMap<Address, Hold>) {
    let by_address: BTreeMap<&Address, &Change> =
        plan.changes.iter().map(|c| (&c.address, c)).collect();
    for c in plan.changes.iter().rev() {
        if !held.contains_key(&c.address) || c.action == Action::Create {
            continue;
        }
        for d in &c.depends_on {
            let touches_existing = by_address
                .get(d)
                .is_some_and(|dc| matches!(dc.action, Action::Update | Action::Replace));
            if touches_existing && !held.contains_key(d) {
                let hold = Hold::UsedBy {
                    address: c.address.clone(),
                };
                held.insert(d.clone(), hold);
            }
        }
    }
}
