//! `stackctl plan`: what apply would do, changing nothing.

use super::Cli;
use super::exit::Code;
use super::session::Session;
use crate::config::security;
use crate::output::plan_text;
use crate::plan::PlanDocument;
use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the plan as one JSON document instead of text (schema in docs/json.md).
    #[arg(long)]
    pub json: bool,
    /// Save the plan to FILE; `stackctl apply FILE` then applies exactly this plan.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let session = Session::open(cli, "plan", false).await?;
    let session = super::adopt::missing(session, super::adopt::Mode::Preview).await?;
    let observed = session.refresh().await?;
    let desired = session.desired().await?;
    let plan = session.plan(&desired, &observed).await?;
    let warnings = security::warnings(&session.config.config);
    let document = PlanDocument::new(&plan, &session.state, &session.config.region)
        .with_warnings(warnings.clone());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
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
        let text = plan_text::render_with_notes(&plan, &warnings, &notes);
        if crate::output::color::wanted(cli.no_color, false) {
            print!("{}", crate::output::color::plan(&text));
        } else {
            print!("{text}");
        }
    }
    if let Some(path) = &args.out {
        let text = serde_json::to_string_pretty(&document)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write the plan to {}", path.display()))?;
        if !args.json {
            println!(
                "\nSaved this plan to {p}. Apply exactly this plan with: stackctl apply {p}",
                p = path.display()
            );
        }
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Code::Changes
    } else {
        Code::Ok
    })
}
