//! Subnet: one per AZ and tier (public, private).
//!
//! MapPublicIpOnLaunch stays off in both tiers: tasks in a public subnet get a public
//! IP only when their ECS service asks for one, so nothing becomes reachable from the
//! internet just by being launched into the subnet.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{ec2_filters, ec2_ours, single};
use super::tags::{self, Tags, ec2_tag_spec};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs, batch, known, wanted_ref};
use crate::address::{Address, CloudId, Kind};
use crate::aws::blockers::{self, Blocked};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, SdkResultExt, unknown_outcome, wait};
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubnetSpec {
    pub vpc: Ref,
    pub cidr: String,
    pub az: String,
    /// Public subnets route to the internet gateway; nothing is launched into them
    /// with a public IP unless the launcher asks (MapPublicIpOnLaunch stays off).
    pub public: bool,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct Subnet;

/// The attribute holding the subnet's zone name; `engine::zones` keeps a recorded
/// subnet in it.
pub const ZONE_ATTR: &str = "availability_zone";

impl Facts for Subnet {
    const SERVICE: Service = Service::Ec2;
    const IMPORT_ID: &'static str = "its subnet id (subnet-...)";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for Subnet {
    const KIND: Kind = Kind::Subnet;
    const REPLACE_ON: &'static [&'static str] = &["vpc_id", "cidr_block", "availability_zone"];
    /// The VPC just made, and the subnet itself right after its create, can be unknown
    /// for a moment (EC2 API reference, "Eventual consistency").
    const TRANSIENT: &'static [Transient] = &[
        Transient::code("CreateSubnet", "InvalidVpcID.NotFound"),
        Transient::code("ModifySubnetAttribute", "InvalidSubnetID.NotFound"),
    ];
    type Spec = SubnetSpec;

    fn wanted(spec: &SubnetSpec, lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("vpc_id".into(), wanted_ref(lookup, &spec.vpc)),
            ("cidr_block".into(), known(spec.cidr.clone())),
            ("availability_zone".into(), known(spec.az.clone())),
            ("map_public_ip_on_launch".into(), known(false)),
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
                .describe_subnets()
                .filters(batch::ec2_ids("subnet-id", chunk))
                .send()
                .await
                .op("DescribeSubnets")?;
            Ok(out
                .subnets()
                .iter()
                .filter_map(|s| Some((s.subnet_id()?.to_string(), live(s))))
                .collect())
        })
        .await
    }

    async fn find(ctx: &Ctx<'_>, _spec: &SubnetSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .ec2
            .describe_subnets()
            .set_filters(Some(ec2_filters(ctx)))
            .send()
            .await
            .op("DescribeSubnets")?;
        let ids = out
            .subnets()
            .iter()
            .filter(|s| ec2_ours(ctx, s.tags()))
            .filter_map(|s| s.subnet_id().map(str::to_string))
            .collect();
        single(ctx, "subnet", ids)
    }

    async fn create(ctx: &Ctx<'_>, spec: &SubnetSpec) -> Result<Created, AwsError> {
        let vpc_id = ctx.resolve(&spec.vpc)?;
        let out = ctx
            .aws
            .ec2
            .create_subnet()
            .vpc_id(vpc_id)
            .cidr_block(&spec.cidr)
            .availability_zone(&spec.az)
            .tag_specifications(ec2_tag_spec(ResourceType::Subnet, &ctx.tags(&spec.tags)))
            .customize()
            .config_override(unknown_outcome::ec2())
            .send()
            .await
            .op("CreateSubnet")?;
        let subnet = out
            .subnet()
            .ok_or_else(|| AwsError::invalid("CreateSubnet", "no subnet in the answer"))?;
        let id = subnet
            .subnet_id()
            .ok_or_else(|| AwsError::invalid("CreateSubnet", "no subnet id in the answer"))?;
        let id = CloudId::new(id);
        // A new subnet normally starts with the setting off, but a default subnet
        // starts with it on (moto turns it on for the first subnet it sees in an AZ):
        // turn it off before anything can be launched into it.
        if subnet.map_public_ip_on_launch().unwrap_or(false) {
            no_public_ip_on_launch(ctx.aws, &id).await?;
        }
        Ok(Created {
            outputs: outputs(subnet),
            id,
        })
    }

    /// Only `map_public_ip_on_launch` and the tags can differ here; everything else
    /// replaces.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &SubnetSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c == "map_public_ip_on_launch") {
            no_public_ip_on_launch(ctx.aws, id).await?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_ec2(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Retried while AWS answers DependencyViolation: the network interfaces of
    /// stopped tasks, load balancers and NAT gateways linger for minutes. Past the
    /// bound (`--dependency-timeout`), the error names the interfaces.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let policy = wait::WaitPolicy::within(aws.in_use_timeout);
        let result = wait::while_in_use(policy, || async {
            aws.ec2
                .delete_subnet()
                .subnet_id(id.as_str())
                .send()
                .await
                .op("DeleteSubnet")
                .map(|_| ())
        })
        .await;
        blockers::explain(aws, Blocked::Subnet(id.as_str()), policy.timeout, result).await
    }
}

async fn no_public_ip_on_launch(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    aws.ec2
        .modify_subnet_attribute()
        .subnet_id(id.as_str())
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .op("ModifySubnetAttribute")?;
    Ok(())
}

fn live(subnet: &aws_sdk_ec2::types::Subnet) -> Live {
    Live {
        attrs: [
            ("vpc_id".into(), subnet.vpc_id().unwrap_or_default().into()),
            (
                "cidr_block".into(),
                subnet.cidr_block().unwrap_or_default().into(),
            ),
            (
                "availability_zone".into(),
                subnet.availability_zone().unwrap_or_default().into(),
            ),
            (
                "map_public_ip_on_launch".into(),
                subnet.map_public_ip_on_launch().unwrap_or(false).into(),
            ),
            (
                tags::ATTR.into(),
                tags::live_value(tags::ec2_pairs(subnet.tags())),
            ),
        ]
        .into(),
        outputs: outputs(subnet),
    }
}

/// The id, and the zone's id (`euw2-az2`): zone names map to different physical
/// zones in each account, so the id is what says where the subnet really is.
fn outputs(subnet: &aws_sdk_ec2::types::Subnet) -> super::Outputs {
    let mut outputs = super::Outputs::from([(
        "id".into(),
        subnet.subnet_id().unwrap_or_default().to_string(),
    )]);
    if let Some(zone_id) = subnet.availability_zone_id() {
        outputs.insert("az_id".into(), zone_id.to_string());
    }
    outputs
}
