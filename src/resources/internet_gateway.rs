//! Internet gateway, created and attached to the VPC in one step.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InternetGatewaySpec {
    pub vpc: Ref,
}

pub struct InternetGateway;

impl Resource for InternetGateway {
    const KIND: Kind = Kind::InternetGateway;
    const REPLACE_ON: &'static [&'static str] = &[];
    type Spec = InternetGatewaySpec;

    fn wanted(_spec: &InternetGatewaySpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &InternetGatewaySpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &InternetGatewaySpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
