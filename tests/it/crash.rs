//! Crash safety: `apply` and `destroy` are killed right after each API call of a clean
//! run (AWS did the work, stackctl had no chance to record it), one run per call; the
//! next run must converge: every object AWS holds for the stack is recorded in the
//! state (nothing orphaned, no duplicate), the plan is clean, and destroy leaves nothing.
//!
//! The kill is the process aborting inside the API call log, right after the Nth call
//! is logged (`STACKCTL_TEST_ABORT_AFTER_CALLS`): no destructors run, as with SIGKILL.
//!
//! A new stack takes two applies: the first makes everything but the services, which
//! wait for their images (exit 3), and the one after the push makes them; both are
//! killed at every call. Converging is what a pipeline does: apply, push when the
//! apply asks for it, apply.

use crate::support::aws_order;
use crate::support::cli::{Workspace, example};
use crate::support::domain;
use crate::support::emulator::Emulator;
use crate::support::images::HELD;
use crate::support::leftovers;
use stackctl::aws::Aws;
use stackctl::aws::call_log::{ABORT_AFTER_CALLS_ENV, CallLog, CallRecord};

const EXAMPLE: &str = "weather";
const EXAMPLE_REGION: &str = "eu-west-2";

/// What the reference stack gains for the crash tests, so that every kind is killed
/// somewhere: autoscaling, alarms emailing through a topic, and a domain (two
/// certificates, their validation record, A and AAAA aliases) in the emulator's one
/// zone (`zone`).
const EXTRA: &str = "
[services.web.scaling]
min = 2
max = 4
cpu = 60

