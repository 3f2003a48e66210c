//! What a person (or a pipeline) does when an apply held changes back for an image
//! that is not pushed yet: the exact commands that log in to ECR, tag and push it,
//! then apply again.

use crate::plan::{Hold, MissingImage, Plan};
use crate::state::State;
use std::fmt::Write;

/// The image of each held task definition, its repository's URI taken from `state`
/// when the apply just created it.
pub fn missing_images(
    plan: &Plan,
) -> impl Iterator<Item = (&crate::address::Address, &MissingImage)> {
    plan.held.iter().filter_map(|h| match &h.hold {
        Hold::ImageMissing(m) => Some((h.address(), m)),
        Hold::Needs { .. } | Hold::UsedBy { .. } => None,
    })
}

/// `tag 1.0.0` or `digest sha256:...`.
fn reference(m: &MissingImage) -> String {
    match m.reference.strip_prefix('@') {
        Some(digest) => format!("digest {digest}"),
        None => format!("tag {}", m.reference),
    }
}

/// Why `hold` holds a change back, for the plan.
pub fn reason(hold: &Hold) -> String {
    match hold {
        Hold::ImageMissing(m) if m.new_repository => format!(
            "its image ({} of {}) cannot be there yet: the repository is new",
            reference(m),
            m.repository
        ),
        Hold::ImageMissing(m) => format!("its image {} is not in the repository", m.image()),
        Hold::Needs { address } => format!("it needs {address}"),
        Hold::UsedBy { address } => {
            format!("{address} uses it, and runs as it is until its image is pushed")
        }
    }
}

/// After the apply: what was held, and the commands to push each missing image, with
/// the repository URIs the apply has now made, ending with `then`, the command to run
/// once they are pushed.
pub fn after_apply(plan: &Plan, state: &State, region: &str, then: &str) -> String {
    let held: Vec<String> = plan.held.iter().map(|h| h.address().to_string()).collect();
    let images = match missing_images(plan).count() {
        1 => "The image is not in its repository yet; push it",
        _ => "The images are not in their repositories yet; push them",
    };
    let mut out = format!(
        "Held back: {}. {images}, then apply again:\n",
        held.join(", ")
    );
    for (task_definition, m) in missing_images(plan) {
        let uri = m.repository_uri.clone().or_else(|| {
            state
                .resources
                .get(&m.repository)
                .and_then(|r| r.outputs.get("uri").cloned())
        });
        let Some(uri) = uri else {
            let _ = writeln!(
                out,
                "\n  {task_definition}: {} was not created; fix that first",
                m.repository
            );
            continue;
        };
        let registry = uri.split('/').next().unwrap_or(&uri);
        let _ = writeln!(out, "\n  # {task_definition}");
        let _ = writeln!(
            out,
            "  aws ecr get-login-password --region {region} | docker login --username AWS --password-stdin {registry}"
        );
        match m.reference.strip_prefix('@') {
            Some(digest) => {
                let _ = writeln!(
                    out,
                    "  docker push {uri}:TAG   # any tag of the image whose digest is {digest}"
                );
            }
            None => {
                let target = format!("{uri}:{}", m.reference);
                let _ = writeln!(out, "  docker tag YOUR_IMAGE {target}");
                let _ = writeln!(out, "  docker push {target}");
            }
        }
    }
    let _ = writeln!(out, "\n  {then}");
    out
}
