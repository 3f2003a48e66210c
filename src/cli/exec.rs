//! `stackctl exec`: a shell (or a command) in a running task of a service, through
//! ECS Exec and AWS's session-manager-plugin (see `operate::exec`).

use super::Cli;
use super::exit::Code;
use super::session::Session;
use crate::address::{Address, Kind};
use crate::aws::SdkResultExt;
use crate::operate::exec::{self, ExecError};
use crate::resources::task_definition::TaskDefinitionSpec;
use crate::resources::{ecs_rollout, ecs_service};
use aws_sdk_ecs::types::{DesiredStatus, Task};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The service (its name in stack.toml); it needs `exec = true`.
    pub service: String,
    /// The task whose id starts with ID [default: the service's first running task].
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// The command, after `--` [default: /bin/sh].
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let plugin =
        exec::find_plugin(std::env::var_os("PATH").as_deref()).ok_or(ExecError::NoPlugin)?;
    let session = Session::open(cli, "exec", false).await?;
    let services = &session.config.config.services;
    anyhow::ensure!(
        services.contains_key(&args.service),
        "no service `{}` in this stack; its services: {}",
        args.service,
        services.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    let address = Address::new(Kind::EcsService, args.service.as_str());
    let record =
        session.state.resources.get(&address).ok_or_else(|| {
            anyhow::anyhow!("service `{}` has not been created yet", args.service)
        })?;
    let (cluster, _) = ecs_service::locate(&record.id)?;
    let svc = ecs_service::describe(&session.aws, &record.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("service `{}` is gone from AWS", args.service))?;
    if !svc.enable_execute_command() {
        return Err(ExecError::NotEnabled(args.service.clone()).into());
    }
    let task = pick_task(
        &session,
        &cluster,
        args,
        svc.service_name().unwrap_or_default(),
    )
    .await?;
    let task_id = ecs_rollout::arn_tail(task.task_arn().unwrap_or_default()).to_string();
    if !task.enable_execute_command() {
        return Err(ExecError::TaskWithoutExec(task_id).into());
    }
    let td = Address::new(Kind::TaskDefinition, args.service.as_str());
    let spec: TaskDefinitionSpec =
        serde_json::from_value(session.state.resources[&td].spec.clone())?;
    let container = spec.container.name;
    let command = match args.command.is_empty() {
        true => "/bin/sh".to_string(),
        false => args.command.join(" "),
    };
    let out = session
        .aws
        .ecs
        .execute_command()
        .cluster(&cluster)
        .task(&task_id)
        .container(&container)
        .interactive(true)
        .command(&command)
        .send()
        .await
        .op("ExecuteCommand")?;
    let opened = out
        .session()
        .ok_or_else(|| anyhow::anyhow!("ExecuteCommand answered without a session"))?;
    let runtime_id = task
        .containers()
        .iter()
        .find(|c| c.name() == Some(container.as_str()))
        .and_then(|c| c.runtime_id())
        .unwrap_or_default();
    let plugin_args = exec::plugin_args(
        &exec::Session {
            session_id: opened.session_id().unwrap_or_default().to_string(),
            stream_url: opened.stream_url().unwrap_or_default().to_string(),
            token_value: opened.token_value().unwrap_or_default().to_string(),
        },
        &session.config.region,
        ecs_rollout::arn_tail(&cluster),
        &task_id,
        runtime_id,
        &ecs_endpoint(&session.config.region),
    );
    let status = tokio::process::Command::new(plugin)
        .args(plugin_args)
        .status()
        .await?;
    Ok(match status.code() {
        Some(0) => Code::Ok,
        Some(code) => Code::Task(code),
        None => Code::Error,
    })
}

/// The running task `--task` names, else the first running one.
async fn pick_task(
    session: &Session,
    cluster: &str,
    args: &Args,
    aws_name: &str,
) -> anyhow::Result<Task> {
    let running =
        ecs_rollout::service_tasks(&session.aws, cluster, aws_name, DesiredStatus::Running).await;
    let id = |t: &Task| ecs_rollout::arn_tail(t.task_arn().unwrap_or_default()).to_string();
    let Some(prefix) = &args.task else {
        return running
            .into_iter()
            .next()
            .ok_or_else(|| ExecError::NoTask(args.service.clone()).into());
    };
    if let Some(task) = running.iter().find(|t| id(t).starts_with(prefix.as_str())) {
        return Ok(task.clone());
    }
    Err(ExecError::NoSuchTask {
        service: args.service.clone(),
        prefix: prefix.clone(),
        running: running.iter().map(id).collect::<Vec<_>>().join(", "),
    }
    .into())
}

/// The ECS endpoint the plugin reports to: the one the SDK was pointed at, else the
/// region's own (`.amazonaws.com.cn` in China).
fn ecs_endpoint(region: &str) -> String {
    let given = ["AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL"]
        .iter()
        .filter_map(|key| std::env::var(key).ok())
        .map(|url| url.trim().to_string())
        .find(|url| !url.is_empty());
    if let Some(url) = given {
        return url;
    }
    let suffix = match region.starts_with("cn-") {
        true => "amazonaws.com.cn",
        false => "amazonaws.com",
    };
    format!("https://ecs.{region}.{suffix}")
}
