//! `stackctl unlock`: removes the state lock of a run that is gone. A run that died on
//! this host needs no unlock (the next run takes its local lock over), nor does an S3
//! lock that expired; this is for a lock recorded by another host, which its holder
//! may still renew. A run still holding the lock on this host is refused.

use super::Cli;
use super::exit::Code;
use super::session::{self, load_config, open_store};
use crate::state::lock::Unlocked;

pub async fn run(cli: &Cli) -> anyhow::Result<Code> {
    let config = load_config(cli)?;
    let store = open_store(cli, &config, session::open_call_log(cli)?.as_ref()).await?;
    let at = store.location();
    match store.unlock().await? {
        Unlocked::NotLocked => println!("The state {at} is not locked."),
        Unlocked::Removed(holder) => println!(
            "Removed the lock of {holder} on {}. If that run was interrupted mid-change, \
             the next apply picks up where it stopped.",
            at
        ),
    }
    Ok(Code::Ok)
}
