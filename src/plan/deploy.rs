//! The plan of a CI deploy (`apply --image SERVICE=URI`): a new task definition
//! revision with that image and the service rolled onto it, nothing else, whatever
//! else stack.toml or AWS would change. Pure, like the planner.
//!
//! The new revision is the recorded one with only the image swapped, and it carries
//! the stack.toml image it replaces, so a later infrastructure apply keeps the deployed
//! image until stack.toml names a different one.

use super::action::Action;
use super::change::{Cause, Change, Class, FieldDiff, Plan};
use super::planner::Observed;
use crate::address::{Address, Kind};
use crate::resources::Wanted;
use crate::resources::task_definition::{self, DeployedImage, TaskDefinitionSpec};
use crate::state::State;
use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DeployError {
    #[error(
        "`{0}` is not SERVICE=IMAGE (e.g. web=123456789012.dkr.ecr.eu-west-2.amazonaws.com/app:3f2c1a9)"
    )]
    Syntax(String),
    #[error("no service `{service}` in this stack; its services: {known}")]
    UnknownService { service: String, known: String },
    #[error(
        "service `{0}` has not been created yet (or was deleted outside stackctl): run \
         `stackctl apply` first (a first apply holds a service back until the image \
         stack.toml names is pushed: push it, then apply), then deploy images with --image"
    )]
    NotCreated(String),
    #[error("the recorded task definition of `{service}` is unreadable: {problem}")]
    Spec { service: String, problem: String },
}

/// `SERVICE=IMAGE` as given on the command line.
pub fn parse_image(arg: &str) -> Result<(String, String), DeployError> {
    match arg.split_once('=') {
        Some((service, image)) if !service.is_empty() && !image.is_empty() => {
            Ok((service.to_string(), image.to_string()))
        }
        _ => Err(DeployError::Syntax(arg.to_string())),
    }
}

/// Refuses a deploy to a service stack.toml declares but the state has no record of:
/// there is nothing to roll yet. (An undeclared one is refused by `plan_deploy`,
/// naming the services there are.)
pub fn check_created(
    state: &State,
    images: &[(String, String)],
    declared: impl Fn(&str) -> bool,
) -> Result<(), DeployError> {
    for (service, _) in images {
        let address = Address::new(Kind::EcsService, service.as_str());
        if declared(service) && !state.resources.contains_key(&address) {
            return Err(DeployError::NotCreated(service.clone()));
        }
    }
    Ok(())
}

/// Whether a deploy of `images` reads `address`: the task definitions and services
/// rolled, and nothing else, so a deploy refreshes only what it changes.
pub fn involves(address: &Address, images: &[(String, String)]) -> bool {
    matches!(address.kind(), Kind::TaskDefinition | Kind::EcsService)
        && images.iter().any(|(s, _)| s == address.name())
}

pub fn plan_deploy(
    state: &State,
    observed: &Observed,
    images: &[(String, String)],
) -> Result<Plan, DeployError> {
    let mut changes = Vec::new();
    for (service, uri) in images {
        let td = Address::new(Kind::TaskDefinition, service);
        let svc = Address::new(Kind::EcsService, service);
        let (Some(td_record), Some(svc_record)) =
            (state.resources.get(&td), state.resources.get(&svc))
        else {
            let known: Vec<&str> = state
                .resources
                .keys()
                .filter(|a| a.kind() == Kind::EcsService)
                .map(|a| a.name())
                .collect();
            return Err(DeployError::UnknownService {
                service: service.clone(),
                known: if known.is_empty() {
                    "none yet".into()
                } else {
                    known.join(", ")
                },
            });
        };
        let live = |a: &Address| observed.get(a).and_then(Option::as_ref);
        let (Some(td_live), Some(svc_live)) = (live(&td), live(&svc)) else {
            return Err(DeployError::NotCreated(service.clone()));
        };
        let running = td_live.attrs.get("image").cloned().unwrap_or(Value::Null);
        if running.as_str() == Some(uri.as_str()) {
            continue;
        }
        // What stack.toml named before any deploy: carried over from a deployed
        // revision, else the image last applied from stack.toml.
        let over = td_live
            .attrs
            .get(task_definition::DEPLOYED_OVER)
            .or_else(|| td_record.attrs.get("image"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut spec: TaskDefinitionSpec =
            serde_json::from_value(td_record.spec.clone()).map_err(|e| DeployError::Spec {
                service: service.clone(),
                problem: e.to_string(),
            })?;
        spec.container.image.deployed = Some(DeployedImage {
            uri: uri.clone(),
            over,
        });
        changes.push(Change {
            address: td,
            action: Action::Replace,
            class: Class::DeployOnly,
            diffs: vec![FieldDiff {
                name: "image".into(),
                before: Some(running),
                after: Wanted::Known(Value::from(uri.as_str())),
                forces_replacement: true,
                cause: Cause::Config,
            }],
            reason: None,
            warning: None,
            spec: Some(serde_json::to_value(spec).expect("specs serialize to JSON")),
            depends_on: td_record.depends_on.clone(),
        });
        changes.push(Change {
            address: svc,
            action: Action::Update,
            class: Class::DeployOnly,
            diffs: vec![FieldDiff {
                name: "task_definition".into(),
                before: svc_live.attrs.get("task_definition").cloned(),
                after: Wanted::Unknown,
                forces_replacement: false,
                cause: Cause::Config,
            }],
            reason: None,
            warning: None,
            spec: Some(svc_record.spec.clone()),
            depends_on: svc_record.depends_on.clone(),
        });
    }
    Ok(Plan {
        changes,
        deposed: super::deposed_in(state),
        held: Vec::new(),
    })
}
