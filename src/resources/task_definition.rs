//! Fargate task definition. A change registers a new revision (a replacement whose new
//! object exists before the old is deregistered). The id is the task definition ARN.
//!
//! Task definitions are immutable in AWS: every attribute but the tags is in
//! `REPLACE_ON`, and `update` only ever changes tags (TagResource works on a
//! revision). The single container is read back as one JSON object
//! holding only what the spec controls, so the defaults ECS adds on registration
//! (`cpu: 0`, `hostPort`, empty `mountPoints`, ...) never show up as a difference.
//!
//! The awslogs delivery mode and the read-only root filesystem are attributes of
//! their own (`log_options`, `read_only_root_filesystem`) next to `container`.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::ensure_ours;
use super::tags::{self, Tags};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, Wanted, WantedAttrs, known, wanted_ref};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, SdkResultExt, unknown_outcome};
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, CpuArchitecture, KeyValuePair, LogConfiguration, LogDriver,
    MountPoint, NetworkMode, OsFamily, PortMapping, RuntimePlatform, Secret, TaskDefinitionField,
    TaskDefinitionStatus, TransportProtocol, Volume,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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
    /// User tags (stack.toml `[stack] tags`); the only thing that changes in place.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
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
    /// The awslogs `mode`, "non-blocking" or "blocking"; None leaves it unset (ECS's
    /// default), as in specs recorded before stackctl set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_mode: Option<String>,
    /// The root filesystem is read-only; /tmp is a writable task volume.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only_root_filesystem: bool,
}

/// Either a full image URI, or a tag in one of the stack's repositories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Ref>,
    /// The whole URI without a repository; the tag (or @digest) with one.
    pub reference: String,
    /// Set by a deploy: the image it rolled out, used instead of the one above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<DeployedImage>,
}

/// An image rolled out by `apply --image`, and the stack.toml image it replaced. It is
/// kept for as long as stack.toml still names `over`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployedImage {
    pub uri: String,
    pub over: String,
}

/// The live attribute holding that tag's value: read, never wanted, so it is no diff.
pub const DEPLOYED_OVER: &str = "image_deployed_over";

/// The tag that marks a deployed revision with the stack.toml image it replaced.
pub const DEPLOYED_OVER_TAG: &str = "stackctl:deployed-over";

/// Retired revisions kept registered for rollback (the newest ones, current included).
pub const KEEP_REVISIONS: usize = 3;

/// The non-blocking awslogs buffer: room for bursts while CloudWatch Logs is slow
/// (the driver's own default is 1 MiB); what overflows it is dropped, never waited on.
pub const LOG_MAX_BUFFER_SIZE: &str = "25m";

/// The writable volume a read-only root filesystem keeps, and where it is mounted.
const TMP_VOLUME: &str = "tmp";
const TMP_PATH: &str = "/tmp";

pub struct TaskDefinition;

