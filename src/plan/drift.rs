//! Drift: where AWS no longer holds what stackctl last applied. Pure: it compares the
//! recorded attributes with the refreshed live view and knows nothing of stack.toml,
//! so an edit to stack.toml never shows up as drift.

use super::planner::Observed;
use crate::address::Address;
use crate::state::State;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftedField {
    pub name: String,
    pub recorded: Value,
    pub live: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    /// Settings differ from the last apply.
    Changed,
    /// The object is gone.
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftedResource {
    pub address: Address,
    pub id: String,
    pub status: DriftStatus,
    pub fields: Vec<DriftedField>,
}

/// Every recorded resource whose live object differs from the last apply, by address.
/// Attributes the live read cannot see are never drift: there is nothing to compare.
pub fn drift(state: &State, observed: &Observed) -> Vec<DriftedResource> {
    let mut out = Vec::new();
    for (address, record) in &state.resources {
        let Some(seen) = observed.get(address) else {
            continue;
        };
        let Some(live) = seen else {
            out.push(DriftedResource {
                address: address.clone(),
                id: record.id.to_string(),
                status: DriftStatus::Deleted,
                fields: Vec::new(),
            });
            continue;
        };
        let fields: Vec<DriftedField> = record
            .attrs
            .iter()
            .filter_map(|(name, recorded)| {
                let live = live.attrs.get(name)?;
                (live != recorded).then(|| DriftedField {
                    name: name.clone(),
                    recorded: recorded.clone(),
                    live: live.clone(),
                })
            })
            .collect();
        if !fields.is_empty() {
            out.push(DriftedResource {
                address: address.clone(),
                id: record.id.to_string(),
                status: DriftStatus::Changed,
                fields,
            });
        }
    }
    out
}
