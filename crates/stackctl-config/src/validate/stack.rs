//! The `[stack]` table: the stack's name, its region and its tags.

use super::problems::Problems;
use super::valid_name;
use crate::names::{AWS_PREFIX, NAME_TAG, STACKCTL_PREFIX};
use crate::regions::{self, Partition};
use crate::schema::Stack;
use std::collections::BTreeMap;

/// The region is stack.region, else the environment's (`env_region`); it is returned
/// with its partition (None when the region is unknown) because later checks and the
/// expansion depend on both.
pub(super) fn check(
    stack: &Stack,
    env_region: Option<String>,
    problems: &mut Problems,
) -> (String, Option<&'static Partition>) {
    let name = &stack.name;
    if !valid_name(name, 20) {
        problems.push(
            "stack.name",
            format!(
                "`{name}` must be 1-20 lowercase letters, digits or hyphens, starting with a letter (it prefixes AWS names with tight length limits)"
            ),
        );
    }
    let region = stack.region.clone().or(env_region).unwrap_or_default();
    let partition = regions::partition_of(&region);
    if region.is_empty() {
        problems.push(
            "stack.region",
            "no region: set stack.region or AWS_REGION".into(),
        );
    } else if partition.is_none() {
        problems.push("stack.region", regions::unknown(&region));
    }
    check_tags(&stack.tags, problems);
    (region, partition)
}

/// User tags stackctl allows: AWS allows 50 per object, stackctl sets 3 itself, and
/// a margin is kept below the sum.
const MAX_USER_TAGS: usize = 40;
const MAX_TAG_KEY_LEN: usize = 128;
const MAX_TAG_VALUE_LEN: usize = 256;

/// `[stack] tags`: what every AWS service stackctl uses accepts, so an apply never
/// stops half-way on a tag one service refuses and another took.
fn check_tags(tags: &BTreeMap<String, String>, problems: &mut Problems) {
    if tags.len() > MAX_USER_TAGS {
        problems.push(
            "stack.tags",
            format!(
                "{} tags: at most {MAX_USER_TAGS} (AWS allows 50 per object and stackctl sets 3 \
                 of its own)",
                tags.len()
            ),
        );
    }
    let reserved_by_aws = |s: &str| {
        s.get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(AWS_PREFIX))
    };
    // Letters, digits, spaces and `_ . : / = + - @`: the characters every tagging
    // API accepts (EC2 takes more, ELBv2, ECS, IAM and CloudFront do not).
    let allowed = |c: char| {
        c.is_alphanumeric()
            || c == ' '
            || (c.is_whitespace() && !c.is_control())
            || "_.:/=+-@".contains(c)
    };
    for (k, v) in tags {
        let key = format!("stack.tags.{k}");
        let len = k.chars().count();
        if len == 0 || len > MAX_TAG_KEY_LEN {
            problems.push(
                &key,
                format!("tag keys are 1 to {MAX_TAG_KEY_LEN} characters, this one is {len}"),
            );
        }
        if reserved_by_aws(k) {
            problems.push(
                &key,
                "keys starting with `aws:` are reserved for AWS's own tags".into(),
            );
        } else if k.starts_with(STACKCTL_PREFIX) {
            problems.push(
                &key,
                "keys starting with `stackctl:` are stackctl's own (it finds its objects by them)"
                    .into(),
            );
        } else if k == NAME_TAG {
            problems.push(
                &key,
                "stackctl sets `Name` itself, to `{stack}-{resource}`".into(),
            );
        }
        if !k.chars().all(allowed) {
            problems.push(
                &key,
                "tag keys may hold letters, digits, spaces and _ . : / = + - @ only".into(),
            );
        }
        let len = v.chars().count();
        if len > MAX_TAG_VALUE_LEN {
            problems.push(
                &key,
                format!("tag values are at most {MAX_TAG_VALUE_LEN} characters, this one is {len}"),
            );
        }
        if reserved_by_aws(v) {
            problems.push(
                &key,
                "values starting with `aws:` are reserved for AWS (ECS refuses them)".into(),
            );
        }
        if !v.chars().all(allowed) {
            problems.push(
                &key,
                "tag values may hold letters, digits, spaces and _ . : / = + - @ only".into(),
            );
        }
    }
}
