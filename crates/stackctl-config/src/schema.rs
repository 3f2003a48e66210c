//! The serde types of stack.toml. Every table denies unknown keys (a typo must not
//! silently fall back to a default) and every default is one a careful operator
//! would pick; docs/stack-toml.md lists them all.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A stack: the network, the containers and what serves them, for `stackctl`. Every
/// key, its default and what it does: docs/stack-toml.md.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "stack.toml")]
pub struct Config {
    pub stack: Stack,
    #[serde(default)]
    pub network: Network,
    #[serde(default)]
    pub cluster: Cluster,
    #[serde(default)]
    pub repositories: BTreeMap<String, Repository>,
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
    #[serde(default)]
    pub load_balancer: LoadBalancer,
    #[serde(default)]
    pub cdn: Cdn,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Domain>,
    #[serde(default)]
    pub alarms: Alarms,
    #[serde(default)]
    pub state: StateSettings,
    /// Deployments of this stack that differ in a few values (`--env NAME` picks one):
    /// each table overrides keys of this file in its own shape, e.g.
    /// `services.web.desired_count = 4`. Each is its own stack, named
    /// `<stack.name>-<env>`, with its own state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "environments_schema")]
    pub environments: BTreeMap<String, toml::Table>,
}

fn environments_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "description": "Overrides of this file's keys, in its shape (checked once merged)."
        }
    })
}

/// `[domain]`: the stack answers over HTTPS at `name`. stackctl requests ACM
/// certificates for it (the load balancer's in the stack's region, CloudFront's in
/// us-east-1), validates them through a record in `zone`, and points `name` at
/// CloudFront (or at the load balancer without a CDN) with alias records.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// Where the app answers: `app.example.com`, or the zone's own name.
    pub name: String,
    /// An existing public Route 53 hosted zone that holds `name`, found by its name.
    /// stackctl never creates or deletes it.
    pub zone: String,
}

/// `[alarms]`: CloudWatch alarms on the routed services and the load balancer, on
/// by default wherever there is a load balancer. The thresholds are per minute (or
/// percent) and documented with their evaluation windows in docs/stack-toml.md.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Alarms {
    pub enabled: bool,
    /// Addresses an SNS topic `{stack}-alarms` emails when an alarm fires or clears.
    pub email: Vec<String>,
    /// A service's tasks average above this CPU percent for 5 minutes.
    pub cpu: u32,
    /// A service's targets answer more than this many 5xx a minute for 3 minutes.
    pub target_5xx: u32,
    /// The load balancer answers more than this many 5xx of its own a minute for 3
    /// minutes.
    pub alb_5xx: u32,
    /// A deploy that raises its service's 5xx alarm is rolled back by ECS.
    pub rollback: bool,
}

impl Default for Alarms {
    fn default() -> Self {
        Alarms {
            enabled: true,
            email: Vec::new(),
            cpu: 85,
            target_5xx: 10,
            alb_5xx: 10,
            rollback: true,
        }
    }
}

/// Where the state is kept. The local file suits one person on one machine; a team
/// or a CI pipeline, whose runners are thrown away after each job, keeps it in S3.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct StateSettings {
    pub backend: Backend,
    /// The local file, relative to stack.toml [default: <stack file>.state.json].
    pub path: Option<String>,
    /// The S3 bucket (needed for `backend = "s3"`, and by `state migrate --to s3`).
    pub bucket: Option<String>,
    /// The object key in the bucket [default: stackctl/<stack name>.state.json].
    pub key: Option<String>,
    /// The bucket's region [default: the stack's region].
    pub region: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Local,
    S3,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// Prefixes every AWS name and is the value of the `stackctl:stack` tag.
    pub name: String,
    /// Falls back to AWS_REGION / AWS_DEFAULT_REGION when absent.
    pub region: Option<String>,
    /// User tags on every taggable object, next to stackctl's own; changed in place.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Network {
    pub cidr: String,
    pub azs: Azs,
    pub nat: NatMode,
    pub public_subnets: Option<Vec<String>>,
    pub private_subnets: Option<Vec<String>>,
    /// VPC flow logs into a CloudWatch log group; off unless asked for (they cost
    /// per GB ingested).
    pub flow_logs: FlowLogs,
    pub flow_logs_retention_days: u32,
}

