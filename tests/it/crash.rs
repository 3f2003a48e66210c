//! Crash safety: `apply` and `destroy` are killed right after each API call of a clean
//! run (AWS did the work, stackctl had no chance to record it), one run per call; the
//! next run must converge: every object AWS holds for the stack is recorded in the
//! state (nothing orphaned, no duplicate), the plan is clean, and destroy leaves nothing.
//!
//! The kill is the process aborting inside the API call log, right after the Nth call
//! is logged (`STACKCTL_TEST_ABORT_AFTER_CALLS`): no destructors run, as with SIGKILL.

use crate::support::cli::{Workspace, example};
use crate::support::emulator::{Emulator, REGION};
use crate::support::leftovers;
use stackctl::aws::Aws;
use stackctl::aws::call_log::{ABORT_AFTER_CALLS_ENV, CallLog};

const EXAMPLE: &str = "weather";
const EXAMPLE_REGION: &str = "eu-west-2";

/// A workspace for the example under its own stack name, so many runs share one
/// emulator without seeing each other's objects.
fn workspace(emulator: &Emulator, stack: &str) -> Workspace {
    let ws = Workspace::new(emulator, &example(EXAMPLE));
    ws.edit("name = \"weather\"", &format!("name = \"{stack}\""));
    ws
}

fn calls_of(ws: &Workspace, args: &[&str]) -> usize {
    let log = ws.dir.join("clean.calls.jsonl");
    let mut full = vec!["--api-log", log.to_str().unwrap()];
    full.extend_from_slice(args);
    ws.run(&full).ok();
    CallLog::read(&log).unwrap().len()
}

/// Every object AWS holds for `stack` is named in the state (ids, names or ARNs).
async fn assert_recorded(aws: &Aws, ws: &Workspace, stack: &str, what: &str) {
    assert_recorded_but(aws, ws, stack, what, |_| false).await;
}

/// `assert_recorded`, for the objects `expected_unrecorded` does not pick.
async fn assert_recorded_but(
    aws: &Aws,
    ws: &Workspace,
    stack: &str,
    what: &str,
    expected_unrecorded: impl Fn(&str) -> bool,
) {
    let state = std::fs::read_to_string(ws.state_path()).unwrap_or_default();
    let orphans: Vec<String> = leftovers::unrecorded(aws, stack, &state)
        .await
        .into_iter()
        .filter(|o| !expected_unrecorded(o))
        .collect();
    assert!(orphans.is_empty(), "{what}: not in the state: {orphans:#?}");
}

/// A converged run leaves no unfinished create behind in the state.
fn assert_no_intents(ws: &Workspace, what: &str) {
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.state_path()).unwrap()).unwrap();
    assert!(
        state.get("intents").is_none(),
        "{what}: unfinished creates left in the state: {}",
        state["intents"]
    );
}

