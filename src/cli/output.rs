//! `stackctl output`: the stack's outputs from the state, without calling AWS.

use super::Cli;
use super::exit::Code;
use super::session::{self, load_config, open_store};
use crate::output::stack_outputs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print only this output's value.
    pub name: Option<String>,
    /// Print as a JSON object.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let config = load_config(cli)?;
    let store = open_store(cli, &config, session::open_call_log(cli)?.as_ref()).await?;
    let state = store.load(&config.config.stack.name).await?;
    let outputs = state
        .map(|s| stack_outputs::from_state(&s))
        .unwrap_or_default();
    if let Some(name) = &args.name {
        let Some(value) = outputs.get(name) else {
            let known: Vec<&str> = outputs.keys().map(String::as_str).collect();
            anyhow::bail!(
                "no output `{name}`; the stack has: {}",
                if known.is_empty() {
                    "none (apply it first)".into()
                } else {
                    known.join(", ")
                }
            );
        };
        if args.json {
            println!("{}", serde_json::to_string(value)?);
        } else {
            println!("{value}");
        }
    } else if args.json {
        println!("{}", serde_json::to_string_pretty(&outputs)?);
    } else {
        let width = outputs.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in &outputs {
            println!("{k:width$} = {v}");
        }
    }
    Ok(Code::Ok)
}
