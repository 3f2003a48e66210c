//! A new user's first deploy, through the real binary: the example's service runs an
//! image from the stack's own ECR repository, which the first apply creates empty.
//! That apply makes everything else, starts no service on an image that is not there,
//! exits 3 and says exactly what to push where; `plan` lists what waits for the
//! image; once the image is pushed the next apply creates the service. A deploy of a
//! tag nobody pushed is refused and changes nothing.

use crate::support::aws_order;
use crate::support::cli::{Workspace, example};
use crate::support::emulator::Emulator;
use crate::support::images::{self, HELD, NEVER_DELETES_IMAGES};
use crate::support::leftovers;
use serde_json::Value;
use stackctl::address::Address;
use stackctl::aws::Aws;
use stackctl::aws::call_log::CallLog;
use std::path::Path;

const REGION: &str = "eu-west-2";

/// The operations of an API log.
fn operations(log: &Path) -> Vec<String> {
    CallLog::read(log)
        .unwrap()
        .into_iter()
        .map(|c| c.operation)
        .collect()
}

/// Calls that change something (anything but Describe*, List*, Get*), as
/// `OPERATION ADDRESS`.
fn writes(log: &Path) -> Vec<String> {
    aws_order::writes(log)
        .into_iter()
        .map(|c| match c.address {
            Some(a) => format!("{} {a}", c.operation),
            None => c.operation,
        })
        .collect()
}

