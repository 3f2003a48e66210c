//! Every example through the real binary: apply (the first one holds the services
//! back until their images are pushed, the next one creates them), check in AWS, plan
//! again (no changes), destroy, and nothing tagged with the stack is left. The API call log
//! proves the order the engine really used, since the emulator does not enforce it.

use crate::support::cli::{Workspace, example};
use crate::support::emulator::Emulator;
use crate::support::images::HELD;
use crate::support::{aws_order, domain, leftovers};
use stackctl::address::{Address, Kind};
use stackctl::aws::Aws;
use stackctl::aws::call_log::{CallLog, CallRecord};
use stackctl::resources::registry;
use stackctl::state::State;
use std::collections::BTreeMap;

/// For each recorded dependency edge, every call made for the dependency ends before
/// any call for the dependent starts (on destroy, the other way round). On apply, a
/// dependent that needs only the dependency's outputs may start while the dependency
/// still waits to be ready (`Resource::READY_BEFORE`): then only the dependency's
/// calls outside its wait must have ended. `in_run` picks the resources this run
/// made (or deleted): only their edges are checked, and a dependency the run did not
/// make counts only where the run read it (an apply after an earlier one reads what
/// exists, some kinds in batches without an address). Returns how many edges were
/// checked.
fn assert_ordered(
    calls: &[CallRecord],
    state: &State,
    destroy: bool,
    in_run: impl Fn(&Address) -> bool,
) -> usize {
    let mut span: BTreeMap<&Address, (u128, u128)> = BTreeMap::new();
    let mut made: BTreeMap<&Address, u128> = BTreeMap::new();
    for c in calls {
        let Some(a) = &c.address else { continue };
        let e = span.entry(a).or_insert((c.start_us, c.end_us));
        e.0 = e.0.min(c.start_us);
        e.1 = e.1.max(c.end_us);
        if !c.waiting {
            let m = made.entry(a).or_insert(c.end_us);
            *m = (*m).max(c.end_us);
        }
    }
    let mut edges = 0;
    for (address, record) in state.resources.iter().filter(|(a, _)| in_run(a)) {
        for dep in &record.depends_on {
            if !in_run(dep) && !span.contains_key(dep) {
                continue;
            }
            let (first, then) = if destroy {
                (address, dep)
            } else {
                (dep, address)
            };
            let (Some(f), Some(t)) = (span.get(first), span.get(then)) else {
                panic!("no calls recorded for {first} or {then}");
            };
            let needs_ready = registry::ready_before(dep.kind()).contains(&address.kind());
            let first_done = if destroy || needs_ready {
                f.1
            } else {
                made[first]
            };
            assert!(
                first_done <= t.0,
                "{then} started before {first} finished ({} destroy={destroy})",
                first_done - t.0
            );
            edges += 1;
        }
    }
    edges
}

