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

/// The steps running now, since when: fed by engine events, read by a ticker that
/// reports the long ones. Shared by the lines and the JSON stream.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Mutex<BTreeMap<Address, (Action, Instant)>>>);

impl InFlight {
    pub fn observe(&self, e: &Event) {
        let mut running = self.0.lock().expect("progress lock");
        match e {
            Event::Started { address, action } => {
                running.insert(address.clone(), (*action, Instant::now()));
            }
            Event::Finished { address, .. }
            | Event::Failed { address, .. }
            | Event::Skipped { address, .. } => {
                running.remove(address);
            }
            Event::Recorded { .. } | Event::Retrying { .. } => {}
        }
    }

    /// Every `every`, calls `report` with each step running for `every` or longer and
    /// how long it has run. Abort the task when the walk ends.
    pub fn tick(
        &self,
        every: Duration,
        report: impl Fn(&Address, Action, Duration) + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let running = self.0.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tick.tick().await;
                let now = Instant::now();
                let snapshot = running.lock().expect("progress lock").clone();
                for (address, action, elapsed) in long_running(&snapshot, now, every) {
                    report(&address, action, elapsed);
                }
            }
        })
    }
}

/// The lines observer, and the task that reports long steps every `every`; abort
/// the task when the walk ends.
pub fn lines(total: usize, every: Duration) -> (Observer, tokio::task::JoinHandle<()>) {
    let in_flight = InFlight::default();
    let ticker = in_flight.tick(every, |address, action, elapsed| {
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            still_line(address, action, elapsed)
        );
    });
    let finished = Arc::new(AtomicUsize::new(0));
    let observer: Observer = Arc::new(move |e: &Event| {
        in_flight.observe(e);
        let line = match e {
            Event::Started { address, action } => format!("{address}: {}...", action.verb().0),
            Event::Recorded { address, id } => format!("{address}: {id} recorded in state"),
            Event::Retrying { .. } => retrying_line(e).expect("a retry"),
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

/// The steps running for `every` or longer, with how long.
fn long_running(
    running: &BTreeMap<Address, (Action, Instant)>,
    now: Instant,
    every: Duration,
) -> Vec<(Address, Action, Duration)> {
    running
        .iter()
        .filter_map(|(address, (action, since))| {
            let elapsed = now.saturating_duration_since(*since);
            (elapsed >= every).then(|| (address.clone(), *action, elapsed))
        })
        .collect()
}

/// "subnet.public-0: AWS does not see what was just made yet (CreateSubnet:
/// InvalidVpcID.NotFound: ...); trying again (4s, at most 2m30s)".
pub fn retrying_line(e: &Event) -> Option<String> {
    let Event::Retrying {
        address,
        operation,
        error,
        elapsed,
        bound,
    } = e
    else {
        return None;
    };
    Some(format!(
        "{address}: AWS does not see what was just made yet ({operation}: {error}); \
         trying again ({}, at most {})",
        human(*elapsed),
        human(*bound)
    ))
}

/// "vpc.main: still creating (1m20s)".
fn still_line(address: &Address, action: Action, elapsed: Duration) -> String {
    format!("{address}: still {} ({})", action.verb().0, human(elapsed))
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
        let lines: Vec<String> = long_running(&running, now, every)
            .into_iter()
            .map(|(a, action, elapsed)| still_line(&a, action, elapsed))
            .collect();
        assert_eq!(
            lines,
            [
                "nat_gateway.nat-0: still creating (1m20s)",
                "ecs_service.web: still destroying (10s)",
            ]
        );
    }
}
