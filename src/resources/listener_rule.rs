//! Listener rule: path patterns forwarded to one target group. The id is its ARN.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenerRuleSpec {
    pub listener: Ref,
    pub priority: i32,
    pub paths: Vec<String>,
    pub target_group: Ref,
}

pub struct ListenerRule;

impl Resource for ListenerRule {
    const KIND: Kind = Kind::ListenerRule;
    const REPLACE_ON: &'static [&'static str] = &["listener_arn"];
    type Spec = ListenerRuleSpec;

    fn wanted(_spec: &ListenerRuleSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &ListenerRuleSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &ListenerRuleSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