impl Facts for TaskDefinition {
    const SERVICE: Service = Service::Ecs;
    const IMPORT_ID: &'static str = "its task definition ARN, with the revision";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

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
        "image",
        "log_options",
        "read_only_root_filesystem",
    ];
    const DEPLOY_ATTRS: &'static [&'static str] = &["image"];
    /// A new revision never collides with the old one, and the service keeps running
    /// the old revision until it has been pointed at the new one.
    const CREATE_BEFORE_DESTROY: bool = true;
    type Spec = TaskDefinitionSpec;

    fn wanted(spec: &TaskDefinitionSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let task_role = match &spec.task_role {
            Some(r) => wanted_ref(lookup, r),
            None => known(Value::Null),
        };
        WantedAttrs::from([
            ("family".into(), known(spec.family.clone())),
            ("cpu".into(), known(spec.cpu.clone())),
            ("memory".into(), known(spec.memory.clone())),
            (
                "cpu_architecture".into(),
                known(spec.cpu_architecture.clone()),
            ),
            (
                "execution_role_arn".into(),
                wanted_ref(lookup, &spec.execution_role),
            ),
            ("task_role_arn".into(), task_role),
            (
                "container".into(),
                wanted_container(&spec.container, lookup),
            ),
            ("image".into(), wanted_image(&spec.container.image, lookup)),
            (
                "log_options".into(),
                known(log_options(spec.container.log_mode.as_deref())),
            ),
            (
                "read_only_root_filesystem".into(),
                known(spec.container.read_only_root_filesystem),
            ),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    fn keep_deployed(
        spec: &TaskDefinitionSpec,
        lookup: &dyn Lookup,
        live: &Live,
    ) -> Option<TaskDefinitionSpec> {
        let over = live.attrs.get(DEPLOYED_OVER)?.as_str()?;
        let uri = live.attrs.get("image")?.as_str()?;
        let config = ImageSpec {
            deployed: None,
            ..spec.container.image.clone()
        };
        if wanted_image(&config, lookup) != known(over) {
            return None;
        }
        let mut pinned = spec.clone();
        pinned.container.image.deployed = Some(DeployedImage {
            uri: uri.to_string(),
            over: over.to_string(),
        });
        Some(pinned)
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let Some((td, live_tags)) = describe(aws, id).await? else {
            return Ok(None);
        };
        let deployed_over = live_tags
            .iter()
            .find(|t| t.key() == Some(DEPLOYED_OVER_TAG))
            .and_then(|t| t.value())
            .map(Value::from);
        let opt = |v: Option<&str>| v.map(Value::from).unwrap_or(Value::Null);
        let (container, image, logging, read_only) = match td.container_definitions() {
            [c] => (
                live_container(c),
                opt(c.image()),
                live_log_options(c),
                c.readonly_root_filesystem().unwrap_or(false),
            ),
            // Not ours any more: report the names, which differ from any wanted object.
            many => (
                Value::from(
                    many.iter()
                        .map(|c| c.name().unwrap_or_default().to_string())
                        .collect::<Vec<_>>(),
                ),
                Value::Null,
                Value::Null,
                false,
            ),
        };
        let mut attrs: super::Attrs = [
            ("family".into(), opt(td.family())),
            ("cpu".into(), opt(td.cpu())),
            ("memory".into(), opt(td.memory())),
            (
                "cpu_architecture".into(),
                // Fargate runs X86_64 when no runtime platform is given.
                td.runtime_platform()
                    .and_then(|p| p.cpu_architecture())
                    .map(|a| a.as_str())
                    .unwrap_or("X86_64")
                    .into(),
            ),
            ("execution_role_arn".into(), opt(td.execution_role_arn())),
            ("task_role_arn".into(), opt(td.task_role_arn())),
            ("container".into(), container),
            ("image".into(), image),
            ("log_options".into(), logging),
            ("read_only_root_filesystem".into(), read_only.into()),
            (
                tags::ATTR.into(),
                tags::live_value(tags::ecs_pairs(&live_tags)),
            ),
        ]
        .into();
        if let Some(over) = deployed_over {
            attrs.insert(DEPLOYED_OVER.into(), over);
        }
        Ok(Some(Live {
            attrs,
            outputs: outputs(id, td.revision()),
        }))
    }

    /// The family's newest ACTIVE revision, then its tags. Older ACTIVE revisions are
    /// what a replacement interrupted before deregistering leaves; the newest is the
    /// one a run registered last, and the one ECS itself picks for the bare family.
    /// (The revisions are listed rather than described by family: moto answers the
    /// bare family with the newest revision even when that one is INACTIVE.)
    async fn find(ctx: &Ctx<'_>, spec: &TaskDefinitionSpec) -> Result<Option<CloudId>, AwsError> {
        let Some(arn) = active_revisions(ctx.aws, &spec.family)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let out = ctx
            .aws
            .ecs
            .describe_task_definition()
            .task_definition(&arn)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .op("DescribeTaskDefinition")?;
        ensure_ours(ctx, "task definition", &arn, tags::ecs_pairs(out.tags()))?;
        Ok(Some(CloudId::new(arn)))
    }

    async fn create(ctx: &Ctx<'_>, spec: &TaskDefinitionSpec) -> Result<Created, AwsError> {
        const OP: &str = "RegisterTaskDefinition";
        let execution_role = ctx.resolve(&spec.execution_role)?;
        let task_role = spec
            .task_role
            .as_ref()
            .map(|r| ctx.resolve(r))
            .transpose()?;
        let container = container_definition(ctx, &spec.container)?;
        let mut all_tags = ctx.tags(&spec.tags);
        if let Some(d) = &spec.container.image.deployed {
            all_tags.push((DEPLOYED_OVER_TAG.to_string(), d.over.clone()));
        }
        let out = ctx
            .aws
            .ecs
            .register_task_definition()
            .family(&spec.family)
            .requires_compatibilities(Compatibility::Fargate)
            .network_mode(NetworkMode::Awsvpc)
            .cpu(&spec.cpu)
            .memory(&spec.memory)
            .runtime_platform(
                RuntimePlatform::builder()
                    .cpu_architecture(CpuArchitecture::from(spec.cpu_architecture.as_str()))
                    .operating_system_family(OsFamily::Linux)
                    .build(),
            )
            .execution_role_arn(execution_role)
            .set_task_role_arn(task_role)
            .container_definitions(container)
            .set_volumes(
                spec.container
                    .read_only_root_filesystem
                    .then(|| vec![Volume::builder().name(TMP_VOLUME).build()]),
            )
            .set_tags(Some(tags::ecs_tags(&all_tags)))
            .customize()
            .config_override(unknown_outcome::ecs())
            .send()
            .await
            .op(OP)?;
        let td = out
            .task_definition()
            .ok_or_else(|| AwsError::invalid(OP, "no task definition in the answer"))?;
        let arn = td
            .task_definition_arn()
            .ok_or_else(|| AwsError::invalid(OP, "no task definition ARN in the answer"))?;
        let id = CloudId::new(arn);
        Ok(Created {
            outputs: outputs(&id, td.revision()),
            id,
        })
    }

    /// Tags only: anything else is a new revision.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &TaskDefinitionSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        let other: Vec<&str> = changed
            .iter()
            .map(String::as_str)
            .filter(|c| *c != tags::ATTR)
            .collect();
        if !other.is_empty() {
            return Err(AwsError::invalid(
                "RegisterTaskDefinition",
                format!(
                    "task definition {id} cannot change in place ({}): task definitions are \
                     replaced by a new revision, never updated",
                    other.join(", ")
                ),
            ));
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            let (_, live) = describe(ctx.aws, id)
                .await?
                .ok_or_else(|| AwsError::not_found("DescribeTaskDefinition", id.to_string()))?;
            tags::sync_ecs(ctx.aws, id.as_str(), &spec.tags, &live).await?;
        }
        Ok(())
    }

    /// Keeps the newest `KEEP_REVISIONS` revisions of the family registered for
    /// rollback and deregisters the older ones.
    async fn retire(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let Some((family, _)) = family_revision(id) else {
            return Self::delete(aws, id).await;
        };
        for arn in active_revisions(aws, family)
            .await?
            .iter()
            .skip(KEEP_REVISIONS)
        {
            deregister(aws, arn).await?;
        }
        Ok(())
    }

    /// Deregisters the revision and every other ACTIVE revision of its family (the
    /// family is this stack's alone: `{stack}-{service}`), those kept for rollback
    /// included. Deregistered revisions are INACTIVE: services that run one keep
    /// running, but nothing new can start from it, which for stackctl means gone.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let mut arns = match family_revision(id) {
            Some((family, _)) => active_revisions(aws, family).await?,
            None => Vec::new(),
        };
        if !arns.iter().any(|a| a == id.as_str()) && describe(aws, id).await?.is_some() {
            arns.push(id.to_string());
        }
        for arn in &arns {
            deregister(aws, arn).await?;
        }
        Ok(())
    }
}

