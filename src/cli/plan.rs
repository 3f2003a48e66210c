//! `stackctl plan`: what apply would do, changing nothing.

use super::Cli;
use super::exit::Code;
use super::session::Session;
use crate::config::expand::expand;
use crate::output::plan_text;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let session = Session::open(cli, "plan", false).await?;
    let session = super::adopt::missing(session, super::adopt::Mode::Preview).await?;
    let observed = session.refresh().await?;
    let plan = crate::plan::plan(&expand(&session.config), &session.state, &observed)?;
    print!("{}", plan_text::render(&plan));
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Code::Changes
    } else {
        Code::Ok
    })
}
