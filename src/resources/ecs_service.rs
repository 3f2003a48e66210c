//! ECS service on Fargate. The id is the service ARN.
//!
//! The id must say which cluster the service is in (every ECS call needs both). The
//! long ARN format `...:service/CLUSTER/NAME`, which ECS issues by default, carries
//! it; for an account still on the short format (`...:service/NAME`) the id is
//! `CLUSTER_ARN|SERVICE_ARN` instead. `locate` reads both.
//!
//! Capacity: "FARGATE" is sent as `launchType: FARGATE`, anything else (FARGATE_SPOT)
//! as a one-provider capacity provider strategy. Plain Fargate as a launch type runs
//! on the same capacity as the FARGATE provider, and it is what the emulator can
//! represent (moto ignores `capacityProviderStrategy` and reports launch type EC2).
//! Moving a service between a launch type and a strategy is not an in-place change
//! ECS documents for Fargate, so `capacity` is a replacement.
//!
//! `wait_ready` is where a broken deploy is caught: a rollout that ECS marks FAILED,
//! a circuit-breaker rollback, or tasks that keep failing to start, end the wait at
//! once with the service's own words (rollout reason, stopped-task reasons, events)
//! instead of after the timeout, and never as success.

use super::ownership::ensure_ours;
use super::tags::{self, Tags};
use super::{
    Created, Ctx, Live, Lookup, Ref, Resource, Wanted, WantedAttrs, known, wanted_ref,
    wanted_sorted_refs,
};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome, wait};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, DeploymentCircuitBreaker,
    DeploymentConfiguration, DeploymentRolloutState, DesiredStatus, LaunchType, LoadBalancer,
    NetworkConfiguration, PropagateTags, Service, ServiceField,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsServiceSpec {
    pub name: String,
    pub cluster: Ref,
    pub task_definition: Ref,
    pub desired_count: i32,
    pub subnets: Vec<Ref>,
    pub security_groups: Vec<Ref>,
    pub assign_public_ip: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<ServiceLoadBalancer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period: Option<i32>,
    /// Deployment circuit breaker with rollback.
    pub circuit_breaker: bool,
    pub min_healthy_percent: i32,
    pub max_percent: i32,
    /// "FARGATE" or "FARGATE_SPOT" (as a capacity provider strategy).
    pub capacity: String,
    /// Wait for the rollout to complete (running = desired, one deployment).
    pub wait_for_steady_state: bool,
    /// User tags (stack.toml `[stack] tags`). Tasks started from now on carry them
    /// too (tags propagate from the service); running tasks keep theirs.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceLoadBalancer {
    pub target_group: Ref,
    pub container_name: String,
    pub container_port: i32,
}

pub struct EcsService;

/// What `wait_ready` reports errors as.
const ROLLOUT: &str = "ECS deployment";

/// How long a rollout may take on real AWS (image pulls, health checks, draining).
const ROLLOUT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Tasks have failed and no new task reached RUNNING for this long: the rollout is
/// stuck (ECS without a circuit breaker retries forever).
const STALL: Duration = Duration::from_secs(5 * 60);

