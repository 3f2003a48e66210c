//! `[repositories]`: the stack's ECR repositories, `{stack}-{name}` each. The stack
//! owns them so that a service can name its image as `REPO:TAG` of one of them, and
//! so that scanning, immutable tags and the lifecycle policy (docs/security.md) hold
//! for every image the stack runs from them.

use super::shared::addr;
use crate::address::Kind;
use crate::config::schema::TagMutability;
use crate::config::validate::Validated;
use crate::desired::Desired;
use crate::resources::ecr_repository::EcrRepositorySpec;

pub(super) fn expand(v: &Validated) -> Vec<Desired> {
    let c = &v.config;
    let stack = &c.stack.name;
    c.repositories
        .iter()
        .map(|(name, r)| {
            Desired::new(
                addr(Kind::EcrRepository, name.clone()),
                EcrRepositorySpec {
                    name: format!("{stack}-{name}"),
                    scan_on_push: r.scan_on_push,
                    tag_mutability: match r.tag_mutability {
                        TagMutability::Mutable => "MUTABLE".into(),
                        TagMutability::Immutable => "IMMUTABLE".into(),
                    },
                    keep_images: (r.keep_images > 0).then_some(r.keep_images),
                    tags: c.stack.tags.clone(),
                },
            )
        })
        .collect()
}
