//! CloudWatch log group. The id is the group name.
//!
//! Created explicitly (rather than by the awslogs driver's auto-create) so that it
//! has a retention period, tags, and is removed with the stack.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::ensure_ours;
use super::tags::{self, TagChanges, Tags};
use super::{Created, Ctx, Live, Lookup, Resource, WantedAttrs, batch, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_days: i32,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct LogGroup;

impl Facts for LogGroup {
    const SERVICE: Service = Service::Logs;
    const IMPORT_ID: &'static str = "its log group name";

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

impl Resource for LogGroup {
    const KIND: Kind = Kind::LogGroup;
    const REPLACE_ON: &'static [&'static str] = &["name"];
    /// A group just created can be unknown for a moment to the calls that set its
    /// retention and tags.
    const TRANSIENT: &'static [Transient] = &[
        Transient::code("PutRetentionPolicy", "ResourceNotFoundException"),
        Transient::code("TagResource", "ResourceNotFoundException"),
    ];
    type Spec = LogGroupSpec;

    fn wanted(spec: &LogGroupSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            ("retention_days".into(), known(spec.retention_days)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    /// One listing per path the names share (`/ecs/STACK/`) instead of one per
    /// group; tags still take a call per group (the API takes one ARN).
    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        let mut prefixes: Vec<&str> = ids.iter().map(|id| listing_prefix(id.as_str())).collect();
        prefixes.sort();
        prefixes.dedup();
        let listed = futures::future::try_join_all(prefixes.iter().map(|p| list(aws, p))).await?;
        let groups = batch::in_order(
            ids,
            listed
                .into_iter()
                .flatten()
                .filter_map(|g| Some((g.log_group_name()?.to_string(), g))),
        );
        let reads = ids.iter().zip(groups).map(|(id, group)| async move {
            let Some(group) = group else {
                return Ok(None);
            };
            let arn = arn_of(&group)
                .ok_or_else(|| AwsError::invalid("DescribeLogGroups", "no log group ARN"))?;
            let live_tags = live_tags(aws, &arn).await?;
            Ok(Some(Live {
                attrs: [
                    ("name".into(), id.as_str().into()),
                    (
                        "retention_days".into(),
                        group
                            .retention_in_days()
                            .map(Value::from)
                            .unwrap_or(Value::Null),
                    ),
                    (tags::ATTR.into(), tags::live_value(&live_tags)),
                ]
                .into(),
                outputs: [("id".into(), id.to_string()), ("arn".into(), arn)].into(),
            }))
        });
        futures::future::try_join_all(reads).await
    }

    /// By name (unique in the account and region), then its tags.
    async fn find(ctx: &Ctx<'_>, spec: &LogGroupSpec) -> Result<Option<CloudId>, AwsError> {
        let Some(group) = describe(ctx.aws, &spec.name).await? else {
            return Ok(None);
        };
        let arn = arn_of(&group)
            .ok_or_else(|| AwsError::invalid("DescribeLogGroups", "no log group ARN"))?;
        let tags = live_tags(ctx.aws, &arn).await?;
        let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        ensure_ours(ctx, "log group", &spec.name, pairs)?;
        Ok(Some(CloudId::new(&spec.name)))
    }

    async fn create(ctx: &Ctx<'_>, spec: &LogGroupSpec) -> Result<Created, AwsError> {
        let aws = ctx.aws;
        aws.logs
            .create_log_group()
            .log_group_name(&spec.name)
            .set_tags(Some(ctx.tags(&spec.tags).into_iter().collect()))
            .customize()
            .config_override(unknown_outcome::logs())
            .send()
            .await
            .op("CreateLogGroup")?;
        put_retention(aws, &spec.name, spec.retention_days).await?;
        // CreateLogGroup answers nothing; the ARN comes from a describe.
        let group = describe(aws, &spec.name).await?.ok_or_else(|| {
            AwsError::invalid(
                "DescribeLogGroups",
                "log group not found right after create",
            )
        })?;
        let arn = arn_of(&group)
            .ok_or_else(|| AwsError::invalid("DescribeLogGroups", "no log group ARN"))?;
        let id = CloudId::new(&spec.name);
        Ok(Created {
            outputs: [("id".into(), id.to_string()), ("arn".into(), arn)].into(),
            id,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &LogGroupSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c == "retention_days") {
            put_retention(ctx.aws, id.as_str(), spec.retention_days).await?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            sync_tags(ctx.aws, id, &spec.tags).await?;
        }
        Ok(())
    }

    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        aws.logs
            .delete_log_group()
            .log_group_name(id.as_str())
            .send()
            .await
            .op("DeleteLogGroup")
            .found()?;
        Ok(())
    }
}

async fn put_retention(aws: &Aws, name: &str, days: i32) -> Result<(), AwsError> {
    aws.logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .op("PutRetentionPolicy")?;
    Ok(())
}

/// The group's tags, by its own ARN.
async fn live_tags(aws: &Aws, arn: &str) -> Result<Tags, AwsError> {
    let out = aws
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok(out
        .tags()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}

/// Tagged by ARN (TagResource/UntagResource; TagLogGroup is deprecated).
async fn sync_tags(aws: &Aws, id: &CloudId, wanted: &Tags) -> Result<(), AwsError> {
    let group = describe(aws, id.as_str())
        .await?
        .ok_or_else(|| AwsError::not_found("DescribeLogGroups", id.to_string()))?;
    let arn =
        arn_of(&group).ok_or_else(|| AwsError::invalid("DescribeLogGroups", "no log group ARN"))?;
    let changes = TagChanges::between(wanted, &live_tags(aws, &arn).await?);
    if !changes.remove.is_empty() {
        aws.logs
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(changes.remove))
            .send()
            .await
            .op("UntagResource")?;
    }
    if !changes.set.is_empty() {
        aws.logs
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(changes.set.into_iter().collect()))
            .send()
            .await
            .op("TagResource")?;
    }
    Ok(())
}

