//! Tags: the ones that mark an object as part of a stack, and the user's own.
//!
//! The standard tags (`stackctl:stack`, `stackctl:address`, `Name`) are how a later run
//! finds what an interrupted run created, so their keys and values never change. The
//! user tags (stack.toml `[stack] tags`) are carried in every taggable kind's spec, so
//! the planner diffs them like any other setting: each such kind has a `tags`
//! attribute, wanted = the user tags, read = the object's tags without the standard
//! ones, stackctl's other `stackctl:` tags and AWS's own `aws:` tags. A change is
//! made in place with the kind's tagging API; tags never replace anything.

use crate::address::Address;
use crate::aws::{Aws, AwsError, SdkResultExt};
use serde_json::Value;
use std::collections::BTreeMap;

pub const STACK_TAG: &str = "stackctl:stack";
pub const ADDRESS_TAG: &str = "stackctl:address";
pub use crate::config::names::{AWS_PREFIX, NAME_TAG, STACKCTL_PREFIX};

/// The attribute every taggable kind reports its user tags under.
pub const ATTR: &str = "tags";

/// User tags by key: sorted, so the attribute compares equal whatever order AWS
/// reports them in.
pub type Tags = BTreeMap<String, String>;

pub fn name(stack: &str, address: &Address) -> String {
    format!("{stack}-{}", address.name())
}

pub fn standard(stack: &str, address: &Address) -> Vec<(String, String)> {
    vec![
        (STACK_TAG.to_string(), stack.to_string()),
        (ADDRESS_TAG.to_string(), address.to_string()),
        (NAME_TAG.to_string(), name(stack, address)),
    ]
}

/// False for the keys that are never user tags: `Name` and `stackctl:...` (stackctl's
/// own) and `aws:...` (AWS's, which nobody else may set or remove).
pub fn is_user_key(key: &str) -> bool {
    key != NAME_TAG
        && !key.starts_with(STACKCTL_PREFIX)
        && !key
            .get(..AWS_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(AWS_PREFIX))
}

/// The user tags among an object's live tags.
pub fn user_tags<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> Tags {
    pairs
        .into_iter()
        .filter(|(k, _)| is_user_key(k.as_ref()))
        .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
        .collect()
}

/// The `tags` attribute: a JSON object, keys sorted.
pub fn value(tags: &Tags) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// `value` of the user tags among an object's live tags.
pub fn live_value<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> Value {
    value(&user_tags(pairs))
}

/// What a tag update does: the user tags to add or overwrite, and the keys to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    pub set: Vec<(String, String)>,
    pub remove: Vec<String>,
}

impl TagChanges {
    /// From the object's live tags (all of them: only user tags are ever touched) to
    /// the wanted user tags.
    pub fn between<K: AsRef<str>, V: AsRef<str>>(
        wanted: &Tags,
        live: impl IntoIterator<Item = (K, V)>,
    ) -> TagChanges {
        let live = user_tags(live);
        TagChanges {
            set: wanted
                .iter()
                .filter(|(k, v)| is_user_key(k) && live.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            remove: live
                .keys()
                .filter(|k| !wanted.contains_key(*k))
                .cloned()
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// Tags as an EC2 `TagSpecification`, for create calls that tag atomically (an object
/// never exists untagged, so an interrupted run can always find it).
pub fn ec2_tag_spec(
    resource_type: aws_sdk_ec2::types::ResourceType,
    tags: &[(String, String)],
) -> aws_sdk_ec2::types::TagSpecification {
    aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(ec2_tags(tags)))
        .build()
}

fn ec2_tags(tags: &[(String, String)]) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter()
        .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tags in ELBv2's shape; ELBv2 takes tags in every create call (load balancer,
/// target group, listener, rule), so nothing exists untagged.
pub fn elb_tags(tags: &[(String, String)]) -> Vec<aws_sdk_elasticloadbalancingv2::types::Tag> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
        })
        .collect()
}

