//! `[services]`, with `[cluster]`: the cluster and execution role every service
//! shares, then each service's own resources. ECS reads the tasks' secrets when a
//! task starts, with the execution role, so that role may read exactly the secrets
//! the services name and no value passes through stackctl. Each service has its own
//! security group admitting only the load balancer's, on the container port: whatever
//! its placement, nothing else reaches a task. A service waits for what its tasks need
//! when they start (the egress route their image is pulled through, the ALB, the
//! listener or rule that makes its target group usable), since ECS judges a rollout
//! by tasks that must come up healthy.

use super::load_balancer::LoadBalancer;
use super::network::Network;
use super::shared::{addr, allow_all_egress, ids};
use crate::address::{Address, Kind};
use crate::config::schema::{self, Arch, Config, LogMode, Placement};
use crate::config::validate::{Image, Validated};
use crate::desired::Desired;
use crate::resources::Ref;
use crate::resources::ecs_cluster::EcsClusterSpec;
use crate::resources::ecs_service::{DeploymentAlarmsSpec, EcsServiceSpec, ServiceLoadBalancer};
use crate::resources::iam_role::IamRoleSpec;
use crate::resources::listener_rule::ListenerRuleSpec;
use crate::resources::log_group::LogGroupSpec;
use crate::resources::security_group::{Rule, SecurityGroupSpec};
use crate::resources::target_group::{self, HealthCheck as TgHealthCheck, TargetGroupSpec};
use crate::resources::task_definition::{ContainerSpec, ImageSpec, TaskDefinitionSpec};
use std::collections::BTreeMap;

/// The managed policy the execution role gets, in the stack's partition.
pub fn execution_policy(partition: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
}

/// The cluster, the execution role, then each service's resources.
pub(super) fn expand(v: &Validated, network: &Network, lb: &LoadBalancer) -> Vec<Desired> {
    let mut out = shared_by_all(v);
    for (name, s) in &v.config.services {
        let service = Service {
            v,
            name,
            s,
            network,
            lb,
        };
        out.extend(service.expand());
    }
    out
}

fn cluster() -> Address {
    addr(Kind::EcsCluster, "main")
}

fn execution_role() -> Address {
    addr(Kind::IamRole, "execution")
}

/// Cluster and roles shared by all services.
fn shared_by_all(v: &Validated) -> Vec<Desired> {
    let c = &v.config;
    let stack = &c.stack.name;
    vec![
        Desired::new(
            cluster(),
            EcsClusterSpec {
                name: stack.clone(),
                container_insights: c.cluster.container_insights,
                capacity_providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
                tags: c.stack.tags.clone(),
            },
        ),
        Desired::new(
            execution_role(),
            IamRoleSpec {
                name: format!("{stack}-execution"),
                trusted_service: "ecs-tasks.amazonaws.com".into(),
                managed_policies: vec![execution_policy(v.partition.name)],
                readable_secrets: secret_resources(c),
                writable_logs: Vec::new(),
                exec_channels: false,
                tags: c.stack.tags.clone(),
            },
        ),
    ]
}

/// What the execution role must be allowed to read for the tasks' secrets: each
/// secret or parameter, and the customer-managed KMS keys that encrypt them.
fn secret_resources(c: &Config) -> Vec<String> {
    let secrets = c.services.values().flat_map(|s| s.secrets.values());
    let keys = c
        .services
        .values()
        .filter_map(|s| s.secrets_kms_key.clone());
    let mut arns: Vec<String> = secrets.map(|arn| secret_grant(arn)).chain(keys).collect();
    arns.sort();
    arns.dedup();
    arns
}

/// The resource an IAM policy must name for one secret reference. A Secrets Manager
/// reference may name a JSON key, stage or version after the secret's ARN
/// (`...:secret:name-AbCdEf:key::`); the permission is on the secret. Secrets Manager
/// ends every secret's ARN with `-` and six random characters; an ARN given without
/// them matches nothing in a policy, so it is granted as `name-??????` (the pattern
/// the Secrets Manager guide documents, which `*` would widen to other secrets).
pub fn secret_grant(arn: &str) -> String {
    if !arn.contains(":secretsmanager:") {
        return arn.to_string();
    }
    let secret = arn.split(':').take(7).collect::<Vec<_>>().join(":");
    let name = secret.rsplit(':').next().unwrap_or_default();
    if has_random_suffix(name) {
        secret
    } else {
        format!("{secret}-??????")
    }
}

