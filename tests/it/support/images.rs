//! Images in the stack's own ECR repositories: the harness plays the pipeline's
//! `docker push`.
//!
//! A service whose image is in one of the stack's repositories (`image = "REPO:TAG"`
//! with `[repositories.REPO]`) starts only once that image is there: AWS pulls it when
//! each task starts, and a task on a missing tag stops at once, over and over. So the
//! first apply into a new, empty repository makes everything else, holds the task
//! definition and the service back, and exits 3 with the commands that push the
//! image; a pipeline then builds and pushes, and applies again. The emulator has no
//! registry to push layers to and no Docker engine runs here, so the push is ECR's
//! PutImage with a manifest, as `docker push` would leave it (scripts/push-image does
//! the same for the demo). The next apply finds the tag with DescribeImages and
//! creates what was held.

use super::cli::{Run, Workspace};
use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ecr::types::ImageIdentifier;
use serde_json::json;
use stackctl::config::validate::Image;
use std::future::Future;
use std::path::Path;

/// The exit code of an apply that held changes back until an image is pushed.
pub const HELD: i32 = 3;

/// What a destroy says when a repository it would delete still holds images.
pub const NEVER_DELETES_IMAGES: &str = "stackctl never deletes images on destroy";

const MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A made-up `sha256:` digest: the emulator stores no layers, so nothing has to hash
/// to it; a new one per push, as a new build would have.
fn digest() -> String {
    let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    format!("sha256:{}{}", a.simple(), b.simple())
}

/// The image manifest `docker push` leaves under the tag: its media type (the
/// emulator refuses a manifest without one) and a config and a layer with their
/// digests.
fn manifest() -> String {
    json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1,
            "digest": digest(),
        },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": 1,
            "digest": digest(),
        }],
    })
    .to_string()
}

/// An ECR client on the emulator at `endpoint`. Only a loopback endpoint is taken:
/// the harness pushes nowhere else.
fn ecr(endpoint: &str, region: &str) -> aws_sdk_ecr::Client {
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "images are pushed to the local emulator only, not to {endpoint}"
    );
    let config = aws_sdk_ecr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "emulator"))
        .build();
    aws_sdk_ecr::Client::from_conf(config)
}

/// Runs `work` to its end on a thread of its own with a runtime of its own: the
/// `Workspace` methods are synchronous (they run the binary) and are called from
/// async tests too, where blocking on the test's own runtime would panic.
fn on_own_runtime<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the push")
            .block_on(work)
    })
    .join()
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Whether `repository` holds `tag`.
async fn holds(ecr: &aws_sdk_ecr::Client, repository: &str, tag: &str) -> bool {
    let found = ecr
        .describe_images()
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_tag(tag).build())
        .send()
        .await;
    match found {
        Ok(out) => !out.image_details().is_empty(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_image_not_found_exception()) =>
        {
            false
        }
        Err(e) => panic!("DescribeImages {repository}:{tag}: {e:?}"),
    }
}

/// PutImage of a new image under `tag` in `repository`; its digest.
async fn put(ecr: &aws_sdk_ecr::Client, repository: &str, tag: &str) -> String {
    let out = ecr
        .put_image()
        .repository_name(repository)
        .image_tag(tag)
        .image_manifest(manifest())
        .image_manifest_media_type(MANIFEST_MEDIA_TYPE)
        .send()
        .await
        .unwrap_or_else(|e| panic!("push {repository}:{tag}: {e:?}"));
    out.image()
        .and_then(|i| i.image_id())
        .and_then(|id| id.image_digest())
        .unwrap_or_else(|| panic!("push {repository}:{tag}: no digest in {out:?}"))
        .to_string()
}

