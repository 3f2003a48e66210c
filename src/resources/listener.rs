//! ALB listener with its default action. The id is its ARN.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenerSpec {
    pub load_balancer: Ref,
    pub port: i32,
    /// "HTTP" or "HTTPS".
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<String>,
    pub default_action: ListenerAction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerAction {
    Forward {
        target_group: Ref,
    },
    /// Permanent redirect to HTTPS on the given port.
    RedirectHttps {
        port: i32,
    },
    FixedResponse {
        status: i32,
        body: String,
    },
}

pub struct Listener;

impl Resource for Listener {
    const KIND: Kind = Kind::Listener;
    const REPLACE_ON: &'static [&'static str] = &["load_balancer_arn"];
    type Spec = ListenerSpec;

    fn wanted(_spec: &ListenerSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &ListenerSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &ListenerSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
