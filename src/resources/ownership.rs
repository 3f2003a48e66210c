//! Telling a stack's own objects from everyone else's while looking for them without
//! a state (`Resource::find`). The tags decide (see `tags`): an object is this
//! address's when it carries this stack's name and this address.
//!
//! An object found by its *name* but tagged otherwise is an error that says who owns
//! it: a name collision with another stack, or with something made by hand, must be
//! loud and is never adopted silently. `stackctl import` is the explicit way to take
//! over an object. Finding more than one object tagged for one address is an error
//! too: which one to keep is for a person to decide.

use super::Ctx;
use super::tags::{ADDRESS_TAG, STACK_TAG};
use crate::address::CloudId;
use crate::aws::{Aws, AwsError, SdkResultExt};
use std::collections::BTreeMap;

/// The operation name errors of this module are reported under.
const OP: &str = "adopt";

/// Whose an object is, by its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Tagged with this stack and this address.
    Us,
    /// Tagged by stackctl, for another stack or another address of this one.
    Other {
        stack: Option<String>,
        address: Option<String>,
    },
    /// No stackctl tags: made by hand or by another tool.
    Unmanaged,
}

pub fn owner<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    stack: &str,
    address: &str,
) -> Owner {
    let (mut tagged_stack, mut tagged_address) = (None, None);
    for (key, value) in tags {
        match key {
            STACK_TAG => tagged_stack = Some(value),
            ADDRESS_TAG => tagged_address = Some(value),
            _ => {}
        }
    }
    match (tagged_stack, tagged_address) {
        (Some(s), Some(a)) if s == stack && a == address => Owner::Us,
        (None, None) => Owner::Unmanaged,
        (s, a) => Owner::Other {
            stack: s.map(str::to_string),
            address: a.map(str::to_string),
        },
    }
}

/// Ok when the object `id` (a `what`, e.g. "log group"), found by its name, carries
/// the tags of `ctx.address`; otherwise an error naming its owner.
pub fn ensure_ours<'a>(
    ctx: &Ctx<'_>,
    what: &str,
    id: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), AwsError> {
    let address = ctx.address.to_string();
    match owner(tags, ctx.stack, &address) {
        Owner::Us => Ok(()),
        other => Err(AwsError::invalid(
            OP,
            not_ours_message(what, id, ctx.stack, &address, &other),
        )),
    }
}

fn not_ours_message(what: &str, id: &str, stack: &str, address: &str, owner: &Owner) -> String {
    match owner {
        Owner::Us => format!("{what} `{id}` is {address}'s"),
        Owner::Other {
            stack: Some(s),
            address: a,
        } if s != stack => format!(
            "{what} `{id}` belongs to stack `{s}`{}, not to `{stack}`; stackctl never adopts \
             another stack's objects: rename the stack, or the resource {address} is made \
             for, in stack.toml, or destroy the other stack",
            a.as_deref()
                .map(|a| format!(" (as {a})"))
                .unwrap_or_default()
        ),
        Owner::Other { address: a, .. } => format!(
            "{what} `{id}` is tagged for {} of stack `{stack}`, not for {address}; fix its \
             `{STACK_TAG}`/`{ADDRESS_TAG}` tags, or rename or delete it",
            a.as_deref().unwrap_or("no address")
        ),
        Owner::Unmanaged => format!(
            "{what} `{id}` already exists but was not created by stackctl (it has no \
             `{STACK_TAG}` tag); to manage it with this stack run `stackctl import {address} \
             {id}`, otherwise rename or delete it"
        ),
    }
}

/// The one object tagged for `ctx.address` among `ids`, `None` when there is none, an
/// error naming them all when there are several. Objects already recorded for the
/// address do not count: a create-first replacement tags the new object like the old.
pub fn single(
    ctx: &Ctx<'_>,
    what: &str,
    mut ids: Vec<String>,
) -> Result<Option<CloudId>, AwsError> {
    ids.retain(|id| !ctx.is_recorded(id));
    ids.sort();
    ids.dedup();
    match ids.len() {
        0 => Ok(None),
        1 => Ok(ids.pop().map(CloudId::new)),
        n => Err(AwsError::invalid(
            OP,
            format!(
                "{n} {what}s are tagged for {} of stack `{}`: {}; delete the extra ones, or \
                 choose one with `stackctl import {} ID`",
                ctx.address,
                ctx.stack,
                ids.join(", "),
                ctx.address
            ),
        )),
    }
}

