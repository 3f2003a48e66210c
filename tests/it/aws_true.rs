//! What real AWS does and the emulator does not, met by stackctl itself: the
//! examples applied through the fault proxy's realism layer
//! (crates/stackctl-bench/src/realism.rs), which answers as AWS does while objects
//! propagate, pulls images, and refuses what AWS refuses. Each test names the layer's
//! counts it expects, so a test cannot pass because the layer stayed quiet.
//! docs/aws-vs-emulator.md lists each difference with its test.

use crate::support::cli::{Workspace, example};
use crate::support::emulator::Emulator;
use crate::support::images::HELD;
use crate::support::{domain, leftovers};
use stackctl::aws::Aws;
use stackctl::aws::call_log::{CallLog, CallRecord};
use stackctl_bench::fault_proxy::{FaultProxy, Faults};
use stackctl_bench::realism::{Realism, RealismCounts};

/// An emulator with the realism layer in front, and a workspace of `example` that
/// reaches AWS through it.
struct Realistic {
    _emulator: Emulator,
    proxy: FaultProxy,
    ws: Workspace,
    /// Straight to the emulator, for the checks.
    aws: Aws,
}

async fn realistic(example_name: &str, region: &str) -> Realistic {
    let emulator = Emulator::start();
    let proxy =
        FaultProxy::start_realistic(&emulator.endpoint, Faults::none(7), None, Realism::aws());
    let mut ws = Workspace::new(&emulator, &example(example_name));
    ws.endpoint = proxy.endpoint.clone();
    let aws = Aws::for_emulator(region, &emulator.endpoint).await;
    domain::zone_of(&aws, &ws.stack).await;
    Realistic {
        aws,
        _emulator: emulator,
        proxy,
        ws,
    }
}

fn counts(r: &Realistic) -> RealismCounts {
    r.proxy.realism_counts()
}

/// Every object of `stack` in AWS is recorded in the state (no object an attempt
/// made twice), and there is exactly one of each recorded address.
async fn assert_no_duplicates(r: &Realistic, stack: &str) {
    let state = std::fs::read_to_string(r.ws.state_path()).unwrap();
    let unrecorded = leftovers::unrecorded(&r.aws, stack, &state).await;
    assert!(
        unrecorded.is_empty(),
        "made but not recorded: {unrecorded:#?}"
    );
}

