//! `stackctl state ...` on both backends, and `state migrate` between them: what a
//! person repairing a state by hand meets.

use crate::support::cli::{Workspace, example};
use crate::support::emulator::Emulator;
use stackctl::aws::call_log::CallLog;
use stackctl::state::State;

const BUCKET: &str = "acme-stackctl-state";

fn workspace(emulator: &Emulator, stack: &str, backend: &str) -> Workspace {
    let ws = Workspace::new(emulator, &example("hello-fargate"));
    let text = std::fs::read_to_string(&ws.stack).unwrap();
    let text = text.replacen("name = \"hello\"", &format!("name = \"{stack}\""), 1);
    assert!(text.contains(stack), "{text}");
    std::fs::write(
        &ws.stack,
        format!("{text}\n[state]\nbackend = \"{backend}\"\nbucket = \"{BUCKET}\"\n"),
    )
    .unwrap();
    ws
}

fn pulled(ws: &Workspace) -> State {
    serde_json::from_str(&ws.run(&["state", "pull"]).ok().stdout).unwrap()
}

async fn exercise(emulator: &Emulator, stack: &str, backend: &str) {
    let ws = workspace(emulator, stack, backend);
    let empty = ws.run(&["state", "list"]);
    assert_eq!(empty.code, 1);
    assert!(empty.stderr.contains("no state at"), "{}", empty.stderr);
    ws.apply(&[]).ok();
    let before = pulled(&ws);
    assert_eq!(ws.state_path().exists(), backend == "local");

    // list: one line per record, with its id.
    let list = ws.run(&["state", "list"]).ok().stdout;
    assert_eq!(list.lines().count(), before.resources.len(), "{list}");
    let (group, record) = before
        .resources
        .iter()
        .find(|(a, _)| a.to_string().starts_with("log_group."))
        .expect("a log group");
    assert!(
        list.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == [group.to_string(), record.id.to_string()]),
        "{list}"
    );
    let show = ws.run(&["state", "show", &group.to_string()]).ok().stdout;
    assert!(show.contains(&format!("id: {}", record.id)), "{show}");
    let missing = ws.run(&["state", "show", "vpc.nope"]);
    assert!(
        missing
            .stderr
            .contains("vpc.nope is not in the state; it has: "),
        "{}",
        missing.stderr
    );

    // mv there and back: the object follows, what needed it is repointed.
    let renamed = format!("log_group.{}-renamed", group.name());
    ws.run(&["state", "mv", &group.to_string(), &renamed]).ok();
    let moved = pulled(&ws);
    assert_eq!(moved.resources[&renamed.parse().unwrap()].id, record.id);
    assert!(
        moved
            .resources
            .values()
            .all(|r| !r.depends_on.contains(group))
    );
    ws.run(&["state", "mv", &renamed, &group.to_string()]).ok();
    assert_eq!(pulled(&ws).resources, before.resources);

    // rm: forgotten, not deleted; the next apply finds it by its tags.
    let saved = ws.dir.join("saved.state.json");
    std::fs::write(&saved, ws.run(&["state", "pull"]).ok().stdout).unwrap();
    let rm = ws.run(&["state", "rm", &group.to_string()]).ok().stdout;
    assert!(
        rm.contains("still in AWS") && rm.contains("still declares"),
        "{rm}"
    );
    assert!(!pulled(&ws).resources.contains_key(group));
    ws.run(&["apply", "--auto-approve"]).ok();
    assert_eq!(
        pulled(&ws).resources[group].id,
        record.id,
        "adopted again, not made twice"
    );
    let plan = ws.run(&["plan"]).ok().stdout;
    assert!(plan.contains("No changes"), "{plan}");

    // push: an older serial and another lineage are refused unless forced.
    let older = ws.run(&["state", "push", saved.to_str().unwrap()]);
    assert_eq!(older.code, 1);
    assert!(
        older.stderr.contains("is older than the stored state's"),
        "{}",
        older.stderr
    );
    let mut stranger: State =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    stranger.lineage = "another-deployment".into();
    stranger.serial += 100;
    let other = ws.dir.join("other.state.json");
    std::fs::write(&other, serde_json::to_string(&stranger).unwrap()).unwrap();
    let refused = ws.run(&["state", "push", other.to_str().unwrap()]);
    assert!(
        refused.stderr.contains("lineage another-deployment"),
        "{}",
        refused.stderr
    );
    let current = pulled(&ws);
    assert_eq!(current.lineage, before.lineage);
    let forced = ws
        .run(&["state", "push", "--force", saved.to_str().unwrap()])
        .ok();
    assert!(forced.stdout.contains("Pushed"), "{}", forced.stdout);
    let after = pulled(&ws);
    assert!(after.serial > current.serial, "the serial only grows");
    assert_eq!(after.resources, before.resources);
    ws.destroy(&[]).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn state_commands_work_on_the_local_file_and_on_s3() {
    let emulator = Emulator::start();
    emulator.bucket(BUCKET).await;
    exercise(&emulator, "onfile", "local").await;
    exercise(&emulator, "ons3", "s3").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_moves_the_state_and_its_lineage_to_s3_and_back_without_touching_the_stack() {
    let emulator = Emulator::start();
    let s3 = emulator.bucket(BUCKET).await;
    let ws = workspace(&emulator, "moving", "local");
    ws.apply(&[]).ok();
    let local = ws.state();
    let log = ws.dir.join("migrate.calls.jsonl");
    let log_arg = log.to_str().unwrap();

    let run = ws
        .run(&["--api-log", log_arg, "state", "migrate", "--to", "s3"])
        .ok();
    assert!(
        run.stdout.contains("Set `backend = \"s3\"`"),
        "{}",
        run.stdout
    );
    assert!(!ws.state_path().exists());
    assert!(ws.dir.join("stack.state.json.migrated").exists());
    ws.edit("backend = \"local\"", "backend = \"s3\"");
    let remote = pulled(&ws);
    assert_eq!(remote.lineage, local.lineage);
    assert_eq!(remote.resources, local.resources);
    assert!(
        s3.get_object()
            .bucket(BUCKET)
            .key("stackctl/moving.state.json")
            .send()
            .await
            .is_ok()
    );
    let plan = ws.run(&["plan"]).ok().stdout;
    assert!(plan.contains("No changes"), "{plan}");

    // A destination that holds a state is never overwritten.
    std::fs::write(ws.state_path(), serde_json::to_string(&local).unwrap()).unwrap();
    let refused = ws.run(&["state", "migrate", "--to", "local"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("nothing was moved"),
        "{}",
        refused.stderr
    );
    std::fs::remove_file(ws.state_path()).unwrap();

    let back = ws
        .run(&["--api-log", log_arg, "state", "migrate", "--to", "local"])
        .ok();
    assert!(
        back.stdout.contains("Set `backend = \"local\"`"),
        "{}",
        back.stdout
    );
    ws.edit("backend = \"s3\"", "backend = \"local\"");
    let home = ws.state();
    assert_eq!(home.lineage, local.lineage);
    assert_eq!(home.resources, local.resources);
    assert!(home.serial > local.serial);
    assert!(
        s3.get_object()
            .bucket(BUCKET)
            .key("stackctl/moving.state.json")
            .send()
            .await
            .is_err()
    );
    let plan = ws.run(&["plan"]).ok().stdout;
    assert!(plan.contains("No changes"), "{plan}");

    // Neither migration called anything but S3.
    let calls = CallLog::read(&log).unwrap();
    assert!(!calls.is_empty());
    let others: Vec<_> = calls
        .iter()
        .filter(|c| !c.service.eq_ignore_ascii_case("s3"))
        .collect();
    assert!(others.is_empty(), "{others:?}");
}
