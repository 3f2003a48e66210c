//! The walker's rules, in memory: a fake cloud (`engine::fake`) logs when each call
//! began and ended and fails or delays what a test scripts; the state is a local file.
//! Each test names the rule it holds the walker to; each fails when that rule is
//! broken (checked by breaking it: see the closing comment of each).

use super::*;
use crate::engine::fake::FakeCloud;
use crate::plan::{Class, Plan, plan_destroy};
use crate::state::location::Location;
use serde_json::json;
use std::time::Duration;

fn a(address: &str) -> Address {
    address.parse().unwrap()
}

fn create(address: &str, deps: &[&str]) -> Change {
    Change {
        address: a(address),
        action: Action::Create,
        class: Class::Create,
        diffs: Vec::new(),
        reason: None,
        warning: None,
        spec: Some(json!({})),
        depends_on: deps.iter().map(|d| a(d)).collect(),
    }
}

fn plan(changes: Vec<Change>) -> Plan {
    Plan {
        changes,
        deposed: Vec::new(),
        held: Vec::new(),
    }
}

struct Walked {
    cloud: Arc<FakeCloud>,
    state: State,
    result: Result<(), ApplyError>,
    events: Vec<Event>,
    _dir: TempDir,
}

/// A directory removed when the test ends.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("stackctl-walker-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Walks `plan` from `state` against `cloud`, the state kept at `state_path` (a file
/// in a fresh directory unless given).
async fn walk(cloud: FakeCloud, state: State, plan: &Plan, state_path: Option<&str>) -> Walked {
    let dir = TempDir::new();
    let path = match state_path {
        Some(p) => dir.0.join(p),
        None => dir.0.join("stack.state.json"),
    };
    let store = Arc::new(Store::with_client(
        Location::Local(path),
        None,
        dir.0.clone(),
    ));
    let cloud = Arc::new(cloud);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let observer: Observer = Arc::new(move |e: &Event| seen.lock().unwrap().push(e.clone()));
    let (state, result) = apply(cloud.clone(), state, store, plan, observer).await;
    let events = events.lock().unwrap().clone();
    Walked {
        cloud,
        state,
        result,
        events,
        _dir: dir,
    }
}

/// Rule: a create starts only once every create it depends on has ended. (Broken by
/// letting `ops::build` ignore `depends_on`: the subnet starts while the VPC's create
/// still runs.)
#[tokio::test(start_paused = true)]
async fn creates_follow_their_dependencies() {
    let cloud = FakeCloud::new()
        .await
        .delay("vpc.main", "create", Duration::from_secs(2))
        .delay("subnet.public-0", "create", Duration::from_secs(1));
    let p = plan(vec![
        create("vpc.main", &[]),
        create("subnet.public-0", &["vpc.main"]),
        create("route_table.public", &["vpc.main", "subnet.public-0"]),
    ]);
    let w = walk(cloud, State::new("t"), &p, None).await;
    assert!(w.result.is_ok(), "{:?}", w.result);
    let vpc = &w.cloud.of("vpc.main", "create")[0];
    let subnet = &w.cloud.of("subnet.public-0", "create")[0];
    let table = &w.cloud.of("route_table.public", "create")[0];
    assert!(
        subnet.start >= vpc.end,
        "{subnet:?} started before {vpc:?} ended"
    );
    assert!(
        table.start >= subnet.end,
        "{table:?} started before {subnet:?} ended"
    );
    assert_eq!(w.state.resources.len(), 3);
}

