//! NAT gateway in a public subnet: egress for tasks in private subnets.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NatGatewaySpec {
    pub subnet: Ref,
    pub eip: Ref,
}

pub struct NatGateway;

impl Resource for NatGateway {
    const KIND: Kind = Kind::NatGateway;
    const REPLACE_ON: &'static [&'static str] = &["subnet_id", "allocation_id"];
    type Spec = NatGatewaySpec;

    fn wanted(_spec: &NatGatewaySpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &NatGatewaySpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &NatGatewaySpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
