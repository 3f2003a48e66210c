//! ECR repository. The id is the repository name.
//!
//! The optional lifecycle policy is the one rule people want for an application
//! repository: keep the newest N images, expire the rest. It is read back by parsing
//! the policy text, so a policy changed by hand shows up as a difference.
//!
//! Destroy never force-deletes: images are the one thing in a stack that cannot be
//! re-created from stack.toml. A repository that still holds images is refused by
//! AWS, and the error says so and what to do, instead of silently throwing images away.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::ensure_ours;
use super::tags::{self, TagChanges, Tags};
use super::{Created, Ctx, Live, Lookup, Resource, WantedAttrs, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome};
use aws_sdk_ecr::types::{ImageIdentifier, ImageScanningConfiguration, ImageTagMutability, Tag};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcrRepositorySpec {
    pub name: String,
    pub scan_on_push: bool,
    /// "MUTABLE" or "IMMUTABLE".
    pub tag_mutability: String,
    /// Lifecycle policy: keep the newest N images; None = no policy.
    pub keep_images: Option<u32>,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct EcrRepository;

impl Facts for EcrRepository {
    const SERVICE: Service = Service::Ecr;
    const IMPORT_ID: &'static str = "its repository name";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(address: &Address, record: &Record) -> Vec<(String, String)> {
        let uri = record.outputs.get("uri").cloned();
        uri.map(|uri| (format!("repository_{}", address.name()), uri))
            .into_iter()
            .collect()
    }
}