impl Resource for EcsService {
    const KIND: Kind = Kind::EcsService;
    /// The target group is not here: UpdateService moves a rolling-update service to a
    /// new target group, so a target group replacement never stops the service.
    const REPLACE_ON: &'static [&'static str] = &["name", "cluster", "capacity"];
    const REPLACE_WARNING: Option<&'static str> = Some(
        "a service's name, cluster and capacity are fixed at creation: the old service's \
         tasks stop while the new service starts its own",
    );
    /// Rolling onto a new revision is a deploy when the revision only changes the image.
    const DEPLOY_ATTRS: &'static [&'static str] = &["task_definition"];
    type Spec = EcsServiceSpec;

    fn wanted(spec: &EcsServiceSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let load_balancer = match &spec.load_balancer {
            None => known(Value::Null),
            Some(lb) => match lookup.output(&lb.target_group) {
                Some(tg) => known(lb_value(
                    Some(&tg),
                    Some(&lb.container_name),
                    Some(lb.container_port),
                )),
                None => Wanted::Unknown,
            },
        };
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            ("cluster".into(), wanted_ref(lookup, &spec.cluster)),
            (
                "task_definition".into(),
                wanted_ref(lookup, &spec.task_definition),
            ),
            ("desired_count".into(), known(spec.desired_count)),
            ("subnets".into(), wanted_sorted_refs(lookup, &spec.subnets)),
            (
                "security_groups".into(),
                wanted_sorted_refs(lookup, &spec.security_groups),
            ),
            ("assign_public_ip".into(), known(spec.assign_public_ip)),
            ("load_balancer".into(), load_balancer),
            (
                "health_check_grace_period".into(),
                known(spec.health_check_grace_period.unwrap_or(0)),
            ),
            ("circuit_breaker".into(), known(spec.circuit_breaker)),
            (
                "min_healthy_percent".into(),
                known(spec.min_healthy_percent),
            ),
            ("max_percent".into(), known(spec.max_percent)),
            ("capacity".into(), known(spec.capacity.clone())),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let Some(svc) = describe(aws, id).await? else {
            return Ok(None);
        };
        let name = svc
            .service_name()
            .ok_or_else(|| AwsError::invalid("DescribeServices", "no service name"))?;
        let arn = svc
            .service_arn()
            .ok_or_else(|| AwsError::invalid("DescribeServices", "no service ARN"))?;
        let vpc = svc
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration());
        let sorted = |items: &[String]| {
            let mut v = items.to_vec();
            v.sort();
            v
        };
        let subnets = vpc.map(|v| sorted(v.subnets())).unwrap_or_default();
        let groups = vpc.map(|v| sorted(v.security_groups())).unwrap_or_default();
        let public_ip = vpc
            .and_then(|v| v.assign_public_ip())
            .is_some_and(|a| *a == AssignPublicIp::Enabled);
        let load_balancer = match svc.load_balancers() {
            [] => Value::Null,
            [lb] => lb_value(
                lb.target_group_arn(),
                lb.container_name(),
                lb.container_port(),
            ),
            many => Value::from(
                many.iter()
                    .map(|lb| {
                        lb_value(
                            lb.target_group_arn(),
                            lb.container_name(),
                            lb.container_port(),
                        )
                    })
                    .collect::<Vec<_>>(),
            ),
        };
        // ECS's defaults where the answer has no deployment configuration.
        let dc = svc.deployment_configuration();
        let breaker = dc
            .and_then(|d| d.deployment_circuit_breaker())
            .map(|b| (b.enable(), b.rollback()))
            .unwrap_or((false, false));
        let circuit_breaker = match breaker {
            (enable, rollback) if enable == rollback => Value::from(enable),
            (enable, rollback) => json!({ "enable": enable, "rollback": rollback }),
        };
        let capacity = match svc.capacity_provider_strategy().first() {
            Some(item) => Value::from(item.capacity_provider()),
            None => svc
                .launch_type()
                .map(|l| Value::from(l.as_str()))
                .unwrap_or(Value::Null),
        };
        Ok(Some(Live {
            attrs: [
                ("name".into(), name.into()),
                ("cluster".into(), svc.cluster_arn().into()),
                ("task_definition".into(), svc.task_definition().into()),
                ("desired_count".into(), svc.desired_count().into()),
                ("subnets".into(), subnets.into()),
                ("security_groups".into(), groups.into()),
                ("assign_public_ip".into(), public_ip.into()),
                ("load_balancer".into(), load_balancer),
                (
                    "health_check_grace_period".into(),
                    svc.health_check_grace_period_seconds().unwrap_or(0).into(),
                ),
                ("circuit_breaker".into(), circuit_breaker),
                (
                    "min_healthy_percent".into(),
                    dc.and_then(|d| d.minimum_healthy_percent())
                        .unwrap_or(100)
                        .into(),
                ),
                (
                    "max_percent".into(),
                    dc.and_then(|d| d.maximum_percent()).unwrap_or(200).into(),
                ),
                ("capacity".into(), capacity),
                (
                    tags::ATTR.into(),
                    tags::live_value(tags::ecs_pairs(svc.tags())),
                ),
            ]
            .into(),
            outputs: outputs(id, name, arn),
        }))
    }

    /// By name in the cluster, ACTIVE only (a DRAINING service is on its way out),
    /// then its tags.
    async fn find(ctx: &Ctx<'_>, spec: &EcsServiceSpec) -> Result<Option<CloudId>, AwsError> {
        let Some(cluster) = ctx.known(&spec.cluster) else {
            return Ok(None);
        };
        let out = ctx
            .aws
            .ecs
            .describe_services()
            .cluster(&cluster)
            .services(&spec.name)
            .include(ServiceField::Tags)
            .send()
            .await
            .op("DescribeServices")
            .found()?;
        let Some(svc) = out
            .as_ref()
            .and_then(|o| o.services().iter().find(|s| s.status() == Some("ACTIVE")))
        else {
            return Ok(None);
        };
        let arn = svc
            .service_arn()
            .ok_or_else(|| AwsError::invalid("DescribeServices", "no service ARN"))?;
        ensure_ours(ctx, "ECS service", arn, tags::ecs_pairs(svc.tags()))?;
        let id = if service_arn_has_cluster(arn) {
            CloudId::new(arn)
        } else {
            let cluster_arn = svc.cluster_arn().unwrap_or(&cluster);
            CloudId::new(format!("{cluster_arn}|{arn}"))
        };
        Ok(Some(id))
    }

    async fn create(ctx: &Ctx<'_>, spec: &EcsServiceSpec) -> Result<Created, AwsError> {
        const OP: &str = "CreateService";
        let cluster = ctx.resolve(&spec.cluster)?;
        let task_definition = ctx.resolve(&spec.task_definition)?;
        let load_balancers = load_balancers(ctx, spec)?;
        let (launch_type, strategy) = if spec.capacity == "FARGATE" {
            (Some(LaunchType::Fargate), None)
        } else {
            let item = CapacityProviderStrategyItem::builder()
                .capacity_provider(&spec.capacity)
                .weight(1)
                .build()
                .map_err(|e| AwsError::invalid(OP, e.to_string()))?;
            (None, Some(vec![item]))
        };
        let out = ctx
            .aws
            .ecs
            .create_service()
            .cluster(&cluster)
            .service_name(&spec.name)
            .task_definition(task_definition)
            .desired_count(spec.desired_count)
            .set_launch_type(launch_type)
            .set_capacity_provider_strategy(strategy)
            .network_configuration(network(ctx, spec)?)
            .set_load_balancers(Some(load_balancers))
            .set_health_check_grace_period_seconds(spec.health_check_grace_period)
            .deployment_configuration(deployment(spec))
            .client_token(ctx.token())
            .propagate_tags(PropagateTags::Service)
            .enable_ecs_managed_tags(true)
            .set_tags(Some(tags::ecs_tags(&ctx.tags(&spec.tags))))
            .customize()
            .config_override(unknown_outcome::ecs())
            .send()
            .await
            .op(OP)?;
        let svc = out
            .service()
            .ok_or_else(|| AwsError::invalid(OP, "no service in the answer"))?;
        let arn = svc
            .service_arn()
            .ok_or_else(|| AwsError::invalid(OP, "no service ARN in the answer"))?;
        let id = if service_arn_has_cluster(arn) {
            CloudId::new(arn)
        } else {
            let cluster_arn = svc.cluster_arn().unwrap_or(&cluster);
            CloudId::new(format!("{cluster_arn}|{arn}"))
        };
        // The answer is the service as stored. Where a deployment setting did not
        // take (the emulator drops them on create), set it now, so apply never leaves
        // a difference for the next plan to find.
        if !deployment_settings_stored(svc, spec) {
            let (cluster, service) = locate(&id)?;
            ctx.aws
                .ecs
                .update_service()
                .cluster(cluster)
                .service(service)
                .health_check_grace_period_seconds(spec.health_check_grace_period.unwrap_or(0))
                .deployment_configuration(deployment(spec))
                .send()
                .await
                .op("UpdateService")?;
        }
        Ok(Created {
            outputs: outputs(&id, &spec.name, arn),
            id,
        })
    }

    async fn wait_ready(aws: &Aws, id: &CloudId, spec: &EcsServiceSpec) -> Result<(), AwsError> {
        if !spec.wait_for_steady_state {
            return Ok(());
        }
        let (cluster, service) = locate(id)?;
        let watch = Mutex::new(Watch::new(Instant::now()));
        let policy = wait::WaitPolicy {
            timeout: ROLLOUT_TIMEOUT,
            ..wait::WaitPolicy::minutes(15)
        };
        wait::until(ROLLOUT, policy, || async {
            let svc = describe(aws, id).await?.ok_or_else(|| {
                AwsError::not_found(
                    ROLLOUT,
                    format!("service {service} disappeared during its rollout"),
                )
            })?;
            let verdict = match watch.lock() {
                Ok(mut w) => w.assess(&svc, Instant::now()),
                Err(_) => return Err(AwsError::invalid(ROLLOUT, "rollout watch poisoned")),
            };
            match verdict {
                Verdict::Ready => Ok(wait::Poll::Ready(())),
                Verdict::Pending(seen) => Ok(wait::Poll::Pending(seen)),
                Verdict::Failed(why) => {
                    let stopped = stopped_task_reasons(aws, &cluster, &svc).await;
                    Err(AwsError::invalid(
                        ROLLOUT,
                        failure_message(&svc, &why, &stopped),
                    ))
                }
            }
        })
        .await
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &EcsServiceSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        let is = |names: &[&str]| changed.iter().any(|c| names.contains(&c.as_str()));
        let (cluster, service) = locate(id)?;
        if is(&[tags::ATTR]) {
            let svc = describe(ctx.aws, id)
                .await?
                .ok_or_else(|| AwsError::not_found("DescribeServices", id.to_string()))?;
            // The service's own ARN; `service` is one in both id forms.
            tags::sync_ecs(ctx.aws, &service, &spec.tags, svc.tags()).await?;
        }
        // A tags-only change makes no UpdateService call: there is nothing for it to do.
        if changed.iter().all(|c| c == tags::ATTR) {
            return Ok(());
        }
        let mut call = ctx
            .aws
            .ecs
            .update_service()
            .cluster(cluster)
            .service(service);
        if is(&["task_definition"]) {
            call = call.task_definition(ctx.resolve(&spec.task_definition)?);
        }
        if is(&["desired_count"]) {
            call = call.desired_count(spec.desired_count);
        }
        if is(&["subnets", "security_groups", "assign_public_ip"]) {
            call = call.network_configuration(network(ctx, spec)?);
        }
        if is(&["load_balancer"]) {
            call = call.set_load_balancers(Some(load_balancers(ctx, spec)?));
        }
        if is(&["health_check_grace_period"]) {
            call =
                call.health_check_grace_period_seconds(spec.health_check_grace_period.unwrap_or(0));
        }
        if is(&["circuit_breaker", "min_healthy_percent", "max_percent"]) {
            call = call.deployment_configuration(deployment(spec));
        }
        call.send().await.op("UpdateService")?;
        Ok(())
    }

    /// Scales to zero first (ECS refuses to delete a service above zero without
    /// force, and stopping tasks is what releases their network interfaces), then
    /// waits until the service is INACTIVE, so that its target group, subnets and
    /// security groups can go next.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let (cluster, service) = locate(id)?;
        let Some(svc) = describe(aws, id).await? else {
            return Ok(());
        };
        if svc.status() == Some("ACTIVE") {
            if svc.desired_count() > 0 {
                aws.ecs
                    .update_service()
                    .cluster(&cluster)
                    .service(&service)
                    .desired_count(0)
                    .send()
                    .await
                    .op("UpdateService")
                    .found()?;
            }
            aws.ecs
                .delete_service()
                .cluster(&cluster)
                .service(&service)
                .force(true)
                .send()
                .await
                .op("DeleteService")
                .found()?;
        }
        wait::until("DeleteService", wait::WaitPolicy::minutes(15), || async {
            Ok(match describe(aws, id).await? {
                None => wait::Poll::Ready(()),
                Some(s) => wait::Poll::Pending(format!(
                    "status {}, {} tasks running",
                    s.status().unwrap_or("?"),
                    s.running_count()
                )),
            })
        })
        .await
    }
}

