//! Building and pushing a service's image for `stackctl deploy`: the local builder's
//! CLI (docker, or podman, or `STACKCTL_BUILDER`), ECR's login, and the digest the
//! push produced.
//!
//! The image is tagged with the git commit of the stack's directory (with `-dirty-`
//! and a timestamp when the tree has uncommitted changes: that image is not the
//! commit's, and ECR repositories have immutable tags), and rolled out by digest: the
//! task definition names `REPOSITORY@sha256:...`, so a tag pushed again later never
//! changes what runs without a plan (ECS resolves tags to digests when tasks start:
//! aws/containers-roadmap#2393).

use crate::aws::{Aws, AwsError, SdkResultExt};
use aws_sdk_ecr::types::ImageIdentifier;
use stackctl_config::schema::BuildTable;
use std::path::{Path, PathBuf};
use std::process::Stdio;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "no image builder: `docker` and `podman` are not on PATH; install one, or name \
         another CLI that takes docker's arguments in STACKCTL_BUILDER"
    )]
    NoBuilder,
    #[error(
        "{0} is not in a git work tree, so there is no commit to tag the image with: give \
         one with --tag"
    )]
    NoCommit(String),
    #[error("`{command}` failed ({status}); its output is above")]
    Failed { command: String, status: String },
    #[error("cannot run `{program}`: {error}")]
    Spawn { program: String, error: String },
    #[error("ECR has no image {tag} in {repository} after the push")]
    NotPushed { repository: String, tag: String },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// The builder's CLI: `STACKCTL_BUILDER`, else docker, else podman, on `path`.
pub fn builder(
    given: Option<String>,
    path: Option<&std::ffi::OsStr>,
) -> Result<String, BuildError> {
    if let Some(given) = given.filter(|g| !g.is_empty()) {
        return Ok(given);
    }
    let on_path = |name: &str| {
        path.into_iter()
            .flat_map(std::env::split_paths)
            .any(|dir| dir.join(name).is_file())
    };
    ["docker", "podman"]
        .into_iter()
        .find(|name| on_path(name))
        .map(str::to_string)
        .ok_or(BuildError::NoBuilder)
}

/// `build` arguments for the image `image` (REPOSITORY_URI:TAG). Pure.
pub fn build_args(
    table: &BuildTable,
    stack_dir: &Path,
    image: &str,
    platform: &str,
) -> Vec<String> {
    let mut args = vec![
        "build".to_string(),
        "--platform".to_string(),
        table
            .platform
            .clone()
            .unwrap_or_else(|| platform.to_string()),
        "--tag".to_string(),
        image.to_string(),
    ];
    if let Some(dockerfile) = &table.dockerfile {
        args.push("--file".into());
        args.push(stack_dir.join(dockerfile).display().to_string());
    }
    if let Some(target) = &table.target {
        args.push("--target".into());
        args.push(target.clone());
    }
    for (name, value) in &table.args {
        args.push("--build-arg".into());
        args.push(format!("{name}={value}"));
    }
    args.push(stack_dir.join(&table.context).display().to_string());
    args
}

/// The platform of a service's `arch`.
pub fn platform(arm64: bool) -> &'static str {
    match arm64 {
        true => "linux/arm64",
        false => "linux/amd64",
    }
}

/// The tag of what `dir` holds: its commit, marked when the tree has changes.
pub async fn git_tag(dir: &Path) -> Result<String, BuildError> {
    let git = |args: &[&str]| {
        tokio::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stderr(Stdio::null())
            .output()
    };
    let shown = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let no_commit = || BuildError::NoCommit(shown.display().to_string());
    let head = git(&["rev-parse", "--short=12", "HEAD"])
        .await
        .map_err(|_| no_commit())?;
    if !head.status.success() {
        return Err(no_commit());
    }
    let commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let status = git(&["status", "--porcelain"])
        .await
        .map_err(|_| no_commit())?;
    Ok(match status.stdout.is_empty() {
        true => commit,
        false => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            format!("{commit}-dirty-{now}")
        }
    })
}