/// Apply as a new user does (the first apply makes the stack's repositories and
/// everything but the services, which wait for their images: exit 3; the images are
/// pushed; the next apply creates the services), check, re-plan, destroy (the images
/// deleted first: destroy never deletes them), check nothing is left. `check`
/// inspects AWS between apply and destroy.
async fn full_cycle<F, Fut>(example_name: &str, check: F)
where
    F: FnOnce(Aws, State) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example(example_name));
    let zone = domain::zone_of(&emulator.aws().await, &ws.stack).await;
    let first_log = ws.dir.join("first.calls.jsonl");
    let first = ws.run(&[
        "--api-log",
        first_log.to_str().unwrap(),
        "apply",
        "--auto-approve",
    ]);
    assert_eq!(
        first.code, HELD,
        "the first apply does not hold the services back\nstdout:\n{}\nstderr:\n{}",
        first.stdout, first.stderr
    );
    assert!(
        first.stdout.contains("Apply incomplete:"),
        "{}",
        first.stdout
    );
    assert!(first.stderr.contains("Held back: "), "{}", first.stderr);
    let partial = ws.state();
    let held = |a: &Address| matches!(a.kind(), Kind::TaskDefinition | Kind::EcsService);
    assert!(!partial.resources.is_empty());
    assert!(
        !partial.resources.keys().any(held),
        "a service or task definition made before its image was pushed: {:?}",
        partial.resources.keys()
    );
    let first_calls = CallLog::read(&first_log).unwrap();
    let edges = assert_ordered(&first_calls, &partial, false, |_| true);
    assert!(edges > 10, "only {edges} dependency edges checked");
    let aws_rules = aws_order::check(&first_calls, false, &partial);
    assert!(aws_rules >= 1, "none of AWS's orderings checked");

    let pushed = ws.push_images();
    assert!(!pushed.is_empty(), "nothing to push");
    let apply_log = ws.dir.join("apply.calls.jsonl");
    let run = ws
        .run(&[
            "--api-log",
            apply_log.to_str().unwrap(),
            "apply",
            "--auto-approve",
        ])
        .ok();
    assert!(run.stdout.contains("Apply complete:"), "{}", run.stdout);
    let state = ws.state();
    // Made after the push: the held services and task definitions, and what needs a
    // service (its scalable target and policies).
    let made_now: Vec<&Address> = state
        .resources
        .keys()
        .filter(|a| !partial.resources.contains_key(a))
        .collect();
    assert!(
        made_now
            .iter()
            .all(|a| held(a) || matches!(a.kind(), Kind::ScalableTarget | Kind::ScalingPolicy)),
        "made after the push although not held: {made_now:?}"
    );
    assert!(
        made_now.iter().filter(|a| held(a)).count() >= 2,
        "no service made after the push"
    );
    let apply_calls = CallLog::read(&apply_log).unwrap();
    let edges = assert_ordered(&apply_calls, &state, false, |a| made_now.contains(&a));
    // The services start after their listeners and rules (made by the first apply).
    let mut both = first_calls.clone();
    both.extend(apply_calls);
    assert!(aws_order::check(&both, false, &state) > 0);
    assert!(
        edges > made_now.len(),
        "only {edges} dependency edges checked after the push"
    );

    let stack_name = state.stack.clone();
    let region = stackctl::config::load(&ws.stack, None, None)
        .unwrap()
        .region;
    let aws = Aws::for_emulator(&region, &emulator.endpoint).await;
    check(aws.clone(), state.clone()).await;

    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "second plan is not clean:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    assert_eq!(ws.delete_images(), pushed.len());
    let destroy_log = ws.dir.join("destroy.calls.jsonl");
    let run = ws
        .run(&[
            "--api-log",
            destroy_log.to_str().unwrap(),
            "destroy",
            "--auto-approve",
        ])
        .ok();
    assert!(run.stdout.contains("Destroy complete:"), "{}", run.stdout);
    let destroy_calls = CallLog::read(&destroy_log).unwrap();
    let edges = assert_ordered(&destroy_calls, &state, true, |_| true);
    assert!(edges > 10, "only {edges} dependency edges checked");
    let aws_rules = aws_order::check(&destroy_calls, true, &state);
    assert!(
        aws_rules >= 10,
        "only {aws_rules} of AWS's orderings checked"
    );
    assert!(ws.state().resources.is_empty());
    let left = leftovers::of_stack(&aws, &stack_name).await;
    assert!(left.is_empty(), "left behind after destroy: {left:#?}");
    if let Some(zone) = zone {
        let mut kept = domain::records(&aws, &zone).await;
        kept.sort();
        let types: Vec<&str> = kept.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            types,
            ["NS", "SOA"],
            "the hosted zone keeps only its own records"
        );
    }
}

