//! `stackctl unlock`: removes the state lock of a run that is gone. A run that died on
//! this host needs no unlock (the next run takes its lock over); this is for a lock
//! recorded by another host, on a shared file system. A run still holding the lock on
//! this host is refused.

use super::Cli;
use super::exit::Code;
use crate::state::lock::{self, Unlocked};

pub fn run(cli: &Cli) -> anyhow::Result<Code> {
    let state_path = cli.state_path();
    match lock::unlock(&state_path)? {
        Unlocked::NotLocked => println!("The state {} is not locked.", state_path.display()),
        Unlocked::Removed(holder) => println!(
            "Removed the lock of {holder} on {}. If that run was interrupted mid-change, \
             the next apply picks up where it stopped.",
            state_path.display()
        ),
    }
    Ok(Code::Ok)
}