fn load_balancers(ctx: &Ctx<'_>, spec: &EcsServiceSpec) -> Result<Vec<LoadBalancer>, AwsError> {
    Ok(match &spec.load_balancer {
        Some(lb) => vec![
            LoadBalancer::builder()
                .target_group_arn(ctx.resolve(&lb.target_group)?)
                .container_name(&lb.container_name)
                .container_port(lb.container_port)
                .build(),
        ],
        None => Vec::new(),
    })
}

fn deployment_settings_stored(svc: &Service, spec: &EcsServiceSpec) -> bool {
    let dc = svc.deployment_configuration();
    let breaker = dc
        .and_then(|d| d.deployment_circuit_breaker())
        .map(|b| b.enable() && b.rollback())
        .unwrap_or(false);
    svc.health_check_grace_period_seconds().unwrap_or(0)
        == spec.health_check_grace_period.unwrap_or(0)
        && breaker == spec.circuit_breaker
        && dc.and_then(|d| d.minimum_healthy_percent()).unwrap_or(100) == spec.min_healthy_percent
        && dc.and_then(|d| d.maximum_percent()).unwrap_or(200) == spec.max_percent
}

fn outputs(id: &CloudId, name: &str, arn: &str) -> super::Outputs {
    [
        ("id".into(), id.to_string()),
        ("name".into(), name.to_string()),
        ("arn".into(), arn.to_string()),
    ]
    .into()
}