/// The leftovers sweep behind every "destroy left nothing" finds every kind: after an
/// apply of a stack that has each of them, it lists an object of each kind, and as
/// many as the state records (task definitions: at least as many revisions).
#[tokio::test(flavor = "multi_thread")]
async fn the_leftovers_sweep_finds_every_kind_after_an_apply() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("frontend-backend"));
    let text = std::fs::read_to_string(&ws.stack).unwrap();
    let extra = "\n[cdn]\nenabled = true\n\n[services.backend.scaling]\nmin = 1\nmax = 3\nrequests = 500\n\n\
         [alarms]\nemail = [\"ops@example.com\"]\n\n[domain]\nname = \"shop.example.com\"\nzone = \"example.com\"\n";
    std::fs::write(&ws.stack, format!("{text}{extra}")).unwrap();
    domain::zone_of(&emulator.aws().await, &ws.stack).await;
    ws.apply(&[]).ok();
    let state = ws.state();
    let aws = Aws::for_emulator("eu-west-2", &emulator.endpoint).await;
    let found = leftovers::of_stack(&aws, "shop").await;
    for &kind in Kind::ALL {
        let recorded = state.resources.keys().filter(|a| a.kind() == kind).count();
        let swept = found
            .iter()
            .filter(|line| line.starts_with(leftovers::label(kind)))
            .count();
        assert!(recorded > 0, "the stack has no {kind} to look for");
        assert!(
            swept == recorded || (kind == Kind::TaskDefinition && swept >= recorded),
            "{kind}: {recorded} recorded, the sweep found {swept}: {found:#?}"
        );
    }
    assert_eq!(ws.destroy(&[]).code, 0);
    let left = leftovers::of_stack(&aws, "shop").await;
    assert!(left.is_empty(), "{left:#?}");
}

fn id(state: &State, address: &str) -> String {
    let a: Address = address.parse().unwrap();
    state.resources[&a].id.to_string()
}

