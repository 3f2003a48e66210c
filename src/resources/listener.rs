//! ALB listener with its default action. The id is its ARN.

use super::facts::{Facts, Item, Prices, Record, Service, Specs};
use super::input::Input;
use super::ownership::{elb_tags_by_arn, ensure_elb_ours};
use super::tags::{self, Tags, elb_tags};
use super::{
    Created, Ctx, Live, Lookup, Ref, Resource, Wanted, WantedAttrs, batch, forward, known,
    wanted_ref,
};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, ProtocolEnum,
    RedirectActionConfig, RedirectActionStatusCodeEnum,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenerSpec {
    pub load_balancer: Ref,
    pub port: i32,
    /// "HTTP" or "HTTPS".
    pub protocol: String,
    /// The user's certificate, or the one requested for `[domain]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<Input>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<String>,
    pub default_action: ListenerAction,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerAction {
    Forward {
        target_group: Ref,
    },
    /// Permanent redirect to HTTPS on the given port.
    RedirectHttps {
        port: i32,
    },
    FixedResponse {
        status: i32,
        body: String,
    },
}

pub struct Listener;

/// AWS's recommended policy (TLS 1.3 and 1.2, forward secrecy only); AWS itself
/// would pick an older default when none is given.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const HTTPS: &str = "HTTPS";
const REDIRECT_STATUS: &str = "HTTP_301";

impl Facts for Listener {
    const SERVICE: Service = Service::ElasticLoadBalancing;
    const IMPORT_ID: &'static str = "its listener ARN";

    fn usual_minutes(_: crate::plan::Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for Listener {
    const KIND: Kind = Kind::Listener;
    /// A listener cannot move to another load balancer; port, protocol, certificate,
    /// policy and default action all change in place through ModifyListener.
    const REPLACE_ON: &'static [&'static str] = &["load_balancer_arn"];
    /// A forward to a new target group is staged (see `forward`).
    const STAGED: &'static [&'static str] = &["default_action"];
    /// `find`: listeners are listed per load balancer.
    const FIND_NEEDS: &'static [Kind] = &[Kind::LoadBalancer];
    const REPLACE_WARNING: Option<&'static str> = Some(
        "requests on this port are refused between the deletion of the old listener and the creation of the new one",
    );
    type Spec = ListenerSpec;

    fn wanted(spec: &ListenerSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let default_action = match &spec.default_action {
            ListenerAction::Forward { target_group } => match wanted_ref(lookup, target_group) {
                Wanted::Known(arn) => known(json!({"type": "forward", "target_group_arn": arn})),
                Wanted::Unknown => Wanted::Unknown,
            },
            ListenerAction::RedirectHttps { port } => {
                known(redirect_value(HTTPS, Value::from(*port), REDIRECT_STATUS))
            }
            ListenerAction::FixedResponse { status, body } => {
                known(fixed_response_value(Value::from(*status), body))
            }
        };
        WantedAttrs::from([
            (
                "load_balancer_arn".into(),
                wanted_ref(lookup, &spec.load_balancer),
            ),
            ("port".into(), known(spec.port)),
            ("protocol".into(), known(spec.protocol.clone())),
            (
                "certificate_arn".into(),
                certificate(spec).map_or(known(Value::Null), |c| c.wanted(lookup)),
            ),
            (
                "ssl_policy".into(),
                known(ssl_policy(spec).map(str::to_string)),
            ),
            ("default_action".into(), default_action),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    /// Both reads at once; when the listener is gone, the tags' answer does not matter.
    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        batch::elb(ids, |chunk| read_chunk(aws, chunk)).await
    }

    /// The load balancer's listener on the spec's port (a port has one listener),
    /// then its tags.
    async fn find(ctx: &Ctx<'_>, spec: &ListenerSpec) -> Result<Option<CloudId>, AwsError> {
        let Some(lb_arn) = ctx.known(&spec.load_balancer) else {
            return Ok(None);
        };
        let mut marker = None;
        loop {
            let out = ctx
                .aws
                .elb
                .describe_listeners()
                .load_balancer_arn(&lb_arn)
                .set_marker(marker)
                .send()
                .await
                .op("DescribeListeners")
                .found()?;
            let Some(out) = out else {
                return Ok(None);
            };
            if let Some(arn) = out
                .listeners()
                .iter()
                .find(|l| l.port() == Some(spec.port))
                .and_then(|l| l.listener_arn())
            {
                let what = format!("listener on port {}", spec.port);
                ensure_elb_ours(ctx, &what, arn, arn).await?;
                return Ok(Some(CloudId::new(arn)));
            }
            match out.next_marker() {
                Some(m) if !m.is_empty() => marker = Some(m.to_string()),
                _ => return Ok(None),
            }
        }
    }

    async fn create(ctx: &Ctx<'_>, spec: &ListenerSpec) -> Result<Created, AwsError> {
        const OP: &str = "CreateListener";
        let out = ctx
            .aws
            .elb
            .create_listener()
            .load_balancer_arn(ctx.resolve(&spec.load_balancer)?)
            .port(spec.port)
            .protocol(ProtocolEnum::from(spec.protocol.as_str()))
            .set_certificates(certificates(ctx, spec)?)
            .set_ssl_policy(ssl_policy(spec).map(str::to_string))
            .default_actions(action(ctx, &spec.default_action)?)
            .set_tags(Some(elb_tags(&ctx.tags(&spec.tags))))
            .customize()
            .config_override(unknown_outcome::elb())
            .send()
            .await
            .op(OP)?;
        let arn = out
            .listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .ok_or_else(|| AwsError::invalid(OP, "no listener ARN in the answer"))?;
        Ok(Created {
            outputs: [("id".into(), arn.to_string())].into(),
            id: CloudId::new(arn),
        })
    }

    /// ModifyListener takes the whole desired listener at once; sending every
    /// setting keeps one call whatever changed. Tags have their own calls. A forward
    /// that moves to another target group keeps the old one beside it for now (the
    /// new at weight 0); `finish` drops the old one.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &ListenerSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c != tags::ATTR) {
            let default_action = match &spec.default_action {
                ListenerAction::Forward { target_group } => {
                    let live = live_forward(ctx.aws, id).await?;
                    forward::staged(&live, &ctx.resolve(target_group)?)
                }
                other => action(ctx, other)?,
            };
            modify(ctx, id, spec, default_action).await?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_elb(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Forward to the spec's target group alone, once its service is healthy there.
    async fn finish(ctx: &Ctx<'_>, id: &CloudId, spec: &ListenerSpec) -> Result<(), AwsError> {
        let ListenerAction::Forward { target_group } = &spec.default_action else {
            return Ok(());
        };
        let target_group = ctx.resolve(target_group)?;
        if forward::only_to(&live_forward(ctx.aws, id).await?, &target_group) {
            return Ok(());
        }
        modify(ctx, id, spec, forward::to(&target_group)).await
    }

    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        aws.elb
            .delete_listener()
            .listener_arn(id.as_str())
            .send()
            .await
            .op("DeleteListener")
            .found()?;
        Ok(())
    }
}

async fn modify(
    ctx: &Ctx<'_>,
    id: &CloudId,
    spec: &ListenerSpec,
    default_action: Action,
) -> Result<(), AwsError> {
    ctx.aws
        .elb
        .modify_listener()
        .listener_arn(id.as_str())
        .port(spec.port)
        .protocol(ProtocolEnum::from(spec.protocol.as_str()))
        .set_certificates(certificates(ctx, spec)?)
        .set_ssl_policy(ssl_policy(spec).map(str::to_string))
        .default_actions(default_action)
        .send()
        .await
        .op("ModifyListener")?;
    Ok(())
}

/// Where the listener's default action forwards now (empty when it does not).
async fn live_forward(aws: &Aws, id: &CloudId) -> Result<Vec<(String, i32)>, AwsError> {
    let out = aws
        .elb
        .describe_listeners()
        .listener_arns(id.as_str())
        .send()
        .await
        .op("DescribeListeners")?;
    Ok(out
        .listeners()
        .first()
        .and_then(|l| l.default_actions().first())
        .map(forward::targets)
        .unwrap_or_default())
}

fn is_https(spec: &ListenerSpec) -> bool {
    spec.protocol == HTTPS
}

fn certificate(spec: &ListenerSpec) -> Option<&Input> {
    spec.certificate_arn.as_ref().filter(|_| is_https(spec))
}

fn certificates(ctx: &Ctx<'_>, spec: &ListenerSpec) -> Result<Option<Vec<Certificate>>, AwsError> {
    let Some(certificate) = certificate(spec) else {
        return Ok(None);
    };
    let arn = certificate.resolve(ctx)?;
    Ok(Some(vec![
        Certificate::builder().certificate_arn(arn).build(),
    ]))
}

fn ssl_policy(spec: &ListenerSpec) -> Option<&str> {
    if is_https(spec) {
        Some(spec.ssl_policy.as_deref().unwrap_or(DEFAULT_SSL_POLICY))
    } else {
        None
    }
}

fn action(ctx: &Ctx<'_>, action: &ListenerAction) -> Result<Action, AwsError> {
    Ok(match action {
        ListenerAction::Forward { target_group } => forward::to(&ctx.resolve(target_group)?),
        // Keeps host, path and query: only the scheme and port change.
        ListenerAction::RedirectHttps { port } => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol(HTTPS)
                    .port(port.to_string())
                    .host("#{host}")
                    .path("/#{path}")
                    .query("#{query}")
                    .status_code(RedirectActionStatusCodeEnum::from(REDIRECT_STATUS))
                    .build(),
            )
            .build(),
        ListenerAction::FixedResponse { status, body } => Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(status.to_string())
                    .content_type("text/plain")
                    .message_body(body)
                    .build(),
            )
            .build(),
    })
}

