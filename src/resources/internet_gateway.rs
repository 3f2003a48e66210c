//! Internet gateway, created and attached to the VPC in one step: an unattached
//! gateway is of no use to anything that depends on it (public routes).

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{ec2_filters, ec2_ours, single};
use super::tags::{self, Tags, ec2_tag_spec};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs, batch, known, wanted_ref};
use crate::address::{Address, CloudId, Kind};
use crate::aws::blockers::{self, Blocked};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome, wait};
use aws_sdk_ec2::types::{AttachmentStatus, ResourceType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InternetGatewaySpec {
    pub vpc: Ref,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct InternetGateway;

impl Facts for InternetGateway {
    const SERVICE: Service = Service::Ec2;
    const IMPORT_ID: &'static str = "its gateway id (igw-...)";

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

impl Resource for InternetGateway {
    const KIND: Kind = Kind::InternetGateway;
    const REPLACE_ON: &'static [&'static str] = &[];
    /// The gateway and the VPC were made a moment ago (terraform-provider-aws retries
    /// AttachInternetGateway on `InvalidInternetGatewayID.NotFound`).
    const TRANSIENT: &'static [Transient] = &[
        Transient::code("AttachInternetGateway", "InvalidInternetGatewayID.NotFound"),
        Transient::code("AttachInternetGateway", "InvalidVpcID.NotFound"),
    ];
    type Spec = InternetGatewaySpec;

    fn wanted(spec: &InternetGatewaySpec, lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("vpc_id".into(), wanted_ref(lookup, &spec.vpc)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    /// `vpc_id` is null when the gateway is attached nowhere.
    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        batch::by_chunks(ids, batch::EC2_IDS, |chunk| async move {
            let out = aws
                .ec2
                .describe_internet_gateways()
                .filters(batch::ec2_ids("internet-gateway-id", chunk))
                .send()
                .await
                .op("DescribeInternetGateways")?;
            Ok(out
                .internet_gateways()
                .iter()
                .filter_map(|o| Some((o.internet_gateway_id()?.to_string(), live(o))))
                .collect())
        })
        .await
    }

    /// By tag, attached or not: a gateway found detached is adopted, and the plan
    /// attaches it.
    async fn find(ctx: &Ctx<'_>, _spec: &InternetGatewaySpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .ec2
            .describe_internet_gateways()
            .set_filters(Some(ec2_filters(ctx)))
            .send()
            .await
            .op("DescribeInternetGateways")?;
        let ids = out
            .internet_gateways()
            .iter()
            .filter(|g| ec2_ours(ctx, g.tags()))
            .filter_map(|g| g.internet_gateway_id().map(str::to_string))
            .collect();
        single(ctx, "internet gateway", ids)
    }

    async fn create(ctx: &Ctx<'_>, spec: &InternetGatewaySpec) -> Result<Created, AwsError> {
        let vpc_id = ctx.resolve(&spec.vpc)?;
        let out = ctx
            .aws
            .ec2
            .create_internet_gateway()
            .tag_specifications(ec2_tag_spec(
                ResourceType::InternetGateway,
                &ctx.tags(&spec.tags),
            ))
            .customize()
            .config_override(unknown_outcome::ec2())
            .send()
            .await
            .op("CreateInternetGateway")?;
        let id = out
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .ok_or_else(|| {
                AwsError::invalid("CreateInternetGateway", "no gateway id in the answer")
            })?;
        let id = CloudId::new(id);
        // A gateway whose attach fails stays: it is tagged and its intent is in the
        // state, so the next run finds it and attaches it (an update) instead of
        // making another. Deleting it here would wait out --dependency-timeout when
        // the attach did happen and only its answer was lost.
        attach(ctx.aws, &id, &vpc_id).await?;
        Ok(Created {
            outputs: [("id".into(), id.to_string())].into(),
            id,
        })
    }

    /// A gateway attaches to one VPC at a time: detach from the old, attach to the new.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &InternetGatewaySpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c == "vpc_id") {
            move_to(ctx, id, spec).await?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_ec2(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Detach first: AWS refuses to delete an attached gateway.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let Some(attached) = attached_vpcs(aws, id).await? else {
            return Ok(());
        };
        for vpc_id in &attached {
            detach(aws, id, vpc_id).await?;
        }
        delete_gateway(aws, id).await
    }
}

/// Attached to the VPC of `spec` and nothing else.
async fn move_to(ctx: &Ctx<'_>, id: &CloudId, spec: &InternetGatewaySpec) -> Result<(), AwsError> {
    let vpc_id = ctx.resolve(&spec.vpc)?;
    let attached = attached_vpcs(ctx.aws, id)
        .await?
        .ok_or_else(|| AwsError::not_found("DescribeInternetGateways", id.to_string()))?;
    if attached == [vpc_id.clone()] {
        return Ok(());
    }
    for old in &attached {
        detach(ctx.aws, id, old).await?;
    }
    attach(ctx.aws, id, &vpc_id).await
}

fn live(gateway: &aws_sdk_ec2::types::InternetGateway) -> Live {
    let vpc_id = attachments(gateway)
        .first()
        .map_or(Value::Null, |v| Value::from(v.clone()));
    Live {
        attrs: [
            ("vpc_id".into(), vpc_id),
            (
                tags::ATTR.into(),
                tags::live_value(tags::ec2_pairs(gateway.tags())),
            ),
        ]
        .into(),
        outputs: [(
            "id".into(),
            gateway.internet_gateway_id().unwrap_or_default().into(),
        )]
        .into(),
    }
}

async fn describe(
    aws: &Aws,
    id: &CloudId,
) -> Result<Option<aws_sdk_ec2::types::InternetGateway>, AwsError> {
    let out = aws
        .ec2
        .describe_internet_gateways()
        .internet_gateway_ids(id.as_str())
        .send()
        .await
        .op("DescribeInternetGateways")
        .found()?;
    Ok(out.and_then(|o| o.internet_gateways().first().cloned()))
}

/// The VPCs the gateway is attached to (attaching counts, detaching does not);
/// `None` when the gateway does not exist.
async fn attached_vpcs(aws: &Aws, id: &CloudId) -> Result<Option<Vec<String>>, AwsError> {
    Ok(describe(aws, id).await?.map(|g| attachments(&g)))
}

/// EC2 reports a live internet gateway attachment as "available" (moto too), which
/// the SDK has no variant for: count everything not on its way out.
fn attachments(gateway: &aws_sdk_ec2::types::InternetGateway) -> Vec<String> {
    gateway
        .attachments()
        .iter()
        .filter(|a| {
            !matches!(
                a.state(),
                Some(AttachmentStatus::Detached | AttachmentStatus::Detaching)
            )
        })
        .filter_map(|a| a.vpc_id().map(str::to_string))
        .collect()
}

/// "Already associated" with the VPC it should be attached to is success: the SDK
/// retried an attach whose answer was lost after EC2 carried it out.
async fn attach(aws: &Aws, id: &CloudId, vpc_id: &str) -> Result<(), AwsError> {
    let result = aws
        .ec2
        .attach_internet_gateway()
        .internet_gateway_id(id.as_str())
        .vpc_id(vpc_id)
        .send()
        .await
        .op("AttachInternetGateway");
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code == ALREADY_ASSOCIATED => {
            let attached = attached_vpcs(aws, id).await?.unwrap_or_default();
            if attached.iter().any(|v| v == vpc_id) {
                Ok(())
            } else {
                Err(e)
            }
        }
        Err(e) => Err(e),
    }
}

/// EC2's answer to attaching a gateway that is attached already.
const ALREADY_ASSOCIATED: &str = "Resource.AlreadyAssociated";

/// Retried while AWS answers DependencyViolation: a VPC with public addresses still
/// mapped (a NAT gateway's elastic IP that is being released) cannot lose its
/// gateway yet; past the bound, the error names the interfaces with public
/// addresses. A gateway already detached from this VPC is fine.
async fn detach(aws: &Aws, id: &CloudId, vpc_id: &str) -> Result<(), AwsError> {
    let policy = wait::WaitPolicy::within(aws.in_use_timeout);
    let result = wait::while_in_use(policy, || async {
        match aws
            .ec2
            .detach_internet_gateway()
            .internet_gateway_id(id.as_str())
            .vpc_id(vpc_id)
            .send()
            .await
            .op("DetachInternetGateway")
        {
            Ok(_) => Ok(()),
            Err(e) if e.code == "Gateway.NotAttached" => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await;
    blockers::explain(
        aws,
        Blocked::GatewayAttachment { vpc: vpc_id },
        policy.timeout,
        result,
    )
    .await
}

async fn delete_gateway(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    wait::while_in_use(wait::WaitPolicy::within(aws.in_use_timeout), || async {
        aws.ec2
            .delete_internet_gateway()
            .internet_gateway_id(id.as_str())
            .send()
            .await
            .op("DeleteInternetGateway")
            .map(|_| ())
    })
    .await
}
