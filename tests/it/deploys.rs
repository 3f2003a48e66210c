//! Honest deploys, through the real binary: a rollout whose tasks fail makes `apply`
//! fail within a bound, naming the service, why its tasks stopped, what they logged
//! last, the health of its targets and what to do, and the state keeps everything
//! that was created.
//!
//! The emulator's services report a fixed rollout (`MOTO_ECS_SERVICE_RUNNING`,
//! `MOTO_ECS_SERVICE_FAILED_TASKS`) and launch no tasks, so the tasks a broken image
//! would leave behind are made here with RunTask and StopTask, and their log lines
//! put where ECS's awslogs driver would write them. Circuit-breaker rollbacks and
//! targets that stay unhealthy cannot be produced by the emulator (its deployments
//! never change after creation, its registered targets are always healthy); the
//! watch's unit tests cover them (`resources::ecs_rollout`).

use crate::support::cli::{Workspace, example};
use crate::support::emulator::Emulator;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_ecs::types::{
    AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType, NetworkConfiguration,
    NetworkMode,
};
use aws_sdk_elasticloadbalancingv2::types::TargetDescription;
use stackctl::address::Address;
use stackctl::aws::Aws;
use stackctl::state::State;
use std::time::{Duration, Instant};

/// Far above what a failing rollout takes to be caught, far below the 15-minute
/// rollout timeout it would otherwise run into.
const BOUND: Duration = Duration::from_secs(60);

fn record<'a>(state: &'a State, address: &str) -> &'a stackctl::state::Record {
    let a: Address = address.parse().unwrap();
    state
        .resources
        .get(&a)
        .unwrap_or_else(|| panic!("{address} not in the state"))
}

