//! SNS topic that alarms notify (`{stack}-alarms`). The id is the topic ARN.
//!
//! Not encrypted at rest: a topic under the AWS-managed `alias/aws/sns` key silently
//! drops CloudWatch alarm notifications (CloudWatch may not use that key), and a
//! customer key is one more policy to get right for a few emails a month.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::ensure_ours;
use super::tags::{self, TagChanges, Tags};
use super::{Created, Ctx, Live, Lookup, Resource, WantedAttrs, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt};
use aws_sdk_sns::types::Tag;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnsTopicSpec {
    pub name: String,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct SnsTopic;

/// The topic's name: the last part of its ARN.
fn name_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

impl Facts for SnsTopic {
    const SERVICE: Service = Service::Sns;
    const IMPORT_ID: &'static str = "its topic ARN";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    /// The first million requests and a thousand emails a month are free.
    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for SnsTopic {
    const KIND: Kind = Kind::SnsTopic;
    const REPLACE_ON: &'static [&'static str] = &["name"];
    type Spec = SnsTopicSpec;

    fn wanted(spec: &SnsTopicSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let attributes = aws
            .sns
            .get_topic_attributes()
            .topic_arn(id.as_str())
            .send()
            .await
            .op("GetTopicAttributes")
            .found()?;
        if attributes.is_none() {
            return Ok(None);
        }
        let live_tags = live_tags(aws, id.as_str()).await?;
        Ok(Some(Live {
            attrs: [
                ("name".into(), name_of(id.as_str()).into()),
                (tags::ATTR.into(), tags::live_value(&live_tags)),
            ]
            .into(),
            outputs: outputs(id.as_str()),
        }))
    }

    /// By name among the account's topics, then its tags.
    async fn find(ctx: &Ctx<'_>, spec: &SnsTopicSpec) -> Result<Option<CloudId>, AwsError> {
        let mut token = None;
        loop {
            let out = ctx
                .aws
                .sns
                .list_topics()
                .set_next_token(token)
                .send()
                .await
                .op("ListTopics")?;
            let arns = out.topics().iter().filter_map(|t| t.topic_arn());
            if let Some(arn) = arns.into_iter().find(|a| name_of(a) == spec.name) {
                let tags = live_tags(ctx.aws, arn).await?;
                let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                ensure_ours(ctx, "SNS topic", arn, pairs)?;
                return Ok(Some(CloudId::new(arn)));
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(None),
            }
        }
    }

    /// CreateTopic is idempotent by name: a create sent again answers the same ARN.
    async fn create(ctx: &Ctx<'_>, spec: &SnsTopicSpec) -> Result<Created, AwsError> {
        let tags = ctx
            .tags(&spec.tags)
            .into_iter()
            .map(|(k, v)| sns_tag(&k, &v));
        let out = ctx
            .aws
            .sns
            .create_topic()
            .name(&spec.name)
            .set_tags(Some(tags.collect::<Result<_, _>>()?))
            .send()
            .await
            .op("CreateTopic")?;
        let arn = out
            .topic_arn()
            .ok_or_else(|| AwsError::invalid("CreateTopic", "no topic ARN"))?;
        Ok(Created {
            id: CloudId::new(arn),
            outputs: outputs(arn),
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &SnsTopicSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if !changed.iter().any(|c| c == tags::ATTR) {
            return Ok(());
        }
        let aws = ctx.aws;
        let changes = TagChanges::between(&spec.tags, live_tags(aws, id.as_str()).await?);
        if !changes.remove.is_empty() {
            aws.sns
                .untag_resource()
                .resource_arn(id.as_str())
                .set_tag_keys(Some(changes.remove))
                .send()
                .await
                .op("UntagResource")?;
        }
        if !changes.set.is_empty() {
            let tags = changes.set.iter().map(|(k, v)| sns_tag(k, v));
            aws.sns
                .tag_resource()
                .resource_arn(id.as_str())
                .set_tags(Some(tags.collect::<Result<_, _>>()?))
                .send()
                .await
                .op("TagResource")?;
        }
        Ok(())
    }

    /// DeleteTopic of a topic already gone succeeds; so does this.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        aws.sns
            .delete_topic()
            .topic_arn(id.as_str())
            .send()
            .await
            .op("DeleteTopic")
            .found()?;
        Ok(())
    }
}

fn outputs(arn: &str) -> super::Outputs {
    [
        ("id".into(), arn.to_string()),
        ("arn".into(), arn.to_string()),
    ]
    .into()
}

fn sns_tag(key: &str, value: &str) -> Result<Tag, AwsError> {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(|e| AwsError::invalid("TagResource", e.to_string()))
}

async fn live_tags(aws: &Aws, arn: &str) -> Result<Tags, AwsError> {
    let out = aws
        .sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}