/// What to list a group by: the path of its name (`/ecs/STACK/` of `/ecs/STACK/web`),
/// which the stack's other groups share; a name without one is listed by itself, as
/// an empty prefix would list every group of the account.
fn listing_prefix(name: &str) -> &str {
    match name.rfind('/') {
        Some(i) if i > 0 => &name[..=i],
        _ => name,
    }
}

/// Every group whose name starts with `prefix`, over all pages.
async fn list(
    aws: &Aws,
    prefix: &str,
) -> Result<Vec<aws_sdk_cloudwatchlogs::types::LogGroup>, AwsError> {
    let mut groups = Vec::new();
    let mut token = None;
    loop {
        let out = aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .set_next_token(token)
            .send()
            .await
            .op("DescribeLogGroups")?;
        groups.extend(out.log_groups().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(groups),
        }
    }
}

/// The group with exactly this name. DescribeLogGroups only filters by prefix, so
/// other groups whose names start with ours come back too, possibly over pages.
async fn describe(
    aws: &Aws,
    name: &str,
) -> Result<Option<aws_sdk_cloudwatchlogs::types::LogGroup>, AwsError> {
    let mut token = None;
    loop {
        let out = aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .set_next_token(token)
            .send()
            .await
            .op("DescribeLogGroups")?;
        if let Some(g) = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
        {
            return Ok(Some(g.clone()));
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(None),
        }
    }
}

/// The group's own ARN. `arn` is the ARN of its streams (`...:log-group:NAME:*`),
/// which is what IAM policies want but not what names the group; newer answers carry
/// the plain one as `logGroupArn`.
fn arn_of(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> Option<String> {
    group.log_group_arn().map(str::to_string).or_else(|| {
        group
            .arn()
            .map(|a| a.strip_suffix(":*").unwrap_or(a).to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_listed_by_the_path_of_their_name() {
        assert_eq!(listing_prefix("/ecs/weather/web"), "/ecs/weather/");
        assert_eq!(listing_prefix("/web"), "/web");
        assert_eq!(listing_prefix("web"), "web");
    }
}
