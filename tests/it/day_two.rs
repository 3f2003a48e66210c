//! Day two, through the real binary: `status` says whether each service is up and why
//! not, `logs` prints what the service's tasks logged (stopped tasks too).
//!
//! The emulator launches no task for a service and reports the running count it is
//! told (`MOTO_ECS_SERVICE_RUNNING`); log lines are put where ECS's awslogs driver
//! writes them: the service's group, stream `PREFIX/CONTAINER/TASK_ID`. stackctl
//! reaches the emulator through the realism layer, which among other things shows
//! the deployment an update starts (moto shows the first one forever).

use crate::support::cli::{Workspace, example};
use crate::support::emulator::Emulator;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde_json::Value;
use stackctl::address::Address;
use stackctl::aws::Aws;
use stackctl::state::State;
use stackctl_bench::fault_proxy::{FaultProxy, Faults};
use stackctl_bench::realism::Realism;

const REGION: &str = "eu-central-1";

/// The hello-fargate example on an emulator that runs two tasks per service, reached
/// through the realism layer; the proxy lives as long as the workspace is used.
fn hello() -> (Emulator, FaultProxy, Workspace) {
    let emulator = Emulator::start_with(&[("MOTO_ECS_SERVICE_RUNNING", "2")]);
    let proxy =
        FaultProxy::start_realistic(&emulator.endpoint, Faults::none(3), None, Realism::aws());
    let mut ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.endpoint = proxy.endpoint.clone();
    (emulator, proxy, ws)
}