async fn deregister(aws: &Aws, arn: &str) -> Result<(), AwsError> {
    match aws
        .ecs
        .deregister_task_definition()
        .task_definition(arn)
        .send()
        .await
        .op("DeregisterTaskDefinition")
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() || is_missing_task_definition(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `(family, revision)` from `arn:aws:ecs:region:account:task-definition/family:rev`.
fn family_revision(id: &CloudId) -> Option<(&str, u32)> {
    let (_, name) = id.as_str().rsplit_once('/')?;
    let (family, revision) = name.rsplit_once(':')?;
    Some((family, revision.parse().ok()?))
}

/// The ACTIVE revisions of exactly `family`, newest first.
async fn active_revisions(aws: &Aws, family: &str) -> Result<Vec<String>, AwsError> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let out = aws
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::Active)
            .set_next_token(token)
            .send()
            .await
            .op("ListTaskDefinitions")?;
        arns.extend(out.task_definition_arns().iter().cloned());
        token = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut revisions: Vec<(u32, String)> = arns
        .into_iter()
        .filter_map(|arn| {
            let id = CloudId::new(arn.clone());
            match family_revision(&id) {
                Some((f, rev)) if f == family => Some((rev, arn)),
                _ => None,
            }
        })
        .collect();
    revisions.sort_by_key(|r| std::cmp::Reverse(r.0));
    Ok(revisions.into_iter().map(|(_, arn)| arn).collect())
}

