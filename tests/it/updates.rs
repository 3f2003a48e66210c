//! Every updatable stack.toml key, one case at a time: edit stack.toml, `plan --json`
//! names exactly the changes expected (address, action, class, fields with their
//! before and after values), apply, the emulator holds the new value, and the next
//! plan is clean.
//!
//! Each test is one group of cases run in sequence on one stack (the base in
//! tests/it/fixtures/updates.toml: HTTPS, two services behind path rules, CloudFront),
//! on its own emulator, so the groups run in parallel and a failure names its group.
//! Cases build on each other: a case's `before` is what the previous one left.

mod harness;
mod probes;

use harness::{Group, case, field};
use probes::Probe;
use serde_json::{Value, json};

const S3_READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const SECRET: &str = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:upd-token";
/// What the execution role may read for SECRET, an ARN without the six random
/// characters AWS ends every secret's ARN with: the pattern that matches them.
const SECRET_GRANTED: &str =
    "arn:aws:secretsmanager:eu-west-2:123456789012:secret:upd-token-??????";
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// What `caching = "optimized"` asks for: the managed policy that caches what the
/// app's Cache-Control headers allow.
const CACHING_OPTIMIZED: &str = "4cc15a8a-d715-48a4-82b8-cc0b614638fe";
const POLICY_2021: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const POLICY_TLS13: &str = "ELBSecurityPolicy-TLS13-1-3-2021-06";

/// A load balancer ingress rule as the plan shows it.
fn anywhere(port: u16, description: &str) -> Value {
    json!({"cidr": "0.0.0.0/0", "description": description, "from_port": port,
           "protocol": "tcp", "to_port": port})
}

fn http_rule(port: u16) -> Value {
    anywhere(port, "HTTP from anywhere")
}

fn https_rule(port: u16) -> Value {
    anywhere(port, "HTTPS from anywhere")
}

/// A service ingress rule (from the load balancer's group) as the plan shows it.
fn from_alb(port: u16) -> Value {
    json!({"description": "from the load balancer", "from_port": port, "protocol": "tcp",
           "source_group": "${security_group.alb.id}", "to_port": port})
}

/// The HTTP listener's redirect, as the plan and as the probe show it.
fn redirect(port: u16) -> Value {
    json!({"port": port, "protocol": "HTTPS", "status": "HTTP_301", "type": "redirect"})
}

fn redirect_live(port: u16) -> Value {
    json!({"port": port.to_string(), "protocol": "HTTPS", "status": "HTTP_301", "type": "redirect"})
}

fn forward(service: &str, port: u16) -> Value {
    json!({"type": "forward", "target_group": format!("upd-{service}:{port}")})
}

/// A service's listener rule, as the probe shows it.
fn rule(service: &str, priority: u32, paths: &[&str], port: u16) -> Value {
    json!({"priority": priority, "paths": paths, "target_group": format!("upd-{service}:{port}")})
}

/// The container of a task definition as the plan shows it.
fn container(service: &str, port: u16, env: Value, secrets: Value) -> Value {
    json!({"environment": env, "log_group": format!("/ecs/upd/{service}"),
           "log_region": "eu-west-2", "log_stream_prefix": service, "name": service,
           "port": port, "secrets": secrets})
}

