//! The fault proxy's realism layer (crates/stackctl-bench/src/realism.rs) against
//! moto and the real SDK clients. Each behaviour moto lacks fires once, is parsed by
//! the SDK as AWS's own error (code, message and status), and lets the next attempt
//! through. Objects that a test needs but does not examine are made directly on the
//! emulator, where the layer never sees them.

use crate::support::emulator::{Emulator, REGION};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use stackctl::aws::Aws;
use stackctl_bench::fault_proxy::{FaultProxy, Faults};
use stackctl_bench::realism::{Realism, RealismCounts};

/// An emulator, a realistic proxy in front of it, and clients both ways.
struct Realistic {
    _emulator: Emulator,
    proxy: FaultProxy,
    /// Through the proxy: what stackctl would meet on AWS.
    aws: Aws,
    /// Straight to the emulator: setup the layer does not see.
    direct: Aws,
}

async fn realistic() -> Realistic {
    let emulator = Emulator::start();
    let proxy =
        FaultProxy::start_realistic(&emulator.endpoint, Faults::none(1), None, Realism::aws());
    Realistic {
        aws: Aws::for_emulator(REGION, &proxy.endpoint).await,
        direct: emulator.aws().await,
        proxy,
        _emulator: emulator,
    }
}

/// The HTTP status, code and message of a call the proxy refused. Panics if the call
/// succeeded.
fn failure<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> (u16, String, String) {
    let err = result.expect_err("this call should fail");
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    let code = err.code().unwrap_or("(no code)").to_string();
    let message = err.message().unwrap_or("(no message)").to_string();
    (status, code, message)
}

