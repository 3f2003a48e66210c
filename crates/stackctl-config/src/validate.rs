//! Semantic checks of a parsed stack.toml, and the values derived from it that the
//! expansion needs (region and partition, zones, subnet CIDRs, routing). Pure: no AWS
//! calls; what only AWS can tell (which zones a region has) is checked before planning.

use super::error::Problem;
use super::fargate;
use super::names::{
    AWS_PREFIX, NAME_TAG, STACKCTL_PREFIX, TARGET_GROUP_NAME_SUFFIX_LEN as NAME_SUFFIX_LEN,
};
use super::regions::{self, Partition};
use super::schema::*;
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, BTreeSet};

/// A stack.toml that passed every check, with its derived values.
#[derive(Debug, Clone)]
pub struct Validated {
    pub config: Config,
    /// The environment chosen (`--env`), whose overrides `config` includes.
    pub environment: Option<String>,
    pub region: String,
    /// The region's partition: its ARN prefix and what it offers.
    pub partition: &'static Partition,
    pub azs: Zones,
    pub vpc_cidr: Ipv4Net,
    pub public_cidrs: Vec<Ipv4Net>,
    pub private_cidrs: Vec<Ipv4Net>,
    /// The service the listener forwards to when no rule matches (it routes `/*`).
    pub default_service: Option<String>,
    /// Listener rules: service -> (priority, path patterns other than `/*`).
    pub rules: BTreeMap<String, (u32, Vec<String>)>,
    /// Image of each service, resolved against the stack's repositories.
    pub images: BTreeMap<String, Image>,
}

/// The availability zones stack.toml asks for. Zone letters differ per region (there
/// is no ap-northeast-1b) and per account, so a count is not turned into names here:
/// the names come from DescribeAvailabilityZones before planning, and explicit names
/// are checked against the same list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zones {
    /// `azs = N`: the first N zones AWS lists as available, in name order.
    Count(usize),
    /// Zones named in stack.toml.
    Named(Vec<String>),
}