fn origin(protocol: &str, http_port: u16, https_port: u16) -> Value {
    json!({"protocol": protocol, "http_port": http_port, "https_port": https_port})
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_network_security_group_rules() {
    let ingress = |before: Value, after: Value| field("ingress").before(before).after(after);
    let mut group = Group::start().await;
    group
        .run(vec![
            case("http port: one ingress rule removed, one added")
                .set("load_balancer.http_port", json!(8080))
                .update(
                    "security_group.alb",
                    "in_place",
                    vec![ingress(
                        json!([http_rule(80), https_rule(443)]),
                        json!([https_rule(443), http_rule(8080)]),
                    )],
                )
                .update(
                    "listener.http",
                    "in_place",
                    vec![field("port").before(json!(80)).after(json!(8080))],
                )
                .update(
                    "cloudfront_distribution.main",
                    "in_place",
                    vec![
                        field("origin_http_port")
                            .before(json!(80))
                            .after(json!(8080)),
                    ],
                )
                .check(
                    Probe::Ingress("alb"),
                    json!(["tcp/443 0.0.0.0/0", "tcp/80 0.0.0.0/0"]),
                    json!(["tcp/443 0.0.0.0/0", "tcp/8080 0.0.0.0/0"]),
                )
                .check(
                    Probe::Listeners,
                    json!(["HTTP:80", "HTTPS:443"]),
                    json!(["HTTP:8080", "HTTPS:443"]),
                )
                .check(
                    Probe::Cdn("origin"),
                    origin("https-only", 80, 443),
                    origin("https-only", 8080, 443),
                ),
            case("https port: the HTTPS rule moves, HTTP redirects to the new port")
                .set("load_balancer.https.port", json!(8443))
                .update(
                    "security_group.alb",
                    "in_place",
                    vec![ingress(
                        json!([https_rule(443), http_rule(8080)]),
                        json!([http_rule(8080), https_rule(8443)]),
                    )],
                )
                .update(
                    "listener.https",
                    "in_place",
                    vec![field("port").before(json!(443)).after(json!(8443))],
                )
                .update(
                    "listener.http",
                    "in_place",
                    vec![
                        field("default_action")
                            .before(redirect(443))
                            .after(redirect(8443)),
                    ],
                )
                .update(
                    "cloudfront_distribution.main",
                    "in_place",
                    vec![
                        field("origin_https_port")
                            .before(json!(443))
                            .after(json!(8443)),
                    ],
                )
                .check(
                    Probe::Ingress("alb"),
                    json!(["tcp/443 0.0.0.0/0", "tcp/8080 0.0.0.0/0"]),
                    json!(["tcp/8080 0.0.0.0/0", "tcp/8443 0.0.0.0/0"]),
                )
                .check(
                    Probe::Listeners,
                    json!(["HTTP:8080", "HTTPS:443"]),
                    json!(["HTTP:8080", "HTTPS:8443"]),
                )
                .check(
                    Probe::ListenerAction(8080),
                    redirect_live(443),
                    redirect_live(8443),
                )
                .check(
                    Probe::Cdn("origin"),
                    origin("https-only", 8080, 443),
                    origin("https-only", 8080, 8443),
                ),
            case("https removed: its ingress rule is revoked")
                .remove("load_balancer.https")
                .update(
                    "security_group.alb",
                    "in_place",
                    vec![ingress(
                        json!([http_rule(8080), https_rule(8443)]),
                        json!([http_rule(8080)]),
                    )],
                )
                .update(
                    "listener.http",
                    "in_place",
                    vec![
                        field("default_action").before(redirect(8443)).after(
                            json!({"target_group_arn": "${target_group.web.id}", "type": "forward"}),
                        ),
                    ],
                )
                .update(
                    "cloudfront_distribution.main",
                    "in_place",
                    vec![
                        field("origin_protocol")
                            .before(json!("https-only"))
                            .after(json!("http-only")),
                        field("origin_https_port")
                            .before(json!(8443))
                            .after(json!(443)),
                    ],
                )
                .create("listener_rule.api-http")
                .delete("listener_rule.api-https")
                .delete("listener.https")
                .check(
                    Probe::Ingress("alb"),
                    json!(["tcp/8080 0.0.0.0/0", "tcp/8443 0.0.0.0/0"]),
                    json!(["tcp/8080 0.0.0.0/0"]),
                )
                .check(
                    Probe::Listeners,
                    json!(["HTTP:8080", "HTTPS:8443"]),
                    json!(["HTTP:8080"]),
                )
                .check(
                    Probe::ListenerAction(8080),
                    redirect_live(8443),
                    forward("web", 5000),
                )
                .check(
                    Probe::Rules(8080),
                    json!([]),
                    json!([rule("api", 10, &["/api/*"], 8080)]),
                )
                .check(
                    Probe::Cdn("origin"),
                    origin("https-only", 8080, 8443),
                    origin("http-only", 8080, 443),
                ),
            case("https added back: its ingress rule is authorized")
                .set(
                    "load_balancer.https",
                    json!({"certificate_arn": "${cert}", "port": 443, "redirect_http": true}),
                )
                .update(
                    "security_group.alb",
                    "in_place",
                    vec![ingress(
                        json!([http_rule(8080)]),
                        json!([https_rule(443), http_rule(8080)]),
                    )],
                )
                .update(
                    "listener.http",
                    "in_place",
                    vec![
                        field("default_action")
                            .before(json!({"target_group_arn": "${target_group.web.id}", "type": "forward"}))
                            .after(redirect(443)),
                    ],
                )
                .update(
                    "cloudfront_distribution.main",
                    "in_place",
                    vec![
                        field("origin_protocol")
                            .before(json!("http-only"))
                            .after(json!("https-only")),
                    ],
                )
                .create("listener.https")
                .create("listener_rule.api-https")
                .delete("listener_rule.api-http")
                .check(
                    Probe::Ingress("alb"),
                    json!(["tcp/8080 0.0.0.0/0"]),
                    json!(["tcp/443 0.0.0.0/0", "tcp/8080 0.0.0.0/0"]),
                )
                .check(
                    Probe::ListenerCertificate(443),
                    json!(null),
                    json!("${cert}"),
                )
                .check(
                    Probe::ListenerSslPolicy(443),
                    json!(null),
                    json!(POLICY_2021),
                )
                .check(
                    Probe::Rules(443),
                    json!(null),
                    json!([rule("api", 10, &["/api/*"], 8080)]),
                )
                .check(
                    Probe::Rules(8080),
                    json!([rule("api", 10, &["/api/*"], 8080)]),
                    json!([]),
                ),
        ])
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_service_and_task_definition() {
    let new_revision = || {
        field("task_definition")
            .before(json!("${task_definition.web.id}"))
            .after_apply()
    };
    let mut group = Group::start().await;
    group
        .run(vec![
            case("desired count")
                .set("services.web.desired_count", json!(3))
                .update(
                    "ecs_service.web",
                    "in_place",
                    vec![field("desired_count").before(json!(2)).after(json!(3))],
                )
                .check(Probe::DesiredCount("web"), json!(2), json!(3)),
            case("health check grace period")
                .set("services.web.grace_period", json!(120))
                .update(
                    "ecs_service.web",
                    "in_place",
                    vec![
                        field("health_check_grace_period")
                            .before(json!(60))
                            .after(json!(120)),
                    ],
                )
                .check(Probe::GracePeriod("web"), json!(60), json!(120)),
            case("circuit breaker off")
                .set("services.web.circuit_breaker", json!(false))
                .update(
                    "ecs_service.web",
                    "in_place",
                    vec![
                        field("circuit_breaker")
                            .before(json!(true))
                            .after(json!(false)),
                    ],
                )
                .check(
                    Probe::Deployment("web"),
                    json!({"circuit_breaker": {"enable": true, "rollback": true},
                           "min_healthy_percent": 100, "max_percent": 200}),
                    json!({"circuit_breaker": {"enable": false, "rollback": false},
                           "min_healthy_percent": 100, "max_percent": 200}),
                ),
            case("minimum healthy and maximum percent")
                .set("services.web.min_healthy_percent", json!(50))
                .set("services.web.max_percent", json!(150))
                .update(
                    "ecs_service.web",
                    "in_place",
                    vec![
                        field("min_healthy_percent")
                            .before(json!(100))
                            .after(json!(50)),
                        field("max_percent").before(json!(200)).after(json!(150)),
                    ],
                )
                .check(
                    Probe::Deployment("web"),
                    json!({"circuit_breaker": {"enable": false, "rollback": false},
                           "min_healthy_percent": 100, "max_percent": 200}),
                    json!({"circuit_breaker": {"enable": false, "rollback": false},
                           "min_healthy_percent": 50, "max_percent": 150}),
                ),
            case("placement public: subnets and public IP")
                .set("services.web.placement", json!("public"))
                .update(
                    "ecs_service.web",
                    "in_place",
                    vec![
                        field("assign_public_ip")
                            .before(json!(false))
                            .after(json!(true)),
                        field("subnets"),
                    ],
                )
                .check(
                    Probe::Network("web"),
                    json!({"public_ip": "DISABLED", "subnets": ["subnet.private-0", "subnet.private-1"]}),
                    json!({"public_ip": "ENABLED", "subnets": ["subnet.public-0", "subnet.public-1"]}),
                ),
            case("image tag: deploy only")
                .set("services.web.image", json!("app:1.1"))
                .replace(
                    "task_definition.web",
                    "deploy_only",
                    vec![
                        field("image")
                            .before(json!("${ecr_repository.app.uri}:1.0"))
                            .after(json!("${ecr_repository.app.uri}:1.1"))
                            .forces(),
                    ],
                )
                .update("ecs_service.web", "deploy_only", vec![new_revision()])
                .check(
                    Probe::Image("web"),
                    json!("${ecr_repository.app.uri}:1.0"),
                    json!("${ecr_repository.app.uri}:1.1"),
                )
                .check(
                    Probe::Revisions("web"),
                    json!({"running": 1, "active": [1]}),
                    json!({"running": 2, "active": [1, 2]}),
                ),
            case("cpu and memory: a new revision")
                .set("services.web.cpu", json!(512))
                .set("services.web.memory", json!(1024))
                .replace(
                    "task_definition.web",
                    "replacement",
                    vec![
                        field("cpu").before(json!("256")).after(json!("512")).forces(),
                        field("memory")
                            .before(json!("512"))
                            .after(json!("1024"))
                            .forces(),
                    ],
                )
                .update("ecs_service.web", "in_place", vec![new_revision()])
                .check(Probe::TaskSize("web"), json!("256/512"), json!("512/1024"))
                .check(
                    Probe::Revisions("web"),
                    json!({"running": 2, "active": [1, 2]}),
                    json!({"running": 3, "active": [1, 2, 3]}),
                ),
            case("environment: a new revision, the oldest retired")
                .set(
                    "services.web.env",
                    json!({"MODE": "next", "FEATURE": "on"}),
                )
                .replace(
                    "task_definition.web",
                    "replacement",
                    vec![
                        field("container")
                            .before(container("web", 5000, json!({"MODE": "base"}), json!({})))
                            .after(container(
                                "web",
                                5000,
                                json!({"FEATURE": "on", "MODE": "next"}),
                                json!({}),
                            ))
                            .forces(),
                    ],
                )
                .update("ecs_service.web", "in_place", vec![new_revision()])
                .check(
                    Probe::Env("web"),
                    json!({"MODE": "base"}),
                    json!({"FEATURE": "on", "MODE": "next"}),
                )
                .check(
                    Probe::Revisions("web"),
                    json!({"running": 3, "active": [1, 2, 3]}),
                    json!({"running": 4, "active": [2, 3, 4]}),
                ),
            case("secret: a new revision, and the execution role may read it")
                .set("services.web.secrets", json!({"TOKEN": SECRET}))
                .update(
                    "iam_role.execution",
                    "in_place",
                    vec![
                        field("readable_secrets")
                            .before(json!([]))
                            .after(json!([SECRET_GRANTED])),
                    ],
                )
                .replace(
                    "task_definition.web",
                    "replacement",
                    vec![
                        field("container")
                            .before(container(
                                "web",
                                5000,
                                json!({"FEATURE": "on", "MODE": "next"}),
                                json!({}),
                            ))
                            .after(container(
                                "web",
                                5000,
                                json!({"FEATURE": "on", "MODE": "next"}),
                                json!({"TOKEN": SECRET}),
                            ))
                            .forces(),
                    ],
                )
                .update("ecs_service.web", "in_place", vec![new_revision()])
                .check(Probe::Secrets("web"), json!({}), json!({"TOKEN": SECRET}))
                .check(Probe::ReadableSecrets, json!([]), json!([SECRET_GRANTED]))
                .check(
                    Probe::Revisions("web"),
                    json!({"running": 4, "active": [2, 3, 4]}),
                    json!({"running": 5, "active": [3, 4, 5]}),
                ),
            case("architecture: a new revision")
                .set("services.web.arch", json!("arm64"))
                .replace(
                    "task_definition.web",
                    "replacement",
                    vec![
                        field("cpu_architecture")
                            .before(json!("X86_64"))
                            .after(json!("ARM64"))
                            .forces(),
                    ],
                )
                .update("ecs_service.web", "in_place", vec![new_revision()])
                .check(Probe::Arch("web"), json!("X86_64"), json!("ARM64"))
                .check(
                    Probe::Revisions("web"),
                    json!({"running": 5, "active": [3, 4, 5]}),
                    json!({"running": 6, "active": [4, 5, 6]}),
                ),
            case("task role added: created before the revision that uses it")
                .set("services.web.task_role_policies", json!([S3_READ_ONLY]))
                .create("iam_role.web-task")
                .replace(
                    "task_definition.web",
                    "replacement",
                    vec![
                        field("task_role_arn")
                            .before(json!(null))
                            .after_apply()
                            .forces(),
                    ],
                )
                .update("ecs_service.web", "in_place", vec![new_revision()])
                .check(
                    Probe::TaskRole("web"),
                    json!(null),
                    json!({"role": "upd-web-task", "policies": [S3_READ_ONLY]}),
                )
                .check(
                    Probe::Revisions("web"),
                    json!({"running": 6, "active": [4, 5, 6]}),
                    json!({"running": 7, "active": [5, 6, 7]}),
                ),
            case("task role removed: deleted after the revision that drops it")
                .set("services.web.task_role_policies", json!([]))
                .delete("iam_role.web-task")
                .replace(
                    "task_definition.web",
                    "replacement",
                    vec![
                        field("task_role_arn")
                            .before(json!("${iam_role.web-task.arn}"))
                            .after(json!(null))
                            .forces(),
                    ],
                )
                .update("ecs_service.web", "in_place", vec![new_revision()])
                .check(
                    Probe::TaskRole("web"),
                    json!({"role": "upd-web-task", "policies": [S3_READ_ONLY]}),
                    json!(null),
                )
                .check(
                    Probe::Revisions("web"),
                    json!({"running": 7, "active": [5, 6, 7]}),
                    json!({"running": 8, "active": [6, 7, 8]}),
                ),
        ])
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_load_balancer_target_groups_listeners_rules() {
    // path, interval, timeout, healthy, unhealthy, matcher
    type Health = (&'static str, u32, u32, u32, u32, &'static str);
    const HEALTH: Health = ("/health", 30, 5, 3, 3, "200-399");
    const HEALTH2: Health = ("/healthz", 15, 10, 2, 4, "200");
    let health = |(path, interval, timeout, healthy, unhealthy, matcher): Health| {
        json!({"healthy_threshold": healthy, "interval": interval, "matcher": matcher,
               "path": path, "timeout": timeout, "unhealthy_threshold": unhealthy})
    };
    let health_live = |(path, interval, timeout, healthy, unhealthy, matcher): Health| {
        json!({"path": path, "interval": interval, "timeout": timeout, "healthy": healthy,
               "unhealthy": unhealthy, "matcher": matcher})
    };
    let not_found = json!({"body": "Not found", "status": 404, "type": "fixed_response"});
    let web_rule = rule("web", 5, &["/web/*"], 5000);
    let api_rule = |priority| rule("api", priority, &["/api/*", "/v2/*"], 8081);
    let admin_rule = |priority| rule("admin", priority, &["/admin/*"], 9000);
    let mut group = Group::start().await;
    group
        .run(vec![
            case("target group health check")
                .set("services.web.health_check.path", json!("/healthz"))
                .set("services.web.health_check.interval", json!(15))
                .set("services.web.health_check.timeout", json!(10))
                .set("services.web.health_check.healthy", json!(2))
                .set("services.web.health_check.unhealthy", json!(4))
                .set("services.web.health_check.matcher", json!("200"))
                .update(
                    "target_group.web",
                    "in_place",
                    vec![
                        field("health_check")
                            .before(health(HEALTH))
                            .after(health(HEALTH2)),
                    ],
                )
                .check(
                    Probe::HealthCheck("web"),
                    health_live(HEALTH),
                    health_live(HEALTH2),
                ),
            case("target group deregistration delay")
                .set("services.web.deregistration_delay", json!(10))
                .update(
                    "target_group.web",
                    "in_place",
                    vec![
                        field("deregistration_delay")
                            .before(json!(30))
                            .after(json!(10)),
                    ],
                )
                .check(Probe::DeregistrationDelay("web"), json!(30), json!(10)),
            case("load balancer idle timeout")
                .set("load_balancer.idle_timeout", json!(120))
                .update(
                    "load_balancer.main",
                    "in_place",
                    vec![field("idle_timeout").before(json!(60)).after(json!(120))],
                )
                .check(Probe::IdleTimeout, json!(60), json!(120)),
            case("listener default action: HTTP forwards instead of redirecting")
                .set("load_balancer.https.redirect_http", json!(false))
                .update(
                    "listener.http",
                    "in_place",
                    vec![field("default_action").before(redirect(443)).after(
                        json!({"target_group_arn": "${target_group.web.id}", "type": "forward"}),
                    )],
                )
                .create("listener_rule.api-http")
                .check(
                    Probe::ListenerAction(80),
                    redirect_live(443),
                    forward("web", 5000),
                )
                .check(
                    Probe::Rules(80),
                    json!([]),
                    json!([rule("api", 10, &["/api/*"], 8080)]),
                ),
            case("listener certificate")
                .set("load_balancer.https.certificate_arn", json!("${cert2}"))
                .update(
                    "listener.https",
                    "in_place",
                    vec![
                        field("certificate_arn")
                            .before(json!("${cert}"))
                            .after(json!("${cert2}")),
                    ],
                )
                .check(
                    Probe::ListenerCertificate(443),
                    json!("${cert}"),
                    json!("${cert2}"),
                ),
            case("listener security policy")
                .set("load_balancer.https.ssl_policy", json!(POLICY_TLS13))
                .update(
                    "listener.https",
                    "in_place",
                    vec![
                        field("ssl_policy")
                            .before(json!(POLICY_2021))
                            .after(json!(POLICY_TLS13)),
                    ],
                )
                .check(
                    Probe::ListenerSslPolicy(443),
                    json!(POLICY_2021),
                    json!(POLICY_TLS13),
                ),
            case("listener rule paths")
                .set("services.api.routes", json!(["/api/*", "/v2/*"]))
                .update(
                    "listener_rule.api-http",
                    "in_place",
                    vec![
                        field("paths")
                            .before(json!(["/api/*"]))
                            .after(json!(["/api/*", "/v2/*"])),
                    ],
                )
                .update(
                    "listener_rule.api-https",
                    "in_place",
                    vec![
                        field("paths")
                            .before(json!(["/api/*"]))
                            .after(json!(["/api/*", "/v2/*"])),
                    ],
                )
                .check(
                    Probe::Rules(80),
                    json!([rule("api", 10, &["/api/*"], 8080)]),
                    json!([rule("api", 10, &["/api/*", "/v2/*"], 8080)]),
                )
                .check(
                    Probe::Rules(443),
                    json!([rule("api", 10, &["/api/*"], 8080)]),
                    json!([rule("api", 10, &["/api/*", "/v2/*"], 8080)]),
                ),
            case("listener rule priority")
                .set("services.api.priority", json!(20))
                .update(
                    "listener_rule.api-http",
                    "in_place",
                    vec![field("priority").before(json!(10)).after(json!(20))],
                )
                .update(
                    "listener_rule.api-https",
                    "in_place",
                    vec![field("priority").before(json!(10)).after(json!(20))],
                )
                .check(
                    Probe::Rules(80),
                    json!([rule("api", 10, &["/api/*", "/v2/*"], 8080)]),
                    json!([rule("api", 20, &["/api/*", "/v2/*"], 8080)]),
                )
                .check(
                    Probe::Rules(443),
                    json!([rule("api", 10, &["/api/*", "/v2/*"], 8080)]),
                    json!([rule("api", 20, &["/api/*", "/v2/*"], 8080)]),
                ),
            case("service port: the target group is replaced, the rest follows in place")
                .set("services.api.port", json!(8081))
                .replace(
                    "target_group.api",
                    "replacement",
                    vec![
                        field("name").forces(),
                        field("port")
                            .before(json!(8080))
                            .after(json!(8081))
                            .forces(),
                    ],
                )
                .replace(
                    "task_definition.api",
                    "replacement",
                    vec![
                        field("container")
                            .before(container("api", 8080, json!({}), json!({})))
                            .after(container("api", 8081, json!({}), json!({})))
                            .forces(),
                    ],
                )
                .update(
                    "security_group.api",
                    "in_place",
                    vec![
                        field("ingress")
                            .before(json!([from_alb(8080)]))
                            .after(json!([from_alb(8081)])),
                    ],
                )
                .update(
                    "listener_rule.api-http",
                    "in_place",
                    vec![
                        field("target_group_arn")
                            .before(json!("${target_group.api.id}"))
                            .after_apply(),
                    ],
                )
                .update(
                    "listener_rule.api-https",
                    "in_place",
                    vec![
                        field("target_group_arn")
                            .before(json!("${target_group.api.id}"))
                            .after_apply(),
                    ],
                )
                .update(
                    "ecs_service.api",
                    "in_place",
                    vec![
                        field("load_balancer")
                            .before(json!({"container_name": "api", "container_port": 8080,
                                           "target_group_arn": "${target_group.api.id}"}))
                            .after_apply(),
                        field("task_definition")
                            .before(json!("${task_definition.api.id}"))
                            .after_apply(),
                    ],
                )
                .check(Probe::TargetGroupPorts("api"), json!([8080]), json!([8081]))
                .check(
                    Probe::ServiceTarget("api"),
                    json!({"target_group": "upd-api:8080", "container_port": 8080}),
                    json!({"target_group": "upd-api:8081", "container_port": 8081}),
                )
                .check(Probe::ContainerPort("api"), json!(8080), json!(8081))
                .check(
                    Probe::Ingress("api"),
                    json!(["tcp/8080 from upd-alb"]),
                    json!(["tcp/8081 from upd-alb"]),
                )
                .check(
                    Probe::Rules(443),
                    json!([rule("api", 20, &["/api/*", "/v2/*"], 8080)]),
                    json!([rule("api", 20, &["/api/*", "/v2/*"], 8081)]),
                )
                .check(
                    Probe::Revisions("api"),
                    json!({"running": 1, "active": [1]}),
                    json!({"running": 2, "active": [1, 2]}),
                ),
            case("listener default action: no default service, a fixed 404")
                .set("services.web.routes", json!(["/web/*"]))
                .set("services.web.priority", json!(5))
                .update(
                    "listener.http",
                    "in_place",
                    vec![
                        field("default_action")
                            .before(json!({"target_group_arn": "${target_group.web.id}", "type": "forward"}))
                            .after(not_found.clone()),
                    ],
                )
                .update(
                    "listener.https",
                    "in_place",
                    vec![
                        field("default_action")
                            .before(json!({"target_group_arn": "${target_group.web.id}", "type": "forward"}))
                            .after(not_found.clone()),
                    ],
                )
                .create("listener_rule.web-http")
                .create("listener_rule.web-https")
                .check(
                    Probe::ListenerAction(80),
                    forward("web", 5000),
                    json!({"type": "fixed-response", "status": "404", "body": "Not found"}),
                )
                .check(
                    Probe::ListenerAction(443),
                    forward("web", 5000),
                    json!({"type": "fixed-response", "status": "404", "body": "Not found"}),
                )
                .check(
                    Probe::Rules(443),
                    json!([rule("api", 20, &["/api/*", "/v2/*"], 8081)]),
                    json!([
                        rule("web", 5, &["/web/*"], 5000),
                        rule("api", 20, &["/api/*", "/v2/*"], 8081)
                    ]),
                ),
            case("a third routed service: its target group and rules are created")
                .set(
                    "services.admin",
                    json!({"image": "app:admin-1.0", "port": 9000, "desired_count": 1,
                           "routes": ["/admin/*"], "priority": 30}),
                )
                .create("log_group.admin")
                .create("security_group.admin")
                .create("target_group.admin")
                .create("task_definition.admin")
                .create("listener_rule.admin-http")
                .create("listener_rule.admin-https")
                .create("ecs_service.admin")
                .check(Probe::TargetGroupPorts("admin"), json!([]), json!([9000]))
                .check(
                    Probe::Rules(443),
                    json!([web_rule.clone(), api_rule(20)]),
                    json!([web_rule.clone(), api_rule(20), admin_rule(30)]),
                ),
            case("listener rule priorities swapped between two services")
                .set("services.api.priority", json!(30))
                .set("services.admin.priority", json!(20))
                .update(
                    "listener_rule.api-http",
                    "in_place",
                    vec![field("priority").before(json!(20)).after(json!(30))],
                )
                .update(
                    "listener_rule.api-https",
                    "in_place",
                    vec![field("priority").before(json!(20)).after(json!(30))],
                )
                .update(
                    "listener_rule.admin-http",
                    "in_place",
                    vec![field("priority").before(json!(30)).after(json!(20))],
                )
                .update(
                    "listener_rule.admin-https",
                    "in_place",
                    vec![field("priority").before(json!(30)).after(json!(20))],
                )
                .check(
                    Probe::Rules(80),
                    json!([web_rule.clone(), api_rule(20), admin_rule(30)]),
                    json!([web_rule.clone(), admin_rule(20), api_rule(30)]),
                )
                .check(
                    Probe::Rules(443),
                    json!([web_rule.clone(), api_rule(20), admin_rule(30)]),
                    json!([web_rule.clone(), admin_rule(20), api_rule(30)]),
                ),
            case("a service renamed: the new rule takes the old one's priority")
                .remove("services.admin")
                .set(
                    "services.ops",
                    json!({"image": "app:admin-1.0", "port": 9000, "desired_count": 1,
                           "routes": ["/admin/*"], "priority": 20}),
                )
                .delete("log_group.admin")
                .delete("security_group.admin")
                .delete("target_group.admin")
                .delete("task_definition.admin")
                .delete("listener_rule.admin-http")
                .delete("listener_rule.admin-https")
                .delete("ecs_service.admin")
                .create("log_group.ops")
                .create("security_group.ops")
                .create("target_group.ops")
                .create("task_definition.ops")
                .create("listener_rule.ops-http")
                .create("listener_rule.ops-https")
                .create("ecs_service.ops")
                .check(Probe::TargetGroupPorts("admin"), json!([9000]), json!([]))
                .check(Probe::TargetGroupPorts("ops"), json!([]), json!([9000]))
                .check(
                    Probe::Rules(443),
                    json!([web_rule.clone(), admin_rule(20), api_rule(30)]),
                    json!([
                        web_rule.clone(),
                        rule("ops", 20, &["/admin/*"], 9000),
                        api_rule(30)
                    ]),
                ),
        ])
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_cdn() {
    const CDN: &str = "cloudfront_distribution.main";
    let names = json!(["upd.example.com", "www.upd.example.com"]);
    let mut group = Group::start().await;
    group
        .run(vec![
            case("viewer protocol")
                .set("cdn.viewer_protocol", json!("https-only"))
                .update(
                    CDN,
                    "in_place",
                    vec![
                        field("viewer_protocol")
                            .before(json!("redirect-to-https"))
                            .after(json!("https-only")),
                    ],
                )
                .check(
                    Probe::Cdn("viewer_protocol"),
                    json!("redirect-to-https"),
                    json!("https-only"),
                ),
            case("caching")
                .set("cdn.caching", json!("optimized"))
                .update(
                    CDN,
                    "in_place",
                    vec![
                        field("cache_policy_id")
                            .before(json!(CACHING_DISABLED))
                            .after(json!(CACHING_OPTIMIZED)),
                    ],
                )
                .check(
                    Probe::Cdn("cache_policy"),
                    json!(CACHING_DISABLED),
                    json!(CACHING_OPTIMIZED),
                ),
            case("price class")
                .set("cdn.price_class", json!("PriceClass_All"))
                .update(
                    CDN,
                    "in_place",
                    vec![
                        field("price_class")
                            .before(json!("PriceClass_100"))
                            .after(json!("PriceClass_All")),
                    ],
                )
                .check(
                    Probe::Cdn("price_class"),
                    json!("PriceClass_100"),
                    json!("PriceClass_All"),
                ),
            case("aliases with their certificate changed")
                .set(
                    "cdn.aliases",
                    json!(["www.upd.example.com", "upd.example.com"]),
                )
                .set("cdn.certificate_arn", json!("${cdn_cert2}"))
                .update(
                    CDN,
                    "in_place",
                    vec![
                        field("aliases")
                            .before(json!(["app.example.com"]))
                            .after(names.clone()),
                        field("certificate_arn")
                            .before(json!("${cdn_cert}"))
                            .after(json!("${cdn_cert2}")),
                    ],
                )
                .check(
                    Probe::Cdn("aliases"),
                    json!(["app.example.com"]),
                    names.clone(),
                )
                .check(
                    Probe::Cdn("certificate"),
                    json!("${cdn_cert}"),
                    json!("${cdn_cert2}"),
                ),
            // Without HTTPS at the load balancer, CloudFront needs no aliases (with it,
            // validate refuses to drop them): both go in one edit.
            case("https at the load balancer, aliases and certificate removed")
                .remove("load_balancer.https")
                .remove("cdn.aliases")
                .remove("cdn.certificate_arn")
                .update(
                    CDN,
                    "in_place",
                    vec![
                        field("origin_protocol")
                            .before(json!("https-only"))
                            .after(json!("http-only")),
                        field("aliases").before(names.clone()).after(json!([])),
                        field("certificate_arn")
                            .before(json!("${cdn_cert2}"))
                            .after(json!(null)),
                        field("minimum_tls")
                            .before(json!("TLSv1.2_2021"))
                            .after(json!(null)),
                    ],
                )
                .update(
                    "security_group.alb",
                    "in_place",
                    vec![
                        field("ingress")
                            .before(json!([http_rule(80), https_rule(443)]))
                            .after(json!([http_rule(80)])),
                    ],
                )
                .update(
                    "listener.http",
                    "in_place",
                    vec![field("default_action").before(redirect(443)).after(
                        json!({"target_group_arn": "${target_group.web.id}", "type": "forward"}),
                    )],
                )
                .create("listener_rule.api-http")
                .delete("listener_rule.api-https")
                .delete("listener.https")
                .check(Probe::Cdn("aliases"), names.clone(), json!([]))
                .check(
                    Probe::Cdn("certificate"),
                    json!("${cdn_cert2}"),
                    json!(null),
                )
                .check(
                    Probe::Cdn("minimum_tls"),
                    json!("TLSv1.2_2021"),
                    json!(null),
                )
                .check(
                    Probe::Cdn("origin"),
                    origin("https-only", 80, 443),
                    origin("http-only", 80, 443),
                )
                .check(
                    Probe::Listeners,
                    json!(["HTTP:80", "HTTPS:443"]),
                    json!(["HTTP:80"]),
                ),
        ])
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_repositories_logs_cluster() {
    let mut group = Group::start().await;
    group
        .run(vec![
            // Only off -> on: the emulator cannot turn it off (see the fixture).
            case("repository scan on push")
                .set("repositories.app.scan_on_push", json!(true))
                .update(
                    "ecr_repository.app",
                    "in_place",
                    vec![
                        field("scan_on_push")
                            .before(json!(false))
                            .after(json!(true)),
                    ],
                )
                .check(Probe::ScanOnPush, json!(false), json!(true)),
            case("repository tag mutability")
                .set("repositories.app.tag_mutability", json!("immutable"))
                .update(
                    "ecr_repository.app",
                    "in_place",
                    vec![
                        field("tag_mutability")
                            .before(json!("MUTABLE"))
                            .after(json!("IMMUTABLE")),
                    ],
                )
                .check(Probe::TagMutability, json!("MUTABLE"), json!("IMMUTABLE")),
            case("repository lifecycle: keep fewer images")
                .set("repositories.app.keep_images", json!(10))
                .update(
                    "ecr_repository.app",
                    "in_place",
                    vec![field("keep_images").before(json!(30)).after(json!(10))],
                )
                .check(Probe::KeepImages, json!(30), json!(10)),
            case("repository lifecycle: keep all images")
                .set("repositories.app.keep_images", json!(0))
                .update(
                    "ecr_repository.app",
                    "in_place",
                    vec![field("keep_images").before(json!(10)).after(json!(null))],
                )
                .check(Probe::KeepImages, json!(10), json!(null)),
            case("log retention")
                .set("services.web.log_retention_days", json!(90))
                .update(
                    "log_group.web",
                    "in_place",
                    vec![field("retention_days").before(json!(30)).after(json!(90))],
                )
                .check(Probe::LogRetention("web"), json!(30), json!(90)),
            case("cluster container insights off")
                .set("cluster.container_insights", json!(false))
                .update(
                    "ecs_cluster.main",
                    "in_place",
                    vec![
                        field("container_insights")
                            .before(json!(true))
                            .after(json!(false)),
                    ],
                )
                .check(
                    Probe::ContainerInsights,
                    json!("enabled"),
                    json!("disabled"),
                ),
        ])
        .await;
}
