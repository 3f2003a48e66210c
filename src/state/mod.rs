//! The state: what stackctl created, by address. It is written after every finished
//! step so an interrupted run never loses track of an object; kept in a local file or
//! in S3 (`store`).

pub mod edit;
pub mod error;
pub mod file;
pub mod location;
pub mod lock;
pub mod migrate;
pub mod s3;
pub mod s3_lock;
pub mod store;

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
    /// Creates that were started but whose object is not recorded yet (see `Intent`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub intents: BTreeMap<Address, Intent>,
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

/// A create that was started and not yet recorded. It is written to the state before
/// the create call, and replaced by the object's record once the call has answered; one
/// left behind means a run stopped (crash, kill, lost answer) while AWS may have made the
/// object. The next run looks for that object by its tags before creating anything, and
/// sends the same idempotency token again, so AWS itself refuses a second copy where
/// the API takes one (EC2 ClientToken, ECS clientToken, CloudFront CallerReference).
///
/// It holds the spec and dependencies because the address may have left stack.toml
/// since: what the interrupted run made must still be found, and then deleted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Intent {
    /// The idempotency token of the create, reused by every retry until it is recorded.
    pub token: String,
    /// The spec the create was made with (references unresolved).
    pub spec: Value,
    pub depends_on: Vec<Address>,
    /// Seconds since the Unix epoch when the first attempt began; for people reading
    /// the state.
    pub since: u64,
}

impl Intent {
    pub fn new(spec: Value, depends_on: Vec<Address>) -> Self {
        Intent {
            token: uuid::Uuid::new_v4().to_string(),
            spec,
            depends_on,
            since: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
        }
    }
}

impl State {
    pub fn new(stack: &str) -> Self {
        State {
            version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            stack: stack.to_string(),
            resources: BTreeMap::new(),
            intents: BTreeMap::new(),
        }
    }
}
