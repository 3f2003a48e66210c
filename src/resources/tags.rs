//! The tags that mark an object as part of a stack. A later run finds what an
//! interrupted run created by these, so their keys and values never change.

use crate::address::Address;

pub const STACK_TAG: &str = "stackctl:stack";
pub const ADDRESS_TAG: &str = "stackctl:address";

pub fn name(stack: &str, address: &Address) -> String {
    format!("{stack}-{}", address.name())
}

pub fn standard(stack: &str, address: &Address) -> Vec<(String, String)> {
    vec![
        (STACK_TAG.to_string(), stack.to_string()),
        (ADDRESS_TAG.to_string(), address.to_string()),
        ("Name".to_string(), name(stack, address)),
    ]
}

/// The standard tags as an EC2 `TagSpecification`, for create calls that tag atomically
/// (an object never exists untagged, so an interrupted run can always find it).
pub fn ec2_tag_spec(
    resource_type: aws_sdk_ec2::types::ResourceType,
    tags: &[(String, String)],
) -> aws_sdk_ec2::types::TagSpecification {
    aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .build()
}

/// The standard tags in ELBv2's shape; ELBv2 takes tags in every create call
/// (load balancer, target group, listener, rule), so nothing exists untagged.
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

/// The standard tags in ECS's shape (cluster, task definition, service).
pub fn ecs_tags(tags: &[(String, String)]) -> Vec<aws_sdk_ecs::types::Tag> {
    tags.iter()
        .map(|(k, v)| aws_sdk_ecs::types::Tag::builder().key(k).value(v).build())
        .collect()
}
