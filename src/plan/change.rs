//! One planned change and the plan as a whole.

use super::action::Action;
use crate::address::{Address, CloudId};
use crate::resources::Wanted;
use crate::state::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why an attribute differs. Drift (someone changed the object outside stackctl) is
/// told apart from edits to stack.toml, so a reviewer knows which of the two an apply
/// is about to undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// stack.toml asks for something other than what was last applied.
    Config,
    /// AWS holds something other than what was last applied; stack.toml did not move.
    Drift,
    /// Both moved.
    Both,
}

/// One attribute that differs. `before` is None on create.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    pub name: String,
    pub before: Option<Value>,
    pub after: Wanted,
    /// This attribute cannot change in place: it is why the resource is replaced.
    pub forces_replacement: bool,
    pub cause: Cause,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Recorded in state but gone from AWS.
    DeletedOutside,
    /// No longer in stack.toml.
    RemovedFromConfig,
    /// A resource it depends on is replaced, so its reference changes.
    DependencyReplaced,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::DeletedOutside => "deleted outside stackctl",
            Reason::RemovedFromConfig => "no longer in stack.toml",
            Reason::DependencyReplaced => "a resource it uses is replaced",
        }
    }
}

/// What a change means for the running app, the label a reviewer reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    NoOp,
    Create,
    /// Only a new image rolls out: a new task definition revision and a service update.
    DeployOnly,
    InPlace,
    Replacement,
    Delete,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::NoOp => "no change",
            Class::Create => "create",
            Class::DeployOnly => "deploy-only",
            Class::InPlace => "in place",
            Class::Replacement => "replacement",
            Class::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    pub class: Class,
    pub diffs: Vec<FieldDiff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Set when a replacement interrupts traffic: what a user of the app will notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<&'static str>,
    /// The desired spec (None for deletes).
    #[serde(skip)]
    pub spec: Option<Value>,
    /// Desired dependencies for creates and updates; recorded ones for deletes.
    pub depends_on: Vec<Address>,
}

/// A change that creates or updates an object, with the spec it applies: what the
/// walker's apply steps take, so that none of them has to ask for the spec.
#[derive(Debug, Clone, Copy)]
pub struct Applying<'a> {
    pub change: &'a Change,
    pub spec: &'a Value,
}

impl Change {
    /// This change with its spec, for an apply step; `None` when it has no spec (a
    /// delete, or a saved plan edited by hand).
    pub fn applying(&self) -> Option<Applying<'_>> {
        let spec = self.spec.as_ref()?;
        Some(Applying { change: self, spec })
    }

    /// True when every differing attribute moved outside stackctl, not in stack.toml.
    pub fn is_drift_only(&self) -> bool {
        self.reason == Some(Reason::DeletedOutside)
            || (!self.diffs.is_empty() && self.diffs.iter().all(|d| d.cause == Cause::Drift))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Every resource, in dependency order; deletes in reverse dependency order last.
    pub changes: Vec<Change>,
    /// Objects replaced earlier and not deleted yet; apply deletes them.
    pub deposed: Vec<Deposed>,
    /// Changes apply leaves for later: a task definition whose image is not pushed
    /// yet, and its service (see `hold`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<super::hold::Held>,
}

/// An old object a create-first replacement left behind: the run that replaced it
/// stopped (or failed) before deleting it. The state keeps it with the address it was
/// replaced under; apply deletes it once nothing that uses the address points at it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deposed {
    pub address: Address,
    pub id: CloudId,
}

/// Every deposed object `state` records.
pub fn deposed_in(state: &State) -> Vec<Deposed> {
    state
        .resources
        .iter()
        .flat_map(|(address, r)| {
            r.deposed.iter().map(|id| Deposed {
                address: address.clone(),
                id: id.clone(),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => {
                    s.add += 1;
                    s.destroy += 1
                }
                Action::Delete => s.destroy += 1,
                Action::NoOp => {}
            }
        }
        s.destroy += self.deposed.len();
        s
    }

    /// Anything to do, held back or not.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
            || !self.deposed.is_empty()
            || !self.held.is_empty()
    }

    /// Something for the walk to do now (a plan may hold changes back and have
    /// nothing else).
    pub fn has_work(&self) -> bool {
        self.pending().next().is_some() || !self.deposed.is_empty()
    }

    pub fn pending(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action != Action::NoOp)
    }
}
