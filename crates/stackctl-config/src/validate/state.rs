//! The `[state]` table: where stackctl keeps the state of the stack.

use super::problems::Problems;
use crate::schema::{Backend, StateSettings};

/// The `[state]` table: what the S3 backend needs, and keys S3 can take.
pub(super) fn check(state: &StateSettings, problems: &mut Problems) {
    match &state.bucket {
        None if state.backend == Backend::S3 => problems.push(
            "state.bucket",
            "`backend = \"s3\"` needs the bucket that keeps the state: set state.bucket".into(),
        ),
        Some(bucket) if !valid_bucket(bucket) => problems.push(
            "state.bucket",
            format!(
                "`{bucket}` is not an S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit"
            ),
        ),
        _ => {}
    }
    if let Some(key) = &state.key
        && (key.is_empty() || key.starts_with('/') || key.ends_with('/') || key.len() > 1000)
    {
        problems.push(
            "state.key",
            format!(
                "`{key}` is not an object key: give a path such as `stackctl/web.state.json` (no leading or trailing `/`)"
            ),
        );
    }
    if state.path.as_deref() == Some("") {
        problems.push("state.path", "an empty path: name the state file".into());
    }
}

fn valid_bucket(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && edge(name.chars().next())
        && edge(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && !name.contains("..")
}
