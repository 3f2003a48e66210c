//! Figures from stackctl's `--api-log` (one JSON line per AWS call, src/aws/call_log.rs):
//! calls per service and the most calls in flight at once. Read from the log rather
//! than the proxy so that they count operations as stackctl made them (an operation
//! retried by the SDK is one call here) and hold for runs against AWS too.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// One finished call; the fields of stackctl's `CallRecord` the benchmark reads.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Call {
    pub service: String,
    pub operation: String,
    pub address: Option<String>,
    pub start_us: u64,
    pub end_us: u64,
    pub ok: bool,
}

/// Every call of the log; a missing file is no call (a run that made none).
pub fn read(path: &Path) -> Result<Vec<Call>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{}: {e}: {l}", path.display())))
        .collect()
}

/// Calls per service, e.g. `{"EC2": 31, "ECS": 6}`.
pub fn per_service(calls: &[Call]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for c in calls {
        *counts.entry(c.service.clone()).or_default() += 1;
    }
    counts
}

/// The most calls that were running at the same instant. A call that ends exactly
/// when another starts does not overlap it.
pub fn max_in_flight(calls: &[Call]) -> usize {
    // (time, +1 start / -1 end); ends sort before starts at the same time.
    let mut events: Vec<(u64, i32)> = calls
        .iter()
        .flat_map(|c| [(c.start_us, 1), (c.end_us, -1)])
        .collect();
    events.sort();
    let mut now = 0i32;
    let mut peak = 0i32;
    for (_, step) in events {
        now += step;
        peak = peak.max(now);
    }
    peak as usize
}

/// What one round trip costs on this setup (the added latency, the emulator's own
/// time, the SDK's): the median duration of the calls that ran alone, with no other
/// call in flight to queue behind. None when no call ran alone.
pub fn round_trip(calls: &[Call]) -> Option<Duration> {
    let mut alone: Vec<u64> = calls
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            calls
                .iter()
                .enumerate()
                .all(|(j, o)| *i == j || o.end_us <= c.start_us || o.start_us >= c.end_us)
        })
        .map(|(_, c)| c.end_us - c.start_us)
        .collect();
    alone.sort();
    alone
        .get(alone.len() / 2)
        .map(|us| Duration::from_micros(*us))
}

/// The longest chain of calls each of which started after the one before it ended:
/// how many round trips deep the run was on the wire, whatever each one cost.
pub fn depth(calls: &[Call]) -> usize {
    let mut by_end: Vec<&Call> = calls.iter().collect();
    by_end.sort_by_key(|c| c.end_us);
    let mut chain: Vec<usize> = Vec::with_capacity(by_end.len());
    for (i, c) in by_end.iter().enumerate() {
        let before = (0..i)
            .filter(|&j| by_end[j].end_us <= c.start_us)
            .map(|j| chain[j])
            .max()
            .unwrap_or(0);
        chain.push(before + 1);
    }
    chain.into_iter().max().unwrap_or(0)
}

/// The calls made for each address, in the order they started: a resource's own
/// sequential chain as stackctl ran it (None: calls made for no resource).
pub fn per_address(calls: &[Call]) -> BTreeMap<Option<String>, Vec<&Call>> {
    let mut by: BTreeMap<Option<String>, Vec<&Call>> = BTreeMap::new();
    for c in calls {
        by.entry(c.address.clone()).or_default().push(c);
    }
    for list in by.values_mut() {
        list.sort_by_key(|c| c.start_us);
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(service: &str, start_us: u64, end_us: u64) -> Call {
        Call {
            service: service.into(),
            operation: "Op".into(),
            address: None,
            start_us,
            end_us,
            ok: true,
        }
    }

    #[test]
    fn max_in_flight_counts_overlaps_only() {
        assert_eq!(max_in_flight(&[]), 0);
        // Back to back: never two at once.
        let chain = [call("EC2", 0, 10), call("EC2", 10, 20), call("EC2", 20, 30)];
        assert_eq!(max_in_flight(&chain), 1);
        // Three overlap in 5..6, then two.
        let burst = [
            call("EC2", 0, 6),
            call("ECS", 5, 9),
            call("IAM", 5, 20),
            call("EC2", 8, 12),
        ];
        assert_eq!(max_in_flight(&burst), 3);
    }

    #[test]
    fn calls_are_counted_per_service_and_chained_per_address() {
        let mut calls = vec![call("EC2", 5, 6), call("EC2", 0, 1), call("ECS", 2, 3)];
        calls[0].address = Some("vpc.main".into());
        calls[1].address = Some("vpc.main".into());
        assert_eq!(
            per_service(&calls),
            BTreeMap::from([("EC2".to_string(), 2), ("ECS".to_string(), 1)])
        );
        let by = per_address(&calls);
        let starts: Vec<u64> = by[&Some("vpc.main".to_string())]
            .iter()
            .map(|c| c.start_us)
            .collect();
        assert_eq!(starts, [0, 5]);
        assert_eq!(by[&None].len(), 1);
    }

    #[test]
    fn a_round_trip_is_the_median_of_the_calls_that_ran_alone() {
        assert_eq!(round_trip(&[]), None);
        let calls = [
            call("EC2", 0, 70),
            // Two at once: queued behind each other, not counted.
            call("EC2", 100, 300),
            call("ECS", 150, 250),
            call("EC2", 300, 380),
            call("EC2", 400, 475),
        ];
        assert_eq!(round_trip(&calls), Some(Duration::from_micros(75)));
    }

    #[test]
    fn depth_is_the_longest_chain_of_calls_one_after_another() {
        assert_eq!(depth(&[]), 0);
        // Three at once, then two that follow the first, then one after those.
        let calls = [
            call("EC2", 0, 10),
            call("EC2", 0, 30),
            call("ECS", 0, 12),
            call("EC2", 10, 20),
            call("IAM", 11, 25),
            call("EC2", 25, 40),
        ];
        assert_eq!(depth(&calls), 3);
    }

    #[test]
    fn a_log_line_of_stackctl_parses() {
        let line = r#"{"service":"EC2","operation":"CreateVpc","address":"vpc.main","start_us":1700000000000000,"end_us":1700000000050000,"ok":true}"#;
        let c: Call = serde_json::from_str(line).unwrap();
        assert_eq!(c.address.as_deref(), Some("vpc.main"));
        assert_eq!(c.end_us - c.start_us, 50_000);
    }
}
