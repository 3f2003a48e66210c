//! Which state a command works on: `--state` (or STACKCTL_STATE) first, then
//! stack.toml's `[state]` table, then the default file beside stack.toml. A CI job
//! points at its bucket with one variable, without editing stack.toml.

use super::Cli;
use crate::config::Validated;
use crate::config::schema::Backend;
use crate::state::location::{Location, S3Location};
use std::path::{Path, PathBuf};

/// The state location in effect.
pub fn resolve(cli: &Cli, config: &Validated) -> anyhow::Result<Location> {
    if let Some(arg) = &cli.state {
        return Location::parse(arg, &s3_region(cli, config)).map_err(anyhow::Error::msg);
    }
    Ok(match config.config.state.backend {
        Backend::Local => Location::Local(local(cli, config)),
        Backend::S3 => Location::S3(s3(cli, config)?),
    })
}

/// The local file stack.toml names (or the default), whichever backend is in effect.
pub fn local(cli: &Cli, config: &Validated) -> PathBuf {
    match &config.config.state.path {
        Some(path) => stack_dir(cli).join(path),
        None => {
            let stem = cli
                .stack
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "stack".into());
            match &config.environment {
                Some(env) => cli.stack.with_file_name(format!("{stem}.{env}.state.json")),
                None => cli.stack.with_file_name(format!("{stem}.state.json")),
            }
        }
    }
}

/// The S3 object stack.toml's `[state]` table names, whichever backend is in effect.
pub fn s3(cli: &Cli, config: &Validated) -> anyhow::Result<S3Location> {
    let settings = &config.config.state;
    let Some(bucket) = &settings.bucket else {
        anyhow::bail!(
            "stack.toml names no S3 bucket for the state: set `bucket` in its [state] table"
        );
    };
    Ok(S3Location {
        bucket: bucket.clone(),
        key: settings
            .key
            .clone()
            .unwrap_or_else(|| default_key(&config.config.stack.name)),
        region: s3_region(cli, config),
    })
}

/// One bucket can keep the states of many stacks (an environment's stack name ends
/// in its name, so each environment gets its own key).
pub fn default_key(stack: &str) -> String {
    format!("stackctl/{stack}.state.json")
}

fn s3_region(cli: &Cli, config: &Validated) -> String {
    cli.state_region
        .clone()
        .or_else(|| config.config.state.region.clone())
        .unwrap_or_else(|| config.region.clone())
}

/// Where stack.toml is: relative state paths and rescued states go there.
pub fn stack_dir(cli: &Cli) -> PathBuf {
    match cli.stack.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    }
}
