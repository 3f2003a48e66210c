//! `stackctl import ADDRESS ID`: take over an existing object explicitly, e.g. one
//! made by hand or by another tool, which adoption (by stackctl tags) never does.
//! The object is read, recorded in the state with the address's desired spec and its
//! live settings, and left as it is; the next plan shows how it differs from
//! stack.toml, the next apply brings it in line.

use super::Cli;
use super::exit::Code;
use super::session::Session;
use crate::address::{Address, CloudId};
use crate::aws::call_log::CURRENT_ADDRESS;
use crate::engine::adopt;
use crate::resources::registry;
use anyhow::{Context, bail};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The resource's address, e.g. log_group.web (a wrong one is answered with the
    /// nearest ones).
    pub address: Address,
    /// What AWS calls the object: an EC2 id (vpc-..., subnet-..., eipalloc-...), a
    /// name (ECR repository, log group, IAM role), a distribution id, or an ARN
    /// (cluster, load balancer, target group, listener, rule, task definition
    /// revision, service).
    pub id: String,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<Code> {
    let mut session = Session::open(cli, "import", true).await?;
    let address = &args.address;
    let kind = address.kind();
    let desired = session.desired().await?;
    let Some(d) = desired.iter().find(|d| d.address == *address) else {
        let close = close_addresses(address, desired.iter().map(|d| &d.address));
        bail!(
            "{address} is not a resource of {}; close ones: {}",
            cli.stack.display(),
            close
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    if let Some(record) = session.state.resources.get(address) {
        bail!(
            "{address} is already in the state as `{}`; to import another object for it, \
             remove it first: `stackctl state rm {address}`",
            record.id,
        );
    }
    let id = CloudId::new(args.id.trim());
    let live = CURRENT_ADDRESS
        .scope(address.clone(), registry::read(kind, &session.aws, &id))
        .await
        .with_context(|| {
            format!(
                "cannot read {kind} `{id}` (a {kind} is imported by {})",
                registry::import_id(kind)
            )
        })?;
    let Some(live) = live else {
        bail!(
            "no {kind} `{id}` exists in {} (a {kind} is imported by {})",
            session.config.region,
            registry::import_id(kind)
        );
    };
    session
        .state
        .resources
        .insert(address.clone(), adopt::record(d, id.clone(), live));
    session.save().await?;
    println!(
        "Imported {address} ({id}) into {}.",
        session.store.location()
    );
    println!(
        "Run `stackctl plan` to see how it differs from stack.toml; the next apply brings it in line."
    );
    Ok(Code::Ok)
}

/// Up to five desired addresses nearest to `wanted` by edit distance, those of the
/// same kind first.
fn close_addresses<'a>(
    wanted: &Address,
    desired: impl Iterator<Item = &'a Address>,
) -> Vec<&'a Address> {
    let text = wanted.to_string();
    let mut scored: Vec<(bool, usize, &Address)> = desired
        .map(|a| {
            (
                a.kind() != wanted.kind(),
                strsim::levenshtein(&text, &a.to_string()),
                a,
            )
        })
        .collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, _, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn close_addresses_put_the_same_kind_first() {
        let desired = [
            a("vpc.main"),
            a("log_group.web"),
            a("log_group.api"),
            a("target_group.web"),
            a("subnet.public-0"),
        ];
        let close = close_addresses(&a("log_group.wbe"), desired.iter());
        assert_eq!(close[..2], [&a("log_group.web"), &a("log_group.api")]);
        assert_eq!(close.len(), 5);
        let close = close_addresses(&a("subnet.public-9"), desired.iter());
        assert_eq!(close[0], &a("subnet.public-0"));
    }
}
