//! ECS cluster. The id is the cluster ARN.
//!
//! The cluster's default capacity provider strategy is plain FARGATE (weight 1) when
//! FARGATE is among its capacity providers, so a service that names no strategy runs
//! on regular, not Spot, capacity.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::ensure_ours;
use super::tags::{self, Tags};
use super::{Created, Ctx, Live, Lookup, Resource, WantedAttrs, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, SdkResultExt, unknown_outcome, wait};
use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, ClusterField, ClusterSetting, ClusterSettingName,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsClusterSpec {
    pub name: String,
    pub container_insights: bool,
    /// e.g. ["FARGATE", "FARGATE_SPOT"]
    pub capacity_providers: Vec<String>,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct EcsCluster;

impl Facts for EcsCluster {
    const SERVICE: Service = Service::Ecs;
    const IMPORT_ID: &'static str = "its cluster ARN";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, record: &Record) -> Vec<(String, String)> {
        let name = record.outputs.get("name").cloned();
        name.map(|name| ("cluster".to_string(), name))
            .into_iter()
            .collect()
    }
}

impl Resource for EcsCluster {
    const KIND: Kind = Kind::EcsCluster;
    const REPLACE_ON: &'static [&'static str] = &["name"];
    /// On an account where ECS has never run, its service-linked role is created by
    /// the first CreateCluster and takes a moment to be usable (terraform-provider-aws
    /// `retryClusterCreate`, two minutes).
    const TRANSIENT: &'static [Transient] = &[
        Transient::says(
            "CreateCluster",
            "InvalidParameterException",
            "Unable to assume the service linked role",
        ),
        Transient::says(
            "PutClusterCapacityProviders",
            "InvalidParameterException",
            "Unable to assume the service linked role",
        ),
    ];
    const REPLACE_WARNING: Option<&'static str> = Some(
        "the services in the cluster are replaced with it: their tasks stop while new ones start",
    );
    type Spec = EcsClusterSpec;

    fn wanted(spec: &EcsClusterSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        let mut providers = spec.capacity_providers.clone();
        providers.sort();
        providers.dedup();
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            ("container_insights".into(), known(spec.container_insights)),
            ("capacity_providers".into(), known(providers)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let Some(cluster) = describe(aws, id).await? else {
            return Ok(None);
        };
        let name = cluster
            .cluster_name()
            .ok_or_else(|| AwsError::invalid("DescribeClusters", "no cluster name"))?;
        // "enhanced" is Container Insights too (with more metrics); only "disabled" is off.
        let insights = cluster
            .settings()
            .iter()
            .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
            .and_then(|s| s.value())
            .is_some_and(|v| v != "disabled");
        let mut providers = cluster.capacity_providers().to_vec();
        providers.sort();
        Ok(Some(Live {
            attrs: [
                ("name".into(), name.into()),
                ("container_insights".into(), insights.into()),
                ("capacity_providers".into(), providers.into()),
                (
                    tags::ATTR.into(),
                    tags::live_value(tags::ecs_pairs(cluster.tags())),
                ),
            ]
            .into(),
            outputs: outputs(id, name),
        }))
    }

    /// By name, ACTIVE only (a deleted cluster stays describable as INACTIVE), then
    /// its tags.
    async fn find(ctx: &Ctx<'_>, spec: &EcsClusterSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .ecs
            .describe_clusters()
            .clusters(&spec.name)
            .include(ClusterField::Tags)
            .send()
            .await
            .op("DescribeClusters")?;
        let Some(cluster) = out.clusters().iter().find(|c| c.status() == Some("ACTIVE")) else {
            return Ok(None);
        };
        let arn = cluster
            .cluster_arn()
            .ok_or_else(|| AwsError::invalid("DescribeClusters", "no cluster ARN"))?;
        ensure_ours(
            ctx,
            "ECS cluster",
            &spec.name,
            tags::ecs_pairs(cluster.tags()),
        )?;
        Ok(Some(CloudId::new(arn)))
    }

    async fn create(ctx: &Ctx<'_>, spec: &EcsClusterSpec) -> Result<Created, AwsError> {
        let out = ctx
            .aws
            .ecs
            .create_cluster()
            .cluster_name(&spec.name)
            .settings(insights_setting(spec.container_insights))
            .set_capacity_providers(Some(spec.capacity_providers.clone()))
            .set_default_capacity_provider_strategy(Some(default_strategy(spec)?))
            .set_tags(Some(tags::ecs_tags(&ctx.tags(&spec.tags))))
            .customize()
            .config_override(unknown_outcome::ecs())
            .send()
            .await
            .op("CreateCluster")?;
        let arn = out
            .cluster()
            .and_then(|c| c.cluster_arn())
            .ok_or_else(|| AwsError::invalid("CreateCluster", "no cluster ARN in the answer"))?;
        let id = CloudId::new(arn);
        Ok(Created {
            outputs: outputs(&id, &spec.name),
            id,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &EcsClusterSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        let aws = ctx.aws;
        // UpdateCluster rather than UpdateClusterSettings: both set the setting in
        // AWS, and only UpdateCluster exists in the emulator.
        if changed.iter().any(|c| c == "container_insights") {
            aws.ecs
                .update_cluster()
                .cluster(id.as_str())
                .settings(insights_setting(spec.container_insights))
                .send()
                .await
                .op("UpdateCluster")?;
        }
        if changed.iter().any(|c| c == "capacity_providers") {
            aws.ecs
                .put_cluster_capacity_providers()
                .cluster(id.as_str())
                .set_capacity_providers(Some(spec.capacity_providers.clone()))
                .set_default_capacity_provider_strategy(Some(default_strategy(spec)?))
                .send()
                .await
                .op("PutClusterCapacityProviders")?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            let cluster = describe(aws, id)
                .await?
                .ok_or_else(|| AwsError::not_found("DescribeClusters", id.to_string()))?;
            tags::sync_ecs(aws, id.as_str(), &spec.tags, cluster.tags()).await?;
        }
        Ok(())
    }

    /// ECS refuses to delete a cluster while services or tasks are still in it (a
    /// deleted service drains for a while); those answers are retried, bounded.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        const BUSY: &[&str] = &[
            "ClusterContainsServicesException",
            "ClusterContainsTasksException",
            "ClusterContainsContainerInstancesException",
            "UpdateInProgressException",
        ];
        wait::until("DeleteCluster", wait::WaitPolicy::minutes(10), || async {
            if describe(aws, id).await?.is_none() {
                return Ok(wait::Poll::Ready(()));
            }
            match aws
                .ecs
                .delete_cluster()
                .cluster(id.as_str())
                .send()
                .await
                .op("DeleteCluster")
            {
                Ok(_) => Ok(wait::Poll::Pending("deleted, not yet INACTIVE".into())),
                Err(e) if e.is_not_found() => Ok(wait::Poll::Ready(())),
                Err(e) if BUSY.contains(&e.code.as_str()) => Ok(wait::Poll::Pending(e.to_string())),
                Err(e) => Err(e),
            }
        })
        .await
    }
}

