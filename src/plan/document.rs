//! The plan as a JSON document: what `plan --json` prints and `plan --out` saves.
//! One schema for both, so a saved plan can be reviewed with the same tools that read
//! `--json`. The document carries every spec, so `apply FILE` runs exactly the
//! reviewed plan, and the state it was made against, so it is refused once that state
//! has moved on. The format is documented in docs/json.md; fields are only ever added.

use super::action::Action;
use super::change::{Cause, Change, Class, FieldDiff, Plan, Reason, Summary};
use crate::address::{Address, Kind};
use crate::config::security::Warning;
use crate::resources::{Wanted, registry};
use crate::state::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const FORMAT: &str = "stackctl-plan";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDocument {
    pub format: String,
    pub format_version: u32,
    pub stack: String,
    pub region: String,
    /// The state the plan was made against: its lineage (None when no state had been
    /// written yet) and serial.
    pub state_lineage: Option<String>,
    pub state_serial: u64,
    pub has_changes: bool,
    pub summary: Summary,
    /// Pending changes only, in the order they were planned.
    pub changes: Vec<ChangeDocument>,
    /// Old objects earlier replacements left behind; apply deletes them. Read from the
    /// state again when the plan is applied (the state must be the one planned against).
    #[serde(default)]
    pub deposed: Vec<super::Deposed>,
    /// Secure defaults stack.toml turns off (docs/security.md). Added within format
    /// version 1: a plan saved before it has none.
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// Changes held back until an image is pushed (a task definition whose image its
    /// repository does not hold, and its service), with their specs; applying the
    /// plan leaves them out. Added within format version 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldDocument {
    #[serde(flatten)]
    pub change: ChangeDocument,
    pub hold: super::Hold,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeDocument {
    pub address: Address,
    pub kind: Kind,
    pub action: Action,
    pub class: Class,
    pub reason: Option<Reason>,
    pub warning: Option<String>,
    pub fields: Vec<FieldDocument>,
    pub depends_on: Vec<Address>,
    /// The spec apply will use (None for deletes).
    pub spec: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDocument {
    pub name: String,
    /// None on create.
    pub before: Option<Value>,
    /// None when known only after apply (`after_known` false).
    pub after: Option<Value>,
    pub after_known: bool,
    pub forces_replacement: bool,
    pub cause: Cause,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DocumentError {
    #[error("not a stackctl plan (expected a file written by `stackctl plan --out`): {0}")]
    NotAPlan(String),
    #[error(
        "the plan has format version {0}, this stackctl reads version {FORMAT_VERSION}: \
         apply it with the stackctl that made it"
    )]
    Version(u32),
    #[error("the plan is for stack `{planned}`, but stack.toml describes `{current}`")]
    OtherStack { planned: String, current: String },
    #[error(
        "the state changed since this plan was made ({planned} -> {current}); run \
         `stackctl plan --out FILE` again and review the new plan"
    )]
    Stale { planned: String, current: String },
}

impl PlanDocument {
    pub fn new(plan: &Plan, state: &State, region: &str) -> Self {
        PlanDocument {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            stack: state.stack.clone(),
            region: region.to_string(),
            state_lineage: (state.serial > 0).then(|| state.lineage.clone()),
            state_serial: state.serial,
            has_changes: plan.has_changes(),
            summary: plan.summary(),
            changes: plan.pending().map(ChangeDocument::from).collect(),
            deposed: plan.deposed.clone(),
            warnings: Vec::new(),
            held: plan
                .held
                .iter()
                .map(|h| HeldDocument {
                    change: ChangeDocument::from(&h.change),
                    hold: h.hold.clone(),
                })
                .collect(),
        }
    }

    pub fn with_warnings(mut self, warnings: Vec<Warning>) -> Self {
        self.warnings = warnings;
        self
    }

    pub fn parse(text: &str) -> Result<Self, DocumentError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| DocumentError::NotAPlan(e.to_string()))?;
        match value.get("format").and_then(Value::as_str) {
            Some(FORMAT) => {}
            other => {
                return Err(DocumentError::NotAPlan(format!(
                    "its \"format\" is {}",
                    other.map_or("missing".to_string(), |f| format!("{f:?}"))
                )));
            }
        }
        let version = value
            .get("format_version")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if version != u64::from(FORMAT_VERSION) {
            return Err(DocumentError::Version(version as u32));
        }
        serde_json::from_value(value).map_err(|e| DocumentError::NotAPlan(e.to_string()))
    }

    /// The plan, if it was made against exactly `state`.
    pub fn plan_for(&self, state: &State) -> Result<Plan, DocumentError> {
        if self.stack != state.stack {
            return Err(DocumentError::OtherStack {
                planned: self.stack.clone(),
                current: state.stack.clone(),
            });
        }
        let current_lineage = (state.serial > 0).then(|| state.lineage.clone());
        if self.state_lineage != current_lineage || self.state_serial != state.serial {
            let describe = |l: &Option<String>, s: u64| match l {
                Some(l) => format!("lineage {l} serial {s}"),
                None => "no state".to_string(),
            };
            return Err(DocumentError::Stale {
                planned: describe(&self.state_lineage, self.state_serial),
                current: describe(&current_lineage, state.serial),
            });
        }
        Ok(Plan {
            changes: self.changes.iter().map(ChangeDocument::to_change).collect(),
            deposed: super::deposed_in(state),
            held: self
                .held
                .iter()
                .map(|h| super::Held {
                    change: h.change.to_change(),
                    hold: h.hold.clone(),
                })
                .collect(),
        })
    }
}

impl From<&Change> for ChangeDocument {
    fn from(c: &Change) -> Self {
        ChangeDocument {
            address: c.address.clone(),
            kind: c.address.kind(),
            action: c.action,
            class: c.class,
            reason: c.reason,
            warning: c.warning.map(str::to_string),
            fields: c.diffs.iter().map(FieldDocument::from).collect(),
            depends_on: c.depends_on.clone(),
            spec: c.spec.clone().filter(|_| c.action != Action::Delete),
        }
    }
}

impl ChangeDocument {
    fn to_change(&self) -> Change {
        Change {
            address: self.address.clone(),
            action: self.action,
            class: self.class,
            diffs: self.fields.iter().map(FieldDocument::to_diff).collect(),
            reason: self.reason,
            warning: (self.action == Action::Replace)
                .then(|| registry::replace_warning(self.address.kind()))
                .flatten(),
            spec: self.spec.clone(),
            depends_on: self.depends_on.clone(),
        }
    }
}

impl From<&FieldDiff> for FieldDocument {
    fn from(d: &FieldDiff) -> Self {
        let (after, after_known) = match &d.after {
            Wanted::Known(v) => (Some(v.clone()), true),
            Wanted::Unknown => (None, false),
        };
        FieldDocument {
            name: d.name.clone(),
            before: d.before.clone(),
            after,
            after_known,
            forces_replacement: d.forces_replacement,
            cause: d.cause,
        }
    }
}

impl FieldDocument {
    fn to_diff(&self) -> FieldDiff {
        FieldDiff {
            name: self.name.clone(),
            before: self.before.clone(),
            after: match (&self.after, self.after_known) {
                (Some(v), true) => Wanted::Known(v.clone()),
                _ => Wanted::Unknown,
            },
            forces_replacement: self.forces_replacement,
            cause: self.cause,
        }
    }
}
