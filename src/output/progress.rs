//! Plain progress lines from engine events, one per step start and end, with
//! "N of M" so a long apply shows how far it is.

use crate::engine::{Event, Observer};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// For `--quiet`: the engine's events go nowhere (a failure still ends the command
/// with its error).
pub fn silent() -> Observer {
    Arc::new(|_: &Event| {})
}

pub fn lines(total: usize) -> Observer {
    let finished = Arc::new(AtomicUsize::new(0));
    Arc::new(move |e: &Event| {
        let line = match e {
            Event::Started { address, action } => format!("{address}: {}...", action.verb().0),
            Event::Recorded { address, id } => format!("{address}: {id} recorded in state"),
            Event::Finished {
                address,
                action,
                elapsed,
            } => {
                let n = finished.fetch_add(1, Ordering::SeqCst) + 1;
                format!(
                    "{address}: {} in {:.1}s [{n} of {total}]",
                    action.verb().1,
                    elapsed.as_secs_f64()
                )
            }
            Event::Failed { address, error, .. } => format!("{address}: FAILED: {error}"),
            Event::Skipped {
                address, because, ..
            } => format!("{address}: skipped, because {because} failed"),
        };
        let _ = writeln!(std::io::stderr(), "{line}");
    })
}
