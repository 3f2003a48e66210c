//! Elastic IP for a NAT gateway. The id is the allocation id: VPC addresses are
//! released and associated by it, never by the public IP.

use super::facts::{self, Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{ec2_filters, ec2_ours, single};
use super::tags::{self, Tags, ec2_tag_spec};
use super::{Created, Ctx, Live, Lookup, Resource, WantedAttrs, batch, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, SdkResultExt, unknown_outcome, wait};
use aws_sdk_ec2::types::{DomainType, ResourceType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElasticIpSpec {
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct ElasticIp;

impl Facts for ElasticIp {
    const SERVICE: Service = Service::Ec2;
    const IMPORT_ID: &'static str = "its allocation id (eipalloc-...)";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(address: &Address, _: &Self::Spec, _: &Specs<'_>, p: &Prices) -> Option<Item> {
        Some(Item {
            what: format!("{address}: public IPv4 address"),
            monthly: facts::month(p.public_ipv4),
            up_to: None,
        })
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for ElasticIp {
    const KIND: Kind = Kind::ElasticIp;
    /// An address cannot move between the EC2-Classic and VPC domains any more.
    const REPLACE_ON: &'static [&'static str] = &["domain"];
    type Spec = ElasticIpSpec;

    fn wanted(spec: &ElasticIpSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("domain".into(), known("vpc")),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        batch::by_chunks(ids, batch::EC2_IDS, |chunk| async move {
            let out = aws
                .ec2
                .describe_addresses()
                .filters(batch::ec2_ids("allocation-id", chunk))
                .send()
                .await
                .op("DescribeAddresses")?;
            out.addresses()
                .iter()
                .filter_map(|a| Some((a.allocation_id()?, a)))
                .map(|(id, a)| Ok((id.to_string(), live(id, a)?)))
                .collect()
        })
        .await
    }

    /// By tag: an address has no name, and AllocateAddress tags it atomically.
    async fn find(ctx: &Ctx<'_>, _spec: &ElasticIpSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .ec2
            .describe_addresses()
            .set_filters(Some(ec2_filters(ctx)))
            .send()
            .await
            .op("DescribeAddresses")?;
        let ids = out
            .addresses()
            .iter()
            .filter(|a| ec2_ours(ctx, a.tags()))
            .filter_map(|a| a.allocation_id().map(str::to_string))
            .collect();
        single(ctx, "elastic IP", ids)
    }

    async fn create(ctx: &Ctx<'_>, spec: &ElasticIpSpec) -> Result<Created, AwsError> {
        let out = ctx
            .aws
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(ec2_tag_spec(ResourceType::ElasticIp, &ctx.tags(&spec.tags)))
            .customize()
            .config_override(unknown_outcome::ec2())
            .send()
            .await
            .op("AllocateAddress")?;
        let id = out.allocation_id().ok_or_else(|| {
            AwsError::invalid("AllocateAddress", "no allocation id in the answer")
        })?;
        let public_ip = out
            .public_ip()
            .ok_or_else(|| AwsError::invalid("AllocateAddress", "no public IP in the answer"))?;
        Ok(Created {
            id: CloudId::new(id),
            outputs: [
                ("id".into(), id.to_string()),
                ("public_ip".into(), public_ip.to_string()),
            ]
            .into(),
        })
    }

    /// Only the tags of an address change in place (its domain replaces).
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &ElasticIpSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_ec2(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Retried while the address is still associated: a NAT gateway gives up its
    /// address only as it finishes deleting (AWS answers `InvalidIPAddress.InUse`).
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        wait::while_in_use(wait::WaitPolicy::minutes(5), || async {
            aws.ec2
                .release_address()
                .allocation_id(id.as_str())
                .send()
                .await
                .op("ReleaseAddress")
                .map(|_| ())
        })
        .await
    }
}

fn live(id: &str, address: &aws_sdk_ec2::types::Address) -> Result<Live, AwsError> {
    let public_ip = address
        .public_ip()
        .ok_or_else(|| AwsError::invalid("DescribeAddresses", "address without public IP"))?;
    Ok(Live {
        attrs: [
            (
                "domain".into(),
                address
                    .domain()
                    .map(|d| d.as_str())
                    .unwrap_or_default()
                    .into(),
            ),
            (
                tags::ATTR.into(),
                tags::live_value(tags::ec2_pairs(address.tags())),
            ),
        ]
        .into(),
        outputs: [
            ("id".into(), id.to_string()),
            ("public_ip".into(), public_ip.to_string()),
        ]
        .into(),
    })
}