fn redirect_value(protocol: &str, port: Value, status: &str) -> Value {
    json!({"type": "redirect", "protocol": protocol, "port": port, "status": status})
}

fn fixed_response_value(status: Value, body: &str) -> Value {
    json!({"type": "fixed_response", "status": status, "body": body})
}

/// A number where AWS's text is one ("443", "503"), else the text ("#{port}").
fn number_or_text(text: Option<&str>) -> Value {
    match text {
        Some(t) => t
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(t)),
        None => Value::Null,
    }
}

/// A live action in the same shape `wanted` builds.
fn action_value(action: &Action) -> Value {
    match action.r#type() {
        Some(ActionTypeEnum::Forward) => {
            json!({"type": "forward", "target_group_arn": forward::value(&forward::targets(action))})
        }
        Some(ActionTypeEnum::Redirect) => {
            let config = action.redirect_config();
            redirect_value(
                config.and_then(|c| c.protocol()).unwrap_or_default(),
                number_or_text(config.and_then(|c| c.port())),
                config
                    .and_then(|c| c.status_code())
                    .map(|s| s.as_str())
                    .unwrap_or_default(),
            )
        }
        Some(ActionTypeEnum::FixedResponse) => {
            let config = action.fixed_response_config();
            fixed_response_value(
                number_or_text(config.and_then(|c| c.status_code())),
                config.and_then(|c| c.message_body()).unwrap_or_default(),
            )
        }
        other => json!({"type": other.map(|t| t.as_str())}),
    }
}

