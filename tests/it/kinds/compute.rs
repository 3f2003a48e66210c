//! The container kinds: ECR repository, log group, IAM role, ECS cluster, task
//! definition and service, each created, read back in sync, updated attribute by
//! attribute and deleted (twice) against the emulator.
//!
//! Emulator gaps these tests work around (see the kinds' docs):
//! - moto ignores `deploymentConfiguration`, `healthCheckGracePeriodSeconds` and
//!   `capacityProviderStrategy` on CreateService (it keeps them on UpdateService), so
//!   services are created with ECS's defaults (100 / 200 %, no circuit breaker, no
//!   grace period) and the other values are exercised through `update`.
//! - subnets and security groups are not implemented on this branch: they are made
//!   with raw SDK calls and recorded under their addresses so references resolve.

use crate::support::emulator::{Emulator, REGION};
use crate::support::kinds::{Harness, STACK, user_tags};
use serde_json::json;
use stackctl::address::{Address, CloudId, Kind};
use stackctl::resources::ecr_repository::{EcrRepository, EcrRepositorySpec};
use stackctl::resources::ecs_cluster::{EcsCluster, EcsClusterSpec};
use stackctl::resources::ecs_service::{EcsService, EcsServiceSpec, ServiceLoadBalancer};
use stackctl::resources::iam_role::{IamRole, IamRoleSpec};
use stackctl::resources::log_group::{LogGroup, LogGroupSpec};
use stackctl::resources::tags::Tags;
use stackctl::resources::task_definition::{
    ContainerSpec, ImageSpec, TaskDefinition, TaskDefinitionSpec,
};
use stackctl::resources::vpc::{Vpc, VpcSpec};
use stackctl::resources::{Ctx, Ref, Resource};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const ACCOUNT: &str = "123456789012";
const EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const LOGS_POLICY: &str = "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess";

fn addr(kind: Kind, name: &str) -> Address {
    Address::new(kind, name)
}

// ---------------------------------------------------------------- ECR repository

fn repo_spec() -> EcrRepositorySpec {
    EcrRepositorySpec {
        name: "kindtest-app".into(),
        scan_on_push: false,
        tag_mutability: "MUTABLE".into(),
        keep_images: Some(10),
        tags: Tags::new(),
    }
}

#[tokio::test]
async fn ecr_repository_is_created_updated_and_deleted() {
    let mut h = Harness::start().await;
    let mut spec = repo_spec();
    spec.tags = user_tags();
    let (address, created) = h.create::<EcrRepository>("app", &spec).await;
    assert_eq!(created.id.as_str(), "kindtest-app");
    assert_eq!(
        created.outputs["uri"],
        format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/kindtest-app")
    );
    assert_eq!(
        created.outputs["arn"],
        format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/kindtest-app")
    );
    let live = h.assert_in_sync::<EcrRepository>(&created.id, &spec).await;
    assert_eq!(live.attrs["keep_images"], json!(10));
    assert_eq!(live.outputs, created.outputs);
    let mut spec = h
        .retag::<EcrRepository>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    spec.scan_on_push = true;
    h.update::<EcrRepository>(&address, &created.id, &spec, &["scan_on_push"])
        .await;
    let live = h.assert_in_sync::<EcrRepository>(&created.id, &spec).await;
    assert_eq!(live.attrs["scan_on_push"], json!(true));

    spec.tag_mutability = "IMMUTABLE".into();
    h.update::<EcrRepository>(&address, &created.id, &spec, &["tag_mutability"])
        .await;
    let live = h.assert_in_sync::<EcrRepository>(&created.id, &spec).await;
    assert_eq!(live.attrs["tag_mutability"], json!("IMMUTABLE"));

    spec.keep_images = Some(3);
    h.update::<EcrRepository>(&address, &created.id, &spec, &["keep_images"])
        .await;
    let live = h.assert_in_sync::<EcrRepository>(&created.id, &spec).await;
    assert_eq!(live.attrs["keep_images"], json!(3));

    spec.keep_images = None;
    h.update::<EcrRepository>(&address, &created.id, &spec, &["keep_images"])
        .await;
    let live = h.assert_in_sync::<EcrRepository>(&created.id, &spec).await;
    assert_eq!(live.attrs["keep_images"], json!(null));

    h.delete::<EcrRepository>(&created.id).await;
}

