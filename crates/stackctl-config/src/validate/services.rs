//! The `[services]` tables: each service's name, task size, port, placement, logs,
//! target group and health check, deployment, secrets, routes and image.

use super::problems::Problems;
use super::routes::Routes;
use super::{Image, MAX_NAME_LEN, RETENTION_DAYS, valid_name};
use crate::fargate;
use crate::names::TARGET_GROUP_NAME_SUFFIX_LEN as NAME_SUFFIX_LEN;
use crate::schema::{Arch, NatMode, Placement, Repository, Service};
use std::collections::{BTreeMap, BTreeSet};

/// What `Validated` keeps of the services: the listener's routing and the image of
/// each service.
pub(super) struct Resolved {
    pub(super) default_service: Option<String>,
    pub(super) rules: BTreeMap<String, (u32, Vec<String>)>,
    pub(super) images: BTreeMap<String, Image>,
}

/// The checks of one service run together, so its problems stay next to each other.
/// `stack` is the stack's name (it prefixes the target group's name), `nat` decides
/// whether private tasks can pull images, and images are resolved against
/// `repositories`.
pub(super) fn check(
    services: &BTreeMap<String, Service>,
    stack: &str,
    nat: NatMode,
    repositories: &BTreeMap<String, Repository>,
    problems: &mut Problems,
) -> Resolved {
    let private_needs_nat = nat == NatMode::None;
    let mut routes = Routes::new(services);
    let mut images = BTreeMap::new();
    for (name, s) in services {
        check_name(stack, name, problems);
        check_task(name, s, private_needs_nat, problems);
        check_target_group(name, s, problems);
        check_deployment(name, s, problems);
        check_secrets(name, s, problems);
        routes.add(name, s, problems);
        if let Some(scaling) = &s.scaling {
            super::scaling::check(name, scaling, !s.routes.is_empty(), problems);
        }
        match parse_image(&s.image, repositories) {
            Ok(image) => {
                if s.build.is_some() && matches!(image, Image::Uri(_)) {
                    problems.push(
                        &key(name, "build"),
                        "`stackctl deploy` pushes what it builds to one of the stack's \
                         repositories: name one in `image` (e.g. image = \"REPOSITORY:TAG\", \
                         with [repositories.REPOSITORY])"
                            .to_string(),
                    );
                }
                images.insert(name.clone(), image);
            }
            Err(message) => problems.push(&key(name, "image"), message),
        }
    }
    Resolved {
        default_service: routes.default_service,
        rules: routes.rules,
        images,
    }
}

fn key(service: &str, k: &str) -> String {
    format!("services.{service}.{k}")
}

fn check_name(stack: &str, name: &str, problems: &mut Problems) {
    if !valid_name(name, 32) {
        problems.push(
            &format!("services.{name}"),
            "service names are lowercase letters, digits and hyphens, starting with a letter"
                .into(),
        );
    } else if stack.len() + 1 + name.len() + NAME_SUFFIX_LEN > MAX_NAME_LEN {
        problems.push(
            &format!("services.{name}"),
            format!(
                "the target group name `{stack}-{name}-xxxx` (stackctl adds a 4-character \
                 suffix so a replacement can exist beside the old group) is longer than \
                 the {MAX_NAME_LEN} characters AWS allows; shorten the stack or service name \
                 to {} characters together",
                MAX_NAME_LEN - 1 - NAME_SUFFIX_LEN
            ),
        );
    }
}

