//! The one place where a `Kind` is mapped to its implementation. Specs travel through
//! the planner, the engine and the state file as JSON; each call here decodes the
//! spec into the kind's own type. The `match` is exhaustive, so a new kind does not
//! compile until it is wired in here.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
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
            Kind::Certificate => {
                type $R = certificate::Certificate;
                $body
            }
            Kind::DnsRecord => {
                type $R = dns_record::DnsRecord;
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
            Kind::ScalableTarget => {
                type $R = scalable_target::ScalableTarget;
                $body
            }
            Kind::ScalingPolicy => {
                type $R = scaling_policy::ScalingPolicy;
                $body
            }
            Kind::SnsTopic => {
                type $R = sns_topic::SnsTopic;
                $body
            }
            Kind::SnsSubscription => {
                type $R = sns_subscription::SnsSubscription;
                $body
            }
            Kind::Alarm => {
                type $R = alarm::Alarm;
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

pub fn found_by(kind: Kind) -> &'static str {
    dispatch!(kind, R => R::FOUND_BY)
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

/// The warning of an update that changes `changed` (see `Resource::UPDATE_WARNINGS`).
pub fn update_warning<'a>(
    kind: Kind,
    mut changed: impl Iterator<Item = &'a str>,
) -> Option<&'static str> {
    let warnings: &[(&str, &str)] = dispatch!(kind, R => R::UPDATE_WARNINGS);
    changed.find_map(|attr| warnings.iter().find(|(a, _)| *a == attr).map(|(_, w)| *w))
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

pub fn service(kind: Kind) -> Service {
    dispatch!(kind, R => <R as Facts>::SERVICE)
}

pub fn import_id(kind: Kind) -> &'static str {
    dispatch!(kind, R => <R as Facts>::IMPORT_ID)
}

/// The usual duration of `action` on the object `spec` describes; None also where
/// the spec is not one of the kind's.
pub fn usual_minutes(kind: Kind, action: Action, spec: &Value) -> Option<(u32, u32)> {
    dispatch!(kind, R => {
        let spec: <R as Resource>::Spec = serde_json::from_value(spec.clone()).ok()?;
        R::usual_minutes(action, &spec)
    })
}

/// The cost line of the object at `address`; None also where its spec is not one of
/// its kind's (an estimate is no reason to fail a plan).
pub fn cost(address: &Address, specs: &Specs<'_>, prices: &Prices) -> Option<Item> {
    dispatch!(address.kind(), R => {
        let spec = specs.get::<R>(address)?;
        R::cost(address, &spec, specs, prices)
    })
}

pub fn stack_outputs(address: &Address, record: &Record) -> Vec<(String, String)> {
    dispatch!(address.kind(), R => R::stack_outputs(address, record))
}

#[cfg(test)]
mod tests {
    //! Checks over every kind, on the specs the examples expand to: each kind appears in
    //! at least one example, so a new kind is covered as soon as an example uses it
    //! (and the test says so until one does).
    use super::*;
    use crate::desired::Desired;
    use std::collections::BTreeSet;

    struct NothingKnown;
    impl Lookup for NothingKnown {
        fn output(&self, _: &Ref) -> Option<String> {
            None
        }
    }

    fn every_example() -> Vec<Desired> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(root).unwrap() {
            let path = entry.unwrap().path().join("stack.toml");
            for v in crate::config::load_all(&path, None).unwrap() {
                let zones = crate::engine::zones::lettered(&v);
                out.extend(crate::config::expand::expand(&v, &zones));
            }
        }
        out
    }

    #[test]
    fn every_kind_appears_in_an_example() {
        let seen: BTreeSet<Kind> = every_example().iter().map(|d| d.address.kind()).collect();
        let missing: Vec<&Kind> = Kind::ALL.iter().filter(|k| !seen.contains(k)).collect();
        assert!(missing.is_empty(), "no example uses {missing:?}");
    }

    /// The attribute names a kind declares in its constants are names its `wanted`
    /// returns: a misspelt one would never match a difference, and a replacement, a
    /// deploy or a staged move would silently become a plain update.
    #[test]
    fn declared_attribute_names_are_wanted_attributes() {
        let mut problems = Vec::new();
        for d in every_example() {
            let kind = d.address.kind();
            let wanted = wanted(kind, &d.spec, &NothingKnown).unwrap();
            let declared = [
                ("REPLACE_ON", replace_on(kind)),
                ("DEPLOY_ATTRS", deploy_attrs(kind)),
                ("STAGED", staged(kind)),
            ];
            for (constant, names) in declared {
                for name in names.iter().filter(|n| !wanted.contains_key(**n)) {
                    problems.push(format!(
                        "{kind}::{constant} names `{name}`, not in wanted()"
                    ));
                }
            }
        }
        problems.sort();
        problems.dedup();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// A kind with a usual duration waits on AWS, so its wait runs as a step of its own
    /// and dependents that need only its outputs do not wait for it.
    #[test]
    fn kinds_with_slow_steps_wait_as_steps_of_their_own() {
        for d in every_example() {
            let kind = d.address.kind();
            if usual_minutes(kind, Action::Create, &d.spec).is_some() {
                assert!(waits(kind), "{kind} is slow to create but does not wait");
            }
        }
    }

    #[test]
    fn every_kind_says_how_import_names_its_objects() {
        for &kind in Kind::ALL {
            assert!(import_id(kind).starts_with("its "), "{kind}");
        }
    }
}