/// Tags in ECS's shape (cluster, task definition, service).
pub fn ecs_tags(tags: &[(String, String)]) -> Vec<aws_sdk_ecs::types::Tag> {
    tags.iter()
        .map(|(k, v)| aws_sdk_ecs::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// ECS tags as pairs (ECS reports keys and values as optional).
pub fn ecs_pairs(tags: &[aws_sdk_ecs::types::Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
}

/// EC2 tags as pairs.
pub fn ec2_pairs(tags: &[aws_sdk_ec2::types::Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
}

// Every update below removes before it adds: an object never holds the old and the
// new tags at once, which could pass AWS's limit of 50 tags per object.

/// Brings the user tags of the EC2 object `id` (any kind: VPC, subnet, gateway,
/// address, route table, security group) to `wanted`.
pub async fn sync_ec2(aws: &Aws, id: &str, wanted: &Tags) -> Result<(), AwsError> {
    let mut live = Vec::new();
    let mut token = None;
    loop {
        let out = aws
            .ec2
            .describe_tags()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("resource-id")
                    .values(id)
                    .build(),
            )
            .set_next_token(token)
            .send()
            .await
            .op("DescribeTags")?;
        live.extend(out.tags().iter().filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        }));
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let changes = TagChanges::between(wanted, live);
    if !changes.remove.is_empty() {
        // A tag without a value is deleted whatever its value.
        aws.ec2
            .delete_tags()
            .resources(id)
            .set_tags(Some(
                changes
                    .remove
                    .iter()
                    .map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build())
                    .collect(),
            ))
            .send()
            .await
            .op("DeleteTags")?;
    }
    if !changes.set.is_empty() {
        aws.ec2
            .create_tags()
            .resources(id)
            .set_tags(Some(ec2_tags(&changes.set)))
            .send()
            .await
            .op("CreateTags")?;
    }
    Ok(())
}

/// Brings the user tags of the ELBv2 object `arn` (load balancer, target group,
/// listener, rule) to `wanted`. (Emulator gap: moto refuses AddTags of a new key on
/// an object that already holds 10 tags, where AWS allows 50; so against moto an
/// object with stackctl's 3 and 7 user tags takes no new key in place.)
pub async fn sync_elb(aws: &Aws, arn: &str, wanted: &Tags) -> Result<(), AwsError> {
    let live = super::ownership::elb_tags_by_arn(aws, &[arn.to_string()])
        .await?
        .remove(arn)
        .unwrap_or_default();
    let changes = TagChanges::between(wanted, live);
    if !changes.remove.is_empty() {
        aws.elb
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(changes.remove))
            .send()
            .await
            .op("RemoveTags")?;
    }
    if !changes.set.is_empty() {
        aws.elb
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(elb_tags(&changes.set)))
            .send()
            .await
            .op("AddTags")?;
    }
    Ok(())
}

/// Brings the user tags of the ECS object `arn` (cluster, service, task definition)
/// to `wanted`, given its live tags (each kind's describe reports them).
pub async fn sync_ecs(
    aws: &Aws,
    arn: &str,
    wanted: &Tags,
    live: &[aws_sdk_ecs::types::Tag],
) -> Result<(), AwsError> {
    let changes = TagChanges::between(wanted, ecs_pairs(live));
    if !changes.remove.is_empty() {
        aws.ecs
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(changes.remove))
            .send()
            .await
            .op("UntagResource")?;
    }
    if !changes.set.is_empty() {
        aws.ecs
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(ecs_tags(&changes.set)))
            .send()
            .await
            .op("TagResource")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn user_tags_leave_out_ours_and_aws_ones() {
        let live = [
            (STACK_TAG, "shop"),
            (ADDRESS_TAG, "vpc.main"),
            (NAME_TAG, "shop-main"),
            ("stackctl:deployed-over", "app:v1"),
            ("aws:cloudformation:stack-name", "x"),
            ("AWS:Other", "x"),
            ("team", "payments"),
            ("name", "lowercase is a user tag"),
        ];
        assert_eq!(
            live_value(live),
            json!({"name": "lowercase is a user tag", "team": "payments"})
        );
        assert_eq!(value(&Tags::new()), json!({}));
    }

    #[test]
    fn changes_set_what_differs_and_remove_what_is_gone() {
        let live = [
            (STACK_TAG, "shop"),
            (NAME_TAG, "shop-main"),
            ("aws:managed", "x"),
            ("team", "a"),
            ("tier", "web"),
            ("same", "1"),
        ];
        let wanted = tags(&[("team", "b"), ("owner", "x"), ("same", "1")]);
        let changes = TagChanges::between(&wanted, live);
        assert_eq!(
            changes.set,
            vec![
                ("owner".to_string(), "x".to_string()),
                ("team".to_string(), "b".to_string())
            ]
        );
        // Never ours or AWS's, even though they are not wanted.
        assert_eq!(changes.remove, vec!["tier".to_string()]);
        assert!(
            TagChanges::between(&wanted, [("team", "b"), ("owner", "x"), ("same", "1")]).is_empty()
        );
    }
}
