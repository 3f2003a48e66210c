//! Turns a validated stack.toml into the list of desired resources, one per AWS
//! object, wired together by references. This is where the architecture lives:
//! which subnets route where, which security group admits whom.

use super::schema::*;
use super::validate::{Image, Validated};
use crate::address::{Address, Kind};
use crate::desired::Desired;
use crate::resources::Ref;
use crate::resources::cloudfront_distribution::CloudfrontDistributionSpec;
use crate::resources::ecr_repository::EcrRepositorySpec;
use crate::resources::ecs_cluster::EcsClusterSpec;
use crate::resources::ecs_service::{EcsServiceSpec, ServiceLoadBalancer};
use crate::resources::elastic_ip::ElasticIpSpec;
use crate::resources::flow_log::FlowLogSpec;
use crate::resources::iam_role::IamRoleSpec;
use crate::resources::internet_gateway::InternetGatewaySpec;
use crate::resources::listener::{ListenerAction, ListenerSpec};
use crate::resources::listener_rule::ListenerRuleSpec;
use crate::resources::load_balancer::LoadBalancerSpec;
use crate::resources::log_group::LogGroupSpec;
use crate::resources::nat_gateway::NatGatewaySpec;
use crate::resources::route_table::{Route, RouteTableSpec};
use crate::resources::security_group::{Rule, SecurityGroupSpec};
use crate::resources::subnet::SubnetSpec;
use crate::resources::target_group::{self, HealthCheck as TgHealthCheck, TargetGroupSpec};
use crate::resources::task_definition::{ContainerSpec, ImageSpec, TaskDefinitionSpec};
use crate::resources::vpc::VpcSpec;

/// The managed policy the execution role gets, in the stack's partition.
pub fn execution_policy(partition: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
}
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// UseOriginCacheControlHeaders-QueryStrings: caches only what the app marks
/// cacheable (default TTL 0), keyed by host, path, every query string and every
/// cookie, so a dynamic page is never served to a request it was not made for.
/// (CachingOptimized keys by path alone and caches for a day by default: a Flask
/// page would be served to every query string and every user.)
const CACHING_BY_ORIGIN_HEADERS: &str = "4cc15a8a-d715-48a4-82b8-cc0b614638fe";
const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
/// AWS's managed prefix list of the addresses CloudFront reaches origins from.
pub const CLOUDFRONT_ORIGIN_FACING: &str = "com.amazonaws.global.cloudfront.origin-facing";

fn addr(kind: Kind, name: impl Into<String>) -> Address {
    Address::new(kind, name)
}

fn id(kind: Kind, name: impl Into<String>) -> Ref {
    Ref::id(addr(kind, name))
}

fn allow_all_egress() -> Vec<Rule> {
    vec![Rule {
        protocol: "-1".into(),
        from_port: -1,
        to_port: -1,
        cidr: Some("0.0.0.0/0".into()),
        source_group: None,
        prefix_list: None,
        description: "all outbound".into(),
    }]
}

fn tcp_from_anywhere(port: u16, description: &str) -> Rule {
    Rule {
        protocol: "tcp".into(),
        from_port: port.into(),
        to_port: port.into(),
        cidr: Some("0.0.0.0/0".into()),
        source_group: None,
        prefix_list: None,
        description: description.into(),
    }
}

