//! `stackctl validate`: parse and check stack.toml; no AWS call.

use super::Cli;
use super::exit::Code;
use super::session::load_config;
use crate::config::expand::expand;

pub fn run(cli: &Cli) -> anyhow::Result<Code> {
    let config = load_config(cli)?;
    let resources = expand(&config);
    println!(
        "{} is valid: stack `{}` in {}, {} resources.",
        cli.stack.display(),
        config.config.stack.name,
        config.region,
        resources.len()
    );
    let warnings = crate::config::security::warnings(&config.config);
    if !warnings.is_empty() {
        println!("Warning: stack.toml turns off secure defaults (see docs/security.md):");
        for w in warnings {
            println!("  - {} {}", w.key, w.message);
        }
    }
    Ok(Code::Ok)
}
