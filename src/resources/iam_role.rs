//! IAM role trusted by one AWS service, with managed policies attached. The id is the role name.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamRoleSpec {
    pub name: String,
    /// The service principal allowed to assume the role, e.g. ecs-tasks.amazonaws.com.
    pub trusted_service: String,
    /// Managed policy ARNs attached to the role.
    pub managed_policies: Vec<String>,
}

pub struct IamRole;

impl Resource for IamRole {
    const KIND: Kind = Kind::IamRole;
    const REPLACE_ON: &'static [&'static str] = &["name"];
    type Spec = IamRoleSpec;

    fn wanted(_spec: &IamRoleSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &IamRoleSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &IamRoleSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