#[tokio::test]
async fn ecr_repository_with_images_is_not_deleted_and_the_error_says_what_to_do() {
    let mut h = Harness::start().await;
    let (_, created) = h.create::<EcrRepository>("app", &repo_spec()).await;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:aa"},
        "layers": []
    });
    h.aws
        .ecr
        .put_image()
        .repository_name("kindtest-app")
        .image_manifest(manifest.to_string())
        .image_tag("v1")
        .send()
        .await
        .expect("put image");

    let err = EcrRepository::delete(&h.aws, &created.id)
        .await
        .expect_err("a repository with images must not be deleted");
    assert_eq!(err.code, "RepositoryNotEmptyException");
    assert!(err.message.contains("delete the images"), "{err}");
    assert!(h.read::<EcrRepository>(&created.id).await.is_some());

    h.aws
        .ecr
        .batch_delete_image()
        .repository_name("kindtest-app")
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag("v1")
                .build(),
        )
        .send()
        .await
        .expect("delete image");
    h.delete::<EcrRepository>(&created.id).await;
}

// ---------------------------------------------------------------- log group

#[tokio::test]
async fn log_group_is_created_with_retention_updated_and_deleted() {
    let mut h = Harness::start().await;
    let spec = LogGroupSpec {
        name: "/kindtest/app".into(),
        retention_days: 14,
        tags: user_tags(),
    };
    let (address, created) = h.create::<LogGroup>("app", &spec).await;
    assert_eq!(created.id.as_str(), "/kindtest/app");
    // The group's own ARN, without the `:*` of its streams.
    assert_eq!(
        created.outputs["arn"],
        format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/kindtest/app")
    );
    let live = h.assert_in_sync::<LogGroup>(&created.id, &spec).await;
    assert_eq!(live.outputs, created.outputs);
    let mut spec = h
        .retag::<LogGroup>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    spec.retention_days = 30;
    h.update::<LogGroup>(&address, &created.id, &spec, &["retention_days"])
        .await;
    let live = h.assert_in_sync::<LogGroup>(&created.id, &spec).await;
    assert_eq!(live.attrs["retention_days"], json!(30));

    h.delete::<LogGroup>(&created.id).await;
}

// ---------------------------------------------------------------- IAM role

fn role_spec(name: &str) -> IamRoleSpec {
    IamRoleSpec {
        name: name.into(),
        trusted_service: "ecs-tasks.amazonaws.com".into(),
        managed_policies: vec![EXECUTION_POLICY.into()],
        readable_secrets: Vec::new(),
        writable_logs: Vec::new(),
        exec_channels: false,
        tags: Tags::new(),
    }
}

