//! `stackctl destroy`: delete everything the state records, dependents first.

use super::Cli;
use super::apply::walk;
use super::confirm::confirm;
use super::exit::Code;
use super::session::Session;
use crate::output::plan_text;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Destroy without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let session = Session::open(cli, "destroy", true).await?;
    // A lost state must not leave the stack running unseen: adopt what carries its tags.
    let session = super::adopt::missing(session, super::adopt::Mode::Save).await?;
    if session.state.resources.is_empty() {
        println!("Nothing to destroy: the state records no resources.");
        return Ok(Code::Ok);
    }
    let plan = crate::plan::plan_destroy(&session.state)?;
    print!("{}", plan_text::render(&plan));
    if !confirm("destroy all these resources", args.auto_approve)? {
        println!("Destroy cancelled.");
        return Ok(Code::Ok);
    }
    walk(session, &plan, "Destroy").await
}