fn error(status: u16, code: &str, message: &str) -> (u16, String, String) {
    (status, code.to_string(), message.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn without_realism_the_proxy_shows_moto_as_it_is() {
    let emulator = Emulator::start();
    let proxy = FaultProxy::start(&emulator.endpoint, Faults::none(1));
    let ec2 = Aws::for_emulator(REGION, &proxy.endpoint).await.ec2;
    let vpc = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await;
    let vpc = vpc.unwrap().vpc().unwrap().vpc_id().unwrap().to_string();
    let subnet = ec2.create_subnet().vpc_id(&vpc).cidr_block("10.0.1.0/24");
    subnet.send().await.expect("moto shows a new VPC at once");
    assert_eq!(proxy.realism_counts(), RealismCounts::default());
}

/// Every kind of fresh EC2 id: the first request that names it is refused with the
/// id's own NotFound; the next one goes through.
#[tokio::test(flavor = "multi_thread")]
async fn fresh_ec2_ids_are_not_found_by_the_first_request_that_names_them() {
    let r = realistic().await;
    let ec2 = &r.aws.ec2;
    let vpc = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await;
    let vpc = vpc.unwrap().vpc().unwrap().vpc_id().unwrap().to_string();
    let create_subnet = || {
        ec2.create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.0.1.0/24")
            .availability_zone("eu-west-2a")
    };
    assert_eq!(
        failure(create_subnet().send().await),
        error(
            400,
            "InvalidVpcID.NotFound",
            &format!("The vpc ID '{vpc}' does not exist")
        )
    );
    let subnet = create_subnet().send().await.expect("the second attempt");
    let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
    let describe = || ec2.describe_subnets().subnet_ids(&subnet);
    assert_eq!(
        failure(describe().send().await),
        error(
            400,
            "InvalidSubnetID.NotFound",
            &format!("The subnet ID '{subnet}' does not exist")
        )
    );
    assert_eq!(describe().send().await.unwrap().subnets().len(), 1);

    let igw = ec2.create_internet_gateway().send().await.unwrap();
    let igw = igw
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap();
    let attach = || {
        ec2.attach_internet_gateway()
            .internet_gateway_id(igw)
            .vpc_id(&vpc)
    };
    let (_, code, _) = failure(attach().send().await);
    assert_eq!(code, "InvalidInternetGatewayID.NotFound");
    attach().send().await.expect("attached");

    let table = ec2.create_route_table().vpc_id(&vpc).send().await.unwrap();
    let table = table.route_table().unwrap().route_table_id().unwrap();
    let associate = || {
        ec2.associate_route_table()
            .route_table_id(table)
            .subnet_id(&subnet)
    };
    let (_, code, _) = failure(associate().send().await);
    assert_eq!(code, "InvalidRouteTableID.NotFound");
    associate().send().await.expect("associated");

    let group = ec2
        .create_security_group()
        .group_name("web")
        .description("web");
    let group = group.vpc_id(&vpc).send().await.unwrap();
    let group = group.group_id().unwrap();
    let describe = || ec2.describe_security_groups().group_ids(group);
    assert_eq!(
        failure(describe().send().await),
        error(
            400,
            "InvalidGroup.NotFound",
            &format!("The security group '{group}' does not exist")
        )
    );
    describe().send().await.expect("found");

    let address = ec2
        .allocate_address()
        .domain(aws_sdk_ec2::types::DomainType::Vpc);
    let address = address.send().await.unwrap();
    let allocation = address.allocation_id().unwrap();
    let nat = || {
        ec2.create_nat_gateway()
            .subnet_id(&subnet)
            .allocation_id(allocation)
    };
    let (_, code, _) = failure(nat().send().await);
    assert_eq!(code, "InvalidAllocationID.NotFound");
    let nat = nat().send().await.unwrap();
    let nat = nat.nat_gateway().unwrap().nat_gateway_id().unwrap();
    let describe = || ec2.describe_nat_gateways().nat_gateway_ids(nat);
    assert_eq!(
        failure(describe().send().await),
        error(
            400,
            "NatGatewayNotFound",
            &format!("The Nat Gateway {nat} was not found")
        )
    );
    describe().send().await.expect("found");

    let counts = r.proxy.realism_counts();
    assert_eq!(counts.ec2_id_not_found, 7);
    assert_eq!(counts.refused(), 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_log_group_is_not_found_by_its_first_update() {
    let r = realistic().await;
    let logs = &r.aws.logs;
    logs.create_log_group()
        .log_group_name("/app")
        .send()
        .await
        .unwrap();
    let listed = logs.describe_log_groups().log_group_name_prefix("/app");
    assert_eq!(
        listed.send().await.unwrap().log_groups().len(),
        1,
        "lists are not refused"
    );
    let retention = || {
        logs.put_retention_policy()
            .log_group_name("/app")
            .retention_in_days(7)
    };
    assert_eq!(
        failure(retention().send().await),
        error(
            400,
            "ResourceNotFoundException",
            "The specified log group does not exist."
        )
    );
    retention().send().await.expect("the second attempt");
    assert_eq!(r.proxy.realism_counts().log_group_not_found, 1);
}

/// A new IAM role and the ECS service-linked role are not usable at once.
#[tokio::test(flavor = "multi_thread")]
async fn new_roles_propagate_before_flow_logs_and_fargate_clusters_can_use_them() {
    let r = realistic().await;
    let vpc = r
        .direct
        .ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await;
    let vpc = vpc.unwrap().vpc().unwrap().vpc_id().unwrap().to_string();
    let group = r.direct.logs.create_log_group().log_group_name("/flow");
    group.send().await.unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role = r
        .aws
        .iam
        .create_role()
        .role_name("flow")
        .assume_role_policy_document(trust);
    let role = role.send().await.unwrap().role().unwrap().arn().to_string();
    let flow_logs = || {
        r.aws
            .ec2
            .create_flow_logs()
            .resource_ids(&vpc)
            .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
            .traffic_type(aws_sdk_ec2::types::TrafficType::All)
            .log_group_name("/flow")
            .deliver_logs_permission_arn(&role)
    };
    assert_eq!(
        failure(flow_logs().send().await),
        error(
            400,
            "InvalidParameter",
            &format!("Unable to assume given IAM role: '{role}'")
        )
    );
    let created = flow_logs().send().await.expect("the second attempt");
    assert_eq!(created.flow_log_ids().len(), 1);

    let cluster = || {
        r.aws
            .ecs
            .create_cluster()
            .cluster_name("c")
            .capacity_providers("FARGATE")
            .capacity_providers("FARGATE_SPOT")
    };
    assert_eq!(
        failure(cluster().send().await),
        error(
            400,
            "InvalidParameterException",
            "Unable to assume the service linked role. Please verify that the ECS service linked role exists."
        )
    );
    cluster().send().await.expect("the second attempt");
    let counts = r.proxy.realism_counts();
    assert_eq!((counts.flow_log_role, counts.service_linked_role), (1, 1));
}

/// What a service behind a load balancer needs, made straight on the emulator.
struct Web {
    load_balancer: String,
    target_groups: [String; 2],
    subnet: String,
    /// moto's CreateService needs one in an awsvpc configuration.
    security_group: String,
}

async fn web_network(direct: &Aws) -> Web {
    let ec2 = &direct.ec2;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [("10.0.1.0/24", "eu-west-2a"), ("10.0.2.0/24", "eu-west-2b")] {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(zone);
        let subnet = subnet.send().await.unwrap();
        subnets.push(subnet.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    let lb = direct
        .elb
        .create_load_balancer()
        .name("web")
        .set_subnets(Some(subnets.clone()));
    let lb = lb.send().await.unwrap();
    let load_balancer = lb.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let mut target_groups = Vec::new();
    for name in ["blue", "green"] {
        let tg = direct
            .elb
            .create_target_group()
            .name(name)
            .vpc_id(&vpc)
            .port(80);
        let tg = tg
            .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
            .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
            .send()
            .await
            .unwrap();
        target_groups.push(
            tg.target_groups()[0]
                .target_group_arn()
                .unwrap()
                .to_string(),
        );
    }
    let group = ec2
        .create_security_group()
        .group_name("web")
        .description("web");
    let group = group.vpc_id(&vpc).send().await.unwrap();
    direct
        .ecs
        .create_cluster()
        .cluster_name("c")
        .send()
        .await
        .unwrap();
    let image = "public.ecr.aws/nginx/nginx:latest";
    register(direct, "web", image).await;
    Web {
        load_balancer,
        target_groups: target_groups.try_into().unwrap(),
        subnet: subnets[0].clone(),
        security_group: group.group_id().unwrap().to_string(),
    }
}

async fn register(aws: &Aws, family: &str, image: &str) {
    let container = aws_sdk_ecs::types::ContainerDefinition::builder()
        .name("web")
        .image(image)
        .memory(512)
        .build();
    let definition = aws.ecs.register_task_definition().family(family);
    definition
        .container_definitions(container)
        .send()
        .await
        .unwrap();
}

fn load_balancer(target_group: &str) -> aws_sdk_ecs::types::LoadBalancer {
    aws_sdk_ecs::types::LoadBalancer::builder()
        .target_group_arn(target_group)
        .container_name("web")
        .container_port(80)
        .build()
}

/// A forward to the target groups with these weights.
fn forward(groups: &[(&str, i32)]) -> aws_sdk_elasticloadbalancingv2::types::Action {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple,
    };
    let tuples = groups.iter().map(|(arn, weight)| {
        TargetGroupTuple::builder()
            .target_group_arn(*arn)
            .weight(*weight)
            .build()
    });
    let config = ForwardActionConfig::builder().set_target_groups(Some(tuples.collect()));
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(config.build())
        .build()
}

/// ECS refuses a target group that no listener forwards to (moto accepts it), and a
/// new association or service role needs time to propagate.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_needs_a_listener_on_its_target_group() {
    let r = realistic().await;
    let web = web_network(&r.direct).await;
    let [blue, green] = &web.target_groups;
    let network = aws_sdk_ecs::types::NetworkConfiguration::builder().awsvpc_configuration(
        aws_sdk_ecs::types::AwsVpcConfiguration::builder()
            .subnets(&web.subnet)
            .security_groups(&web.security_group)
            .build()
            .unwrap(),
    );
    let network = network.build();
    let create = || {
        r.aws
            .ecs
            .create_service()
            .cluster("c")
            .service_name("web")
            .task_definition("web")
            .desired_count(1)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .network_configuration(network.clone())
            .load_balancers(load_balancer(blue))
    };
    let no_load_balancer = |tg: &str| {
        error(
            400,
            "InvalidParameterException",
            &format!(
                "The target group with targetGroupArn {tg} does not have an associated load balancer."
            ),
        )
    };
    assert_eq!(
        failure(create().send().await),
        error(
            400,
            "InvalidParameterException",
            "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions."
        ),
        "the account's first service behind a load balancer"
    );
    assert_eq!(failure(create().send().await), no_load_balancer(blue));
    assert_eq!(
        failure(create().send().await),
        no_load_balancer(blue),
        "every time"
    );

    let listener = r
        .aws
        .elb
        .create_listener()
        .load_balancer_arn(&web.load_balancer);
    let listener = listener
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .default_actions(forward(&[(blue, 100), (green, 0)]))
        .send()
        .await
        .unwrap();
    let listener = listener.listeners()[0].listener_arn().unwrap().to_string();
    assert_eq!(
        failure(create().send().await),
        no_load_balancer(blue),
        "propagating"
    );
    create().send().await.expect("associated and propagated");

    let update = || {
        r.aws
            .ecs
            .update_service()
            .cluster("c")
            .service("web")
            .load_balancers(load_balancer(green))
    };
    assert_eq!(
        failure(update().send().await),
        no_load_balancer(green),
        "weight 0 associates it; it propagates too"
    );
    update().send().await.expect("propagated");
    let modify = r.aws.elb.modify_listener().listener_arn(&listener);
    let modify = modify.default_actions(forward(&[(blue, 1)]));
    modify.send().await.unwrap();
    assert_eq!(
        failure(update().send().await),
        no_load_balancer(green),
        "the listener no longer forwards to it"
    );
    let counts = r.proxy.realism_counts();
    assert_eq!(
        (
            counts.service_role,
            counts.unassociated_target_group,
            counts.target_group_propagation
        ),
        (1, 3, 2)
    );
}

async fn push_image(aws: &Aws, repository: &str, tag: &str) {
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1234, "digest": format!("sha256:{}", "c".repeat(64))},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 100, "digest": format!("sha256:{}", "e".repeat(64))}]
    });
    let put = aws
        .ecr
        .put_image()
        .repository_name(repository)
        .image_tag(tag);
    put.image_manifest(manifest.to_string())
        .send()
        .await
        .unwrap();
}

