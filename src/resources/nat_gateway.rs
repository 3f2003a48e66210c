//! NAT gateway in a public subnet: egress for tasks in private subnets.
//!
//! Read treats a gateway in state `deleted` or `failed` as gone: neither can ever
//! become available again (AWS removes failed gateways by itself), so the plan must
//! create a new one. A gateway that is `deleting` is still there: its elastic IP and
//! network interface are not yet free, and delete still has to wait for it.

use super::facts::{self, Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{ec2_filters, ec2_ours, single};
use super::tags::{self, Tags, ec2_tag_spec};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs, batch, known, wanted_ref};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::wait::{self, Poll, WaitPolicy};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome};
use aws_sdk_ec2::types::{NatGatewayState, ResourceType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NatGatewaySpec {
    pub subnet: Ref,
    pub eip: Ref,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct NatGateway;

impl Facts for NatGateway {
    const SERVICE: Service = Service::Ec2;
    const IMPORT_ID: &'static str = "its NAT gateway id (nat-...)";

    fn usual_minutes(action: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        match action {
            Action::Create | Action::Replace => Some((1, 3)),
            Action::Delete => Some((1, 2)),
            _ => None,
        }
    }

    fn cost(address: &Address, _: &Self::Spec, _: &Specs<'_>, p: &Prices) -> Option<Item> {
        Some(Item {
            what: format!("{address}: NAT gateway"),
            monthly: facts::month(p.nat_gateway),
            up_to: None,
        })
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for NatGateway {
    const KIND: Kind = Kind::NatGateway;
    const REPLACE_ON: &'static [&'static str] = &["subnet_id", "allocation_id"];
    /// Its subnet and address were made a moment ago (EC2 API reference, "Eventual
    /// consistency").
    const TRANSIENT: &'static [Transient] = &[
        Transient::code("CreateNatGateway", "InvalidSubnetID.NotFound"),
        Transient::code("CreateNatGateway", "InvalidAllocationID.NotFound"),
    ];
    const WAITS: bool = true;
    /// A route table routes through the gateway only once it is available (a route to
    /// a pending one carries nothing), and the services behind that route pull their
    /// images through it the moment they start.
    const READY_BEFORE: &'static [Kind] = &[Kind::RouteTable];
    const REPLACE_WARNING: Option<&'static str> = Some(
        "tasks in the private subnets have no outbound internet access (image pulls, external APIs) until the new NAT gateway is available",
    );
    type Spec = NatGatewaySpec;

    fn wanted(spec: &NatGatewaySpec, lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("subnet_id".into(), wanted_ref(lookup, &spec.subnet)),
            ("allocation_id".into(), wanted_ref(lookup, &spec.eip)),
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
                .describe_nat_gateways()
                .filter(batch::ec2_ids("nat-gateway-id", chunk))
                .send()
                .await
                .op("DescribeNatGateways")?;
            Ok(out
                .nat_gateways()
                .iter()
                .filter_map(|o| Some((o.nat_gateway_id()?.to_string(), live(o)?)))
                .collect())
        })
        .await
    }

    /// By tag, skipping gateways that are gone or going (`deleted`, `deleting`,
    /// `failed`): none of them can serve again. The tags are checked here as well
    /// because moto ignores tag filters on DescribeNatGateways.
    async fn find(ctx: &Ctx<'_>, _spec: &NatGatewaySpec) -> Result<Option<CloudId>, AwsError> {
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let out = ctx
                .aws
                .ec2
                .describe_nat_gateways()
                .set_filter(Some(ec2_filters(ctx)))
                .set_next_token(token)
                .send()
                .await
                .op("DescribeNatGateways")?;
            ids.extend(
                out.nat_gateways()
                    .iter()
                    .filter(|g| {
                        !matches!(
                            g.state(),
                            Some(
                                NatGatewayState::Deleted
                                    | NatGatewayState::Deleting
                                    | NatGatewayState::Failed
                            )
                        )
                    })
                    .filter(|g| ec2_ours(ctx, g.tags()))
                    .filter_map(|g| g.nat_gateway_id().map(str::to_string)),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        single(ctx, "NAT gateway", ids)
    }

    async fn create(ctx: &Ctx<'_>, spec: &NatGatewaySpec) -> Result<Created, AwsError> {
        let subnet_id = ctx.resolve(&spec.subnet)?;
        let allocation_id = ctx.resolve(&spec.eip)?;
        let out = ctx
            .aws
            .ec2
            .create_nat_gateway()
            .subnet_id(&subnet_id)
            .allocation_id(&allocation_id)
            .client_token(ctx.token())
            .tag_specifications(ec2_tag_spec(
                ResourceType::Natgateway,
                &ctx.tags(&spec.tags),
            ))
            .customize()
            .config_override(unknown_outcome::ec2())
            .send()
            .await
            .op("CreateNatGateway")?;
        let id = out
            .nat_gateway()
            .and_then(|g| g.nat_gateway_id())
            .ok_or_else(|| {
                AwsError::invalid("CreateNatGateway", "no NAT gateway id in the answer")
            })?;
        Ok(Created {
            id: CloudId::new(id),
            outputs: [("id".into(), id.to_string())].into(),
        })
    }

    /// A new gateway is `pending` for a minute or more; routes to it work only once
    /// it is `available`. `failed` ends the wait with AWS's reason (a subnet without
    /// free addresses, an elastic IP in use elsewhere, ...).
    async fn wait_ready(
        ctx: &Ctx<'_>,
        id: &CloudId,
        _spec: &NatGatewaySpec,
    ) -> Result<(), AwsError> {
        let aws = ctx.aws;
        wait::until(
            "wait for NAT gateway available",
            WaitPolicy::minutes(10),
            || async {
                // EC2 is eventually consistent: a gateway just created may not be
                // visible for a moment.
                let Some(gateway) = describe(aws, id).await? else {
                    return Ok(Poll::Pending("not visible yet".into()));
                };
                match gateway.state() {
                    Some(NatGatewayState::Available) => Ok(Poll::Ready(())),
                    Some(NatGatewayState::Failed) => Err(AwsError::invalid(
                        "CreateNatGateway",
                        format!(
                            "NAT gateway {id} failed: {}: {}",
                            gateway.failure_code().unwrap_or("no code"),
                            gateway.failure_message().unwrap_or("no message")
                        ),
                    )),
                    Some(NatGatewayState::Deleting | NatGatewayState::Deleted) => {
                        Err(AwsError::invalid(
                            "CreateNatGateway",
                            format!(
                                "NAT gateway {id} is being deleted instead of becoming available"
                            ),
                        ))
                    }
                    other => Ok(Poll::Pending(format!("state {other:?}"))),
                }
            },
        )
        .await
    }

    /// Subnet and address replace; only the tags change in place.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &NatGatewaySpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_ec2(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Waits for `deleted`: until then the gateway keeps its elastic IP and its
    /// network interface in the subnet, so neither can be released or deleted.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let state = describe(aws, id).await?.and_then(|g| g.state().cloned());
        match state {
            None | Some(NatGatewayState::Deleted) => return Ok(()),
            Some(NatGatewayState::Deleting) => {}
            Some(_) => {
                match aws
                    .ec2
                    .delete_nat_gateway()
                    .nat_gateway_id(id.as_str())
                    .send()
                    .await
                    .op("DeleteNatGateway")
                {
                    Ok(_) => {}
                    Err(e) if e.is_not_found() => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
        }
        wait::until(
            "wait for NAT gateway deleted",
            WaitPolicy::minutes(10),
            || async {
                match describe(aws, id).await?.map(|g| g.state().cloned()) {
                    // A failed gateway holds no address or interface any more.
                    None | Some(Some(NatGatewayState::Deleted | NatGatewayState::Failed)) => {
                        Ok(Poll::Ready(()))
                    }
                    Some(state) => Ok(Poll::Pending(format!("state {state:?}"))),
                }
            },
        )
        .await
    }
}

/// The gateway, `None` when AWS does not know it: AWS answers an unknown id with
/// `NatGatewayNotFound`, moto with an empty list.
/// A deleted or failed gateway is gone: `None`.
fn live(gateway: &aws_sdk_ec2::types::NatGateway) -> Option<Live> {
    if matches!(
        gateway.state(),
        Some(NatGatewayState::Deleted | NatGatewayState::Failed)
    ) {
        return None;
    }
    let allocation_id = gateway
        .nat_gateway_addresses()
        .iter()
        .find_map(|a| a.allocation_id())
        .unwrap_or_default();
    Some(Live {
        attrs: [
            (
                "subnet_id".into(),
                gateway.subnet_id().unwrap_or_default().into(),
            ),
            ("allocation_id".into(), allocation_id.into()),
            (
                tags::ATTR.into(),
                tags::live_value(tags::ec2_pairs(gateway.tags())),
            ),
        ]
        .into(),
        outputs: [(
            "id".into(),
            gateway.nat_gateway_id().unwrap_or_default().into(),
        )]
        .into(),
    })
}

async fn describe(
    aws: &Aws,
    id: &CloudId,
) -> Result<Option<aws_sdk_ec2::types::NatGateway>, AwsError> {
    let out = aws
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(id.as_str())
        .send()
        .await
        .op("DescribeNatGateways")
        .found()?;
    Ok(out.and_then(|o| o.nat_gateways().first().cloned()))
}