#[tokio::test]
async fn iam_role_is_created_updated_and_deleted_with_its_policies() {
    let mut h = Harness::start().await;
    let mut spec = role_spec("kindtest-execution");
    spec.tags = user_tags();
    let (address, created) = h.create::<IamRole>("execution", &spec).await;
    assert_eq!(created.id.as_str(), "kindtest-execution");
    assert_eq!(
        created.outputs["arn"],
        format!("arn:aws:iam::{ACCOUNT}:role/kindtest-execution")
    );
    let live = h.assert_in_sync::<IamRole>(&created.id, &spec).await;
    assert_eq!(
        live.attrs["trusted_service"],
        json!("ecs-tasks.amazonaws.com")
    );
    assert_eq!(live.attrs["managed_policies"], json!([EXECUTION_POLICY]));
    let mut spec = h
        .retag::<IamRole>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    spec.trusted_service = "ecs.amazonaws.com".into();
    h.update::<IamRole>(&address, &created.id, &spec, &["trusted_service"])
        .await;
    let live = h.assert_in_sync::<IamRole>(&created.id, &spec).await;
    assert_eq!(live.attrs["trusted_service"], json!("ecs.amazonaws.com"));

    spec.managed_policies = vec![LOGS_POLICY.into()];
    h.update::<IamRole>(&address, &created.id, &spec, &["managed_policies"])
        .await;
    let live = h.assert_in_sync::<IamRole>(&created.id, &spec).await;
    assert_eq!(live.attrs["managed_policies"], json!([LOGS_POLICY]));

    let secret = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:api-key-AbCdEf");
    let parameter = format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/db/url");
    spec.readable_secrets = vec![secret.clone(), parameter.clone()];
    h.update::<IamRole>(&address, &created.id, &spec, &["readable_secrets"])
        .await;
    let live = h.assert_in_sync::<IamRole>(&created.id, &spec).await;
    assert_eq!(live.attrs["readable_secrets"], json!([secret, parameter]));
    spec.readable_secrets.clear();
    h.update::<IamRole>(&address, &created.id, &spec, &["readable_secrets"])
        .await;
    let live = h.assert_in_sync::<IamRole>(&created.id, &spec).await;
    assert_eq!(live.attrs["readable_secrets"], json!([]));

    let group = format!("arn:aws:logs:{REGION}:*:log-group:/vpc/kindtest/flow-logs:*");
    spec.writable_logs = vec![group.clone()];
    h.update::<IamRole>(&address, &created.id, &spec, &["writable_logs"])
        .await;
    let live = h.assert_in_sync::<IamRole>(&created.id, &spec).await;
    assert_eq!(live.attrs["writable_logs"], json!([group]));
    // Someone widens the policy by hand: read back, it differs from the spec.
    h.aws
        .iam
        .put_role_policy()
        .role_name("kindtest-execution")
        .policy_name("stackctl-write-logs")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .expect("put inline policy");
    let drifted = h.read::<IamRole>(&created.id).await.unwrap();
    assert_eq!(drifted.attrs["writable_logs"], json!(["*"]));
    spec.writable_logs.clear();
    h.update::<IamRole>(&address, &created.id, &spec, &["writable_logs"])
        .await;
    let live = h.assert_in_sync::<IamRole>(&created.id, &spec).await;
    assert_eq!(live.attrs["writable_logs"], json!([]));

    // ECS Exec's SSM channels, granted and taken back.
    spec.exec_channels = true;
    h.update::<IamRole>(&address, &created.id, &spec, &["exec_channels"])
        .await;
    let live = h.assert_in_sync::<IamRole>(&created.id, &spec).await;
    assert_eq!(live.attrs["exec_channels"], json!(true));
    let policy = h
        .aws
        .iam
        .get_role_policy()
        .role_name("kindtest-execution")
        .policy_name("stackctl-exec-channels")
        .send()
        .await
        .expect("the exec policy");
    assert!(
        policy
            .policy_document()
            .contains("ssmmessages%3AOpenDataChannel")
            || policy
                .policy_document()
                .contains("ssmmessages:OpenDataChannel")
    );
    spec.exec_channels = false;
    h.update::<IamRole>(&address, &created.id, &spec, &["exec_channels"])
        .await;
    let live = h.assert_in_sync::<IamRole>(&created.id, &spec).await;
    assert_eq!(live.attrs["exec_channels"], json!(false));

    // Something added by hand must not block the delete.
    h.aws
        .iam
        .put_role_policy()
        .role_name("kindtest-execution")
        .policy_name("by-hand")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .expect("put inline policy");
    h.delete::<IamRole>(&created.id).await;
}

// ---------------------------------------------------------------- ECS cluster

#[tokio::test]
async fn ecs_cluster_is_created_updated_and_deleted() {
    let mut h = Harness::start().await;
    let spec = EcsClusterSpec {
        name: "kindtest-main".into(),
        container_insights: false,
        capacity_providers: vec!["FARGATE".into()],
        tags: user_tags(),
    };
    let (address, created) = h.create::<EcsCluster>("main", &spec).await;
    let arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/kindtest-main");
    assert_eq!(created.id.as_str(), arn);
    assert_eq!(created.outputs["arn"], arn);
    assert_eq!(created.outputs["name"], "kindtest-main");
    h.assert_in_sync::<EcsCluster>(&created.id, &spec).await;
    let mut spec = h
        .retag::<EcsCluster>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    spec.container_insights = true;
    h.update::<EcsCluster>(&address, &created.id, &spec, &["container_insights"])
        .await;
    let live = h.assert_in_sync::<EcsCluster>(&created.id, &spec).await;
    assert_eq!(live.attrs["container_insights"], json!(true));

    spec.capacity_providers = vec!["FARGATE_SPOT".into(), "FARGATE".into()];
    h.update::<EcsCluster>(&address, &created.id, &spec, &["capacity_providers"])
        .await;
    let live = h.assert_in_sync::<EcsCluster>(&created.id, &spec).await;
    assert_eq!(
        live.attrs["capacity_providers"],
        json!(["FARGATE", "FARGATE_SPOT"])
    );

    h.delete::<EcsCluster>(&created.id).await;
}

