//! `stackctl run`: a one-off task of a service (a migration, an admin job): its task
//! definition, subnets, security groups and roles, with the command given. Waits for
//! the task to stop, printing its log lines, and exits with its exit code.

use super::Cli;
use super::exit::Code;
use super::session::Session;
use crate::address::{Address, Kind};
use crate::operate::logs::{self, Follower};
use crate::operate::one_off::{self, Ended, OneOff};
use crate::resources::task_definition::TaskDefinitionSpec;
use crate::resources::{ecs_rollout, ecs_service};
use std::time::{Duration, Instant};

/// How often the task and its log are read while waiting.
const POLL_EVERY: Duration = Duration::from_secs(3);
/// After the task stops, its last lines can take the log driver's flush to arrive.
const LAST_LINES_WITHIN: Duration = Duration::from_secs(6);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The service whose task definition, network and roles the task uses.
    pub service: String,
    /// Print the task's id and return at once (see its lines with `stackctl logs
    /// SERVICE --task ID`).
    #[arg(long)]
    pub detach: bool,
    /// The task's CPU units instead of the service's (a Fargate size: 256, 512,
    /// 1024, ...).
    #[arg(long, value_name = "UNITS")]
    pub cpu: Option<u32>,
    /// The task's memory in MiB instead of the service's (a size Fargate takes with
    /// the CPU).
    #[arg(long, value_name = "MIB")]
    pub memory: Option<u32>,
    /// The command, after `--`: e.g. `-- flask db upgrade`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let session = Session::open(cli, "run", false).await?;
    let declared: Vec<String> = session.config.config.services.keys().cloned().collect();
    let source = logs::source(&session.state, &declared, &args.service)?;
    let one_off = plan(&session, args).await?;
    let arn = one_off::start(&session.aws, &one_off).await?;
    let id = ecs_rollout::arn_tail(&arn).to_string();
    if args.detach {
        println!("{id}");
        eprintln!(
            "Started task {id} of {} in cluster {}. Its lines: stackctl logs {} --task {id} --follow",
            args.service,
            ecs_rollout::arn_tail(&one_off.cluster),
            args.service
        );
        return Ok(Code::Ok);
    }
    eprintln!(
        "Started task {id} of {}; its lines follow. Ctrl-C stops waiting, not the task.",
        args.service
    );
    let ended = wait(&session, &one_off, &arn, &id, &source).await?;
    match ended {
        Ended::Exited(code) => {
            eprintln!("Task {id} exited with code {code}.");
            Ok(if code == 0 {
                Code::Ok
            } else {
                Code::Task(code)
            })
        }
        Ended::Failed(reason) => {
            anyhow::bail!("task {id} stopped without running its command to the end: {reason}")
        }
    }
}

/// The task: the service's live task definition and network, the command given.
async fn plan(session: &Session, args: &Args) -> anyhow::Result<OneOff> {
    let service = Address::new(Kind::EcsService, args.service.as_str());
    let not_created = || {
        anyhow::anyhow!(
            "service `{}` has not been created yet: run `stackctl apply` first",
            args.service
        )
    };
    let record = session
        .state
        .resources
        .get(&service)
        .ok_or_else(not_created)?;
    let (cluster, _) = ecs_service::locate(&record.id)?;
    let svc = ecs_service::describe(&session.aws, &record.id)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "service `{}` is gone from AWS (deleted outside stackctl?): `stackctl apply` \
                 creates it again",
                args.service
            )
        })?;
    let td = Address::new(Kind::TaskDefinition, args.service.as_str());
    let spec: TaskDefinitionSpec =
        serde_json::from_value(session.state.resources[&td].spec.clone())?;
    let (cpu, memory) = size(&spec, args)?;
    let network = svc
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .ok_or_else(|| anyhow::anyhow!("service `{}` has no awsvpc network", args.service))?;
    Ok(OneOff {
        cluster,
        task_definition: svc.task_definition().unwrap_or_default().to_string(),
        container: spec.container.name,
        subnets: network.subnets().to_vec(),
        security_groups: network.security_groups().to_vec(),
        assign_public_ip: network.assign_public_ip()
            == Some(&aws_sdk_ecs::types::AssignPublicIp::Enabled),
        command: args.command.clone(),
        cpu,
        memory,
        exec: svc.enable_execute_command(),
    })
}

/// The size overrides, checked against Fargate's table before anything starts.
fn size(
    spec: &TaskDefinitionSpec,
    args: &Args,
) -> anyhow::Result<(Option<String>, Option<String>)> {
    if args.cpu.is_none() && args.memory.is_none() {
        return Ok((None, None));
    }
    let cpu = args.cpu.unwrap_or(spec.cpu.parse()?);
    let memory = args.memory.unwrap_or(spec.memory.parse()?);
    use stackctl_config::fargate::{cpu_problem, memory_problem};
    if let Some(problem) = cpu_problem(cpu).or_else(|| memory_problem(cpu, memory)) {
        anyhow::bail!("--cpu/--memory: {problem}");
    }
    Ok((Some(cpu.to_string()), Some(memory.to_string())))
}

/// Waits for the task to stop, printing its log lines as they come.
async fn wait(
    session: &Session,
    one_off: &OneOff,
    arn: &str,
    id: &str,
    source: &logs::LogSource,
) -> anyhow::Result<Ended> {
    let started = Instant::now();
    let mut follow = Follower::new(now_ms() - 60_000);
    loop {
        let task = one_off::describe(&session.aws, &one_off.cluster, arn, started).await?;
        print_new(session, source, id, &mut follow).await;
        if let Some(ended) = task
            .as_ref()
            .and_then(|t| one_off::ended(t, &one_off.container))
        {
            let until = Instant::now() + LAST_LINES_WITHIN;
            while Instant::now() < until {
                tokio::time::sleep(POLL_EVERY.min(LAST_LINES_WITHIN)).await;
                print_new(session, source, id, &mut follow).await;
            }
            return Ok(ended);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Prints the task's lines not shown yet. Best effort: a failed read is retried on
/// the next poll, and must not end the wait for the task itself.
async fn print_new(session: &Session, source: &logs::LogSource, id: &str, follow: &mut Follower) {
    if let Ok(lines) = logs::read(&session.aws, source, Some(id), follow.since()).await {
        for line in follow.fresh(lines) {
            super::logs::print_line(&line, false);
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
