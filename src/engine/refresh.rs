//! Refresh: the live view of the recorded objects, read from AWS before a plan, with
//! one read per kind and all kinds at once, so that a kind whose describe call takes
//! many ids costs one call (see `Resource::read_many`).

use crate::address::{Address, CloudId, Kind};
use crate::aws::call_log::CURRENT_ADDRESS;
use crate::aws::{Aws, AwsError};
use crate::plan::Observed;
use crate::resources::registry;
use crate::state::State;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
#[error("{}: cannot read the current settings", list(addresses))]
pub struct RefreshError {
    /// The objects of the read that failed (one kind's).
    pub addresses: Vec<Address>,
    #[source]
    pub source: AwsError,
}

/// Reads the recorded objects `wanted` picks.
pub async fn refresh(
    aws: &Aws,
    state: &State,
    wanted: impl Fn(&Address) -> bool,
) -> Result<Observed, RefreshError> {
    let started = std::time::Instant::now();
    let mut by_kind: BTreeMap<Kind, Vec<(Address, CloudId)>> = BTreeMap::new();
    for (address, record) in state.resources.iter().filter(|(a, _)| wanted(a)) {
        by_kind
            .entry(address.kind())
            .or_default()
            .push((address.clone(), record.id.clone()));
    }
    let reads = by_kind.into_iter().map(|(kind, objects)| async move {
        let ids: Vec<CloudId> = objects.iter().map(|(_, id)| id.clone()).collect();
        let read = registry::read_many(kind, aws, &ids);
        // A read of one object is logged with its address; a batch is for many.
        let live = match objects.as_slice() {
            [(address, _)] => CURRENT_ADDRESS.scope(address.clone(), read).await,
            _ => read.await,
        };
        (objects, live)
    });
    let mut observed = Observed::new();
    for (objects, live) in futures::future::join_all(reads).await {
        let addresses = objects.iter().map(|(a, _)| a.clone());
        let live = live.map_err(|source| RefreshError {
            addresses: addresses.clone().collect(),
            source,
        })?;
        observed.extend(addresses.zip(live));
    }
    tracing::info!(
        "read {} recorded resources from AWS in {} ms",
        observed.len(),
        started.elapsed().as_millis()
    );
    Ok(observed)
}

/// Addresses for a message: all of a few, the first few of many.
fn list(addresses: &[Address]) -> String {
    const SHOWN: usize = 3;
    let shown: Vec<String> = addresses
        .iter()
        .take(SHOWN)
        .map(|a| a.to_string())
        .collect();
    match addresses.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{} and {more} more", shown.join(", ")),
        _ => shown.join(", "),
    }
}