/// Which traffic VPC flow logs record.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FlowLogs {
    Off,
    All,
    Accepted,
    Rejected,
}

impl FlowLogs {
    /// EC2's TrafficType; None when off.
    pub fn traffic_type(self) -> Option<&'static str> {
        match self {
            FlowLogs::Off => None,
            FlowLogs::All => Some("ALL"),
            FlowLogs::Accepted => Some("ACCEPT"),
            FlowLogs::Rejected => Some("REJECT"),
        }
    }
}

impl Default for Network {
    fn default() -> Self {
        Network {
            cidr: "10.0.0.0/16".into(),
            azs: Azs::Count(2),
            nat: NatMode::Single,
            public_subnets: None,
            private_subnets: None,
            flow_logs: FlowLogs::Off,
            flow_logs_retention_days: 30,
        }
    }
}

/// `build = "./app"`, or the full table.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(untagged)]
pub enum Build {
    Context(String),
    Table(BuildTable),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BuildTable {
    /// The build context, relative to stack.toml.
    pub context: String,
    /// The Dockerfile, relative to stack.toml [default: `Dockerfile` in the context].
    pub dockerfile: Option<String>,
    /// The stage of a multi-stage Dockerfile to build.
    pub target: Option<String>,
    /// Build arguments (`--build-arg NAME=VALUE`).
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    /// The platform to build for [default: the service's `arch`: `linux/amd64` or
    /// `linux/arm64`].
    pub platform: Option<String>,
}

impl Build {
    /// The settings, with the short form's defaults.
    pub fn table(&self) -> BuildTable {
        match self {
            Build::Context(context) => BuildTable {
                context: context.clone(),
                dockerfile: None,
                target: None,
                args: BTreeMap::new(),
                platform: None,
            },
            Build::Table(table) => table.clone(),
        }
    }
}

/// A count picks `{region}a`, `{region}b`, ...; names are used as given.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Azs {
    Count(u32),
    Names(Vec<String>),
}