/// Rule: when a step fails, what depends on it is skipped and reported as skipped,
/// the failure is the one error, and what does not depend on it still runs. (Broken
/// by dropping the skip: the route table is created on a subnet that does not exist.)
#[tokio::test(start_paused = true)]
async fn a_failure_skips_its_dependents_with_one_root_error() {
    let cloud = FakeCloud::new().await.fail("subnet.public-0", "create");
    let p = plan(vec![
        create("vpc.main", &[]),
        create("subnet.public-0", &["vpc.main"]),
        create("route_table.public", &["subnet.public-0"]),
        create("log_group.web", &[]),
    ]);
    let w = walk(cloud, State::new("t"), &p, None).await;
    match &w.result {
        Err(ApplyError::Failed { failures, skipped }) => {
            assert_eq!(failures.len(), 1, "{failures:?}");
            assert_eq!(failures[0].0, a("subnet.public-0"));
            assert_eq!(*skipped, 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(w.cloud.of("route_table.public", "create").is_empty());
    assert_eq!(w.cloud.of("log_group.web", "create").len(), 1);
    assert!(w.events.iter().any(|e| matches!(e,
        Event::Skipped { address, because, .. }
            if *address == a("route_table.public") && *because == a("subnet.public-0"))));
    assert!(w.state.resources.contains_key(&a("vpc.main")));
}

/// Rule: a dependent that needs only a waiting object's outputs starts when its create
/// has answered, while the wait runs; a dependent whose kind must wait for readiness
/// (`READY_BEFORE`: a service on the load balancer) starts after. (Broken by making
/// every dependent wait for the ready step: the listener starts after the wait.)
#[tokio::test(start_paused = true)]
async fn dependents_that_need_only_outputs_start_during_the_wait() {
    let cloud =
        FakeCloud::new()
            .await
            .delay("load_balancer.main", "wait_ready", Duration::from_secs(180));
    let p = plan(vec![
        create("load_balancer.main", &[]),
        create("listener.http", &["load_balancer.main"]),
        create("ecs_service.web", &["load_balancer.main", "listener.http"]),
    ]);
    let w = walk(cloud, State::new("t"), &p, None).await;
    assert!(w.result.is_ok(), "{:?}", w.result);
    let wait = &w.cloud.of("load_balancer.main", "wait_ready")[0];
    let listener = &w.cloud.of("listener.http", "create")[0];
    let service = &w.cloud.of("ecs_service.web", "create")[0];
    assert!(
        listener.start < wait.end,
        "the listener waited for the load balancer"
    );
    assert!(
        service.start >= wait.end,
        "the service started on a provisioning ALB"
    );
}

/// Rule: steps that finish together share a state write (group commit): ten creates
/// at once cost far fewer than the twenty writes (an intent and a record each) of one
/// write per edit. (Broken by writing every edit on its own: serial 20.) On threads,
/// as apply runs: the steps' edits land while a write (with its fsync) is under way.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn state_writes_of_steps_finishing_together_are_shared() {
    let names: Vec<String> = (0..10).map(|i| format!("log_group.g{i}")).collect();
    let p = plan(names.iter().map(|n| create(n, &[])).collect());
    let w = walk(FakeCloud::new().await, State::new("t"), &p, None).await;
    assert!(w.result.is_ok(), "{:?}", w.result);
    assert_eq!(w.state.resources.len(), 10);
    assert!(w.state.intents.is_empty());
    assert!(
        w.state.serial < 20,
        "{} writes for 10 creates",
        w.state.serial
    );
}

/// Rule: nothing is created before its intent is written, and once the state cannot
/// be written nothing more starts. (Broken by sending the create before the intent
/// write: the fake sees creates that no state records.)
#[tokio::test(start_paused = true)]
async fn a_state_that_cannot_be_written_halts_the_walk() {
    let p = plan(vec![
        create("vpc.main", &[]),
        create("subnet.public-0", &["vpc.main"]),
        create("log_group.web", &[]),
    ]);
    // The state's directory is a file: every write fails.
    let cloud = FakeCloud::new().await;
    let dir = TempDir::new();
    let blocker = dir.0.join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let store = Arc::new(Store::with_client(
        Location::Local(blocker.join("stack.state.json")),
        None,
        dir.0.clone(),
    ));
    let cloud = Arc::new(cloud);
    let observer: Observer = Arc::new(|_: &Event| {});
    let (state, result) = apply(cloud.clone(), State::new("t"), store, &p, observer).await;
    assert!(result.is_err());
    assert!(
        cloud.calls().is_empty(),
        "created without a recorded intent: {:?}",
        cloud.calls()
    );
    assert!(state.resources.is_empty());
}

/// Rule: destroy deletes what depends on an object before the object (the recorded
/// dependencies, reversed). (Broken by not reversing: the VPC goes first.)
#[tokio::test(start_paused = true)]
async fn destroy_deletes_dependents_first() {
    let mut state = State::new("t");
    for (address, deps) in [
        ("vpc.main", vec![]),
        ("subnet.public-0", vec!["vpc.main"]),
        ("security_group.web", vec!["vpc.main"]),
    ] {
        state.resources.insert(
            a(address),
            Record {
                id: CloudId::new(address),
                spec: json!({}),
                attrs: Default::default(),
                outputs: Default::default(),
                depends_on: deps.into_iter().map(a).collect(),
                deposed: Vec::new(),
            },
        );
    }
    let cloud = FakeCloud::new()
        .await
        .delay("subnet.public-0", "delete", Duration::from_secs(5));
    let p = plan_destroy(&state).unwrap();
    let w = walk(cloud, state, &p, None).await;
    assert!(w.result.is_ok(), "{:?}", w.result);
    let vpc = &w.cloud.of("vpc.main", "delete")[0];
    for dependent in ["subnet.public-0", "security_group.web"] {
        let d = &w.cloud.of(dependent, "delete")[0];
        assert!(d.end <= vpc.start, "{dependent} deleted after the VPC");
    }
    assert!(w.state.resources.is_empty());
}

/// Rule: a resource is reported finished only after it is reported recorded: a
/// reader of the event stream (a CI log, `--json`) never sees a finished create whose
/// id the state does not hold yet. The ready step of a waiting kind is the one step
/// not released early to its own record's write. (Broken by releasing it early: its
/// wait, instant here, ends while the record is being written.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resource_is_recorded_before_it_is_reported_finished() {
    let names: Vec<String> = (0..12).map(|i| format!("load_balancer.lb{i}")).collect();
    let p = plan(names.iter().map(|n| create(n, &[])).collect());
    let w = walk(FakeCloud::new().await, State::new("t"), &p, None).await;
    assert!(w.result.is_ok(), "{:?}", w.result);
    for name in &names {
        let position = |finished: bool| {
            w.events.iter().position(|e| match e {
                Event::Recorded { address, .. } => !finished && address == &a(name),
                Event::Finished { address, .. } => finished && address == &a(name),
                _ => false,
            })
        };
        let (recorded, finished) = (position(false), position(true));
        assert!(
            recorded.is_some() && finished.is_some(),
            "{name}: {:?}",
            w.events
        );
        assert!(
            recorded < finished,
            "{name} finished before it was recorded"
        );
    }
}
