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
//! a circuit-breaker rollback, tasks that keep failing to start, or targets that
//! never pass the load balancer's health checks end the wait early with the service's
//! own words (rollout reason, stopped-task reasons, their last log lines, target
//! health, events) instead of after the timeout, and never as success. How a rollout
//! is judged and reported is `ecs_rollout`.

use super::ecs_rollout::{self, Verdict, Watch};
use super::facts::{self, Action, Facts, Item, Prices, Record, Specs};
use super::ownership::ensure_ours;
use super::scalable_target::ScalableTarget;
use super::tags::{self, Tags};
use super::task_definition::TaskDefinition;
use super::{
    Created, Ctx, Live, Lookup, Ref, Resource, Wanted, WantedAttrs, batch, known, wanted_ref,
    wanted_sorted_refs,
};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome, wait};
use crate::plan::cost;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, DeploymentAlarms,
    DeploymentCircuitBreaker, DeploymentConfiguration, LaunchType, LoadBalancer,
    NetworkConfiguration, PropagateTags, Service, ServiceField,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
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
    /// Application Auto Scaling owns the desired count (a `scalable_target` of this
    /// service): `desired_count` is the count it starts at, never set again, and a
    /// count the autoscaler moved is not a difference (terraform-provider-aws #335:
    /// an infrastructure apply must not undo a scale-out).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scaled: bool,
    /// ECS Exec (`exec = true`): ECS gives it to tasks started from then on, so a
    /// change rolls the tasks (`update` forces a new deployment).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub execute_command: bool,
    /// CloudWatch alarms ECS watches during a deployment (`[alarms]`): one in ALARM
    /// fails the deployment, and with `rollback` ECS goes back to the last one that
    /// completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_alarms: Option<DeploymentAlarmsSpec>,
    /// User tags (stack.toml `[stack] tags`). Tasks started from now on carry them
    /// too (tags propagate from the service); running tasks keep theirs.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentAlarmsSpec {
    /// The alarms (their ids are their names).
    pub alarms: Vec<Ref>,
    pub rollback: bool,
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

impl Facts for EcsService {
    const SERVICE: crate::aws::Service = crate::aws::Service::Ecs;
    const IMPORT_ID: &'static str = "its service ARN (arn:...:service/CLUSTER/NAME)";

    fn usual_minutes(action: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        match action {
            Action::Create | Action::Update | Action::Replace => Some((1, 3)),
            // Draining: the target group's deregistration delay, then the tasks stop.
            Action::Delete => Some((1, 5)),
            _ => None,
        }
    }

    /// Its tasks, sized by its task definition; Fargate Spot at about 30% of the price.
    fn cost(address: &Address, spec: &Self::Spec, specs: &Specs<'_>, p: &Prices) -> Option<Item> {
        let td = specs.get::<TaskDefinition>(&spec.task_definition.to)?;
        let number = |s: &str| s.parse::<f64>().unwrap_or(0.0);
        let (vcpu, gb) = (number(&td.cpu) / 1024.0, number(&td.memory) / 1024.0);
        let arm = td.cpu_architecture == "ARM64";
        let (per_vcpu, per_gb) = if arm {
            (p.fargate_vcpu_arm, p.fargate_gb_arm)
        } else {
            (p.fargate_vcpu_x86, p.fargate_gb_x86)
        };
        let spot = spec.capacity == "FARGATE_SPOT";
        let share = if spot { cost::SPOT_SHARE } else { 1.0 };
        let per_task = facts::month((vcpu * per_vcpu + gb * per_gb) * share);
        // A scaled service runs from its target's min to its max tasks.
        let target = specs
            .all::<ScalableTarget>()
            .find(|(_, t)| t.service.to == *address)
            .map(|(_, t)| t);
        let (tasks, up_to) = match &target {
            Some(t) => (
                format!("{}-{}", t.min, t.max),
                Some(per_task * f64::from(t.max)),
            ),
            None => (spec.desired_count.to_string(), None),
        };
        let count = target.as_ref().map_or(spec.desired_count, |t| t.min);
        Some(Item {
            what: format!(
                "{address}: {tasks} × {vcpu} vCPU / {gb} GB Fargate{}{}",
                if arm { " ARM" } else { "" },
                if spot { " Spot" } else { "" }
            ),
            monthly: per_task * f64::from(count),
            up_to,
        })
    }

