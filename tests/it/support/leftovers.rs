//! Everything of a stack that still exists in AWS, found by tag or name prefix
//! independently of stackctl's state: the proof that destroy left nothing behind.

use aws_sdk_ec2::types::Filter;
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

pub async fn of_stack(aws: &Aws, stack: &str) -> Vec<String> {
    let mut left = Vec::new();
    let tag = || {
        Filter::builder()
            .name("tag:stackctl:stack")
            .values(stack)
            .build()
    };
    let ec2 = &aws.ec2;
    for v in ec2
        .describe_vpcs()
        .filters(tag())
        .send()
        .await
        .unwrap()
        .vpcs()
    {
        left.push(format!("vpc {}", v.vpc_id().unwrap_or_default()));
    }
    for s in ec2
        .describe_subnets()
        .filters(tag())
        .send()
        .await
        .unwrap()
        .subnets()
    {
        left.push(format!("subnet {}", s.subnet_id().unwrap_or_default()));
    }
    for g in ec2
        .describe_internet_gateways()
        .filters(tag())
        .send()
        .await
        .unwrap()
        .internet_gateways()
    {
        left.push(format!(
            "internet gateway {}",
            g.internet_gateway_id().unwrap_or_default()
        ));
    }
    for r in ec2
        .describe_route_tables()
        .filters(tag())
        .send()
        .await
        .unwrap()
        .route_tables()
    {
        left.push(format!(
            "route table {}",
            r.route_table_id().unwrap_or_default()
        ));
    }
    for g in ec2
        .describe_security_groups()
        .filters(tag())
        .send()
        .await
        .unwrap()
        .security_groups()
    {
        left.push(format!(
            "security group {}",
            g.group_id().unwrap_or_default()
        ));
    }
    for a in ec2
        .describe_addresses()
        .filters(tag())
        .send()
        .await
        .unwrap()
        .addresses()
    {
        left.push(format!(
            "elastic ip {}",
            a.allocation_id().unwrap_or_default()
        ));
    }
    for f in ec2
        .describe_flow_logs()
        .filter(tag())
        .send()
        .await
        .unwrap()
        .flow_logs()
    {
        left.push(format!("flow log {}", f.flow_log_id().unwrap_or_default()));
    }
    for n in ec2
        .describe_nat_gateways()
        .filter(tag())
        .send()
        .await
        .unwrap()
        .nat_gateways()
    {
        let state = n
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        // moto ignores tag filters on DescribeNatGateways: check the tag here.
        let ours = n
            .tags()
            .iter()
            .any(|t| t.key() == Some("stackctl:stack") && t.value() == Some(stack));
        if ours && state != "deleted" {
            left.push(format!(
                "nat gateway ({state}) {}",
                n.nat_gateway_id().unwrap_or_default()
            ));
        }
    }
    left.extend(services_of(aws, stack).await);
    left.extend(listeners_of(aws, stack).await);
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
    let families = aws
        .ecs
        .list_task_definitions()
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await
        .unwrap();
    for arn in families.task_definition_arns() {
        if arn.contains(&format!("task-definition/{stack}-")) {
            left.push(format!("task definition {arn}"));
        }
    }
    for lb in aws
        .elb
        .describe_load_balancers()
        .send()
        .await
        .unwrap()
        .load_balancers()
    {
        if lb
            .load_balancer_name()
            .is_some_and(|n| n.starts_with(&format!("{stack}-")))
        {
            left.push(format!(
                "load balancer {}",
                lb.load_balancer_name().unwrap_or_default()
            ));
        }
    }
    for tg in aws
        .elb
        .describe_target_groups()
        .send()
        .await
        .unwrap()
        .target_groups()
    {
        if tg
            .target_group_name()
            .is_some_and(|n| n.starts_with(&format!("{stack}-")))
        {
            left.push(format!(
                "target group {}",
                tg.target_group_name().unwrap_or_default()
            ));
        }
    }
    for r in aws
        .ecr
        .describe_repositories()
        .send()
        .await
        .unwrap()
        .repositories()
    {
        if r.repository_name()
            .is_some_and(|n| n.starts_with(&format!("{stack}-")))
        {
            left.push(format!(
                "repository {}",
                r.repository_name().unwrap_or_default()
            ));
        }
    }
    // The services' groups, and the VPC flow logs' group.
    for prefix in [format!("/ecs/{stack}/"), format!("/vpc/{stack}/")] {
        let groups = aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .send()
            .await
            .unwrap();
        for g in groups.log_groups() {
            left.push(format!(
                "log group {}",
                g.log_group_name().unwrap_or_default()
            ));
        }
    }
    for r in aws.iam.list_roles().send().await.unwrap().roles() {
        if r.role_name().starts_with(&format!("{stack}-")) {
            left.push(format!("iam role {}", r.role_name()));
        }
    }
    let dists = aws.cloudfront.list_distributions().send().await.unwrap();
    if let Some(list) = dists.distribution_list() {
        for d in list.items() {
            if d.comment().starts_with(&format!("{stack} ")) {
                left.push(format!("cloudfront distribution {}", d.id()));
            }
        }
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

/// The listeners of the stack's load balancers (named `{stack}-...`), and their rules.
async fn listeners_of(aws: &Aws, stack: &str) -> Vec<String> {
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
            left.push(format!("listener {arn}"));
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
pub fn label(kind: stackctl::address::Kind) -> &'static str {
    use stackctl::address::Kind;
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
        Kind::CloudfrontDistribution => "cloudfront distribution ",
    }
}
