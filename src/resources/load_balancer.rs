//! Application Load Balancer. The id is its ARN; outputs dns_name and zone_id.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancerSpec {
    pub name: String,
    /// "internet-facing" or "internal".
    pub scheme: String,
    pub subnets: Vec<Ref>,
    pub security_groups: Vec<Ref>,
    pub idle_timeout: i32,
}

pub struct LoadBalancer;

impl Resource for LoadBalancer {
    const KIND: Kind = Kind::LoadBalancer;
    const REPLACE_ON: &'static [&'static str] = &["name", "scheme"];
    type Spec = LoadBalancerSpec;

    fn wanted(_spec: &LoadBalancerSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &LoadBalancerSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &LoadBalancerSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
