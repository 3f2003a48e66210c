//! `stackctl logs`: a service's log lines, newest last, from every task that logged in
//! the window, stopped tasks included (the crash you are looking for is in one).

use super::Cli;
use super::duration;
use super::exit::Code;
use super::session::Session;
use crate::operate::logs::{self, Follower, LogLine};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often `--follow` asks for new lines (FilterLogEvents allows a few calls a
/// second per account; this leaves room for other readers).
const POLL_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The service (its name in stack.toml).
    pub service: String,
    /// How far back to start, e.g. `10m`, `1h`, `2d`.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub since: duration::Arg,
    /// Keep printing new lines until Ctrl-C.
    #[arg(short, long)]
    pub follow: bool,
    /// Only the task whose id starts with ID (ids are shown with each line).
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// One JSON object per line: time, timestamp, task, container, message.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let session = Session::open(cli, "logs", false).await?;
    let declared: Vec<String> = session.config.config.services.keys().cloned().collect();
    let source = logs::source(&session.state, &declared, &args.service)?;
    let now = now_ms();
    let start = now - i64::try_from(args.since.0.as_millis()).unwrap_or(i64::MAX / 2);
    let mut follow = Follower::new(start);
    let mut shown = 0;
    loop {
        let lines = logs::read(&session.aws, &source, args.task.as_deref(), follow.since())
            .await
            .map_err(|e| anyhow::anyhow!("cannot read log group {}: {e}", source.group))?;
        for line in follow.fresh(lines) {
            print_line(&line, args.json);
            shown += 1;
        }
        if !args.follow {
            if shown == 0 && !cli.quiet {
                eprintln!(
                    "No lines in {} (stream {}*) in the last {}: --since goes further back.",
                    source.group,
                    source.stream_prefix(args.task.as_deref()),
                    humantime::format_duration(args.since.0)
                );
            }
            return Ok(Code::Ok);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

pub fn print_line(line: &LogLine, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string(line).expect("log lines serialize")
        );
    } else {
        let task = &line.task[..line.task.len().min(8)];
        println!("{} {task} {}", line.time, line.message);
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
