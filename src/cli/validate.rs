//! `stackctl validate`: parse and check stack.toml; no AWS call. Without `--env`, a
//! file that describes environments is checked as each of them.

use super::Cli;
use super::exit::Code;
use super::session::{env_region, load_config};
use crate::config::Validated;
use crate::config::expand::expand;

pub fn run(cli: &Cli) -> anyhow::Result<Code> {
    let all = match &cli.environment {
        Some(_) => vec![load_config(cli)?],
        None => crate::config::load_all(&cli.stack, env_region())?,
    };
    for config in &all {
        report(cli, config);
    }
    Ok(Code::Ok)
}

fn report(cli: &Cli, config: &Validated) {
    let resources = expand(config, &crate::engine::zones::unresolved(config));
    let environment = config
        .environment
        .as_ref()
        .map(|e| format!(" (environment {e})"))
        .unwrap_or_default();
    println!(
        "{} is valid{environment}: stack `{}` in {}, {} resources.",
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
}
