//! The figures of one phase (plan, apply, destroy) and how they are printed.

use stackctl_bench::api_log::{self, Call};
use stackctl_bench::lower_bound::{Bound, Node};
use std::collections::BTreeMap;
use std::time::Duration;

pub struct Phase {
    pub name: &'static str,
    pub wall: Duration,
    /// When the process was spawned, on the API log's clock.
    pub spawned_us: u64,
    pub calls: Vec<Call>,
    /// The bound at the added latency per call.
    pub bound: Option<Bound>,
    /// The same bound at the round trip measured on this setup (`api_log::round_trip`):
    /// the emulator's own time per call is part of every round trip too.
    pub bound_at_round_trip: Option<Bound>,
    /// The target, as a factor of the bound, if it sets one.
    pub target: Option<f64>,
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

impl Phase {
    /// `round_trip`: what one call cost when it ran alone, if measured.
    pub fn print(&self, latency: Duration, round_trip: Option<Duration>) {
        let services: Vec<String> = api_log::per_service(&self.calls)
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        println!("{}:", self.name);
        println!("  wall time         {}", ms(self.wall));
        println!(
            "  API calls         {} ({})",
            self.calls.len(),
            services.join(", ")
        );
        println!(
            "  max in flight     {}",
            api_log::max_in_flight(&self.calls)
        );
        let first = self.calls.iter().map(|c| c.start_us).min();
        let last = self.calls.iter().map(|c| c.end_us).max();
        if let (Some(first), Some(last)) = (first, last) {
            let exited = self.spawned_us + self.wall.as_micros() as u64;
            println!(
                "  outside calls     {} before the first, {} after the last (start-up, state, output)",
                ms(Duration::from_micros(first.saturating_sub(self.spawned_us))),
                ms(Duration::from_micros(exited.saturating_sub(last)))
            );
        }
        println!(
            "  call depth        {} (the longest chain of calls one after another)",
            api_log::depth(&self.calls)
        );
        if !latency.is_zero() {
            let mut line = format!(
                "  measured depth    {:.1} round trips (wall time / {})",
                self.wall.as_secs_f64() / latency.as_secs_f64(),
                ms(latency)
            );
            if let Some(rt) = round_trip {
                line += &format!(
                    "; {:.1} at the measured round trip of {}",
                    self.wall.as_secs_f64() / rt.as_secs_f64(),
                    ms(rt)
                );
            }
            println!("{line}");
        }
        let ratio = |b: &Bound| self.wall.as_secs_f64() / b.total.as_secs_f64().max(1e-9);
        let verdict = |r: f64| match self.target {
            Some(t) if r <= t => format!(" (target <= {t}: met)"),
            Some(t) => format!(" (target <= {t}: NOT met)"),
            None => String::new(),
        };
        match (&self.bound, &self.bound_at_round_trip, round_trip) {
            (Some(b), Some(at_rt), Some(rt)) => {
                println!(
                    "  lower bound       {} at {} per call; {} at the measured {}",
                    ms(b.total),
                    ms(latency),
                    ms(at_rt.total),
                    ms(rt)
                );
                println!(
                    "  wall / bound      {:.2} at {}; {:.2} at the measured round trip{}",
                    ratio(b),
                    ms(latency),
                    ratio(at_rt),
                    verdict(ratio(at_rt))
                );
                println!("  bound's chain     {}", b.path.join(" -> "));
            }
            (Some(b), _, _) => {
                println!("  lower bound       {}", ms(b.total));
                println!("  wall / bound      {:.2}{}", ratio(b), verdict(ratio(b)));
                println!("  bound's chain     {}", b.path.join(" -> "));
            }
            _ => {}
        }
    }
}

/// Per resource of an apply or destroy: when its first call started after the
/// moment its inputs existed (the last call for what it waits for ended), and how
/// long its own calls took; the largest delays first. This is where an engine
/// loses time the graph does not force.
pub fn print_lags(calls: &[Call], nodes: &[Node], reverse: bool, top: usize) {
    let by = api_log::per_address(calls);
    let span = |a: &str| {
        by.get(&Some(a.to_string())).map(|cs| {
            let first = cs.iter().map(|c| c.start_us).min().unwrap_or_default();
            let last = cs.iter().map(|c| c.end_us).max().unwrap_or_default();
            (first, last, cs.len())
        })
    };
    let Some(t0) = calls.iter().map(|c| c.start_us).min() else {
        return;
    };
    let mut waits_for: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in nodes {
        for d in &n.depends_on {
            if reverse {
                waits_for.entry(d.as_str()).or_default().push(&n.address);
            } else {
                waits_for.entry(&n.address).or_default().push(d.as_str());
            }
        }
    }
    let mut rows = Vec::new();
    for n in nodes {
        let Some((first, last, count)) = span(&n.address) else {
            continue;
        };
        let inputs = waits_for
            .get(n.address.as_str())
            .into_iter()
            .flatten()
            .filter_map(|d| span(d).map(|(_, end, _)| end))
            .max()
            .unwrap_or(t0);
        let lag = first.saturating_sub(inputs);
        rows.push((lag, n.address.as_str(), first - t0, last - t0, count));
    }
    rows.sort_by(|a, b| b.cmp(a));
    println!("  resources started latest after their inputs existed (ms from first call):");
    for (lag, address, first, last, count) in rows.into_iter().take(top) {
        println!(
            "    {address:<40} +{:>5} ms late, calls {first_ms:>6}..{last_ms:>6} ms ({count} calls)",
            lag / 1000,
            first_ms = first / 1000,
            last_ms = last / 1000
        );
    }
}