[alarms]
email = [\"ops@example.com\"]

[domain]
name = \"STACK.example.com\"
zone = \"example.com\"
";

/// The zone every crash test's domain is in, made once per emulator.
async fn zone(aws: &Aws) {
    domain::hosted_zone(aws, "example.com").await;
}

/// A workspace for the example, with `EXTRA`, under its own stack name, so many runs
/// share one emulator without seeing each other's objects.
fn workspace(emulator: &Emulator, stack: &str) -> Workspace {
    let ws = plain_workspace(emulator, stack);
    let text = std::fs::read_to_string(&ws.stack).unwrap();
    std::fs::write(&ws.stack, text + &EXTRA.replace("STACK", stack)).unwrap();
    ws
}

/// The example alone under its own stack name: for the replacement, which moves the
/// target group and task definition and touches none of `EXTRA`'s kinds.
fn plain_workspace(emulator: &Emulator, stack: &str) -> Workspace {
    let ws = Workspace::new(emulator, &example(EXAMPLE));
    ws.edit("name = \"weather\"", &format!("name = \"{stack}\""));
    ws
}

/// The number of API calls of `args` run in `ws`, which must exit with `code`.
fn calls_of(ws: &Workspace, args: &[&str], code: i32) -> usize {
    let log = ws
        .dir
        .join(format!("clean.{}.calls.jsonl", uuid::Uuid::new_v4()));
    let mut full = vec!["--api-log", log.to_str().unwrap()];
    full.extend_from_slice(args);
    let run = ws.run(&full);
    assert_eq!(
        run.code, code,
        "the clean run of {args:?}\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    CallLog::read(&log).unwrap().len()
}

/// `args` run in `ws` with the process aborted right after its `k`th API call; the
/// calls it made. It must have died of that abort, after exactly `k` logged calls, and
/// not of some other failure that a converging run would hide.
#[track_caller]
fn killed_after(ws: &Workspace, k: usize, args: &[&str]) -> Vec<CallRecord> {
    let log = ws.dir.join(format!("killed.{k}.calls.jsonl"));
    let mut full = vec!["--api-log", log.to_str().unwrap()];
    full.extend_from_slice(args);
    let n = k.to_string();
    let killed = ws.run_with_env(&[(ABORT_AFTER_CALLS_ENV, &n)], &full);
    assert_eq!(
        killed.code, -1,
        "kill after call {k}: the run did not die of the abort (exit {})\n{}",
        killed.code, killed.stderr
    );
    assert!(
        !killed.stderr.contains("error:"),
        "kill after call {k}: the run failed before the abort\n{}",
        killed.stderr
    );
    let calls = CallLog::read(&log).unwrap();
    assert_eq!(
        calls.len(),
        k,
        "kill after call {k}: {} calls logged",
        calls.len()
    );
    calls
}

/// The run that recovers from a kill sends no create for an address whose create
/// succeeded in the killed run: it finds that object (by its intent and tags) instead
/// of making a second one. The emulator would not say: its CreateService silently
/// replaces a service of the same name, so only the API logs can.
#[track_caller]
fn assert_no_second_create(killed: &[CallRecord], recovering: &[CallRecord], what: &str) {
    for address in aws_order::created(killed) {
        let operation = aws_order::create_operation(address.kind());
        let again: Vec<&CallRecord> = recovering
            .iter()
            .filter(|c| c.operation == operation && c.address.as_ref() == Some(address))
            .collect();
        assert!(
            again.is_empty(),
            "{what}: {address} was created by the killed run and created again: {again:?}"
        );
    }
}

/// After a killed run: the next runs converge (an apply that holds the services back
/// for their images is followed by the push and another apply, as a pipeline does),
/// the plan is clean, everything AWS holds is recorded, no unfinished create is left,
/// and destroy (the images deleted first: it never deletes them) leaves nothing.
async fn assert_converges(
    aws: &Aws,
    ws: &Workspace,
    stack: &str,
    killed: &[CallRecord],
    what: &str,
) {
    let log = ws.dir.join("recovering.calls.jsonl");
    let again = ws.apply(&["--api-log", log.to_str().unwrap()]);
    assert_eq!(
        again.code, 0,
        "{what}: the next apply failed\n{}\n{}",
        again.stdout, again.stderr
    );
    assert_no_second_create(killed, &CallLog::read(&log).unwrap(), what);
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{what}: plan not clean\n{}", plan.stdout);
    assert_recorded(aws, ws, stack, what).await;
    assert_no_intents(ws, what);
    ws.delete_images();
    ws.run(&["destroy", "--auto-approve"]).ok();
    let left = leftovers::of_stack(aws, stack).await;
    assert!(left.is_empty(), "{what}: destroy left {left:#?}");
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

/// The first apply of a new stack makes everything but the services, which wait for
/// their images (exit 3); the apply after the push makes them. A kill after any call
/// of either converges.
#[tokio::test(flavor = "multi_thread")]
async fn an_apply_killed_after_any_call_converges_on_the_next_run() {
    let emulator = Emulator::start();
    let aws = Aws::for_emulator(EXAMPLE_REGION, &emulator.endpoint).await;
    zone(&aws).await;
    let apply = ["apply", "--auto-approve"];
    let clean = workspace(&emulator, "clean");
    let held = calls_of(&clean, &apply, HELD);
    assert!(held > 30, "only {held} calls in a clean first apply");
    assert!(!clean.push_images().is_empty());
    let after_push = calls_of(&clean, &apply, 0);
    assert!(
        after_push > 10,
        "only {after_push} calls in a clean apply after the push"
    );
    eprintln!("kill points: {held} calls in the first apply, {after_push} after the push");

    // Killed during the first apply.
    for k in kill_points(held) {
        let stack = format!("k{k:03}");
        let ws = workspace(&emulator, &stack);
        let killed = killed_after(&ws, k, &apply);
        let what = format!("kill after call {k} of the first apply");
        assert_converges(&aws, &ws, &stack, &killed, &what).await;
    }
    // Killed during the apply after the push, which makes the task definition and
    // the service.
    for k in kill_points(after_push) {
        let stack = format!("p{k:03}");
        let ws = workspace(&emulator, &stack);
        let first = ws.run(&apply);
        assert_eq!(first.code, HELD, "{}\n{}", first.stdout, first.stderr);
        assert!(!ws.push_images().is_empty());
        let killed = killed_after(&ws, k, &apply);
        let what = format!("kill after call {k} of the apply after the push");
        assert_converges(&aws, &ws, &stack, &killed, &what).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destroy_killed_after_any_call_finishes_on_the_next_run() {
    let emulator = Emulator::start();
    let aws = Aws::for_emulator(EXAMPLE_REGION, &emulator.endpoint).await;
    zone(&aws).await;
    // Applied with its images, which are deleted before the destroy: stackctl never
    // deletes them.
    let clean = workspace(&emulator, "clean");
    clean.apply(&[]).ok();
    clean.delete_images();
    let total = calls_of(&clean, &["destroy", "--auto-approve"], 0);
    assert!(total > 20, "only {total} calls in a clean destroy");
    for k in kill_points(total) {
        let stack = format!("d{k:03}");
        let ws = workspace(&emulator, &stack);
        ws.apply(&[]).ok();
        ws.delete_images();
        killed_after(&ws, k, &["destroy", "--auto-approve"]);
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
    let clean = plain_workspace(&emulator, "clean");
    assert_eq!(clean.apply(&[]).code, 0);
    clean.edit(OLD_PORT, NEW_PORT);
    let total = calls_of(&clean, &["apply", "--auto-approve"], 0);
    assert!(total > 10, "only {total} calls in a clean replacement");
    for k in kill_points(total) {
        let stack = format!("r{k:03}");
        let ws = plain_workspace(&emulator, &stack);
        let first = ws.apply(&[]);
        assert_eq!(first.code, 0, "{}", first.stderr);
        ws.edit(OLD_PORT, NEW_PORT);
        let killed = killed_after(&ws, k, &["apply", "--auto-approve"]);
        // The image is there: the next apply converges at once.
        let log = ws.dir.join("recovering.calls.jsonl");
        let again = ws.run(&[
            "--api-log",
            log.to_str().unwrap(),
            "apply",
            "--auto-approve",
        ]);
        assert_eq!(
            again.code, 0,
            "kill after call {k}: the next apply failed\n{}\n{}",
            again.stdout, again.stderr
        );
        let what = format!("kill after call {k}");
        assert_no_second_create(&killed, &CallLog::read(&log).unwrap(), &what);
        let plan = ws.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            plan.code, 0,
            "kill after call {k}: plan not clean\n{}",
            plan.stdout
        );
        // The replaced revision stays registered for rollback (the newest three do);
        // destroy deregisters the whole family. Counted below instead.
        let revision = |o: &str| o.starts_with("task definition");
        assert_recorded_but(&aws, &ws, &stack, &what, revision).await;
        assert_no_intents(&ws, &what);
        let inventory = leftovers::of_stack(&aws, &stack).await;
        let count = |prefix: &str| inventory.iter().filter(|o| o.starts_with(prefix)).count();
        assert_eq!(count("target group"), 1, "{what}: {inventory:#?}");
        assert_eq!(count("task definition"), 2, "{what}: {inventory:#?}");
        ws.delete_images();
        ws.run(&["destroy", "--auto-approve"]).ok();
        let left = leftovers::of_stack(&aws, &stack).await;
        assert!(left.is_empty(), "{what}: destroy left {left:#?}");
    }
}
