//! Adoption before a plan, apply or destroy (see `engine::adopt`): what the command
//! does with what was found, writing the state or only saying what apply will do.

use super::session::Session;
use crate::address::{Address, CloudId};
use crate::engine::adopt::{Adopted, adopt_missing};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `apply`: record what was found and write the state at once.
    Save,
    /// `plan`: record in memory only and say what apply will adopt.
    Preview,
}

/// Records in `session.state` the objects the state lacks, saving it in `Mode::Save`
/// (also when a lookup failed: what was found before is kept). One line per object
/// goes to stderr.
pub async fn missing(mut session: Session, mode: Mode) -> anyhow::Result<Session> {
    let desired = session.desired().await?;
    let stack = session.config.config.stack.name.clone();
    let adoption = adopt_missing(&session.aws, &stack, &mut session.state, &desired).await;
    if mode == Mode::Save && adoption.changed {
        session.save().await?;
    }
    if !session.quiet {
        for Adopted {
            address,
            id,
            replaced,
        } in &adoption.found
        {
            eprintln!("{}", found_line(mode, address, id, replaced.as_ref()));
        }
    }
    match adoption.failure {
        Some(e) => Err(e.into()),
        None => Ok(session),
    }
}

fn found_line(mode: Mode, address: &Address, id: &CloudId, replaced: Option<&CloudId>) -> String {
    let by = crate::resources::registry::found_by(address.kind());
    match (mode, replaced) {
        (Mode::Save, None) => format!("Adopted {address} ({id}) — found by {by}"),
        (Mode::Preview, None) => {
            format!("Will adopt {address} ({id}) — found by {by}; apply records it in the state")
        }
        (Mode::Save, Some(old)) => format!(
            "Recovered {address} ({id}) — an interrupted run created it to replace {old}, \
             which is deleted once nothing uses it"
        ),
        (Mode::Preview, Some(old)) => format!(
            "Will recover {address} ({id}) — an interrupted run created it to replace {old}; \
             apply records it and deletes {old} once nothing uses it"
        ),
    }
}
