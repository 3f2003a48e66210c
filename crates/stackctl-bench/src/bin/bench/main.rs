//! `bench`: plan, apply, no-op plan and destroy of a stack through a proxy that adds
//! a fixed latency per request (and, with `--timing`, readiness times), with the
//! figures issue 5 asks for. Run it through scripts/bench, which builds stackctl in
//! release mode and installs the emulator first.
//!
//! The dependency graph comes from stackctl's own `plan --json` document (the first
//! plan, against an empty state, lists every resource with its `depends_on`), so the
//! benchmark needs nothing of stackctl but its binary.

mod emulator;
mod report;
mod run;

use report::Phase;
use run::Stackctl;
use serde_json::Value;
use stackctl_bench::api_log;
use stackctl_bench::fault_proxy::{FaultProxy, Faults};
use stackctl_bench::lower_bound::{self, Node};
use stackctl_bench::readiness::{Readiness, Timing};
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "usage: bench --stackctl PATH --moto PATH [--stack FILE] [--latency MS] [--timing] [--services N] [--s3-state] [--validate-runs N] [--logs DIR]";

const STATE_BUCKET: &str = "bench-state";

struct Args {
    stackctl: PathBuf,
    moto: PathBuf,
    stack: PathBuf,
    latency: Duration,
    timing: bool,
    services: usize,
    /// Keep the state in the emulator's S3 (through the proxy, so each state write
    /// pays the latency too) instead of a local file.
    s3_state: bool,
    validate_runs: usize,
    /// Where to keep the API logs of the run (they are deleted otherwise).
    logs: Option<PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        stackctl: PathBuf::new(),
        moto: PathBuf::new(),
        stack: PathBuf::from("examples/weather/stack.toml"),
        latency: Duration::from_millis(50),
        timing: false,
        services: 1,
        s3_state: false,
        validate_runs: 20,
        logs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value\n{USAGE}"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--stackctl" => a.stackctl = value()?.into(),
            "--moto" => a.moto = value()?.into(),
            "--stack" => a.stack = value()?.into(),
            "--latency" => a.latency = Duration::from_millis(number(value()?)?),
            "--timing" => a.timing = true,
            "--s3-state" => a.s3_state = true,
            "--logs" => a.logs = Some(value()?.into()),
            "--services" => a.services = number(value()?)?.max(1) as usize,
            "--validate-runs" => a.validate_runs = number(value()?)?.max(1) as usize,
            _ => return Err(USAGE.into()),
        }
    }
    if a.stackctl.as_os_str().is_empty() || a.moto.as_os_str().is_empty() {
        return Err(USAGE.into());
    }
    Ok(a)
}

