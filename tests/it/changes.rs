//! The second day, through the real binary: drift made directly through the SDK is
//! reported by `drift` (read-only) and told apart from stack.toml edits by `plan`;
//! saved plans apply exactly what was reviewed and nothing stale; a CI image deploy
//! touches only its service and survives later infrastructure applies, from this
//! working directory or from a fresh one; a target group replacement is created
//! before the old group goes, so the listener always forwards somewhere.

use crate::support::aws_order::writes;
use crate::support::cli::{Run, Workspace, example};
use crate::support::emulator::Emulator;
use serde_json::{Value, json};
use stackctl::address::Address;
use stackctl::aws::Aws;
use stackctl::aws::call_log::{CallLog, CallRecord};
use stackctl::state::State;

fn id(state: &State, address: &str) -> String {
    let a: Address = address.parse().unwrap();
    state.resources[&a].id.to_string()
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

/// `address -> (action, class, [field names])` of a `plan --json` document.
fn changes(plan: &Value) -> Vec<(String, String, String, Vec<String>)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
                c["class"].as_str().unwrap().to_string(),
                c["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["name"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// The change of `address` in a `plan --json` document.
fn change_of<'a>(plan: &'a Value, address: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change of {address} in {plan:#}"))
}

fn field<'a>(plan: &'a Value, address: &str, name: &str) -> &'a Value {
    change_of(plan, address)["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name} of {address} in {plan:#}"))
}

async fn service_of(aws: &Aws, state: &State, name: &str) -> aws_sdk_ecs::types::Service {
    let out = aws
        .ecs
        .describe_services()
        .cluster(id(state, "ecs_cluster.main"))
        .services(id(state, &format!("ecs_service.{name}")))
        .send()
        .await
        .unwrap();
    out.services()[0].clone()
}