/// The reference stack on a fresh account, as AWS answers while what was just made
/// propagates: new ids unknown for a moment (subnets, route tables, gateways,
/// groups), a new log group, the ECS service-linked role, a target group whose
/// listener was made a moment ago. Each call AWS refused is sent again; nothing is
/// made twice; the plan after is clean; the destroy (the CloudFront distribution
/// refused while its disable deploys) leaves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_reference_stack_applies_through_propagation_and_makes_nothing_twice() {
    let r = realistic("weather", "eu-west-2").await;
    let log = r.ws.dir.join("apply.calls.jsonl");
    let run = r.ws.apply(&["--api-log", log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let c = counts(&r);
    assert!(c.ec2_id_not_found >= 5, "{c:?}");
    assert!(c.log_group_not_found >= 1, "{c:?}");
    assert_eq!((c.service_linked_role, c.service_role), (1, 1), "{c:?}");
    assert!(c.target_group_propagation >= 1, "{c:?}");
    assert_eq!(c.unassociated_target_group, 0, "{c:?}");
    assert_eq!(c.tasks_on_missing_image, 0, "{c:?}");
    assert!(
        run.stderr
            .contains("AWS does not see what was just made yet"),
        "the waits are reported: {}",
        run.stderr
    );
    assert_creates_once(&CallLog::read(&log).unwrap());
    assert_no_duplicates(&r, "weather").await;
    let plan = r.ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    let destroy = r.ws.destroy(&[]);
    assert_eq!(destroy.code, 0, "{}\n{}", destroy.stdout, destroy.stderr);
    let c = counts(&r);
    assert_eq!(c.disable_deploying, 1, "{c:?}");
    assert_eq!(
        (c.distribution_not_disabled, c.precondition_failed),
        (0, 0),
        "{c:?}"
    );
    let left = leftovers::of_stack(&r.aws, "weather").await;
    assert!(left.is_empty(), "destroy left {left:#?}");
}

/// The production example on a fresh account: Application Auto Scaling's
/// service-linked role is being created by the first RegisterScalableTarget, which
/// cannot assume it yet; the call is sent again, the target is registered once, its
/// policies follow, and the plan after is clean. Its domain's certificates show no
/// validation record on their first describe (ACM fills it in a moment later): the
/// create waits for it, and each is requested once.
#[tokio::test(flavor = "multi_thread")]
async fn a_scaled_service_registers_through_the_new_service_linked_role() {
    let r = realistic("production", "eu-west-2").await;
    let log = r.ws.dir.join("apply.calls.jsonl");
    let run = r.ws.apply(&["--api-log", log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let c = counts(&r);
    assert_eq!(c.scaling_service_linked_role, 1, "{c:?}");
    // Both certificates were described before ACM showed their validation record.
    assert_eq!(c.certificate_record_pending, 2, "{c:?}");
    let calls = CallLog::read(&log).unwrap();
    assert_creates_once(&calls);
    let registered = calls
        .iter()
        .filter(|c| c.ok && c.operation == "RegisterScalableTarget")
        .count();
    assert_eq!(registered, 1, "registered once");
    assert_no_duplicates(&r, "shop").await;
    let plan = r.ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    // The team's address has not followed AWS's confirmation link: plan says so.
    assert!(counts(&r).pending_subscriptions >= 1, "{:?}", counts(&r));
    assert!(
        plan.stdout.contains(
            "Pending: ops@example.com has not confirmed sns_subscription.ops-example-com yet"
        ),
        "{}",
        plan.stdout
    );
    assert_eq!(r.ws.destroy(&[]).code, 0);
    assert!(leftovers::of_stack(&r.aws, "shop").await.is_empty());
}

/// Per-AZ NAT gateways, two services and flow logs, whose new role VPC Flow Logs
/// cannot assume for a moment.
#[tokio::test(flavor = "multi_thread")]
async fn flow_logs_wait_for_their_new_role_and_two_services_share_the_listener() {
    let r = realistic("frontend-backend", "eu-west-2").await;
    let run = r.ws.apply(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let c = counts(&r);
    assert_eq!(c.flow_log_role, 1, "{c:?}");
    assert_eq!(c.unassociated_target_group, 0, "{c:?}");
    assert_no_duplicates(&r, "shop").await;
    let plan = r.ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    assert_eq!(r.ws.destroy(&[]).code, 0);
    assert!(leftovers::of_stack(&r.aws, "shop").await.is_empty());
}

/// A new user's first apply: the repository is new and empty. No task is ever started
/// on the missing image (on AWS each would stop with CannotPullContainerError); after
/// the push the service starts on the image that is there.
#[tokio::test(flavor = "multi_thread")]
async fn no_task_starts_on_an_image_that_is_not_pushed() {
    let r = realistic("hello-fargate", "eu-central-1").await;
    let first = r.ws.run(&["apply", "--auto-approve"]);
    assert_eq!(first.code, HELD, "{}\n{}", first.stdout, first.stderr);
    assert!(
        first
            .stderr
            .contains("123456789012.dkr.ecr.eu-central-1.amazonaws.com/hello-hello:1.0.0"),
        "{}",
        first.stderr
    );
    assert_eq!(counts(&r).tasks_on_missing_image, 0);
    let services = r
        .aws
        .ecs
        .list_services()
        .cluster("hello")
        .send()
        .await
        .unwrap();
    assert!(services.service_arns().is_empty(), "{services:?}");
    let run = r.ws.apply(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let c = counts(&r);
    assert_eq!(
        (c.tasks_on_missing_image, c.failed_rollouts),
        (0, 0),
        "{c:?}"
    );
}

/// A new container port replaces the target group. On AWS a listener that moved to
/// the new group before the service's tasks were in it would answer 503 until they
/// were healthy: the layer counts every such move. And ECS refuses a group no
/// listener forwards to: the new group is attached at weight 0 first.
#[tokio::test(flavor = "multi_thread")]
async fn replacing_a_target_group_never_sends_traffic_to_an_empty_one() {
    let r = realistic("weather", "eu-west-2").await;
    assert_eq!(r.ws.apply(&[]).code, 0);
    r.ws.edit("port = 5000", "port = 5001");
    let log = r.ws.dir.join("replace.calls.jsonl");
    let run = r.ws.apply(&["--api-log", log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let c = counts(&r);
    assert_eq!(c.traffic_to_empty_target_group, 0, "{c:?}");
    assert_eq!(c.unassociated_target_group, 0, "{c:?}");
    let calls = CallLog::read(&log).unwrap();
    let at = |address: &str, operation: &str| -> Vec<u128> {
        calls
            .iter()
            .filter(|c| c.ok && c.operation == operation)
            .filter(|c| c.address.as_ref().is_some_and(|a| a.to_string() == address))
            .map(|c| c.start_us)
            .collect()
    };
    let listener = at("listener.http", "ModifyListener");
    let service = at("ecs_service.web", "UpdateService");
    let retire = at("target_group.web", "DeleteTargetGroup");
    assert_eq!(
        (listener.len(), service.len(), retire.len()),
        (2, 2, 1),
        "{calls:#?}"
    );
    let order = [listener[0], service[0], listener[1], service[1], retire[0]];
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "attach at weight 0, register in both, switch, leave the old, delete it: {order:?}"
    );
    let plan = r.ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
}

/// Tokyo has no ap-northeast-1b: `azs = 2` takes the zones the region lists (1a and
/// 1c), records them with their zone ids, and keeps them.
#[tokio::test(flavor = "multi_thread")]
async fn a_stack_in_tokyo_with_two_zones_applies_plans_clean_and_destroys() {
    let emulator = Emulator::start();
    let aws = Aws::for_emulator("ap-northeast-1", &emulator.endpoint).await;
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.edit("region = \"eu-central-1\"", "region = \"ap-northeast-1\"");
    let run = ws.apply(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let state = ws.state();
    let zone = |subnet: &str| {
        let r = &state.resources[&subnet.parse().unwrap()];
        (
            r.attrs["availability_zone"].clone(),
            r.outputs.get("az_id").cloned(),
        )
    };
    assert_eq!(zone("subnet.public-0").0, "ap-northeast-1a");
    assert_eq!(zone("subnet.public-1").0, "ap-northeast-1c");
    assert_eq!(zone("subnet.private-1").0, "ap-northeast-1c");
    assert!(
        zone("subnet.public-1")
            .1
            .is_some_and(|id| id.starts_with("apne1-az"))
    );
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    assert_eq!(ws.destroy(&[]).code, 0);
    assert!(leftovers::of_stack(&aws, "hello").await.is_empty());
}

/// More zones than the region has, or a zone it does not have, is an error before any
/// change, naming the zones it has.
#[tokio::test(flavor = "multi_thread")]
async fn zones_the_region_does_not_have_are_refused_naming_the_ones_it_has() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.edit("region = \"eu-central-1\"", "region = \"ap-northeast-1\"");
    ws.edit(
        "[repositories.hello]",
        "[network]\nazs = 4\n\n[repositories.hello]",
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(
        plan.stderr.contains("network.azs = 4")
            && plan
                .stderr
                .contains("ap-northeast-1a, ap-northeast-1c, ap-northeast-1d"),
        "{}",
        plan.stderr
    );
    ws.edit(
        "azs = 4",
        "azs = [\"ap-northeast-1a\", \"ap-northeast-1b\"]",
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(
        plan.stderr.contains("`ap-northeast-1b`") && plan.stderr.contains("ap-northeast-1d"),
        "{}",
        plan.stderr
    );
    assert!(!ws.state_path().exists(), "nothing was applied");
}

/// Policy and log ARNs carry the region's partition.
#[tokio::test(flavor = "multi_thread")]
async fn a_china_stack_plans_aws_cn_policy_arns() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("frontend-backend"));
    let text = std::fs::read_to_string(&ws.stack).unwrap();
    let region = text
        .lines()
        .find_map(|l| l.strip_prefix("region = "))
        .unwrap()
        .to_string();
    ws.edit(&format!("region = {region}"), "region = \"cn-north-1\"");
    let plan = ws.run(&["plan", "--json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let spec = |address: &str| {
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == address)
            .unwrap_or_else(|| panic!("no {address}"))["spec"]
            .clone()
    };
    assert_eq!(
        spec("iam_role.execution")["managed_policies"][0],
        "arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    );
    assert_eq!(
        spec("iam_role.flow_logs")["writable_logs"][0],
        "arn:aws-cn:logs:cn-north-1:*:log-group:/vpc/shop/flow-logs:*"
    );
    assert!(!plan.stdout.contains("arn:aws:iam"), "{}", plan.stdout);
}

/// No create of an address succeeded twice in one run (a call AWS refused and that
/// was sent again is logged once, as one call).
fn assert_creates_once(calls: &[CallRecord]) {
    let mut seen = std::collections::BTreeMap::new();
    for c in calls.iter().filter(|c| c.ok && is_create(&c.operation)) {
        let key = (c.address.clone(), c.operation.clone());
        *seen.entry(key).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "created twice: {twice:?}");
}

fn is_create(operation: &str) -> bool {
    ["Create", "Allocate", "Register", "Put"]
        .iter()
        .any(|p| operation.starts_with(p))
        && operation != "PutRetentionPolicy"
        && operation != "PutRolePolicy"
        && operation != "PutLifecyclePolicy"
        && operation != "PutImageScanningConfiguration"
        && operation != "PutImageTagMutability"
        && operation != "PutClusterCapacityProviders"
        && operation != "CreateTags"
        && operation != "CreateRoute"
}

/// A run cut short between the two finish steps of a target-group move (the listener
/// already forwards to the new group alone, the service still in both groups) is
/// completed by the next apply: it does not stage the move again, which would name the
/// old group, no longer attached to any listener, and ECS would refuse.
#[tokio::test(flavor = "multi_thread")]
async fn a_move_cut_short_between_its_finish_steps_is_completed() {
    use stackctl::aws::call_log::ABORT_AFTER_CALLS_ENV;
    let r = realistic("weather", "eu-west-2").await;
    let named = |name: &str| {
        let mut ws = Workspace::new(&r._emulator, &example("weather"));
        ws.endpoint = r.proxy.endpoint.clone();
        ws.edit("name = \"weather\"", &format!("name = \"{name}\""));
        ws
    };
    // Where the listener's move is finished, in a run that is not cut short.
    let clean = named("clean");
    assert_eq!(clean.apply(&[]).code, 0);
    clean.edit("port = 5000", "port = 5001");
    let log = clean.dir.join("clean.calls.jsonl");
    assert_eq!(clean.apply(&["--api-log", log.to_str().unwrap()]).code, 0);
    let calls = CallLog::read(&log).unwrap();
    let switches: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.operation == "ModifyListener")
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(switches.len(), 2, "{calls:#?}");
    let mut hit = false;
    for k in switches[1] - 1..=switches[1] + 1 {
        let ws = named(&format!("cut{k}"));
        assert_eq!(ws.apply(&[]).code, 0);
        ws.edit("port = 5000", "port = 5001");
        let killed_log = ws.dir.join("killed.calls.jsonl");
        let n = k.to_string();
        let killed = ws.run_with_env(
            &[(ABORT_AFTER_CALLS_ENV, &n)],
            &[
                "--api-log",
                killed_log.to_str().unwrap(),
                "apply",
                "--auto-approve",
            ],
        );
        assert_eq!(killed.code, -1, "cut after call {k}: {}", killed.stderr);
        let killed_calls = CallLog::read(&killed_log).unwrap();
        let finished_listener = killed_calls
            .iter()
            .filter(|c| c.operation == "ModifyListener")
            .count()
            == 2;
        let left_service = killed_calls
            .iter()
            .filter(|c| c.operation == "UpdateService")
            .count()
            == 2;
        hit |= finished_listener && !left_service;
        let before = counts(&r).unassociated_target_group;
        let again = ws.run(&["apply", "--auto-approve"]);
        assert_eq!(
            again.code, 0,
            "cut after call {k}: {}\n{}",
            again.stdout, again.stderr
        );
        assert_eq!(
            counts(&r).unassociated_target_group,
            before,
            "cut after call {k}"
        );
        let plan = ws.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "cut after call {k}: {}", plan.stdout);
    }
    assert!(
        hit,
        "no run was cut between the listener's and the service's finish"
    );
}

/// A deploy whose 5xx alarm fires while ECS watches it: the realism layer fails the
/// deployment as ECS does with deployment alarms; apply fails, naming the alarm and
/// the reason CloudWatch gives for its state (read by stackctl, not in ECS's answer).
#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_whose_alarm_fires_fails_naming_the_alarm() {
    let r = realistic("hello-fargate", "eu-central-1").await;
    r.ws.apply(&[]).ok();
    let state = r.ws.state();
    let repository =
        state.resources[&"ecr_repository.hello".parse().unwrap()].outputs["uri"].clone();
    let image = format!("{repository}:2");
    r.ws.push(&image);
    r.aws
        .cloudwatch
        .set_alarm_state()
        .alarm_name("hello-hello-5xx")
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("Threshold Crossed: 3 datapoints were greater than the threshold (10.0)")
        .send()
        .await
        .unwrap();
    let deploy = r.ws.run(&[
        "apply",
        "--auto-approve",
        "--image",
        &format!("hello={image}"),
    ]);
    assert_eq!(deploy.code, 1, "{}\n{}", deploy.stdout, deploy.stderr);
    assert!(
        counts(&r).deployment_alarm_failures >= 1,
        "{:?}",
        counts(&r)
    );
    for expected in [
        "ecs_service.hello: FAILED",
        "deployment alarm hello-hello-5xx is in ALARM: Threshold Crossed: 3 datapoints",
        "the alarm fired while ECS watched the deployment",
    ] {
        assert!(
            deploy.stderr.contains(expected),
            "missing `{expected}`:\n{}",
            deploy.stderr
        );
    }
}
