//! ECS cluster. The id is the cluster ARN.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsClusterSpec {
    pub name: String,
    pub container_insights: bool,
    /// e.g. ["FARGATE", "FARGATE_SPOT"]
    pub capacity_providers: Vec<String>,
}

pub struct EcsCluster;

impl Resource for EcsCluster {
    const KIND: Kind = Kind::EcsCluster;
    const REPLACE_ON: &'static [&'static str] = &["name"];
    type Spec = EcsClusterSpec;

    fn wanted(_spec: &EcsClusterSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &EcsClusterSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &EcsClusterSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
