//! Why one step of a walk failed. The walker keeps the cause typed up to the end of
//! the walk (the apply's error lists them by address); only the event stream and the
//! terminal get its text.

use crate::address::Address;
use crate::aws::AwsError;
use crate::state::error::StateError;

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// AWS refused or failed the step's call (after the retries of `aws::retry` and
    /// `aws::propagation`).
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The state could not be written: the walk halts (see `Shared::halt`), as nothing
    /// more could be recorded.
    #[error(transparent)]
    State(#[from] StateError),
    /// A step on an object the state does not record: the state changed under the
    /// walk (another run), which its lock should have prevented.
    #[error("{0} is not in the state")]
    NotRecorded(Address),
    /// A create or update without the spec it applies: a saved plan edited by hand.
    #[error("the plan has no spec for {0}: make the plan again")]
    NoSpec(Address),
}