fn output(state: &State, address: &str, name: &str) -> String {
    let a: Address = address.parse().unwrap();
    state.resources[&a].outputs[name].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn weather_matches_its_architecture_point_by_point() {
    full_cycle("weather", |aws, state| async move {
        let ec2 = &aws.ec2;
        // VPC 10.0.0.0/16 with DNS hostnames.
        let vpc_id = id(&state, "vpc.main");
        let vpcs = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
        assert_eq!(vpcs.vpcs()[0].cidr_block(), Some("10.0.0.0/16"));
        // Public and private subnets in 2 AZs with the carved CIDRs.
        let expect = [
            ("subnet.public-0", "10.0.0.0/24", "eu-west-2a"),
            ("subnet.public-1", "10.0.1.0/24", "eu-west-2b"),
            ("subnet.private-0", "10.0.128.0/24", "eu-west-2a"),
            ("subnet.private-1", "10.0.129.0/24", "eu-west-2b"),
        ];
        for (address, cidr, az) in expect {
            let s = ec2
                .describe_subnets()
                .subnet_ids(id(&state, address))
                .send()
                .await
                .unwrap();
            let s = &s.subnets()[0];
            assert_eq!(
                (s.cidr_block(), s.availability_zone()),
                (Some(cidr), Some(az)),
                "{address}"
            );
            assert_eq!(s.vpc_id(), Some(vpc_id.as_str()));
        }
        // Public subnets route to the IGW, private ones to the NAT in public-0.
        let igw = id(&state, "internet_gateway.main");
        let nat = id(&state, "nat_gateway.nat-0");
        for (table, target, subnets) in [
            (
                "route_table.public",
                &igw,
                ["subnet.public-0", "subnet.public-1"],
            ),
            (
                "route_table.private",
                &nat,
                ["subnet.private-0", "subnet.private-1"],
            ),
        ] {
            let t = ec2
                .describe_route_tables()
                .route_table_ids(id(&state, table))
                .send()
                .await
                .unwrap();
            let t = &t.route_tables()[0];
            let default = t
                .routes()
                .iter()
                .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
                .unwrap_or_else(|| panic!("{table} has no default route"));
            let via = default.gateway_id().or(default.nat_gateway_id());
            assert_eq!(via, Some(target.as_str()), "{table}");
            let mut associated: Vec<String> = t
                .associations()
                .iter()
                .filter_map(|a| a.subnet_id().map(String::from))
                .collect();
            associated.sort();
            let mut want: Vec<String> = subnets.iter().map(|s| id(&state, s)).collect();
            want.sort();
            assert_eq!(associated, want, "{table} associations");
        }
        let nats = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&nat)
            .send()
            .await
            .unwrap();
        assert_eq!(
            nats.nat_gateways()[0].subnet_id(),
            Some(id(&state, "subnet.public-0").as_str())
        );
        // The task group admits only the ALB group, only on the container port.
        let alb_sg = id(&state, "security_group.alb");
        let sgs = ec2
            .describe_security_groups()
            .group_ids(id(&state, "security_group.web"))
            .send()
            .await
            .unwrap();
        let perms = sgs.security_groups()[0].ip_permissions();
        assert_eq!(perms.len(), 1, "{perms:?}");
        assert_eq!(
            (perms[0].from_port(), perms[0].to_port()),
            (Some(5000), Some(5000))
        );
        assert!(perms[0].ip_ranges().is_empty());
        let sources: Vec<_> = perms[0]
            .user_id_group_pairs()
            .iter()
            .filter_map(|p| p.group_id())
            .collect();
        assert_eq!(sources, vec![alb_sg.as_str()]);
        // Tasks in the private subnets without public IPs, behind the target group.
        let svc = aws
            .ecs
            .describe_services()
            .cluster(id(&state, "ecs_cluster.main"))
            .services(output(&state, "ecs_service.web", "name"))
            .send()
            .await
            .unwrap();
        let svc = &svc.services()[0];
        assert_eq!(svc.desired_count(), 2);
        let vpc_conf = svc
            .network_configuration()
            .unwrap()
            .awsvpc_configuration()
            .unwrap();
        let mut subnets: Vec<String> = vpc_conf.subnets().to_vec();
        subnets.sort();
        let mut private = vec![
            id(&state, "subnet.private-0"),
            id(&state, "subnet.private-1"),
        ];
        private.sort();
        assert_eq!(subnets, private);
        assert_eq!(
            vpc_conf.assign_public_ip().map(|a| a.as_str()),
            Some("DISABLED")
        );
        let tg_arn = id(&state, "target_group.web");
        assert_eq!(
            svc.load_balancers()[0].target_group_arn(),
            Some(tg_arn.as_str())
        );
        assert_eq!(svc.load_balancers()[0].container_port(), Some(5000));
        // Health check /health every 30 s, timeout 5, 3/3; ip targets on 5000.
        let tgs = aws
            .elb
            .describe_target_groups()
            .target_group_arns(&tg_arn)
            .send()
            .await
            .unwrap();
        let tg = &tgs.target_groups()[0];
        assert_eq!(tg.health_check_path(), Some("/health"));
        assert_eq!(tg.health_check_interval_seconds(), Some(30));
        assert_eq!(tg.health_check_timeout_seconds(), Some(5));
        assert_eq!(
            (tg.healthy_threshold_count(), tg.unhealthy_threshold_count()),
            (Some(3), Some(3))
        );
        assert_eq!(tg.port(), Some(5000));
        assert_eq!(tg.target_type().map(|t| t.as_str()), Some("ip"));
        // Listener on 80 forwards to the target group.
        let listeners = aws
            .elb
            .describe_listeners()
            .listener_arns(id(&state, "listener.http"))
            .send()
            .await
            .unwrap();
        let l = &listeners.listeners()[0];
        assert_eq!(l.port(), Some(80));
        assert_eq!(
            l.default_actions()[0].target_group_arn(),
            Some(tg_arn.as_str())
        );
        // CloudFront: origin = the ALB's DNS name, viewers redirected to HTTPS.
        let dist = aws
            .cloudfront
            .get_distribution()
            .id(id(&state, "cloudfront_distribution.main"))
            .send()
            .await
            .unwrap();
        let config = dist.distribution().unwrap().distribution_config().unwrap();
        let origin = &config.origins().unwrap().items()[0];
        assert_eq!(
            origin.domain_name(),
            output(&state, "load_balancer.main", "dns_name")
        );
        assert_eq!(
            config
                .default_cache_behavior()
                .unwrap()
                .viewer_protocol_policy()
                .as_str(),
            "redirect-to-https"
        );
        // Logs go to a log group that exists.
        let td = aws
            .ecs
            .describe_task_definition()
            .task_definition(id(&state, "task_definition.web"))
            .send()
            .await
            .unwrap();
        let container = &td.task_definition().unwrap().container_definitions()[0];
        let log_options = container.log_configuration().unwrap().options().unwrap();
        let group = &log_options["awslogs-group"];
        let groups = aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(group)
            .send()
            .await
            .unwrap();
        assert!(
            groups
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(group.as_str()))
        );
        assert!(
            container
                .image()
                .unwrap()
                .ends_with("weather-weather:1.0.0")
        );
        // The secret is passed by ARN, and the execution role may read exactly it.
        let secret = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:weather-api-key";
        assert_eq!(container.secrets()[0].value_from(), secret);
        let policy = aws
            .iam
            .get_role_policy()
            .role_name(id(&state, "iam_role.execution"))
            .policy_name("stackctl-read-secrets")
            .send()
            .await
            .unwrap();
        let document = policy.policy_document().replace("%3A", ":");
        assert!(
            document.contains("secretsmanager:GetSecretValue"),
            "{document}"
        );
        assert!(document.contains("secret:weather-api-key"), "{document}");
        // The execution role is trusted by ecs-tasks.
        let role = aws
            .iam
            .get_role()
            .role_name(id(&state, "iam_role.execution"))
            .send()
            .await
            .unwrap();
        let trust = role
            .role()
            .unwrap()
            .assume_role_policy_document()
            .unwrap_or_default();
        assert!(trust.contains("ecs-tasks.amazonaws.com"), "{trust}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn blog_cdn_applies_replans_clean_and_destroys() {
    full_cycle("blog-cdn", |aws, state| async move {
        let dist = aws
            .cloudfront
            .get_distribution()
            .id(id(&state, "cloudfront_distribution.main"))
            .send()
            .await
            .unwrap();
        let config = dist.distribution().unwrap().distribution_config().unwrap();
        let behavior = config.default_cache_behavior().unwrap();
        assert_eq!(
            behavior.viewer_protocol_policy().as_str(),
            "redirect-to-https"
        );
        assert_eq!(
            behavior.cache_policy_id(),
            Some("4cc15a8a-d715-48a4-82b8-cc0b614638fe")
        );
        let tgs = aws
            .elb
            .describe_target_groups()
            .target_group_arns(id(&state, "target_group.blog"))
            .send()
            .await
            .unwrap();
        assert_eq!(tgs.target_groups()[0].port(), Some(8000));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn flask_api_without_nat_runs_public_tasks_and_destroys() {
    full_cycle("flask-api", |aws, state| async move {
        assert!(
            !state
                .resources
                .keys()
                .any(|a| a.to_string().starts_with("nat_gateway."))
        );
        let svc = aws
            .ecs
            .describe_services()
            .cluster(id(&state, "ecs_cluster.main"))
            .services(output(&state, "ecs_service.api", "name"))
            .send()
            .await
            .unwrap();
        let conf = svc.services()[0]
            .network_configuration()
            .unwrap()
            .awsvpc_configuration()
            .unwrap();
        assert_eq!(conf.assign_public_ip().map(|a| a.as_str()), Some("ENABLED"));
        assert!(conf.subnets().contains(&id(&state, "subnet.public-0")));
        let role = aws
            .iam
            .list_attached_role_policies()
            .role_name(id(&state, "iam_role.api-task"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            role.attached_policies()[0].policy_name(),
            Some("AmazonS3ReadOnlyAccess")
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hello_fargate_runs_arm64_tasks_and_destroys() {
    full_cycle("hello-fargate", |aws, state| async move {
        let td = aws
            .ecs
            .describe_task_definition()
            .task_definition(id(&state, "task_definition.hello"))
            .send()
            .await
            .unwrap();
        let td = td.task_definition().unwrap();
        assert_eq!(td.cpu(), Some("256"));
        assert_eq!(td.memory(), Some("512"));
        let platform = td.runtime_platform().unwrap();
        assert_eq!(
            platform.cpu_architecture().map(|a| a.as_str()),
            Some("ARM64")
        );
        assert_eq!(
            td.container_definitions()[0].port_mappings()[0].container_port(),
            Some(8080)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn frontend_backend_routes_api_to_the_backend_and_destroys() {
    full_cycle("frontend-backend", |aws, state| async move {
        let rules = aws
            .elb
            .describe_rules()
            .listener_arn(id(&state, "listener.http"))
            .send()
            .await
            .unwrap();
        let backend_tg = id(&state, "target_group.backend");
        let rule = rules
            .rules()
            .iter()
            .find(|r| r.priority() == Some("10"))
            .expect("a rule at priority 10");
        assert_eq!(
            rule.actions()[0].target_group_arn(),
            Some(backend_tg.as_str())
        );
        let paths = rule.conditions()[0]
            .path_pattern_config()
            .map(|p| p.values().to_vec())
            .unwrap_or_default();
        let values = if paths.is_empty() {
            rule.conditions()[0].values().to_vec()
        } else {
            paths
        };
        assert_eq!(values, vec!["/api/*".to_string()]);
        let listener = aws
            .elb
            .describe_listeners()
            .listener_arns(id(&state, "listener.http"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            listener.listeners()[0].default_actions()[0].target_group_arn(),
            Some(id(&state, "target_group.frontend").as_str())
        );
        // NAT per AZ: two gateways, each AZ's private table through its own.
        assert!(
            state
                .resources
                .contains_key(&"nat_gateway.nat-1".parse().unwrap())
        );
        // Flow logs of refused traffic, into their group, through their role.
        let flow_logs = aws
            .ec2
            .describe_flow_logs()
            .flow_log_ids(id(&state, "flow_log.vpc"))
            .send()
            .await
            .unwrap();
        let flow_log = &flow_logs.flow_logs()[0];
        assert_eq!(
            flow_log.resource_id(),
            Some(id(&state, "vpc.main").as_str())
        );
        assert_eq!(flow_log.traffic_type().map(|t| t.as_str()), Some("REJECT"));
        assert_eq!(flow_log.log_group_name(), Some("/vpc/shop/flow-logs"));
        assert_eq!(
            flow_log.deliver_logs_permission_arn(),
            Some(output(&state, "iam_role.flow_logs", "arn").as_str())
        );
    })
    .await;
}

/// The production example, served at its own domain: a certificate in eu-west-2 for
/// the load balancer and one in us-east-1 for CloudFront, both issued through the one
/// validation record the apply wrote in the zone; an HTTPS listener with the first,
/// HTTP redirected to it; the distribution with the alias, the second certificate and
/// a current TLS policy; A and AAAA aliases to the distribution; the scalable target,
/// its policies and the alarms with their topic. Destroy keeps the zone (checked in
/// `full_cycle`).
#[tokio::test(flavor = "multi_thread")]
async fn production_serves_its_domain_over_https_and_destroys() {
    full_cycle("production", |aws, state| async move {
        let cert = |name: &str| id(&state, &format!("certificate.{name}"));
        let (lb_cert, cdn_cert) = (cert("load_balancer"), cert("cdn"));
        assert!(lb_cert.contains(":acm:eu-west-2:"), "{lb_cert}");
        assert!(cdn_cert.contains(":acm:us-east-1:"), "{cdn_cert}");
        for (acm, arn) in [(&aws.acm, &lb_cert), (&aws.acm_cloudfront, &cdn_cert)] {
            let out = acm.describe_certificate().certificate_arn(arn).send().await;
            let detail = out.unwrap().certificate().cloned().unwrap();
            assert_eq!(detail.domain_name(), Some("shop.example.com"));
            assert_eq!(detail.status().map(|s| s.as_str()), Some("ISSUED"));
        }
        let validation = id(&state, "dns_record.validation");
        assert!(
            validation.ends_with("shop.example.com_CNAME"),
            "{validation}"
        );

        let listeners = aws
            .elb
            .describe_listeners()
            .load_balancer_arn(id(&state, "load_balancer.main"))
            .send()
            .await
            .unwrap();
        let by_port = |port: i32| {
            listeners
                .listeners()
                .iter()
                .find(|l| l.port() == Some(port))
                .unwrap_or_else(|| panic!("no listener on {port}"))
        };
        let https = by_port(443);
        assert_eq!(https.protocol().map(|p| p.as_str()), Some("HTTPS"));
        assert_eq!(
            https.certificates()[0].certificate_arn(),
            Some(lb_cert.as_str())
        );
        let redirect = by_port(80).default_actions()[0].redirect_config().unwrap();
        assert_eq!(
            (redirect.protocol(), redirect.port()),
            (Some("HTTPS"), Some("443"))
        );

        let dist = aws
            .cloudfront
            .get_distribution()
            .id(id(&state, "cloudfront_distribution.main"))
            .send()
            .await
            .unwrap();
        let dist = dist.distribution().unwrap();
        let config = dist.distribution_config().unwrap();
        assert_eq!(config.aliases().unwrap().items(), ["shop.example.com"]);
        let viewer = config.viewer_certificate().unwrap();
        assert_eq!(viewer.acm_certificate_arn(), Some(cdn_cert.as_str()));
        assert_eq!(
            viewer.minimum_protocol_version().map(|m| m.as_str()),
            Some("TLSv1.2_2021")
        );
        assert_eq!(
            config.origins().unwrap().items()[0]
                .custom_origin_config()
                .unwrap()
                .origin_protocol_policy()
                .as_str(),
            "https-only"
        );

        let zone_id = validation.split('_').next().unwrap();
        for record_type in ["A", "AAAA"] {
            let out = aws
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .start_record_name("shop.example.com")
                .start_record_type(record_type.into())
                .max_items(1)
                .send()
                .await
                .unwrap();
            let set = &out.resource_record_sets()[0];
            assert_eq!(set.r#type().as_str(), record_type);
            let alias = set.alias_target().unwrap();
            assert_eq!(alias.hosted_zone_id(), "Z2FDTNDATAQYW2");
            assert_eq!(
                alias.dns_name().trim_end_matches('.'),
                dist.domain_name().trim_end_matches('.')
            );
        }

        for kind in [
            "scalable_target.web",
            "scaling_policy.web-cpu",
            "alarm.web-5xx",
        ] {
            assert!(
                state
                    .resources
                    .contains_key(&kind.parse::<Address>().unwrap()),
                "{kind}"
            );
        }
        let alarms = aws
            .cloudwatch
            .describe_alarms()
            .alarm_names("shop-web-5xx")
            .send()
            .await
            .unwrap();
        assert_eq!(
            alarms.metric_alarms()[0].alarm_actions(),
            [output(&state, "sns_topic.alarms", "arn")]
        );
        let outputs = stackctl::output::stack_outputs::from_state(&state);
        assert_eq!(outputs["url"], "https://shop.example.com");
    })
    .await;
}