fn check_task(name: &str, s: &Service, private_needs_nat: bool, problems: &mut Problems) {
    if let Some(message) = fargate::cpu_problem(s.cpu) {
        problems.push(&key(name, "cpu"), message);
    }
    if let Some(message) = fargate::memory_problem(s.cpu, s.memory) {
        problems.push(&key(name, "memory"), message);
    }
    if s.spot && s.arch == Arch::Arm64 {
        problems.push(&key(name, "spot"), fargate::SPOT_ARCHITECTURE.into());
    }
    if s.port == Some(0) {
        problems.push(&key(name, "port"), "port 0 is not a port".into());
    }
    if !s.routes.is_empty() && s.port.is_none() {
        problems.push(
            &key(name, "port"),
            "a service with routes needs the container port the load balancer forwards to".into(),
        );
    }
    if s.placement == Placement::Private && private_needs_nat {
        problems.push(
            &key(name, "placement"),
            "private tasks need a NAT gateway to pull images; set network.nat = \"single\" or placement = \"public\"".into(),
        );
    }
    if !RETENTION_DAYS.contains(&s.log_retention_days) {
        problems.push(
            &key(name, "log_retention_days"),
            format!("CloudWatch keeps logs for one of {RETENTION_DAYS:?} days"),
        );
    }
}

/// The deregistration delay and the health check are settings of the service's target
/// group, not of its tasks.
fn check_target_group(name: &str, s: &Service, problems: &mut Problems) {
    if s.deregistration_delay > 3600 {
        problems.push(
            &key(name, "deregistration_delay"),
            "at most 3600 seconds".into(),
        );
    }
    let hc = &s.health_check;
    if !hc.path.starts_with('/') {
        problems.push(&key(name, "health_check.path"), "must start with /".into());
    }
    if !(5..=300).contains(&hc.interval)
        || !(2..=120).contains(&hc.timeout)
        || hc.timeout >= hc.interval
    {
        problems.push(
            &key(name, "health_check"),
            "interval 5-300 s, timeout 2-120 s and shorter than the interval".into(),
        );
    }
    if !(2..=10).contains(&hc.healthy) || !(2..=10).contains(&hc.unhealthy) {
        problems.push(
            &key(name, "health_check"),
            "healthy and unhealthy thresholds are 2 to 10".into(),
        );
    }
}

fn check_deployment(name: &str, s: &Service, problems: &mut Problems) {
    if s.min_healthy_percent > 100 || s.max_percent < 100 || s.max_percent > 200 {
        problems.push(
            &key(name, "min_healthy_percent"),
            "min_healthy_percent is 0-100 and max_percent 100-200".into(),
        );
    }
}

fn check_secrets(name: &str, s: &Service, problems: &mut Problems) {
    for (var, arn) in &s.secrets {
        if !arn.starts_with("arn:") {
            problems.push(
                &key(name, &format!("secrets.{var}")),
                "give the ARN of a Secrets Manager secret or SSM parameter, never the value".into(),
            );
        }
    }
    if let Some(key_arn) = &s.secrets_kms_key
        && !(key_arn.starts_with("arn:") && key_arn.contains(":kms:") && key_arn.contains(":key/"))
    {
        problems.push(
            &key(name, "secrets_kms_key"),
            format!(
                "`{key_arn}` is not the ARN of a KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID); \
                 an alias does not work here, as IAM authorizes kms:Decrypt on the key"
            ),
        );
    }
}

/// `weather:latest` or `weather@sha256:...` names a repository of this stack; anything
/// with a registry host (`a.b/c:tag`) is used as is.
fn parse_image(image: &str, repositories: &BTreeMap<String, Repository>) -> Result<Image, String> {
    if image.is_empty() {
        return Err("empty image".into());
    }
    if image.contains('/') {
        return Ok(Image::Uri(image.to_string()));
    }
    let (repository, reference) = match image.split_once('@') {
        Some((r, digest)) => (r, format!("@{digest}")),
        None => match image.split_once(':') {
            Some((r, tag)) => (r, tag.to_string()),
            None => (image, "latest".to_string()),
        },
    };
    if repositories.contains_key(repository) {
        Ok(Image::Repository {
            repository: repository.to_string(),
            reference,
        })
    } else {
        let known: BTreeSet<&str> = repositories.keys().map(String::as_str).collect();
        Err(format!(
            "`{image}` names no repository of this stack (repositories: {}); add [repositories.{repository}] or give a full image URI such as public.ecr.aws/docker/library/{image}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.into_iter().collect::<Vec<_>>().join(", ")
            }
        ))
    }
}
