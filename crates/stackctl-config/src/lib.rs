//! stack.toml: parsing (syntax and types, with the line and column of an error) and
//! validation (every semantic problem at once). Expansion into desired resources
//! lives in the stackctl crate, beside the resource kinds it builds.

pub mod diagnostic;
pub mod error;
pub mod locate;
pub mod names;
pub mod schema;
pub mod security;
pub mod validate;

pub use error::{ConfigError, Problem};
pub use schema::Config;
pub use validate::Validated;

use std::path::Path;

/// Reads, parses and validates stack.toml. `env_region` is the region from the
/// environment, used when stack.toml names none.
pub fn load(path: &Path, env_region: Option<String>) -> Result<Validated, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text, env_region)
}

pub fn parse(
    path: &Path,
    text: &str,
    env_region: Option<String>,
) -> Result<Validated, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| {
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
    })?;
    validate::validate(config, env_region).map_err(|mut problems| {
        for p in &mut problems {
            p.at = locate::locate(text, &p.key);
        }
        problems.sort_by_key(|p| p.at.unwrap_or((usize::MAX, 0)));
        ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
            text: text.to_string(),
        }
    })
}

#[cfg(test)]
mod tests;
