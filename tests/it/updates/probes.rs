//! What the emulator holds, read through the AWS SDK and independently of stackctl's
//! state: objects are found by the names and tags a stack gives them (`upd-alb`, the
//! cluster `upd`, the family `upd-web`, ...), so a case passes only when AWS really
//! carries the new value.
//!
//! A target group is described as `NAME:PORT` with the name's hash suffix cut off
//! (`upd-api:8080`): the suffix changes on replacement, the port says which group it is.

use aws_sdk_ec2::types::Filter;
use aws_sdk_ecs::types::{ClusterField, TaskDefinitionStatus};
use serde_json::{Value, json};
use stackctl::aws::Aws;
use std::collections::BTreeMap;

/// The stack name in tests/it/fixtures/updates.toml.
pub const STACK: &str = "upd";

#[derive(Debug, Clone, Copy)]
pub enum Probe {
    /// Ingress rules of the security group `upd-NAME`, as `PROTO/PORT PEER`.
    Ingress(&'static str),
    /// `PROTOCOL:PORT` of every listener of the load balancer.
    Listeners,
    /// The default action of the listener on this port (null: no such listener).
    ListenerAction(i32),
    ListenerCertificate(i32),
    ListenerSslPolicy(i32),
    /// The rules other than the default one, by priority (null: no such listener).
    Rules(i32),
    /// The ports of every target group of the service (old ones included).
    TargetGroupPorts(&'static str),
    HealthCheck(&'static str),
    DeregistrationDelay(&'static str),
    IdleTimeout,
    DesiredCount(&'static str),
    GracePeriod(&'static str),
    /// Circuit breaker, minimum healthy and maximum percent.
    Deployment(&'static str),
    /// Public IP and the subnets (by their `stackctl:address` tag).
    Network(&'static str),
    /// The target group the service registers its tasks in, and the container port.
    ServiceTarget(&'static str),
    /// Of the task definition the service runs:
    Image(&'static str),
    TaskSize(&'static str),
    Env(&'static str),
    Secrets(&'static str),
    ContainerPort(&'static str),
    Arch(&'static str),
    /// The task role's name and its managed policies (null without a task role).
    TaskRole(&'static str),
    /// The revision the service runs and the family's ACTIVE revisions.
    Revisions(&'static str),
    /// Resources of the execution role's secrets policy ([] without one).
    ReadableSecrets,
    /// viewer_protocol, cache_policy, price_class, aliases, certificate or origin.
    Cdn(&'static str),
    ScanOnPush,
    TagMutability,
    /// The image count of the lifecycle policy (null without one).
    KeepImages,
    LogRetention(&'static str),
    ContainerInsights,
}

impl Probe {
    pub async fn read(self, aws: &Aws) -> Value {
        match self {
            Probe::Ingress(name) => ingress(aws, name).await,
            Probe::Listeners => {
                let mut out: Vec<String> = listeners(aws)
                    .await
                    .iter()
                    .map(|l| {
                        format!(
                            "{}:{}",
                            l.protocol().map(|p| p.as_str()).unwrap_or("?"),
                            l.port().unwrap_or(0)
                        )
                    })
                    .collect();
                out.sort();
                json!(out)
            }
            Probe::ListenerAction(port) => match listener(aws, port).await {
                None => Value::Null,
                Some(l) => action(aws, &l.default_actions()[0]).await,
            },
            Probe::ListenerCertificate(port) => json!(listener(aws, port).await.and_then(|l| {
                l.certificates()
                    .first()
                    .and_then(|c| c.certificate_arn().map(str::to_string))
            })),
            Probe::ListenerSslPolicy(port) => json!(
                listener(aws, port)
                    .await
                    .and_then(|l| l.ssl_policy().map(str::to_string))
            ),
            Probe::Rules(port) => rules(aws, port).await,
            Probe::TargetGroupPorts(service) => {
                let prefix = format!("{STACK}-{service}-");
                let mut ports: Vec<i32> = target_groups(aws)
                    .await
                    .iter()
                    .filter(|t| {
                        t.target_group_name()
                            .unwrap_or_default()
                            .starts_with(&prefix)
                    })
                    .filter_map(|t| t.port())
                    .collect();
                ports.sort();
                json!(ports)
            }
            Probe::HealthCheck(service) => {
                let tg = target_group(aws, service).await;
                json!({
                    "path": tg.health_check_path(),
                    "interval": tg.health_check_interval_seconds(),
                    "timeout": tg.health_check_timeout_seconds(),
                    "healthy": tg.healthy_threshold_count(),
                    "unhealthy": tg.unhealthy_threshold_count(),
                    "matcher": tg.matcher().and_then(|m| m.http_code()),
                })
            }
            Probe::DeregistrationDelay(service) => {
                let tg = target_group(aws, service).await;
                let out = aws
                    .elb
                    .describe_target_group_attributes()
                    .target_group_arn(tg.target_group_arn().unwrap())
                    .send()
                    .await
                    .expect("describe target group attributes");
                attribute(
                    out.attributes().iter().map(|a| (a.key(), a.value())),
                    "deregistration_delay.timeout_seconds",
                )
            }
            Probe::IdleTimeout => {
                let out = aws
                    .elb
                    .describe_load_balancer_attributes()
                    .load_balancer_arn(load_balancer_arn(aws).await)
                    .send()
                    .await
                    .expect("describe load balancer attributes");
                attribute(
                    out.attributes().iter().map(|a| (a.key(), a.value())),
                    "idle_timeout.timeout_seconds",
                )
            }
            Probe::DesiredCount(service) => json!(service_of(aws, service).await.desired_count()),
            Probe::GracePeriod(service) => json!(
                service_of(aws, service)
                    .await
                    .health_check_grace_period_seconds()
            ),
            Probe::Deployment(service) => {
                let svc = service_of(aws, service).await;
                let dc = svc.deployment_configuration();
                let breaker = dc.and_then(|d| d.deployment_circuit_breaker());
                json!({
                    "circuit_breaker": breaker.map(|b| json!({"enable": b.enable(), "rollback": b.rollback()})),
                    "min_healthy_percent": dc.and_then(|d| d.minimum_healthy_percent()),
                    "max_percent": dc.and_then(|d| d.maximum_percent()),
                })
            }
            Probe::Network(service) => {
                let svc = service_of(aws, service).await;
                let vpc = svc
                    .network_configuration()
                    .and_then(|n| n.awsvpc_configuration())
                    .expect("awsvpc configuration");
                let subnets = aws
                    .ec2
                    .describe_subnets()
                    .set_subnet_ids(Some(vpc.subnets().to_vec()))
                    .send()
                    .await
                    .expect("describe subnets");
                let mut addresses: Vec<String> = subnets
                    .subnets()
                    .iter()
                    .map(|s| {
                        s.tags()
                            .iter()
                            .find(|t| t.key() == Some("stackctl:address"))
                            .and_then(|t| t.value())
                            .unwrap_or("untagged")
                            .to_string()
                    })
                    .collect();
                addresses.sort();
                json!({
                    "public_ip": vpc.assign_public_ip().map(|a| a.as_str()),
                    "subnets": addresses,
                })
            }
            Probe::ServiceTarget(service) => {
                let svc = service_of(aws, service).await;
                let lb = &svc.load_balancers()[0];
                json!({
                    "target_group": describe_target_group(aws, lb.target_group_arn().unwrap()).await,
                    "container_port": lb.container_port(),
                })
            }
            Probe::Image(service) => json!(container(aws, service).await.1.image()),
            Probe::TaskSize(service) => {
                let (td, _) = container(aws, service).await;
                json!(format!(
                    "{}/{}",
                    td.cpu().unwrap_or("?"),
                    td.memory().unwrap_or("?")
                ))
            }
            Probe::Env(service) => {
                let (_, c) = container(aws, service).await;
                let env: BTreeMap<&str, &str> = c
                    .environment()
                    .iter()
                    .map(|kv| (kv.name().unwrap_or(""), kv.value().unwrap_or("")))
                    .collect();
                json!(env)
            }
            Probe::Secrets(service) => {
                let (_, c) = container(aws, service).await;
                let secrets: BTreeMap<&str, &str> = c
                    .secrets()
                    .iter()
                    .map(|s| (s.name(), s.value_from()))
                    .collect();
                json!(secrets)
            }
            Probe::ContainerPort(service) => {
                let (_, c) = container(aws, service).await;
                json!(c.port_mappings().first().and_then(|p| p.container_port()))
            }
            Probe::Arch(service) => {
                let (td, _) = container(aws, service).await;
                json!(
                    td.runtime_platform()
                        .and_then(|p| p.cpu_architecture())
                        .map(|a| a.as_str())
                )
            }
            Probe::TaskRole(service) => {
                let (td, _) = container(aws, service).await;
                match td.task_role_arn() {
                    None => Value::Null,
                    Some(arn) => task_role(aws, arn).await,
                }
            }
            Probe::Revisions(service) => {
                let running = service_of(aws, service)
                    .await
                    .task_definition()
                    .map(revision)
                    .expect("the service runs a task definition");
                let family = format!("{STACK}-{service}");
                let listed = aws
                    .ecs
                    .list_task_definitions()
                    .family_prefix(&family)
                    .status(TaskDefinitionStatus::Active)
                    .send()
                    .await
                    .expect("list task definitions");
                let mut active: Vec<u32> = listed
                    .task_definition_arns()
                    .iter()
                    .filter(|a| a.contains(&format!("task-definition/{family}:")))
                    .map(|a| revision(a))
                    .collect();
                active.sort();
                json!({"running": running, "active": active})
            }
            Probe::ReadableSecrets => readable_secrets(aws).await,
            Probe::Cdn(what) => cdn(aws, what).await,
            Probe::ScanOnPush => json!(
                repository(aws)
                    .await
                    .image_scanning_configuration()
                    .map(|c| c.scan_on_push())
            ),
            Probe::TagMutability => json!(
                repository(aws)
                    .await
                    .image_tag_mutability()
                    .map(|m| m.as_str())
            ),
            Probe::KeepImages => keep_images(aws).await,
            Probe::LogRetention(service) => {
                let name = format!("/ecs/{STACK}/{service}");
                let out = aws
                    .logs
                    .describe_log_groups()
                    .log_group_name_prefix(&name)
                    .send()
                    .await
                    .expect("describe log groups");
                let group = out
                    .log_groups()
                    .iter()
                    .find(|g| g.log_group_name() == Some(name.as_str()))
                    .unwrap_or_else(|| panic!("no log group {name}"));
                json!(group.retention_in_days())
            }
            Probe::ContainerInsights => {
                let out = aws
                    .ecs
                    .describe_clusters()
                    .clusters(STACK)
                    .include(ClusterField::Settings)
                    .send()
                    .await
                    .expect("describe clusters");
                let cluster = &out.clusters()[0];
                json!(
                    cluster
                        .settings()
                        .iter()
                        .find(|s| s.name().map(|n| n.as_str()) == Some("containerInsights"))
                        .and_then(|s| s.value())
                )
            }
        }
    }
}

/// An attribute's text as a number where it is one.
fn attribute<'a>(
    pairs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
    key: &str,
) -> Value {
    for (k, v) in pairs {
        if k == Some(key) {
            return v
                .and_then(|v| v.parse::<i64>().ok())
                .map(Value::from)
                .unwrap_or_else(|| json!(v));
        }
    }
    Value::Null
}

fn revision(arn: &str) -> u32 {
    arn.rsplit_once(':')
        .and_then(|(_, r)| r.parse().ok())
        .unwrap_or_else(|| panic!("no revision in {arn}"))
}

async fn ingress(aws: &Aws, name: &str) -> Value {
    let groups = aws
        .ec2
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("tag:stackctl:stack")
                .values(STACK)
                .build(),
        )
        .send()
        .await
        .expect("describe security groups");
    let names: BTreeMap<&str, &str> = groups
        .security_groups()
        .iter()
        .filter_map(|g| Some((g.group_id()?, g.group_name()?)))
        .collect();
    let wanted = format!("{STACK}-{name}");
    let group = groups
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(wanted.as_str()))
        .unwrap_or_else(|| panic!("no security group {wanted}"));
    let mut rules = Vec::new();
    for p in group.ip_permissions() {
        let what = format!(
            "{}/{}",
            p.ip_protocol().unwrap_or("?"),
            p.from_port().unwrap_or(-1)
        );
        for r in p.ip_ranges() {
            rules.push(format!("{what} {}", r.cidr_ip().unwrap_or("?")));
        }
        for g in p.user_id_group_pairs() {
            let id = g.group_id().unwrap_or("?");
            rules.push(format!("{what} from {}", names.get(id).unwrap_or(&id)));
        }
    }
    rules.sort();
    json!(rules)
}

async fn load_balancer_arn(aws: &Aws) -> String {
    let out = aws
        .elb
        .describe_load_balancers()
        .names(format!("{STACK}-alb"))
        .send()
        .await
        .expect("describe load balancers");
    out.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string()
}

async fn listeners(aws: &Aws) -> Vec<aws_sdk_elasticloadbalancingv2::types::Listener> {
    aws.elb
        .describe_listeners()
        .load_balancer_arn(load_balancer_arn(aws).await)
        .send()
        .await
        .expect("describe listeners")
        .listeners()
        .to_vec()
}

async fn listener(aws: &Aws, port: i32) -> Option<aws_sdk_elasticloadbalancingv2::types::Listener> {
    listeners(aws)
        .await
        .into_iter()
        .find(|l| l.port() == Some(port))
}

async fn target_groups(aws: &Aws) -> Vec<aws_sdk_elasticloadbalancingv2::types::TargetGroup> {
    aws.elb
        .describe_target_groups()
        .send()
        .await
        .expect("describe target groups")
        .target_groups()
        .to_vec()
}

/// The one target group of the service.
async fn target_group(
    aws: &Aws,
    service: &str,
) -> aws_sdk_elasticloadbalancingv2::types::TargetGroup {
    let prefix = format!("{STACK}-{service}-");
    let mut groups: Vec<_> = target_groups(aws)
        .await
        .into_iter()
        .filter(|t| {
            t.target_group_name()
                .unwrap_or_default()
                .starts_with(&prefix)
        })
        .collect();
    assert_eq!(groups.len(), 1, "target groups of {service}: {groups:?}");
    groups.remove(0)
}

/// `NAME:PORT` of the target group with this ARN, the name without its hash suffix.
async fn describe_target_group(aws: &Aws, arn: &str) -> Value {
    let out = aws
        .elb
        .describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await
        .expect("describe target group");
    let tg = &out.target_groups()[0];
    let name = tg.target_group_name().unwrap_or_default();
    let base = name.rsplit_once('-').map(|(b, _)| b).unwrap_or(name);
    json!(format!("{base}:{}", tg.port().unwrap_or(0)))
}

async fn action(aws: &Aws, a: &aws_sdk_elasticloadbalancingv2::types::Action) -> Value {
    match a.r#type().map(|t| t.as_str()) {
        Some("forward") => json!({
            "type": "forward",
            "target_group": describe_target_group(aws, a.target_group_arn().unwrap()).await,
        }),
        Some("redirect") => {
            let r = a.redirect_config().unwrap();
            json!({
                "type": "redirect",
                "protocol": r.protocol(),
                "port": r.port(),
                "status": r.status_code().map(|s| s.as_str()),
            })
        }
        Some("fixed-response") => {
            let f = a.fixed_response_config().unwrap();
            json!({
                "type": "fixed-response",
                "status": f.status_code(),
                "body": f.message_body(),
            })
        }
        other => json!({ "type": other }),
    }
}

async fn rules(aws: &Aws, port: i32) -> Value {
    let Some(l) = listener(aws, port).await else {
        return Value::Null;
    };
    let out = aws
        .elb
        .describe_rules()
        .listener_arn(l.listener_arn().unwrap())
        .send()
        .await
        .expect("describe rules");
    let mut rules = Vec::new();
    for r in out.rules() {
        if r.is_default() == Some(true) {
            continue;
        }
        let mut paths: Vec<String> = r
            .conditions()
            .iter()
            .flat_map(|c| {
                let configured = c
                    .path_pattern_config()
                    .map(|p| p.values().to_vec())
                    .unwrap_or_default();
                if configured.is_empty() {
                    c.values().to_vec()
                } else {
                    configured
                }
            })
            .collect();
        paths.sort();
        let priority: i64 = r.priority().unwrap_or("0").parse().unwrap_or(-1);
        let target = action(aws, &r.actions()[0]).await;
        rules.push((
            priority,
            json!({"priority": priority, "paths": paths, "target_group": target["target_group"]}),
        ));
    }
    rules.sort_by_key(|(p, _)| *p);
    json!(rules.into_iter().map(|(_, r)| r).collect::<Vec<_>>())
}

async fn service_of(aws: &Aws, service: &str) -> aws_sdk_ecs::types::Service {
    let out = aws
        .ecs
        .describe_services()
        .cluster(STACK)
        .services(service)
        .send()
        .await
        .expect("describe services");
    out.services()
        .iter()
        .find(|s| s.status() == Some("ACTIVE"))
        .unwrap_or_else(|| panic!("no active service {service}"))
        .clone()
}

/// The task definition the service runs, and its one container.
async fn container(
    aws: &Aws,
    service: &str,
) -> (
    aws_sdk_ecs::types::TaskDefinition,
    aws_sdk_ecs::types::ContainerDefinition,
) {
    let arn = service_of(aws, service)
        .await
        .task_definition()
        .expect("the service runs a task definition")
        .to_string();
    let out = aws
        .ecs
        .describe_task_definition()
        .task_definition(&arn)
        .send()
        .await
        .expect("describe task definition");
    let td = out.task_definition().expect("task definition").clone();
    let c = td.container_definitions()[0].clone();
    (td, c)
}

async fn task_role(aws: &Aws, arn: &str) -> Value {
    let name = arn.rsplit_once('/').map(|(_, n)| n).unwrap_or(arn);
    let attached = aws
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .expect("list attached role policies");
    let mut policies: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    policies.sort();
    json!({"role": name, "policies": policies})
}

async fn readable_secrets(aws: &Aws) -> Value {
    let out = aws
        .iam
        .get_role_policy()
        .role_name(format!("{STACK}-execution"))
        .policy_name("stackctl-read-secrets")
        .send()
        .await;
    let document = match out {
        Ok(o) => o.policy_document().to_string(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            return json!([]);
        }
        Err(e) => panic!("get role policy: {e:?}"),
    };
    let document: Value = serde_json::from_str(&percent_decode(&document))
        .unwrap_or_else(|e| panic!("policy document {document}: {e}"));
    let statements = match &document["Statement"] {
        Value::Array(s) => s.clone(),
        one => vec![one.clone()],
    };
    let mut resources: Vec<String> = statements
        .iter()
        .flat_map(|s| match &s["Resource"] {
            Value::Array(r) => r.clone(),
            one => vec![one.clone()],
        })
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    resources.sort();
    json!(resources)
}

/// IAM returns policy documents URL-encoded.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8 policy")
}

async fn cdn(aws: &Aws, what: &str) -> Value {
    let list = aws
        .cloudfront
        .list_distributions()
        .send()
        .await
        .expect("list distributions");
    let ours: Vec<String> = list
        .distribution_list()
        .map(|l| l.items())
        .unwrap_or_default()
        .iter()
        .filter(|d| d.comment().starts_with(&format!("{STACK} ")))
        .map(|d| d.id().to_string())
        .collect();
    assert_eq!(ours.len(), 1, "distributions of the stack: {ours:?}");
    let out = aws
        .cloudfront
        .get_distribution_config()
        .id(&ours[0])
        .send()
        .await
        .expect("get distribution config");
    let config = out.distribution_config().expect("config");
    let behavior = config.default_cache_behavior().expect("default behavior");
    match what {
        "viewer_protocol" => json!(behavior.viewer_protocol_policy().as_str()),
        "cache_policy" => json!(behavior.cache_policy_id()),
        "price_class" => json!(config.price_class().map(|p| p.as_str())),
        "aliases" => {
            let mut aliases = config
                .aliases()
                .map(|a| a.items().to_vec())
                .unwrap_or_default();
            aliases.sort();
            json!(aliases)
        }
        "certificate" => json!(
            config
                .viewer_certificate()
                .and_then(|v| v.acm_certificate_arn())
                .filter(|a| !a.is_empty())
        ),
        // Only meaningful next to an ACM certificate.
        "minimum_tls" => json!(
            config
                .viewer_certificate()
                .filter(|v| v.acm_certificate_arn().is_some_and(|a| !a.is_empty()))
                .and_then(|v| v.minimum_protocol_version())
                .map(|m| m.as_str())
        ),
        "origin" => {
            let origin = &config.origins().expect("origins").items()[0];
            let custom = origin.custom_origin_config().expect("custom origin");
            json!({
                "protocol": custom.origin_protocol_policy().as_str(),
                "http_port": custom.http_port(),
                "https_port": custom.https_port(),
            })
        }
        other => panic!("no CDN probe {other}"),
    }
}

async fn repository(aws: &Aws) -> aws_sdk_ecr::types::Repository {
    let out = aws
        .ecr
        .describe_repositories()
        .repository_names(format!("{STACK}-app"))
        .send()
        .await
        .expect("describe repositories");
    out.repositories()[0].clone()
}

async fn keep_images(aws: &Aws) -> Value {
    let out = aws
        .ecr
        .get_lifecycle_policy()
        .repository_name(format!("{STACK}-app"))
        .send()
        .await;
    let text = match out {
        Ok(o) => o.lifecycle_policy_text().unwrap_or_default().to_string(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_lifecycle_policy_not_found_exception()) =>
        {
            return Value::Null;
        }
        Err(e) => panic!("get lifecycle policy: {e:?}"),
    };
    let policy: Value = serde_json::from_str(&text).expect("lifecycle policy JSON");
    policy["rules"][0]["selection"]["countNumber"].clone()
}