impl Resource for EcrRepository {
    const KIND: Kind = Kind::EcrRepository;
    const REPLACE_ON: &'static [&'static str] = &["name"];
    type Spec = EcrRepositorySpec;

    fn wanted(spec: &EcrRepositorySpec, _lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            ("scan_on_push".into(), known(spec.scan_on_push)),
            ("tag_mutability".into(), known(spec.tag_mutability.clone())),
            ("keep_images".into(), known(spec.keep_images)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    /// The repository and its lifecycle policy at once, then its tags (by the ARN the
    /// first answer gives): two round trips.
    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        // "Lifecycle policy not found" is how ECR says there is none.
        let (out, policy) = tokio::join!(
            async {
                aws.ecr
                    .describe_repositories()
                    .repository_names(id.as_str())
                    .send()
                    .await
                    .op("DescribeRepositories")
                    .found()
            },
            async {
                aws.ecr
                    .get_lifecycle_policy()
                    .repository_name(id.as_str())
                    .send()
                    .await
                    .op("GetLifecyclePolicy")
                    .found()
            },
        );
        let out = out?;
        let Some(repo) = out.as_ref().and_then(|o| o.repositories().first()) else {
            return Ok(None);
        };
        let uri = repo.repository_uri().ok_or_else(|| {
            AwsError::invalid("DescribeRepositories", "no repository URI in the answer")
        })?;
        let arn = repo.repository_arn().ok_or_else(|| {
            AwsError::invalid("DescribeRepositories", "no repository ARN in the answer")
        })?;
        let policy = policy?;
        let keep_images = match policy.as_ref().and_then(|p| p.lifecycle_policy_text()) {
            Some(text) => keep_images_of(text),
            None => Value::Null,
        };
        let live_tags = live_tags(aws, arn).await?;
        Ok(Some(Live {
            attrs: [
                (
                    "name".into(),
                    repo.repository_name().unwrap_or(id.as_str()).into(),
                ),
                (
                    "scan_on_push".into(),
                    repo.image_scanning_configuration()
                        .map(|c| c.scan_on_push())
                        .unwrap_or(false)
                        .into(),
                ),
                (
                    "tag_mutability".into(),
                    repo.image_tag_mutability()
                        .map(|m| m.as_str())
                        .unwrap_or("MUTABLE")
                        .into(),
                ),
                ("keep_images".into(), keep_images),
                (
                    tags::ATTR.into(),
                    tags::live_value(live_tags.iter().map(|t| (t.key(), t.value()))),
                ),
            ]
            .into(),
            outputs: [
                ("id".into(), id.to_string()),
                ("uri".into(), uri.to_string()),
                ("arn".into(), arn.to_string()),
            ]
            .into(),
        }))
    }

    /// By name (unique in the account and region), then its tags.
    async fn find(ctx: &Ctx<'_>, spec: &EcrRepositorySpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .ecr
            .describe_repositories()
            .repository_names(&spec.name)
            .send()
            .await
            .op("DescribeRepositories")
            .found()?;
        let Some(arn) = out
            .as_ref()
            .and_then(|o| o.repositories().first())
            .and_then(|r| r.repository_arn())
        else {
            return Ok(None);
        };
        let tags = live_tags(ctx.aws, arn).await?;
        let pairs = tags.iter().map(|t| (t.key(), t.value()));
        ensure_ours(ctx, "ECR repository", &spec.name, pairs)?;
        Ok(Some(CloudId::new(&spec.name)))
    }

    async fn create(ctx: &Ctx<'_>, spec: &EcrRepositorySpec) -> Result<Created, AwsError> {
        let tags = ecr_tags(&ctx.tags(&spec.tags), "CreateRepository")?;
        let out = ctx
            .aws
            .ecr
            .create_repository()
            .repository_name(&spec.name)
            .image_scanning_configuration(scanning(spec.scan_on_push))
            .image_tag_mutability(ImageTagMutability::from(spec.tag_mutability.as_str()))
            .set_tags(Some(tags))
            .customize()
            .config_override(unknown_outcome::ecr())
            .send()
            .await
            .op("CreateRepository")?;
        let repo = out
            .repository()
            .ok_or_else(|| AwsError::invalid("CreateRepository", "no repository in the answer"))?;
        let (Some(uri), Some(arn)) = (repo.repository_uri(), repo.repository_arn()) else {
            return Err(AwsError::invalid(
                "CreateRepository",
                "no repository URI or ARN in the answer",
            ));
        };
        let id = CloudId::new(&spec.name);
        if let Some(n) = spec.keep_images {
            put_keep_policy(ctx.aws, &id, n).await?;
        }
        Ok(Created {
            outputs: [
                ("id".into(), id.to_string()),
                ("uri".into(), uri.to_string()),
                ("arn".into(), arn.to_string()),
            ]
            .into(),
            id,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &EcrRepositorySpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        let aws = ctx.aws;
        if changed.iter().any(|c| c == "scan_on_push") {
            aws.ecr
                .put_image_scanning_configuration()
                .repository_name(id.as_str())
                .image_scanning_configuration(scanning(spec.scan_on_push))
                .send()
                .await
                .op("PutImageScanningConfiguration")?;
        }
        if changed.iter().any(|c| c == "tag_mutability") {
            aws.ecr
                .put_image_tag_mutability()
                .repository_name(id.as_str())
                .image_tag_mutability(ImageTagMutability::from(spec.tag_mutability.as_str()))
                .send()
                .await
                .op("PutImageTagMutability")?;
        }
        if changed.iter().any(|c| c == "keep_images") {
            match spec.keep_images {
                Some(n) => put_keep_policy(aws, id, n).await?,
                None => {
                    // Already without a policy is the state we want.
                    aws.ecr
                        .delete_lifecycle_policy()
                        .repository_name(id.as_str())
                        .send()
                        .await
                        .op("DeleteLifecyclePolicy")
                        .found()?;
                }
            }
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            sync_tags(aws, id, &spec.tags).await?;
        }
        Ok(())
    }

    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let result = aws
            .ecr
            .delete_repository()
            .repository_name(id.as_str())
            .force(false)
            .send()
            .await
            .op("DeleteRepository");
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.code == "RepositoryNotEmptyException" => Err(AwsError {
                message: format!(
                    "{} (stackctl never deletes images on destroy: delete the images in \
                     repository `{id}`, e.g. with `aws ecr batch-delete-image`, then run \
                     destroy again)",
                    e.message
                ),
                ..e
            }),
            Err(e) => Err(e),
        }
    }
}