/// moto runs a service whatever its image. On AWS every task of a service whose image
/// is not in ECR stops with CannotPullContainerError, and the circuit breaker fails the
/// rollout. Once the image is pushed, the service runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_on_a_missing_image_fails_its_rollout_until_the_image_is_pushed() {
    let r = realistic().await;
    let repository = r
        .direct
        .ecr
        .create_repository()
        .repository_name("app")
        .send()
        .await;
    let uri = repository
        .unwrap()
        .repository()
        .unwrap()
        .repository_uri()
        .unwrap()
        .to_string();
    let image = format!("{uri}:v1");
    r.direct
        .ecs
        .create_cluster()
        .cluster_name("c")
        .send()
        .await
        .unwrap();
    register(&r.aws, "web", &image).await;
    let breaker = aws_sdk_ecs::types::DeploymentCircuitBreaker::builder()
        .enable(true)
        .rollback(false)
        .build();
    let create = r.aws.ecs.create_service().cluster("c").service_name("web");
    let create = create
        .task_definition("web")
        .desired_count(1)
        .deployment_configuration(
            aws_sdk_ecs::types::DeploymentConfiguration::builder()
                .deployment_circuit_breaker(breaker)
                .build(),
        );
    create
        .send()
        .await
        .expect("ECS accepts the service; its tasks fail later");
    assert_eq!(r.proxy.realism_counts().tasks_on_missing_image, 1);

    let describe = || r.aws.ecs.describe_services().cluster("c").services("web");
    for n in 1..=3 {
        let described = describe().send().await.unwrap();
        let service = &described.services()[0];
        let primary = &service.deployments()[0];
        assert_eq!((service.running_count(), service.pending_count()), (0, 0));
        assert_eq!((primary.running_count(), primary.failed_tasks()), (0, n));
        let state = primary.rollout_state().unwrap().as_str();
        let pull = format!(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: not found"
        );
        assert!(
            service
                .events()
                .iter()
                .any(|e| e.message().unwrap().contains(&pull)),
            "{:?}",
            service.events()
        );
        if n < 3 {
            assert_eq!(state, "IN_PROGRESS", "describe {n}");
        } else {
            assert_eq!(state, "FAILED", "the breaker's threshold is 3");
            assert_eq!(
                primary.rollout_state_reason(),
                Some("ECS deployment circuit breaker: tasks failed to start.")
            );
        }
    }

    push_image(&r.aws, "app", "v1").await;
    let described = describe().send().await.unwrap();
    let primary = &described.services()[0].deployments()[0];
    assert_eq!(primary.rollout_state().unwrap().as_str(), "COMPLETED");
    assert_eq!(primary.failed_tasks(), 0);
    let update = r.aws.ecs.update_service().cluster("c").service("web");
    update.force_new_deployment(true).send().await.unwrap();
    let counts = r.proxy.realism_counts();
    assert_eq!(counts.failed_rollouts, 3);
    assert_eq!(counts.tasks_on_missing_image, 1, "no task started since");
    assert_eq!(counts.refused(), 0, "nothing was refused");

    register(&r.aws, "job", &format!("{uri}:missing")).await;
    let run = r.aws.ecs.run_task().cluster("c").task_definition("job");
    run.launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .send()
        .await
        .unwrap();
    assert_eq!(r.proxy.realism_counts().tasks_on_missing_image, 2);
}

