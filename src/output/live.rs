//! The live view of an apply or destroy on a terminal. Finished steps scroll up as
//! plain lines (the same lines a CI log gets); below them a block, redrawn a few
//! times a second, says how far the walk is ("7 of 21 done") and shows every step in
//! flight with how long it has run, so a person sees at a glance what the run waits
//! for. Made from the engine's one event stream, like the lines and the JSON.
//!
//! Hand-written rather than `indicatif`: the view is one block redrawn from a map of
//! steps in flight (a hundred lines), where `indicatif` would need a bar made and
//! removed per step as events come, and still this code to decide what the block says.

use crate::address::Address;
use crate::engine::{Event, Observer};
use crate::plan::Action;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the block is redrawn.
const REDRAW: Duration = Duration::from_millis(250);

/// Steps shown in the block at most; the rest are counted.
const SHOWN: usize = 12;

/// True where the view can work: stderr is a terminal that moves its cursor.
pub fn possible() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

struct View {
    total: usize,
    done: usize,
    in_flight: BTreeMap<Address, (Action, Instant)>,
    /// Lines of the block on screen now, to erase before the next draw.
    drawn: usize,
}

impl View {
    /// Erases the block, writes `lines` above where it was, draws it again.
    fn redraw(&mut self, lines: &[String]) {
        let mut out = String::new();
        if self.drawn > 0 {
            // To the start of the block's first line, then erase to the end.
            out.push_str(&format!("\x1b[{}F\x1b[J", self.drawn));
        }
        for l in lines {
            out.push_str(l);
            out.push('\n');
        }
        let block = self.block(Instant::now());
        for l in &block {
            out.push_str(l);
            out.push('\n');
        }
        self.drawn = block.len();
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(out.as_bytes());
        let _ = err.flush();
    }

    fn block(&self, now: Instant) -> Vec<String> {
        block(self.total, self.done, &self.in_flight, now)
    }
}

/// The block: "N of M done, K in flight", then each step in flight, longest first.
fn block(
    total: usize,
    done: usize,
    in_flight: &BTreeMap<Address, (Action, Instant)>,
    now: Instant,
) -> Vec<String> {
    let mut steps: Vec<(&Address, &(Action, Instant))> = in_flight.iter().collect();
    steps.sort_by_key(|(a, (_, since))| (*since, (*a).clone()));
    let mut lines = vec![format!(
        "{done} of {total} done, {} in flight",
        in_flight.len()
    )];
    for (address, (action, since)) in steps.iter().take(SHOWN) {
        lines.push(format!(
            "  {address}: {} ({})",
            action.verb().0,
            super::progress::human(now.saturating_duration_since(*since))
        ));
    }
    if steps.len() > SHOWN {
        lines.push(format!("  and {} more", steps.len() - SHOWN));
    }
    lines
}

/// The observer and the redraw task; abort the task when the walk ends.
pub fn view(total: usize) -> (Observer, tokio::task::JoinHandle<()>) {
    let view = Arc::new(Mutex::new(View {
        total,
        done: 0,
        in_flight: BTreeMap::new(),
        drawn: 0,
    }));
    let ticker = {
        let view = view.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REDRAW);
            loop {
                tick.tick().await;
                view.lock().expect("view lock").redraw(&[]);
            }
        })
    };
    let observer: Observer = Arc::new(move |e: &Event| {
        let mut v = view.lock().expect("view lock");
        let line = match e {
            Event::Started { address, action } => {
                v.in_flight
                    .insert(address.clone(), (*action, Instant::now()));
                None
            }
            Event::Recorded { .. } => None,
            Event::Retrying { .. } => super::progress::retrying_line(e),
            Event::Finished {
                address,
                action,
                elapsed,
            } => {
                v.in_flight.remove(address);
                v.done += 1;
                Some(format!(
                    "{address}: {} in {:.1}s",
                    action.verb().1,
                    elapsed.as_secs_f64()
                ))
            }
            Event::Failed { address, error, .. } => {
                v.in_flight.remove(address);
                Some(format!("{address}: FAILED: {error}"))
            }
            Event::Skipped {
                address, because, ..
            } => Some(format!("{address}: skipped, because {because} failed")),
        };
        let lines: Vec<String> = line.into_iter().collect();
        v.redraw(&lines);
    });
    (observer, ticker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Kind;

    #[test]
    fn the_block_counts_and_lists_the_longest_running_first() {
        let now = Instant::now();
        let in_flight = BTreeMap::from([
            (
                Address::new(Kind::Subnet, "public-0"),
                (Action::Create, now - Duration::from_secs(2)),
            ),
            (
                Address::new(Kind::NatGateway, "nat-0"),
                (Action::Create, now - Duration::from_secs(75)),
            ),
        ]);
        assert_eq!(
            block(21, 7, &in_flight, now),
            [
                "7 of 21 done, 2 in flight",
                "  nat_gateway.nat-0: creating (1m15s)",
                "  subnet.public-0: creating (2s)",
            ]
        );
    }

    #[test]
    fn a_long_list_is_cut_with_a_count() {
        let now = Instant::now();
        let in_flight: BTreeMap<_, _> = (0..15)
            .map(|i| {
                (
                    Address::new(Kind::LogGroup, format!("g{i:02}")),
                    (Action::Create, now),
                )
            })
            .collect();
        let lines = block(30, 0, &in_flight, now);
        assert_eq!(lines.len(), 1 + SHOWN + 1);
        assert_eq!(lines.last().unwrap(), "  and 3 more");
    }
}
