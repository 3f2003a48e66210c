//! Application Auto Scaling scalable target: an ECS service's desired count, owned by
//! the autoscaler between `min` and `max`. The id is the resource id,
//! `service/CLUSTER/SERVICE`, which names the target in every call (with the ECS
//! namespace and the `ecs:service:DesiredCount` dimension).
//!
//! RegisterScalableTarget creates and updates alike. When `min` is raised above the
//! service's count, AWS scales the service out to it at once; the service's own spec
//! leaves its count alone while it is scaled (see `ecs_service`).
//!
//! Ownership: a target has no name of its own, only the service's, and the
//! service's tags are checked when it is adopted; targets are not tagged (the tags
//! API of Application Auto Scaling is one the emulator lacks, see
//! docs/aws-vs-emulator.md).

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, Wanted, WantedAttrs, batch, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, SdkResultExt};
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalableTargetSpec {
    /// The cluster's name.
    pub cluster: Ref,
    /// The service's name.
    pub service: Ref,
    pub min: i32,
    pub max: i32,
}

pub struct ScalableTarget;

/// The one dimension stackctl scales: an ECS service's desired count.
pub fn dimension() -> ScalableDimension {
    ScalableDimension::EcsServiceDesiredCount
}

/// `service/CLUSTER/SERVICE`: how Application Auto Scaling names an ECS service.
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

impl Facts for ScalableTarget {
    const SERVICE: Service = Service::ApplicationAutoScaling;
    const IMPORT_ID: &'static str = "its resource id (service/CLUSTER/SERVICE)";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    /// Free; the tasks it adds are priced with the service (from min to max).
    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for ScalableTarget {
    const KIND: Kind = Kind::ScalableTarget;
    const REPLACE_ON: &'static [&'static str] = &["resource_id"];
    /// Registering a service that ECS has only just created, on an account whose
    /// Application Auto Scaling service-linked role is new, is refused until both have
    /// propagated (terraform-provider-aws `resourceTargetPut` retries these two for
    /// two minutes).
    const TRANSIENT: &'static [Transient] = &[
        Transient::says(
            "RegisterScalableTarget",
            "ValidationException",
            "Unable to assume IAM role",
        ),
        Transient::says(
            "RegisterScalableTarget",
            "ValidationException",
            "ECS service doesn't exist",
        ),
        // A change while a policy of the target is being put or deleted.
        Transient::code("RegisterScalableTarget", "ConcurrentUpdateException"),
        Transient::code("DeregisterScalableTarget", "ConcurrentUpdateException"),
    ];
    /// Adopted by the names of the cluster and service it scales.
    const FIND_NEEDS: &'static [Kind] = &[Kind::EcsCluster, Kind::EcsService];
    type Spec = ScalableTargetSpec;

    fn wanted(spec: &ScalableTargetSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let id = match (lookup.output(&spec.cluster), lookup.output(&spec.service)) {
            (Some(cluster), Some(service)) => known(resource_id(&cluster, &service)),
            _ => Wanted::Unknown,
        };
        WantedAttrs::from([
            ("resource_id".into(), id),
            ("min".into(), known(spec.min)),
            ("max".into(), known(spec.max)),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    /// DescribeScalableTargets takes up to 50 resource ids.
    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        let calls = ids.chunks(50).map(|chunk| describe(aws, chunk));
        let found = futures::future::try_join_all(calls).await?;
        Ok(batch::in_order(ids, found.into_iter().flatten()))
    }

    async fn find(ctx: &Ctx<'_>, spec: &ScalableTargetSpec) -> Result<Option<CloudId>, AwsError> {
        let (Some(cluster), Some(service)) = (ctx.known(&spec.cluster), ctx.known(&spec.service))
        else {
            return Ok(None);
        };
        let id = CloudId::new(resource_id(&cluster, &service));
        let found = describe(ctx.aws, std::slice::from_ref(&id)).await?;
        Ok((!found.is_empty()).then_some(id))
    }

    async fn create(ctx: &Ctx<'_>, spec: &ScalableTargetSpec) -> Result<Created, AwsError> {
        let id = resource_id(&ctx.resolve(&spec.cluster)?, &ctx.resolve(&spec.service)?);
        let arn = register(ctx.aws, &id, spec).await?;
        let mut outputs = super::Outputs::from([("id".into(), id.clone())]);
        outputs.extend(arn.map(|arn| ("arn".to_string(), arn)));
        Ok(Created {
            id: CloudId::new(id),
            outputs,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &ScalableTargetSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        register(ctx.aws, id.as_str(), spec).await.map(|_| ())
    }

    /// Deregistering also deletes the target's policies (the stack deletes its own
    /// first). A target already gone is success; the emulator answers that with a
    /// ValidationException where AWS answers ObjectNotFoundException, so a refusal is
    /// checked against a read.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let result = aws
            .scaling
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(id.as_str())
            .scalable_dimension(dimension())
            .send()
            .await
            .op("DeregisterScalableTarget");
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if Self::read(aws, id).await?.is_none() => {
                tracing::debug!("{id} is gone: {e}");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// Registers (or re-registers) the target; its ARN, which older answers lack.
async fn register(
    aws: &Aws,
    id: &str,
    spec: &ScalableTargetSpec,
) -> Result<Option<String>, AwsError> {
    let out = aws
        .scaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(id)
        .scalable_dimension(dimension())
        .min_capacity(spec.min)
        .max_capacity(spec.max)
        .send()
        .await
        .op("RegisterScalableTarget")?;
    Ok(out.scalable_target_arn().map(str::to_string))
}

/// The targets of `ids` that exist, keyed by resource id.
async fn describe(aws: &Aws, ids: &[CloudId]) -> Result<Vec<(String, Live)>, AwsError> {
    let out = aws
        .scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .set_resource_ids(Some(ids.iter().map(|i| i.to_string()).collect()))
        .scalable_dimension(dimension())
        .send()
        .await
        .op("DescribeScalableTargets")?;
    Ok(out
        .scalable_targets()
        .iter()
        .map(|t| {
            let id = t.resource_id().to_string();
            let mut outputs = super::Outputs::from([("id".into(), id.clone())]);
            outputs.extend(
                t.scalable_target_arn()
                    .map(|a| ("arn".into(), a.to_string())),
            );
            let attrs = [
                ("resource_id".into(), id.clone().into()),
                ("min".into(), t.min_capacity().into()),
                ("max".into(), t.max_capacity().into()),
            ];
            (
                id,
                Live {
                    attrs: attrs.into(),
                    outputs,
                },
            )
        })
        .collect())
}