fn distribution_config(reference: &str) -> aws_sdk_cloudfront::types::DistributionConfig {
    use aws_sdk_cloudfront::types::{
        CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Origin, OriginProtocolPolicy,
        Origins, ViewerProtocolPolicy,
    };
    let origin = Origin::builder()
        .id("app")
        .domain_name("origin.example.com");
    let origin = origin.custom_origin_config(
        CustomOriginConfig::builder()
            .http_port(80)
            .https_port(443)
            .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
            .build()
            .unwrap(),
    );
    let behavior = DefaultCacheBehavior::builder()
        .target_origin_id("app")
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6");
    DistributionConfig::builder()
        .caller_reference(reference)
        .comment("")
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin.build().unwrap())
                .build()
                .unwrap(),
        )
        .default_cache_behavior(behavior.build().unwrap())
        .build()
        .unwrap()
}

/// CloudFront deletes only a disabled distribution whose disable has deployed, with
/// the ETag of the last change; moto deletes whatever it is asked to.
#[tokio::test(flavor = "multi_thread")]
async fn a_distribution_is_deleted_only_once_disabled_and_with_its_latest_etag() {
    let r = realistic().await;
    let cloudfront = &r.aws.cloudfront;
    let created = cloudfront
        .create_distribution()
        .distribution_config(distribution_config("r1"))
        .send()
        .await
        .unwrap();
    let id = created.distribution().unwrap().id().to_string();
    let delete = |etag: &str| cloudfront.delete_distribution().id(&id).if_match(etag);
    let not_disabled = error(
        409,
        "DistributionNotDisabled",
        "The distribution you are trying to delete has not been disabled.",
    );
    assert_eq!(
        failure(delete(created.e_tag().unwrap()).send().await),
        not_disabled
    );

    let current = cloudfront
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .unwrap();
    let read = current.e_tag().unwrap().to_string();
    let mut config = current.distribution_config().unwrap().clone();
    config.enabled = false;
    let disabled = cloudfront.update_distribution().id(&id).if_match(&read);
    let disabled = disabled.distribution_config(config).send().await.unwrap();
    let latest = disabled.e_tag().unwrap().to_string();
    assert_ne!(latest, read, "an update changes the ETag");
    assert_eq!(
        failure(delete(&read).send().await),
        error(
            412,
            "PreconditionFailed",
            "The request failed because it didn't meet the preconditions in one or more request-header fields."
        )
    );
    assert_eq!(
        failure(delete(&latest).send().await),
        not_disabled,
        "the disable is still deploying"
    );
    let got = cloudfront.get_distribution().id(&id).send().await.unwrap();
    assert_eq!(
        got.e_tag(),
        Some(latest.as_str()),
        "reads give the new ETag"
    );
    delete(&latest).send().await.expect("deleted");
    let gone = cloudfront.get_distribution().id(&id).send().await;
    assert_eq!(failure(gone).1, "NoSuchDistribution");
    let counts = r.proxy.realism_counts();
    assert_eq!(
        (
            counts.distribution_not_disabled,
            counts.disable_deploying,
            counts.precondition_failed
        ),
        (1, 1, 1)
    );
}
