//! VPC flow log, delivered to a CloudWatch log group through an IAM role that VPC
//! Flow Logs assumes. The id is the flow log id (`fl-...`).
//!
//! Nothing of a flow log can change in place except its tags: another traffic type,
//! log group or role is a new flow log. EC2 answers CreateFlowLogs and DeleteFlowLogs
//! with per-resource failures inside a successful response, so both look at the
//! `Unsuccessful` list instead of trusting the status alone.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{ec2_filters, ec2_ours, single};
use super::tags::{self, Tags, ec2_tag_spec};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs, known, wanted_ref};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::wait::{self, Poll, WaitPolicy};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome};
use aws_sdk_ec2::types::{
    FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType, UnsuccessfulItem,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowLogSpec {
    pub vpc: Ref,
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic_type: String,
    /// The log group's name (its id).
    pub log_group: Ref,
    /// The ARN of the role VPC Flow Logs assumes to write to the group.
    pub role: Ref,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct FlowLog;

/// How long a new flow log may take to report its first delivery status.
const DELIVERY_WAIT: WaitPolicy = WaitPolicy::within(std::time::Duration::from_secs(60));

impl Facts for FlowLog {
    const SERVICE: Service = Service::Ec2;
    const IMPORT_ID: &'static str = "its flow log id (fl-...)";

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

impl Resource for FlowLog {
    const KIND: Kind = Kind::FlowLog;
    const REPLACE_ON: &'static [&'static str] = &["vpc_id", "traffic_type", "log_group", "role"];
    /// The role VPC Flow Logs assumes was made a moment ago: until IAM has
    /// propagated it, CreateFlowLogs cannot assume it (terraform-provider-aws retries
    /// "Unable to assume given IAM role" for `iamPropagationTimeout`, two minutes).
    const TRANSIENT: &'static [Transient] = &[
        Transient::says(
            "CreateFlowLogs",
            "InvalidParameter",
            "Unable to assume given IAM role",
        ),
        Transient::code("CreateFlowLogs", "InvalidVpcID.NotFound"),
    ];
    /// A second flow log of the same VPC into another group may exist beside the old
    /// one, so the VPC is never without one during a replacement.
    const CREATE_BEFORE_DESTROY: bool = true;
    /// CreateFlowLogs succeeds even when nothing can be delivered (the role cannot be
    /// assumed or may not write to the group): the flow log says so in its delivery
    /// status, which `wait_ready` reads.
    const WAITS: bool = true;
    type Spec = FlowLogSpec;

    fn wanted(spec: &FlowLogSpec, lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("vpc_id".into(), wanted_ref(lookup, &spec.vpc)),
            ("traffic_type".into(), known(spec.traffic_type.clone())),
            ("log_group".into(), wanted_ref(lookup, &spec.log_group)),
            ("role".into(), wanted_ref(lookup, &spec.role)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let Some(flow_log) = describe(aws, id).await? else {
            return Ok(None);
        };
        let text = |v: Option<&str>| v.unwrap_or_default().to_string();
        Ok(Some(Live {
            attrs: [
                ("vpc_id".into(), text(flow_log.resource_id()).into()),
                (
                    "traffic_type".into(),
                    text(flow_log.traffic_type().map(TrafficType::as_str)).into(),
                ),
                ("log_group".into(), text(flow_log.log_group_name()).into()),
                (
                    "role".into(),
                    text(flow_log.deliver_logs_permission_arn()).into(),
                ),
                (
                    tags::ATTR.into(),
                    tags::live_value(tags::ec2_pairs(flow_log.tags())),
                ),
            ]
            .into(),
            outputs: [("id".into(), id.to_string())].into(),
        }))
    }

    async fn find(ctx: &Ctx<'_>, _spec: &FlowLogSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .ec2
            .describe_flow_logs()
            .set_filter(Some(ec2_filters(ctx)))
            .send()
            .await
            .op("DescribeFlowLogs")?;
        let ids = out
            .flow_logs()
            .iter()
            .filter(|f| ec2_ours(ctx, f.tags()))
            .filter_map(|f| f.flow_log_id().map(str::to_string))
            .collect();
        single(ctx, "flow log", ids)
    }

    async fn create(ctx: &Ctx<'_>, spec: &FlowLogSpec) -> Result<Created, AwsError> {
        let out = ctx
            .aws
            .ec2
            .create_flow_logs()
            .resource_type(FlowLogsResourceType::Vpc)
            .resource_ids(ctx.resolve(&spec.vpc)?)
            .traffic_type(TrafficType::from(spec.traffic_type.as_str()))
            .log_destination_type(LogDestinationType::CloudWatchLogs)
            .log_group_name(ctx.resolve(&spec.log_group)?)
            .deliver_logs_permission_arn(ctx.resolve(&spec.role)?)
            .tag_specifications(ec2_tag_spec(
                ResourceType::VpcFlowLog,
                &ctx.tags(&spec.tags),
            ))
            .client_token(ctx.token())
            .customize()
            .config_override(unknown_outcome::ec2())
            .send()
            .await
            .op("CreateFlowLogs")?;
        if let Some(failure) = out.unsuccessful().first() {
            return Err(refused("CreateFlowLogs", failure));
        }
        let id = out
            .flow_log_ids()
            .first()
            .ok_or_else(|| AwsError::invalid("CreateFlowLogs", "no flow log id in the answer"))?;
        let id = CloudId::new(id);
        Ok(Created {
            outputs: [("id".into(), id.to_string())].into(),
            id,
        })
    }

    /// Until EC2 reports how delivery went: SUCCESS is ready, FAILED an error that
    /// says why ("Access error": the role cannot be assumed or may not write to the
    /// group) instead of an apply that reports success while no log ever arrives.
    async fn wait_ready(ctx: &Ctx<'_>, id: &CloudId, spec: &FlowLogSpec) -> Result<(), AwsError> {
        let aws = ctx.aws;
        let role = ctx.resolve(&spec.role)?;
        let group = ctx.resolve(&spec.log_group)?;
        wait::until("CreateFlowLogs", DELIVERY_WAIT, || async {
            let Some(flow_log) = describe(aws, id).await? else {
                return Ok(Poll::Pending("not visible yet".into()));
            };
            match flow_log.deliver_logs_status() {
                Some("FAILED") => Err(AwsError::invalid(
                    "CreateFlowLogs",
                    format!(
                        "flow log {id} cannot deliver to log group {group}: {}. Check that \
                         role {role} trusts vpc-flow-logs.amazonaws.com and may write to the \
                         group",
                        flow_log
                            .deliver_logs_error_message()
                            .unwrap_or("no reason given")
                    ),
                )),
                Some("SUCCESS") | None => Ok(Poll::Ready(())),
                Some(other) => Ok(Poll::Pending(format!("delivery status {other}"))),
            }
        })
        .await
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &FlowLogSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_ec2(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let Some(out) = aws
            .ec2
            .delete_flow_logs()
            .flow_log_ids(id.as_str())
            .send()
            .await
            .op("DeleteFlowLogs")
            .found()?
        else {
            return Ok(());
        };
        // An id EC2 no longer knows comes back as a failed item: gone, as asked.
        match out
            .unsuccessful()
            .first()
            .map(|f| refused("DeleteFlowLogs", f))
        {
            Some(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }
}

/// A failure EC2 reports inside a successful answer, as the error it stands for.
fn refused(operation: &'static str, item: &UnsuccessfulItem) -> AwsError {
    let error = item.error();
    let code = error.and_then(|e| e.code()).unwrap_or("Unknown");
    let message = error.and_then(|e| e.message()).unwrap_or_default();
    AwsError::from_code(operation, code, message)
}

async fn describe(
    aws: &Aws,
    id: &CloudId,
) -> Result<Option<aws_sdk_ec2::types::FlowLog>, AwsError> {
    let out = aws
        .ec2
        .describe_flow_logs()
        .flow_log_ids(id.as_str())
        .send()
        .await
        .op("DescribeFlowLogs")
        .found()?;
    Ok(out.and_then(|o| o.flow_logs().first().cloned()))
}