/// Pushes a new image as `tag` into the ECR repository `repository` (its AWS name,
/// `{stack}-{repo}`) of the emulator at `endpoint`, in `region`. Returns its digest
/// (`sha256:...`).
pub fn push(endpoint: &str, region: &str, repository: &str, tag: &str) -> String {
    let ecr = ecr(endpoint, region);
    let (repository, tag) = (repository.to_string(), tag.to_string());
    on_own_runtime(async move { put(&ecr, &repository, &tag).await })
}

/// Pushes the image with this URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`,
/// as `apply --image` takes it) into the emulator at `endpoint`. Returns its digest.
pub fn push_uri(endpoint: &str, uri: &str) -> String {
    let (registry, rest) = uri
        .split_once('/')
        .unwrap_or_else(|| panic!("`{uri}` is not a repository URI"));
    let (repository, tag) = rest
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("`{uri}` names no tag"));
    let region = registry
        .split('.')
        .nth(3)
        .unwrap_or_else(|| panic!("`{uri}` is not an ECR registry URI"));
    push(endpoint, region, repository, tag)
}

/// Pushes every image stack.toml (its environment `env`, when it describes any)
/// names in the stack's own repositories that is not there yet, into the emulator at
/// `endpoint`: what a pipeline builds and pushes before its services can start.
/// `@digest` references are skipped (a digest is not pushed under a name the harness
/// could choose). Returns the `REPOSITORY:TAG` of each image pushed, in order.
pub fn push_missing(endpoint: &str, stack_toml: &Path, env: Option<&str>) -> Vec<String> {
    let config = stackctl::config::load(stack_toml, None, env)
        .unwrap_or_else(|e| panic!("{}: {e}", stack_toml.display()));
    let stack = config.config.stack.name.clone();
    let mut wanted: Vec<(String, String)> = config
        .images
        .values()
        .filter_map(|image| match image {
            Image::Repository {
                repository,
                reference,
            } if !reference.starts_with('@') => {
                Some((format!("{stack}-{repository}"), reference.clone()))
            }
            _ => None,
        })
        .collect();
    // Two services on one image: one push.
    wanted.sort();
    wanted.dedup();
    let ecr = ecr(endpoint, &config.region);
    on_own_runtime(async move {
        let mut pushed = Vec::new();
        for (repository, tag) in wanted {
            if !holds(&ecr, &repository, &tag).await {
                put(&ecr, &repository, &tag).await;
                pushed.push(format!("{repository}:{tag}"));
            }
        }
        pushed
    })
}

/// Deletes every image in the stack's repositories (stack.toml's, of environment
/// `env`) at `endpoint`, as a person does with `aws ecr batch-delete-image` before a
/// destroy: stackctl never deletes images, and a repository that holds any is not
/// deleted. A repository that does not exist is skipped. Returns how many went.
pub fn delete_all(endpoint: &str, stack_toml: &Path, env: Option<&str>) -> usize {
    let config = stackctl::config::load(stack_toml, None, env)
        .unwrap_or_else(|e| panic!("{}: {e}", stack_toml.display()));
    let stack = config.config.stack.name.clone();
    let repositories: Vec<String> = config
        .config
        .repositories
        .keys()
        .map(|r| format!("{stack}-{r}"))
        .collect();
    let ecr = ecr(endpoint, &config.region);
    on_own_runtime(async move {
        let mut deleted = 0;
        for repository in repositories {
            let listed = ecr
                .list_images()
                .repository_name(&repository)
                .into_paginator()
                .items()
                .send()
                .collect::<Vec<_>>()
                .await;
            let mut ids = Vec::new();
            for id in listed {
                match id {
                    Ok(id) => ids.push(id),
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|e| e.is_repository_not_found_exception()) =>
                    {
                        break;
                    }
                    Err(e) => panic!("ListImages {repository}: {e:?}"),
                }
            }
            if ids.is_empty() {
                continue;
            }
            let out = ecr
                .batch_delete_image()
                .repository_name(&repository)
                .set_image_ids(Some(ids))
                .send()
                .await
                .unwrap_or_else(|e| panic!("BatchDeleteImage {repository}: {e:?}"));
            assert!(
                out.failures().is_empty(),
                "BatchDeleteImage {repository}: {:?}",
                out.failures()
            );
            deleted += out.image_ids().len();
        }
        deleted
    })
}

