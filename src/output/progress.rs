//! Plain progress lines from engine events: one per step start and end, with
//! "N of M" so a long apply shows how far it is, and every few seconds a "still
//! creating (1m20s)" line for each step that is taking long, so a CI log shows the
//! run is alive and what it waits for.

use crate::address::Address;
use crate::engine::{Event, Observer};
use crate::plan::Action;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a step still running is reported, unless STACKCTL_PROGRESS_INTERVAL
/// says otherwise.
pub const EVERY: Duration = Duration::from_secs(10);

/// For `--quiet`: the engine's events go nowhere (a failure still ends the command
/// with its error).
pub fn silent() -> Observer {
    Arc::new(|_: &Event| {})
}

/// The steps running now, since when.
type InFlight = Arc<Mutex<BTreeMap<Address, (Action, Instant)>>>;

/// The lines observer, and the task that reports long steps every `every`; abort
/// the task when the walk ends.
pub fn lines(total: usize, every: Duration) -> (Observer, tokio::task::JoinHandle<()>) {
    let in_flight: InFlight = Arc::default();
    let ticker = {
        let in_flight = in_flight.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tick.tick().await;
                let running = in_flight.lock().expect("progress lock").clone();
                for line in still_running(&running, Instant::now(), every) {
                    let _ = writeln!(std::io::stderr(), "{line}");
                }
            }
        })
    };
    let finished = Arc::new(AtomicUsize::new(0));
    let observer: Observer = Arc::new(move |e: &Event| {
        {
            let mut running = in_flight.lock().expect("progress lock");
            match e {
                Event::Started { address, action } => {
                    running.insert(address.clone(), (*action, Instant::now()));
                }
                Event::Finished { address, .. }
                | Event::Failed { address, .. }
                | Event::Skipped { address, .. } => {
                    running.remove(address);
                }
                Event::Recorded { .. } => {}
            }
        }
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
    });
    (observer, ticker)
}

/// "vpc.main: still creating (1m20s)" for each step running for `every` or longer.
fn still_running(
    running: &BTreeMap<Address, (Action, Instant)>,
    now: Instant,
    every: Duration,
) -> Vec<String> {
    running
        .iter()
        .filter_map(|(address, (action, since))| {
            let elapsed = now.saturating_duration_since(*since);
            (elapsed >= every)
                .then(|| format!("{address}: still {} ({})", action.verb().0, human(elapsed)))
        })
        .collect()
}

/// `45s`, `1m20s`, `1h02m`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Kind;

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(human(Duration::from_secs(45)), "45s");
        assert_eq!(human(Duration::from_secs(80)), "1m20s");
        assert_eq!(human(Duration::from_secs(3725)), "1h02m");
    }

    #[test]
    fn only_steps_running_for_an_interval_are_reported() {
        let now = Instant::now();
        let every = Duration::from_secs(10);
        let running = BTreeMap::from([
            (
                Address::new(Kind::NatGateway, "nat-0"),
                (Action::Create, now - Duration::from_secs(80)),
            ),
            (
                Address::new(Kind::Subnet, "public-0"),
                (Action::Create, now - Duration::from_secs(2)),
            ),
            (
                Address::new(Kind::EcsService, "web"),
                (Action::Delete, now - Duration::from_secs(10)),
            ),
        ]);
        assert_eq!(
            still_running(&running, now, every),
            [
                "nat_gateway.nat-0: still creating (1m20s)",
                "ecs_service.web: still destroying (10s)",
            ]
        );
    }
}
