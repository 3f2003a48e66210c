//! ECR repository. The id is the repository name.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcrRepositorySpec {
    pub name: String,
    pub scan_on_push: bool,
    /// "MUTABLE" or "IMMUTABLE".
    pub tag_mutability: String,
    /// Lifecycle policy: keep the newest N images; None = no policy.
    pub keep_images: Option<u32>,
    /// Delete even when images remain (otherwise destroy refuses and says so).
    pub force_delete: bool,
}

pub struct EcrRepository;

impl Resource for EcrRepository {
    const KIND: Kind = Kind::EcrRepository;
    const REPLACE_ON: &'static [&'static str] = &["name"];
    type Spec = EcrRepositorySpec;

    fn wanted(_spec: &EcrRepositorySpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &EcrRepositorySpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &EcrRepositorySpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
