//! The engine's one event stream. Progress lines, the JSON stream and tests are all
//! consumers of it; nothing in the engine or the resources prints.

use crate::address::{Address, CloudId};
use crate::plan::Action;
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        address: Address,
        action: Action,
    },
    /// The object exists and is recorded in state; waiting for it may follow.
    Recorded {
        address: Address,
        id: CloudId,
    },
    Finished {
        address: Address,
        action: Action,
        #[serde(with = "secs")]
        elapsed: Duration,
    },
    Failed {
        address: Address,
        action: Action,
        error: String,
    },
    /// AWS refused a call of the step with an error it gives while something just
    /// made has not reached all of its servers (`aws::propagation`); the call is sent
    /// again until `bound` has passed.
    Retrying {
        address: Address,
        operation: String,
        /// AWS's code and message.
        error: String,
        /// Since the first refusal.
        #[serde(with = "secs")]
        elapsed: Duration,
        #[serde(with = "secs")]
        bound: Duration,
    },
    /// Not attempted because something it needs failed.
    Skipped {
        address: Address,
        action: Action,
        because: Address,
    },
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

pub type Observer = std::sync::Arc<dyn Fn(&Event) + Send + Sync>;
