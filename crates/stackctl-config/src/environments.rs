//! Environments: one stack.toml describes several deployments of the same stack (dev,
//! staging, prod) that differ in a few values. `[environments.NAME]` holds overrides
//! in the shape of the file itself (`services.web.desired_count = 4`); tables merge
//! key by key, any other value replaces the one above it. The override is applied to
//! the parsed document before the typed parse and the checks, so an environment is
//! checked exactly like a stack written out in full.
//!
//! Each environment is its own stack in AWS: its name is `<stack.name>-<env>` (unless
//! it sets `stack.name`), which prefixes its AWS names and tags its objects, and it
//! keeps its own state. Two environments can therefore never adopt, change or delete
//! each other's objects.

use crate::error::Problem;
use crate::schema::{Backend, Config};
use std::collections::BTreeMap;

/// The key of the environments table in stack.toml.
pub const KEY: &str = "environments";

/// What selecting an environment went wrong on; turned into a located problem.
pub fn selection_problem(config: &Config, wanted: Option<&str>) -> Option<Problem> {
    let names: Vec<&str> = config.environments.keys().map(String::as_str).collect();
    let message = match wanted {
        None if names.is_empty() => return None,
        None => format!(
            "stack.toml describes the environments {}: choose one with --env NAME (or \
             STACKCTL_ENV), e.g. --env {}",
            quoted(&names),
            names[0]
        ),
        Some(env) if names.is_empty() => format!(
            "--env {env}: stack.toml describes no environments; add an [environments.{env}] \
             table, or drop --env / STACKCTL_ENV"
        ),
        Some(env) if names.contains(&env) => return None,
        Some(env) => format!(
            "no environment `{env}`{}; stack.toml describes {}",
            crate::suggest::nearest(env, names.iter().copied())
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default(),
            quoted(&names)
        ),
    };
    Some(Problem {
        key: KEY.into(),
        message,
        at: None,
    })
}

/// The stack.toml document with environment `env`'s overrides applied and its stack
/// name set; the environments table itself is dropped.
pub fn apply(document: &toml::Table, env: &str) -> toml::Table {
    let mut merged = document.clone();
    let overrides = merged
        .remove(KEY)
        .and_then(|v| match v {
            toml::Value::Table(t) => t.get(env).cloned(),
            _ => None,
        })
        .and_then(|v| match v {
            toml::Value::Table(t) => Some(t),
            _ => None,
        })
        .unwrap_or_default();
    let names_itself = overrides.get("stack").and_then(|s| s.get("name")).is_some();
    merge(&mut merged, &overrides);
    if !names_itself
        && let Some(toml::Value::Table(stack)) = merged.get_mut("stack")
        && let Some(toml::Value::String(name)) = stack.get("name")
    {
        let name = format!("{name}-{env}");
        stack.insert("name".into(), toml::Value::String(name));
    }
    merged
}

fn merge(base: &mut toml::Table, overrides: &toml::Table) {
    for (key, value) in overrides {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Checks across environments: names AWS can take, and no two environments sharing
/// a stack name or a state (they would adopt and overwrite each other's objects).
pub fn check(document: &toml::Table, config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut stacks: BTreeMap<String, &str> = BTreeMap::new();
    let mut states: BTreeMap<String, &str> = BTreeMap::new();
    for env in config.environments.keys() {
        let key = format!("{KEY}.{env}");
        if !valid_env_name(env) {
            problems.push(Problem {
                key: key.clone(),
                message: format!(
                    "`{env}` cannot name an environment: use lowercase letters, digits and \
                     hyphens, starting with a letter (it goes into AWS names)"
                ),
                at: None,
            });
            continue;
        }
        // The typed parse of the merged document reports what does not parse.
        let Ok(merged) = toml::Value::Table(apply(document, env)).try_into::<Config>() else {
            continue;
        };
        if let Some(other) = stacks.insert(merged.stack.name.clone(), env) {
            problems.push(Problem {
                key: format!("{key}.stack.name"),
                message: format!(
                    "environments `{other}` and `{env}` are both stack `{}`: they would manage \
                     the same AWS objects. Give each its own stack.name",
                    merged.stack.name
                ),
                at: None,
            });
        }
        let state = &merged.state;
        let shared = match state.backend {
            Backend::S3 => state
                .key
                .as_ref()
                .map(|k| format!("s3://{}/{k}", state.bucket.as_deref().unwrap_or_default())),
            Backend::Local => state.path.clone(),
        };
        if let Some(location) = shared
            && let Some(other) = states.insert(location.clone(), env)
        {
            problems.push(Problem {
                key: format!("{key}.state"),
                message: format!(
                    "environments `{other}` and `{env}` would share the state {location}: set \
                     state.{} in [environments.{env}], or leave it unset for a state per \
                     environment",
                    if state.backend == Backend::S3 {
                        "key"
                    } else {
                        "path"
                    }
                ),
                at: None,
            });
        }
    }
    problems
}

fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.len() <= 12
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