/// The resources of a plan document, with their dependencies.
fn graph(plan_json: &str) -> Result<Vec<Node>, String> {
    let doc: Value = serde_json::from_str(plan_json).map_err(|e| format!("plan --json: {e}"))?;
    let changes = doc["changes"]
        .as_array()
        .ok_or("plan --json has no changes")?;
    Ok(changes
        .iter()
        .map(|c| Node {
            address: c["address"].as_str().unwrap_or_default().to_string(),
            kind: c["kind"].as_str().unwrap_or_default().to_string(),
            depends_on: c["depends_on"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect(),
        })
        .collect())
}

fn check(what: &str, out: &run::Outcome, codes: &[i32]) -> Result<(), String> {
    if codes.contains(&out.code) {
        return Ok(());
    }
    Err(format!(
        "{what} exited {}\nstdout:\n{}\nstderr:\n{}",
        out.code, out.stdout, out.stderr
    ))
}

fn main() {
    if let Err(e) = bench() {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

fn bench() -> Result<(), String> {
    let a = args()?;
    let dir = std::env::temp_dir().join(format!("stackctl-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = bench_in(&a, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn bench_in(a: &Args, dir: &std::path::Path) -> Result<(), String> {
    let text =
        std::fs::read_to_string(&a.stack).map_err(|e| format!("{}: {e}", a.stack.display()))?;
    let stack = dir.join("stack.toml");
    let text = stackctl_bench::scale::with_public_images(&text);
    let mut text = stackctl_bench::scale::with_services(&text, a.services);
    let emulator = emulator::Emulator::start(&a.moto)?;
    if a.s3_state {
        emulator.create_bucket(STATE_BUCKET)?;
        text.push_str(&format!(
            "\n[state]\nbackend = \"s3\"\nbucket = \"{STATE_BUCKET}\"\n"
        ));
    }
    std::fs::write(&stack, text).map_err(|e| e.to_string())?;
    let timing = a.timing.then(Timing::scaled);

    let faults = Faults {
        base_latency: a.latency,
        ..Faults::none(0)
    };
    let proxy = FaultProxy::start_with(&emulator.endpoint, faults, timing.map(Readiness::new));
    let stackctl = Stackctl {
        binary: a.stackctl.clone(),
        stack,
        endpoint: proxy.endpoint.clone(),
    };

    println!(
        "stack {} with {} service(s); state {}; latency {} ms per request; timing mode {}",
        a.stack.display(),
        a.services,
        if a.s3_state {
            "in S3"
        } else {
            "in a local file"
        },
        a.latency.as_millis(),
        match &timing {
            Some(t) => format!(
                "on (NAT {:?}, ALB {:?}, CloudFront {:?}, service {:?})",
                t.nat_gateway, t.load_balancer, t.distribution, t.service
            ),
            None => "off".into(),
        }
    );

    // validate: no AWS call; the fastest and the median of several runs.
    let mut walls = Vec::new();
    for _ in 0..a.validate_runs {
        let out = stackctl.run(None, &["validate"])?;
        check("validate", &out, &[0])?;
        walls.push(out.wall);
    }
    walls.sort();
    println!(
        "validate: min {:.1} ms, median {:.1} ms over {} runs (target < 20 ms)",
        walls[0].as_secs_f64() * 1000.0,
        walls[walls.len() / 2].as_secs_f64() * 1000.0,
        walls.len()
    );

    let log = |name: &str| dir.join(format!("{name}.jsonl"));
    // moto builds each service's backend on its first request (IAM loads every
    // managed policy): a plan first, not measured, so that this is not counted.
    let warm = stackctl.run(None, &["plan"])?;
    check("warm-up plan", &warm, &[0, 2])?;
    let plan = stackctl.run(Some(&log("plan")), &["plan", "--json"])?;
    check("plan --json", &plan, &[0])?;
    let nodes = graph(&plan.stdout)?;
    println!("resources: {}", nodes.len());
    let plan_bound = lower_bound::Bound {
        total: a.latency,
        path: vec!["(every read at once)".into()],
    };
    let plan_calls = api_log::read(&log("plan"))?;

    let apply = stackctl.run(Some(&log("apply")), &["apply", "--auto-approve"])?;
    check("apply", &apply, &[0])?;
    let apply_calls = api_log::read(&log("apply"))?;
    // One round trip as it costs here, from the apply's calls that ran alone; the
    // bounds are also given at it (the emulator's time per call is not the proxy's).
    let round_trip = api_log::round_trip(&apply_calls).filter(|_| !a.latency.is_zero());
    if let Some(rt) = round_trip {
        println!(
            "round trip: {:.0} ms (median of the apply's calls that ran alone: the added {} ms, the emulator, the SDK)",
            rt.as_secs_f64() * 1000.0,
            a.latency.as_millis()
        );
    }
    let plan_bound_at = |per_call: Duration| lower_bound::Bound {
        total: per_call,
        path: vec!["(every read at once)".into()],
    };
    Phase {
        name: "plan (empty state)",
        wall: plan.wall,
        spawned_us: plan.spawned_us,
        calls: plan_calls,
        bound: (!a.latency.is_zero()).then(|| plan_bound.clone()),
        bound_at_round_trip: round_trip.map(plan_bound_at),
        target: None,
    }
    .print(a.latency, round_trip);

    let bound = lower_bound::apply(&nodes, a.latency, timing.as_ref());
    Phase {
        name: "apply",
        wall: apply.wall,
        spawned_us: apply.spawned_us,
        calls: apply_calls.clone(),
        bound: (!bound.total.is_zero()).then_some(bound),
        bound_at_round_trip: round_trip.map(|rt| lower_bound::apply(&nodes, rt, timing.as_ref())),
        target: Some(if a.timing { 1.1 } else { 1.3 }),
    }
    .print(a.latency, round_trip);
    println!(
        "  peak memory (RSS) {:.1} MB (target < 50 MB)",
        apply.max_rss_kib as f64 / 1024.0
    );
    report::print_lags(&apply_calls, &nodes, false, 8);

    let noop = stackctl.run(Some(&log("noop")), &["plan", "--detailed-exitcode"])?;
    check("no-op plan (exit 0: no changes)", &noop, &[0])?;
    let noop_calls = api_log::read(&log("noop"))?;
    Phase {
        name: "no-op plan",
        wall: noop.wall,
        spawned_us: noop.spawned_us,
        calls: noop_calls.clone(),
        bound: (!a.latency.is_zero()).then_some(plan_bound),
        bound_at_round_trip: round_trip.map(plan_bound_at),
        target: None,
    }
    .print(a.latency, round_trip);
    if !a.latency.is_zero() {
        let per_call = round_trip.unwrap_or(a.latency);
        let wall_depth = noop.wall.as_secs_f64() / per_call.as_secs_f64();
        let call_depth = api_log::depth(&noop_calls);
        let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
        println!(
            "  target: at most 3 round trips deep: {} on the wire ({call_depth} calls deep), {} in wall time ({wall_depth:.1} round trips of {:.0} ms); no more read calls than resources ({} <= {}): {}",
            verdict(call_depth <= 3),
            verdict(wall_depth <= 3.0),
            per_call.as_secs_f64() * 1000.0,
            noop_calls.len(),
            nodes.len(),
            if noop_calls.len() <= nodes.len() {
                "met"
            } else {
                "NOT met"
            }
        );
    } else {
        println!(
            "  target (30 services): under 1 s at zero latency: {}",
            if noop.wall < Duration::from_secs(1) {
                "met"
            } else {
                "NOT met"
            }
        );
    }

    let destroy = stackctl.run(Some(&log("destroy")), &["destroy", "--auto-approve"])?;
    check("destroy", &destroy, &[0])?;
    let destroy_calls = api_log::read(&log("destroy"))?;
    let bound = lower_bound::destroy(&nodes, a.latency, timing.as_ref());
    Phase {
        name: "destroy",
        wall: destroy.wall,
        spawned_us: destroy.spawned_us,
        calls: destroy_calls.clone(),
        bound: (!bound.total.is_zero()).then_some(bound),
        bound_at_round_trip: round_trip.map(|rt| lower_bound::destroy(&nodes, rt, timing.as_ref())),
        target: None,
    }
    .print(a.latency, round_trip);
    report::print_lags(&destroy_calls, &nodes, true, 5);
    if let Some(keep) = &a.logs {
        std::fs::create_dir_all(keep).map_err(|e| format!("{}: {e}", keep.display()))?;
        for name in ["plan", "apply", "noop", "destroy"] {
            std::fs::copy(log(name), keep.join(format!("{name}.jsonl")))
                .map_err(|e| format!("{}: {e}", keep.display()))?;
        }
    }
    Ok(())
}
