//! `stackctl graph`: the resource graph of stack.toml, for Graphviz or Mermaid. No
//! AWS call.

use super::Cli;
use super::exit::Code;
use super::session::load_config;
use crate::config::expand::expand;
use crate::output::graph_text::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `dot` for Graphviz, `mermaid` for Markdown that GitHub and GitLab render.
    #[arg(long, value_enum, default_value = "dot")]
    pub format: Format,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let config = load_config(cli)?;
    let resources = expand(&config, &crate::engine::zones::unresolved(&config));
    print!(
        "{}",
        graph_text::render(&config.config.stack.name, &resources, args.format)
    );
    Ok(Code::Ok)
}
