//! Elastic IP for a NAT gateway. The id is the allocation id.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElasticIpSpec {}

pub struct ElasticIp;

impl Resource for ElasticIp {
    const KIND: Kind = Kind::ElasticIp;
    const REPLACE_ON: &'static [&'static str] = &[];
    type Spec = ElasticIpSpec;

    fn wanted(_spec: &ElasticIpSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &ElasticIpSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &ElasticIpSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
