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
/// that needs them, which move to `plan.held`.
pub fn hold_back(mut plan: Plan, missing: &BTreeMap<Address, MissingImage>) -> Plan {
    let mut held_now: BTreeMap<Address, Hold> = missing
        .iter()
        .map(|(a, m)| (a.clone(), Hold::ImageMissing(m.clone())))
        .collect();
    // Dependents are planned after what they depend on, so one pass in plan order
    // reaches every transitive dependent.
    for c in &plan.changes {
        if c.action == Action::NoOp || held_now.contains_key(&c.address) {
            continue;
        }
        if let Some(needed) = c.depends_on.iter().find(|d| held_now.contains_key(*d)) {
            let hold = Hold::Needs {
                address: needed.clone(),
            };
            held_now.insert(c.address.clone(), hold);
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