/// The one port CloudFront talks to the ALB on, from CloudFront's origin-facing
/// servers only. Without a description: the emulator drops descriptions of prefix
/// list rules, which would show as a difference on every plan. In AWS the list counts
/// as 55 rules against the group's quota of 60, so there is room for exactly one.
fn tcp_from_cloudfront(port: u16) -> Rule {
    Rule {
        protocol: "tcp".into(),
        from_port: port.into(),
        to_port: port.into(),
        cidr: None,
        source_group: None,
        prefix_list: Some(CLOUDFRONT_ORIGIN_FACING.into()),
        description: String::new(),
    }
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

/// The VPC's flow log, its log group, and the role VPC Flow Logs assumes to write
/// to that group and nothing else. Their addresses use `_`, which service names
/// cannot, so they never meet a service's log group or role.
fn flow_logs(v: &Validated, vpc: &Address, traffic_type: &str) -> Vec<Desired> {
    let partition = v.partition.name;
    let c = &v.config;
    let stack = &c.stack.name;
    let tags = &c.stack.tags;
    let group_name = format!("/vpc/{stack}/flow-logs");
    let group = addr(Kind::LogGroup, "flow_logs");
    let role = addr(Kind::IamRole, "flow_logs");
    vec![
        Desired::new(
            group.clone(),
            LogGroupSpec {
                name: group_name.clone(),
                retention_days: c.network.flow_logs_retention_days as i32,
                tags: tags.clone(),
            },
        ),
        Desired::new(
            role.clone(),
            IamRoleSpec {
                name: format!("{stack}-flow-logs"),
                trusted_service: "vpc-flow-logs.amazonaws.com".into(),
                managed_policies: Vec::new(),
                readable_secrets: Vec::new(),
                writable_logs: vec![format!(
                    "arn:{partition}:logs:{}:*:log-group:{group_name}:*",
                    v.region
                )],
                tags: tags.clone(),
            },
        ),
        Desired::new(
            addr(Kind::FlowLog, "vpc"),
            FlowLogSpec {
                vpc: Ref::id(vpc.clone()),
                traffic_type: traffic_type.into(),
                log_group: Ref::id(group),
                role: Ref::new(role, "arn"),
                tags: tags.clone(),
            },
        ),
    ]
}

/// The desired resources of `v`, its subnets in `zones` (one per position, see
/// `engine::zones`).
pub fn expand(v: &Validated, zones: &[String]) -> Vec<Desired> {
    let c = &v.config;
    let stack = &c.stack.name;
    // The user tags go into every taggable spec, so the planner diffs them.
    let tags = &c.stack.tags;
    let mut out = Vec::new();

    // Network.
    let vpc = addr(Kind::Vpc, "main");
    out.push(Desired::new(
        vpc.clone(),
        VpcSpec {
            cidr: v.vpc_cidr.to_string(),
            tags: tags.clone(),
        },
    ));
    if let Some(traffic_type) = c.network.flow_logs.traffic_type() {
        out.extend(flow_logs(v, &vpc, traffic_type));
    }
    let igw = addr(Kind::InternetGateway, "main");
    out.push(Desired::new(
        igw.clone(),
        InternetGatewaySpec {
            vpc: Ref::id(vpc.clone()),
            tags: tags.clone(),
        },
    ));
    let mut public_subnets = Vec::new();
    let mut private_subnets = Vec::new();
    for (i, az) in zones.iter().enumerate() {
        for (tier, cidrs, list) in [
            ("public", &v.public_cidrs, &mut public_subnets),
            ("private", &v.private_cidrs, &mut private_subnets),
        ] {
            let a = addr(Kind::Subnet, format!("{tier}-{i}"));
            out.push(Desired::new(
                a.clone(),
                SubnetSpec {
                    vpc: Ref::id(vpc.clone()),
                    cidr: cidrs[i].to_string(),
                    az: az.clone(),
                    public: tier == "public",
                    tags: tags.clone(),
                },
            ));
            list.push(a);
        }
    }
    let mut route_tables = vec![addr(Kind::RouteTable, "public")];
    out.push(Desired::new(
        route_tables[0].clone(),
        RouteTableSpec {
            vpc: Ref::id(vpc.clone()),
            routes: vec![Route {
                destination: "0.0.0.0/0".into(),
                internet_gateway: Some(Ref::id(igw.clone())),
                nat_gateway: None,
            }],
            subnets: public_subnets.iter().cloned().map(Ref::id).collect(),
            tags: tags.clone(),
        },
    ));
    let nat_count = match c.network.nat {
        NatMode::None => 0,
        NatMode::Single => 1,
        NatMode::PerAz => zones.len(),
    };
    for (i, public_subnet) in public_subnets.iter().enumerate().take(nat_count) {
        let eip = addr(Kind::ElasticIp, format!("nat-{i}"));
        let nat = addr(Kind::NatGateway, format!("nat-{i}"));
        out.push(Desired::new(
            eip.clone(),
            ElasticIpSpec { tags: tags.clone() },
        ));
        // A NAT gateway only forwards once the subnet's route to the IGW exists.
        out.push(
            Desired::new(
                nat.clone(),
                NatGatewaySpec {
                    subnet: Ref::id(public_subnet.clone()),
                    eip: Ref::id(eip),
                    tags: tags.clone(),
                },
            )
            .after([igw.clone()]),
        );
    }
    // Private subnets: per-AZ NAT gives each AZ its own table; otherwise one table.
    let private_tables: Vec<(String, Vec<Address>, Option<usize>)> = match c.network.nat {
        NatMode::PerAz => (0..zones.len())
            .map(|i| {
                (
                    format!("private-{i}"),
                    vec![private_subnets[i].clone()],
                    Some(i),
                )
            })
            .collect(),
        NatMode::Single => vec![("private".into(), private_subnets.clone(), Some(0))],
        NatMode::None => vec![("private".into(), private_subnets.clone(), None)],
    };
    for (name, subnets, nat) in private_tables {
        let a = addr(Kind::RouteTable, name);
        out.push(Desired::new(
            a.clone(),
            RouteTableSpec {
                vpc: Ref::id(vpc.clone()),
                routes: nat
                    .map(|i| Route {
                        destination: "0.0.0.0/0".into(),
                        internet_gateway: None,
                        nat_gateway: Some(id(Kind::NatGateway, format!("nat-{i}"))),
                    })
                    .into_iter()
                    .collect(),
                subnets: subnets.into_iter().map(Ref::id).collect(),
                tags: tags.clone(),
            },
        ));
        route_tables.push(a);
    }

    // Registry.
    for (name, r) in &c.repositories {
        out.push(Desired::new(
            addr(Kind::EcrRepository, name.clone()),
            EcrRepositorySpec {
                name: format!("{stack}-{name}"),
                scan_on_push: r.scan_on_push,
                tag_mutability: match r.tag_mutability {
                    TagMutability::Mutable => "MUTABLE".into(),
                    TagMutability::Immutable => "IMMUTABLE".into(),
                },
                keep_images: (r.keep_images > 0).then_some(r.keep_images),
                tags: tags.clone(),
            },
        ));
    }

    if c.services.is_empty() {
        return out;
    }

    // Load balancer.
    let alb_sg = addr(Kind::SecurityGroup, "alb");
    let alb = addr(Kind::LoadBalancer, "main");
    let http = addr(Kind::Listener, "http");
    let https = addr(Kind::Listener, "https");
    let lb = &c.load_balancer;
    // Listeners that forward by path (as opposed to redirecting everything to HTTPS).
    let mut forwarding = Vec::new();
    if v.has_load_balancer() {
        let ingress = if c.cdn.enabled && c.cdn.alb_only_from_cloudfront {
            // CloudFront uses HTTPS to the origin whenever the ALB has it.
            let origin_port = lb.https.as_ref().map_or(lb.http_port, |h| h.port);
            vec![tcp_from_cloudfront(origin_port)]
        } else {
            let mut ingress = vec![tcp_from_anywhere(lb.http_port, "HTTP from anywhere")];
            if let Some(h) = &lb.https {
                ingress.push(tcp_from_anywhere(h.port, "HTTPS from anywhere"));
            }
            ingress
        };
        out.push(Desired::new(
            alb_sg.clone(),
            SecurityGroupSpec {
                vpc: Ref::id(vpc.clone()),
                description: format!("{stack} load balancer"),
                ingress,
                egress: allow_all_egress(),
                tags: tags.clone(),
            },
        ));
        // An internet-facing ALB needs the VPC's internet gateway attached (AWS refuses
        // to create one without), and must be gone before the gateway is detached (its
        // public addresses hold the gateway). It does not wait for its subnets' route
        // table: it provisions for minutes, and the route is in place long before that.
        out.push(
            Desired::new(
                alb.clone(),
                LoadBalancerSpec {
                    name: format!("{stack}-alb"),
                    scheme: "internet-facing".into(),
                    subnets: public_subnets.iter().cloned().map(Ref::id).collect(),
                    security_groups: vec![Ref::id(alb_sg.clone())],
                    idle_timeout: lb.idle_timeout as i32,
                    deletion_protection: lb.deletion_protection,
                    drop_invalid_header_fields: lb.drop_invalid_header_fields,
                    tags: tags.clone(),
                },
            )
            .after([igw.clone()]),
        );
        let default_action = || match &v.default_service {
            Some(s) => ListenerAction::Forward {
                target_group: id(Kind::TargetGroup, s.clone()),
            },
            None => ListenerAction::FixedResponse {
                status: 404,
                body: "Not found".into(),
            },
        };
        let redirect = lb.https.as_ref().filter(|h| h.redirect_http);
        out.push(Desired::new(
            http.clone(),
            ListenerSpec {
                load_balancer: Ref::id(alb.clone()),
                port: lb.http_port.into(),
                protocol: "HTTP".into(),
                certificate_arn: None,
                ssl_policy: None,
                default_action: match redirect {
                    Some(h) => ListenerAction::RedirectHttps {
                        port: h.port.into(),
                    },
                    None => default_action(),
                },
                tags: tags.clone(),
            },
        ));
        if redirect.is_none() {
            forwarding.push((http.clone(), "http"));
        }
        if let Some(h) = &lb.https {
            out.push(Desired::new(
                https.clone(),
                ListenerSpec {
                    load_balancer: Ref::id(alb.clone()),
                    port: h.port.into(),
                    protocol: "HTTPS".into(),
                    certificate_arn: Some(h.certificate_arn.clone()),
                    ssl_policy: Some(
                        h.ssl_policy
                            .clone()
                            .unwrap_or_else(|| "ELBSecurityPolicy-TLS13-1-2-2021-06".into()),
                    ),
                    default_action: default_action(),
                    tags: tags.clone(),
                },
            ));
            forwarding.push((https.clone(), "https"));
        }
    }

    // Cluster and roles shared by all services.
    let cluster = addr(Kind::EcsCluster, "main");
    out.push(Desired::new(
        cluster.clone(),
        EcsClusterSpec {
            name: stack.clone(),
            container_insights: c.cluster.container_insights,
            capacity_providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
            tags: tags.clone(),
        },
    ));
    let execution_role = addr(Kind::IamRole, "execution");
    out.push(Desired::new(
        execution_role.clone(),
        IamRoleSpec {
            name: format!("{stack}-execution"),
            trusted_service: "ecs-tasks.amazonaws.com".into(),
            managed_policies: vec![execution_policy(v.partition.name)],
            readable_secrets: secret_resources(c),
            writable_logs: Vec::new(),
            tags: tags.clone(),
        },
    ));

    for (name, s) in &c.services {
        let routed = !s.routes.is_empty();
        let sg = addr(Kind::SecurityGroup, name.clone());
        let port = s.port.unwrap_or_default();
        out.push(Desired::new(
            sg.clone(),
            SecurityGroupSpec {
                vpc: Ref::id(vpc.clone()),
                description: format!("{stack} service {name}"),
                ingress: if routed {
                    vec![Rule {
                        protocol: "tcp".into(),
                        from_port: port.into(),
                        to_port: port.into(),
                        cidr: None,
                        source_group: Some(Ref::id(alb_sg.clone())),
                        prefix_list: None,
                        description: "from the load balancer".into(),
                    }]
                } else {
                    Vec::new()
                },
                egress: allow_all_egress(),
                tags: tags.clone(),
            },
        ));
        let log_group = addr(Kind::LogGroup, name.clone());
        out.push(Desired::new(
            log_group.clone(),
            LogGroupSpec {
                name: format!("/ecs/{stack}/{name}"),
                retention_days: s.log_retention_days as i32,
                tags: tags.clone(),
            },
        ));
        let task_role = (!s.task_role_policies.is_empty()).then(|| {
            let a = addr(Kind::IamRole, format!("{name}-task"));
            out.push(Desired::new(
                a.clone(),
                IamRoleSpec {
                    name: format!("{stack}-{name}-task"),
                    trusted_service: "ecs-tasks.amazonaws.com".into(),
                    managed_policies: s.task_role_policies.clone(),
                    readable_secrets: Vec::new(),
                    writable_logs: Vec::new(),
                    tags: tags.clone(),
                },
            ));
            Ref::new(a, "arn")
        });
        let image = match &v.images[name] {
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
        };
        let task_definition = addr(Kind::TaskDefinition, name.clone());
        out.push(Desired::new(
            task_definition.clone(),
            TaskDefinitionSpec {
                family: format!("{stack}-{name}"),
                cpu: s.cpu.to_string(),
                memory: s.memory.to_string(),
                cpu_architecture: match s.arch {
                    Arch::X86_64 => "X86_64".into(),
                    Arch::Arm64 => "ARM64".into(),
                },
                execution_role: Ref::new(execution_role.clone(), "arn"),
                task_role,
                container: ContainerSpec {
                    name: name.clone(),
                    image,
                    port: s.port.map(i32::from),
                    environment: s.env.clone(),
                    secrets: s.secrets.clone(),
                    log_group: Ref::id(log_group),
                    log_region: v.region.clone(),
                    log_stream_prefix: name.clone(),
                    log_mode: Some(
                        match s.log_mode {
                            LogMode::NonBlocking => "non-blocking",
                            LogMode::Blocking => "blocking",
                        }
                        .into(),
                    ),
                    read_only_root_filesystem: s.read_only_root_filesystem,
                },
                tags: tags.clone(),
            },
        ));

        let mut service_after = Vec::new();
        let mut load_balancer = None;
        if routed {
            let tg = addr(Kind::TargetGroup, name.clone());
            let hc = &s.health_check;
            out.push(Desired::new(
                tg.clone(),
                TargetGroupSpec {
                    name: target_group::group_name(stack, name, port, &v.vpc_cidr.to_string()),
                    vpc: Ref::id(vpc.clone()),
                    port: port.into(),
                    health_check: TgHealthCheck {
                        path: hc.path.clone(),
                        interval: hc.interval as i32,
                        timeout: hc.timeout as i32,
                        healthy_threshold: hc.healthy as i32,
                        unhealthy_threshold: hc.unhealthy as i32,
                        matcher: hc.matcher.clone(),
                    },
                    deregistration_delay: s.deregistration_delay as i32,
                    tags: tags.clone(),
                },
            ));
            // The rollout is judged by target health: the ALB must be active first.
            service_after.push(alb.clone());
            // ECS refuses a target group that no listener or rule uses yet.
            if v.default_service.as_deref() == Some(name.as_str()) {
                service_after.extend(forwarding.iter().map(|(l, _)| l.clone()));
            }
            if let Some((priority, paths)) = v.rules.get(name) {
                for (listener, suffix) in &forwarding {
                    let rule = addr(Kind::ListenerRule, format!("{name}-{suffix}"));
                    out.push(Desired::new(
                        rule.clone(),
                        ListenerRuleSpec {
                            listener: Ref::id(listener.clone()),
                            priority: *priority as i32,
                            paths: paths.clone(),
                            target_group: Ref::id(tg.clone()),
                            tags: tags.clone(),
                        },
                    ));
                    service_after.push(rule);
                }
            }
            load_balancer = Some(ServiceLoadBalancer {
                target_group: Ref::id(tg),
                container_name: name.clone(),
                container_port: port.into(),
            });
        }
        let (subnets, public_ip) = match s.placement {
            Placement::Private => (&private_subnets, false),
            Placement::Public => (&public_subnets, true),
        };
        // Tasks pull their image at start: their subnets' egress route must exist.
        service_after.extend(route_tables.iter().cloned());
        out.push(
            Desired::new(
                addr(Kind::EcsService, name.clone()),
                EcsServiceSpec {
                    name: name.clone(),
                    cluster: Ref::id(cluster.clone()),
                    task_definition: Ref::id(task_definition),
                    desired_count: s.desired_count as i32,
                    subnets: subnets.iter().cloned().map(Ref::id).collect(),
                    security_groups: vec![Ref::id(sg)],
                    assign_public_ip: public_ip,
                    load_balancer,
                    health_check_grace_period: routed.then_some(s.grace_period as i32),
                    circuit_breaker: s.circuit_breaker,
                    min_healthy_percent: s.min_healthy_percent as i32,
                    max_percent: s.max_percent as i32,
                    capacity: if s.spot { "FARGATE_SPOT" } else { "FARGATE" }.into(),
                    wait_for_steady_state: s.wait,
                    tags: tags.clone(),
                },
            )
            .after(service_after),
        );
    }

    if c.cdn.enabled && v.has_load_balancer() {
        let https_origin = lb.https.as_ref();
        out.push(Desired::new(
            addr(Kind::CloudfrontDistribution, "main"),
            CloudfrontDistributionSpec {
                origin_domain: Ref::new(alb.clone(), "dns_name"),
                origin_protocol: if https_origin.is_some() {
                    "https-only"
                } else {
                    "http-only"
                }
                .into(),
                origin_http_port: lb.http_port.into(),
                origin_https_port: https_origin.map(|h| h.port.into()).unwrap_or(443),
                viewer_protocol: match c.cdn.viewer_protocol {
                    ViewerProtocol::AllowAll => "allow-all",
                    ViewerProtocol::RedirectToHttps => "redirect-to-https",
                    ViewerProtocol::HttpsOnly => "https-only",
                }
                .into(),
                cache_policy_id: match c.cdn.caching {
                    Caching::Disabled => CACHING_DISABLED,
                    Caching::Optimized => CACHING_BY_ORIGIN_HEADERS,
                }
                .into(),
                origin_request_policy_id: ALL_VIEWER.into(),
                aliases: c.cdn.aliases.clone(),
                certificate_arn: c.cdn.certificate_arn.clone(),
                price_class: c.cdn.price_class.clone(),
                comment: format!("{stack} (stackctl)"),
                wait_for_deployment: c.cdn.wait,
                tags: tags.clone(),
            },
        ));
    }
    out
}