/// One NAT gateway for the VPC (cheap; egress stops if its AZ fails), one per AZ
/// (each AZ independent; N times the cost), or none (tasks must run in public subnets).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum NatMode {
    Single,
    PerAz,
    None,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Cluster {
    pub container_insights: bool,
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster {
            container_insights: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Repository {
    pub scan_on_push: bool,
    pub tag_mutability: TagMutability,
    /// Keep the newest N images; 0 keeps all.
    pub keep_images: u32,
}

impl Default for Repository {
    fn default() -> Self {
        Repository {
            scan_on_push: true,
            // A tag names one image for good: what a service runs cannot change
            // under the same tag (CI pushes a new tag per build).
            tag_mutability: TagMutability::Immutable,
            keep_images: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TagMutability {
    Mutable,
    Immutable,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// `REPO:TAG` for a repository of this stack, or a full image URI with a registry.
    pub image: String,
    #[serde(default = "defaults::cpu")]
    pub cpu: u32,
    #[serde(default = "defaults::memory")]
    pub memory: u32,
    pub port: Option<u16>,
    #[serde(default = "defaults::desired_count")]
    pub desired_count: u32,
    #[serde(default)]
    pub arch: Arch,
    #[serde(default)]
    pub placement: Placement,
    #[serde(default)]
    pub health_check: HealthCheck,
    #[serde(default = "defaults::routes")]
    pub routes: Vec<String>,
    /// Listener rule priority; required when several services have non-default routes.
    pub priority: Option<u32>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Name -> ARN (Secrets Manager or SSM); the value never passes through stackctl.
    /// A Secrets Manager ARN may leave out the random `-AbCdEf` suffix.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// The ARN of the customer-managed KMS key that encrypts these secrets or
    /// SecureString parameters: the execution role may decrypt with it. Not needed
    /// for the AWS-managed keys.
    pub secrets_kms_key: Option<String>,
    #[serde(default = "defaults::log_retention_days")]
    pub log_retention_days: u32,
    /// How the awslogs driver delivers: non-blocking buffers (and drops what overflows
    /// the buffer) instead of stalling the app when CloudWatch Logs is slow.
    #[serde(default)]
    pub log_mode: LogMode,
    /// The container's root filesystem is read-only; /tmp stays writable.
    #[serde(default)]
    pub read_only_root_filesystem: bool,
    #[serde(default = "defaults::grace_period")]
    pub grace_period: u32,
    #[serde(default = "defaults::deregistration_delay")]
    pub deregistration_delay: u32,
    #[serde(default = "defaults::yes")]
    pub circuit_breaker: bool,
    #[serde(default = "defaults::min_healthy_percent")]
    pub min_healthy_percent: u32,
    #[serde(default = "defaults::max_percent")]
    pub max_percent: u32,
    #[serde(default)]
    pub spot: bool,
    /// How `stackctl deploy` builds the service's image: a directory (the build
    /// context, relative to stack.toml), or a table. The image must be in one of the
    /// stack's repositories.
    pub build: Option<Build>,
    /// ECS Exec: `stackctl exec` may open a shell in the service's tasks. Turns on
    /// enableExecuteCommand and lets the task role open SSM channels (a task role is
    /// made for it if the service has none).
    #[serde(default)]
    pub exec: bool,
    /// Managed policy ARNs for a task role; the role exists only when this is non-empty.
    #[serde(default)]
    pub task_role_policies: Vec<String>,
    /// Wait for the rollout to complete before apply reports success.
    #[serde(default = "defaults::yes")]
    pub wait: bool,
    /// Application Auto Scaling owns the desired count between `min` and `max`.
    pub scaling: Option<Scaling>,
}

/// `[services.NAME.scaling]`: target tracking on the metrics given. While it is on,
/// the autoscaler owns the service's desired count: `desired_count` is not used (the
/// service starts at `min`), and a count the autoscaler moved is not a change.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    pub min: u32,
    pub max: u32,
    /// Target average CPU utilization, percent. When no metric is given, 70.
    pub cpu: Option<u32>,
    /// Target average memory utilization, percent.
    pub memory: Option<u32>,
    /// Target ALB requests per task per minute (routed services only).
    pub requests: Option<u32>,
    /// Seconds after a scale-in before the next one (default 300).
    #[serde(default = "defaults::scale_in_cooldown")]
    pub scale_in_cooldown: u32,
    /// Seconds after a scale-out before the next one (default 60).
    #[serde(default = "defaults::scale_out_cooldown")]
    pub scale_out_cooldown: u32,
}

impl Scaling {
    /// The CPU target when no metric is given.
    pub const DEFAULT_CPU: u32 = 70;

    /// The metrics tracked and their targets: as given, or CPU at 70% when none is.
    pub fn targets(&self) -> Vec<(ScalingMetric, u32)> {
        let given = [
            (ScalingMetric::Cpu, self.cpu),
            (ScalingMetric::Memory, self.memory),
            (ScalingMetric::Requests, self.requests),
        ];
        let targets: Vec<(ScalingMetric, u32)> = given
            .into_iter()
            .filter_map(|(m, v)| v.map(|v| (m, v)))
            .collect();
        match targets.is_empty() {
            true => vec![(ScalingMetric::Cpu, Self::DEFAULT_CPU)],
            false => targets,
        }
    }
}

/// A metric a service scales on: each is a target-tracking policy of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScalingMetric {
    Cpu,
    Memory,
    Requests,
}

impl ScalingMetric {
    /// The key in stack.toml, and the suffix of the policy's address and name.
    pub fn key(self) -> &'static str {
        match self {
            ScalingMetric::Cpu => "cpu",
            ScalingMetric::Memory => "memory",
            ScalingMetric::Requests => "requests",
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    #[default]
    #[serde(alias = "amd64")]
    X86_64,
    #[serde(alias = "aarch64")]
    Arm64,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LogMode {
    #[default]
    NonBlocking,
    Blocking,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// Private subnets, no public IP, egress through NAT.
    #[default]
    Private,
    /// Public subnets with a public IP (no NAT needed); still reachable only from the ALB.
    Public,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HealthCheck {
    pub path: String,
    pub interval: u32,
    pub timeout: u32,
    pub healthy: u32,
    pub unhealthy: u32,
    pub matcher: String,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            path: "/".into(),
            interval: 30,
            timeout: 5,
            healthy: 5,
            unhealthy: 2,
            matcher: "200-399".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LoadBalancer {
    pub http_port: u16,
    pub https: Option<Https>,
    pub idle_timeout: u32,
    /// AWS refuses to delete the ALB while on; `destroy` turns it off first.
    pub deletion_protection: bool,
    /// The ALB drops header fields that are not valid HTTP instead of passing them on.
    pub drop_invalid_header_fields: bool,
}

impl Default for LoadBalancer {
    fn default() -> Self {
        LoadBalancer {
            http_port: 80,
            https: None,
            idle_timeout: 60,
            deletion_protection: true,
            drop_invalid_header_fields: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Https {
    pub certificate_arn: String,
    #[serde(default = "defaults::https_port")]
    pub port: u16,
    #[serde(default = "defaults::yes")]
    pub redirect_http: bool,
    pub ssl_policy: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Cdn {
    pub enabled: bool,
    pub viewer_protocol: ViewerProtocol,
    pub caching: Caching,
    pub aliases: Vec<String>,
    /// ACM certificate for the aliases; CloudFront only takes certificates in us-east-1.
    pub certificate_arn: Option<String>,
    pub price_class: String,
    pub wait: bool,
    /// The ALB's security group admits only CloudFront's origin-facing servers (AWS's
    /// managed prefix list), so nobody reaches the app around the CDN.
    pub alb_only_from_cloudfront: bool,
}

impl Default for Cdn {
    fn default() -> Self {
        Cdn {
            enabled: false,
            viewer_protocol: ViewerProtocol::RedirectToHttps,
            caching: Caching::Disabled,
            aliases: Vec::new(),
            certificate_arn: None,
            price_class: "PriceClass_100".into(),
            wait: true,
            alb_only_from_cloudfront: false,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ViewerProtocol {
    AllowAll,
    RedirectToHttps,
    HttpsOnly,
}

/// `disabled`: every request reaches the app (the managed CachingDisabled policy).
/// `optimized`: CloudFront caches what the app marks cacheable with Cache-Control or
/// Expires, keyed by host, path, every query string and every cookie (the managed
/// UseOriginCacheControlHeaders-QueryStrings policy); a response without them is not
/// cached, and a page that differs per user should say `Cache-Control: private`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Caching {
    Disabled,
    Optimized,
}

mod defaults {
    pub fn cpu() -> u32 {
        256
    }
    pub fn memory() -> u32 {
        512
    }
    pub fn desired_count() -> u32 {
        2
    }
    /// AWS's default for target tracking: a scale-in waits five minutes for the last
    /// one to show in the metric, so the service does not shrink in steps too fast.
    pub fn scale_in_cooldown() -> u32 {
        300
    }
    /// Shorter than AWS's 300: a service under load grows again a minute after it
    /// grew, the time a Fargate task takes to start and pass its health check.
    pub fn scale_out_cooldown() -> u32 {
        60
    }
    pub fn routes() -> Vec<String> {
        vec!["/*".into()]
    }
    pub fn log_retention_days() -> u32 {
        30
    }
    pub fn grace_period() -> u32 {
        60
    }
    pub fn deregistration_delay() -> u32 {
        30
    }
    pub fn min_healthy_percent() -> u32 {
        100
    }
    pub fn max_percent() -> u32 {
        200
    }
    pub fn https_port() -> u16 {
        443
    }
    pub fn yes() -> bool {
        true
    }
}
