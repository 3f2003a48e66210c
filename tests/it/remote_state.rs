//! State in S3 (the emulator's): the lock taken with `If-None-Match: *`, state writes
//! as compare-and-swap on the ETag, expiry and take-over of a dead run's lock, and CI
//! runners that share one stack with no local state.

use crate::support::cli::{Run, Workspace, example};
use crate::support::emulator::{Emulator, REGION};
use crate::support::images::HELD;
use crate::support::leftovers;
use stackctl::state::error::StateError;
use stackctl::state::location::{Location, S3Location};
use stackctl::state::lock::{Holder, LockError};
use stackctl::state::store::Store;
use stackctl::state::{Record, State};
use std::process::Child;
use std::time::Duration;

const BUCKET: &str = "acme-stackctl-state";

/// A workspace for the weather example under `stack`, its state in the emulator's S3.
fn workspace(emulator: &Emulator, stack: &str) -> Workspace {
    let ws = Workspace::new(emulator, &example("weather"));
    ws.edit("name = \"weather\"", &format!("name = \"{stack}\""));
    append(
        &ws,
        &format!("\n[state]\nbackend = \"s3\"\nbucket = \"{BUCKET}\"\n"),
    );
    ws
}

fn append(ws: &Workspace, text: &str) {
    let mut toml = std::fs::read_to_string(&ws.stack).unwrap();
    toml.push_str(text);
    std::fs::write(&ws.stack, toml).unwrap();
}

fn key(stack: &str) -> String {
    format!("stackctl/{stack}.state.json")
}

async fn object(s3: &aws_sdk_s3::Client, key: &str) -> Option<String> {
    let out = s3.get_object().bucket(BUCKET).key(key).send().await.ok()?;
    let bytes = out.body.collect().await.unwrap().into_bytes();
    Some(String::from_utf8(bytes.to_vec()).unwrap())
}

async fn remote_state(s3: &aws_sdk_s3::Client, stack: &str) -> State {
    serde_json::from_str(&object(s3, &key(stack)).await.expect("a state in S3")).unwrap()
}

/// The lock of another run on another machine, with a lock that lives an hour.
fn foreign_holder() -> Holder {
    Holder {
        pid: 4242,
        host: "ci-runner-7".into(),
        command: "apply".into(),
        since: 1,
        expires: Some(stackctl::state::lock::now() + 3600),
    }
}

/// Writes `holder` as the lock object at `lock_key`, as another run would.
async fn put_lock(s3: &aws_sdk_s3::Client, lock_key: &str, holder: &Holder) {
    s3.put_object()
        .bucket(BUCKET)
        .key(lock_key)
        .body(serde_json::to_vec(holder).unwrap().into())
        .send()
        .await
        .unwrap();
}

