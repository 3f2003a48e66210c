//! Everything of a stack that still exists in AWS, found by tag or name prefix
//! independently of stackctl's state: the proof that destroy left nothing behind.

use aws_sdk_ec2::types::Filter;
use stackctl::address::Kind;
use stackctl::aws::Aws;

/// The objects of `stack` in AWS whose id the state's text does not name: what a
/// run would have lost track of.
pub async fn unrecorded(aws: &Aws, stack: &str, state: &str) -> Vec<String> {
    of_stack(aws, stack)
        .await
        .into_iter()
        .filter(|o| {
            !o.split_whitespace()
                .last()
                .is_some_and(|id| state.contains(id))
        })
        .collect()
}

/// Every object of `stack` in AWS, kind by kind: a new kind does not compile until
/// `sweep` says how to find its objects.
pub async fn of_stack(aws: &Aws, stack: &str) -> Vec<String> {
    let mut left = Vec::new();
    for kind in Kind::ALL {
        left.extend(sweep(aws, stack, *kind).await);
    }
    left
}

/// The objects of `kind` of `stack` that still exist, each as `label(kind)` and its id.
async fn sweep(aws: &Aws, stack: &str, kind: Kind) -> Vec<String> {
    let tagged = Tagged { aws, stack };
    match kind {
        Kind::Vpc => tagged.vpcs().await,
        Kind::Subnet => tagged.subnets().await,
        Kind::InternetGateway => tagged.internet_gateways().await,
        Kind::ElasticIp => tagged.addresses().await,
        Kind::NatGateway => tagged.nat_gateways().await,
        Kind::RouteTable => tagged.route_tables().await,
        Kind::SecurityGroup => tagged.security_groups().await,
        Kind::FlowLog => tagged.flow_logs().await,
        Kind::EcrRepository => repositories(aws, stack).await,
        Kind::LogGroup => log_groups(aws, stack).await,
        Kind::IamRole => roles(aws, stack).await,
        Kind::EcsCluster => clusters(aws, stack).await,
        Kind::LoadBalancer => load_balancers(aws, stack).await,
        Kind::TargetGroup => target_groups(aws, stack).await,
        Kind::Listener => listeners_of(aws, stack, false).await,
        Kind::ListenerRule => listeners_of(aws, stack, true).await,
        Kind::TaskDefinition => task_definitions(aws, stack).await,
        Kind::EcsService => services_of(aws, stack).await,
        Kind::ScalableTarget => scalable_targets(aws, stack).await,
        Kind::ScalingPolicy => scaling_policies(aws, stack).await,
        Kind::SnsTopic => topics(aws, stack).await,
        Kind::SnsSubscription => subscriptions(aws, stack).await,
        Kind::Alarm => alarms(aws, stack).await,
        Kind::CloudfrontDistribution => distributions(aws, stack).await,
        Kind::Certificate => certificates(aws, stack).await,
        Kind::DnsRecord => records(aws, stack).await,
    }
}

/// The EC2 objects of the stack: found by its `stackctl:stack` tag.
struct Tagged<'a> {
    aws: &'a Aws,
    stack: &'a str,
}