/// Runs the builder with `args`; its output goes to stderr (stdout is stackctl's
/// result), `stdin` is written to it.
pub async fn run(program: &str, args: &[String], stdin: Option<&str>) -> Result<(), BuildError> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| BuildError::Spawn {
            program: program.to_string(),
            error: e.to_string(),
        })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes()).await;
    }
    let status = child.wait().await.map_err(|e| BuildError::Spawn {
        program: program.to_string(),
        error: e.to_string(),
    })?;
    if status.success() {
        return Ok(());
    }
    let shown: Vec<&str> = args.iter().take(2).map(String::as_str).collect();
    Err(BuildError::Failed {
        command: format!("{program} {}", shown.join(" ")),
        status: status.to_string(),
    })
}

/// Logs the builder in to the registry of `repository_uri` with a token from ECR
/// (valid 12 hours), passed on stdin, never on the command line.
pub async fn login(aws: &Aws, program: &str, repository_uri: &str) -> Result<(), BuildError> {
    let out = aws
        .ecr
        .get_authorization_token()
        .send()
        .await
        .op("GetAuthorizationToken")?;
    let token = out
        .authorization_data()
        .first()
        .and_then(|d| d.authorization_token())
        .ok_or_else(|| AwsError::invalid("GetAuthorizationToken", "no token in the answer"))?;
    let decoded = aws_smithy_types::base64::decode(token)
        .map_err(|e| AwsError::invalid("GetAuthorizationToken", e.to_string()))?;
    let decoded = String::from_utf8_lossy(&decoded);
    let password = decoded.split_once(':').map(|(_, p)| p).unwrap_or(&decoded);
    let registry = repository_uri.split('/').next().unwrap_or(repository_uri);
    let args: Vec<String> = ["login", "--username", "AWS", "--password-stdin", registry]
        .into_iter()
        .map(str::to_string)
        .collect();
    run(program, &args, Some(password)).await
}

/// The digest ECR holds for `tag` in `repository`.
pub async fn digest(aws: &Aws, repository: &str, tag: &str) -> Result<String, BuildError> {
    let out = aws
        .ecr
        .describe_images()
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_tag(tag).build())
        .send()
        .await
        .op("DescribeImages");
    let not_pushed = || BuildError::NotPushed {
        repository: repository.to_string(),
        tag: tag.to_string(),
    };
    let out = match out {
        Ok(out) => out,
        Err(e) if e.is_not_found() => return Err(not_pushed()),
        Err(e) => return Err(e.into()),
    };
    out.image_details()
        .first()
        .and_then(|d| d.image_digest())
        .map(str::to_string)
        .ok_or_else(not_pushed)
}

/// The directory stack.toml is in: build contexts are relative to it.
pub fn stack_dir(stack: &Path) -> PathBuf {
    match stack.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_build_follows_the_table_and_the_services_arch() {
        let table = BuildTable {
            context: "app".into(),
            dockerfile: Some("app/Dockerfile.prod".into()),
            target: Some("runtime".into()),
            args: BTreeMap::from([("PYTHON".into(), "3.12".into())]),
            platform: None,
        };
        let args = build_args(&table, Path::new("/srv/shop"), "repo:abc", platform(true));
        assert_eq!(
            args,
            [
                "build",
                "--platform",
                "linux/arm64",
                "--tag",
                "repo:abc",
                "--file",
                "/srv/shop/app/Dockerfile.prod",
                "--target",
                "runtime",
                "--build-arg",
                "PYTHON=3.12",
                "/srv/shop/app"
            ]
        );
        let given = BuildTable {
            platform: Some("linux/amd64".into()),
            ..table
        };
        assert_eq!(
            build_args(&given, Path::new("."), "r:t", platform(true))[2],
            "linux/amd64"
        );
    }

    #[test]
    fn the_builder_is_the_one_given_else_docker_else_podman() {
        assert_eq!(builder(Some("nerdctl".into()), None).unwrap(), "nerdctl");
        assert!(matches!(
            builder(None, Some("/nonexistent".as_ref())),
            Err(BuildError::NoBuilder)
        ));
    }
}