impl Zones {
    pub fn len(&self) -> usize {
        match self {
            Zones::Count(n) => *n,
            Zones::Named(names) => names.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    /// A repository of this stack and the tag (or `@digest`) in it.
    Repository {
        repository: String,
        reference: String,
    },
    Uri(String),
}

impl Validated {
    pub fn routed_services(&self) -> impl Iterator<Item = (&String, &Service)> {
        self.config
            .services
            .iter()
            .filter(|(_, s)| !s.routes.is_empty())
    }

    pub fn has_load_balancer(&self) -> bool {
        self.routed_services().next().is_some()
    }
}

/// Longest stack name that keeps every derived AWS name within its limit
/// (ALB and target group names: 32 characters).
const MAX_NAME_LEN: usize = 32;
const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub fn validate(config: Config, env_region: Option<String>) -> Result<Validated, Vec<Problem>> {
    let mut p = Vec::new();
    let mut problem = |key: &str, message: String| {
        p.push(Problem {
            key: key.to_string(),
            message,
            at: None,
        })
    };

    let stack = &config.stack.name;
    if !valid_name(stack, 20) {
        problem(
            "stack.name",
            format!(
                "`{stack}` must be 1-20 lowercase letters, digits or hyphens, starting with a letter (it prefixes AWS names with tight length limits)"
            ),
        );
    }
    let region = config
        .stack
        .region
        .clone()
        .or(env_region)
        .unwrap_or_default();
    let partition = regions::partition_of(&region);
    if region.is_empty() {
        problem(
            "stack.region",
            "no region: set stack.region or AWS_REGION".into(),
        );
    } else if partition.is_none() {
        problem("stack.region", regions::unknown(&region));
    }

    check_tags(&config.stack.tags, &mut problem);
    check_state(&config.state, &mut problem);

    let azs = match &config.network.azs {
        Azs::Count(n) if (1..=6).contains(n) => Zones::Count(*n as usize),
        Azs::Count(n) => {
            problem("network.azs", format!("{n} AZs: use 1 to 6"));
            Zones::Count(0)
        }
        Azs::Names(names) => {
            if names.is_empty() || names.len() > 6 {
                problem("network.azs", "list 1 to 6 availability zones".into());
            }
            for n in names {
                if !n.starts_with(&region) {
                    problem(
                        "network.azs",
                        format!("`{n}` is not an availability zone of {region}"),
                    );
                }
            }
            Zones::Named(names.clone())
        }
    };

    let vpc_cidr: Option<Ipv4Net> = match config.network.cidr.parse::<Ipv4Net>() {
        Ok(net) if net.prefix_len() < 16 || net.prefix_len() > 24 => {
            problem(
                "network.cidr",
                format!("{net}: AWS takes VPC blocks from /16 to /24"),
            );
            None
        }
        Ok(net) if net != net.trunc() => {
            problem(
                "network.cidr",
                format!("{net} has host bits set; did you mean {}?", net.trunc()),
            );
            None
        }
        Ok(net) => Some(net),
        Err(_) => {
            problem(
                "network.cidr",
                format!("`{}` is not an IPv4 CIDR block", config.network.cidr),
            );
            None
        }
    };

    let (mut public_cidrs, mut private_cidrs) = (Vec::new(), Vec::new());
    if let Some(vpc) = vpc_cidr
        && !azs.is_empty()
    {
        let carved = carve(vpc, azs.len());
        for (key, given, out, default) in [
            (
                "network.public_subnets",
                &config.network.public_subnets,
                &mut public_cidrs,
                carved.as_ref().map(|c| c.0.clone()),
            ),
            (
                "network.private_subnets",
                &config.network.private_subnets,
                &mut private_cidrs,
                carved.as_ref().map(|c| c.1.clone()),
            ),
        ] {
            match given {
                Some(list) => {
                    if list.len() != azs.len() {
                        problem(
                            key,
                            format!(
                                "{} blocks for {} AZs: give one per AZ",
                                list.len(),
                                azs.len()
                            ),
                        );
                    }
                    for s in list {
                        match s.parse::<Ipv4Net>() {
                            Ok(net) if !vpc.contains(&net) => {
                                problem(key, format!("{net} is outside the VPC block {vpc}"))
                            }
                            Ok(net) if net.prefix_len() > 28 => {
                                problem(key, format!("{net}: AWS subnets are /28 or larger"))
                            }
                            Ok(net) => out.push(net.trunc()),
                            Err(_) => problem(key, format!("`{s}` is not an IPv4 CIDR block")),
                        }
                    }
                }
                None => match default {
                    Some(list) => *out = list,
                    None => problem(
                        key,
                        format!(
                            "{vpc} is too small to carve subnets for {} AZs; list them explicitly",
                            azs.len()
                        ),
                    ),
                },
            }
        }
        // Each overlap is reported at the list holding the second block of the pair.
        let all: Vec<(&str, Ipv4Net)> = public_cidrs
            .iter()
            .map(|n| ("network.public_subnets", *n))
            .chain(
                private_cidrs
                    .iter()
                    .map(|n| ("network.private_subnets", *n)),
            )
            .collect();
        for (i, (_, a)) in all.iter().enumerate() {
            for (key, b) in &all[i + 1..] {
                if a.contains(b) || b.contains(a) {
                    problem(key, format!("subnets {a} and {b} overlap"));
                }
            }
        }
    }

    let mut images = BTreeMap::new();
    for name in config.repositories.keys() {
        if !valid_name(name, 32) {
            problem(
                &format!("repositories.{name}"),
                "repository names are lowercase letters, digits and hyphens, starting with a letter".into(),
            );
        }
    }
    let private_needs_nat = config.network.nat == NatMode::None;
    let mut default_service = None;
    let mut rules = BTreeMap::new();
    let mut seen_paths: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_priorities: BTreeMap<u32, String> = BTreeMap::new();
    let with_rules = config
        .services
        .values()
        .filter(|s| s.routes.iter().any(|r| r != "/*"))
        .count();
    if !RETENTION_DAYS.contains(&config.network.flow_logs_retention_days) {
        problem(
            "network.flow_logs_retention_days",
            format!("CloudWatch keeps logs for one of {RETENTION_DAYS:?} days"),
        );
    }
    for (name, s) in &config.services {
        let key = |k: &str| format!("services.{name}.{k}");
        if !valid_name(name, 32) {
            problem(
                &format!("services.{name}"),
                "service names are lowercase letters, digits and hyphens, starting with a letter"
                    .into(),
            );
        } else if stack.len() + 1 + name.len() + NAME_SUFFIX_LEN > MAX_NAME_LEN {
            problem(
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
        if let Some(message) = fargate::cpu_problem(s.cpu) {
            problem(&key("cpu"), message);
        }
        if let Some(message) = fargate::memory_problem(s.cpu, s.memory) {
            problem(&key("memory"), message);
        }
        if s.spot && s.arch == Arch::Arm64 {
            problem(&key("spot"), fargate::SPOT_ARCHITECTURE.into());
        }
        if s.port == Some(0) {
            problem(&key("port"), "port 0 is not a port".into());
        }
        if !s.routes.is_empty() && s.port.is_none() {
            problem(
                &key("port"),
                "a service with routes needs the container port the load balancer forwards to"
                    .into(),
            );
        }
        if s.placement == Placement::Private && private_needs_nat {
            problem(
                &key("placement"),
                "private tasks need a NAT gateway to pull images; set network.nat = \"single\" or placement = \"public\"".into(),
            );
        }
        if !RETENTION_DAYS.contains(&s.log_retention_days) {
            problem(
                &key("log_retention_days"),
                format!("CloudWatch keeps logs for one of {RETENTION_DAYS:?} days"),
            );
        }
        if s.deregistration_delay > 3600 {
            problem(&key("deregistration_delay"), "at most 3600 seconds".into());
        }
        let hc = &s.health_check;
        if !hc.path.starts_with('/') {
            problem(&key("health_check.path"), "must start with /".into());
        }
        if !(5..=300).contains(&hc.interval)
            || !(2..=120).contains(&hc.timeout)
            || hc.timeout >= hc.interval
        {
            problem(
                &key("health_check"),
                "interval 5-300 s, timeout 2-120 s and shorter than the interval".into(),
            );
        }
        if !(2..=10).contains(&hc.healthy) || !(2..=10).contains(&hc.unhealthy) {
            problem(
                &key("health_check"),
                "healthy and unhealthy thresholds are 2 to 10".into(),
            );
        }
        if s.min_healthy_percent > 100 || s.max_percent < 100 || s.max_percent > 200 {
            problem(
                &key("min_healthy_percent"),
                "min_healthy_percent is 0-100 and max_percent 100-200".into(),
            );
        }
        for (var, arn) in &s.secrets {
            if !arn.starts_with("arn:") {
                problem(
                    &key(&format!("secrets.{var}")),
                    "give the ARN of a Secrets Manager secret or SSM parameter, never the value"
                        .into(),
                );
            }
        }
        if let Some(key_arn) = &s.secrets_kms_key
            && !(key_arn.starts_with("arn:")
                && key_arn.contains(":kms:")
                && key_arn.contains(":key/"))
        {
            problem(
                &key("secrets_kms_key"),
                format!(
                    "`{key_arn}` is not the ARN of a KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID); \
                     an alias does not work here, as IAM authorizes kms:Decrypt on the key"
                ),
            );
        }
        for path in &s.routes {
            if !path.starts_with('/') {
                problem(&key("routes"), format!("`{path}` must start with /"));
            }
            if let Some(other) = seen_paths.insert(path.clone(), name.clone()) {
                problem(
                    &key("routes"),
                    format!("`{path}` is already routed to service `{other}`"),
                );
            }
        }
        if s.routes.iter().any(|r| r == "/*") {
            default_service = Some(name.clone());
        }
        let paths: Vec<String> = s.routes.iter().filter(|r| *r != "/*").cloned().collect();
        if !paths.is_empty() {
            let priority = match s.priority {
                Some(p) => Some(p),
                None if with_rules == 1 => Some(100),
                None => {
                    problem(
                        &key("priority"),
                        "several services have path routes: give each a listener rule priority (1-50000, lower wins)".into(),
                    );
                    None
                }
            };
            if let Some(pr) = priority {
                if !(1..=50000).contains(&pr) {
                    problem(
                        &key("priority"),
                        "listener rule priorities are 1 to 50000".into(),
                    );
                }
                if let Some(other) = seen_priorities.insert(pr, name.clone()) {
                    problem(
                        &key("priority"),
                        format!("priority {pr} is already taken by service `{other}`"),
                    );
                }
                if paths.len() > 5 {
                    problem(
                        &key("routes"),
                        "an ALB rule takes at most 5 path patterns".into(),
                    );
                }
                rules.insert(name.clone(), (pr, paths));
            }
        }
        match parse_image(&s.image, &config.repositories) {
            Ok(image) => {
                images.insert(name.clone(), image);
            }
            Err(message) => problem(&key("image"), message),
        }
    }

    let lb = &config.load_balancer;
    if lb.http_port == 0 {
        problem("load_balancer.http_port", "port 0 is not a port".into());
    }
    if let Some(https) = &lb.https {
        if !https.certificate_arn.starts_with("arn:") || !https.certificate_arn.contains(":acm:") {
            problem(
                "load_balancer.https.certificate_arn",
                "give the ARN of an ACM certificate".into(),
            );
        } else if !https.certificate_arn.contains(&format!(":acm:{region}:")) {
            problem(
                "load_balancer.https.certificate_arn",
                format!("the ALB's certificate must be in the stack's region {region}"),
            );
        }
        if https.port == lb.http_port {
            problem(
                "load_balancer.https.port",
                "HTTP and HTTPS need different ports".into(),
            );
        }
    }
    let has_lb = config.services.values().any(|s| !s.routes.is_empty());
    // AWS refuses an ALB with subnets in fewer than two AZs; one AZ would also make
    // the whole app go down with it.
    if has_lb && azs.len() == 1 {
        problem(
            "network.azs",
            "the load balancer needs subnets in at least two availability zones: set network.azs = 2 (or list two AZs)".into(),
        );
    }
    let cdn = &config.cdn;
    if cdn.alb_only_from_cloudfront && !cdn.enabled {
        problem(
            "cdn.alb_only_from_cloudfront",
            "admits only CloudFront to the load balancer, so it needs cdn.enabled = true (otherwise nothing could reach the app)".into(),
        );
    }
    if cdn.enabled {
        if !has_lb {
            problem(
                "cdn.enabled",
                "CloudFront needs the load balancer as its origin, and no service has routes"
                    .into(),
            );
        }
        match &cdn.certificate_arn {
            Some(arn) if !arn.contains(":acm:us-east-1:") => problem(
                "cdn.certificate_arn",
                "CloudFront only takes ACM certificates from us-east-1".into(),
            ),
            None if !cdn.aliases.is_empty() => problem(
                "cdn.aliases",
                "aliases need cdn.certificate_arn (an ACM certificate in us-east-1 covering them)"
                    .into(),
            ),
            _ => {}
        }
        if !["PriceClass_100", "PriceClass_200", "PriceClass_All"]
            .contains(&cdn.price_class.as_str())
        {
            problem(
                "cdn.price_class",
                "one of PriceClass_100, PriceClass_200, PriceClass_All".into(),
            );
        }
        check_https_origin(&config, &mut problem);
        if let Some(partition) = partition {
            check_cdn_partition(cdn, partition, &mut problem);
        }
    }
    if has_lb {
        check_load_balancer_name(stack, &mut problem);
    }

    if !p.is_empty() {
        return Err(p);
    }
    Ok(Validated {
        region,
        partition: partition.expect("an unknown region is a problem"),
        azs,
        vpc_cidr: vpc_cidr.expect("checked above"),
        public_cidrs,
        private_cidrs,
        default_service,
        rules,
        images,
        config,
        environment: None,
    })
}

/// The ALB is named `{stack}-alb`, and AWS refuses load balancer names that begin with
/// `internal-` (CreateLoadBalancer: "must not begin with \"internal-\"").
fn check_load_balancer_name(stack: &str, problem: &mut impl FnMut(&str, String)) {
    let name = format!("{stack}-alb");
    if name.starts_with("internal-") {
        problem(
            "stack.name",
            format!(
                "`{stack}` names the load balancer `{name}`, and AWS refuses load balancer \
                 names that begin with `internal-`: choose another stack name"
            ),
        );
    }
}

/// CloudFront checks the certificate of an `https-only` origin against the name it
/// asks for: the Host it forwards (the viewer's, with the AllViewer origin request
/// policy), else the origin's domain. Without aliases that is the distribution's own
/// `*.cloudfront.net` name or the ALB's `*.elb.amazonaws.com`, which no certificate
/// of the user's can cover, so every request would be a 502. Sending HTTP instead
/// loops when the ALB redirects HTTP to HTTPS. So an HTTPS load balancer behind
/// CloudFront needs aliases its certificate covers.
fn check_https_origin(config: &Config, problem: &mut impl FnMut(&str, String)) {
    if config.load_balancer.https.is_some() && config.cdn.aliases.is_empty() {
        problem(
            "cdn.aliases",
            "CloudFront reaches the load balancer over HTTPS (load_balancer.https is set) \
             and checks its certificate against the requested host name; without aliases \
             that is the distribution's own *.cloudfront.net name, which no certificate of \
             yours covers, so every request would fail with a 502. Add cdn.aliases with the \
             names your load balancer's certificate covers (and cdn.certificate_arn for \
             them, in us-east-1), or remove load_balancer.https"
                .into(),
        );
    }
}

/// CloudFront exists with ACM certificates in the commercial partition only: in
/// China it takes IAM server certificates and serves only on an ICP-registered
/// alternate domain; GovCloud and the isolated partitions have none.
fn check_cdn_partition(cdn: &Cdn, partition: &Partition, problem: &mut impl FnMut(&str, String)) {
    let title = partition.title;
    match partition.cdn {
        regions::Cdn::WithAcm => {}
        regions::Cdn::ChinaOnly if cdn.certificate_arn.is_some() => problem(
            "cdn.certificate_arn",
            format!(
                "CloudFront in {title} does not take ACM certificates (it needs a \
                 certificate uploaded to IAM, which stackctl does not manage): remove \
                 the [cdn] table, or run the stack in a commercial region"
            ),
        ),
        regions::Cdn::ChinaOnly => problem(
            "cdn.enabled",
            format!(
                "CloudFront in {title} cannot serve on its default domain: it needs an \
                 ICP-registered alternate domain with a certificate uploaded to IAM, which \
                 stackctl does not manage; set cdn.enabled = false"
            ),
        ),
        regions::Cdn::Unavailable => problem(
            "cdn.enabled",
            format!("CloudFront is not available in {title}; set cdn.enabled = false"),
        ),
    }
}

/// User tags stackctl allows: AWS allows 50 per object, stackctl sets 3 itself, and
/// a margin is kept below the sum.
const MAX_USER_TAGS: usize = 40;
const MAX_TAG_KEY_LEN: usize = 128;
const MAX_TAG_VALUE_LEN: usize = 256;

/// `[stack] tags`: what every AWS service stackctl uses accepts, so an apply never
/// stops half-way on a tag one service refuses and another took.
fn check_tags(tags: &BTreeMap<String, String>, problem: &mut impl FnMut(&str, String)) {
    if tags.len() > MAX_USER_TAGS {
        problem(
            "stack.tags",
            format!(
                "{} tags: at most {MAX_USER_TAGS} (AWS allows 50 per object and stackctl sets 3 \
                 of its own)",
                tags.len()
            ),
        );
    }
    let reserved_by_aws = |s: &str| {
        s.get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(AWS_PREFIX))
    };
    // Letters, digits, spaces and `_ . : / = + - @`: the characters every tagging
    // API accepts (EC2 takes more, ELBv2, ECS, IAM and CloudFront do not).
    let allowed = |c: char| {
        c.is_alphanumeric()
            || c == ' '
            || (c.is_whitespace() && !c.is_control())
            || "_.:/=+-@".contains(c)
    };
    for (k, v) in tags {
        let key = format!("stack.tags.{k}");
        let len = k.chars().count();
        if len == 0 || len > MAX_TAG_KEY_LEN {
            problem(
                &key,
                format!("tag keys are 1 to {MAX_TAG_KEY_LEN} characters, this one is {len}"),
            );
        }
        if reserved_by_aws(k) {
            problem(
                &key,
                "keys starting with `aws:` are reserved for AWS's own tags".into(),
            );
        } else if k.starts_with(STACKCTL_PREFIX) {
            problem(
                &key,
                "keys starting with `stackctl:` are stackctl's own (it finds its objects by them)"
                    .into(),
            );
        } else if k == NAME_TAG {
            problem(
                &key,
                "stackctl sets `Name` itself, to `{stack}-{resource}`".into(),
            );
        }
        if !k.chars().all(allowed) {
            problem(
                &key,
                "tag keys may hold letters, digits, spaces and _ . : / = + - @ only".into(),
            );
        }
        let len = v.chars().count();
        if len > MAX_TAG_VALUE_LEN {
            problem(
                &key,
                format!("tag values are at most {MAX_TAG_VALUE_LEN} characters, this one is {len}"),
            );
        }
        if reserved_by_aws(v) {
            problem(
                &key,
                "values starting with `aws:` are reserved for AWS (ECS refuses them)".into(),
            );
        }
        if !v.chars().all(allowed) {
            problem(
                &key,
                "tag values may hold letters, digits, spaces and _ . : / = + - @ only".into(),
            );
        }
    }
}

/// The `[state]` table: what the S3 backend needs, and keys S3 can take.
fn check_state(state: &StateSettings, problem: &mut impl FnMut(&str, String)) {
    match &state.bucket {
        None if state.backend == Backend::S3 => problem(
            "state.bucket",
            "`backend = \"s3\"` needs the bucket that keeps the state: set state.bucket".into(),
        ),
        Some(bucket) if !valid_bucket(bucket) => problem(
            "state.bucket",
            format!(
                "`{bucket}` is not an S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit"
            ),
        ),
        _ => {}
    }
    if let Some(key) = &state.key
        && (key.is_empty() || key.starts_with('/') || key.ends_with('/') || key.len() > 1000)
    {
        problem(
            "state.key",
            format!(
                "`{key}` is not an object key: give a path such as `stackctl/web.state.json` (no leading or trailing `/`)"
            ),
        );
    }
    if state.path.as_deref() == Some("") {
        problem("state.path", "an empty path: name the state file".into());
    }
}

fn valid_bucket(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && edge(name.chars().next())
        && edge(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && !name.contains("..")
}

/// Lowercase letters, digits and hyphens, starting with a letter, not ending in a
/// hyphen: valid in every AWS name stackctl derives from it.
fn valid_name(name: &str, max: usize) -> bool {
    name.len() <= max
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Public subnets from the bottom of the VPC block, private ones from its upper
/// half, each 1/256 of the block (a /24 in a /16), never smaller than /28.
fn carve(vpc: Ipv4Net, count: usize) -> Option<(Vec<Ipv4Net>, Vec<Ipv4Net>)> {
    let prefix = (vpc.prefix_len() + 8).min(28);
    let blocks: Vec<Ipv4Net> = vpc.subnets(prefix).ok()?.collect();
    let half = blocks.len() / 2;
    if count > half {
        return None;
    }
    Some((
        blocks[..count].to_vec(),
        blocks[half..half + count].to_vec(),
    ))
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
