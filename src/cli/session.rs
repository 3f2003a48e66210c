//! What every command that talks to AWS needs: the validated stack, the state (under
//! a lock for commands that write it), the AWS clients, and the refreshed live view.

use super::Cli;
use crate::address::Address;
use crate::aws::Aws;
use crate::aws::call_log::CallLog;
use crate::config::{self, Validated};
use crate::desired::Desired;
use crate::plan::Observed;
use crate::state::State;
use crate::state::location::Location;
use crate::state::lock::Holder;
use crate::state::store::{StateLock, Store};
use anyhow::Context;
use std::sync::Arc;

pub struct Session {
    pub config: Validated,
    pub store: Arc<Store>,
    pub state: State,
    pub aws: Aws,
    /// Held while the session lives, for commands that may write state.
    pub _lock: Option<StateLock>,
    /// `--quiet`: no progress or notes on stderr, results and errors only.
    pub quiet: bool,
    /// The region's availability zones, once asked for (`engine::zones`).
    zones_listed: tokio::sync::OnceCell<Vec<String>>,
}

pub fn env_region() -> Option<String> {
    std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .ok()
        .filter(|r| !r.is_empty())
}

pub fn load_config(cli: &Cli) -> anyhow::Result<Validated> {
    Ok(config::load(
        &cli.stack,
        env_region(),
        cli.environment.as_deref(),
    )?)
}

/// The state store in effect for this command (see `location`).
pub async fn open_store(
    cli: &Cli,
    config: &Validated,
    call_log: Option<&CallLog>,
) -> anyhow::Result<Store> {
    let location = super::location::resolve(cli, config)?;
    Ok(Store::open(location, call_log, super::location::stack_dir(cli)).await)
}

/// Takes the state's lock for `command`, saying so when it replaces a dead run's.
pub async fn lock(cli: &Cli, store: &Store, command: &str) -> anyhow::Result<StateLock> {
    let lock = store
        .lock(command, cli.lock_timeout.0, cli.lock_ttl.0)
        .await?;
    if let Some(gone) = lock.took_over() {
        eprintln!("Warning: {}", took_over(gone));
    }
    Ok(lock)
}

fn took_over(gone: &Holder) -> String {
    let why = match gone.expires {
        Some(e) if e < crate::state::lock::now() => {
            "it expired, as that run stopped renewing it (killed, or its machine is gone)"
        }
        _ => "that process is no longer running",
    };
    format!(
        "took over the lock of {gone}: {why}. If it was interrupted mid-change, this run \
         picks up where it stopped."
    )
}

pub fn open_call_log(cli: &Cli) -> anyhow::Result<Option<CallLog>> {
    cli.api_log
        .as_ref()
        .map(|p| CallLog::create(p).with_context(|| format!("cannot open API log {}", p.display())))
        .transpose()
}

impl Session {
    pub async fn open(cli: &Cli, command: &str, lock: bool) -> anyhow::Result<Session> {
        let config = load_config(cli)?;
        let call_log = open_call_log(cli)?;
        let mut aws = Aws::connect(&config.region, call_log.as_ref()).await;
        if let Some(timeout) = cli.dependency_timeout {
            aws = aws.with_in_use_timeout(timeout.0);
        }
        // The state's bucket is reached with the stack's credentials, resolved once.
        let location = super::location::resolve(cli, &config)?;
        let client = match &location {
            Location::S3(s3) => Some(aws.s3_client(&s3.region, call_log.as_ref())),
            Location::Local(_) => None,
        };
        let store = Store::with_client(location, client, super::location::stack_dir(cli));
        let lock = match lock {
            true => Some(self::lock(cli, &store, command).await?),
            false => None,
        };
        let state = store
            .load(&config.config.stack.name)
            .await?
            .unwrap_or_else(|| State::new(&config.config.stack.name));
        Ok(Session {
            config,
            store: Arc::new(store),
            state,
            aws,
            _lock: lock,
            quiet: cli.quiet,
            zones_listed: tokio::sync::OnceCell::new(),
        })
    }

    /// The desired resources of stack.toml, with the subnets' zones resolved against
    /// the state and, for subnets not made yet, AWS (`engine::zones`). Asked again
    /// after adoption, whose found subnets keep their zones.
    pub async fn desired(&self) -> anyhow::Result<Vec<Desired>> {
        let zones =
            crate::engine::zones::resolve(&self.aws, &self.config, &self.state, &self.zones_listed)
                .await?;
        Ok(crate::config::expand::expand(&self.config, &zones))
    }

    /// The plan of `desired` against the state and `observed`, with the task
    /// definitions whose image is not pushed yet (and their services) held back.
    pub async fn plan(
        &self,
        desired: &[Desired],
        observed: &Observed,
    ) -> anyhow::Result<crate::plan::Plan> {
        crate::engine::domain::check(&self.aws, &self.config).await?;
        let plan = crate::plan::plan(desired, &self.state, observed)?;
        self.hold_back(plan).await
    }

    /// `plan` with the changes whose image is missing moved to `plan.held`.
    pub async fn hold_back(&self, plan: crate::plan::Plan) -> anyhow::Result<crate::plan::Plan> {
        let missing = crate::engine::images::missing(&self.aws, &plan, &self.state)
            .await
            .context("cannot check the images in the stack's repositories")?;
        Ok(crate::plan::hold_back(plan, &missing))
    }

    /// Writes the session's state (compare-and-swap, see `Store::save`).
    pub async fn save(&mut self) -> anyhow::Result<()> {
        self.state.serial = self.store.save(&self.state).await?;
        Ok(())
    }

    /// Reads every recorded resource from AWS, all at once.
    pub async fn refresh(&self) -> anyhow::Result<Observed> {
        self.refresh_only(|_| true).await
    }

    /// Reads the recorded resources `wanted` picks (see `engine::refresh`).
    pub async fn refresh_only(
        &self,
        wanted: impl Fn(&Address) -> bool,
    ) -> anyhow::Result<Observed> {
        Ok(crate::engine::refresh::refresh(&self.aws, &self.state, wanted).await?)
    }
}
