//! `stackctl apply`: plan, confirm, walk the plan, print the outputs.

use super::Cli;
use super::confirm::confirm;
use super::exit::Code;
use super::session::Session;
use crate::config::expand::expand;
use crate::engine;
use crate::output::{plan_text, progress, stack_outputs};
use crate::plan::Plan;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Apply without asking (for CI; required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let session = Session::open(cli, "apply", true).await?;
    let session = super::adopt::missing(session, super::adopt::Mode::Save).await?;
    let observed = session.refresh().await?;
    let plan = crate::plan::plan(&expand(&session.config), &session.state, &observed)?;
    print!("{}", plan_text::render(&plan));
    if !plan.has_changes() {
        print_outputs(&session.state);
        return Ok(Code::Ok);
    }
    if !confirm("apply these changes", args.auto_approve)? {
        println!("Apply cancelled.");
        return Ok(Code::Ok);
    }
    walk(session, &plan, "Apply").await
}

/// Runs a plan and reports; shared by apply and destroy.
pub async fn walk(session: Session, plan: &Plan, what: &str) -> anyhow::Result<Code> {
    let total = plan.pending().count();
    let s = plan.summary();
    let (state, result) = engine::apply(
        session.aws.clone(),
        session.state,
        session.state_path.clone(),
        plan,
        progress::lines(total),
    )
    .await;
    match result {
        Ok(()) => {
            println!(
                "\n{what} complete: {} added, {} changed, {} destroyed.",
                s.add, s.change, s.destroy
            );
            print_outputs(&state);
            Ok(Code::Ok)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "{what} failed; what finished is recorded in {}, run the command again to continue",
            session.state_path.display()
        ))),
    }
}

fn print_outputs(state: &crate::state::State) {
    let outputs = stack_outputs::from_state(state);
    if outputs.is_empty() {
        return;
    }
    println!("\nOutputs:");
    let width = outputs.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in outputs {
        println!("  {k:width$} = {v}");
    }
}
