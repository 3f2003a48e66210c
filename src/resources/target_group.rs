//! Target group for one service (ip targets). The id is its ARN.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetGroupSpec {
    pub name: String,
    pub vpc: Ref,
    pub port: i32,
    /// Always ip targets: Fargate tasks in awsvpc mode register by IP.
    pub health_check: HealthCheck,
    pub deregistration_delay: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub path: String,
    pub interval: i32,
    pub timeout: i32,
    pub healthy_threshold: i32,
    pub unhealthy_threshold: i32,
    /// HTTP codes counted healthy, e.g. "200-399".
    pub matcher: String,
}

pub struct TargetGroup;

impl Resource for TargetGroup {
    const KIND: Kind = Kind::TargetGroup;
    const REPLACE_ON: &'static [&'static str] =
        &["name", "port", "protocol", "vpc_id", "target_type"];
    type Spec = TargetGroupSpec;

    fn wanted(_spec: &TargetGroupSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &TargetGroupSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &TargetGroupSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
