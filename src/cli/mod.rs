//! The command line: global flags, one file per command.

pub mod adopt;
pub mod apply;
pub mod completions;
pub mod confirm;
pub mod deploy;
pub mod destroy;
pub mod drift;
pub mod duration;
pub mod exec;
pub mod exit;
pub mod graph;
pub mod import;
pub mod init;
pub mod location;
pub mod logging;
pub mod logs;
pub mod migrate;
pub mod output;
pub mod plan;
pub mod report;
pub mod roll;
pub mod rollback;
pub mod run;
pub mod session;
pub mod state;
pub mod status;
pub mod unlock;
pub mod validate;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "stackctl",
    version,
    about = "Provision a containerized web app on AWS ECS Fargate from stack.toml"
)]
pub struct Cli {
    /// The stack description.
    #[arg(
        long,
        global = true,
        default_value = "stack.toml",
        env = "STACKCTL_STACK"
    )]
    pub stack: PathBuf,
    /// The environment of stack.toml to work on (its [environments.NAME] table): each
    /// is its own stack, `<stack.name>-<NAME>`, with its own state.
    #[arg(long = "env", global = true, value_name = "NAME", env = "STACKCTL_ENV")]
    pub environment: Option<String>,
    /// Where the state is: a file, or `s3://BUCKET/KEY` [default: stack.toml's [state]
    /// table, else <stack file's name>.state.json beside it].
    #[arg(
        long,
        global = true,
        value_name = "FILE|S3_URL",
        env = "STACKCTL_STATE"
    )]
    pub state: Option<String>,
    /// The region of the state's S3 bucket [default: [state] region, else the stack's].
    #[arg(
        long,
        global = true,
        value_name = "REGION",
        env = "STACKCTL_STATE_REGION"
    )]
    pub state_region: Option<String>,
    /// Append every AWS API call made (service, operation, resource, timing) to FILE
    /// as JSON lines.
    #[arg(long, global = true, value_name = "FILE", env = "STACKCTL_API_LOG")]
    pub api_log: Option<PathBuf>,
    /// How long to wait for another run's lock on the state before giving up, e.g.
    /// `30s`, `5m` [default: 0s, fail at once].
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        default_value = "0s",
        env = "STACKCTL_LOCK_TIMEOUT"
    )]
    pub lock_timeout: duration::Arg,
    /// How long an S3 state lock lives unless its holder renews it (it renews four
    /// times per lifetime); the lock of a run killed mid-apply is taken over this long
    /// after its last renewal.
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        default_value = "60s",
        env = "STACKCTL_LOCK_TTL"
    )]
    pub lock_ttl: duration::Arg,
    /// How long a delete is retried while AWS answers that something still uses the
    /// object (network interfaces of load balancers and tasks linger for minutes
    /// after their owner is gone), e.g. `20m`; then the error names what uses it
    /// [default: 10m].
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        env = "STACKCTL_DEPENDENCY_TIMEOUT"
    )]
    pub dependency_timeout: Option<duration::Arg>,
    /// Show more of what stackctl does on stderr: `-v` reads, lookups and waits, `-vv`
    /// every AWS call, `-vvv` the AWS SDK's own events (or set STACKCTL_LOG).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print results and errors only: no progress lines.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// No colors, even on a terminal (NO_COLOR set to anything does the same).
    #[arg(long, global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would change.
    #[command(after_help = "Example: stackctl plan --detailed-exitcode")]
    Plan(plan::Args),
    /// Create or update the stack to match stack.toml.
    #[command(after_help = "Example (CI): stackctl apply --auto-approve")]
    Apply(apply::Args),
    /// Delete every resource of the stack.
    #[command(after_help = "Example: stackctl destroy --auto-approve")]
    Destroy(destroy::Args),
    /// Show what changed outside stackctl since the last apply (read-only).
    #[command(
        after_help = "Exit status: 0 no drift, 2 drift found, 1 error.\n\nExample (scheduled CI check): stackctl drift --json"
    )]
    Drift(drift::Args),
    /// Show each service's tasks, deployments, images, targets and recent events.
    #[command(
        long_about = "Show what each service is doing now: desired, running and pending \
tasks, the deployments in progress with their rollout state and the image (and digest) \
each runs, the health of its load balancer targets, its last events and its recently \
stopped tasks with their reasons, and the stack's URL. Read-only.",
        after_help = "Exit status: 0 every service steady, 2 a service is not (a rollout in progress, tasks short, targets unhealthy), 1 error.\n\nExample: stackctl status web\n         stackctl status --json | jq '.services[].running'"
    )]
    Status(status::Args),
    /// Print a service's log lines, stopped tasks' included; --follow tails them.
    #[command(
        after_help = "Example: stackctl logs web --since 1h\n         stackctl logs web --follow --task 3f2a9c1d"
    )]
    Logs(logs::Args),
    /// Build the services' images, push them, and roll the services onto them.
    #[command(
        long_about = "Build each service's image with the local builder (docker, podman, or \
STACKCTL_BUILDER) from its `build` in stack.toml, tag it with the git commit (or --tag), \
log in to ECR, push it, and roll the service onto the pushed digest as `apply --image` \
does. A stack not applied yet is applied first, then its services are created on the \
pushed images.",
        after_help = "Example: stackctl deploy\n         stackctl deploy web --tag v42 --auto-approve"
    )]
    Deploy(deploy::Args),
    /// Roll a service back to the image it ran before, and wait for the rollout.
    #[command(
        long_about = "Roll a service back to the image it ran before: the newest earlier \
revision of its task definition (apply keeps the newest three registered) whose image \
differs from the running one, or the revision or image given with --to. Like \
`apply --image`, it registers a revision that differs from the running one only in its \
image, waits for the rollout, and is recorded so the next apply keeps the rolled-back \
image while stack.toml names the same image as before. Configuration (environment, \
secrets, size) stays as stack.toml says: to undo a change there, revert it and apply.",
        after_help = "Example: stackctl rollback web\n         stackctl rollback web --to 7 --auto-approve\n         stackctl rollback web --to 123456789012.dkr.ecr.eu-west-2.amazonaws.com/shop:v41"
    )]
    Rollback(rollback::Args),
    /// Run a one-off task of a service (a migration, an admin job) and wait for it.
    #[command(
        long_about = "Run a one-off task with a service's task definition, subnets, security \
groups and roles, and the command given after `--`. Waits for the task to stop, printing \
its log lines, and exits with its container's exit code; --detach prints the task's id \
and returns. The task runs on Fargate on-demand capacity, whatever the service uses.",
        after_help = "Example: stackctl run web -- flask db upgrade\n         stackctl run web --detach --memory 2048 -- python manage.py rebuild-index"
    )]
    Run(run::Args),
    /// Open a shell (or run a command) in a running task of a service, by ECS Exec.
    #[command(
        long_about = "Open a shell, or run the command given after `--`, in a running task of a \
service through ECS Exec. The service needs `exec = true` in stack.toml (applied), and \
this machine needs AWS's session-manager-plugin, which carries the terminal.",
        after_help = "Example: stackctl exec web\n         stackctl exec web --task 3f2a9c1d -- flask shell"
    )]
    Exec(exec::Args),
    /// Print the stack's outputs (URL, load balancer, repositories, ...).
    #[command(after_help = "Example: stackctl output url")]
    Output(output::Args),
    /// Check stack.toml without calling AWS.
    #[command(after_help = "Example: stackctl validate --stack examples/weather/stack.toml")]
    Validate,
    /// Remove the state lock left by a run that is gone (e.g. on another host).
    #[command(
        after_help = "A run that died on this host needs no unlock: the next run takes its lock over.\n\nExample: stackctl unlock"
    )]
    Unlock,
    /// Record an existing AWS object in the state as the resource at ADDRESS.
    #[command(
        long_about = "Record an existing AWS object in the state as the resource at ADDRESS, \
without changing it. For objects stackctl did not create (apply adopts the ones it did \
create by their stackctl tags). Run `stackctl plan` afterwards to see how the object \
differs from stack.toml; the next apply brings it in line.",
        after_help = "Example: stackctl import log_group.web /ecs/weather/web\n         \
stackctl import security_group.alb sg-0123456789abcdef0"
    )]
    Import(import::Args),
    /// Look at and repair the state: list, show, rm, mv, pull, push, migrate.
    #[command(
        long_about = "Look at and repair the state, wherever it is kept (local file or S3). \
Commands that change it take the state's lock, as apply does; none of them changes the \
stack's resources in AWS.",
        after_help = "Example: stackctl state list\n         stackctl state migrate --to s3"
    )]
    State(state::Args),
    /// Write a commented stack.toml from one of the reference architectures.
    #[command(
        after_help = "Example: stackctl init --template weather --name forecast\n         stackctl init --list"
    )]
    Init(init::Args),
    /// Draw the resource graph (Graphviz DOT or Mermaid).
    #[command(
        long_about = "Draw the resource graph of stack.toml, without calling AWS. An edge A -> B \
means A needs B: B is created first and deleted last. `ready` marks the edges where A waits \
for B to be ready (NAT gateway available, load balancer active), not just created.",
        after_help = "Example: stackctl graph | dot -Tsvg > stack.svg\n         stackctl graph --format mermaid"
    )]
    Graph(graph::Args),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Example (bash): stackctl completions bash > ~/.local/share/bash-completion/completions/stackctl\n         (zsh):  stackctl completions zsh > \"${fpath[1]}/_stackctl\""
    )]
    Completions(completions::Args),
}

