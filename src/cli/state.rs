//! `stackctl state ...`: look at and repair the state by hand, the same way for the
//! local file and S3. Commands that write take the state's lock and write through the
//! store's compare-and-swap, like apply does. None of them calls AWS for the stack's
//! resources.

use super::Cli;
use super::exit::Code;
use super::session::{self, load_config, open_store};
use crate::address::Address;
use crate::config::Validated;
use crate::state::edit;
use crate::state::store::Store;
use crate::state::{State, file};
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: StateCommand,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the recorded resources with their AWS ids.
    #[command(after_help = "Example: stackctl state list")]
    List,
    /// Show one recorded resource: its id, outputs, settings as applied, and what it needs.
    #[command(after_help = "Example: stackctl state show ecs_service.web")]
    Show { address: String },
    /// Forget resources without deleting them from AWS.
    #[command(
        long_about = "Forget resources without deleting them from AWS. The objects keep \
their stackctl tags: while stack.toml still declares an address, the next apply finds its \
object by those tags and records it again. Remove the address from stack.toml too to let \
go of the object for good.",
        after_help = "Example: stackctl state rm log_group.web"
    )]
    Rm {
        #[arg(required = true, value_name = "ADDRESS")]
        addresses: Vec<String>,
    },
    /// Record a resource under another address (after renaming it in stack.toml).
    #[command(after_help = "Example: stackctl state mv ecr_repository.app ecr_repository.web")]
    Mv { from: String, to: String },
    /// Print the state as JSON on stdout.
    #[command(after_help = "Example: stackctl state pull > backup.state.json")]
    Pull,
    /// Replace the stored state with FILE.
    #[command(
        long_about = "Replace the stored state with FILE. Refused when FILE is the state of \
another lineage (another deployment) or older than the stored state (a lower serial), \
unless --force: either would make stackctl lose track of what the stored state records.",
        after_help = "Example: stackctl state push backup.state.json"
    )]
    Push {
        file: PathBuf,
        /// Push even a state of another lineage or an older serial.
        #[arg(long)]
        force: bool,
    },
    /// Move the state between the local file and S3, without touching the stack.
    #[command(
        long_about = "Move the state, with its lineage, between the local file and the S3 \
object stack.toml's [state] table names (bucket, key, region), without touching the \
stack's resources. The local file is renamed to <file>.migrated; an S3 object is deleted \
(with versioning on, its versions stay in the bucket). Set `backend` in [state] to match.",
        after_help = "Example: stackctl state migrate --to s3"
    )]
    Migrate {
        /// Where the state goes; it comes from the other.
        #[arg(long, value_enum)]
        to: Target,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Local,
    S3,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let config = load_config(cli)?;
    let stack = config.config.stack.name.clone();
    if let StateCommand::Migrate { to } = &args.command {
        return super::migrate::run(cli, &config, *to).await;
    }
    let store = open_store(cli, &config, session::open_call_log(cli)?.as_ref()).await?;
    match &args.command {
        StateCommand::List => list(&stored(&store, &stack).await?),
        StateCommand::Show { address } => show(&stored(&store, &stack).await?, &parse(address)?)?,
        StateCommand::Pull => print!("{}", file::render(&stored(&store, &stack).await?)),
        StateCommand::Rm { addresses } => {
            let addresses = addresses
                .iter()
                .map(|a| parse(a))
                .collect::<Result<Vec<_>, _>>()?;
            rm(cli, &config, &store, &addresses).await?
        }
        StateCommand::Mv { from, to } => {
            mv(cli, &store, &stack, &parse(from)?, &parse(to)?).await?
        }
        StateCommand::Push { file, force } => push(cli, &store, &stack, file, *force).await?,
        StateCommand::Migrate { .. } => unreachable!("handled above"),
    }
    Ok(Code::Ok)
}

fn parse(address: &str) -> anyhow::Result<Address> {
    address
        .parse()
        .with_context(|| format!("`{address}` is not an address (kind.name, e.g. ecs_service.web)"))
}

async fn stored(store: &Store, stack: &str) -> anyhow::Result<State> {
    match store.load(stack).await? {
        Some(state) => Ok(state),
        None => bail!(
            "there is no state at {} yet: `stackctl apply` creates it",
            store.location()
        ),
    }
}