fn id(state: &State, address: &str) -> String {
    let a: Address = address.parse().unwrap();
    state.resources[&a].id.to_string()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Writes `lines` (time offset in ms from now, message) to the awslogs stream of
/// task `task` of the hello service.
async fn log(aws: &Aws, task: &str, lines: &[(i64, &str)]) {
    let group = "/ecs/hello/hello";
    let stream = format!("hello/hello/{task}");
    aws.logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    let now = now_ms();
    let events = lines
        .iter()
        .map(|(offset, message)| {
            InputLogEvent::builder()
                .timestamp(now + offset)
                .message(*message)
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
}

#[tokio::test(flavor = "multi_thread")]
async fn status_says_whether_each_service_is_up_and_why_not() {
    let (emulator, _proxy, ws) = hello();

    // The first apply holds the service back for its image: status says so, exit 2.
    let held = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(held.code, 3, "{}", held.stderr);
    let before = ws.run(&["status"]);
    assert_eq!(before.code, 2, "{}\n{}", before.stdout, before.stderr);
    assert!(
        before.stdout.contains("hello  NOT STEADY: not created yet"),
        "{}",
        before.stdout
    );

    ws.apply(&[]).ok();
    let up = ws.run(&["status"]).ok();
    let state = ws.state();
    let url = format!(
        "http://{}",
        state.resources[&"load_balancer.main".parse().unwrap()].outputs["dns_name"]
    );
    for wanted in [
        format!("Stack hello ({REGION})  {url}"),
        "hello  steady".to_string(),
        "tasks        2 running of 2 desired, 0 pending   [hello in cluster hello]".to_string(),
        "deployment   PRIMARY COMPLETED hello-hello:".to_string(),
        ".amazonaws.com/hello-hello:1.0.0".to_string(),
    ] {
        assert!(
            up.stdout.contains(&wanted),
            "{wanted:?} not in\n{}",
            up.stdout
        );
    }

    let json = ws.run(&["status", "hello", "--json"]).ok();
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["format"], "stackctl-status");
    assert_eq!(doc["url"], url.as_str());
    assert_eq!(doc["steady"], true);
    let service = &doc["services"][0];
    assert_eq!(service["name"], "hello");
    assert_eq!(
        (
            &service["desired"],
            &service["running"],
            &service["pending"]
        ),
        (&Value::from(2), &Value::from(2), &Value::from(0))
    );
    assert_eq!(service["deployments"][0]["status"], "PRIMARY");

    // Deleted outside stackctl: status names it and exits 2.
    let aws = Aws::for_emulator(REGION, &emulator.endpoint).await;
    aws.ecs
        .delete_service()
        .cluster(id(&state, "ecs_cluster.main"))
        .service(id(&state, "ecs_service.hello"))
        .force(true)
        .send()
        .await
        .unwrap();
    let gone = ws.run(&["status"]);
    assert_eq!(gone.code, 2, "{}\n{}", gone.stdout, gone.stderr);
    assert!(
        gone.stdout
            .contains("hello  NOT STEADY: recorded in the state but gone from AWS"),
        "{}",
        gone.stdout
    );

    let unknown = ws.run(&["status", "web"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("no service `web` in this stack; its services: hello"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_prints_what_the_services_tasks_logged_stopped_ones_included() {
    let (emulator, _proxy, ws) = hello();
    let not_yet = ws.run(&["logs", "hello"]);
    assert_eq!(not_yet.code, 1);
    assert!(
        not_yet
            .stderr
            .contains("service `hello` has not been created yet"),
        "{}",
        not_yet.stderr
    );
    ws.apply(&[]).ok();
    let quiet = ws.run(&["logs", "hello"]).ok();
    assert!(quiet.stdout.is_empty(), "{}", quiet.stdout);
    assert!(
        quiet
            .stderr
            .contains("No lines in /ecs/hello/hello (stream hello/hello/*) in the last 10m"),
        "{}",
        quiet.stderr
    );
    let aws = Aws::for_emulator(REGION, &emulator.endpoint).await;
    // A task that crashed twenty minutes ago, one running now, and a line from
    // before the window asked for.
    let crashed = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";
    let running = "3f2a9c1d7b3e4f5a8c9d0e1f2a3b4c5d";
    log(
        &aws,
        crashed,
        &[
            (-2 * 3600 * 1000, "too old to show"),
            (-20 * 60 * 1000, "Traceback (most recent call last):"),
            (-20 * 60 * 1000 + 1, "KeyError: 'DATABASE_URL'"),
        ],
    )
    .await;
    log(&aws, running, &[(-1000, "GET /health 200")]).await;

    let out = ws.run(&["logs", "hello", "--since", "1h"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert!(lines[0].ends_with(" 0c1d2e3f Traceback (most recent call last):"));
    assert!(lines[1].ends_with(" 0c1d2e3f KeyError: 'DATABASE_URL'"));
    assert!(
        lines[2].ends_with(" 3f2a9c1d GET /health 200"),
        "{}",
        lines[2]
    );

    // The default window (10 minutes) leaves out the crash; --task picks one task.
    let recent = ws.run(&["logs", "hello"]).ok();
    assert_eq!(recent.stdout.lines().count(), 1, "{}", recent.stdout);
    let one = ws
        .run(&["logs", "hello", "--since", "1h", "--task", "0c1d"])
        .ok();
    assert_eq!(one.stdout.lines().count(), 2, "{}", one.stdout);

    let json = ws.run(&["logs", "hello", "--since", "1h", "--json"]).ok();
    let first: Value = serde_json::from_str(json.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["task"], crashed);
    assert_eq!(first["container"], "hello");
    assert_eq!(first["message"], "Traceback (most recent call last):");
}

/// The image the service's primary deployment runs, as `status --json` reports it.
fn running_image(ws: &Workspace) -> String {
    let out = ws.run(&["status", "hello", "--json"]);
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("status --json: {e}\n{}\n{}", out.stdout, out.stderr));
    doc["services"][0]["deployments"][0]["image"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_returns_to_the_previous_image_and_the_next_plan_keeps_it() {
    let (_emulator, _proxy, ws) = hello();
    ws.apply(&[]).ok();
    let state = ws.state();
    let repository =
        state.resources[&"ecr_repository.hello".parse::<Address>().unwrap()].outputs["uri"].clone();
    let first = format!("{repository}:1.0.0");
    assert_eq!(running_image(&ws), first);

    // Nothing was deployed before the first image: nothing to go back to.
    let nothing = ws.run(&["rollback", "hello", "--auto-approve"]);
    assert_eq!(nothing.code, 1);
    assert!(
        nothing
            .stderr
            .contains("Name the image to go back to: `stackctl rollback hello --to IMAGE`"),
        "{}",
        nothing.stderr
    );

    let v2 = format!("{repository}:v2");
    ws.push(&v2);
    ws.run(&["apply", "--auto-approve", "--image", &format!("hello={v2}")])
        .ok();
    assert_eq!(running_image(&ws), v2);

    let back = ws.run(&["rollback", "hello", "--auto-approve"]).ok();
    assert!(
        back.stdout
            .contains("Rollback complete: 1 added, 1 changed, 1 destroyed."),
        "{}",
        back.stdout
    );
    assert_eq!(running_image(&ws), first);
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // Forward again by revision: the one that ran v2 is still registered.
    let family_revisions = ws.run(&["status", "hello", "--json"]);
    let doc: Value = serde_json::from_str(&family_revisions.stdout).unwrap();
    let running = doc["services"][0]["deployments"][0]["task_definition"]
        .as_str()
        .unwrap()
        .to_string();
    let number: i32 = running.rsplit(':').next().unwrap().parse().unwrap();
    let forward = ws
        .run(&[
            "rollback",
            "hello",
            "--to",
            &(number - 1).to_string(),
            "--auto-approve",
        ])
        .ok();
    assert_eq!(running_image(&ws), v2, "{running}\n{}", forward.stdout);
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // An image nobody pushed is refused before anything changes.
    let missing = ws.run(&[
        "rollback",
        "hello",
        "--to",
        &format!("{repository}:never-pushed"),
        "--auto-approve",
    ]);
    assert_eq!(missing.code, 3, "{}\n{}", missing.stdout, missing.stderr);
    assert_eq!(running_image(&ws), v2);
}

#[tokio::test(flavor = "multi_thread")]
async fn run_starts_a_one_off_task_with_the_command_in_the_services_network() {
    let (emulator, proxy, ws) = hello();
    ws.apply(&[]).ok();
    let state = ws.state();
    let aws = Aws::for_emulator(REGION, &emulator.endpoint).await;
    let cluster = id(&state, "ecs_cluster.main");

    let bad = ws.run(&["run", "hello", "--detach", "--cpu", "300", "--", "true"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("--cpu/--memory: 300 is not a Fargate CPU size"),
        "{}",
        bad.stderr
    );

    let run = ws
        .run(&["run", "hello", "--detach", "--", "flask", "db", "upgrade"])
        .ok();
    let task_id = run.stdout.trim();
    assert!(
        run.stderr
            .contains(&format!("stackctl logs hello --task {task_id} --follow")),
        "{}",
        run.stderr
    );
    let tasks = aws
        .ecs
        .describe_tasks()
        .cluster(&cluster)
        .tasks(task_id)
        .send()
        .await
        .unwrap();
    let task = &tasks.tasks()[0];
    assert_eq!(task.started_by(), Some("stackctl-run"));
    let service_td = aws
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services(id(&state, "ecs_service.hello"))
        .send()
        .await
        .unwrap()
        .services()[0]
        .task_definition()
        .unwrap()
        .to_string();
    let overrides = task.overrides().unwrap().container_overrides();
    assert_eq!(overrides[0].name(), Some("hello"));
    assert_eq!(overrides[0].command(), ["flask", "db", "upgrade"]);
    // In one of the service's private subnets, with the service's security group.
    let details = task.attachments()[0].details();
    let value = |name: &str| {
        details
            .iter()
            .find(|d| d.name() == Some(name))
            .and_then(|d| d.value())
            .unwrap()
            .to_string()
    };
    let subnets = [
        id(&state, "subnet.private-0"),
        id(&state, "subnet.private-1"),
    ];
    assert!(subnets.contains(&value("subnetId")), "{details:?}");
    let eni = aws
        .ec2
        .describe_network_interfaces()
        .network_interface_ids(value("networkInterfaceId"))
        .send()
        .await
        .unwrap();
    let groups: Vec<&str> = eni.network_interfaces()[0]
        .groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    assert_eq!(groups, [id(&state, "security_group.hello").as_str()]);
    // The realism layer stood in for moto's RunTask, which fails on a Fargate
    // definition without container memory; the answer names the service's own.
    assert_eq!(proxy.realism_counts().run_tasks_stood_in, 1);
    let through_proxy = Aws::for_emulator(REGION, &proxy.endpoint).await;
    let seen = through_proxy
        .ecs
        .describe_tasks()
        .cluster(&cluster)
        .tasks(task_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.tasks()[0].task_definition_arn(),
        Some(service_td.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_waits_for_its_task_printing_its_lines_and_exits_with_its_code() {
    let (emulator, _proxy, ws) = hello();
    ws.apply(&[]).ok();
    let state = ws.state();
    let aws = Aws::for_emulator(REGION, &emulator.endpoint).await;
    let cluster = id(&state, "ecs_cluster.main");
    let child = ws
        .command(&["run", "hello", "--", "flask", "db", "upgrade"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The task, once stackctl has started it.
    let mut task_arn = None;
    for _ in 0..100 {
        let listed = aws
            .ecs
            .list_tasks()
            .cluster(&cluster)
            .started_by("stackctl-run")
            .send()
            .await
            .unwrap();
        if let Some(arn) = listed.task_arns().first() {
            task_arn = Some(arn.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let task_arn = task_arn.expect("stackctl started no task");
    let task_id = task_arn.rsplit('/').next().unwrap().to_string();
    log(&aws, &task_id, &[(0, "Running upgrade 3f2a -> 9c1d")]).await;
    aws.ecs
        .stop_task()
        .cluster(&cluster)
        .task(&task_arn)
        .reason("Essential container in task exited")
        .send()
        .await
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains(&format!(" {} Running upgrade 3f2a -> 9c1d", &task_id[..8])),
        "{stdout}\n{stderr}"
    );
    // The emulator's StopTask gives the container exit code 0 (a task that never
    // ran its command has none: `operate::one_off` unit tests).
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("Task {task_id} exited with code 0.")),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_on_a_service_rolls_its_tasks_grants_the_ssm_channels_and_needs_the_plugin() {
    let (emulator, proxy, ws) = hello();
    ws.apply(&[]).ok();
    ws.edit(
        "health_check = { path = \"/health\" }",
        "health_check = { path = \"/health\" }\nexec = true",
    );
    let plan = ws.run(&["plan"]).ok();
    for wanted in [
        "+ iam_role.hello-task",
        "execute_command",
        "ECS gives ECS Exec to tasks started from now on only",
    ] {
        assert!(
            plan.stdout.contains(wanted),
            "{wanted:?} not in\n{}",
            plan.stdout
        );
    }
    let log = ws.dir.join("exec.calls.jsonl");
    ws.apply(&["--api-log", log.to_str().unwrap()]).ok();
    let calls = stackctl::aws::call_log::CallLog::read(&log).unwrap();
    assert!(
        calls.iter().any(|c| c.operation == "UpdateService"),
        "no UpdateService"
    );

    let state = ws.state();
    // Read through the layer: moto drops enableExecuteCommand (realism 12).
    let through_proxy = Aws::for_emulator(REGION, &proxy.endpoint).await;
    let svc = through_proxy
        .ecs
        .describe_services()
        .cluster(id(&state, "ecs_cluster.main"))
        .services(id(&state, "ecs_service.hello"))
        .send()
        .await
        .unwrap();
    assert!(svc.services()[0].enable_execute_command());
    let aws = Aws::for_emulator(REGION, &emulator.endpoint).await;
    let policy = aws
        .iam
        .get_role_policy()
        .role_name("hello-hello-task")
        .policy_name("stackctl-exec-channels")
        .send()
        .await
        .unwrap();
    let document = policy.policy_document().replace("%3A", ":");
    for action in [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:OpenDataChannel",
    ] {
        assert!(document.contains(action), "{document}");
    }
    let clean = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);

    // Without AWS's plugin on PATH: refused before anything is asked of AWS.
    let no_plugin = ws.run_with_env(&[("PATH", "/usr/bin:/bin")], &["exec", "hello"]);
    assert_eq!(no_plugin.code, 1, "{}", no_plugin.stderr);
    assert!(
        no_plugin
            .stderr
            .contains("hands the session to AWS's session-manager-plugin, which is not on PATH"),
        "{}",
        no_plugin.stderr
    );
}

/// A builder for STACKCTL_BUILDER: the stand-in for docker's CLI in
/// fixtures/builder_stand_in.py, run by the emulator's Python (which has boto3).
fn builder_stand_in(ws: &Workspace) -> (std::path::PathBuf, std::path::PathBuf) {
    let python = crate::support::emulator::moto_server().with_file_name("python");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/builder_stand_in.py");
    let program = ws.dir.join("docker-stand-in");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nexec {} {} \"$@\"\n",
            python.display(),
            script.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    (program, ws.dir.join("builder.jsonl"))
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_builds_pushes_and_rolls_the_service_onto_the_pushed_digest_from_nothing() {
    let (emulator, _proxy, ws) = hello();
    std::fs::create_dir_all(ws.dir.join("app")).unwrap();
    std::fs::write(ws.dir.join("app/Dockerfile"), "FROM python:3.12-slim\n").unwrap();
    ws.edit(
        "health_check = { path = \"/health\" }",
        "health_check = { path = \"/health\" }\nbuild = \"app\"",
    );
    let (program, log) = builder_stand_in(&ws);
    let env = [
        ("STACKCTL_BUILDER", program.to_str().unwrap()),
        ("STAND_IN_LOG", log.to_str().unwrap()),
    ];

    // Nothing exists: deploy applies the stack, builds, pushes and creates the
    // service on the pushed digest.
    let first = ws.run_with_env(&env, &["deploy", "--tag", "v1", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let state = ws.state();
    let repository =
        state.resources[&"ecr_repository.hello".parse::<Address>().unwrap()].outputs["uri"].clone();
    let calls: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let args: Vec<Vec<String>> = calls
        .iter()
        .map(|c| serde_json::from_value(c["args"].clone()).unwrap())
        .collect();
    assert_eq!(
        args[0][..5],
        [
            "build",
            "--platform",
            "linux/arm64",
            "--tag",
            &format!("{repository}:v1")
        ]
    );
    assert!(args[0].last().unwrap().ends_with("/app"), "{args:?}");
    assert_eq!(
        args[1][..4],
        ["login", "--username", "AWS", "--password-stdin"]
    );
    assert_eq!(calls[1]["password_on_stdin"], true);
    assert_eq!(args[2], ["push", &format!("{repository}:v1")]);

    let aws = Aws::for_emulator(REGION, &emulator.endpoint).await;
    let described = aws
        .ecr
        .describe_images()
        .repository_name("hello-hello")
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag("v1")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let digest = described.image_details()[0]
        .image_digest()
        .unwrap()
        .to_string();
    assert_eq!(running_image(&ws), format!("{repository}@{digest}"));
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // The next deploy of an existing service rolls only it, onto the new digest.
    let second = ws
        .run_with_env(&env, &["deploy", "hello", "--tag", "v2", "--auto-approve"])
        .ok();
    assert!(second.stdout.contains("(deploy-only)"), "{}", second.stdout);
    let image = running_image(&ws);
    assert!(
        image.starts_with(&format!("{repository}@sha256:")),
        "{image}"
    );
    assert_ne!(image, format!("{repository}@{digest}"));
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // A build that fails stops the deploy with the builder's words.
    std::fs::remove_file(ws.dir.join("app/Dockerfile")).unwrap();
    let broken = ws.run_with_env(&env, &["deploy", "--tag", "v3", "--auto-approve"]);
    assert_eq!(broken.code, 1);
    assert!(
        broken.stderr.contains("failed to read dockerfile"),
        "{}",
        broken.stderr
    );
    assert!(
        broken.stderr.contains("build --platform` failed"),
        "{}",
        broken.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_holding_a_service_with_build_points_at_deploy_which_creates_it() {
    let (_emulator, _proxy, ws) = hello();
    std::fs::create_dir_all(ws.dir.join("app")).unwrap();
    std::fs::write(ws.dir.join("app/Dockerfile"), "FROM python:3.12-slim\n").unwrap();
    ws.edit(
        "health_check = { path = \"/health\" }",
        "health_check = { path = \"/health\" }\nbuild = \"app\"",
    );
    let held = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(held.code, 3, "{}", held.stderr);
    assert!(
        held.stderr
            .contains("`stackctl deploy hello` builds the image from `build`"),
        "{}",
        held.stderr
    );
    let (program, log) = builder_stand_in(&ws);
    ws.run_with_env(
        &[
            ("STACKCTL_BUILDER", program.to_str().unwrap()),
            ("STAND_IN_LOG", log.to_str().unwrap()),
        ],
        &["deploy", "--tag", "v1", "--auto-approve"],
    )
    .ok();
    assert!(running_image(&ws).contains("/hello-hello@sha256:"));
    let status = ws.run(&["status"]).ok();
    assert!(status.stdout.contains("hello  steady"), "{}", status.stdout);
}
