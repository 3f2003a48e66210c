//! Autoscaling through the real binary: the production example applies with a
//! scalable target and a policy per metric; a count the autoscaler moved is no
//! change (terraform-provider-aws #335: an infrastructure apply must not undo a
//! scale-out), while a new bound in stack.toml is one; destroy leaves nothing.

use crate::support::cli::{Workspace, example};
use crate::support::domain;
use crate::support::emulator::Emulator;
use crate::support::images::HELD;
use crate::support::leftovers;
use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use stackctl::address::Address;

#[tokio::test(flavor = "multi_thread")]
async fn a_scaled_service_keeps_the_count_its_autoscaler_set() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("production"));
    domain::zone_of(&emulator.aws().await, &ws.stack).await;
    let held = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(held.code, HELD, "{}\n{}", held.stdout, held.stderr);
    ws.push_images();
    ws.run(&["apply", "--auto-approve"]).ok();
    let aws = emulator.aws().await;

    // What AWS holds: the target's bounds and one policy per metric stack.toml gives.
    let targets = aws
        .scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs);
    let targets = targets.send().await.unwrap();
    let target = &targets.scalable_targets()[0];
    assert_eq!(target.resource_id(), "service/shop/web");
    assert_eq!((target.min_capacity(), target.max_capacity()), (2, 10));
    let policies = aws
        .scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs);
    let policies = policies.send().await.unwrap();
    let mut names: Vec<&str> = policies
        .scaling_policies()
        .iter()
        .map(|p| p.policy_name())
        .collect();
    names.sort();
    assert_eq!(names, ["shop-web-cpu", "shop-web-requests"]);
    let requests = policies
        .scaling_policies()
        .iter()
        .find(|p| p.policy_name() == "shop-web-requests");
    let label = requests
        .and_then(|p| p.target_tracking_scaling_policy_configuration())
        .and_then(|c| c.predefined_metric_specification())
        .and_then(|m| m.resource_label())
        .unwrap();
    assert!(
        label.starts_with("app/shop-alb/") && label.contains("/targetgroup/shop-web"),
        "{label}"
    );

    // The autoscaler moves the count: no change, and an apply leaves it where it is.
    aws.ecs
        .update_service()
        .cluster("shop")
        .service("web")
        .desired_count(7)
        .send()
        .await
        .unwrap();
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    ws.run(&["apply", "--auto-approve"]).ok();
    assert_eq!(desired_count(&aws).await, 7);

    // A new bound is a change of the target alone, in place.
    ws.edit("max = 10", "max = 12");
    let plan = ws.run(&["plan", "--json"]).ok();
    let document: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let changed: Vec<(&str, &str)> = document["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            (
                c["address"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [("scalable_target.web", "update")],
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).ok();
    let target: Address = "scalable_target.web".parse().unwrap();
    assert!(ws.state().resources.contains_key(&target));
    assert_eq!(desired_count(&aws).await, 7);

    ws.delete_images();
    ws.run(&["destroy", "--auto-approve"]).ok();
    assert_eq!(
        leftovers::of_stack(&aws, "shop").await,
        Vec::<String>::new()
    );
}

async fn desired_count(aws: &stackctl::aws::Aws) -> i32 {
    let out = aws
        .ecs
        .describe_services()
        .cluster("shop")
        .services("web")
        .send()
        .await;
    out.unwrap().services()[0].desired_count()
}