/// What ECS leaves behind when a task of the service exits at start: a stopped
/// task in the service's group, and the app's last words in its awslogs stream.
async fn crashed_task(aws: &Aws, state: &State, service: &str, log_lines: &[&str]) -> String {
    let cluster = record(state, "ecs_cluster.main").id.to_string();
    // The service's container as it is, with a container-level memory limit, which
    // the emulator's RunTask needs (AWS does not, for Fargate).
    let def = aws
        .ecs
        .describe_task_definition()
        .task_definition(record(state, "task_definition.hello").id.as_str())
        .send()
        .await
        .unwrap();
    let container = def.task_definition().unwrap().container_definitions()[0].clone();
    let registered = aws
        .ecs
        .register_task_definition()
        .family("hello-crashed")
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name(container.name().unwrap())
                .image(container.image().unwrap())
                .memory(512)
                .set_log_configuration(container.log_configuration().cloned())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let td = registered
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string();
    let vpc = AwsVpcConfiguration::builder()
        .subnets(record(state, "subnet.private-0").id.to_string())
        .security_groups(record(state, "security_group.hello").id.to_string())
        .build()
        .unwrap();
    let run = aws
        .ecs
        .run_task()
        .cluster(&cluster)
        .task_definition(&td)
        .launch_type(LaunchType::Fargate)
        .group(format!("service:{service}"))
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let task_arn = run.tasks()[0].task_arn().unwrap().to_string();
    let task_id = task_arn.rsplit('/').next().unwrap().to_string();
    aws.ecs
        .stop_task()
        .cluster(&cluster)
        .task(&task_arn)
        .reason("Essential container in task exited")
        .send()
        .await
        .unwrap();

    let options = container.log_configuration().unwrap().options().unwrap();
    let group = &options["awslogs-group"];
    let stream = format!(
        "{}/{}/{task_id}",
        options["awslogs-stream-prefix"],
        container.name().unwrap()
    );
    aws.logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let events = log_lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            InputLogEvent::builder()
                .timestamp(now + i as i64)
                .message(*line)
                .build()
                .unwrap()
        })
        .collect();
    aws.logs
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(&stream)
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();
    task_id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_whose_tasks_fail_fails_apply_fast_with_the_reasons_and_last_log_lines() {
    // No task ever runs and three have failed: what a broken image looks like.
    let emulator = Emulator::start_with(&[
        ("MOTO_ECS_SERVICE_RUNNING", "0"),
        ("MOTO_ECS_SERVICE_FAILED_TASKS", "3"),
    ]);
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    let aws = Aws::for_emulator("eu-central-1", &emulator.endpoint).await;

    // The first apply holds the service back until its image is pushed; the one
    // after the push creates the service, whose rollout fails.
    let started = Instant::now();
    let first = ws.apply(&[]);
    assert!(
        started.elapsed() < BOUND,
        "took {:?}:\n{}",
        started.elapsed(),
        first.stderr
    );
    assert_eq!(first.code, 1, "{}\n{}", first.stdout, first.stderr);
    let state = ws.state();
    let service = record(&state, "ecs_service.hello");
    let name = service.outputs["name"].clone();
    assert_eq!(name, "hello");
    for expected in [
        "ecs_service.hello: FAILED: ECS deployment failed: service hello: 3 tasks failed to start and none is running",
        "no stopped task of the service was found to say why",
        "What to do: fix what the reasons above point at",
        "Apply failed; what finished is recorded in",
    ] {
        assert!(
            first.stderr.contains(expected),
            "missing `{expected}`:\n{}",
            first.stderr
        );
    }
    // Everything was created and recorded, the service too: the next apply after a
    // fix goes on from here instead of creating anything twice.
    assert_eq!(state.resources.len(), 25, "{:?}", state.resources.keys());
    let live = aws
        .ecs
        .describe_services()
        .cluster(record(&state, "ecs_cluster.main").id.as_str())
        .services(service.id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(live.services()[0].status(), Some("ACTIVE"));

    // The broken image's tasks stopped with a reason and logged a traceback; a
    // target of the service is registered with the load balancer.
    let task_id = crashed_task(
        &aws,
        &state,
        &name,
        &[
            "Starting gunicorn 22.0.0",
            "Traceback (most recent call last):",
            "ModuleNotFoundError: No module named 'flask'",
        ],
    )
    .await;
    aws.elb
        .register_targets()
        .target_group_arn(record(&state, "target_group.hello").id.as_str())
        .targets(
            TargetDescription::builder()
                .id("10.0.1.77")
                .port(8080)
                .build(),
        )
        .send()
        .await
        .unwrap();

    // Deploying the (still broken) image again fails the same way, now with why.
    let target_group = record(&state, "target_group.hello").outputs["arn"]
        .split('/')
        .nth(1)
        .unwrap()
        .to_string();
    let repository = record(&state, "ecr_repository.hello").outputs["uri"].clone();
    let image = format!("{repository}:2");
    ws.push(&image);
    let started = Instant::now();
    let deploy = ws.run(&[
        "apply",
        "--auto-approve",
        "--image",
        &format!("hello={image}"),
    ]);
    assert!(
        started.elapsed() < BOUND,
        "took {:?}:\n{}",
        started.elapsed(),
        deploy.stderr
    );
    assert_eq!(deploy.code, 1, "{}\n{}", deploy.stdout, deploy.stderr);
    for expected in [
        "ecs_service.hello: FAILED: ECS deployment failed: service hello: 3 tasks failed to start".to_string(),
        format!("    Essential container in task exited (task {task_id})"),
        format!("      last log lines of task {task_id} (/ecs/hello/hello hello/hello/{task_id}):"),
        "        Starting gunicorn 22.0.0\n        Traceback (most recent call last):\n        ModuleNotFoundError: No module named 'flask'".to_string(),
        format!("  targets of {target_group}: 10.0.1.77:8080 healthy"),
        "What to do: fix what the reasons above point at".to_string(),
    ] {
        assert!(
            deploy.stderr.contains(&expected),
            "missing `{expected}`:\n{}",
            deploy.stderr
        );
    }
    // The new revision is recorded: the deploy happened, it just did not succeed.
    let after = ws.state();
    assert_ne!(
        record(&after, "task_definition.hello").id,
        record(&state, "task_definition.hello").id
    );
    assert!(after.serial > state.serial);
}