fn lb_value(target_group: Option<&str>, container: Option<&str>, port: Option<i32>) -> Value {
    json!({
        "target_group_arn": target_group,
        "container_name": container,
        "container_port": port,
    })
}

/// True for the long ARN format `...:service/CLUSTER/NAME`.
fn service_arn_has_cluster(arn: &str) -> bool {
    arn.split_once(":service/")
        .is_some_and(|(_, path)| path.contains('/'))
}

/// (cluster, service) for ECS calls, from either id form (see the module docs).
fn locate(id: &CloudId) -> Result<(String, String), AwsError> {
    if let Some((cluster, service)) = id.as_str().split_once('|') {
        return Ok((cluster.to_string(), service.to_string()));
    }
    match id
        .as_str()
        .split_once(":service/")
        .map(|(_, p)| p.split_once('/'))
    {
        Some(Some((cluster, _))) => Ok((cluster.to_string(), id.to_string())),
        _ => Err(AwsError::invalid(
            "locate service",
            format!(
                "`{id}` names no cluster: expected ...:service/CLUSTER/NAME or CLUSTER_ARN|SERVICE_ARN"
            ),
        )),
    }
}

/// The service with its tags, or None when it (or its cluster) is missing or INACTIVE.
async fn describe(aws: &Aws, id: &CloudId) -> Result<Option<Service>, AwsError> {
    let (cluster, service) = locate(id)?;
    let out = aws
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(ServiceField::Tags)
        .send()
        .await
        .op("DescribeServices")
        .found()?;
    Ok(out
        .as_ref()
        .and_then(|o| o.services().first())
        .filter(|s| s.status() != Some("INACTIVE"))
        .cloned())
}