impl Tagged<'_> {
    fn tag(&self) -> Filter {
        Filter::builder()
            .name("tag:stackctl:stack")
            .values(self.stack)
            .build()
    }

    async fn vpcs(&self) -> Vec<String> {
        let out = self
            .aws
            .ec2
            .describe_vpcs()
            .filters(self.tag())
            .send()
            .await;
        let out = out.unwrap();
        out.vpcs()
            .iter()
            .map(|v| format!("vpc {}", v.vpc_id().unwrap_or_default()))
            .collect()
    }

    async fn subnets(&self) -> Vec<String> {
        let out = self
            .aws
            .ec2
            .describe_subnets()
            .filters(self.tag())
            .send()
            .await;
        let out = out.unwrap();
        out.subnets()
            .iter()
            .map(|s| format!("subnet {}", s.subnet_id().unwrap_or_default()))
            .collect()
    }

    async fn internet_gateways(&self) -> Vec<String> {
        let ec2 = &self.aws.ec2;
        let out = ec2
            .describe_internet_gateways()
            .filters(self.tag())
            .send()
            .await;
        let out = out.unwrap();
        out.internet_gateways()
            .iter()
            .map(|g| {
                let id = g.internet_gateway_id().unwrap_or_default();
                format!("internet gateway {id}")
            })
            .collect()
    }

    async fn route_tables(&self) -> Vec<String> {
        let ec2 = &self.aws.ec2;
        let out = ec2.describe_route_tables().filters(self.tag()).send().await;
        let out = out.unwrap();
        out.route_tables()
            .iter()
            .map(|r| format!("route table {}", r.route_table_id().unwrap_or_default()))
            .collect()
    }

    async fn security_groups(&self) -> Vec<String> {
        let ec2 = &self.aws.ec2;
        let out = ec2
            .describe_security_groups()
            .filters(self.tag())
            .send()
            .await;
        let out = out.unwrap();
        out.security_groups()
            .iter()
            .map(|g| format!("security group {}", g.group_id().unwrap_or_default()))
            .collect()
    }

    async fn addresses(&self) -> Vec<String> {
        let ec2 = &self.aws.ec2;
        let out = ec2.describe_addresses().filters(self.tag()).send().await;
        let out = out.unwrap();
        out.addresses()
            .iter()
            .map(|a| format!("elastic ip {}", a.allocation_id().unwrap_or_default()))
            .collect()
    }

    async fn flow_logs(&self) -> Vec<String> {
        let ec2 = &self.aws.ec2;
        let out = ec2.describe_flow_logs().filter(self.tag()).send().await;
        let out = out.unwrap();
        out.flow_logs()
            .iter()
            .map(|f| format!("flow log {}", f.flow_log_id().unwrap_or_default()))
            .collect()
    }

    async fn nat_gateways(&self) -> Vec<String> {
        let ec2 = &self.aws.ec2;
        let out = ec2.describe_nat_gateways().filter(self.tag()).send().await;
        let mut left = Vec::new();
        for n in out.unwrap().nat_gateways() {
            let state = n
                .state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            // moto ignores tag filters on DescribeNatGateways: check the tag here.
            let ours = n
                .tags()
                .iter()
                .any(|t| t.key() == Some("stackctl:stack") && t.value() == Some(self.stack));
            if ours && state != "deleted" {
                let id = n.nat_gateway_id().unwrap_or_default();
                left.push(format!("nat gateway ({state}) {id}"));
            }
        }
        left
    }
}

/// Objects named `{stack}-...` among `names`, each labelled.
fn named(stack: &str, label: &str, names: impl IntoIterator<Item = String>) -> Vec<String> {
    let prefix = format!("{stack}-");
    names
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .map(|n| format!("{label} {n}"))
        .collect()
}

async fn clusters(aws: &Aws, stack: &str) -> Vec<String> {
    let mut left = Vec::new();
    let clusters = aws.ecs.list_clusters().send().await.unwrap();
    for arn in clusters.cluster_arns() {
        let d = aws
            .ecs
            .describe_clusters()
            .clusters(arn)
            .send()
            .await
            .unwrap();
        for c in d.clusters() {
            if c.cluster_name() == Some(stack) && c.status() != Some("INACTIVE") {
                left.push(format!("ecs cluster {arn}"));
            }
        }
    }
    left
}

async fn task_definitions(aws: &Aws, stack: &str) -> Vec<String> {
    let active = aws_sdk_ecs::types::TaskDefinitionStatus::Active;
    let listed = aws.ecs.list_task_definitions().status(active).send().await;
    let family = format!("task-definition/{stack}-");
    listed
        .unwrap()
        .task_definition_arns()
        .iter()
        .filter(|arn| arn.contains(&family))
        .map(|arn| format!("task definition {arn}"))
        .collect()
}

async fn load_balancers(aws: &Aws, stack: &str) -> Vec<String> {
    let out = aws.elb.describe_load_balancers().send().await.unwrap();
    let names = out.load_balancers().iter();
    let names = names.filter_map(|lb| lb.load_balancer_name().map(String::from));
    named(stack, "load balancer", names)
}

async fn target_groups(aws: &Aws, stack: &str) -> Vec<String> {
    let out = aws.elb.describe_target_groups().send().await.unwrap();
    let names = out.target_groups().iter();
    let names = names.filter_map(|tg| tg.target_group_name().map(String::from));
    named(stack, "target group", names)
}

async fn repositories(aws: &Aws, stack: &str) -> Vec<String> {
    let out = aws.ecr.describe_repositories().send().await.unwrap();
    let names = out.repositories().iter();
    let names = names.filter_map(|r| r.repository_name().map(String::from));
    named(stack, "repository", names)
}

