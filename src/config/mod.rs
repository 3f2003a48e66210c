//! stack.toml: parsing (syntax and types, with the line and column of an error),
//! validation (every semantic problem at once) and expansion into desired resources.

pub mod error;
pub mod expand;
pub mod schema;
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
        let (line, column) = e
            .span()
            .map(|s| line_column(text, s.start))
            .unwrap_or((1, 1));
        ConfigError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_string(),
        }
    })?;
    validate::validate(config, env_region).map_err(|problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    })
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