fn network(ctx: &Ctx<'_>, spec: &EcsServiceSpec) -> Result<NetworkConfiguration, AwsError> {
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(ctx.resolve_all(&spec.subnets)?))
        .set_security_groups(Some(ctx.resolve_all(&spec.security_groups)?))
        .assign_public_ip(if spec.assign_public_ip {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .map_err(|e| AwsError::invalid("CreateService", e.to_string()))?;
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build())
}

fn deployment(spec: &EcsServiceSpec) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .minimum_healthy_percent(spec.min_healthy_percent)
        .maximum_percent(spec.max_percent)
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(spec.circuit_breaker)
                .rollback(spec.circuit_breaker)
                .build(),
        )
        .build()
}

enum Verdict {
    Ready,
    Pending(String),
    Failed(String),
}

/// What `wait_ready` remembers between polls.
struct Watch {
    /// The PRIMARY deployment (id, task definition) when the wait began.
    first_primary: Option<(String, String)>,
    /// Most tasks of the primary deployment seen RUNNING, and when that grew.
    best_running: i32,
    last_progress: Instant,
}

impl Watch {
    fn new(now: Instant) -> Self {
        Watch {
            first_primary: None,
            best_running: 0,
            last_progress: now,
        }
    }

    /// Pure: decides from one DescribeServices answer.
    fn assess(&mut self, svc: &Service, now: Instant) -> Verdict {
        let deployments = svc.deployments();
        if let Some(failed) = deployments
            .iter()
            .find(|d| d.rollout_state() == Some(&DeploymentRolloutState::Failed))
        {
            return Verdict::Failed(format!(
                "deployment {} failed: {}",
                failed.id().unwrap_or("?"),
                failed.rollout_state_reason().unwrap_or("no reason given")
            ));
        }
        let Some(primary) = deployments.iter().find(|d| d.status() == Some("PRIMARY")) else {
            return Verdict::Pending("no primary deployment yet".into());
        };
        let id = primary.id().unwrap_or_default().to_string();
        let task_def = primary.task_definition().unwrap_or_default().to_string();
        let reason = primary.rollout_state_reason().unwrap_or_default();
        let lower = reason.to_ascii_lowercase();
        if lower.contains("rolling back") || lower.contains("rolled back") {
            return Verdict::Failed(format!(
                "the circuit breaker rolled the deployment back: {reason}"
            ));
        }
        match &self.first_primary {
            None => self.first_primary = Some((id.clone(), task_def.clone())),
            Some((first_id, first_td)) if *first_id != id && *first_td != task_def => {
                return Verdict::Failed(format!(
                    "deployment {first_id} ({first_td}) was replaced by deployment {id} \
                     running {task_def}: rolled back or superseded"
                ));
            }
            Some(_) => {}
        }
        let failed = primary.failed_tasks();
        let running = primary.running_count();
        if running > self.best_running {
            self.best_running = running;
            self.last_progress = now;
        }
        // The threshold ECS's circuit breaker uses: half the desired count, 3..=200.
        let threshold = ((primary.desired_count() + 1) / 2).clamp(3, 200);
        if failed >= threshold && running == 0 {
            return Verdict::Failed(format!(
                "{failed} tasks failed to start and none is running"
            ));
        }
        if failed > 0 && now.duration_since(self.last_progress) >= STALL {
            return Verdict::Failed(format!(
                "{failed} tasks failed and no further task reached RUNNING for {} minutes",
                STALL.as_secs() / 60
            ));
        }
        let state = primary.rollout_state().map(|s| s.as_str());
        let settled = matches!(state, Some("COMPLETED") | None)
            && deployments.len() == 1
            && svc.running_count() >= svc.desired_count();
        if settled {
            return Verdict::Ready;
        }
        Verdict::Pending(format!(
            "rollout {}: {}/{} running, {} pending, {} failed, {} deployments",
            state.unwrap_or("?"),
            svc.running_count(),
            svc.desired_count(),
            svc.pending_count(),
            failed,
            deployments.len()
        ))
    }
}