/// The services' groups, and the VPC flow logs' group.
async fn log_groups(aws: &Aws, stack: &str) -> Vec<String> {
    let mut left = Vec::new();
    for prefix in [format!("/ecs/{stack}/"), format!("/vpc/{stack}/")] {
        let logs = aws.logs.describe_log_groups().log_group_name_prefix(prefix);
        for g in logs.send().await.unwrap().log_groups() {
            let name = g.log_group_name().unwrap_or_default();
            left.push(format!("log group {name}"));
        }
    }
    left
}

async fn roles(aws: &Aws, stack: &str) -> Vec<String> {
    let out = aws.iam.list_roles().send().await.unwrap();
    let names = out.roles().iter().map(|r| r.role_name().to_string());
    named(stack, "iam role", names)
}

/// The scalable targets on services of the stack's cluster (named after the stack).
async fn scalable_targets(aws: &Aws, stack: &str) -> Vec<String> {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let out = aws
        .scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs);
    let out = out.send().await.unwrap();
    let prefix = format!("service/{stack}/");
    let ids = out.scalable_targets().iter().map(|t| t.resource_id());
    ids.filter(|id| id.starts_with(&prefix))
        .map(|id| format!("scalable target {id}"))
        .collect()
}

/// The scaling policies named `{stack}-...`.
async fn scaling_policies(aws: &Aws, stack: &str) -> Vec<String> {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let out = aws
        .scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs);
    let out = out.send().await.unwrap();
    let names = out
        .scaling_policies()
        .iter()
        .map(|p| p.policy_name().to_string());
    named(stack, "scaling policy", names)
}

/// The topics named `{stack}-...`.
async fn topics(aws: &Aws, stack: &str) -> Vec<String> {
    let out = aws.sns.list_topics().send().await.unwrap();
    let arns = out.topics().iter().filter_map(|t| t.topic_arn());
    let prefix = format!(":{stack}-");
    arns.filter(|arn| arn.contains(&prefix))
        .map(|arn| format!("sns topic {arn}"))
        .collect()
}

/// The subscriptions to topics named `{stack}-...`.
async fn subscriptions(aws: &Aws, stack: &str) -> Vec<String> {
    let out = aws.sns.list_subscriptions().send().await.unwrap();
    let prefix = format!(":{stack}-");
    let ours = out
        .subscriptions()
        .iter()
        .filter(|s| s.topic_arn().is_some_and(|t| t.contains(&prefix)));
    ours.map(|s| {
        format!(
            "sns subscription {}",
            s.subscription_arn().unwrap_or_default()
        )
    })
    .collect()
}

/// The alarms named `{stack}-...` (the scaling policies' `TargetTracking-...` alarms
/// are AWS's, made and deleted with the policies).
async fn alarms(aws: &Aws, stack: &str) -> Vec<String> {
    let out = aws
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("{stack}-"));
    let out = out.send().await.unwrap();
    let names = out
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(String::from));
    named(stack, "alarm", names)
}

async fn distributions(aws: &Aws, stack: &str) -> Vec<String> {
    let out = aws.cloudfront.list_distributions().send().await.unwrap();
    let items = out
        .distribution_list()
        .map(|l| l.items())
        .unwrap_or_default();
    items
        .iter()
        .filter(|d| d.comment().starts_with(&format!("{stack} ")))
        .map(|d| format!("cloudfront distribution {}", d.id()))
        .collect()
}

/// The stack's certificates in its region and in us-east-1 (CloudFront's), by tag.
async fn certificates(aws: &Aws, stack: &str) -> Vec<String> {
    let mut left = Vec::new();
    for acm in [&aws.acm, &aws.acm_cloudfront] {
        let out = acm.list_certificates().send().await.unwrap();
        for arn in out
            .certificate_summary_list()
            .iter()
            .filter_map(|c| c.certificate_arn())
        {
            let tags = acm
                .list_tags_for_certificate()
                .certificate_arn(arn)
                .send()
                .await
                .unwrap();
            let ours = tags
                .tags()
                .iter()
                .any(|t| t.key() == "stackctl:stack" && t.value() == Some(stack));
            if ours {
                left.push(format!("certificate {arn}"));
            }
        }
    }
    left
}

