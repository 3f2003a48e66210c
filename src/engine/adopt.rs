//! Adoption: objects an earlier run created but the state does not record (the state
//! file was lost, or a run was interrupted between a create call and the state
//! write) are found by their stackctl tags and recorded, instead of being created a
//! second time. It runs before every plan and apply, and costs no AWS call when the
//! state records every desired address.
//!
//! All lookups run at once, except that a lookup whose kind needs a dependency's
//! outputs (`Resource::FIND_NEEDS`: a listener is looked for on its load balancer)
//! runs after that dependency's lookup. On an empty state, where nothing is found,
//! that costs one round trip whatever the stack's size. An adopted object is
//! recorded with the desired spec and its live attributes; the normal refresh and
//! plan that follow then show it as unchanged, or as the update that brings it in
//! line with stack.toml.
//!
//! The engine's part: it looks and records in the state in memory; the command decides
//! whether to write the state and what to say (see `cli::adopt`).

use crate::address::{Address, CloudId};
use crate::aws::{Aws, AwsError};
use crate::desired::Desired;
use crate::graph::{Graph, GraphError};
use crate::resources::{Ctx, Live, Outputs, registry};
use crate::state::{Record, State};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    /// Printed with its cause after it (`{:#}`), as every error of the engine.
    #[error("{address}")]
    Lookup {
        address: Address,
        #[source]
        source: AwsError,
    },
    #[error(transparent)]
    Order(#[from] GraphError),
}

/// An object found and recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Adopted {
    pub address: Address,
    pub id: CloudId,
    /// The object recorded for the address before (an interrupted create-first
    /// replacement made the one found): deposed now.
    pub replaced: Option<CloudId>,
}

/// What a search found. Whatever was found before a lookup failed is recorded, and
/// the failure is returned beside it, so that the command saves what it has.
#[derive(Debug, Default)]
pub struct Adoption {
    pub found: Vec<Adopted>,
    /// The state changed (something recorded, or an unfinished create of an address
    /// stack.toml no longer has forgotten): it needs writing.
    pub changed: bool,
    pub failure: Option<AdoptError>,
}

/// Finds the objects of the desired addresses `state` lacks, and those of creates an
/// interrupted run began (`state.intents`), and records them in `state`. No AWS call
/// when the state records every desired address.
pub async fn adopt_missing(aws: &Aws, stack: &str, state: &mut State, all: &[Desired]) -> Adoption {
    let desired: BTreeSet<Address> = all.iter().map(|d| d.address.clone()).collect();
    let lookups = to_look_up(state, all);
    let mut adoption = Adoption::default();
    if lookups.is_empty() {
        return adoption;
    }
    let by_address: BTreeMap<&Address, &Desired> =
        lookups.iter().map(|d| (&d.address, d)).collect();
    let waves = match lookup_order(&lookups).waves() {
        Ok(waves) => waves,
        Err(e) => {
            adoption.failure = Some(e.into());
            return adoption;
        }
    };
    let intents_before = state.intents.len();
    for wave in waves {
        let results = futures::future::join_all(wave.iter().map(|a| {
            let d = by_address[a];
            let deps = known_outputs(state, d);
            let recorded = recorded_ids(state, a);
            async move { (d, look_up(aws, stack, d, &deps, &recorded).await) }
        }))
        .await;
        for (d, result) in results {
            match result {
                Ok(Some((id, live))) => {
                    let replaced = take_over(state, d, id.clone(), live);
                    let address = d.address.clone();
                    adoption.found.push(Adopted {
                        address,
                        id,
                        replaced,
                    });
                }
                // For an address stack.toml still has, the intent stays: the create
                // is sent again with its token. For one it no longer has, nothing is left.
                Ok(None) if !desired.contains(&d.address) => {
                    state.intents.remove(&d.address);
                }
                Ok(None) => {}
                Err(e) => {
                    adoption.failure.get_or_insert(e);
                }
            }
        }
        if adoption.failure.is_some() {
            break;
        }
    }
    adoption.changed = !adoption.found.is_empty() || state.intents.len() != intents_before;
    tracing::info!(
        "looked for {} objects the state does not record by their tags: {} found",
        lookups.len(),
        adoption.found.len()
    );
    adoption
}

/// A lookup waits for the lookups of the dependencies whose outputs its kind needs
/// (`Resource::FIND_NEEDS`), and for no other.
fn lookup_order(lookups: &[Desired]) -> Graph {
    Graph::new(lookups.iter().map(|d| {
        let needs = registry::find_needs(d.address.kind());
        let deps = d.dependencies().into_iter();
        (
            d.address.clone(),
            deps.filter(|dep| needs.contains(&dep.kind())).collect(),
        )
    }))
}

/// What to look for: every desired address the state does not record, every address
/// with an unfinished create (looking past what is recorded for it: an interrupted
/// create-first replacement), and unfinished creates of addresses that left stack.toml
/// since (with the spec they were created with, so what they made is found and then
/// deleted by the plan). Empty, and no AWS call, in the common case.
fn to_look_up(state: &State, desired: &[Desired]) -> Vec<Desired> {
    let mut out: Vec<Desired> = desired
        .iter()
        .filter(|d| !state.resources.contains_key(&d.address))
        .filter(|d| !state.intents.contains_key(&d.address))
        .cloned()
        .collect();
    out.extend(state.intents.iter().map(|(address, intent)| {
        Desired::new(address.clone(), &intent.spec).after(intent.depends_on.iter().cloned())
    }));
    out
}

