//! Adoption: objects an earlier run created but the state does not record (the state
//! file was lost, or a run was interrupted between a create call and the state
//! write) are found by their stackctl tags and recorded, instead of being created a
//! second time. It runs before every plan and apply, and costs no AWS call when the
//! state records every desired address.
//!
//! Addresses are looked up in dependency order, so what was found for a VPC or a load
//! balancer is known when its subnets or listeners are looked for (see
//! `Resource::find`). An adopted object is recorded with the desired spec and its live
//! attributes; the normal refresh and plan that follow then show it as unchanged, or
//! as the update that brings it in line with stack.toml.

use super::session::Session;
use crate::address::{Address, CloudId};
use crate::config::expand::expand;
use crate::desired::Desired;
use crate::graph::Graph;
use crate::resources::{Ctx, Live, Outputs, registry};
use crate::state::{Record, file};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `apply`: record what was found and write the state at once.
    Save,
    /// `plan`: record in memory only and say what apply will adopt.
    Preview,
}

/// Finds the objects of the desired addresses the state lacks and records them in
/// `session.state`, saving it in `Mode::Save`. One line per adopted object goes to
/// stderr. Whatever was found before a lookup failed is still recorded.
pub async fn missing(mut session: Session, mode: Mode) -> anyhow::Result<Session> {
    let desired = expand(&session.config);
    if desired
        .iter()
        .all(|d| session.state.resources.contains_key(&d.address))
    {
        return Ok(session);
    }
    let by_address: BTreeMap<&Address, &Desired> =
        desired.iter().map(|d| (&d.address, d)).collect();
    let graph = Graph::new(
        desired
            .iter()
            .map(|d| (d.address.clone(), d.dependencies())),
    );
    let mut adopted = Vec::new();
    let mut failure = None;
    for wave in graph.waves()? {
        let lookups = wave
            .iter()
            .filter(|a| !session.state.resources.contains_key(*a))
            .map(|a| {
                let d = by_address[a];
                let deps = known_outputs(&session, d);
                let session = &session;
                async move { (d, look_up(session, d, &deps).await) }
            });
        let results = futures::future::join_all(lookups).await;
        for (d, result) in results {
            match result {
                Ok(Some((id, live))) => {
                    adopted.push((d.address.clone(), id.clone()));
                    session
                        .state
                        .resources
                        .insert(d.address.clone(), record(d, id, live));
                }
                Ok(None) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if failure.is_some() {
            break;
        }
    }
    if mode == Mode::Save && !adopted.is_empty() {
        file::save(&session.state_path, &mut session.state)?;
    }
    for (address, id) in &adopted {
        match mode {
            Mode::Save => eprintln!("Adopted {address} ({id}) — found by its stackctl tags"),
            Mode::Preview => eprintln!(
                "Will adopt {address} ({id}) — found by its stackctl tags; apply records it in the state"
            ),
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(session),
    }
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
fn known_outputs(session: &Session, d: &Desired) -> BTreeMap<Address, Outputs> {
    d.dependencies()
        .into_iter()
        .filter_map(|dep| {
            let outputs = session.state.resources.get(&dep)?.outputs.clone();
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
    session: &Session,
    d: &Desired,
    deps: &BTreeMap<Address, Outputs>,
) -> anyhow::Result<Option<(CloudId, Live)>> {
    let address = &d.address;
    let ctx = Ctx {
        aws: &session.aws,
        stack: &session.config.config.stack.name,
        address,
        deps,
    };
    let kind = address.kind();
    let found = async {
        let Some(id) = registry::find(kind, &ctx, &d.spec).await? else {
            return Ok(None);
        };
        let live = registry::read(kind, &session.aws, &id).await?;
        Ok(live.map(|live| (id, live)))
    };
    found
        .await
        .map_err(|e: crate::aws::AwsError| anyhow::anyhow!("{address}: {e}"))
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
}