/// Records carry no tags: a test stack's domain is `{stack}.<zone>` (the production
/// example's `shop.example.com`), so every record at that name or below it, in any
/// zone, is the stack's (its alias records and the validation CNAME).
async fn records(aws: &Aws, stack: &str) -> Vec<String> {
    let zones = aws.route53.list_hosted_zones().send().await.unwrap();
    let mut left = Vec::new();
    for z in zones.hosted_zones() {
        let domain = format!("{stack}.{}", z.name());
        let out = aws
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(z.id())
            .send()
            .await
            .unwrap();
        left.extend(
            out.resource_record_sets()
                .iter()
                .filter(|r| r.name() == domain || r.name().ends_with(&format!(".{domain}")))
                .map(|r| {
                    // As stackctl names it: ZONEID_NAME_TYPE.
                    let zone_id = z.id().trim_start_matches("/hostedzone/");
                    let name = r.name().trim_end_matches('.').to_ascii_lowercase();
                    format!("dns record {zone_id}_{name}_{}", r.r#type().as_str())
                }),
        );
    }
    left
}

/// The services of the stack's cluster (named after the stack) that are not gone:
/// AWS refuses to delete a cluster that still has any, where moto deletes it and
/// keeps them.
async fn services_of(aws: &Aws, stack: &str) -> Vec<String> {
    let mut left = Vec::new();
    let Ok(listed) = aws.ecs.list_services().cluster(stack).send().await else {
        return left;
    };
    for arn in listed.service_arns() {
        let described = aws
            .ecs
            .describe_services()
            .cluster(stack)
            .services(arn)
            .send()
            .await
            .unwrap();
        for s in described.services() {
            if s.status() != Some("INACTIVE") {
                left.push(format!("ecs service {arn}"));
            }
        }
    }
    left
}

/// The listeners of the stack's load balancers (named `{stack}-...`), or (`rules`)
/// their rules other than the default.
async fn listeners_of(aws: &Aws, stack: &str, rules: bool) -> Vec<String> {
    let mut left = Vec::new();
    let balancers = aws.elb.describe_load_balancers().send().await.unwrap();
    for lb in balancers.load_balancers() {
        if !lb
            .load_balancer_name()
            .is_some_and(|n| n.starts_with(&format!("{stack}-")))
        {
            continue;
        }
        let listeners = aws
            .elb
            .describe_listeners()
            .load_balancer_arn(lb.load_balancer_arn().unwrap_or_default())
            .send()
            .await
            .unwrap();
        for l in listeners.listeners() {
            let arn = l.listener_arn().unwrap_or_default();
            if !rules {
                left.push(format!("listener {arn}"));
                continue;
            }
            let rules = aws
                .elb
                .describe_rules()
                .listener_arn(arn)
                .send()
                .await
                .unwrap();
            for r in rules
                .rules()
                .iter()
                .filter(|r| r.is_default() != Some(true))
            {
                left.push(format!(
                    "listener rule {}",
                    r.rule_arn().unwrap_or_default()
                ));
            }
        }
    }
    left
}

/// How the sweep names an object of `kind`: the start of its line. Exhaustive, so a
/// new kind does not compile until the sweep says how it finds it.
pub fn label(kind: Kind) -> &'static str {
    match kind {
        Kind::Vpc => "vpc ",
        Kind::Subnet => "subnet ",
        Kind::InternetGateway => "internet gateway ",
        Kind::ElasticIp => "elastic ip ",
        Kind::NatGateway => "nat gateway ",
        Kind::RouteTable => "route table ",
        Kind::SecurityGroup => "security group ",
        Kind::EcrRepository => "repository ",
        Kind::LogGroup => "log group ",
        Kind::IamRole => "iam role ",
        Kind::FlowLog => "flow log ",
        Kind::EcsCluster => "ecs cluster ",
        Kind::LoadBalancer => "load balancer ",
        Kind::TargetGroup => "target group ",
        Kind::Listener => "listener arn",
        Kind::ListenerRule => "listener rule ",
        Kind::TaskDefinition => "task definition ",
        Kind::EcsService => "ecs service ",
        Kind::ScalableTarget => "scalable target ",
        Kind::ScalingPolicy => "scaling policy ",
        Kind::SnsTopic => "sns topic ",
        Kind::SnsSubscription => "sns subscription ",
        Kind::Alarm => "alarm ",
        Kind::CloudfrontDistribution => "cloudfront distribution ",
        Kind::Certificate => "certificate ",
        Kind::DnsRecord => "dns record ",
    }
}
