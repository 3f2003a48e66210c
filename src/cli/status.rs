//! `stackctl status`: is the stack up, and if not, why. Read-only: no lock, no state
//! write, only read calls. Exits 2 when a service is not steady, so a script can wait
//! on it (`until stackctl status -q; do sleep 10; done`) or alert on it.

use super::Cli;
use super::exit::Code;
use super::session::Session;
use crate::address::Kind;
use crate::operate::status::{self, StackStatus};
use crate::output::{stack_outputs, status_text};
use std::io::IsTerminal;
use std::time::Duration;

/// How often `--watch` reads again.
const WATCH_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this service (its name in stack.toml).
    pub service: Option<String>,
    /// Print one JSON document (schema in docs/json.md); with --watch, one per line
    /// per reading.
    #[arg(long)]
    pub json: bool,
    /// Read again every 5 seconds until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let session = Session::open(cli, "status", false).await?;
    let declared: Vec<String> = session.config.config.services.keys().cloned().collect();
    if let Some(service) = args.service.as_ref().filter(|s| !declared.contains(s)) {
        anyhow::bail!(
            "no service `{service}` in this stack; its services: {}",
            declared.join(", ")
        );
    }
    loop {
        let status = read(&session, &declared, args.service.as_deref()).await?;
        show(&status, args, cli.quiet);
        if !args.watch {
            return Ok(if status.steady {
                Code::Ok
            } else {
                Code::Changes
            });
        }
        tokio::time::sleep(WATCH_EVERY).await;
    }
}

async fn read(
    session: &Session,
    declared: &[String],
    only: Option<&str>,
) -> anyhow::Result<StackStatus> {
    let services = status::gather(&session.aws, &session.state, declared, only).await?;
    let subscriptions = session
        .refresh_only(|a| a.kind() == Kind::SnsSubscription)
        .await?;
    let pending = super::report::pending_subscriptions(&subscriptions, &session.state);
    Ok(StackStatus {
        format: status::FORMAT,
        format_version: status::FORMAT_VERSION,
        stack: session.config.config.stack.name.clone(),
        region: session.config.region.clone(),
        url: stack_outputs::from_state(&session.state).remove("url"),
        steady: services.iter().all(|s| s.steady),
        services,
        notes: pending.lines().map(str::to_string).collect(),
    })
}

fn show(status: &StackStatus, args: &Args, quiet: bool) {
    if args.json {
        let text = match args.watch {
            true => serde_json::to_string(status),
            false => serde_json::to_string_pretty(status),
        };
        println!("{}", text.expect("status serializes"));
        return;
    }
    if quiet {
        return;
    }
    if args.watch && std::io::stdout().is_terminal() {
        // Clear the screen and go home, as `watch` does.
        print!("\x1b[2J\x1b[H");
    }
    print!("{}", status_text::render(status));
}