// ---------------------------------------------------------------- task definition

/// Execution role, log group and repository the task definitions reference.
async fn task_dependencies(h: &mut Harness) {
    h.create::<IamRole>("execution", &role_spec("kindtest-execution"))
        .await;
    h.create::<LogGroup>(
        "app",
        &LogGroupSpec {
            name: "/kindtest/app".into(),
            retention_days: 14,
            tags: Tags::new(),
        },
    )
    .await;
    h.create::<EcrRepository>("app", &repo_spec()).await;
}

fn task_spec(reference: &str) -> TaskDefinitionSpec {
    TaskDefinitionSpec {
        family: "kindtest-web".into(),
        cpu: "256".into(),
        memory: "512".into(),
        cpu_architecture: "ARM64".into(),
        execution_role: Ref::new(addr(Kind::IamRole, "execution"), "arn"),
        task_role: None,
        container: ContainerSpec {
            name: "web".into(),
            image: ImageSpec {
                repository: Some(Ref::new(addr(Kind::EcrRepository, "app"), "uri")),
                reference: reference.into(),
                deployed: None,
            },
            port: Some(8080),
            environment: BTreeMap::from([
                ("RUST_LOG".into(), "info".into()),
                ("APP_ENV".into(), "test".into()),
            ]),
            secrets: BTreeMap::from([(
                "DB_PASSWORD".into(),
                format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/db-password"),
            )]),
            log_group: Ref::id(addr(Kind::LogGroup, "app")),
            log_region: REGION.into(),
            log_stream_prefix: "web".into(),
            log_mode: Some("non-blocking".into()),
            read_only_root_filesystem: false,
        },
        tags: Tags::new(),
    }
}

