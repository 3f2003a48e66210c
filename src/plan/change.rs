//! One planned change and the plan as a whole.

use super::action::Action;
use crate::address::Address;
use crate::resources::Wanted;
use serde::Serialize;
use serde_json::Value;

/// One attribute that differs. `before` is None on create.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    pub name: String,
    pub before: Option<Value>,
    pub after: Wanted,
    /// This attribute cannot change in place: it is why the resource is replaced.
    pub forces_replacement: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    pub diffs: Vec<FieldDiff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The desired spec (None for deletes).
    #[serde(skip)]
    pub spec: Option<Value>,
    /// Desired dependencies for creates and updates; recorded ones for deletes.
    pub depends_on: Vec<Address>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Every resource, in dependency order; deletes in reverse dependency order last.
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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
        s
    }

    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
    }

    pub fn pending(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action != Action::NoOp)
    }
}
