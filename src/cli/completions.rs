//! `stackctl completions SHELL`: the shell's completion script for every command,
//! flag and value (templates, formats) stackctl knows, on stdout.

use super::Cli;
use super::exit::Code;
use clap::CommandFactory;
use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct Args {
    pub shell: Shell,
}

pub fn run(args: &Args) -> anyhow::Result<Code> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "stackctl", &mut std::io::stdout());
    Ok(Code::Ok)
}