/// Why the service's recently stopped tasks stopped (best effort: an error here
/// must not hide the rollout failure itself).
async fn stopped_task_reasons(aws: &Aws, cluster: &str, svc: &Service) -> Vec<String> {
    let Some(name) = svc.service_name() else {
        return Vec::new();
    };
    let Ok(listed) = aws
        .ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(name)
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await
    else {
        return Vec::new();
    };
    let arns: Vec<String> = listed.task_arns().iter().take(10).cloned().collect();
    if arns.is_empty() {
        return Vec::new();
    }
    let Ok(described) = aws
        .ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
    else {
        return Vec::new();
    };
    let mut reasons = Vec::new();
    for task in described.tasks() {
        let mut text = task
            .stopped_reason()
            .unwrap_or("no reason given")
            .to_string();
        for c in task.containers() {
            if let Some(r) = c.reason() {
                text.push_str(&format!(" (container {}: {r})", c.name().unwrap_or("?")));
            }
        }
        if !reasons.contains(&text) {
            reasons.push(text);
        }
    }
    reasons
}

fn failure_message(svc: &Service, why: &str, stopped: &[String]) -> String {
    let mut text = format!("service {}: {why}", svc.service_name().unwrap_or("?"));
    if !stopped.is_empty() {
        text.push_str(&format!("; stopped tasks: {}", stopped.join("; ")));
    }
    let events: Vec<&str> = svc
        .events()
        .iter()
        .take(5)
        .filter_map(|e| e.message())
        .collect();
    if !events.is_empty() {
        text.push_str(&format!("; recent events: {}", events.join(" | ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::Deployment;

    fn deployment(
        id: &str,
        status: &str,
        state: DeploymentRolloutState,
        reason: &str,
    ) -> Deployment {
        Deployment::builder()
            .id(id)
            .status(status)
            .task_definition(format!("arn:td/{id}"))
            .desired_count(2)
            .running_count(2)
            .rollout_state(state)
            .rollout_state_reason(reason)
            .build()
    }

    fn service(deployments: Vec<Deployment>, running: i32) -> Service {
        Service::builder()
            .service_name("web")
            .desired_count(2)
            .running_count(running)
            .set_deployments(Some(deployments))
            .build()
    }

    #[test]
    fn a_completed_single_deployment_is_ready() {
        let now = Instant::now();
        let svc = service(
            vec![deployment(
                "a",
                "PRIMARY",
                DeploymentRolloutState::Completed,
                "done",
            )],
            2,
        );
        assert!(matches!(Watch::new(now).assess(&svc, now), Verdict::Ready));
    }

    #[test]
    fn a_failed_deployment_fails_even_while_rolling_back() {
        let now = Instant::now();
        let svc = service(
            vec![
                deployment(
                    "b",
                    "PRIMARY",
                    DeploymentRolloutState::InProgress,
                    "ECS deployment b in progress.",
                ),
                deployment(
                    "a",
                    "ACTIVE",
                    DeploymentRolloutState::Failed,
                    "ECS deployment circuit breaker: tasks failed to start.",
                ),
            ],
            0,
        );
        let Verdict::Failed(why) = Watch::new(now).assess(&svc, now) else {
            panic!("not failed")
        };
        assert!(why.contains("tasks failed to start"), "{why}");
    }

    #[test]
    fn a_rollback_completed_is_not_success() {
        let now = Instant::now();
        let mut watch = Watch::new(now);
        let before = service(
            vec![deployment(
                "new",
                "PRIMARY",
                DeploymentRolloutState::InProgress,
                "in progress",
            )],
            1,
        );
        assert!(matches!(watch.assess(&before, now), Verdict::Pending(_)));
        let after = service(
            vec![deployment(
                "old",
                "PRIMARY",
                DeploymentRolloutState::Completed,
                "completed",
            )],
            2,
        );
        assert!(matches!(watch.assess(&after, now), Verdict::Failed(_)));
    }

    #[test]
    fn failing_tasks_without_progress_fail_after_the_stall_window() {
        let start = Instant::now();
        let mut watch = Watch::new(start);
        let d = Deployment::builder()
            .id("a")
            .status("PRIMARY")
            .task_definition("td")
            .desired_count(10)
            .running_count(4)
            .failed_tasks(1)
            .rollout_state(DeploymentRolloutState::InProgress)
            .build();
        let svc = service(vec![d], 4);
        assert!(matches!(watch.assess(&svc, start), Verdict::Pending(_)));
        assert!(matches!(
            watch.assess(&svc, start + STALL),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn ids_locate_cluster_and_service_in_both_forms() {
        let long = CloudId::new("arn:aws:ecs:eu-west-2:1:service/main/web");
        assert_eq!(locate(&long).unwrap().0, "main");
        let composite = CloudId::new(
            "arn:aws:ecs:eu-west-2:1:cluster/main|arn:aws:ecs:eu-west-2:1:service/web",
        );
        assert_eq!(
            locate(&composite).unwrap(),
            (
                "arn:aws:ecs:eu-west-2:1:cluster/main".to_string(),
                "arn:aws:ecs:eu-west-2:1:service/web".to_string()
            )
        );
        assert!(locate(&CloudId::new("arn:aws:ecs:eu-west-2:1:service/web")).is_err());
        assert!(service_arn_has_cluster(
            "arn:aws:ecs:eu-west-2:1:service/main/web"
        ));
        assert!(!service_arn_has_cluster(
            "arn:aws:ecs:eu-west-2:1:service/web"
        ));
    }
}