fn outputs(id: &CloudId, name: &str) -> super::Outputs {
    [
        ("id".into(), id.to_string()),
        ("arn".into(), id.to_string()),
        ("name".into(), name.to_string()),
    ]
    .into()
}

/// The live cluster with its settings and tags, or None when it is missing or
/// INACTIVE (deleted clusters stay describable as INACTIVE for a while).
async fn describe(
    aws: &Aws,
    id: &CloudId,
) -> Result<Option<aws_sdk_ecs::types::Cluster>, AwsError> {
    let out = aws
        .ecs
        .describe_clusters()
        .clusters(id.as_str())
        .include(ClusterField::Settings)
        .include(ClusterField::Tags)
        .send()
        .await
        .op("DescribeClusters")?;
    Ok(out
        .clusters()
        .iter()
        .find(|c| c.status() != Some("INACTIVE"))
        .cloned())
}

fn insights_setting(on: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if on { "enabled" } else { "disabled" })
        .build()
}

/// FARGATE when the cluster has it, else the first provider, else none.
fn default_strategy(spec: &EcsClusterSpec) -> Result<Vec<CapacityProviderStrategyItem>, AwsError> {
    let provider = if spec.capacity_providers.iter().any(|p| p == "FARGATE") {
        "FARGATE"
    } else {
        match spec.capacity_providers.first() {
            Some(p) => p.as_str(),
            None => return Ok(Vec::new()),
        }
    };
    let item = CapacityProviderStrategyItem::builder()
        .capacity_provider(provider)
        .weight(1)
        .build()
        .map_err(|e| AwsError::invalid("CreateCluster", e.to_string()))?;
    Ok(vec![item])
}
