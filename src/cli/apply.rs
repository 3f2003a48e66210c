//! `stackctl apply`: plan, confirm, walk the plan, print the outputs. Also applies a
//! plan saved by `plan --out`, and deploys images (`--image`) without touching the
//! rest of the stack.

use super::Cli;
use super::confirm::confirm;
use super::exit::Code;
use super::report::Report;
use super::session::Session;
use crate::engine;
use crate::plan::{Plan, PlanDocument, parse_image};
use anyhow::Context;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan saved by `stackctl plan --out FILE`: apply exactly it, without asking
    /// (it was reviewed when saved). Refused if the state changed since.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,
    /// Deploy only: register a task definition revision with this image and roll the
    /// service onto it; nothing else changes. Repeatable. Later applies keep the
    /// image until stack.toml names a different one.
    #[arg(
        long = "image",
        value_name = "SERVICE=IMAGE",
        conflicts_with = "plan_file"
    )]
    pub images: Vec<String>,
    /// Apply without asking (for CI; required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Report as JSON events on stdout, one per line (docs/json.md); needs
    /// --auto-approve or a saved plan.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let report = Report::new(args.json, cli);
    report.check_approval(args.auto_approve || args.plan_file.is_some())?;
    if let Some(path) = &args.plan_file {
        return apply_saved(cli, path, &report).await;
    }
    if !args.images.is_empty() {
        return deploy(cli, args, &report).await;
    }
    let session = Session::open(cli, "apply", true).await?;
    let session = super::adopt::missing(session, super::adopt::Mode::Save).await?;
    let observed = session.refresh().await?;
    let desired = session.desired().await?;
    let plan = session.plan(&desired, &observed).await?;
    let warnings = crate::config::security::warnings(&session.config.config);
    let notes = super::report::notes(
        &session.config.region,
        &plan,
        Some(&desired),
        &session.state,
    );
    let notes = super::report::join_notes(&[
        super::report::pending_subscriptions(&observed, &session.state),
        notes,
    ]);
    report.plan(
        "apply",
        &session.config.config.stack.name,
        &plan,
        &warnings,
        &notes,
    );
    if !plan.has_changes() {
        report.done(None, &plan, &session.state);
        return Ok(Code::Ok);
    }
    if !plan.has_work() {
        // Everything waits for an image: nothing to ask about.
        report.held(&plan, &session.state, &session.config.region);
        deploy_hint(&session.config, &plan);
        return Ok(Code::ImageMissing);
    }
    if !confirm("apply these changes", args.auto_approve).await? {
        report.cancelled("Apply");
        return Ok(Code::Ok);
    }
    walk(session, &plan, "Apply", &report).await
}

async fn apply_saved(cli: &Cli, path: &Path, report: &Report) -> anyhow::Result<Code> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the plan {}", path.display()))?;
    let document =
        PlanDocument::parse(&text).with_context(|| format!("{} is refused", path.display()))?;
    let session = Session::open(cli, "apply", true).await?;
    if document.region != session.config.region {
        anyhow::bail!(
            "{} was planned for region {}, but this run targets {}",
            path.display(),
            document.region,
            session.config.region
        );
    }
    let plan = document
        .plan_for(&session.state)
        .with_context(|| format!("{} is refused", path.display()))?;
    // A plan made without a state saw the stack's objects adopted by their tags; find
    // them again (they are recorded as the walk saves the state), so that the plan's
    // updates have the records they update.
    let session = super::adopt::missing(session, super::adopt::Mode::Preview).await?;
    report.plan("apply", &session.config.config.stack.name, &plan, &[], "");
    if !plan.has_changes() {
        report.done(None, &plan, &session.state);
        return Ok(Code::Ok);
    }
    walk(session, &plan, "Apply", report).await
}

async fn deploy(cli: &Cli, args: &Args, report: &Report) -> anyhow::Result<Code> {
    let images = args
        .images
        .iter()
        .map(|a| parse_image(a))
        .collect::<Result<Vec<_>, _>>()?;
    let session = Session::open(cli, "apply --image", true).await?;
    let observed = super::roll::observe(&session, &images).await?;
    let roll = super::roll::Roll {
        verb: "Deploy",
        again: format!("stackctl apply --image {}", args.images.join(" --image ")),
        auto_approve: args.auto_approve,
    };
    super::roll::images(session, &observed, &images, &roll, report).await
}

/// Held services that stack.toml says how to build: `stackctl deploy` does the
/// build, the push and the apply in one step.
fn deploy_hint(config: &crate::config::Validated, plan: &Plan) {
    let services = &config.config.services;
    let (buildable, not): (Vec<&str>, Vec<&str>) = plan
        .held
        .iter()
        .map(|h| h.address())
        .filter(|a| a.kind() == crate::address::Kind::EcsService)
        .map(|a| a.name())
        .partition(|name| services.get(*name).is_some_and(|s| s.build.is_some()));
    if !buildable.is_empty() {
        eprintln!(
            "Or let stackctl do it: `stackctl deploy {}` builds the image from `build`, pushes \
             it and creates the service on it.",
            buildable.join(" ")
        );
    }
    if !not.is_empty() {
        eprintln!(
            "Or let stackctl do it: with `build = \"DIR\"` (the directory with the \
             Dockerfile) in [services.{}], `stackctl deploy` builds the image, pushes it and \
             creates the service on it.",
            not[0]
        );
    }
}

/// Runs a plan and reports; shared by apply and destroy.
pub async fn walk(
    session: Session,
    plan: &Plan,
    what: &str,
    report: &Report,
) -> anyhow::Result<Code> {
    // Steps, not changes: a create-first replacement is two (create, then retire).
    let total = engine::ops::steps(&engine::ops::build(plan, &session.state));
    let (observer, ticker) = report.observer(total)?;
    let cloud = std::sync::Arc::new(engine::cloud::AwsCloud(session.aws.clone()));
    let (state, result) =
        engine::apply(cloud, session.state, session.store.clone(), plan, observer).await;
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    match result {
        Ok(()) if !plan.held.is_empty() => {
            report.held(plan, &state, &session.config.region);
            deploy_hint(&session.config, plan);
            Ok(Code::ImageMissing)
        }
        Ok(()) => {
            report.done(Some(what), plan, &state);
            Ok(Code::Ok)
        }
        Err(e) => {
            let e = anyhow::Error::new(e).context(format!(
                "{what} failed; what finished is recorded in {}, run the command again to continue",
                session.store.location()
            ));
            report.failed(plan, &format!("{e:#}"));
            Err(e)
        }
    }
}
