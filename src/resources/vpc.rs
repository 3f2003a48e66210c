//! VPC, with DNS hostnames on: interface endpoints with private DNS need them, and
//! tasks resolve each other by name.
//!
//! AWS gives every VPC a default security group that admits all traffic from its
//! own members and lets everything out, and puts anything launched without a group
//! into it. Nothing of the stack uses it, so it is stripped of every rule as soon as
//! the VPC exists: an instance or endpoint someone launches into the VPC by hand
//! then starts unreachable and unable to call out, instead of open. The group is
//! owned by the VPC (AWS creates and deletes it with the VPC, it cannot be deleted on
//! its own), so its rules are an attribute of the VPC, `default_security_group`,
//! read back like a security group's rules: a rule added by hand shows as drift and
//! the next apply revokes it.
//!
//! Both finishing touches run in the VPC's ready step: no resource of the stack needs
//! hostnames or a locked-down default group to be created (`READY_BEFORE` is empty),
//! so subnets, gateways and groups start as soon as CreateVpc has answered with the
//! id. A run interrupted before the ready step leaves drift on those two attributes,
//! which the next apply's update fixes.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{ec2_filters, ec2_ours, single};
use super::security_group::rules_value;
use super::tags::{self, Tags, ec2_tag_spec};
use super::{Created, Ctx, Live, Lookup, Resource, WantedAttrs, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::blockers::{self, Blocked};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome, wait};
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, VpcAttributeName};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VpcSpec {
    pub cidr: String,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct Vpc;

/// The attribute holding the rules of the VPC's default security group.
const DEFAULT_SECURITY_GROUP: &str = "default_security_group";

impl Facts for Vpc {
    const SERVICE: Service = Service::Ec2;
    const IMPORT_ID: &'static str = "its VPC id (vpc-...)";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, record: &Record) -> Vec<(String, String)> {
        vec![("vpc_id".into(), record.id.to_string())]
    }
}