    fn stack_outputs(address: &Address, record: &Record) -> Vec<(String, String)> {
        let name = record.outputs.get("name").cloned();
        name.map(|name| (format!("service_{}", address.name()), name))
            .into_iter()
            .collect()
    }
}

impl Resource for EcsService {
    const KIND: Kind = Kind::EcsService;
    /// The target group is not here: UpdateService moves a rolling-update service to a
    /// new target group, so a target group replacement never stops the service.
    const REPLACE_ON: &'static [&'static str] = &["name", "cluster", "capacity"];
    /// ECS checks a service's target group against its listener or rule, and its
    /// roles, with a view that lags a moment behind ELBv2 and IAM: right after the rule
    /// is made the target group "does not have an associated load balancer", and on a
    /// new account the service-linked role cannot be assumed yet
    /// (terraform-provider-aws `retryServiceCreate`, and the same for UpdateService).
    const TRANSIENT: &'static [Transient] = &[
        Transient::says(
            "CreateService",
            "InvalidParameterException",
            "does not have an associated load balancer",
        ),
        Transient::says(
            "CreateService",
            "InvalidParameterException",
            "verify that the ECS service role being passed has the proper permissions",
        ),
        Transient::says(
            "CreateService",
            "InvalidParameterException",
            "Unable to assume the service linked role",
        ),
        Transient::code("CreateService", "ClusterNotFoundException"),
        Transient::says(
            "UpdateService",
            "InvalidParameterException",
            "does not have an associated load balancer",
        ),
        Transient::says(
            "UpdateService",
            "InvalidParameterException",
            "verify that the ECS service role being passed has the proper permissions",
        ),
    ];
    /// Nothing in the stack depends on a service; the apply ends when its rollout
    /// has (`wait_for_steady_state`).
    const WAITS: bool = true;
    /// A move to a new target group is staged (see `forward`): the tasks register in
    /// both groups until the listener forwards to the new one alone.
    const STAGED: &'static [&'static str] = &["load_balancer"];
    /// `find`: services are listed per cluster.
    const FIND_NEEDS: &'static [Kind] = &[Kind::EcsCluster];
    const REPLACE_WARNING: Option<&'static str> = Some(
        "a service's name, cluster and capacity are fixed at creation: the old service's \
         tasks stop while the new service starts its own",
    );
    const UPDATE_WARNINGS: &'static [(&'static str, &'static str)] = &[(
        "execute_command",
        "ECS gives ECS Exec to tasks started from now on only: the service's running \
         tasks are replaced (a rolling deployment)",
    )];
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
        let mut wanted = WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            ("cluster".into(), wanted_ref(lookup, &spec.cluster)),
            (
                "task_definition".into(),
                wanted_ref(lookup, &spec.task_definition),
            ),
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
            ("execute_command".into(), known(spec.execute_command)),
            (
                "min_healthy_percent".into(),
                known(spec.min_healthy_percent),
            ),
            ("max_percent".into(), known(spec.max_percent)),
            ("capacity".into(), known(spec.capacity.clone())),
            ("deployment_alarms".into(), wanted_alarms(spec, lookup)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ]);
        if !spec.scaled {
            wanted.insert("desired_count".into(), known(spec.desired_count));
        }
        wanted
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    /// DescribeServices takes up to 10 services of one cluster.
    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        let mut by_cluster: BTreeMap<String, Vec<(CloudId, String)>> = BTreeMap::new();
        for id in ids {
            let (cluster, service) = locate(id)?;
            by_cluster
                .entry(cluster)
                .or_default()
                .push((id.clone(), service));
        }
        let calls = by_cluster.iter().flat_map(|(cluster, services)| {
            services
                .chunks(10)
                .map(move |chunk| describe_chunk(aws, cluster, chunk))
        });
        let found = futures::future::try_join_all(calls).await?;
        Ok(batch::in_order(ids, found.into_iter().flatten()))
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
        let alarms = alarm_names(ctx, spec)?;
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
            .deployment_configuration(deployment(spec, alarms.as_deref()))
            .client_token(ctx.token())
            .propagate_tags(PropagateTags::Service)
            .enable_ecs_managed_tags(true)
            .enable_execute_command(spec.execute_command)
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
        if !deployment_settings_stored(svc, spec, alarms.as_deref().unwrap_or_default()) {
            let (cluster, service) = locate(&id)?;
            ctx.aws
                .ecs
                .update_service()
                .cluster(cluster)
                .service(service)
                .health_check_grace_period_seconds(spec.health_check_grace_period.unwrap_or(0))
                .deployment_configuration(deployment(spec, alarms.as_deref()))
                .send()
                .await
                .op("UpdateService")?;
        }
        Ok(Created {
            outputs: outputs(&id, &spec.name, arn),
            id,
        })
    }

    /// Each poll asks for the service and for the health of its targets at once: the
    /// target group is the spec's (resolved from `ctx`), which is the one the service
    /// is being moved to when an update changed it.
    async fn wait_ready(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &EcsServiceSpec,
    ) -> Result<(), AwsError> {
        if !spec.wait_for_steady_state {
            return Ok(());
        }
        let aws = ctx.aws;
        let target_groups: Vec<String> = match &spec.load_balancer {
            Some(lb) => vec![ctx.resolve(&lb.target_group)?],
            None => Vec::new(),
        };
        let (cluster, service) = locate(id)?;
        let alarms = alarm_names(ctx, spec)?.unwrap_or_default();
        let grace = Duration::from_secs(spec.health_check_grace_period.unwrap_or(0).max(0) as u64);
        let watch = Mutex::new(Watch::new(Instant::now(), grace));
        let policy = wait::WaitPolicy {
            timeout: ROLLOUT_TIMEOUT,
            ..wait::WaitPolicy::minutes(15)
        };
        wait::until(ROLLOUT, policy, || async {
            let (svc, targets) = tokio::join!(
                describe(aws, id),
                ecs_rollout::target_states(aws, &target_groups)
            );
            let svc = svc?.ok_or_else(|| {
                AwsError::not_found(
                    ROLLOUT,
                    format!("service {service} disappeared during its rollout"),
                )
            })?;
            let targets = targets?;
            let verdict = match watch.lock() {
                Ok(mut w) => w.assess(&svc, &targets, Instant::now()),
                Err(_) => return Err(AwsError::invalid(ROLLOUT, "rollout watch poisoned")),
            };
            match verdict {
                Verdict::Ready => Ok(wait::Poll::Ready(())),
                Verdict::Pending(seen) => Ok(wait::Poll::Pending(seen)),
                Verdict::Failed(why) => {
                    let (stopped, fired) = tokio::join!(
                        ecs_rollout::stopped_tasks(aws, &cluster, &svc),
                        ecs_rollout::fired_alarms(aws, &alarms)
                    );
                    Err(AwsError::invalid(
                        ROLLOUT,
                        ecs_rollout::failure_message(&svc, &why, &stopped, &targets, &fired),
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
            let live = describe(ctx.aws, id).await?;
            let live = live
                .as_ref()
                .map(|s| s.load_balancers())
                .unwrap_or_default();
            let wanted = load_balancers(ctx, spec)?;
            if let Some(staged) = staged_load_balancers(live, wanted) {
                call = call.set_load_balancers(Some(staged));
            }
        }
        if is(&["execute_command"]) {
            // Running tasks keep what they started with (copilot-cli #3380): only
            // replaced tasks get the SSM agent's channel, so they are replaced now.
            call = call
                .enable_execute_command(spec.execute_command)
                .force_new_deployment(true);
        }
        if is(&["health_check_grace_period"]) {
            call =
                call.health_check_grace_period_seconds(spec.health_check_grace_period.unwrap_or(0));
        }
        let deployment_attrs = [
            "circuit_breaker",
            "min_healthy_percent",
            "max_percent",
            "deployment_alarms",
        ];
        if is(&deployment_attrs) {
            // Alarms taken away are sent as none, turned off.
            let names = alarm_names(ctx, spec)?;
            let names = match is(&["deployment_alarms"]) {
                true => Some(names.unwrap_or_default()),
                false => names,
            };
            call = call.deployment_configuration(deployment(spec, names.as_deref()));
        }
        // A move already staged by an interrupted run leaves nothing to send.
        let only_moved = changed
            .iter()
            .all(|c| c == "load_balancer" || c == tags::ATTR);
        if call.get_load_balancers().is_none() && only_moved {
            return Ok(());
        }
        call.send().await.op("UpdateService")?;
        Ok(())
    }

    /// The tasks leave every target group but the spec's, once the listener forwards
    /// to that one alone; `wait_ready` follows (the engine's finish step).
    async fn finish(ctx: &Ctx<'_>, id: &CloudId, spec: &EcsServiceSpec) -> Result<(), AwsError> {
        let wanted = load_balancers(ctx, spec)?;
        let live = describe(ctx.aws, id).await?;
        if live.is_none_or(|svc| svc.load_balancers() == wanted.as_slice()) {
            return Ok(());
        }
        let (cluster, service) = locate(id)?;
        ctx.aws
            .ecs
            .update_service()
            .cluster(cluster)
            .service(service)
            .set_load_balancers(Some(wanted))
            .send()
            .await
            .op("UpdateService")?;
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

/// The first stage of a move to the `wanted` target group: the groups the service
/// uses now stay (with the wanted container and port: the new revision's), and the
/// new one joins, so its tasks are healthy in both before any traffic moves. None
/// when the service already uses the wanted group: the move was staged by a run that
/// stopped before its finish, and only `finish` is left (putting the old group back
/// now could name one no listener forwards to any more, which ECS refuses).
fn staged_load_balancers(
    live: &[LoadBalancer],
    wanted: Vec<LoadBalancer>,
) -> Option<Vec<LoadBalancer>> {
    let Some(target) = wanted.first() else {
        return Some(wanted);
    };
    let groups = |lb: &LoadBalancer| lb.target_group_arn().map(str::to_string);
    if live.iter().any(|lb| groups(lb) == groups(target)) {
        return None;
    }
    let mut staged: Vec<LoadBalancer> = live
        .iter()
        .filter(|lb| lb.target_group_arn().is_some())
        .map(|lb| {
            LoadBalancer::builder()
                .set_target_group_arn(groups(lb))
                .set_container_name(target.container_name().map(str::to_string))
                .set_container_port(target.container_port())
                .build()
        })
        .collect();
    staged.push(target.clone());
    Some(staged)
}

fn deployment_settings_stored(svc: &Service, spec: &EcsServiceSpec, alarms: &[String]) -> bool {
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
        && live_alarms(dc) == alarms_value(spec.deployment_alarms.as_ref(), alarms)
}

/// The deployment alarms as an attribute: null when none, else the sorted names and
/// whether ECS rolls back.
fn alarms_value(spec: Option<&DeploymentAlarmsSpec>, names: &[String]) -> Value {
    match spec {
        None => Value::Null,
        Some(a) => {
            let mut names = names.to_vec();
            names.sort();
            json!({ "names": names, "rollback": a.rollback })
        }
    }
}

fn wanted_alarms(spec: &EcsServiceSpec, lookup: &dyn Lookup) -> Wanted {
    let Some(a) = &spec.deployment_alarms else {
        return known(Value::Null);
    };
    let names: Option<Vec<String>> = a.alarms.iter().map(|r| lookup.output(r)).collect();
    match names {
        Some(names) => known(alarms_value(Some(a), &names)),
        None => Wanted::Unknown,
    }
}

/// The alarms of a deployment configuration as AWS holds them (none: not enabled).
fn live_alarms(dc: Option<&DeploymentConfiguration>) -> Value {
    match dc.and_then(|d| d.alarms()).filter(|a| a.enable()) {
        None => Value::Null,
        Some(a) => {
            let mut names = a.alarm_names().to_vec();
            names.sort();
            json!({ "names": names, "rollback": a.rollback() })
        }
    }
}

/// The names of the spec's deployment alarms; None when it has none.
fn alarm_names(ctx: &Ctx<'_>, spec: &EcsServiceSpec) -> Result<Option<Vec<String>>, AwsError> {
    spec.deployment_alarms
        .as_ref()
        .map(|a| ctx.resolve_all(&a.alarms))
        .transpose()
}

/// Services of one cluster, by the id they are recorded under; a missing or INACTIVE
/// one is left out.
async fn describe_chunk(
    aws: &Aws,
    cluster: &str,
    services: &[(CloudId, String)],
) -> Result<Vec<(String, Live)>, AwsError> {
    let out = aws
        .ecs
        .describe_services()
        .cluster(cluster)
        .set_services(Some(services.iter().map(|(_, s)| s.clone()).collect()))
        .include(ServiceField::Tags)
        .send()
        .await
        .op("DescribeServices")
        .found()?;
    let Some(out) = out else {
        return Ok(Vec::new());
    };
    services
        .iter()
        .filter_map(|(id, service)| {
            let svc = out
                .services()
                .iter()
                .filter(|s| s.status() != Some("INACTIVE"))
                .find(|s| {
                    s.service_arn() == Some(service.as_str())
                        || s.service_name() == Some(service.as_str())
                })?;
            Some(live(id, svc).map(|live| (id.to_string(), live)))
        })
        .collect()
}

fn live(id: &CloudId, svc: &Service) -> Result<Live, AwsError> {
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
    Ok(Live {
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
            ("deployment_alarms".into(), live_alarms(dc)),
            (
                "execute_command".into(),
                svc.enable_execute_command().into(),
            ),
            (
                tags::ATTR.into(),
                tags::live_value(tags::ecs_pairs(svc.tags())),
            ),
        ]
        .into(),
        outputs: outputs(id, name, arn),
    })
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
pub fn locate(id: &CloudId) -> Result<(String, String), AwsError> {
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
pub async fn describe(aws: &Aws, id: &CloudId) -> Result<Option<Service>, AwsError> {
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

/// `alarms`: the names of the deployment alarms to send, if any: an empty list turns
/// them off (an update that takes them away); None leaves them out.
fn deployment(spec: &EcsServiceSpec, alarms: Option<&[String]>) -> DeploymentConfiguration {
    let rollback = spec.deployment_alarms.as_ref().is_some_and(|a| a.rollback);
    let watched = alarms.and_then(|names| {
        DeploymentAlarms::builder()
            .set_alarm_names(Some(names.to_vec()))
            .enable(!names.is_empty())
            .rollback(rollback)
            .build()
            .ok()
    });
    DeploymentConfiguration::builder()
        .minimum_healthy_percent(spec.min_healthy_percent)
        .maximum_percent(spec.max_percent)
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(spec.circuit_breaker)
                .rollback(spec.circuit_breaker)
                .build(),
        )
        .set_alarms(watched)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_to_a_new_target_group_is_staged_once() {
        let lb = |tg: &str, port: i32| {
            LoadBalancer::builder()
                .target_group_arn(tg)
                .container_name("web")
                .container_port(port)
                .build()
        };
        let groups = |lbs: &[LoadBalancer]| -> Vec<(String, i32)> {
            lbs.iter()
                .map(|l| {
                    (
                        l.target_group_arn().unwrap().to_string(),
                        l.container_port().unwrap(),
                    )
                })
                .collect()
        };
        // First stage: the old group stays (on the new revision's port), the new joins.
        let staged = staged_load_balancers(&[lb("old", 5000)], vec![lb("new", 5001)]).unwrap();
        assert_eq!(
            groups(&staged),
            [("old".into(), 5001), ("new".into(), 5001)]
        );
        // Already staged (a run stopped before its finish): nothing to do here, even
        // if the listener no longer forwards to the old group.
        assert_eq!(staged_load_balancers(&staged, vec![lb("new", 5001)]), None);
        // No load balancer wanted: all go.
        assert_eq!(staged_load_balancers(&staged, Vec::new()), Some(Vec::new()));
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
