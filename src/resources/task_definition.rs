//! Fargate task definition. A change registers a new revision (a replacement whose new object exists before the old is deregistered). The id is the task definition ARN.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDefinitionSpec {
    pub family: String,
    /// Fargate task size, as ECS wants it: "256", "512" (CPU units) / MiB.
    pub cpu: String,
    pub memory: String,
    /// "X86_64" or "ARM64".
    pub cpu_architecture: String,
    pub execution_role: Ref,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role: Option<Ref>,
    pub container: ContainerSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerSpec {
    pub name: String,
    pub image: ImageSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    pub environment: BTreeMap<String, String>,
    /// Name -> ARN of a Secrets Manager secret or SSM parameter. Only ARNs are ever
    /// stored or printed.
    pub secrets: BTreeMap<String, String>,
    pub log_group: Ref,
    pub log_region: String,
    pub log_stream_prefix: String,
}

/// Either a full image URI, or a tag in one of the stack's repositories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Ref>,
    /// The whole URI without a repository; the tag (or @digest) with one.
    pub reference: String,
}

pub struct TaskDefinition;

impl Resource for TaskDefinition {
    const KIND: Kind = Kind::TaskDefinition;
    const REPLACE_ON: &'static [&'static str] = &[
        "family",
        "cpu",
        "memory",
        "cpu_architecture",
        "execution_role_arn",
        "task_role_arn",
        "container",
    ];
    type Spec = TaskDefinitionSpec;

    fn wanted(_spec: &TaskDefinitionSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(_ctx: &Ctx<'_>, _spec: &TaskDefinitionSpec) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &TaskDefinitionSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