impl Command {
    /// What a person should know when Ctrl-C cut the command short; None for
    /// commands that only read, which have nothing to carry on.
    pub fn interrupted_note(&self) -> Option<&'static str> {
        match self {
            Command::Plan(_)
            | Command::Drift(_)
            | Command::Output(_)
            | Command::Validate
            | Command::Status(_)
            | Command::Logs(_)
            | Command::Exec(_)
            | Command::Graph(_)
            | Command::Completions(_) => None,
            Command::Run(_) => Some(
                "The one-off task keeps running: `stackctl logs SERVICE --task ID --follow` \
                 shows its lines.",
            ),
            _ => Some(
                "The state records every create this run started (one cut short is found \
                 again by its tags); run the command again to carry on from there.",
            ),
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<exit::Code> {
    match &cli.command {
        Command::Plan(args) => plan::run(&cli, args).await,
        Command::Apply(args) => apply::run(&cli, args).await,
        Command::Destroy(args) => destroy::run(&cli, args).await,
        Command::Drift(args) => drift::run(&cli, args).await,
        Command::Status(args) => status::run(&cli, args).await,
        Command::Logs(args) => logs::run(&cli, args).await,
        Command::Deploy(args) => deploy::run(&cli, args).await,
        Command::Rollback(args) => rollback::run(&cli, args).await,
        Command::Run(args) => run::run(&cli, args).await,
        Command::Exec(args) => exec::run(&cli, args).await,
        Command::Output(args) => output::run(&cli, args).await,
        Command::Validate => validate::run(&cli),
        Command::Unlock => unlock::run(&cli).await,
        Command::Import(args) => import::run(&cli, args).await,
        Command::State(args) => state::run(&cli, args).await,
        Command::Init(args) => init::run(&cli, args),
        Command::Graph(args) => graph::run(&cli, args),
        Command::Completions(args) => completions::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_command_has_help_with_an_example() {
        for command in Cli::command().get_subcommands() {
            let after = command
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(after.contains("Example"), "{} --help", command.get_name());
            assert!(command.get_about().is_some(), "{}", command.get_name());
        }
    }

    /// docs/commands/NAME.md ends with `stackctl NAME --help` as it is, so the pages
    /// never describe flags that changed. `STACKCTL_BLESS=1` rewrites that part.
    #[test]
    fn every_command_has_a_page_whose_help_is_current() {
        const MARKER: &str = "<!-- help: generated from";
        let mut cli = Cli::command();
        cli.build();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/commands");
        let mut stale = Vec::new();
        // clap's own `help` subcommand has no page.
        for command in cli.get_subcommands_mut().filter(|c| c.get_name() != "help") {
            let name = command.get_name().to_string();
            let help = command.render_long_help().to_string();
            let path = dir.join(format!("{name}.md"));
            let page = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("no page {}", path.display()));
            let at = page
                .find(MARKER)
                .unwrap_or_else(|| panic!("{} has no `{MARKER}` line", path.display()));
            let head_end = at + page[at..].find('\n').map_or(page.len() - at, |i| i + 1);
            let wanted = format!(
                "{}\n```text\n{}\n```\n",
                &page[..head_end].trim_end(),
                help.trim_end()
            );
            if std::env::var("STACKCTL_BLESS").as_deref() == Ok("1") {
                std::fs::write(&path, &wanted).unwrap();
            } else if page != wanted {
                stale.push(name);
            }
        }
        assert!(
            stale.is_empty(),
            "pages whose --help is stale (STACKCTL_BLESS=1 cargo test --lib rewrites them): {stale:?}"
        );
    }

    #[test]
    fn completions_know_every_command_and_template() {
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "stackctl",
            &mut script,
        );
        let script = String::from_utf8(script).unwrap();
        for command in Cli::command().get_subcommands() {
            assert!(
                script.contains(command.get_name()),
                "{}",
                command.get_name()
            );
        }
        for template in crate::templates::ALL {
            assert!(script.contains(template.name), "{}", template.name);
        }
    }
}
