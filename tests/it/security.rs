//! Secure by default, through the real binary: the weather example is applied as it
//! is, and every secure default is read back from AWS with the SDK; its secret's
//! value never reaches the state, the plan, the output or the API call log; the
//! unchanged stack plans clean; a default turned off in stack.toml makes `plan` warn;
//! and destroy removes the load balancer although its deletion protection is on.

use crate::support::cli::{Workspace, example};
use crate::support::emulator::{Emulator, REGION};
use crate::support::images::HELD;
use crate::support::leftovers;
use serde_json::{Value, json};
use stackctl::address::Address;
use stackctl::aws::Aws;
use stackctl::aws::call_log::CallLog;
use stackctl::state::State;
use std::io::{Read, Write};
use std::net::TcpStream;

/// The example's secret ARN, replaced by one the test creates in the emulator.
const EXAMPLE_SECRET: &str = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:weather-api-key";

/// A Secrets Manager secret created in the emulator; returns its ARN. The SDK clients
/// of this crate do not include Secrets Manager (stackctl never reads a secret), and
/// the request is one unsigned JSON call the emulator takes as is.
fn create_secret(endpoint: &str, name: &str, value: &str) -> String {
    let host = endpoint.trim_start_matches("http://");
    let body = json!({ "Name": name, "SecretString": value }).to_string();
    let mut stream = TcpStream::connect(host).expect("connect to the emulator");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: secretsmanager.CreateSecret\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20250101/{REGION}/secretsmanager/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send CreateSecret");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("read CreateSecret");
    let start = answer
        .find('{')
        .unwrap_or_else(|| panic!("CreateSecret: {answer}"));
    let parsed: Value = serde_json::from_str(&answer[start..]).expect("CreateSecret JSON");
    parsed["ARN"]
        .as_str()
        .unwrap_or_else(|| panic!("CreateSecret: {answer}"))
        .to_string()
}

fn id(state: &State, address: &str) -> String {
    let a: Address = address.parse().unwrap();
    state.resources[&a].id.to_string()
}

