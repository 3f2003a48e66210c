//! Whether the images an apply would start tasks on exist.
//!
//! The emulator never pulls an image; AWS does, when each task starts, and a task on
//! a tag that is not in the repository stops with CannotPullContainerError (then the
//! next one, and the next). So before an apply registers a task definition revision
//! on one of the stack's repositories, the image is looked up with DescribeImages;
//! a new repository holds nothing yet. What is missing is held back
//! (`plan::hold_back`) while the rest of the stack is applied.

use crate::address::{Address, Kind};
use crate::aws::{Aws, AwsError};
use crate::plan::{Action, MissingImage, Plan};
use crate::resources::ecr_repository;
use crate::resources::task_definition::{self, TaskDefinitionSpec};
use crate::state::State;
use std::collections::BTreeMap;

/// The task definitions of `plan` that would be registered on an image their
/// repository does not hold, with what is missing.
pub async fn missing(
    aws: &Aws,
    plan: &Plan,
    state: &State,
) -> Result<BTreeMap<Address, MissingImage>, AwsError> {
    let uris = repository_uris(state);
    let new_repositories: Vec<&Address> = plan
        .pending()
        .filter(|c| c.address.kind() == Kind::EcrRepository)
        .filter(|c| matches!(c.action, Action::Create | Action::Replace))
        .map(|c| &c.address)
        .collect();
    let checks = plan
        .pending()
        .filter(|c| c.address.kind() == Kind::TaskDefinition)
        .filter(|c| matches!(c.action, Action::Create | Action::Replace))
        .filter_map(|c| {
            let spec: TaskDefinitionSpec = serde_json::from_value(c.spec.clone()?).ok()?;
            let (repository, reference) = task_definition::stack_image(&spec, &uris)?;
            Some((c.address.clone(), repository, reference))
        })
        .map(|(task_definition, repository, reference)| {
            let new = new_repositories.contains(&&repository);
            let name = state.resources.get(&repository).map(|r| r.id.to_string());
            let uri = uris.get(&repository).cloned().filter(|_| !new);
            async move {
                let present = match (new, &name) {
                    (false, Some(name)) => {
                        ecr_repository::holds_image(aws, name, &reference).await?
                    }
                    _ => false,
                };
                let missing = MissingImage {
                    repository,
                    repository_uri: uri,
                    reference,
                    new_repository: new || name.is_none(),
                };
                Ok::<_, AwsError>((!present).then_some((task_definition, missing)))
            }
        });
    let found = futures::future::try_join_all(checks).await?;
    Ok(found.into_iter().flatten().collect())
}

/// The URI of each repository the state records.
fn repository_uris(state: &State) -> BTreeMap<Address, String> {
    state
        .resources
        .iter()
        .filter(|(a, _)| a.kind() == Kind::EcrRepository)
        .filter_map(|(a, r)| Some((a.clone(), r.outputs.get("uri")?.clone())))
        .collect()
}
