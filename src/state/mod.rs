//! The state file: what stackctl created, by address. It is written after every
//! finished step so an interrupted run never loses track of an object.

pub mod file;
pub mod lock;
pub mod migrate;

use crate::address::{Address, CloudId};
use crate::resources::{Attrs, Outputs};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The format this stackctl writes; older files are migrated on load (`migrate`).
pub const FORMAT_VERSION: u32 = migrate::current();

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct State {
    pub version: u32,
    /// Identifies one stack's history: a state of another lineage is another stack.
    pub lineage: String,
    /// Incremented on every write, so a stale copy can be told apart.
    pub serial: u64,
    pub stack: String,
    pub resources: BTreeMap<Address, Record>,
}

/// One managed object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub id: CloudId,
    /// The spec as last applied (references unresolved).
    pub spec: Value,
    /// The attributes as last applied (references resolved): the fallback for any
    /// attribute the live read cannot see.
    pub attrs: Attrs,
    pub outputs: Outputs,
    /// What this object needed when created: destroy deletes those after it.
    pub depends_on: Vec<Address>,
    /// Objects replaced by this one but not deleted yet (create-before-destroy).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<CloudId>,
}

impl State {
    pub fn new(stack: &str) -> Self {
        State {
            version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            stack: stack.to_string(),
            resources: BTreeMap::new(),
        }
    }
}