async fn running_image(aws: &Aws, state: &State, service: &str) -> (String, String) {
    let svc = service_of(aws, state, service).await;
    let td = svc.task_definition().unwrap().to_string();
    let out = aws
        .ecs
        .describe_task_definition()
        .task_definition(&td)
        .send()
        .await
        .unwrap();
    let image = out.task_definition().unwrap().container_definitions()[0]
        .image()
        .unwrap()
        .to_string();
    (td, image)
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_reported_read_only_and_told_apart_from_edits() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.apply(&[]).ok();
    let state = ws.state();
    let aws = Aws::for_emulator("eu-central-1", &emulator.endpoint).await;

    let clean = ws.run(&["drift"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.contains("No drift."), "{}", clean.stdout);

    // A colleague in the console: scales the service, edits the health check,
    // deletes the log group.
    aws.ecs
        .update_service()
        .cluster(id(&state, "ecs_cluster.main"))
        .service(id(&state, "ecs_service.hello"))
        .desired_count(5)
        .send()
        .await
        .unwrap();
    aws.elb
        .modify_target_group()
        .target_group_arn(id(&state, "target_group.hello"))
        .health_check_path("/changed")
        .send()
        .await
        .unwrap();
    aws.logs
        .delete_log_group()
        .log_group_name(id(&state, "log_group.hello"))
        .send()
        .await
        .unwrap();

    let state_before = std::fs::read(ws.state_path()).unwrap();
    let log = ws.dir.join("drift.calls.jsonl");
    let drift = ws.run(&["--api-log", log.to_str().unwrap(), "drift", "--json"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    assert!(
        writes(&log).is_empty(),
        "drift changed AWS: {:?}",
        writes(&log)
    );
    assert_eq!(std::fs::read(ws.state_path()).unwrap(), state_before);
    let report = json_of(&drift);
    assert_eq!(report["format"], "stackctl-drift");
    assert_eq!(report["drifted"], true);
    let resources = report["resources"].as_array().unwrap();
    let by_address = |a: &str| {
        resources
            .iter()
            .find(|r| r["address"] == a)
            .unwrap_or_else(|| panic!("{a} not in {report:#}"))
    };
    assert_eq!(resources.len(), 3, "{report:#}");
    let svc = by_address("ecs_service.hello");
    assert_eq!(svc["status"], "changed");
    assert_eq!(
        svc["fields"],
        json!([{"name": "desired_count", "recorded": 2, "live": 5}])
    );
    let tg = by_address("target_group.hello");
    assert_eq!(tg["fields"][0]["name"], "health_check");
    assert_eq!(tg["fields"][0]["recorded"]["path"], "/health");
    assert_eq!(tg["fields"][0]["live"]["path"], "/changed");
    assert_eq!(by_address("log_group.hello")["status"], "deleted");

    let text = ws.run(&["drift"]);
    assert_eq!(text.code, 2);
    for line in [
        "  ~ ecs_service.hello",
        "desired_count  applied 2, now 5",
        "  - log_group.hello",
    ] {
        assert!(text.stdout.contains(line), "{line:?} in:\n{}", text.stdout);
    }

    // plan: the drift apart from stack.toml edits, and each field's cause.
    ws.edit("desired_count = 2", "desired_count = 3");
    ws.edit("cpu = 256", "cpu = 512\nmemory = 1024");
    ws.edit("memory = 512\n", "");
    let plan = ws.run(&["plan"]);
    let (drift_part, edits_part) = plan
        .stdout
        .split_once("Changes from stack.toml:")
        .unwrap_or_else(|| panic!("no separate sections:\n{}", plan.stdout));
    assert!(drift_part.contains("Changed outside stackctl"));
    assert!(
        drift_part.contains("health_check.path = \"/changed\" -> \"/health\""),
        "{}",
        plan.stdout
    );
    assert!(drift_part.contains("log_group.hello"), "{}", plan.stdout);
    assert!(
        edits_part.contains("task_definition.hello"),
        "{}",
        plan.stdout
    );
    assert!(
        edits_part.contains("= 5 -> 3  # also changed outside stackctl"),
        "{}",
        plan.stdout
    );
    let plan = json_of(&ws.run(&["plan", "--json"]));
    assert_eq!(
        field(&plan, "target_group.hello", "health_check")["cause"],
        "drift"
    );
    assert_eq!(
        field(&plan, "ecs_service.hello", "desired_count")["cause"],
        "both"
    );
    assert_eq!(
        field(&plan, "task_definition.hello", "memory")["cause"],
        "config"
    );
    let log_group = change_of(&plan, "log_group.hello");
    assert_eq!(
        (&log_group["action"], &log_group["reason"]),
        (&json!("create"), &json!("deleted_outside"))
    );

    ws.run(&["apply", "--auto-approve"]).ok();
    let clean = ws.run(&["drift"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    let after = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(after.code, 0, "{}", after.stdout);
    let state = ws.state();
    assert_eq!(service_of(&aws, &state, "hello").await.desired_count(), 3);

    // An error is exit 1, never "no drift": here a state file cut short.
    let broken = ws.elsewhere();
    let text = std::fs::read_to_string(ws.state_path()).unwrap();
    std::fs::write(broken.state_path(), &text[..text.len() / 2]).unwrap();
    let failed = broken.run(&["drift"]);
    assert_eq!(failed.code, 1, "{}{}", failed.stdout, failed.stderr);
    assert!(failed.stdout.is_empty(), "{}", failed.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_applies_exactly_what_was_reviewed_and_nothing_stale() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.apply(&[]).ok();
    let aws = Aws::for_emulator("eu-central-1", &emulator.endpoint).await;

    ws.edit("desired_count = 2", "desired_count = 3");
    let saved = ws.dir.join("reviewed.plan.json");
    let run = ws.run(&["plan", "--out", saved.to_str().unwrap()]).ok();
    assert!(run.stdout.contains("stackctl apply"), "{}", run.stdout);
    let document: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(document["format"], "stackctl-plan");
    assert_eq!(
        changes(&document),
        vec![(
            "ecs_service.hello".to_string(),
            "update".to_string(),
            "in_place".to_string(),
            vec!["desired_count".to_string()]
        )]
    );
    // `plan --json` prints the same document.
    let printed = json_of(&ws.run(&["plan", "--json"]));
    assert_eq!(printed, document);

    // stack.toml moves on after the review: the saved plan still applies what was
    // reviewed, without asking (stdin is not a terminal here).
    ws.edit("desired_count = 3", "desired_count = 4");
    let run = ws.run(&["apply", saved.to_str().unwrap()]).ok();
    assert!(
        run.stdout.contains("Apply complete: 0 added, 1 changed"),
        "{}",
        run.stdout
    );
    let state = ws.state();
    assert_eq!(service_of(&aws, &state, "hello").await.desired_count(), 3);

    // The state moved on: the same plan is refused, and nothing changes.
    let serial = state.serial;
    let again = ws.run(&["apply", saved.to_str().unwrap()]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains("the state changed since this plan was made"),
        "{}",
        again.stderr
    );
    assert_eq!(ws.state().serial, serial);

    // Not a plan at all.
    for not_a_plan in [ws.stack.clone(), ws.state_path()] {
        let run = ws.run(&["apply", not_a_plan.to_str().unwrap()]);
        assert_eq!(run.code, 1);
        assert!(
            run.stderr.contains("not a stackctl plan"),
            "{}: {}",
            not_a_plan.display(),
            run.stderr
        );
    }
    assert_eq!(ws.state().serial, serial);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ci_image_deploy_rolls_only_its_service_and_later_applies_keep_it() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.apply(&[]).ok();
    let aws = Aws::for_emulator("eu-central-1", &emulator.endpoint).await;
    let state = ws.state();
    let (first_td, first_image) = running_image(&aws, &state, "hello").await;
    let repository =
        state.resources[&"ecr_repository.hello".parse::<Address>().unwrap()].outputs["uri"].clone();
    assert_eq!(first_image, format!("{repository}:1.0.0"));

    // The pipeline: it builds and pushes the image, then one command.
    let built = format!("{repository}:3f2c1a9");
    ws.push(&built);
    let log = ws.dir.join("deploy.calls.jsonl");
    let deploy = ws
        .run(&[
            "--api-log",
            log.to_str().unwrap(),
            "apply",
            "--auto-approve",
            "--image",
            &format!("hello={built}"),
        ])
        .ok();
    assert!(deploy.stdout.contains("(deploy-only)"), "{}", deploy.stdout);
    assert!(
        deploy
            .stdout
            .contains("Deploy complete: 1 added, 1 changed, 1 destroyed."),
        "{}",
        deploy.stdout
    );
    let mut changed: Vec<String> = writes(&log)
        .iter()
        .map(|c| format!("{} {}", c.operation, c.address.as_ref().unwrap()))
        .collect();
    changed.sort();
    changed.dedup();
    assert_eq!(
        changed,
        vec![
            "RegisterTaskDefinition task_definition.hello",
            "UpdateService ecs_service.hello",
        ],
        "a deploy changed more than its service"
    );
    let state = ws.state();
    let (deployed_td, image) = running_image(&aws, &state, "hello").await;
    assert_eq!(image, built);
    assert_ne!(deployed_td, first_td);
    assert_eq!(id(&state, "task_definition.hello"), deployed_td);
    // The previous revision stays registered for a rollback.
    let old = aws
        .ecs
        .describe_task_definition()
        .task_definition(&first_td)
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.task_definition().unwrap().status().unwrap().as_str(),
        "ACTIVE"
    );

    // An infrastructure plan from here does not revert it...
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    // ...nor from a fresh checkout without the state (adopted by tags), where an
    // infrastructure change rebuilds the task definition with the deployed image.
    let ci = ws.elsewhere();
    let plan = ci.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    ci.edit(
        "desired_count = 2",
        "desired_count = 3\nenv = { FEATURE = \"on\" }",
    );
    let plan = json_of(&ci.run(&["plan", "--json"]));
    let td = change_of(&plan, "task_definition.hello");
    assert_eq!(td["class"], "replacement");
    assert!(
        td["fields"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["name"] != "image"),
        "{td:#}"
    );
    ci.run(&["apply", "--auto-approve"]).ok();
    let ci_state = ci.state();
    let (rebuilt_td, image) = running_image(&aws, &ci_state, "hello").await;
    assert_ne!(rebuilt_td, deployed_td);
    assert_eq!(image, built, "an infrastructure apply reverted the image");
    let env = aws
        .ecs
        .describe_task_definition()
        .task_definition(&rebuilt_td)
        .send()
        .await
        .unwrap();
    let env = env.task_definition().unwrap().container_definitions()[0]
        .environment()
        .to_vec();
    assert_eq!(env.len(), 1);
    assert_eq!(env[0].value(), Some("on"));
    assert_eq!(
        service_of(&aws, &ci_state, "hello").await.desired_count(),
        3
    );

    // stack.toml names another image (pushed): it wins, labelled as a deploy.
    ci.edit("hello:1.0.0", "hello:v2");
    ci.push(&format!("{repository}:v2"));
    let plan = json_of(&ci.run(&["plan", "--json"]));
    let image_field = field(&plan, "task_definition.hello", "image");
    assert_eq!(image_field["before"], json!(built));
    assert_eq!(image_field["after"], json!(format!("{repository}:v2")));
    let classes: Vec<(String, String, String, Vec<String>)> = changes(&plan);
    assert_eq!(classes.len(), 2, "{plan:#}");
    assert!(classes.iter().all(|c| c.2 == "deploy_only"), "{classes:?}");
    ci.run(&["apply", "--auto-approve"]).ok();
    let (_, image) = running_image(&aws, &ci.state(), "hello").await;
    assert_eq!(image, format!("{repository}:v2"));
    assert_eq!(ci.run(&["plan", "--detailed-exitcode"]).code, 0);

    // A service the stack does not have is refused before any change.
    let unknown = ci.run(&["apply", "--auto-approve", "--image", "api=x:1"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("no service `api`"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_group_replacement_is_created_before_the_old_group_goes() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.apply(&[]).ok();
    let aws = Aws::for_emulator("eu-central-1", &emulator.endpoint).await;
    let old_tg = id(&ws.state(), "target_group.hello");

    ws.edit("port = 8080", "port = 9090");
    let plan = json_of(&ws.run(&["plan", "--json"]));
    let tg = change_of(&plan, "target_group.hello");
    assert_eq!(tg["class"], "replacement");
    assert_eq!(
        field(&plan, "target_group.hello", "port")["forces_replacement"],
        true
    );
    assert!(
        tg["warning"].is_null(),
        "a create-first replacement warns: {tg:#}"
    );
    let svc = change_of(&plan, "ecs_service.hello");
    assert_eq!(
        svc["action"], "update",
        "the service is not recreated: {svc:#}"
    );

    // moto refuses to delete a target group a listener uses, as AWS does: the apply
    // succeeding is itself the proof that nothing pointed at the old group.
    let log = ws.dir.join("replace.calls.jsonl");
    let run = ws.run(&[
        "--api-log",
        log.to_str().unwrap(),
        "apply",
        "--auto-approve",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let calls = CallLog::read(&log).unwrap();
    let at = |op: &str, address: &str| -> &CallRecord {
        calls
            .iter()
            .find(|c| {
                c.operation == op
                    && c.address.as_ref().map(|a| a.to_string()).as_deref() == Some(address)
            })
            .unwrap_or_else(|| panic!("no {op} for {address}"))
    };
    let created = at("CreateTargetGroup", "target_group.hello");
    let moved = at("ModifyListener", "listener.http");
    let service = calls
        .iter()
        .filter(|c| c.operation == "UpdateService")
        .max_by_key(|c| c.end_us)
        .unwrap();
    let deleted = at("DeleteTargetGroup", "target_group.hello");
    assert!(
        created.end_us <= moved.start_us,
        "listener moved before the new group existed"
    );
    assert!(
        moved.end_us <= deleted.start_us,
        "old group deleted while the listener used it"
    );
    assert!(
        service.end_us <= deleted.start_us,
        "old group deleted while the service used it"
    );

    let state = ws.state();
    let new_tg = id(&state, "target_group.hello");
    assert_ne!(new_tg, old_tg);
    let listener = aws
        .elb
        .describe_listeners()
        .listener_arns(id(&state, "listener.http"))
        .send()
        .await
        .unwrap();
    let forward = listener.listeners()[0].default_actions()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    assert_eq!(forward, new_tg);
    let groups = aws
        .elb
        .describe_target_groups()
        .target_group_arns(&new_tg)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.target_groups()[0].port(), Some(9090));
    let gone = aws
        .elb
        .describe_target_groups()
        .target_group_arns(&old_tg)
        .send()
        .await;
    assert!(gone.is_err(), "the old target group is still there");
    assert_eq!(
        service_of(&aws, &state, "hello").await.load_balancers()[0].target_group_arn(),
        Some(new_tg.as_str())
    );
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
}