/// EC2 filters for this stack's and address's tags. EC2 kinds are found by tag alone
/// (their names are not unique); callers check the tags again with `ec2_ours`, since
/// not every emulator applies every filter.
pub fn ec2_filters(ctx: &Ctx<'_>) -> Vec<aws_sdk_ec2::types::Filter> {
    let filter = |key: &str, value: String| {
        aws_sdk_ec2::types::Filter::builder()
            .name(format!("tag:{key}"))
            .values(value)
            .build()
    };
    vec![
        filter(STACK_TAG, ctx.stack.to_string()),
        filter(ADDRESS_TAG, ctx.address.to_string()),
    ]
}

pub fn ec2_ours(ctx: &Ctx<'_>, tags: &[aws_sdk_ec2::types::Tag]) -> bool {
    let pairs = tags
        .iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())));
    owner(pairs, ctx.stack, &ctx.address.to_string()) == Owner::Us
}

/// The tags of each ELBv2 object (load balancer, target group, listener, rule) by
/// ARN; DescribeTags takes at most 20 ARNs per call.
pub async fn elb_tags_by_arn(
    aws: &Aws,
    arns: &[String],
) -> Result<BTreeMap<String, Vec<(String, String)>>, AwsError> {
    let mut tags = BTreeMap::new();
    for chunk in arns.chunks(20) {
        let out = aws
            .elb
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .op("DescribeTags")?;
        for d in out.tag_descriptions() {
            let Some(arn) = d.resource_arn() else {
                continue;
            };
            let pairs = d
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect();
            tags.insert(arn.to_string(), pairs);
        }
    }
    Ok(tags)
}

/// `ensure_ours` for one ELBv2 object.
pub async fn ensure_elb_ours(
    ctx: &Ctx<'_>,
    what: &str,
    name: &str,
    arn: &str,
) -> Result<(), AwsError> {
    let tags = elb_tags_by_arn(ctx.aws, &[arn.to_string()]).await?;
    let pairs = tags
        .get(arn)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    ensure_ours(ctx, what, name, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDR: &str = "log_group.web";

    #[test]
    fn owner_is_decided_by_both_tags() {
        let ours = [(STACK_TAG, "weather"), (ADDRESS_TAG, ADDR), ("Name", "x")];
        assert_eq!(owner(ours, "weather", ADDR), Owner::Us);
        assert_eq!(
            owner([(STACK_TAG, "other"), (ADDRESS_TAG, ADDR)], "weather", ADDR),
            Owner::Other {
                stack: Some("other".into()),
                address: Some(ADDR.into())
            }
        );
        assert_eq!(
            owner(
                [(STACK_TAG, "weather"), (ADDRESS_TAG, "log_group.api")],
                "weather",
                ADDR
            ),
            Owner::Other {
                stack: Some("weather".into()),
                address: Some("log_group.api".into())
            }
        );
        assert_eq!(
            owner([(STACK_TAG, "weather")], "weather", ADDR),
            Owner::Other {
                stack: Some("weather".into()),
                address: None
            }
        );
        assert_eq!(owner([("Name", "x")], "weather", ADDR), Owner::Unmanaged);
    }

    #[test]
    fn messages_name_the_owner_and_the_way_out() {
        let other = Owner::Other {
            stack: Some("other".into()),
            address: Some(ADDR.into()),
        };
        let m = not_ours_message("log group", "/ecs/x", "weather", ADDR, &other);
        assert!(
            m.contains("belongs to stack `other` (as log_group.web)"),
            "{m}"
        );
        let sibling = Owner::Other {
            stack: Some("weather".into()),
            address: Some("log_group.api".into()),
        };
        let m = not_ours_message("log group", "/ecs/x", "weather", ADDR, &sibling);
        assert!(
            m.contains("tagged for log_group.api of stack `weather`"),
            "{m}"
        );
        let m = not_ours_message("log group", "/ecs/x", "weather", ADDR, &Owner::Unmanaged);
        assert!(m.contains("stackctl import log_group.web /ecs/x"), "{m}");
    }
}
