//! The one place where a `Kind` is mapped to its implementation. Specs travel through
//! the planner, the engine and the state file as JSON; each call here decodes the
//! spec into the kind's own type. The `match` is exhaustive, so a new kind does not
//! compile until it is wired in here.

use super::*;

macro_rules! dispatch {
    ($kind:expr, $R:ident => $body:expr) => {
        match $kind {
            Kind::Vpc => {
                type $R = vpc::Vpc;
                $body
            }
            Kind::Subnet => {
                type $R = subnet::Subnet;
                $body
            }
            Kind::InternetGateway => {
                type $R = internet_gateway::InternetGateway;
                $body
            }
            Kind::ElasticIp => {
                type $R = elastic_ip::ElasticIp;
                $body
            }
            Kind::NatGateway => {
                type $R = nat_gateway::NatGateway;
                $body
            }
            Kind::RouteTable => {
                type $R = route_table::RouteTable;
                $body
            }
            Kind::SecurityGroup => {
                type $R = security_group::SecurityGroup;
                $body
            }
            Kind::EcrRepository => {
                type $R = ecr_repository::EcrRepository;
                $body
            }
            Kind::LogGroup => {
                type $R = log_group::LogGroup;
                $body
            }
            Kind::IamRole => {
                type $R = iam_role::IamRole;
                $body
            }
            Kind::FlowLog => {
                type $R = flow_log::FlowLog;
                $body
            }
            Kind::EcsCluster => {
                type $R = ecs_cluster::EcsCluster;
                $body
            }
            Kind::LoadBalancer => {
                type $R = load_balancer::LoadBalancer;
                $body
            }
            Kind::TargetGroup => {
                type $R = target_group::TargetGroup;
                $body
            }
            Kind::Listener => {
                type $R = listener::Listener;
                $body
            }
            Kind::ListenerRule => {
                type $R = listener_rule::ListenerRule;
                $body
            }
            Kind::TaskDefinition => {
                type $R = task_definition::TaskDefinition;
                $body
            }
            Kind::EcsService => {
                type $R = ecs_service::EcsService;
                $body
            }
            Kind::CloudfrontDistribution => {
                type $R = cloudfront_distribution::CloudfrontDistribution;
                $body
            }
        }
    };
}

fn decode<T: DeserializeOwned>(kind: Kind, spec: &Value) -> Result<T, AwsError> {
    serde_json::from_value(spec.clone()).map_err(|e| {
        AwsError::invalid(
            "decode spec",
            format!("recorded {kind} spec is unreadable: {e}"),
        )
    })
}

pub fn replace_on(kind: Kind) -> &'static [&'static str] {
    dispatch!(kind, R => R::REPLACE_ON)
}

pub fn transient(kind: Kind) -> &'static [Transient] {
    dispatch!(kind, R => R::TRANSIENT)
}

pub fn staged(kind: Kind) -> &'static [&'static str] {
    dispatch!(kind, R => R::STAGED)
}

pub fn waits(kind: Kind) -> bool {
    dispatch!(kind, R => R::WAITS)
}

pub fn ready_before(kind: Kind) -> &'static [Kind] {
    dispatch!(kind, R => R::READY_BEFORE)
}

pub fn find_needs(kind: Kind) -> &'static [Kind] {
    dispatch!(kind, R => R::FIND_NEEDS)
}

pub fn create_before_destroy(kind: Kind) -> bool {
    dispatch!(kind, R => R::CREATE_BEFORE_DESTROY)
}

pub fn deploy_attrs(kind: Kind) -> &'static [&'static str] {
    dispatch!(kind, R => R::DEPLOY_ATTRS)
}

pub fn replace_warning(kind: Kind) -> Option<&'static str> {
    dispatch!(kind, R => R::REPLACE_WARNING)
}

/// The spec with deployed settings pinned (see `Resource::keep_deployed`), if any.
pub fn keep_deployed(
    kind: Kind,
    spec: &Value,
    lookup: &dyn Lookup,
    live: &Live,
) -> Result<Option<Value>, AwsError> {
    dispatch!(kind, R => {
        let decoded = decode::<<R as Resource>::Spec>(kind, spec)?;
        Ok(R::keep_deployed(&decoded, lookup, live)
            .map(|s| serde_json::to_value(s).expect("specs serialize to JSON")))
    })
}

pub fn wanted(kind: Kind, spec: &Value, lookup: &dyn Lookup) -> Result<WantedAttrs, AwsError> {
    dispatch!(kind, R => Ok(R::wanted(&decode::<<R as Resource>::Spec>(kind, spec)?, lookup)))
}

pub async fn read(kind: Kind, aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
    dispatch!(kind, R => R::read(aws, id).await)
}

pub async fn read_many(
    kind: Kind,
    aws: &Aws,
    ids: &[CloudId],
) -> Result<Vec<Option<Live>>, AwsError> {
    dispatch!(kind, R => R::read_many(aws, ids).await)
}

pub async fn find(kind: Kind, ctx: &Ctx<'_>, spec: &Value) -> Result<Option<CloudId>, AwsError> {
    dispatch!(kind, R => {
        let spec = decode::<<R as Resource>::Spec>(kind, spec)?;
        R::find(ctx, &spec).await
    })
}

pub async fn create(kind: Kind, ctx: &Ctx<'_>, spec: &Value) -> Result<Created, AwsError> {
    dispatch!(kind, R => {
        let spec = decode::<<R as Resource>::Spec>(kind, spec)?;
        R::create(ctx, &spec).await
    })
}

pub async fn wait_ready(
    kind: Kind,
    ctx: &Ctx<'_>,
    id: &CloudId,
    spec: &Value,
) -> Result<(), AwsError> {
    dispatch!(kind, R => {
        let spec = decode::<<R as Resource>::Spec>(kind, spec)?;
        R::wait_ready(ctx, id, &spec).await
    })
}

pub async fn update(
    kind: Kind,
    ctx: &Ctx<'_>,
    id: &CloudId,
    spec: &Value,
    changed: &[String],
) -> Result<(), AwsError> {
    dispatch!(kind, R => {
        let spec = decode::<<R as Resource>::Spec>(kind, spec)?;
        R::update(ctx, id, &spec, changed).await
    })
}

pub async fn finish(kind: Kind, ctx: &Ctx<'_>, id: &CloudId, spec: &Value) -> Result<(), AwsError> {
    dispatch!(kind, R => {
        let spec = decode::<<R as Resource>::Spec>(kind, spec)?;
        R::finish(ctx, id, &spec).await
    })
}

pub async fn retire(kind: Kind, aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    dispatch!(kind, R => R::retire(aws, id).await)
}

pub async fn delete(kind: Kind, aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    dispatch!(kind, R => R::delete(aws, id).await)
}
