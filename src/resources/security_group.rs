//! Security group with its ingress and egress rules.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroupSpec {
    pub vpc: Ref,
    pub description: String,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

/// One rule; the peer is exactly one of a CIDR or another security group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// "tcp", "udp" or "-1" for all.
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_group: Option<Ref>,
    pub description: String,
}

pub struct SecurityGroup;

impl Resource for SecurityGroup {
    const KIND: Kind = Kind::SecurityGroup;
    const REPLACE_ON: &'static [&'static str] = &["vpc_id", "group_name", "description"];
    type Spec = SecurityGroupSpec;

    fn wanted(_spec: &SecurityGroupSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &SecurityGroupSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &SecurityGroupSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