fn outputs(id: &CloudId, revision: i32) -> super::Outputs {
    [
        ("id".into(), id.to_string()),
        ("arn".into(), id.to_string()),
        ("revision".into(), revision.to_string()),
    ]
    .into()
}

/// The revision of a task definition ARN (`...:task-definition/FAMILY:REV`) when it
/// is of exactly `family` (ListTaskDefinitions' filter is named a prefix).
/// ECS answers a missing task definition with a generic ClientException.
fn is_missing_task_definition(e: &AwsError) -> bool {
    e.code == "ClientException"
        && (e.message.contains("Unable to describe task definition")
            || e.message.contains("Revision is missing"))
}

/// The ACTIVE task definition with its tags, or None when it is missing, INACTIVE
/// (deregistered) or being deleted.
async fn describe(
    aws: &Aws,
    id: &CloudId,
) -> Result<
    Option<(
        aws_sdk_ecs::types::TaskDefinition,
        Vec<aws_sdk_ecs::types::Tag>,
    )>,
    AwsError,
> {
    let out = match aws
        .ecs
        .describe_task_definition()
        .task_definition(id.as_str())
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .op("DescribeTaskDefinition")
    {
        Ok(out) => out,
        Err(e) if e.is_not_found() || is_missing_task_definition(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(out
        .task_definition()
        .filter(|td| td.status() == Some(&TaskDefinitionStatus::Active))
        .map(|td| (td.clone(), out.tags().to_vec())))
}

/// Where the image a revision of `spec` runs comes from, when it is one of the
/// stack's repositories: the repository's address and the tag or `@digest`. A
/// deployed image (`apply --image`) is found by the URI of a repository in
/// `repository_uris`; an image from anywhere else is None.
pub fn stack_image(
    spec: &TaskDefinitionSpec,
    repository_uris: &BTreeMap<Address, String>,
) -> Option<(Address, String)> {
    let image = &spec.container.image;
    match (&image.deployed, &image.repository) {
        (Some(deployed), _) => repository_uris.iter().find_map(|(repo, uri)| {
            let rest = deployed.uri.strip_prefix(uri.as_str())?;
            let reference = match rest.strip_prefix(':') {
                Some(tag) => tag.to_string(),
                None => rest.strip_prefix('@').map(|d| format!("@{d}"))?,
            };
            Some((repo.clone(), reference))
        }),
        (None, Some(repository)) => Some((repository.to.clone(), image.reference.clone())),
        (None, None) => None,
    }
}

/// `repository-uri:tag`, `repository-uri@sha256:...`, or the reference alone.
fn image_uri(repository_uri: Option<&str>, reference: &str) -> String {
    match repository_uri {
        None => reference.to_string(),
        Some(uri) if reference.starts_with('@') => format!("{uri}{reference}"),
        Some(uri) => format!("{uri}:{reference}"),
    }
}

/// The container as `read` reports it, without the image (an attribute of its own);
/// `log_group` must be resolved.
fn container_value(c: &ContainerSpec, log_group: &str) -> Value {
    json!({
        "name": c.name,
        "port": c.port,
        "environment": c.environment,
        "secrets": c.secrets,
        "log_group": log_group,
        "log_region": c.log_region,
        "log_stream_prefix": c.log_stream_prefix,
    })
}

/// The awslogs options beyond group, region and prefix, as `read` reports them.
fn log_options(mode: Option<&str>) -> Value {
    json!({
        "mode": mode,
        "max-buffer-size": (mode == Some("non-blocking")).then_some(LOG_MAX_BUFFER_SIZE),
    })
}

fn live_log_options(c: &ContainerDefinition) -> Value {
    let options = c.log_configuration().and_then(|l| l.options());
    let option = |key: &str| options.and_then(|o| o.get(key)).map(String::as_str);
    json!({
        "mode": option("mode"),
        "max-buffer-size": option("max-buffer-size"),
    })
}

fn wanted_container(c: &ContainerSpec, lookup: &dyn Lookup) -> Wanted {
    match lookup.output(&c.log_group) {
        Some(log_group) => known(container_value(c, &log_group)),
        None => Wanted::Unknown,
    }
}

/// The image URI the container runs: a deployed one, or the one stack.toml names.
fn wanted_image(image: &ImageSpec, lookup: &dyn Lookup) -> Wanted {
    if let Some(d) = &image.deployed {
        return known(d.uri.clone());
    }
    match &image.repository {
        Some(r) => match lookup.output(r) {
            Some(uri) => known(image_uri(Some(&uri), &image.reference)),
            None => Wanted::Unknown,
        },
        None => known(image.reference.clone()),
    }
}

fn live_container(c: &ContainerDefinition) -> Value {
    let env: BTreeMap<&str, &str> = c
        .environment()
        .iter()
        .map(|kv| {
            (
                kv.name().unwrap_or_default(),
                kv.value().unwrap_or_default(),
            )
        })
        .collect();
    let secrets: BTreeMap<&str, &str> = c
        .secrets()
        .iter()
        .map(|s| (s.name(), s.value_from()))
        .collect();
    let options = c.log_configuration().and_then(|l| l.options());
    let option = |key: &str| {
        options
            .and_then(|o| o.get(key))
            .map(|v| Value::from(v.as_str()))
            .unwrap_or(Value::Null)
    };
    json!({
        "name": c.name(),
        "port": c.port_mappings().first().and_then(|p| p.container_port()),
        "environment": env,
        "secrets": secrets,
        "log_group": option("awslogs-group"),
        "log_region": option("awslogs-region"),
        "log_stream_prefix": option("awslogs-stream-prefix"),
    })
}

fn container_definition(ctx: &Ctx<'_>, c: &ContainerSpec) -> Result<ContainerDefinition, AwsError> {
    const OP: &str = "RegisterTaskDefinition";
    let repository_uri = c
        .image
        .repository
        .as_ref()
        .map(|r| ctx.resolve(r))
        .transpose()?;
    let log_group = ctx.resolve(&c.log_group)?;
    let secrets = c
        .secrets
        .iter()
        .map(|(name, from)| Secret::builder().name(name).value_from(from).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AwsError::invalid(OP, e.to_string()))?;
    let mut logs = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", log_group)
        .options("awslogs-region", &c.log_region)
        .options("awslogs-stream-prefix", &c.log_stream_prefix);
    if let Some(mode) = &c.log_mode {
        logs = logs.options("mode", mode);
        if mode == "non-blocking" {
            logs = logs.options("max-buffer-size", LOG_MAX_BUFFER_SIZE);
        }
    }
    let logs = logs
        .build()
        .map_err(|e| AwsError::invalid(OP, e.to_string()))?;
    let ports = c.port.map(|p| {
        vec![
            PortMapping::builder()
                .container_port(p)
                .protocol(TransportProtocol::Tcp)
                .build(),
        ]
    });
    let image = match &c.image.deployed {
        Some(d) => d.uri.clone(),
        None => image_uri(repository_uri.as_deref(), &c.image.reference),
    };
    Ok(ContainerDefinition::builder()
        .name(&c.name)
        .image(image)
        .essential(true)
        .set_port_mappings(ports)
        // BTreeMap order: sorted by name, the order ECS keeps.
        .set_environment(Some(
            c.environment
                .iter()
                .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                .collect(),
        ))
        .set_secrets(Some(secrets))
        .log_configuration(logs)
        .set_readonly_root_filesystem(c.read_only_root_filesystem.then_some(true))
        .set_mount_points(c.read_only_root_filesystem.then(|| {
            vec![
                MountPoint::builder()
                    .source_volume(TMP_VOLUME)
                    .container_path(TMP_PATH)
                    .read_only(false)
                    .build(),
            ]
        }))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_and_revision_come_from_the_arn() {
        let id = CloudId::new("arn:aws:ecs:eu-west-2:123456789012:task-definition/shop-web:12");
        assert_eq!(family_revision(&id), Some(("shop-web", 12)));
        assert_eq!(family_revision(&CloudId::new("shop-web")), None);
        assert_eq!(family_revision(&CloudId::new("shop-web:1")), None);
    }

    #[test]
    fn image_uri_joins_tags_with_colon_and_digests_directly() {
        let repo = Some("1.dkr.ecr.eu-west-2.amazonaws.com/app");
        assert_eq!(
            image_uri(repo, "v1"),
            "1.dkr.ecr.eu-west-2.amazonaws.com/app:v1"
        );
        assert_eq!(
            image_uri(repo, "@sha256:abc"),
            "1.dkr.ecr.eu-west-2.amazonaws.com/app@sha256:abc"
        );
        assert_eq!(image_uri(None, "nginx:1.27"), "nginx:1.27");
    }

    #[test]
    fn live_container_ignores_defaults_ecs_adds() {
        let c = ContainerDefinition::builder()
            .name("app")
            .image("nginx:1")
            .cpu(0)
            .essential(true)
            .port_mappings(
                PortMapping::builder()
                    .container_port(80)
                    .host_port(80)
                    .protocol(TransportProtocol::Tcp)
                    .build(),
            )
            .environment(KeyValuePair::builder().name("B").value("2").build())
            .environment(KeyValuePair::builder().name("A").value("1").build())
            .log_configuration(
                LogConfiguration::builder()
                    .log_driver(LogDriver::Awslogs)
                    .options("awslogs-group", "g")
                    .options("awslogs-region", "eu-west-2")
                    .options("awslogs-stream-prefix", "app")
                    .build()
                    .unwrap(),
            )
            .build();
        let spec = ContainerSpec {
            name: "app".into(),
            image: ImageSpec {
                repository: None,
                reference: "nginx:1".into(),
                deployed: None,
            },
            port: Some(80),
            environment: [("A".into(), "1".into()), ("B".into(), "2".into())].into(),
            secrets: BTreeMap::new(),
            log_group: Ref::id("log_group.app".parse().unwrap()),
            log_region: "eu-west-2".into(),
            log_stream_prefix: "app".into(),
            log_mode: Some("non-blocking".into()),
            read_only_root_filesystem: false,
        };
        assert_eq!(live_container(&c), container_value(&spec, "g"));
    }
}