fn recorded_ids(state: &State, a: &Address) -> Vec<CloudId> {
    state
        .resources
        .get(a)
        .map(|r| {
            std::iter::once(r.id.clone())
                .chain(r.deposed.iter().cloned())
                .collect()
        })
        .unwrap_or_default()
}

/// Records the object found for `d`. When another object was recorded for the address
/// (an interrupted replacement created this one), that one becomes deposed, to be
/// deleted once nothing uses it; it is returned.
fn take_over(state: &mut State, d: &Desired, id: CloudId, live: Live) -> Option<CloudId> {
    state.intents.remove(&d.address);
    let mut new = record(d, id, live);
    let old = state.resources.remove(&d.address);
    if let Some(old) = &old {
        new.deposed = old.deposed.clone();
        new.deposed.push(old.id.clone());
    }
    state.resources.insert(d.address.clone(), new);
    old.map(|o| o.id)
}

/// The state record of an adopted or imported object: the desired spec, and the live
/// attributes as the "last applied" ones (nothing was applied; the live view is all
/// that is known).
pub fn record(desired: &Desired, id: CloudId, live: Live) -> Record {
    let mut outputs = live.outputs;
    outputs.insert("id".into(), id.to_string());
    Record {
        id,
        spec: desired.spec.clone(),
        attrs: live.attrs,
        outputs,
        depends_on: desired.dependencies(),
        deposed: Vec::new(),
    }
}

/// The outputs of `d`'s dependencies that the state records so far.
fn known_outputs(state: &State, d: &Desired) -> BTreeMap<Address, Outputs> {
    d.dependencies()
        .into_iter()
        .filter_map(|dep| {
            let outputs = state.resources.get(&dep)?.outputs.clone();
            Some((dep, outputs))
        })
        .collect()
}

/// The object found for `d` and its live view; `None` when there is none (or it
/// vanished between the lookup and the read).
///
/// The calls are logged without an address (`CURRENT_ADDRESS` is not set): a lookup
/// is not an engine step, and the API log's order proofs are about engine steps (a
/// subnet is looked for before its VPC is created on a first apply).
async fn look_up(
    aws: &Aws,
    stack: &str,
    d: &Desired,
    deps: &BTreeMap<Address, Outputs>,
    recorded: &[CloudId],
) -> Result<Option<(CloudId, Live)>, AdoptError> {
    let address = &d.address;
    let mut ctx = Ctx::new(aws, stack, address, deps);
    ctx.recorded = recorded;
    let kind = address.kind();
    let found = async {
        let Some(id) = registry::find(kind, &ctx, &d.spec).await? else {
            return Ok(None);
        };
        if recorded.contains(&id) {
            return Ok(None);
        }
        let live = registry::read(kind, aws, &id).await?;
        Ok(live.map(|live| (id, live)))
    };
    found.await.map_err(|source| AdoptError::Lookup {
        address: address.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Kind;
    use crate::resources::Ref;
    use serde_json::json;

    #[test]
    fn a_record_keeps_the_desired_spec_and_the_live_view() {
        let vpc = Address::new(Kind::Vpc, "main");
        let subnet = Address::new(Kind::Subnet, "public-0");
        let desired = Desired::new(subnet.clone(), json!({ "vpc": Ref::id(vpc.clone()) }))
            .after([Address::new(Kind::InternetGateway, "main")]);
        let live = Live {
            attrs: [("cidr_block".to_string(), json!("10.0.0.0/24"))].into(),
            outputs: [("arn".to_string(), "arn:x".to_string())].into(),
        };
        let r = record(&desired, CloudId::new("subnet-1"), live);
        assert_eq!(r.id, CloudId::new("subnet-1"));
        assert_eq!(r.spec, desired.spec);
        assert_eq!(r.attrs["cidr_block"], json!("10.0.0.0/24"));
        assert_eq!(r.outputs["id"], "subnet-1");
        assert_eq!(r.outputs["arn"], "arn:x");
        assert_eq!(
            r.depends_on,
            vec![vpc, Address::new(Kind::InternetGateway, "main")]
        );
        assert!(r.deposed.is_empty());
    }

    #[test]
    fn the_object_an_interrupted_replacement_made_takes_over_and_the_old_is_deposed() {
        let tg = Address::new(Kind::TargetGroup, "web");
        let desired = Desired::new(tg.clone(), json!({ "port": 5001 }));
        let mut state = State::new("demo");
        let mut old = record(&desired, CloudId::new("tg-old"), live_with_port(5000));
        old.deposed = vec![CloudId::new("tg-older")];
        state.resources.insert(tg.clone(), old);
        state.intents.insert(
            tg.clone(),
            crate::state::Intent::new(desired.spec.clone(), vec![]),
        );

        let replaced = take_over(
            &mut state,
            &desired,
            CloudId::new("tg-new"),
            live_with_port(5001),
        );

        assert_eq!(replaced, Some(CloudId::new("tg-old")));
        let r = &state.resources[&tg];
        assert_eq!(r.id, CloudId::new("tg-new"));
        assert_eq!(r.attrs["port"], json!(5001));
        assert_eq!(
            r.deposed,
            vec![CloudId::new("tg-older"), CloudId::new("tg-old")]
        );
        assert!(state.intents.is_empty());
    }

    fn live_with_port(port: u16) -> Live {
        Live {
            attrs: [("port".to_string(), json!(port))].into(),
            outputs: Default::default(),
        }
    }
}