/// The environment `--env NAME` among `args` picks.
fn env_of<'a>(args: &[&'a str]) -> Option<&'a str> {
    args.iter()
        .position(|a| *a == "--env")
        .and_then(|i| args.get(i + 1).copied())
}

impl Workspace {
    /// Pushes the images of stack.toml's services that its repositories do not hold
    /// yet (`push_missing`): the pipeline's `docker push` after a first apply made the
    /// repositories. Returns what it pushed.
    pub fn push_images(&self) -> Vec<String> {
        push_missing(&self.endpoint, &self.stack, None)
    }

    /// `push_images` for the environment `env` of a stack.toml with environments
    /// (each its own stack, with its own repositories).
    pub fn push_images_of(&self, env: &str) -> Vec<String> {
        push_missing(&self.endpoint, &self.stack, Some(env))
    }

    /// Pushes the image `uri` (a tag in one of the stack's repositories, as a pipeline
    /// builds it before `apply --image SERVICE=URI`); returns its digest.
    pub fn push(&self, uri: &str) -> String {
        push_uri(&self.endpoint, uri)
    }

    /// `apply --auto-approve` with `extra_args` (`--env NAME` among them picks the
    /// environment), the way a pipeline deploys: when the apply exits 3 (everything
    /// made but the services whose image is not pushed yet), it must have said so;
    /// the images are pushed and the apply runs again. Returns the last run, for the
    /// caller to check (`.ok()`). An apply with `--api-log` appends both runs' calls.
    pub fn apply(&self, extra_args: &[&str]) -> Run {
        let mut args = vec!["apply", "--auto-approve"];
        args.extend_from_slice(extra_args);
        let first = self.run(&args);
        if first.code != HELD {
            return first;
        }
        assert!(
            first.stderr.contains("Held back"),
            "apply exited {HELD} without saying what it held back\nstdout:\n{}\nstderr:\n{}",
            first.stdout,
            first.stderr
        );
        let pushed = push_missing(&self.endpoint, &self.stack, env_of(extra_args));
        assert!(
            !pushed.is_empty(),
            "apply held changes back, yet every image stack.toml names is in its repository\nstderr:\n{}",
            first.stderr
        );
        self.run(&args)
    }

    /// Deletes every image in the stack's repositories (`delete_all`), as a person
    /// does before tearing a stack down. Returns how many went.
    pub fn delete_images(&self) -> usize {
        delete_all(&self.endpoint, &self.stack, None)
    }

    /// `destroy --auto-approve` with `extra_args` (`--env NAME` among them picks the
    /// environment), the way a person tears a stack down: stackctl never deletes
    /// images, so a destroy of a repository that holds some fails after deleting
    /// everything else and must say what to do; the images are deleted and the
    /// destroy runs again. Returns the last run, for the caller to check (`.ok()`).
    /// A destroy with `--api-log` appends both runs' calls.
    pub fn destroy(&self, extra_args: &[&str]) -> Run {
        let mut args = vec!["destroy", "--auto-approve"];
        args.extend_from_slice(extra_args);
        let first = self.run(&args);
        if first.code != 1 || !first.stderr.contains(NEVER_DELETES_IMAGES) {
            return first;
        }
        assert!(
            first.stderr.contains("batch-delete-image"),
            "a destroy refused for images must say how to delete them\nstderr:\n{}",
            first.stderr
        );
        let deleted = delete_all(&self.endpoint, &self.stack, env_of(extra_args));
        assert!(
            deleted > 0,
            "destroy refused for images, yet the stack's repositories hold none\nstderr:\n{}",
            first.stderr
        );
        self.run(&args)
    }
}