impl Resource for Vpc {
    const KIND: Kind = Kind::Vpc;
    const REPLACE_ON: &'static [&'static str] = &["cidr_block"];
    /// A VPC just made can be unknown for a moment to the calls of its ready step,
    /// which read and turn on its DNS settings and strip its default group (EC2 API reference, "Eventual consistency";
    /// terraform-provider-aws `ec2PropagationTimeout`).
    const TRANSIENT: &'static [Transient] = &[
        Transient::code("DescribeVpcAttribute", "InvalidVpcID.NotFound"),
        Transient::code("ModifyVpcAttribute", "InvalidVpcID.NotFound"),
        Transient::code("RevokeSecurityGroupIngress", "InvalidGroup.NotFound"),
        Transient::code("RevokeSecurityGroupEgress", "InvalidGroup.NotFound"),
    ];
    const REPLACE_WARNING: Option<&'static str> = Some(
        "everything inside the VPC is replaced with it: the app is down until the new network, load balancer and service are up",
    );
    /// Its ready step turns DNS hostnames on and locks the default group down.
    const WAITS: bool = true;
    type Spec = VpcSpec;

    fn wanted(spec: &VpcSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("cidr_block".into(), known(spec.cidr.clone())),
            ("dns_hostnames".into(), known(true)),
            ("dns_support".into(), known(true)),
            (
                DEFAULT_SECURITY_GROUP.into(),
                known(json!({"ingress": [], "egress": []})),
            ),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    /// All four reads at once (a plan is as deep as its deepest read); when the VPC is
    /// gone, what the others answered does not matter.
    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let (out, hostnames, support, default_group) = tokio::join!(
            async {
                aws.ec2
                    .describe_vpcs()
                    .vpc_ids(id.as_str())
                    .send()
                    .await
                    .op("DescribeVpcs")
                    .found()
            },
            attribute(aws, id, VpcAttributeName::EnableDnsHostnames),
            attribute(aws, id, VpcAttributeName::EnableDnsSupport),
            default_security_group(aws, id),
        );
        let out = out?;
        let Some(vpc) = out.as_ref().and_then(|o| o.vpcs().first()) else {
            return Ok(None);
        };
        let (hostnames, support) = (hostnames?, support?);
        // No group at all differs from every wanted value: the update looks again.
        let default_rules = match default_group? {
            Some(g) => json!({
                "ingress": rules_value(g.ip_permissions()),
                "egress": rules_value(g.ip_permissions_egress()),
            }),
            None => Value::Null,
        };
        Ok(Some(Live {
            attrs: [
                (
                    "cidr_block".into(),
                    vpc.cidr_block().unwrap_or_default().into(),
                ),
                ("dns_hostnames".into(), hostnames.into()),
                ("dns_support".into(), support.into()),
                (DEFAULT_SECURITY_GROUP.into(), default_rules),
                (
                    tags::ATTR.into(),
                    tags::live_value(tags::ec2_pairs(vpc.tags())),
                ),
            ]
            .into(),
            outputs: [("id".into(), id.to_string())].into(),
        }))
    }

    async fn find(ctx: &Ctx<'_>, _spec: &VpcSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .ec2
            .describe_vpcs()
            .set_filters(Some(ec2_filters(ctx)))
            .send()
            .await
            .op("DescribeVpcs")?;
        let ids = out
            .vpcs()
            .iter()
            .filter(|v| ec2_ours(ctx, v.tags()))
            .filter_map(|v| v.vpc_id().map(str::to_string))
            .collect();
        single(ctx, "VPC", ids)
    }

    async fn create(ctx: &Ctx<'_>, spec: &VpcSpec) -> Result<Created, AwsError> {
        let out = ctx
            .aws
            .ec2
            .create_vpc()
            .cidr_block(&spec.cidr)
            .tag_specifications(ec2_tag_spec(ResourceType::Vpc, &ctx.tags(&spec.tags)))
            .customize()
            .config_override(unknown_outcome::ec2())
            .send()
            .await
            .op("CreateVpc")?;
        let id = out
            .vpc()
            .and_then(|v| v.vpc_id())
            .ok_or_else(|| AwsError::invalid("CreateVpc", "no VPC id in the answer"))?;
        let id = CloudId::new(id);
        Ok(Created {
            outputs: [("id".into(), id.to_string())].into(),
            id,
        })
    }

    /// Hostnames on and the default group without rules; after an update, which set
    /// both if they had drifted, this only looks. Support is on in a new VPC (EC2's
    /// default).
    async fn wait_ready(ctx: &Ctx<'_>, id: &CloudId, _spec: &VpcSpec) -> Result<(), AwsError> {
        let aws = ctx.aws;
        let hostnames = async {
            if !attribute(aws, id, VpcAttributeName::EnableDnsHostnames).await? {
                enable_dns_hostnames(aws, id).await?;
            }
            Ok(())
        };
        tokio::try_join!(hostnames, strip_default_security_group(aws, id))?;
        Ok(())
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &VpcSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed
            .iter()
            .any(|c| c == "dns_hostnames" || c == "dns_support")
        {
            set_dns(ctx.aws, id).await?;
        }
        if changed.iter().any(|c| c == DEFAULT_SECURITY_GROUP) {
            strip_default_security_group(ctx.aws, id).await?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_ec2(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Retried while AWS answers DependencyViolation: the stack's own subnets and
    /// groups are gone by now, but interfaces linger and others' objects may be in
    /// the VPC. Past the bound (`--dependency-timeout`), the error names them.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let policy = wait::WaitPolicy::within(aws.in_use_timeout);
        let result = wait::while_in_use(policy, || async {
            aws.ec2
                .delete_vpc()
                .vpc_id(id.as_str())
                .send()
                .await
                .op("DeleteVpc")
                .map(|_| ())
        })
        .await;
        blockers::explain(aws, Blocked::Vpc(id.as_str()), policy.timeout, result).await
    }
}

/// The VPC's default security group; None while EC2 has not made it visible.
async fn default_security_group(
    aws: &Aws,
    id: &CloudId,
) -> Result<Option<aws_sdk_ec2::types::SecurityGroup>, AwsError> {
    let filter = |name: &str, value: &str| Filter::builder().name(name).values(value).build();
    let out = aws
        .ec2
        .describe_security_groups()
        .filters(filter("vpc-id", id.as_str()))
        .filters(filter("group-name", "default"))
        .send()
        .await
        .op("DescribeSecurityGroups")?;
    Ok(out.security_groups().first().cloned())
}

/// Revokes every rule of the VPC's default security group, each direction in one
/// call with the permissions as described (a self-reference included). The group of
/// a VPC just created may not be visible for a moment (EC2 is eventually
/// consistent), so it is awaited briefly.
async fn strip_default_security_group(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    let group = wait::until(
        "wait for the VPC's default security group",
        wait::WaitPolicy::minutes(1),
        || async {
            Ok(match default_security_group(aws, id).await? {
                Some(group) => wait::Poll::Ready(group),
                None => wait::Poll::Pending("not visible yet".into()),
            })
        },
    )
    .await?;
    let group_id = group
        .group_id()
        .ok_or_else(|| AwsError::invalid("DescribeSecurityGroups", "no group id in the answer"))?;
    let ingress = async {
        if group.ip_permissions().is_empty() {
            return Ok(());
        }
        aws.ec2
            .revoke_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(group.ip_permissions().to_vec()))
            .send()
            .await
            .op("RevokeSecurityGroupIngress")
            // "Not found": the rules are gone, as asked (the SDK retried a revoke
            // whose answer was lost after EC2 carried it out).
            .found()
            .map(drop)
    };
    let egress = async {
        if group.ip_permissions_egress().is_empty() {
            return Ok(());
        }
        aws.ec2
            .revoke_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(group.ip_permissions_egress().to_vec()))
            .send()
            .await
            .op("RevokeSecurityGroupEgress")
            .found()
            .map(drop)
    };
    tokio::try_join!(ingress, egress)?;
    Ok(())
}

/// DNS support and hostnames take one call each: EC2 refuses both in one request,
/// and hostnames need support on, so support goes first.
async fn set_dns(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    aws.ec2
        .modify_vpc_attribute()
        .vpc_id(id.as_str())
        .enable_dns_support(on())
        .send()
        .await
        .op("ModifyVpcAttribute")?;
    enable_dns_hostnames(aws, id).await
}

async fn enable_dns_hostnames(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    aws.ec2
        .modify_vpc_attribute()
        .vpc_id(id.as_str())
        .enable_dns_hostnames(on())
        .send()
        .await
        .op("ModifyVpcAttribute")?;
    Ok(())
}

fn on() -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(true).build()
}

async fn attribute(aws: &Aws, id: &CloudId, name: VpcAttributeName) -> Result<bool, AwsError> {
    let out = aws
        .ec2
        .describe_vpc_attribute()
        .vpc_id(id.as_str())
        .attribute(name.clone())
        .send()
        .await
        .op("DescribeVpcAttribute")?;
    let value = match name {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
        _ => out.enable_dns_support(),
    };
    Ok(value.and_then(|v| v.value()).unwrap_or(false))
}