fn ecr_tags(pairs: &[(String, String)], op: &'static str) -> Result<Vec<Tag>, AwsError> {
    pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AwsError::invalid(op, e.to_string()))
}

async fn live_tags(aws: &Aws, arn: &str) -> Result<Vec<Tag>, AwsError> {
    let out = aws
        .ecr
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok(out.tags().to_vec())
}

/// ECR tags by the repository's ARN, which the id (the name) is not.
async fn sync_tags(aws: &Aws, id: &CloudId, wanted: &Tags) -> Result<(), AwsError> {
    let out = aws
        .ecr
        .describe_repositories()
        .repository_names(id.as_str())
        .send()
        .await
        .op("DescribeRepositories")?;
    let arn = out
        .repositories()
        .first()
        .and_then(|r| r.repository_arn())
        .ok_or_else(|| AwsError::invalid("DescribeRepositories", "no repository ARN"))?;
    let live = live_tags(aws, arn).await?;
    let changes = TagChanges::between(wanted, live.iter().map(|t| (t.key(), t.value())));
    if !changes.remove.is_empty() {
        aws.ecr
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(changes.remove))
            .send()
            .await
            .op("UntagResource")?;
    }
    if !changes.set.is_empty() {
        aws.ecr
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(ecr_tags(&changes.set, "TagResource")?))
            .send()
            .await
            .op("TagResource")?;
    }
    Ok(())
}

fn scanning(scan_on_push: bool) -> ImageScanningConfiguration {
    ImageScanningConfiguration::builder()
        .scan_on_push(scan_on_push)
        .build()
}

/// The lifecycle policy text for "keep the newest `n` images, of any tag status".
fn keep_policy_text(n: u32) -> String {
    json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("keep the newest {n} images"),
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": n,
            },
            "action": { "type": "expire" },
        }]
    })
    .to_string()
}

/// N when the policy is exactly our one rule; otherwise the policy itself, so any
/// other policy differs from every wanted value and is replaced by ours.
fn keep_images_of(text: &str) -> Value {
    let Ok(policy) = serde_json::from_str::<Value>(text) else {
        return Value::String(text.to_string());
    };
    let ours = match policy["rules"].as_array().map(Vec::as_slice) {
        Some([rule]) => {
            let sel = &rule["selection"];
            (sel["tagStatus"] == "any"
                && sel["countType"] == "imageCountMoreThan"
                && rule["action"]["type"] == "expire")
                .then(|| sel["countNumber"].as_u64())
                .flatten()
        }
        _ => None,
    };
    match ours {
        Some(n) => Value::from(n),
        None => policy,
    }
}

async fn put_keep_policy(aws: &Aws, id: &CloudId, n: u32) -> Result<(), AwsError> {
    aws.ecr
        .put_lifecycle_policy()
        .repository_name(id.as_str())
        .lifecycle_policy_text(keep_policy_text(n))
        .send()
        .await
        .op("PutLifecyclePolicy")?;
    Ok(())
}

/// Whether repository `name` holds the image `reference` (a tag, or `@sha256:...`):
/// what a task started on it will pull. A repository that is gone holds nothing.
pub async fn holds_image(aws: &Aws, name: &str, reference: &str) -> Result<bool, AwsError> {
    let id = match reference.strip_prefix('@') {
        Some(digest) => ImageIdentifier::builder().image_digest(digest).build(),
        None => ImageIdentifier::builder().image_tag(reference).build(),
    };
    let found = aws
        .ecr
        .describe_images()
        .repository_name(name)
        .image_ids(id)
        .send()
        .await
        .op("DescribeImages")
        .found()?;
    Ok(found.is_some_and(|out| !out.image_details().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_policy_reads_back_as_its_count() {
        assert_eq!(keep_images_of(&keep_policy_text(7)), json!(7));
    }

    #[test]
    fn a_foreign_policy_reads_back_as_itself() {
        let text = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":3},"action":{"type":"expire"}}]}"#;
        let got = keep_images_of(text);
        assert!(got.is_object(), "{got}");
        assert_eq!(keep_images_of("not json"), json!("not json"));
    }
}
