//! `stackctl deploy`: build the services' images, push them to the stack's
//! repositories, and roll the services onto the pushed digests, in one command (the
//! deploy script every app otherwise carries). See `operate::build`.
//!
//! A service that exists is rolled exactly as `apply --image` rolls it: nothing else
//! changes. A stack that does not exist yet, or whose services the first apply held
//! back for want of an image, is applied first (that makes the repositories) and then
//! again with the pushed images, which creates the services: a new stack goes from
//! nothing to serving with `stackctl deploy`.

use super::Cli;
use super::confirm::confirm;
use super::exit::Code;
use super::report::Report;
use super::session::Session;
use crate::address::{Address, Kind};
use crate::desired::Desired;
use crate::operate::build;
use crate::state::State;
use serde_json::json;
use stackctl_config::schema::{Arch, BuildTable};
use stackctl_config::validate::Image;
use std::collections::BTreeMap;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The services to build and deploy [default: every service with `build`].
    pub services: Vec<String>,
    /// The image tag [default: the git commit of stack.toml's directory].
    #[arg(long)]
    pub tag: Option<String>,
    /// Apply without asking (for CI; required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Report as JSON events on stdout, one per line (docs/json.md); needs
    /// --auto-approve.
    #[arg(long)]
    pub json: bool,
}

/// One service to build: where from, and into which repository.
struct Target {
    service: String,
    build: BuildTable,
    repository: String,
    arm64: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let report = Report::new(args.json, cli);
    report.check_approval(args.auto_approve)?;
    let config = super::session::load_config(cli)?;
    let targets = targets(&config, &args.services)?;
    let program = build::builder(
        std::env::var("STACKCTL_BUILDER").ok(),
        std::env::var_os("PATH").as_deref(),
    )?;
    let dir = build::stack_dir(&cli.stack);
    let tag = match &args.tag {
        Some(tag) => tag.clone(),
        None => build::git_tag(&dir).await?,
    };
    let mut session = Session::open(cli, "deploy", true).await?;
    if !targets
        .iter()
        .all(|t| recorded(&session.state, Kind::EcrRepository, &t.repository))
    {
        eprintln!(
            "The stack's repositories do not exist yet: applying the stack first (its \
             services wait for their images)."
        );
        let code = apply_with(session, &BTreeMap::new(), args.auto_approve, &report).await?;
        if !matches!(code, Code::Ok | Code::ImageMissing) {
            return Ok(code);
        }
        session = Session::open(cli, "deploy", true).await?;
    }
    let images = push(&session, &program, &dir, &targets, &tag).await?;
    let all_created = targets
        .iter()
        .all(|t| recorded(&session.state, Kind::EcsService, &t.service));
    if all_created {
        let list: Vec<(String, String)> = images.into_iter().collect();
        let observed = super::roll::observe(&session, &list).await?;
        let roll = super::roll::Roll {
            verb: "Deploy",
            again: format!("stackctl deploy --tag {tag}"),
            auto_approve: args.auto_approve,
        };
        return super::roll::images(session, &observed, &list, &roll, &report).await;
    }
    apply_with(session, &images, args.auto_approve, &report).await
}

fn recorded(state: &State, kind: Kind, name: &str) -> bool {
    state.resources.contains_key(&Address::new(kind, name))
}

/// The services to build: those named, else every one with `build`.
fn targets(config: &stackctl_config::Validated, named: &[String]) -> anyhow::Result<Vec<Target>> {
    let services = &config.config.services;
    for name in named {
        anyhow::ensure!(
            services.get(name).is_some_and(|s| s.build.is_some()),
            "service `{name}` has no `build` in stack.toml (services with one: {})",
            with_build(config).join(", ")
        );
    }
    let chosen: Vec<&String> = match named.is_empty() {
        true => services
            .keys()
            .filter(|n| services[*n].build.is_some())
            .collect(),
        false => named.iter().collect(),
    };
    anyhow::ensure!(
        !chosen.is_empty(),
        "no service has `build` in stack.toml: add `build = \"./app\"` (the directory with \
         the Dockerfile) to the service whose image stackctl should build"
    );
    chosen
        .into_iter()
        .map(|name| {
            let s = &services[name];
            let Image::Repository { repository, .. } = &config.images[name] else {
                anyhow::bail!("service `{name}`: build needs an image in a stack repository");
            };
            Ok(Target {
                service: name.clone(),
                build: s.build.as_ref().expect("chosen for its build").table(),
                repository: repository.clone(),
                arm64: s.arch == Arch::Arm64,
            })
        })
        .collect()
}

