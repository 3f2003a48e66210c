//! Subnet: one per AZ and tier (public, private).

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubnetSpec {
    pub vpc: Ref,
    pub cidr: String,
    pub az: String,
    /// Public subnets route to the internet gateway; nothing is launched into them
    /// with a public IP unless the launcher asks (MapPublicIpOnLaunch stays off).
    pub public: bool,
}

pub struct Subnet;

impl Resource for Subnet {
    const KIND: Kind = Kind::Subnet;
    const REPLACE_ON: &'static [&'static str] = &["vpc_id", "cidr_block", "availability_zone"];
    type Spec = SubnetSpec;

    fn wanted(_spec: &SubnetSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &SubnetSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &SubnetSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