/// Listeners and their tags, all at once.
async fn read_chunk(aws: &Aws, ids: &[CloudId]) -> Result<Vec<(String, Live)>, AwsError> {
    let arns: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let (listeners, live_tags) = tokio::join!(
        async {
            aws.elb
                .describe_listeners()
                .set_listener_arns(Some(arns.clone()))
                .send()
                .await
                .op("DescribeListeners")
        },
        elb_tags_by_arn(aws, &arns),
    );
    let (listeners, mut live_tags) = (listeners?, live_tags?);
    Ok(listeners
        .listeners()
        .iter()
        .filter_map(|l| {
            let arn = l.listener_arn()?;
            let live_tags = live_tags.remove(arn).unwrap_or_default();
            Some((arn.to_string(), live(l, live_tags)))
        })
        .collect())
}

fn live(
    listener: &aws_sdk_elasticloadbalancingv2::types::Listener,
    live_tags: Vec<(String, String)>,
) -> Live {
    let protocol = listener.protocol().map(|p| p.as_str()).unwrap_or_default();
    // Certificates and security policies only mean something on HTTPS; AWS drops
    // them when a listener turns HTTP (moto keeps reporting a policy).
    let https = protocol == HTTPS;
    let certificate_arn = listener
        .certificates()
        .first()
        .and_then(|c| c.certificate_arn())
        .filter(|_| https);
    let ssl_policy = listener.ssl_policy().filter(|_| https);
    let mut actions = listener.default_actions().to_vec();
    actions.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    let default_action = actions.last().map(action_value).unwrap_or(Value::Null);
    let attrs = BTreeMap::from([
        (
            "load_balancer_arn".to_string(),
            listener.load_balancer_arn().into(),
        ),
        ("port".into(), listener.port().into()),
        ("protocol".into(), protocol.into()),
        ("certificate_arn".into(), certificate_arn.into()),
        ("ssl_policy".into(), ssl_policy.into()),
        ("default_action".into(), default_action),
        (tags::ATTR.into(), tags::live_value(live_tags)),
    ]);
    Live {
        attrs,
        outputs: [(
            "id".into(),
            listener.listener_arn().unwrap_or_default().to_string(),
        )]
        .into(),
    }
}
