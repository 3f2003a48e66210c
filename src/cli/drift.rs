//! `stackctl drift`: what changed outside stackctl since the last apply. Read-only:
//! it takes no lock, writes no state and makes only read calls.

use super::Cli;
use super::exit::Code;
use super::session::Session;
use crate::output::drift_text::{self, DriftReport};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the drift as one JSON document (schema in docs/json.md).
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let session = Session::open(cli, "drift", false).await?;
    let observed = session.refresh().await?;
    let drifted = crate::plan::drift(&session.state, &observed);
    if args.json {
        let report = DriftReport::new(&session.state.stack, &drifted);
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", drift_text::render(&drifted));
    }
    Ok(if drifted.is_empty() {
        Code::Ok
    } else {
        Code::Changes
    })
}
