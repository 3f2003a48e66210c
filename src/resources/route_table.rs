//! Route table with its routes and subnet associations.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteTableSpec {
    pub vpc: Ref,
    pub routes: Vec<Route>,
    /// Subnets associated with this table.
    pub subnets: Vec<Ref>,
}

/// A route to exactly one of an internet gateway or a NAT gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    pub destination: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_gateway: Option<Ref>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway: Option<Ref>,
}

pub struct RouteTable;

impl Resource for RouteTable {
    const KIND: Kind = Kind::RouteTable;
    const REPLACE_ON: &'static [&'static str] = &["vpc_id"];
    type Spec = RouteTableSpec;

    fn wanted(_spec: &RouteTableSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &RouteTableSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &RouteTableSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
