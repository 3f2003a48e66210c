//! stack.toml: parsing (syntax and types, with the line and column of an error) and
//! validation (every semantic problem at once). Expansion into desired resources
//! lives in the stackctl crate, beside the resource kinds it builds.

pub mod diagnostic;
pub mod environments;
pub mod error;
pub mod fargate;
pub mod locate;
pub mod names;
pub mod regions;
pub mod schema;
pub mod security;
pub mod suggest;
pub mod validate;

pub use error::{ConfigError, Problem};
pub use schema::Config;
pub use validate::{Validated, Zones};

use std::path::Path;

/// Reads, parses and validates stack.toml. `env_region` is the region from the
/// environment, used when stack.toml names none; `environment` picks one of the
/// file's environments (needed when it describes any).
pub fn load(
    path: &Path,
    env_region: Option<String>,
    environment: Option<&str>,
) -> Result<Validated, ConfigError> {
    parse_env(path, &read(path)?, env_region, environment)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses and validates a stack.toml that describes no environments.
pub fn parse(
    path: &Path,
    text: &str,
    env_region: Option<String>,
) -> Result<Validated, ConfigError> {
    parse_env(path, text, env_region, None)
}

/// Parses and validates stack.toml as environment `environment` (see `environments`).
pub fn parse_env(
    path: &Path,
    text: &str,
    env_region: Option<String>,
    environment: Option<&str>,
) -> Result<Validated, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| syntax(path, text, &e))?;
    let invalid = |problems| invalid(path, text, environment, problems);
    let mut problems = Vec::new();
    problems.extend(environments::selection_problem(&config, environment));
    let config = match environment {
        Some(env) if problems.is_empty() => {
            let document: toml::Table = toml::from_str(text).map_err(|e| syntax(path, text, &e))?;
            problems.extend(environments::check(&document, &config));
            toml::Value::Table(environments::apply(&document, env))
                .try_into::<Config>()
                .map_err(|e| {
                    invalid(vec![Problem {
                        key: format!("{}.{env}", environments::KEY),
                        message: e.message().to_string(),
                        at: None,
                    }])
                })?
        }
        _ => config,
    };
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let mut validated = validate::validate(config, env_region).map_err(invalid)?;
    validated.environment = environment.map(str::to_string);
    Ok(validated)
}

/// Every deployment stack.toml describes: the stack itself, or each of its
/// environments (`stackctl validate` checks them all).
pub fn load_all(path: &Path, env_region: Option<String>) -> Result<Vec<Validated>, ConfigError> {
    let text = read(path)?;
    let config: Config = toml::from_str(&text).map_err(|e| syntax(path, &text, &e))?;
    if config.environments.is_empty() {
        return Ok(vec![parse_env(path, &text, env_region, None)?]);
    }
    config
        .environments
        .keys()
        .map(|env| parse_env(path, &text, env_region.clone(), Some(env)))
        .collect()
}

fn syntax(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let offset = e.span().map(|s| s.start);
    let (line, column) = offset
        .map(|o| locate::line_column(text, o))
        .unwrap_or((1, 1));
    ConfigError::Syntax {
        path: path.to_path_buf(),
        line,
        column,
        key: offset.and_then(|o| locate::key_at(text, o)),
        message: e.message().to_string(),
        width: e.span().map_or(1, |s| s.len().max(1)),
        text: text.to_string(),
    }
}

/// Semantic problems, each located in the file: a key an environment overrides is
/// shown where the environment sets it.
fn invalid(
    path: &Path,
    text: &str,
    environment: Option<&str>,
    mut problems: Vec<Problem>,
) -> ConfigError {
    for p in &mut problems {
        let overridden = environment
            .map(|env| format!("{}.{env}.{}", environments::KEY, p.key))
            .filter(|key| locate::locate_exact(text, key).is_some());
        if let Some(key) = overridden {
            p.key = key;
        }
        p.at = locate::locate(text, &p.key);
    }
    problems.sort_by_key(|p| p.at.unwrap_or((usize::MAX, 0)));
    ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
        text: text.to_string(),
    }
}

#[cfg(test)]
mod tests;