fn wait(child: Child) -> Run {
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn spawn(ws: &Workspace, args: &[&str]) -> Child {
    ws.command(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_applies_started_together_one_runs_and_the_other_names_the_holder() {
    let emulator = Emulator::start();
    let s3 = emulator.bucket(BUCKET).await;
    let first = workspace(&emulator, "twins");
    let second = first.elsewhere();

    // The second starts 100 ms after the first, while the first holds the lock.
    // Not at the same instant: the emulator checks a conditional write and then
    // makes it in two steps, so two writes in the same few milliseconds can both
    // pass (S3 itself decides atomically; stackctl reads its lock back, which
    // narrows the emulator's window but cannot close it).
    let first_run = spawn(&first, &["apply", "--auto-approve"]);
    std::thread::sleep(Duration::from_millis(100));
    let runs = [first_run, spawn(&second, &["apply", "--auto-approve"])].map(wait);
    // The one that runs makes a new stack: everything but the service, which waits
    // for its image (exit 3).
    let (ran, refused): (Vec<&Run>, Vec<&Run>) = runs.iter().partition(|r| r.code == HELD);
    assert_eq!(
        (ran.len(), refused.len()),
        (1, 1),
        "one runs, one is refused: {runs:#?}"
    );
    let refused = refused[0];
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("the state is locked by `apply` (pid")
            && refused.stderr.contains("lock expires in")
            && refused
                .stderr
                .contains(&format!("s3://{BUCKET}/{}.lock", key("twins"))),
        "the refusal names the holder and the lock: {}",
        refused.stderr
    );
    assert!(
        object(&s3, &format!("{}.lock", key("twins")))
            .await
            .is_none(),
        "the winner released its lock"
    );
    assert!(
        remote_state(&s3, "twins").await.resources.len() > 10,
        "the winner's state"
    );
    // The pipeline pushes the image; the service is created.
    first.push_images();
    first.run(&["apply", "--auto-approve"]).ok();
    let state = remote_state(&s3, "twins").await;

    // Started together again with --lock-timeout: the second waits, then finds the
    // first one's work done.
    for ws in [&first, &second] {
        ws.edit("desired_count = 2", "desired_count = 3");
    }
    let first_run = spawn(&first, &["apply", "--auto-approve", "--lock-timeout", "2m"]);
    std::thread::sleep(Duration::from_millis(100));
    let runs = [
        first_run,
        spawn(
            &second,
            &["apply", "--auto-approve", "--lock-timeout", "2m"],
        ),
    ]
    .map(wait);
    for run in &runs {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let changed = runs
        .iter()
        .filter(|r| r.stdout.contains("1 to change"))
        .count();
    assert_eq!(changed, 1, "exactly one run changes the service: {runs:#?}");
    assert!(
        runs.iter().any(|r| r.stdout.contains("No changes")),
        "{runs:#?}"
    );
    let after = remote_state(&s3, "twins").await;
    assert!(after.serial > state.serial);
    assert_eq!(after.lineage, state.lineage);
}

/// Two stores on one S3 object, as two runs would hold them.
fn store(emulator: &Emulator, dir: &std::path::Path) -> Store {
    Store::with_client(
        Location::S3(S3Location {
            bucket: BUCKET.into(),
            key: key("cas"),
            region: REGION.into(),
        }),
        Some(emulator.s3()),
        dir.to_path_buf(),
    )
}

fn with_resource(mut state: State, address: &str, id: &str) -> State {
    state.resources.insert(
        address.parse().unwrap(),
        Record {
            id: stackctl::address::CloudId::new(id),
            spec: serde_json::json!({}),
            attrs: Default::default(),
            outputs: Default::default(),
            depends_on: vec![],
            deposed: vec![],
        },
    );
    state
}

#[tokio::test(flavor = "multi_thread")]
async fn a_writer_whose_etag_is_stale_is_refused_and_nothing_is_lost() {
    let emulator = Emulator::start();
    let s3 = emulator.bucket(BUCKET).await;
    let dir = std::env::temp_dir().join(format!("stackctl-cas-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();

    // Two runs that both found no state: the first write wins, the second is refused.
    let (a, b) = (store(&emulator, &dir), store(&emulator, &dir));
    assert!(a.load("cas").await.unwrap().is_none());
    assert!(b.load("cas").await.unwrap().is_none());
    let base = State::new("cas");
    assert_eq!(a.save(&base).await.unwrap(), 1);
    let err = b.save(&State::new("cas")).await.unwrap_err();
    assert!(matches!(err, StateError::Stale { .. }), "{err}");

    // Both read serial 1; b writes first, then a's write (from a stale ETag) is refused.
    let (a, b) = (store(&emulator, &dir), store(&emulator, &dir));
    let read_a = a.load("cas").await.unwrap().unwrap();
    let read_b = b.load("cas").await.unwrap().unwrap();
    assert_eq!(read_b.serial, 1);
    assert_eq!(
        b.save(&with_resource(read_b, "vpc.main", "vpc-b"))
            .await
            .unwrap(),
        2
    );
    let mine = with_resource(read_a, "log_group.web", "/ecs/a");
    let err = a.save(&mine).await.unwrap_err();
    let StateError::Stale {
        found: Some(2),
        rescued: Some(rescued),
        ..
    } = &err
    else {
        panic!("{err}");
    };
    let message = err.to_string();
    assert!(
        message.contains("changed by another run") && message.contains("nothing was overwritten"),
        "{message}"
    );
    // The other writer's state is intact ...
    let remote = remote_state(&s3, "cas").await;
    assert_eq!(remote.serial, 2);
    assert!(remote.resources.contains_key(&"vpc.main".parse().unwrap()));
    assert!(
        !remote
            .resources
            .contains_key(&"log_group.web".parse().unwrap())
    );
    // ... and the refused one is kept beside the stack, whole.
    let kept: State = serde_json::from_str(&std::fs::read_to_string(rescued).unwrap()).unwrap();
    assert!(
        kept.resources
            .contains_key(&"log_group.web".parse().unwrap())
    );
    assert_eq!(kept.lineage, remote.lineage);

    // A writer whose lock was taken over stops writing, and keeps its state too.
    let c = store(&emulator, &dir);
    let state = c.load("cas").await.unwrap().unwrap();
    let lock = c
        .lock("apply", Duration::ZERO, Duration::from_secs(2))
        .await
        .unwrap();
    let lock_key = format!("{}.lock", key("cas"));
    s3.put_object()
        .bucket(BUCKET)
        .key(&lock_key)
        .body(
            r#"{"pid":1,"host":"ci-runner-9","command":"apply","since":1,"expires":4102444800}"#
                .as_bytes()
                .to_vec()
                .into(),
        )
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await; // a renewal (every 0.5 s) notices
    let err = c.save(&state).await.unwrap_err();
    assert!(
        matches!(
            &err,
            StateError::LockLost {
                rescued: Some(_),
                ..
            }
        ),
        "{err}"
    );
    drop(lock);
    assert!(
        object(&s3, &lock_key)
            .await
            .unwrap()
            .contains("ci-runner-9"),
        "a lost lock is never deleted: it is someone else's now"
    );
    assert_eq!(
        remote_state(&s3, "cas").await.serial,
        2,
        "nothing was written"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn locks_are_exclusive_renewed_while_held_and_taken_over_once_expired() {
    let emulator = Emulator::start();
    let s3 = emulator.bucket(BUCKET).await;
    let dir = std::env::temp_dir();
    let (a, b) = (store(&emulator, &dir), store(&emulator, &dir));
    let ttl = Duration::from_secs(2);

    let held = a.lock("apply", Duration::ZERO, ttl).await.unwrap();
    assert!(held.took_over().is_none());
    // Held past its first lifetime: renewals keep it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    match b.lock("destroy", Duration::ZERO, ttl).await.unwrap_err() {
        LockError::Held { holder, at } => {
            assert_eq!(holder.command, "apply");
            assert_eq!(holder.pid, std::process::id());
            assert!(holder.expires.is_some());
            assert!(at.ends_with(".lock"), "{at}");
        }
        other => panic!("{other}"),
    }
    // Let go: the next run gets it at once.
    drop(held);
    let again = b.lock("destroy", Duration::ZERO, ttl).await.unwrap();
    assert!(again.took_over().is_none());
    drop(again);

    // A run that died holding it: the lock is taken over once its expiry has passed.
    let dead = Holder {
        pid: 4242,
        host: "ci-runner-7".into(),
        command: "apply".into(),
        since: 1,
        expires: Some(stackctl::state::lock::now() + 2),
    };
    let lock_key = format!("{}.lock", key("cas"));
    put_lock(&s3, &lock_key, &dead).await;
    let err = a.lock("apply", Duration::ZERO, ttl).await.unwrap_err();
    assert!(matches!(&err, LockError::Held { holder, .. } if *holder == dead));
    let taken = a.lock("apply", Duration::from_secs(10), ttl).await.unwrap();
    assert_eq!(taken.took_over(), Some(&dead));
    drop(taken);
    assert!(object(&s3, &lock_key).await.is_none());
}

#[test]
fn a_holder_killed_mid_apply_leaves_a_lock_that_expires_and_is_taken_over() {
    let emulator = Emulator::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s3 = runtime.block_on(emulator.bucket(BUCKET));
    let ws = workspace(&emulator, "killed");
    let log = ws.dir.join("calls.jsonl");

    // Killed (no cleanup, as SIGKILL) after the 20th call: the lock stays, renewed no more.
    let killed = ws.run_with_env(
        &[
            (stackctl::aws::call_log::ABORT_AFTER_CALLS_ENV, "20"),
            ("STACKCTL_LOCK_TTL", "3s"),
        ],
        &[
            "--api-log",
            log.to_str().unwrap(),
            "apply",
            "--auto-approve",
        ],
    );
    assert_ne!(killed.code, 0, "{}", killed.stderr);
    let lock_key = format!("{}.lock", key("killed"));
    let lock = runtime
        .block_on(object(&s3, &lock_key))
        .expect("the lock is left behind");
    assert!(lock.contains("\"command\":\"apply\""), "{lock}");

    // As if it ran on another machine (a CI runner), whose process cannot be checked,
    // and had renewed its lock just now.
    let mut holder: Holder = serde_json::from_str(&lock).unwrap();
    holder.host = "ci-runner-7".into();
    let put = |holder: &Holder| {
        runtime
            .block_on(
                s3.put_object()
                    .bucket(BUCKET)
                    .key(&lock_key)
                    .body(serde_json::to_vec(holder).unwrap().into())
                    .send(),
            )
            .unwrap();
    };
    holder.expires = Some(stackctl::state::lock::now() + 600);
    put(&holder);

    // Without waiting: refused while the lock lives, naming its holder.
    let refused = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("locked by `apply`") && refused.stderr.contains("ci-runner-7"),
        "{}",
        refused.stderr
    );

    // Its last renewal was a while ago: the lock expires in 2 s. A run that waits takes
    // it over then, with a warning, and converges: everything but the service, which
    // waits for its image (exit 3); once that is pushed, the service too.
    holder.expires = Some(stackctl::state::lock::now() + 2);
    put(&holder);
    let next = ws.run(&["apply", "--auto-approve", "--lock-timeout", "1m"]);
    assert_eq!(next.code, HELD, "{}\n{}", next.stdout, next.stderr);
    assert!(
        next.stderr.contains("took over the lock of `apply`") && next.stderr.contains("it expired"),
        "{}",
        next.stderr
    );
    ws.push_images();
    ws.run(&["apply", "--auto-approve"]).ok();
    let plan = ws.run(&["plan"]).ok();
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    let state = runtime.block_on(object(&s3, &key("killed"))).unwrap();
    let orphans = runtime
        .block_on(async { leftovers::unrecorded(&emulator.aws().await, "killed", &state).await });
    assert!(orphans.is_empty(), "not in the state: {orphans:#?}");
    assert!(runtime.block_on(object(&s3, &lock_key)).is_none());

    // Killed on this machine (Ctrl-C, a crash): its process is gone, so the next run
    // takes the lock over at once instead of waiting for it to expire.
    ws.edit("desired_count = 2", "desired_count = 3");
    let killed = ws.run_with_env(
        &[(stackctl::aws::call_log::ABORT_AFTER_CALLS_ENV, "3")],
        &[
            "--api-log",
            log.to_str().unwrap(),
            "apply",
            "--auto-approve",
        ],
    );
    assert_ne!(killed.code, 0, "{}", killed.stderr);
    assert!(runtime.block_on(object(&s3, &lock_key)).is_some());
    let next = ws.run(&["apply", "--auto-approve"]).ok();
    assert!(
        next.stderr.contains("that process is no longer running"),
        "{}",
        next.stderr
    );
    assert!(runtime.block_on(object(&s3, &lock_key)).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn ci_runs_from_fresh_working_directories_share_one_state() {
    let emulator = Emulator::start();
    let s3 = emulator.bucket(BUCKET).await;
    let runner = workspace(&emulator, "shared");
    runner.apply(&[]).ok();
    assert!(
        std::fs::read_dir(&runner.dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("state")),
        "no state file is left in the working directory"
    );
    let first = remote_state(&s3, "shared").await;

    // The next job: a fresh checkout, no local state.
    let next = runner.elsewhere();
    drop(runner);
    let plan = next.run(&["plan"]).ok();
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    let apply = next.run(&["apply", "--auto-approve"]).ok();
    assert!(apply.stdout.contains("No changes"), "{}", apply.stdout);
    assert_eq!(remote_state(&s3, "shared").await.lineage, first.lineage);

    // Overridden from the environment, as CI would: the same state by URL.
    let url = format!("s3://{BUCKET}/{}", key("shared"));
    let output = next
        .run_with_env(&[("STACKCTL_STATE", &url)], &["output", "url"])
        .ok();
    assert!(output.stdout.starts_with("http"), "{}", output.stdout);

    // Another job destroys it.
    next.elsewhere().destroy(&[]).ok();
    assert!(remote_state(&s3, "shared").await.resources.is_empty());
    assert!(
        leftovers::of_stack(&emulator.aws().await, "shared")
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bucket_says_what_to_do() {
    let emulator = Emulator::start();
    let ws = workspace(&emulator, "nobucket");
    let run = ws.run(&["plan"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!("s3://{BUCKET}"))
            && run.stderr.contains("NoSuchBucket")
            && run.stderr.contains("create the bucket"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unlock_removes_an_s3_lock_left_by_another_machine() {
    let emulator = Emulator::start();
    let s3 = emulator.bucket(BUCKET).await;
    let ws = workspace(&emulator, "unlock");
    let lock_key = format!("{}.lock", key("unlock"));
    let other = foreign_holder();
    put_lock(&s3, &lock_key, &other).await;
    let refused = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("ci-runner-7"), "{}", refused.stderr);

    let run = ws.run(&["unlock"]).ok();
    assert!(
        run.stdout
            .contains("Removed the lock of `apply` (pid 4242 on ci-runner-7"),
        "{}",
        run.stdout
    );
    assert!(object(&s3, &lock_key).await.is_none());
    let again = ws.run(&["unlock"]).ok();
    assert!(again.stdout.contains("is not locked"), "{}", again.stdout);
    ws.apply(&[]).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_lock_is_taken_over_stops_and_keeps_its_state() {
    let emulator = Emulator::start();
    let s3 = emulator.bucket(BUCKET).await;
    let ws = workspace(&emulator, "robbed");
    let lock_key = format!("{}.lock", key("robbed"));
    let mut cmd = ws.command(&["apply", "--auto-approve"]);
    cmd.env("STACKCTL_LOCK_TTL", "2s")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let run = cmd.spawn().unwrap();
    // As soon as the run holds its lock, another run takes it (as after a network
    // outage long enough for the lock to expire). The run holds it once it renews it
    // (every TTL/4): a lock taken between its write and its read-back would be a
    // race the run rightly loses at the start.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut first = None;
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never took and renewed its lock"
        );
        match (object(&s3, &lock_key).await, &first) {
            (Some(body), None) => first = Some(body),
            (Some(body), Some(seen)) if body != *seen => break,
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let thief = foreign_holder();
    put_lock(&s3, &lock_key, &thief).await;
    let run = wait(run);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("lost the lock on state"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("skipped"),
        "nothing more starts: {}",
        run.stderr
    );
    let lock = object(&s3, &lock_key).await.unwrap();
    assert!(
        lock.contains("ci-runner-7"),
        "the other run's lock is left alone: {lock}"
    );
    // All a first apply makes: everything but the service and its task definition,
    // which wait for the image.
    let total = 20;
    let recorded = object(&s3, &key("robbed"))
        .await
        .map(|t| serde_json::from_str::<State>(&t).unwrap().resources.len())
        .unwrap_or(0);
    assert!(recorded < total, "the run stopped: {recorded} recorded");
}
