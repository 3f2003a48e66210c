//! `stackctl destroy`: delete everything the state records, dependents first.

use super::Cli;
use super::apply::walk;
use super::confirm::confirm;
use super::exit::Code;
use super::report::Report;
use super::session::Session;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Destroy without asking (required when stdin is not a terminal).
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
    let session = Session::open(cli, "destroy", true).await?;
    // A lost state must not leave the stack running unseen: adopt what carries its tags.
    let session = super::adopt::missing(session, super::adopt::Mode::Save).await?;
    if session.state.resources.is_empty() && !report.is_json() {
        println!("Nothing to destroy: the state records no resources.");
        return Ok(Code::Ok);
    }
    let plan = crate::plan::plan_destroy(&session.state)?;
    let notes = super::report::notes(&session.config.region, &plan, None, &session.state);
    report.plan(
        "destroy",
        &session.config.config.stack.name,
        &plan,
        &[],
        &notes,
    );
    if !plan.has_changes() {
        report.done(None, &plan, &session.state);
        return Ok(Code::Ok);
    }
    if !confirm("destroy all these resources", args.auto_approve).await? {
        report.cancelled("Destroy");
        return Ok(Code::Ok);
    }
    walk(session, &plan, "Destroy", &report).await
}
