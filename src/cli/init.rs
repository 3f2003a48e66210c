//! `stackctl init`: writes a commented stack.toml from one of the reference
//! architectures, to edit from there. No AWS call.

use super::Cli;
use super::exit::Code;
use super::session::env_region;
use crate::templates;
use anyhow::Context;
use clap::builder::PossibleValuesParser;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The reference architecture to start from (`--list` describes each).
    #[arg(
        long,
        short,
        default_value = templates::DEFAULT,
        value_parser = PossibleValuesParser::new(templates::ALL.iter().map(|t| t.name))
    )]
    pub template: String,
    /// The stack's name, which every AWS name of the stack starts with
    /// [default: the template's].
    #[arg(long)]
    pub name: Option<String>,
    /// List the templates and write nothing.
    #[arg(long)]
    pub list: bool,
    /// Overwrite the stack file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    if args.list {
        for t in templates::ALL {
            println!("{:<18} {}", t.name, t.summary());
        }
        return Ok(Code::Ok);
    }
    let template = templates::find(&args.template).expect("clap accepts known templates only");
    let text = match &args.name {
        Some(name) => template.named(name),
        None => template.text.to_string(),
    };
    // What is written must validate: a bad --name is refused before any file exists.
    crate::config::parse(&cli.stack, &text, env_region())?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = match options.open(&cli.stack) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => anyhow::bail!(
            "{} exists: edit it, or pass --force to replace it with the {} template",
            cli.stack.display(),
            template.name
        ),
        other => other.with_context(|| format!("cannot write {}", cli.stack.display()))?,
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", cli.stack.display()))?;
    println!(
        "Wrote {} from the {} template: {}",
        cli.stack.display(),
        template.name,
        template.summary()
    );
    println!(
        "Next: edit it (docs/stack-toml.md describes every key), then `stackctl plan` to see what apply would create."
    );
    Ok(Code::Ok)
}
