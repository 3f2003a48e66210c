//! `stackctl state migrate --to s3|local`: moves the state, with its lineage, between
//! the local file and the S3 object stack.toml's `[state]` table names. Both are
//! locked while it runs; the stack's resources are not touched. The source is retired
//! only after the copy is written, and a destination that already holds a state is
//! never overwritten.

use super::Cli;
use super::exit::Code;
use super::location;
use super::session;
use super::state::Target;
use crate::config::Validated;
use crate::config::schema::Backend;
use crate::state::location::Location;
use crate::state::store::Store;
use anyhow::bail;

pub async fn run(cli: &Cli, config: &Validated, to: Target) -> anyhow::Result<Code> {
    let local = Location::Local(location::local(cli, config));
    let s3 = Location::S3(location::s3(cli, config)?);
    let (from, to_location) = match to {
        Target::S3 => (local, s3),
        Target::Local => (s3, local),
    };
    let dir = location::stack_dir(cli);
    let log = session::open_call_log(cli)?;
    let source = Store::open(from, log.as_ref(), dir.clone()).await;
    let destination = Store::open(to_location, log.as_ref(), dir).await;
    let _source_lock = session::lock(cli, &source, "state migrate").await?;
    let _destination_lock = session::lock(cli, &destination, "state migrate").await?;

    let stack = &config.config.stack.name;
    let Some(state) = source.load(stack).await? else {
        bail!(
            "there is no state at {} to migrate{}",
            source.location(),
            match destination.location() {
                Location::S3(_) => "",
                Location::Local(_) =>
                    " (is the S3 location in stack.toml's [state] table the one in use?)",
            }
        );
    };
    if let Some(there) = destination.load_any().await? {
        bail!(
            "{} already holds a state (stack `{}`, lineage {}, serial {}); nothing was moved. \
             If it is stale, remove it first; to replace it on purpose, `stackctl state push` \
             checks lineage and serial",
            destination.location(),
            there.stack,
            there.lineage,
            there.serial
        );
    }
    let serial = destination.save(&state).await?;
    let aside = source.retire().await?;
    println!(
        "Moved the state of `{stack}` ({} resources, lineage {}, now serial {serial}) from {} to {}.",
        state.resources.len(),
        state.lineage,
        source.location(),
        destination.location()
    );
    match aside {
        Some(path) => println!("The old file is kept as {}.", path.display()),
        None => println!(
            "The old object was deleted (with versioning on, its versions stay in the bucket)."
        ),
    }
    let wanted = match to {
        Target::S3 => Backend::S3,
        Target::Local => Backend::Local,
    };
    if config.config.state.backend != wanted {
        let name = match wanted {
            Backend::S3 => "s3",
            Backend::Local => "local",
        };
        println!(
            "Set `backend = \"{name}\"` in stack.toml's [state] table: until then, commands use {}.",
            source.location()
        );
    }
    Ok(Code::Ok)
}