fn with_build(config: &stackctl_config::Validated) -> Vec<String> {
    let services = &config.config.services;
    services
        .keys()
        .filter(|n| services[*n].build.is_some())
        .cloned()
        .collect()
}

/// Builds, logs in, pushes; returns service -> `REPOSITORY_URI@sha256:...`.
async fn push(
    session: &Session,
    program: &str,
    dir: &std::path::Path,
    targets: &[Target],
    tag: &str,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut images = BTreeMap::new();
    let mut logged_in = Vec::new();
    for t in targets {
        let address = Address::new(Kind::EcrRepository, t.repository.as_str());
        let uri = session.state.resources[&address]
            .outputs
            .get("uri")
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("{address} has no recorded uri"))?;
        let image = format!("{uri}:{tag}");
        eprintln!("Building {image} for {} ...", t.service);
        let args = build::build_args(&t.build, dir, &image, build::platform(t.arm64));
        build::run(program, &args, None).await?;
        let registry = uri.split('/').next().unwrap_or(&uri).to_string();
        if !logged_in.contains(&registry) {
            build::login(&session.aws, program, &uri).await?;
            logged_in.push(registry);
        }
        eprintln!("Pushing {image} ...");
        build::run(program, &["push".to_string(), image.clone()], None).await?;
        let name = session.state.resources[&address]
            .outputs
            .get("name")
            .cloned()
            .unwrap_or_else(|| uri.rsplit('/').next().unwrap_or_default().to_string());
        let digest = build::digest(&session.aws, &name, tag).await?;
        eprintln!("Pushed {image} as {digest}.");
        images.insert(t.service.clone(), format!("{uri}@{digest}"));
    }
    Ok(images)
}

/// A whole apply, with the task definitions of `images`' services naming those
/// images (recorded as deployed, like `apply --image`).
async fn apply_with(
    session: Session,
    images: &BTreeMap<String, String>,
    auto_approve: bool,
    report: &Report,
) -> anyhow::Result<Code> {
    let session = super::adopt::missing(session, super::adopt::Mode::Save).await?;
    let observed = session.refresh().await?;
    let mut desired = session.desired().await?;
    deploy_into(&mut desired, images, &session.state);
    let plan = session.plan(&desired, &observed).await?;
    report.plan("deploy", &session.config.config.stack.name, &plan, &[], "");
    if !plan.has_changes() {
        report.done(None, &plan, &session.state);
        return Ok(Code::Ok);
    }
    if !plan.has_work() {
        report.held(&plan, &session.state, &session.config.region);
        return Ok(Code::ImageMissing);
    }
    if !confirm("apply these changes", auto_approve).await? {
        report.cancelled("Deploy");
        return Ok(Code::Ok);
    }
    super::apply::walk(session, &plan, "Deploy", report).await
}

/// Sets each service's deployed image in its task definition's spec, over the image
/// stack.toml names (what a later apply keeps it over).
fn deploy_into(desired: &mut [Desired], images: &BTreeMap<String, String>, state: &State) {
    for d in desired
        .iter_mut()
        .filter(|d| d.address.kind() == Kind::TaskDefinition)
    {
        let Some(uri) = images.get(d.address.name()) else {
            continue;
        };
        let image = &d.spec["container"]["image"];
        let reference = image["reference"].as_str().unwrap_or_default();
        let repository = image["repository"]["ref"]
            .as_str()
            .and_then(|a| a.parse::<Address>().ok())
            .and_then(|a| state.resources.get(&a))
            .and_then(|r| r.outputs.get("uri").cloned());
        let over = match repository {
            Some(repo) if reference.starts_with('@') => format!("{repo}{reference}"),
            Some(repo) => format!("{repo}:{reference}"),
            None => reference.to_string(),
        };
        d.spec["container"]["image"]["deployed"] = json!({ "uri": uri, "over": over });
    }
}
