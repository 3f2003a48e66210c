//! VPC, with DNS hostnames on: ALB and interface endpoints need them, and tasks
//! resolve each other by name.

use super::ownership::{ec2_filters, ec2_ours, single};
use super::tags::{self, Tags, ec2_tag_spec};
use super::{Created, Ctx, Live, Lookup, Resource, WantedAttrs, known};
use crate::address::{CloudId, Kind};
use crate::aws::blockers::{self, Blocked};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, wait};
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VpcSpec {
    pub cidr: String,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct Vpc;

impl Resource for Vpc {
    const KIND: Kind = Kind::Vpc;
    const REPLACE_ON: &'static [&'static str] = &["cidr_block"];
    const REPLACE_WARNING: Option<&'static str> = Some(
        "everything inside the VPC is replaced with it: the app is down until the new network, load balancer and service are up",
    );
    type Spec = VpcSpec;

    fn wanted(spec: &VpcSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("cidr_block".into(), known(spec.cidr.clone())),
            ("dns_hostnames".into(), known(true)),
            ("dns_support".into(), known(true)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let out = aws
            .ec2
            .describe_vpcs()
            .vpc_ids(id.as_str())
            .send()
            .await
            .op("DescribeVpcs")
            .found()?;
        let Some(vpc) = out.as_ref().and_then(|o| o.vpcs().first()) else {
            return Ok(None);
        };
        let hostnames = attribute(aws, id, VpcAttributeName::EnableDnsHostnames).await?;
        let support = attribute(aws, id, VpcAttributeName::EnableDnsSupport).await?;
        Ok(Some(Live {
            attrs: [
                (
                    "cidr_block".into(),
                    vpc.cidr_block().unwrap_or_default().into(),
                ),
                ("dns_hostnames".into(), hostnames.into()),
                ("dns_support".into(), support.into()),
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
            .send()
            .await
            .op("CreateVpc")?;
        let id = out
            .vpc()
            .and_then(|v| v.vpc_id())
            .ok_or_else(|| AwsError::invalid("CreateVpc", "no VPC id in the answer"))?;
        let id = CloudId::new(id);
        set_dns(ctx.aws, &id).await?;
        Ok(Created {
            outputs: [("id".into(), id.to_string())].into(),
            id,
        })
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
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_ec2(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Retried while something the stack does not know of is still in the VPC;
    /// past the bound, the error names it.
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

/// DNS support and hostnames take one call each: EC2 refuses both in one request.
async fn set_dns(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    let on = || AttributeBooleanValue::builder().value(true).build();
    aws.ec2
        .modify_vpc_attribute()
        .vpc_id(id.as_str())
        .enable_dns_support(on())
        .send()
        .await
        .op("ModifyVpcAttribute")?;
    aws.ec2
        .modify_vpc_attribute()
        .vpc_id(id.as_str())
        .enable_dns_hostnames(on())
        .send()
        .await
        .op("ModifyVpcAttribute")?;
    Ok(())
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