/// Every secure default of the applied weather stack, as AWS holds it.
async fn assert_secure(aws: &Aws, state: &State) {
    let (ec2, elb) = (&aws.ec2, &aws.elb);

    // The load balancer: both attributes on, subnets in two AZs.
    let alb = id(state, "load_balancer.main");
    let attributes = elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(&alb)
        .send()
        .await
        .unwrap();
    let attribute = |key: &str| {
        attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some(key))
            .and_then(|a| a.value())
            .map(str::to_string)
    };
    assert_eq!(
        attribute("deletion_protection.enabled").as_deref(),
        Some("true")
    );
    assert_eq!(
        attribute("routing.http.drop_invalid_header_fields.enabled").as_deref(),
        Some("true")
    );
    let lbs = elb
        .describe_load_balancers()
        .load_balancer_arns(&alb)
        .send()
        .await
        .unwrap();
    let mut zones: Vec<&str> = lbs.load_balancers()[0]
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name())
        .collect();
    zones.sort();
    zones.dedup();
    assert_eq!(zones, ["eu-west-2a", "eu-west-2b"]);

    // No subnet hands out public IPs.
    let vpc = id(state, "vpc.main");
    let vpc_filter = |name: &str, value: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(name)
            .values(value)
            .build()
    };
    let subnets = ec2
        .describe_subnets()
        .filters(vpc_filter("vpc-id", &vpc))
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets().len(), 4);
    for s in subnets.subnets() {
        assert_eq!(s.map_public_ip_on_launch(), Some(false), "{s:?}");
    }

    // The VPC's default security group has no rules.
    let default = ec2
        .describe_security_groups()
        .filters(vpc_filter("vpc-id", &vpc))
        .filters(vpc_filter("group-name", "default"))
        .send()
        .await
        .unwrap();
    let default = &default.security_groups()[0];
    assert_eq!(default.ip_permissions(), []);
    assert_eq!(default.ip_permissions_egress(), []);

    // The tasks' group admits the load balancer's group only, on the app's port.
    let task_group = ec2
        .describe_security_groups()
        .group_ids(id(state, "security_group.web"))
        .send()
        .await
        .unwrap();
    let ingress = task_group.security_groups()[0].ip_permissions();
    assert_eq!(ingress.len(), 1, "{ingress:?}");
    assert_eq!(
        (ingress[0].from_port(), ingress[0].to_port()),
        (Some(5000), Some(5000))
    );
    assert_eq!(ingress[0].ip_ranges(), []);
    assert_eq!(ingress[0].ipv6_ranges(), []);
    assert_eq!(ingress[0].prefix_list_ids(), []);
    let peers: Vec<&str> = ingress[0]
        .user_id_group_pairs()
        .iter()
        .filter_map(|p| p.group_id())
        .collect();
    assert_eq!(peers, [id(state, "security_group.alb")]);

    // Tasks in the private subnets, without public IPs.
    let services = aws
        .ecs
        .describe_services()
        .cluster(id(state, "ecs_cluster.main"))
        .services(id(state, "ecs_service.web"))
        .send()
        .await
        .unwrap();
    let network = services.services()[0]
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .unwrap();
    assert_eq!(
        network.assign_public_ip(),
        Some(&aws_sdk_ecs::types::AssignPublicIp::Disabled)
    );
    let mut task_subnets = network.subnets().to_vec();
    task_subnets.sort();
    let mut private = vec![id(state, "subnet.private-0"), id(state, "subnet.private-1")];
    private.sort();
    assert_eq!(task_subnets, private);

    // The repository scans on push, keeps tags immutable and has a lifecycle policy.
    let repos = aws
        .ecr
        .describe_repositories()
        .repository_names("weather-weather")
        .send()
        .await
        .unwrap();
    let repo = &repos.repositories()[0];
    assert_eq!(
        repo.image_scanning_configuration()
            .map(|c| c.scan_on_push()),
        Some(true)
    );
    assert_eq!(
        repo.image_tag_mutability(),
        Some(&aws_sdk_ecr::types::ImageTagMutability::Immutable)
    );
    let policy = aws
        .ecr
        .get_lifecycle_policy()
        .repository_name("weather-weather")
        .send()
        .await
        .unwrap();
    assert!(
        policy
            .lifecycle_policy_text()
            .unwrap_or_default()
            .contains("imageCountMoreThan"),
        "{policy:?}"
    );

    // Container Insights on.
    let clusters = aws
        .ecs
        .describe_clusters()
        .clusters(id(state, "ecs_cluster.main"))
        .include(aws_sdk_ecs::types::ClusterField::Settings)
        .send()
        .await
        .unwrap();
    let insights = clusters.clusters()[0]
        .settings()
        .iter()
        .find(|s| s.name() == Some(&aws_sdk_ecs::types::ClusterSettingName::ContainerInsights))
        .and_then(|s| s.value());
    assert_eq!(insights, Some("enabled"));

    // awslogs in non-blocking mode; the secret by ARN, not in the environment.
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(id(state, "task_definition.web"))
        .send()
        .await
        .unwrap();
    let container = &td.task_definition().unwrap().container_definitions()[0];
    let options = container
        .log_configuration()
        .and_then(|l| l.options())
        .unwrap();
    assert_eq!(
        options.get("mode").map(String::as_str),
        Some("non-blocking")
    );
    assert_eq!(
        options.get("max-buffer-size").map(String::as_str),
        Some("25m")
    );
    let env: Vec<&str> = container
        .environment()
        .iter()
        .filter_map(|kv| kv.name())
        .collect();
    assert_eq!(env, ["CITY"]);
    let secrets: Vec<(&str, &str)> = container
        .secrets()
        .iter()
        .map(|s| (s.name(), s.value_from()))
        .collect();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].0, "API_KEY");
    assert!(
        secrets[0].1.starts_with("arn:aws:secretsmanager:"),
        "{secrets:?}"
    );

    // CloudFront redirects viewers to HTTPS.
    let dist = aws
        .cloudfront
        .get_distribution()
        .id(id(state, "cloudfront_distribution.main"))
        .send()
        .await
        .unwrap();
    let behavior = dist
        .distribution()
        .and_then(|d| d.distribution_config())
        .and_then(|c| c.default_cache_behavior())
        .unwrap();
    assert_eq!(
        behavior.viewer_protocol_policy(),
        &aws_sdk_cloudfront::types::ViewerProtocolPolicy::RedirectToHttps
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_is_secure_by_default_and_its_secret_value_goes_nowhere() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("weather"));
    let marker = format!("marker-{}", uuid::Uuid::new_v4());
    let secret = create_secret(&emulator.endpoint, "weather-api-key", &marker);
    ws.edit(EXAMPLE_SECRET, &secret);

    // Both applies of a new stack: the first holds the service back until its image
    // is pushed, the second creates it. The log has the calls of both.
    let apply_log = ws.dir.join("apply.calls.jsonl");
    let apply_args = [
        "--api-log",
        apply_log.to_str().unwrap(),
        "apply",
        "--auto-approve",
    ];
    let held = ws.run(&apply_args);
    assert_eq!(held.code, HELD, "{}\n{}", held.stdout, held.stderr);
    ws.push_images();
    let apply = ws.run(&apply_args).ok();
    let state = ws.state();
    let aws = Aws::for_emulator("eu-west-2", &emulator.endpoint).await;
    assert_secure(&aws, &state).await;

    // The unchanged stack plans clean and warns about nothing.
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(!plan.stdout.contains("Warning"), "{}", plan.stdout);
    let json_plan = ws.run(&["plan", "--json"]).ok();
    let document: Value = serde_json::from_str(&json_plan.stdout).unwrap();
    assert_eq!(document["warnings"], json!([]));

    // Only the ARN went anywhere: not the value, and no call could have read it.
    let state_text = std::fs::read_to_string(ws.state_path()).unwrap();
    assert!(
        state_text.contains(&secret),
        "the state names the secret by ARN"
    );
    let log_text = std::fs::read_to_string(&apply_log).unwrap();
    for (what, text) in [
        ("state", &state_text),
        ("first apply output", &held.stdout),
        ("first apply errors", &held.stderr),
        ("apply output", &apply.stdout),
        ("apply errors", &apply.stderr),
        ("plan", &plan.stdout),
        ("plan --json", &json_plan.stdout),
        ("API call log", &log_text),
    ] {
        assert!(
            !text.contains(&marker),
            "the secret's value is in the {what}"
        );
    }
    let services: Vec<String> = CallLog::read(&apply_log)
        .unwrap()
        .into_iter()
        .map(|c| c.service.to_lowercase())
        .collect();
    assert!(
        !services
            .iter()
            .any(|s| s.contains("secrets") || s.contains("ssm")),
        "{services:?}"
    );

    // A default turned off in stack.toml: plan says which key and what it exposes.
    ws.edit(
        "http_port = 80",
        "http_port = 80\ndeletion_protection = false",
    );
    let text = ws.run(&["plan"]).ok();
    assert!(
        text.stdout
            .contains("Warning: stack.toml turns off secure defaults"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("load_balancer.deletion_protection is false: a single API call"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .trim_end()
            .ends_with("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        text.stdout
    );
    let json_plan = ws.run(&["plan", "--json"]).ok();
    let document: Value = serde_json::from_str(&json_plan.stdout).unwrap();
    let warnings = document["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["key"], "load_balancer.deletion_protection");
    assert_eq!(document["changes"][0]["address"], "load_balancer.main");
    assert_eq!(
        document["changes"][0]["fields"][0]["name"],
        "deletion_protection"
    );
    ws.edit(
        "http_port = 80\ndeletion_protection = false",
        "http_port = 80",
    );

    // Destroy deletes the protected load balancer, turning protection off first (the
    // images deleted before: destroy never deletes them).
    ws.delete_images();
    let destroy_log = ws.dir.join("destroy.calls.jsonl");
    let destroy = ws
        .run(&[
            "--api-log",
            destroy_log.to_str().unwrap(),
            "destroy",
            "--auto-approve",
        ])
        .ok();
    assert!(!destroy.stdout.contains(&marker));
    let alb: Address = "load_balancer.main".parse().unwrap();
    let alb_calls: Vec<String> = CallLog::read(&destroy_log)
        .unwrap()
        .into_iter()
        .filter(|c| c.address.as_ref() == Some(&alb) && c.ok)
        .map(|c| c.operation)
        .collect();
    let position = |op: &str| alb_calls.iter().position(|c| c == op);
    let (Some(unprotect), Some(delete)) = (
        position("ModifyLoadBalancerAttributes"),
        position("DeleteLoadBalancer"),
    ) else {
        panic!("destroy of the load balancer: {alb_calls:?}");
    };
    assert!(unprotect < delete, "{alb_calls:?}");
    let left = leftovers::of_stack(&aws, "weather").await;
    assert!(left.is_empty(), "left behind after destroy: {left:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_options_apply_plan_clean_and_a_default_turned_off_keeps_warning() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("blog-cdn"));
    ws.edit(
        "caching = \"optimized\"",
        "caching = \"optimized\"\nalb_only_from_cloudfront = true",
    );
    ws.edit(
        "log_retention_days = 14",
        "log_retention_days = 14\nread_only_root_filesystem = true\nlog_mode = \"blocking\"",
    );
    ws.apply(&[]).ok();
    let state = ws.state();
    let aws = Aws::for_emulator("eu-west-1", &emulator.endpoint).await;

    // The load balancer admits CloudFront's origin-facing servers only, on port 80.
    let group = aws
        .ec2
        .describe_security_groups()
        .group_ids(id(&state, "security_group.alb"))
        .send()
        .await
        .unwrap();
    let ingress = group.security_groups()[0].ip_permissions();
    assert_eq!(ingress.len(), 1, "{ingress:?}");
    assert_eq!(ingress[0].from_port(), Some(80));
    assert_eq!(ingress[0].ip_ranges(), []);
    let lists: Vec<&str> = ingress[0]
        .prefix_list_ids()
        .iter()
        .filter_map(|p| p.prefix_list_id())
        .collect();
    let cloudfront = aws
        .ec2
        .describe_managed_prefix_lists()
        .prefix_list_ids(lists[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        cloudfront.prefix_lists()[0].prefix_list_name(),
        Some("com.amazonaws.global.cloudfront.origin-facing")
    );
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(id(&state, "task_definition.blog"))
        .send()
        .await
        .unwrap();
    let container = &td.task_definition().unwrap().container_definitions()[0];
    assert_eq!(container.readonly_root_filesystem(), Some(true));

    // Unchanged: no changes, and still the one warning for the default turned off.
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("services.blog.log_mode is \"blocking\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .trim_end()
            .ends_with("No changes. The stack matches stack.toml."),
        "{}",
        plan.stdout
    );
    let json_plan = ws.run(&["plan", "--json"]).ok();
    let document: Value = serde_json::from_str(&json_plan.stdout).unwrap();
    assert_eq!(document["has_changes"], false);
    let keys: Vec<&str> = document["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["key"].as_str())
        .collect();
    assert_eq!(keys, ["services.blog.log_mode"]);

    ws.destroy(&[]).ok();
    let left = leftovers::of_stack(&aws, "blog").await;
    assert!(left.is_empty(), "left behind after destroy: {left:#?}");
}
