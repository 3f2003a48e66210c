//! `stackctl rollback`: roll a service back to the image it ran before (see
//! `operate::rollback` for which one, and why the image and not the configuration).

use super::Cli;
use super::exit::Code;
use super::report::Report;
use super::session::Session;
use crate::address::{Address, Kind};
use crate::operate::rollback::{self, Revision, To};
use crate::resources::task_definition::TaskDefinitionSpec;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The service (its name in stack.toml).
    pub service: String,
    /// What to go back to: a registered revision of the service's task definition
    /// (`7` or `FAMILY:7`) or an image URI [default: the newest earlier revision that
    /// runs another image than the running one].
    #[arg(long, value_name = "REVISION|IMAGE")]
    pub to: Option<String>,
    /// Roll back without asking (for CI; required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Report as JSON events on stdout, one per line (docs/json.md); needs
    /// --auto-approve.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let report = Report::new(args.json, cli);
    report.check_approval(args.auto_approve)?;
    let session = Session::open(cli, "rollback", true).await?;
    let services = &session.config.config.services;
    anyhow::ensure!(
        services.contains_key(&args.service),
        "no service `{}` in this stack; its services: {}",
        args.service,
        services.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    let probe = [(args.service.clone(), String::new())];
    let observed = super::roll::observe(&session, &probe).await?;
    let image = target(&session, &observed, args).await?;
    let images = [(args.service.clone(), image.clone())];
    let roll = super::roll::Roll {
        verb: "Rollback",
        again: format!("stackctl rollback {} --to {image}", args.service),
        auto_approve: args.auto_approve,
    };
    super::roll::images(session, &observed, &images, &roll, &report).await
}

/// The image to go back to, from the family's registered revisions.
async fn target(
    session: &Session,
    observed: &crate::plan::Observed,
    args: &Args,
) -> anyhow::Result<String> {
    let service = &args.service;
    let td = Address::new(Kind::TaskDefinition, service.as_str());
    let record = &session.state.resources[&td];
    let spec: TaskDefinitionSpec = serde_json::from_value(record.spec.clone())?;
    let family = spec.family;
    let live = |kind: Kind| {
        observed
            .get(&Address::new(kind, service.as_str()))
            .and_then(Option::as_ref)
    };
    // What the service runs, which ECS may have changed (its circuit breaker rolls
    // back by itself), else what the state recorded.
    let running_arn = live(Kind::EcsService)
        .and_then(|l| l.attrs.get("task_definition"))
        .and_then(|v| v.as_str())
        .unwrap_or(record.id.as_str())
        .to_string();
    let registered = rollback::registered(&session.aws, &family).await?;
    let number = rollback::revision_of(&running_arn).unwrap_or(i32::MAX);
    let running = match registered.iter().find(|r| r.number == number) {
        Some(r) => r.clone(),
        None => Revision {
            number,
            image: live(Kind::TaskDefinition)
                .and_then(|l| l.attrs.get("image"))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
        },
    };
    let to = args.to.as_deref().map(|t| To::parse(t, &family));
    Ok(rollback::choose(
        service,
        &family,
        &registered,
        &running,
        to.as_ref(),
    )?)
}