async fn services_of(aws: &Aws, cluster: &str) -> Vec<String> {
    aws.ecs
        .list_services()
        .cluster(cluster)
        .send()
        .await
        .unwrap()
        .service_arns()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_apply_holds_the_service_until_its_image_is_pushed() {
    let emulator = Emulator::start();
    let aws = Aws::for_emulator(REGION, &emulator.endpoint).await;
    let ws = Workspace::new(&emulator, &example("weather"));
    let held: [Address; 2] = [
        "task_definition.web".parse().unwrap(),
        "ecs_service.web".parse().unwrap(),
    ];

    // The first apply: everything but the service and its task definition.
    let first_log = ws.dir.join("first.calls.jsonl");
    let first = ws.run(&[
        "--api-log",
        first_log.to_str().unwrap(),
        "apply",
        "--auto-approve",
    ]);
    assert_eq!(
        first.code, HELD,
        "stdout:\n{}\nstderr:\n{}",
        first.stdout, first.stderr
    );
    let state = ws.state();
    let repository = state.resources[&"ecr_repository.weather".parse::<Address>().unwrap()].outputs
        ["uri"]
        .clone();
    assert_eq!(
        repository,
        "123456789012.dkr.ecr.eu-west-2.amazonaws.com/weather-weather"
    );
    assert!(
        first
            .stdout
            .contains("Apply incomplete: 24 added, 0 changed, 0 destroyed; 2 held back."),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains(&format!("repository_weather = {repository}")),
        "{}",
        first.stdout
    );
    let registry = "123456789012.dkr.ecr.eu-west-2.amazonaws.com";
    let instructions = format!(
        "Held back: task_definition.web, ecs_service.web. The image is not in its repository \
         yet; push it, then apply again:\n\
         \n  # task_definition.web\
         \n  aws ecr get-login-password --region eu-west-2 | docker login --username AWS --password-stdin {registry}\
         \n  docker tag YOUR_IMAGE {repository}:1.0.0\
         \n  docker push {repository}:1.0.0\
         \n\
         \n  stackctl apply\n"
    );
    assert!(
        first.stderr.contains(&instructions),
        "no push instructions\n{instructions}\nin:\n{}",
        first.stderr
    );
    assert_eq!(state.resources.len(), 24, "{:?}", state.resources.keys());
    for address in &held {
        assert!(!state.resources.contains_key(address), "{address} recorded");
    }
    // No service was started, nor a task definition registered.
    let cluster = state.resources[&"ecs_cluster.main".parse::<Address>().unwrap()]
        .id
        .to_string();
    assert_eq!(services_of(&aws, &cluster).await, Vec::<String>::new());
    let first_ops = operations(&first_log);
    for op in ["CreateService", "RegisterTaskDefinition"] {
        assert!(
            !first_ops.iter().any(|o| o == op),
            "{op} in the first apply: {first_ops:?}"
        );
    }
    let families = aws
        .ecs
        .list_task_definitions()
        .family_prefix("weather-web")
        .send()
        .await
        .unwrap();
    assert_eq!(families.task_definition_arns(), [] as [String; 0]);

    // plan: changes pending (exit 2), the held ones listed with why.
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    for line in [
        "Held back until the image is pushed (apply makes everything else first):\n".to_string(),
        "  + task_definition.web\n".to_string(),
        format!("      (held back: its image {repository}:1.0.0 is not in the repository)\n"),
        "  + ecs_service.web\n".to_string(),
        "      (held back: it needs task_definition.web)\n".to_string(),
    ] {
        assert!(plan.stdout.contains(&line), "{line:?} in:\n{}", plan.stdout);
    }
    assert!(
        plan.stdout.trim_end().ends_with(
            "Plan: 0 to add, 0 to change, 0 to destroy; 2 held back until an image is pushed."
        ),
        "{}",
        plan.stdout
    );
    let document: Value = serde_json::from_str(&ws.run(&["plan", "--json"]).ok().stdout).unwrap();
    let mut held_addresses: Vec<&str> = document["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["address"].as_str().unwrap())
        .collect();
    held_addresses.sort();
    assert_eq!(held_addresses, ["ecs_service.web", "task_definition.web"]);
    assert_eq!(document["changes"], serde_json::json!([]));

    // The pipeline pushes the image; the next apply creates what was held.
    let digest = images::push(&emulator.endpoint, REGION, "weather-weather", "1.0.0");
    assert!(digest.starts_with("sha256:"), "{digest}");
    let second_log = ws.dir.join("second.calls.jsonl");
    let second = ws
        .run(&[
            "--api-log",
            second_log.to_str().unwrap(),
            "apply",
            "--auto-approve",
        ])
        .ok();
    assert!(
        second
            .stdout
            .contains("Apply complete: 2 added, 0 changed, 0 destroyed."),
        "{}",
        second.stdout
    );
    assert!(!second.stderr.contains("Held back"), "{}", second.stderr);
    let made = writes(&second_log);
    for call in [
        "RegisterTaskDefinition task_definition.web",
        "CreateService ecs_service.web",
    ] {
        assert!(made.iter().any(|m| m == call), "no {call}: {made:?}");
    }
    assert!(
        made.iter()
            .all(|m| m.ends_with(" task_definition.web") || m.ends_with(" ecs_service.web")),
        "the second apply changed more than the held changes: {made:?}"
    );
    let state = ws.state();
    for address in &held {
        assert!(state.resources.contains_key(address), "{address} missing");
    }
    let services = services_of(&aws, &cluster).await;
    assert_eq!(services.len(), 1, "{services:?}");
    let service = aws
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services(&services[0])
        .send()
        .await
        .unwrap();
    let service = &service.services()[0];
    let running = service.task_definition().unwrap().to_string();
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(&running)
        .send()
        .await
        .unwrap();
    assert_eq!(
        td.task_definition().unwrap().container_definitions()[0].image(),
        Some(format!("{repository}:1.0.0").as_str())
    );
    let clean = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);

    // A deploy of a tag nobody pushed: refused, nothing changes.
    let serial = state.serial;
    let state_text = std::fs::read_to_string(ws.state_path()).unwrap();
    let deploy_log = ws.dir.join("deploy.calls.jsonl");
    let deploy = ws.run(&[
        "--api-log",
        deploy_log.to_str().unwrap(),
        "apply",
        "--auto-approve",
        "--image",
        &format!("web={repository}:nope"),
    ]);
    assert_eq!(
        deploy.code, HELD,
        "stdout:\n{}\nstderr:\n{}",
        deploy.stdout, deploy.stderr
    );
    assert!(
        deploy.stderr.contains("Nothing deployed. ")
            && deploy
                .stderr
                .contains(&format!("docker push {repository}:nope"))
            && deploy
                .stderr
                .contains(&format!("stackctl apply --image web={repository}:nope")),
        "{}",
        deploy.stderr
    );
    assert_eq!(writes(&deploy_log), Vec::<String>::new());
    assert_eq!(ws.state().serial, serial);
    assert_eq!(
        std::fs::read_to_string(ws.state_path()).unwrap(),
        state_text
    );
    let after = aws
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services(&services[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.services()[0].task_definition(),
        Some(running.as_str())
    );
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);

    // Tearing down: destroy never deletes images, and says so; once the images are
    // deleted, it finishes and leaves nothing.
    let refused = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains(NEVER_DELETES_IMAGES)
            && refused.stderr.contains("repository `weather-weather`"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        ws.state()
            .resources
            .keys()
            .map(|a| a.to_string())
            .collect::<Vec<_>>(),
        ["ecr_repository.weather"],
        "everything but the repository is deleted"
    );
    assert_eq!(ws.delete_images(), 1);
    ws.run(&["destroy", "--auto-approve"]).ok();
    let left = leftovers::of_stack(&aws, "weather").await;
    assert!(left.is_empty(), "left behind after destroy: {left:#?}");
}