/// Which kill points to try: every one, or every STACKCTL_CRASH_STRIDE-th when set
/// (a quicker local run).
fn kill_points(total: usize) -> Vec<usize> {
    let stride = std::env::var("STACKCTL_CRASH_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    (1..=total).step_by(stride).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_killed_after_any_call_converges_on_the_next_run() {
    let emulator = Emulator::start();
    let aws = Aws::for_emulator(EXAMPLE_REGION, &emulator.endpoint).await;
    let total = calls_of(&workspace(&emulator, "clean"), &["apply", "--auto-approve"]);
    assert!(total > 30, "only {total} calls in a clean apply");
    let _ = REGION;
    for k in kill_points(total) {
        let stack = format!("k{k:03}");
        let ws = workspace(&emulator, &stack);
        let log = ws.dir.join("killed.calls.jsonl");
        let n = k.to_string();
        let killed = ws.run_with_env(
            &[(ABORT_AFTER_CALLS_ENV, &n)],
            &[
                "--api-log",
                log.to_str().unwrap(),
                "apply",
                "--auto-approve",
            ],
        );
        assert_ne!(
            killed.code, 0,
            "kill after call {k}: the run was not killed"
        );
        let again = ws.run(&["apply", "--auto-approve"]);
        assert_eq!(
            again.code, 0,
            "kill after call {k}: the next apply failed\n{}\n{}",
            again.stdout, again.stderr
        );
        let plan = ws.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            plan.code, 0,
            "kill after call {k}: plan not clean\n{}",
            plan.stdout
        );
        assert_recorded(&aws, &ws, &stack, &format!("kill after call {k}")).await;
        assert_no_intents(&ws, &format!("kill after call {k}"));
        ws.run(&["destroy", "--auto-approve"]).ok();
        let left = leftovers::of_stack(&aws, &stack).await;
        assert!(
            left.is_empty(),
            "kill after call {k}: destroy left {left:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destroy_killed_after_any_call_finishes_on_the_next_run() {
    let emulator = Emulator::start();
    let aws = Aws::for_emulator(EXAMPLE_REGION, &emulator.endpoint).await;
    let clean = workspace(&emulator, "clean");
    clean.run(&["apply", "--auto-approve"]).ok();
    let total = calls_of(&clean, &["destroy", "--auto-approve"]);
    assert!(total > 20, "only {total} calls in a clean destroy");
    for k in kill_points(total) {
        let stack = format!("d{k:03}");
        let ws = workspace(&emulator, &stack);
        ws.run(&["apply", "--auto-approve"]).ok();
        let log = ws.dir.join("killed.calls.jsonl");
        let n = k.to_string();
        let killed = ws.run_with_env(
            &[(ABORT_AFTER_CALLS_ENV, &n)],
            &[
                "--api-log",
                log.to_str().unwrap(),
                "destroy",
                "--auto-approve",
            ],
        );
        assert_ne!(
            killed.code, 0,
            "kill after call {k}: the run was not killed"
        );
        let again = ws.run(&["destroy", "--auto-approve"]);
        assert_eq!(
            again.code, 0,
            "kill after call {k}: the next destroy failed\n{}\n{}",
            again.stdout, again.stderr
        );
        let left = leftovers::of_stack(&aws, &stack).await;
        assert!(
            left.is_empty(),
            "kill after call {k}: destroy left {left:#?}"
        );
    }
}

/// The container port moves: the target group and the task definition are replaced
/// create-first (the new one exists before the old goes), the service and the listener
/// move over in place. A run killed after the new object was made, before the state
/// names it, must find it through its intent record instead of making another.
#[tokio::test(flavor = "multi_thread")]
async fn a_replacing_apply_killed_after_any_call_converges_on_the_next_run() {
    const OLD_PORT: &str = "port = 5000";
    const NEW_PORT: &str = "port = 5001";
    let emulator = Emulator::start();
    let aws = Aws::for_emulator(EXAMPLE_REGION, &emulator.endpoint).await;
    let clean = workspace(&emulator, "clean");
    assert_eq!(clean.run(&["apply", "--auto-approve"]).code, 0);
    clean.edit(OLD_PORT, NEW_PORT);
    let total = calls_of(&clean, &["apply", "--auto-approve"]);
    assert!(total > 10, "only {total} calls in a clean replacement");
    for k in kill_points(total) {
        let stack = format!("r{k:03}");
        let ws = workspace(&emulator, &stack);
        let first = ws.run(&["apply", "--auto-approve"]);
        assert_eq!(first.code, 0, "{}", first.stderr);
        ws.edit(OLD_PORT, NEW_PORT);
        let log = ws.dir.join("killed.calls.jsonl");
        let n = k.to_string();
        let killed = ws.run_with_env(
            &[(ABORT_AFTER_CALLS_ENV, &n)],
            &[
                "--api-log",
                log.to_str().unwrap(),
                "apply",
                "--auto-approve",
            ],
        );
        assert_ne!(
            killed.code, 0,
            "kill after call {k}: the run was not killed"
        );
        let again = ws.run(&["apply", "--auto-approve"]);
        assert_eq!(
            again.code, 0,
            "kill after call {k}: the next apply failed\n{}\n{}",
            again.stdout, again.stderr
        );
        let plan = ws.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            plan.code, 0,
            "kill after call {k}: plan not clean\n{}",
            plan.stdout
        );
        let what = format!("kill after call {k}");
        // The replaced revision stays registered for rollback (the newest three do);
        // destroy deregisters the whole family. Counted below instead.
        let revision = |o: &str| o.starts_with("task definition");
        assert_recorded_but(&aws, &ws, &stack, &what, revision).await;
        assert_no_intents(&ws, &what);
        let inventory = leftovers::of_stack(&aws, &stack).await;
        let count = |prefix: &str| inventory.iter().filter(|o| o.starts_with(prefix)).count();
        assert_eq!(count("target group"), 1, "{what}: {inventory:#?}");
        assert_eq!(count("task definition"), 2, "{what}: {inventory:#?}");
        ws.run(&["destroy", "--auto-approve"]).ok();
        let left = leftovers::of_stack(&aws, &stack).await;
        assert!(left.is_empty(), "{what}: destroy left {left:#?}");
    }
}