fn list(state: &State) {
    let width = state
        .resources
        .keys()
        .chain(state.intents.keys())
        .map(|a| a.to_string().len())
        .max()
        .unwrap_or(0);
    for (address, record) in &state.resources {
        println!("{:width$}  {}", address.to_string(), record.id);
    }
    for address in state.intents.keys() {
        println!(
            "{:width$}  (create started, not recorded: the next apply looks for it)",
            address.to_string()
        );
    }
}

fn show(state: &State, address: &Address) -> anyhow::Result<()> {
    let record = match state.resources.get(address) {
        Some(r) => r,
        None => {
            return Err(edit::EditError::NotInState {
                address: address.clone(),
                known: state.resources.keys().cloned().collect(),
            }
            .into());
        }
    };
    println!("{address}");
    println!("  id: {}", record.id);
    if !record.depends_on.is_empty() {
        let needs: Vec<String> = record.depends_on.iter().map(|a| a.to_string()).collect();
        println!("  needs: {}", needs.join(", "));
    }
    if !record.deposed.is_empty() {
        let old: Vec<String> = record.deposed.iter().map(|a| a.to_string()).collect();
        println!("  replaced, to delete: {}", old.join(", "));
    }
    println!("  outputs:");
    for (k, v) in &record.outputs {
        println!("    {k} = {v}");
    }
    println!("  settings as applied:");
    for (k, v) in &record.attrs {
        println!("    {k} = {v}");
    }
    Ok(())
}

async fn rm(
    cli: &Cli,
    config: &Validated,
    store: &Store,
    addresses: &[Address],
) -> anyhow::Result<()> {
    let _lock = session::lock(cli, store, "state rm").await?;
    let mut state = stored(store, &config.config.stack.name).await?;
    let mut removed = Vec::new();
    for address in addresses {
        removed.push((address, edit::remove(&mut state, address)?));
    }
    store.save(&state).await?;
    let zones = crate::engine::zones::unresolved(config);
    let declared: Vec<Address> = crate::config::expand::expand(config, &zones)
        .into_iter()
        .map(|d| d.address)
        .collect();
    for (address, record) in removed {
        match record {
            Some(record) => println!(
                "Removed {address} ({}) from the state; the object is still in AWS.",
                record.id
            ),
            None => println!(
                "Removed the unfinished create of {address} from the state; if AWS made the \
                 object, it is still there."
            ),
        }
        if declared.contains(address) {
            println!(
                "  stack.toml still declares {address}: the next apply finds the object by its \
                 stackctl tags and records it again. Remove it from stack.toml to let it go."
            );
        }
        let needed = edit::needed_by(&state, address);
        if !needed.is_empty() {
            let needed: Vec<String> = needed.iter().map(|a| a.to_string()).collect();
            println!("  Still recorded as needing it: {}", needed.join(", "));
        }
    }
    Ok(())
}

async fn mv(
    cli: &Cli,
    store: &Store,
    stack: &str,
    from: &Address,
    to: &Address,
) -> anyhow::Result<()> {
    let _lock = session::lock(cli, store, "state mv").await?;
    let mut state = stored(store, stack).await?;
    edit::rename(&mut state, from, to)?;
    store.save(&state).await?;
    println!(
        "Moved {from} to {to} ({}). Run `stackctl plan` to see how the object compares \
         with what stack.toml says for {to}.",
        state.resources[to].id
    );
    Ok(())
}

async fn push(
    cli: &Cli,
    store: &Store,
    stack: &str,
    path: &std::path::Path,
    force: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let incoming = file::parse_any(
        &text,
        crate::state::location::Location::Local(path.to_path_buf()),
    )?;
    let _lock = session::lock(cli, store, "state push").await?;
    let current = store.load_any().await?;
    if current.is_none() && incoming.stack != stack {
        bail!(
            "{} is the state of stack `{}`, not `{stack}`; push it with that stack's stack.toml",
            path.display(),
            incoming.stack
        );
    }
    edit::check_push(current.as_ref(), &incoming, force)
        .with_context(|| format!("refused to push {} to {}", path.display(), store.location()))?;
    let serial = store.save(&incoming).await?;
    println!(
        "Pushed {} to {} (lineage {}, now serial {serial}, {} resources).",
        path.display(),
        store.location(),
        incoming.lineage,
        incoming.resources.len()
    );
    Ok(())
}
