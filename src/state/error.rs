//! What can go wrong with the state, whichever backend keeps it. Each message says
//! where the state is and what to do next, and includes its cause (so none is also
//! exposed as a source, which would print it twice).

use super::FORMAT_VERSION;
use super::location::Location;
use crate::aws::AwsError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state {at}: {cause}")]
    Read { at: Location, cause: std::io::Error },
    #[error(
        "state {at} is not valid stackctl state ({cause}); it was left untouched — {}",
        restore_hint(at)
    )]
    Corrupt {
        at: Location,
        cause: serde_json::Error,
    },
    #[error(
        "state {at} has format version {found}, newer than this stackctl understands ({FORMAT_VERSION}); upgrade stackctl"
    )]
    TooNew { at: Location, found: u32 },
    #[error(
        "state {at} belongs to stack `{found}`, not `{expected}`; point --state (or [state] in stack.toml) at this stack's state"
    )]
    OtherStack {
        at: Location,
        found: String,
        expected: String,
    },
    #[error("cannot write state file {at}: {cause}")]
    Write { at: Location, cause: std::io::Error },
    #[error("cannot reach state {at}: {cause}")]
    S3 { at: Location, cause: Box<AwsError> },
    #[error(
        "state {at} was changed by another run since this run read it{}; nothing was \
         overwritten.{} Run `stackctl plan` to see where the stack stands: objects this \
         run created carry stackctl's tags and the next apply adopts them.",
        found.map(|s| format!(" (it is at serial {s} now)")).unwrap_or_default(),
        rescued.as_ref().map(|p| format!(" This run's state was written to {} so nothing is lost.", p.display())).unwrap_or_default()
    )]
    Stale {
        at: Location,
        found: Option<u64>,
        rescued: Option<PathBuf>,
    },
    #[error(
        "lost the lock on state {at}: another run took it over (or `stackctl unlock` \
         removed it), so this run stopped writing the state.{} Run `stackctl plan` once \
         that run has finished: objects this run created carry stackctl's tags and the \
         next apply adopts them.",
        rescued.as_ref().map(|p| format!(" This run's state was written to {} so nothing is lost.", p.display())).unwrap_or_default()
    )]
    LockLost {
        at: Location,
        rescued: Option<PathBuf>,
    },
}

fn restore_hint(at: &Location) -> String {
    match at {
        Location::Local(path) => format!(
            "restore it from {} or fix it by hand",
            super::file::backup_path(path).display()
        ),
        Location::S3(_) => {
            "restore an earlier version from the bucket's versions (docs/state.md) or fix it \
             by hand"
                .into()
        }
    }
}