#[tokio::test]
async fn task_definition_is_registered_read_back_without_defaults_and_deregistered() {
    let mut h = Harness::start().await;
    task_dependencies(&mut h).await;
    let mut spec = task_spec("v1");
    spec.tags = user_tags();
    let (address, created) = h.create::<TaskDefinition>("web", &spec).await;
    let arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/kindtest-web:1");
    assert_eq!(created.id.as_str(), arn);
    assert_eq!(created.outputs["revision"], "1");
    let live = h.assert_in_sync::<TaskDefinition>(&created.id, &spec).await;
    assert_eq!(
        live.attrs["container"],
        json!({
            "name": "web",
            "port": 8080,
            "environment": {"APP_ENV": "test", "RUST_LOG": "info"},
            "secrets": {"DB_PASSWORD": format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/db-password")},
            "log_group": "/kindtest/app",
            "log_region": REGION,
            "log_stream_prefix": "web",
        })
    );
    assert_eq!(
        live.attrs["execution_role_arn"],
        json!(format!("arn:aws:iam::{ACCOUNT}:role/kindtest-execution"))
    );
    assert_eq!(
        live.attrs["image"],
        json!(format!(
            "{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/kindtest-app:v1"
        ))
    );
    assert_eq!(live.attrs["task_role_arn"], json!(null));
    assert_eq!(live.attrs["cpu_architecture"], json!("ARM64"));
    assert_eq!(
        live.attrs["log_options"],
        json!({"mode": "non-blocking", "max-buffer-size": "25m"})
    );
    assert_eq!(live.attrs["read_only_root_filesystem"], json!(false));
    // Tags are the one thing a revision changes in place (TagResource).
    let spec = h
        .retag::<TaskDefinition>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;
    assert_eq!(
        h.read::<TaskDefinition>(&created.id).await.unwrap().outputs["revision"],
        "1"
    );

    // Every attribute is a replacement; update refuses instead of doing nothing.
    let ctx = Ctx::new(&h.aws, STACK, &address, &h.outputs);
    let err = TaskDefinition::update(&ctx, &created.id, &spec, &["cpu".into()])
        .await
        .expect_err("task definitions are never updated");
    assert!(err.message.contains("replaced"), "{err}");
    let err = TaskDefinition::update(&ctx, &created.id, &spec, &["tags".into(), "cpu".into()])
        .await
        .expect_err("tags do not make a cpu change possible");
    assert!(err.message.contains("(cpu)"), "{err}");
    assert!(TaskDefinition::REPLACE_ON.contains(&"container"));

    // The replacement: a digest-pinned image with a task role is a new revision,
    // registered while the old one still exists.
    let mut next = task_spec("@sha256:0123abcd");
    next.task_role = Some(Ref::new(addr(Kind::IamRole, "execution"), "arn"));
    next.cpu = "512".into();
    next.memory = "1024".into();
    let (_, second) = h.create::<TaskDefinition>("web-next", &next).await;
    assert_eq!(second.outputs["revision"], "2");
    let live = h.assert_in_sync::<TaskDefinition>(&second.id, &next).await;
    assert_eq!(
        live.attrs["image"],
        json!(format!(
            "{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/kindtest-app@sha256:0123abcd"
        ))
    );
    assert_eq!(live.attrs["cpu"], json!("512"));

    // Blocking logs and a read-only root filesystem (with a writable /tmp): read
    // back, and as ECS holds them.
    let mut locked = task_spec("v2");
    locked.container.log_mode = Some("blocking".into());
    locked.container.read_only_root_filesystem = true;
    let (_, locked_created) = h.create::<TaskDefinition>("web-locked", &locked).await;
    let live = h
        .assert_in_sync::<TaskDefinition>(&locked_created.id, &locked)
        .await;
    assert_eq!(
        live.attrs["log_options"],
        json!({"mode": "blocking", "max-buffer-size": null})
    );
    assert_eq!(live.attrs["read_only_root_filesystem"], json!(true));
    let out = h
        .aws
        .ecs
        .describe_task_definition()
        .task_definition(locked_created.id.as_str())
        .send()
        .await
        .unwrap();
    let td = out.task_definition().unwrap();
    let c = &td.container_definitions()[0];
    assert_eq!(c.readonly_root_filesystem(), Some(true));
    let mounts: Vec<(&str, &str)> = c
        .mount_points()
        .iter()
        .map(|m| (m.source_volume().unwrap(), m.container_path().unwrap()))
        .collect();
    assert_eq!(mounts, [("tmp", "/tmp")]);
    let volumes: Vec<&str> = td.volumes().iter().filter_map(|v| v.name()).collect();
    assert_eq!(volumes, ["tmp"]);
    // Out of the way of the rollback count below.
    h.aws
        .ecs
        .deregister_task_definition()
        .task_definition(locked_created.id.as_str())
        .send()
        .await
        .unwrap();

    // Retiring a replaced revision keeps the newest three registered for rollback.
    TaskDefinition::retire(&h.aws, &created.id)
        .await
        .expect("retire");
    assert!(h.read::<TaskDefinition>(&created.id).await.is_some());
    let (_, third) = h.create::<TaskDefinition>("web-3", &task_spec("v3")).await;
    let (_, fourth) = h.create::<TaskDefinition>("web-4", &task_spec("v4")).await;
    TaskDefinition::retire(&h.aws, &third.id)
        .await
        .expect("retire");
    assert!(h.read::<TaskDefinition>(&created.id).await.is_none());
    for kept in [&second, &third, &fourth] {
        assert!(h.read::<TaskDefinition>(&kept.id).await.is_some());
    }

    // Delete takes the whole family, revisions kept for rollback included.
    h.delete::<TaskDefinition>(&fourth.id).await;
    for gone in [&second, &third] {
        assert!(h.read::<TaskDefinition>(&gone.id).await.is_none());
    }
}

// ---------------------------------------------------------------- ECS service

/// VPC (through its kind), two subnets and two security groups (raw calls, recorded
/// as `subnet.a`, `subnet.b`, `security_group.web`, `security_group.other`), the
/// cluster and a task definition.
async fn service_dependencies(h: &mut Harness) -> String {
    let (_, vpc) = h
        .create::<Vpc>(
            "main",
            &VpcSpec {
                cidr: "10.9.0.0/16".into(),
                tags: Tags::new(),
            },
        )
        .await;
    for (name, cidr, az) in [
        ("a", "10.9.1.0/24", "eu-west-2a"),
        ("b", "10.9.2.0/24", "eu-west-2b"),
    ] {
        let out = h
            .aws
            .ec2
            .create_subnet()
            .vpc_id(vpc.id.as_str())
            .cidr_block(cidr)
            .availability_zone(az)
            .send()
            .await
            .expect("create subnet");
        let id = out.subnet().and_then(|s| s.subnet_id()).expect("subnet id");
        h.outputs.insert(
            addr(Kind::Subnet, name),
            [("id".to_string(), id.to_string())].into(),
        );
    }
    for name in ["web", "other"] {
        let out = h
            .aws
            .ec2
            .create_security_group()
            .vpc_id(vpc.id.as_str())
            .group_name(format!("kindtest-{name}"))
            .description(format!("kindtest {name}"))
            .send()
            .await
            .expect("create security group");
        let id = out.group_id().expect("group id");
        h.outputs.insert(
            addr(Kind::SecurityGroup, name),
            [("id".to_string(), id.to_string())].into(),
        );
    }
    h.create::<EcsCluster>(
        "main",
        &EcsClusterSpec {
            name: "kindtest-main".into(),
            container_insights: false,
            capacity_providers: vec!["FARGATE".into()],
            tags: Tags::new(),
        },
    )
    .await;
    task_dependencies(h).await;
    h.create::<TaskDefinition>("web", &task_spec("v1")).await;
    vpc.id.to_string()
}

fn output(h: &Harness, kind: Kind, name: &str, key: &str) -> String {
    h.outputs[&addr(kind, name)][key].clone()
}

/// A service as moto can represent it at create time (see the module docs).
fn service_spec() -> EcsServiceSpec {
    EcsServiceSpec {
        name: "kindtest-web".into(),
        cluster: Ref::id(addr(Kind::EcsCluster, "main")),
        task_definition: Ref::id(addr(Kind::TaskDefinition, "web")),
        desired_count: 1,
        subnets: vec![Ref::id(addr(Kind::Subnet, "a"))],
        security_groups: vec![Ref::id(addr(Kind::SecurityGroup, "web"))],
        assign_public_ip: false,
        load_balancer: None,
        health_check_grace_period: None,
        circuit_breaker: false,
        min_healthy_percent: 100,
        max_percent: 200,
        capacity: "FARGATE".into(),
        wait_for_steady_state: true,
        scaled: false,
        execute_command: false,
        deployment_alarms: None,
        tags: Tags::new(),
    }
}

#[tokio::test]
async fn ecs_service_is_created_updated_and_deleted() {
    let mut h = Harness::start().await;
    service_dependencies(&mut h).await;
    let mut spec = service_spec();
    spec.tags = user_tags();
    let (address, created) = h.create::<EcsService>("web", &spec).await;
    let arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/kindtest-main/kindtest-web");
    assert_eq!(created.id.as_str(), arn);
    assert_eq!(created.outputs["arn"], arn);
    assert_eq!(created.outputs["name"], "kindtest-web");
    let live = h.assert_in_sync::<EcsService>(&created.id, &spec).await;
    assert_eq!(live.attrs["capacity"], json!("FARGATE"));
    assert_eq!(live.attrs["load_balancer"], json!(null));
    let mut spec = h
        .retag::<EcsService>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    spec.desired_count = 3;
    h.update::<EcsService>(&address, &created.id, &spec, &["desired_count"])
        .await;
    let live = h.assert_in_sync::<EcsService>(&created.id, &spec).await;
    assert_eq!(live.attrs["desired_count"], json!(3));

    spec.execute_command = true;
    h.update::<EcsService>(&address, &created.id, &spec, &["execute_command"])
        .await;
    let live = h.assert_in_sync::<EcsService>(&created.id, &spec).await;
    assert_eq!(live.attrs["execute_command"], json!(true));

    // A new revision, as the engine would register before pointing the service at it.
    let mut next = task_spec("v2");
    next.family = "kindtest-web".into();
    let (_, revision2) = h.create::<TaskDefinition>("web-v2", &next).await;
    spec.task_definition = Ref::id(addr(Kind::TaskDefinition, "web-v2"));
    h.update::<EcsService>(&address, &created.id, &spec, &["task_definition"])
        .await;
    let live = h.assert_in_sync::<EcsService>(&created.id, &spec).await;
    assert_eq!(live.attrs["task_definition"], json!(revision2.id.as_str()));

    spec.subnets.push(Ref::id(addr(Kind::Subnet, "b")));
    spec.security_groups = vec![Ref::id(addr(Kind::SecurityGroup, "other"))];
    spec.assign_public_ip = true;
    h.update::<EcsService>(
        &address,
        &created.id,
        &spec,
        &["subnets", "security_groups", "assign_public_ip"],
    )
    .await;
    let live = h.assert_in_sync::<EcsService>(&created.id, &spec).await;
    let mut subnets = vec![
        output(&h, Kind::Subnet, "a", "id"),
        output(&h, Kind::Subnet, "b", "id"),
    ];
    subnets.sort();
    assert_eq!(live.attrs["subnets"], json!(subnets));
    assert_eq!(
        live.attrs["security_groups"],
        json!([output(&h, Kind::SecurityGroup, "other", "id")])
    );
    assert_eq!(live.attrs["assign_public_ip"], json!(true));

    spec.circuit_breaker = true;
    spec.min_healthy_percent = 50;
    spec.max_percent = 150;
    h.update::<EcsService>(
        &address,
        &created.id,
        &spec,
        &["circuit_breaker", "min_healthy_percent", "max_percent"],
    )
    .await;
    let live = h.assert_in_sync::<EcsService>(&created.id, &spec).await;
    assert_eq!(live.attrs["circuit_breaker"], json!(true));
    assert_eq!(live.attrs["min_healthy_percent"], json!(50));
    assert_eq!(live.attrs["max_percent"], json!(150));

    h.delete::<EcsService>(&created.id).await;
    // The cluster can go once its service is gone.
    let cluster = CloudId::new(output(&h, Kind::EcsCluster, "main", "id"));
    h.delete::<EcsCluster>(&cluster).await;
}

#[tokio::test]
async fn ecs_service_behind_a_target_group_gets_its_grace_period_updated() {
    let mut h = Harness::start().await;
    let vpc_id = service_dependencies(&mut h).await;
    // The target group through raw ELBv2 calls (its kind lives on another branch);
    // moto does not require it to be attached to a load balancer.
    let out = h
        .aws
        .elb
        .create_target_group()
        .name("kindtest-web")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(8080)
        .vpc_id(&vpc_id)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .send()
        .await
        .expect("create target group");
    let tg = out
        .target_groups()
        .first()
        .and_then(|t| t.target_group_arn())
        .expect("target group arn")
        .to_string();
    h.outputs.insert(
        addr(Kind::TargetGroup, "web"),
        [
            ("id".to_string(), tg.clone()),
            ("arn".to_string(), tg.clone()),
        ]
        .into(),
    );

    let mut spec = service_spec();
    spec.load_balancer = Some(ServiceLoadBalancer {
        target_group: Ref::new(addr(Kind::TargetGroup, "web"), "arn"),
        container_name: "web".into(),
        container_port: 8080,
    });
    let (address, created) = h.create::<EcsService>("web", &spec).await;
    let live = h.assert_in_sync::<EcsService>(&created.id, &spec).await;
    assert_eq!(
        live.attrs["load_balancer"],
        json!({"target_group_arn": tg, "container_name": "web", "container_port": 8080})
    );

    spec.health_check_grace_period = Some(60);
    h.update::<EcsService>(&address, &created.id, &spec, &["health_check_grace_period"])
        .await;
    let live = h.assert_in_sync::<EcsService>(&created.id, &spec).await;
    assert_eq!(live.attrs["health_check_grace_period"], json!(60));

    // Moving to another target group (its replacement) is an update, not a new service.
    assert!(!EcsService::REPLACE_ON.contains(&"load_balancer"));
    let out = h
        .aws
        .elb
        .create_target_group()
        .name("kindtest-web-next")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(8080)
        .vpc_id(vpc_id)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .send()
        .await
        .expect("create target group");
    let next = out.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    h.outputs.insert(
        addr(Kind::TargetGroup, "web-next"),
        [
            ("id".to_string(), next.clone()),
            ("arn".to_string(), next.clone()),
        ]
        .into(),
    );
    spec.load_balancer.as_mut().unwrap().target_group =
        Ref::new(addr(Kind::TargetGroup, "web-next"), "arn");
    h.update::<EcsService>(&address, &created.id, &spec, &["load_balancer"])
        .await;
    let live = h.assert_in_sync::<EcsService>(&created.id, &spec).await;
    assert_eq!(live.attrs["load_balancer"]["target_group_arn"], json!(next));

    h.delete::<EcsService>(&created.id).await;
}

#[tokio::test]
async fn ecs_service_whose_tasks_fail_to_start_fails_its_wait_quickly() {
    // No task ever runs and three have failed: what a broken image looks like.
    let emulator = Emulator::start_with(&[
        ("MOTO_ECS_SERVICE_RUNNING", "0"),
        ("MOTO_ECS_SERVICE_FAILED_TASKS", "3"),
    ]);
    let aws = emulator.aws().await;
    let mut h = Harness {
        _emulator: emulator,
        aws,
        outputs: BTreeMap::new(),
    };
    service_dependencies(&mut h).await;
    let mut spec = service_spec();
    spec.wait_for_steady_state = false;
    let (address, created) = h.create::<EcsService>("web", &spec).await;

    spec.wait_for_steady_state = true;
    let started = Instant::now();
    let err = EcsService::wait_ready(&h.ctx(&address), &created.id, &spec)
        .await
        .expect_err("a rollout whose tasks fail must not succeed");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(text.contains("service kindtest-web"), "{text}");
    assert!(text.contains("3 tasks failed to start"), "{text}");

    h.delete::<EcsService>(&created.id).await;
}

/// A scalable target on a service and a target-tracking policy on it: created, read
/// back in sync, each attribute updated in place, deleted twice (policy first, as
/// destroy orders them).
#[tokio::test]
async fn scalable_target_and_scaling_policy_are_created_updated_and_deleted() {
    use stackctl::resources::scalable_target::{ScalableTarget, ScalableTargetSpec};
    use stackctl::resources::scaling_policy::{ScalingPolicy, ScalingPolicySpec};
    let mut h = Harness::start().await;
    service_dependencies(&mut h).await;
    let (_, service) = h.create::<EcsService>("web", &service_spec()).await;
    let target_spec = ScalableTargetSpec {
        cluster: Ref::new(addr(Kind::EcsCluster, "main"), "name"),
        service: Ref::new(addr(Kind::EcsService, "web"), "name"),
        min: 1,
        max: 4,
    };
    let (target_address, target) = h.create::<ScalableTarget>("web", &target_spec).await;
    assert_eq!(target.id.as_str(), "service/kindtest-main/kindtest-web");
    h.assert_in_sync::<ScalableTarget>(&target.id, &target_spec)
        .await;
    let mut target_spec = target_spec;
    target_spec.min = 2;
    target_spec.max = 8;
    h.update::<ScalableTarget>(&target_address, &target.id, &target_spec, &["min", "max"])
        .await;
    let live = h
        .assert_in_sync::<ScalableTarget>(&target.id, &target_spec)
        .await;
    assert_eq!(
        (live.attrs["min"].clone(), live.attrs["max"].clone()),
        (json!(2), json!(8))
    );

    let policy_spec = ScalingPolicySpec {
        name: "kindtest-web-cpu".into(),
        target: Ref::id(addr(Kind::ScalableTarget, "web")),
        metric: "ECSServiceAverageCPUUtilization".into(),
        target_value: 60.0,
        requests_of: None,
        scale_in_cooldown: 300,
        scale_out_cooldown: 60,
    };
    let (policy_address, policy) = h.create::<ScalingPolicy>("web-cpu", &policy_spec).await;
    assert!(
        policy.id.as_str().ends_with(":policyName/kindtest-web-cpu"),
        "{}",
        policy.id
    );
    h.assert_in_sync::<ScalingPolicy>(&policy.id, &policy_spec)
        .await;
    let mut policy_spec = policy_spec;
    policy_spec.target_value = 45.0;
    policy_spec.scale_in_cooldown = 600;
    policy_spec.scale_out_cooldown = 30;
    let changed = ["target_value", "scale_in_cooldown", "scale_out_cooldown"];
    h.update::<ScalingPolicy>(&policy_address, &policy.id, &policy_spec, &changed)
        .await;
    let live = h
        .assert_in_sync::<ScalingPolicy>(&policy.id, &policy_spec)
        .await;
    assert_eq!(live.attrs["target_value"], json!(45.0));

    h.delete::<ScalingPolicy>(&policy.id).await;
    h.delete::<ScalableTarget>(&target.id).await;
    h.delete::<EcsService>(&service.id).await;
}