/// `name-AbCdEf`: a hyphen and six letters or digits at the end. Secrets Manager
/// itself reads a name of that shape as a complete ARN (GetSecretValue's SecretId).
fn has_random_suffix(name: &str) -> bool {
    match name.rsplit_once('-') {
        Some((stem, suffix)) => {
            !stem.is_empty()
                && suffix.len() == 6
                && suffix.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// What a service's routes add to it: its target group and listener rules, how the
/// service attaches to the group, and what the service waits for besides what its
/// spec refers to.
#[derive(Default)]
struct Routing {
    resources: Vec<Desired>,
    load_balancer: Option<ServiceLoadBalancer>,
    after: Vec<Address>,
}

/// One `[services.NAME]` table and what its resources attach to.
struct Service<'a> {
    v: &'a Validated,
    name: &'a String,
    s: &'a schema::Service,
    network: &'a Network,
    lb: &'a LoadBalancer,
}

impl Service<'_> {
    /// In the order security group, log group, task role, task definition, target
    /// group, listener rules, ECS service.
    fn expand(&self) -> Vec<Desired> {
        let security_group = self.security_group();
        let log_group = self.log_group();
        let task_role = self.task_role();
        let task_role_arn = task_role
            .as_ref()
            .map(|r| Ref::new(r.address.clone(), "arn"));
        let task_definition = self.task_definition(&log_group.address, task_role_arn);
        let routing = self.routing();
        let mut after = routing.after;
        // Tasks pull their image at start: their subnets' egress route must exist.
        after.extend(self.network.route_tables.iter().cloned());
        let service = self.ecs_service(
            &security_group.address,
            &task_definition.address,
            routing.load_balancer,
        );
        let mut out = vec![security_group, log_group];
        out.extend(task_role);
        out.push(task_definition);
        out.extend(routing.resources);
        out.push(service.after(after));
        out
    }

    fn routed(&self) -> bool {
        !self.s.routes.is_empty()
    }

    fn port(&self) -> u16 {
        self.s.port.unwrap_or_default()
    }

    fn tags(&self) -> BTreeMap<String, String> {
        self.v.config.stack.tags.clone()
    }

    fn security_group(&self) -> Desired {
        let stack = &self.v.config.stack.name;
        let name = self.name;
        let from_the_load_balancer = Rule {
            protocol: "tcp".into(),
            from_port: self.port().into(),
            to_port: self.port().into(),
            cidr: None,
            source_group: Some(Ref::id(self.lb.security_group.clone())),
            prefix_list: None,
            description: "from the load balancer".into(),
        };
        Desired::new(
            addr(Kind::SecurityGroup, name.clone()),
            SecurityGroupSpec {
                vpc: Ref::id(self.network.vpc.clone()),
                description: format!("{stack} service {name}"),
                ingress: if self.routed() {
                    vec![from_the_load_balancer]
                } else {
                    Vec::new()
                },
                egress: allow_all_egress(),
                tags: self.tags(),
            },
        )
    }

    fn log_group(&self) -> Desired {
        let stack = &self.v.config.stack.name;
        let name = self.name;
        Desired::new(
            addr(Kind::LogGroup, name.clone()),
            LogGroupSpec {
                name: format!("/ecs/{stack}/{name}"),
                retention_days: self.s.log_retention_days as i32,
                tags: self.tags(),
            },
        )
    }

    /// The role the app's own AWS calls run as, and ECS Exec's SSM channels; none
    /// when neither asks for it.
    fn task_role(&self) -> Option<Desired> {
        if self.s.task_role_policies.is_empty() && !self.s.exec {
            return None;
        }
        let stack = &self.v.config.stack.name;
        let name = self.name;
        Some(Desired::new(
            addr(Kind::IamRole, format!("{name}-task")),
            IamRoleSpec {
                name: format!("{stack}-{name}-task"),
                trusted_service: "ecs-tasks.amazonaws.com".into(),
                managed_policies: self.s.task_role_policies.clone(),
                readable_secrets: Vec::new(),
                writable_logs: Vec::new(),
                exec_channels: self.s.exec,
                tags: self.tags(),
            },
        ))
    }

    fn task_definition(&self, log_group: &Address, task_role: Option<Ref>) -> Desired {
        let (stack, name, s) = (&self.v.config.stack.name, self.name, self.s);
        Desired::new(
            addr(Kind::TaskDefinition, name.clone()),
            TaskDefinitionSpec {
                family: format!("{stack}-{name}"),
                cpu: s.cpu.to_string(),
                memory: s.memory.to_string(),
                cpu_architecture: match s.arch {
                    Arch::X86_64 => "X86_64".into(),
                    Arch::Arm64 => "ARM64".into(),
                },
                execution_role: Ref::new(execution_role(), "arn"),
                task_role,
                container: self.container(log_group),
                tags: self.tags(),
            },
        )
    }

    fn container(&self, log_group: &Address) -> ContainerSpec {
        let (name, s) = (self.name, self.s);
        ContainerSpec {
            name: name.clone(),
            image: self.image(),
            port: s.port.map(i32::from),
            environment: s.env.clone(),
            secrets: s.secrets.clone(),
            log_group: Ref::id(log_group.clone()),
            log_region: self.v.region.clone(),
            log_stream_prefix: name.clone(),
            log_mode: Some(
                match s.log_mode {
                    LogMode::NonBlocking => "non-blocking",
                    LogMode::Blocking => "blocking",
                }
                .into(),
            ),
            read_only_root_filesystem: s.read_only_root_filesystem,
        }
    }

    /// An image of one of the stack's repositories is named by the repository's URI,
    /// a reference that orders the repository first.
    fn image(&self) -> ImageSpec {
        match &self.v.images[self.name] {
            Image::Repository {
                repository,
                reference,
            } => ImageSpec {
                repository: Some(Ref::new(
                    addr(Kind::EcrRepository, repository.clone()),
                    "uri",
                )),
                reference: reference.clone(),
                deployed: None,
            },
            Image::Uri(uri) => ImageSpec {
                repository: None,
                reference: uri.clone(),
                deployed: None,
            },
        }
    }

    /// A routed service's target group and listener rules; nothing for one without
    /// routes.
    fn routing(&self) -> Routing {
        if !self.routed() {
            return Routing::default();
        }
        let target_group = self.target_group();
        let tg = target_group.address.clone();
        // The rollout is judged by target health: the ALB must be active first.
        let mut after = vec![self.lb.alb.clone()];
        // ECS refuses a target group that no listener or rule uses yet.
        if self.v.default_service.as_deref() == Some(self.name.as_str()) {
            after.extend(self.lb.forwarding.iter().map(|(l, _)| l.clone()));
        }
        let rules = self.listener_rules(&tg);
        after.extend(rules.iter().map(|r| r.address.clone()));
        let load_balancer = ServiceLoadBalancer {
            target_group: Ref::id(tg),
            container_name: self.name.clone(),
            container_port: self.port().into(),
        };
        Routing {
            resources: std::iter::once(target_group).chain(rules).collect(),
            load_balancer: Some(load_balancer),
            after,
        }
    }

    fn target_group(&self) -> Desired {
        let (v, name, s) = (self.v, self.name, self.s);
        let hc = &s.health_check;
        let vpc_cidr = v.vpc_cidr.to_string();
        Desired::new(
            addr(Kind::TargetGroup, name.clone()),
            TargetGroupSpec {
                name: target_group::group_name(&v.config.stack.name, name, self.port(), &vpc_cidr),
                vpc: Ref::id(self.network.vpc.clone()),
                port: self.port().into(),
                health_check: TgHealthCheck {
                    path: hc.path.clone(),
                    interval: hc.interval as i32,
                    timeout: hc.timeout as i32,
                    healthy_threshold: hc.healthy as i32,
                    unhealthy_threshold: hc.unhealthy as i32,
                    matcher: hc.matcher.clone(),
                },
                deregistration_delay: s.deregistration_delay as i32,
                tags: self.tags(),
            },
        )
    }

    /// The service's path rule on each forwarding listener; none for the default
    /// service, which the listeners' default action reaches.
    fn listener_rules(&self, tg: &Address) -> Vec<Desired> {
        let Some((priority, paths)) = self.v.rules.get(self.name) else {
            return Vec::new();
        };
        let name = self.name;
        self.lb
            .forwarding
            .iter()
            .map(|(listener, suffix)| {
                Desired::new(
                    addr(Kind::ListenerRule, format!("{name}-{suffix}")),
                    ListenerRuleSpec {
                        listener: Ref::id(listener.clone()),
                        priority: *priority as i32,
                        paths: paths.clone(),
                        target_group: Ref::id(tg.clone()),
                        tags: self.tags(),
                    },
                )
            })
            .collect()
    }

    /// A routed service's deployment watches its 5xx alarm, when the stack has alarms;
    /// in the commercial partition only, where ECS has deployment alarms (in China
    /// CreateService has refused even a disabled alarms block: aws-cdk #26574).
    fn deployment_alarms(&self) -> Option<DeploymentAlarmsSpec> {
        let offered = self.v.partition.name == "aws";
        (offered && self.routed() && super::alarms::on(self.v)).then(|| DeploymentAlarmsSpec {
            alarms: vec![Ref::id(super::alarms::deployment_alarm(self.name))],
            rollback: self.v.config.alarms.rollback,
        })
    }

    fn ecs_service(
        &self,
        security_group: &Address,
        task_definition: &Address,
        load_balancer: Option<ServiceLoadBalancer>,
    ) -> Desired {
        let (name, s) = (self.name, self.s);
        let (subnets, public_ip) = match s.placement {
            Placement::Private => (&self.network.private_subnets, false),
            Placement::Public => (&self.network.public_subnets, true),
        };
        Desired::new(
            addr(Kind::EcsService, name.clone()),
            EcsServiceSpec {
                name: name.clone(),
                cluster: Ref::id(cluster()),
                task_definition: Ref::id(task_definition.clone()),
                // A scaled service starts at its minimum; the count is the
                // autoscaler's from then on.
                desired_count: s.scaling.as_ref().map_or(s.desired_count, |sc| sc.min) as i32,
                subnets: ids(subnets),
                security_groups: vec![Ref::id(security_group.clone())],
                assign_public_ip: public_ip,
                load_balancer,
                health_check_grace_period: self.routed().then_some(s.grace_period as i32),
                circuit_breaker: s.circuit_breaker,
                min_healthy_percent: s.min_healthy_percent as i32,
                max_percent: s.max_percent as i32,
                capacity: if s.spot { "FARGATE_SPOT" } else { "FARGATE" }.into(),
                wait_for_steady_state: s.wait,
                scaled: s.scaling.is_some(),
                execute_command: s.exec,
                deployment_alarms: self.deployment_alarms(),
                tags: self.tags(),
            },
        )
    }
}
