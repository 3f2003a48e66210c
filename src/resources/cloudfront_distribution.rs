//! CloudFront distribution in front of the ALB. The id is the distribution id;
//! outputs domain_name and arn.
//!
//! CloudFront changes take many minutes to deploy, and a distribution can only be
//! deleted once it is disabled *and* that change is deployed. Delete therefore
//! works from whatever state it finds (enabled, disabled but still deploying,
//! disabled and deployed), so a destroy that was interrupted half-way finishes the
//! job on the next run instead of leaving a disabled distribution behind.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::input::Input;
use super::ownership::{Owner, owner, single};
use super::tags::{self, TagChanges, Tags as UserTags};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs, known, wanted_ref};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::BOUND;
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome, wait};
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachedMethods, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, DistributionConfigWithTags, HttpVersion, Method, MinimumProtocolVersion,
    Origin, OriginProtocolPolicy, OriginSslProtocols, Origins, PriceClass, SslProtocol,
    SslSupportMethod, Tag, TagKeys, Tags, ViewerCertificate, ViewerProtocolPolicy,
};
use aws_smithy_types::error::operation::BuildError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudfrontDistributionSpec {
    /// The ALB's DNS name.
    pub origin_domain: Ref,
    /// "http-only" or "https-only": never "match-viewer" towards an ALB that
    /// redirects to HTTPS, which loops.
    pub origin_protocol: String,
    pub origin_http_port: i32,
    pub origin_https_port: i32,
    /// "allow-all", "redirect-to-https" or "https-only".
    pub viewer_protocol: String,
    pub cache_policy_id: String,
    pub origin_request_policy_id: String,
    pub aliases: Vec<String>,
    /// ACM certificate in us-east-1 for the aliases (the user's, or the one requested
    /// for `[domain]`); None = the cloudfront.net one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<Input>,
    pub price_class: String,
    pub comment: String,
    /// Wait until the distribution is Deployed before apply reports success.
    pub wait_for_deployment: bool,
    /// User tags (stack.toml `[stack] tags`). A tag change is no config change: it
    /// starts no deployment.
    #[serde(default, skip_serializing_if = "UserTags::is_empty")]
    pub tags: UserTags,
}

pub struct CloudfrontDistribution;

/// The one origin's id; the default cache behavior targets it.
const ORIGIN_ID: &str = "alb";
const DEPLOYED: &str = "Deployed";
/// The current policy: TLS 1.2 and later, strong ciphers only. Read back so that a
/// policy lowered by hand shows as drift.
const MINIMUM_TLS: MinimumProtocolVersion = MinimumProtocolVersion::TlSv122021;
/// Deployments to all edge locations typically take 5-15 minutes, sometimes more.
const DEPLOY_WAIT: wait::WaitPolicy = wait::WaitPolicy {
    timeout: Duration::from_secs(30 * 60),
    first: Duration::from_secs(1),
    max: Duration::from_secs(30),
};

impl Facts for CloudfrontDistribution {
    const SERVICE: Service = Service::CloudFront;
    const IMPORT_ID: &'static str = "its distribution id";

    fn usual_minutes(action: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        match action {
            Action::Create | Action::Update | Action::Replace => Some((5, 15)),
            // Disabled, deployed disabled, then deleted.
            Action::Delete => Some((10, 20)),
            _ => None,
        }
    }

    /// Listed so nobody wonders: CloudFront has no base charge.
    fn cost(address: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        Some(Item {
            what: format!("{address}: CloudFront, no monthly base (billed by use)"),
            monthly: 0.0,
            up_to: None,
        })
    }

    fn stack_outputs(_: &Address, record: &Record) -> Vec<(String, String)> {
        let domain = record.outputs.get("domain_name").cloned();
        domain
            .map(|domain| ("cdn_domain".to_string(), domain))
            .into_iter()
            .collect()
    }
}

impl Resource for CloudfrontDistribution {
    const KIND: Kind = Kind::CloudfrontDistribution;
    /// Every setting changes in place through UpdateDistribution.
    const REPLACE_ON: &'static [&'static str] = &[];
    /// Nothing in the stack depends on the distribution; the wait (only when asked,
    /// `wait_for_deployment`) overlaps everything else.
    const WAITS: bool = true;
    type Spec = CloudfrontDistributionSpec;

    fn wanted(spec: &CloudfrontDistributionSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let mut aliases = spec.aliases.clone();
        aliases.sort();
        WantedAttrs::from([
            (
                "origin_domain".into(),
                wanted_ref(lookup, &spec.origin_domain),
            ),
            (
                "origin_protocol".into(),
                known(spec.origin_protocol.clone()),
            ),
            ("origin_http_port".into(), known(spec.origin_http_port)),
            ("origin_https_port".into(), known(spec.origin_https_port)),
            (
                "viewer_protocol".into(),
                known(spec.viewer_protocol.clone()),
            ),
            (
                "cache_policy_id".into(),
                known(spec.cache_policy_id.clone()),
            ),
            (
                "origin_request_policy_id".into(),
                known(spec.origin_request_policy_id.clone()),
            ),
            ("aliases".into(), known(aliases)),
            (
                "certificate_arn".into(),
                spec.certificate_arn
                    .as_ref()
                    .map_or(known(Value::Null), |c| c.wanted(lookup)),
            ),
            (
                "minimum_tls".into(),
                known(spec.certificate_arn.as_ref().map(|_| MINIMUM_TLS.as_str())),
            ),
            ("ipv6".into(), known(true)),
            ("price_class".into(), known(spec.price_class.clone())),
            ("comment".into(), known(spec.comment.clone())),
            ("enabled".into(), known(true)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        const OP: &str = "GetDistribution";
        let out = aws
            .cloudfront
            .get_distribution()
            .id(id.as_str())
            .send()
            .await
            .op(OP)
            .found()?;
        let Some(dist) = out.as_ref().and_then(|o| o.distribution()) else {
            return Ok(None);
        };
        let config = dist
            .distribution_config()
            .ok_or_else(|| AwsError::invalid(OP, "no distribution config in the answer"))?;
        let behavior = config.default_cache_behavior();
        let origin = config.origins().and_then(|o| {
            let target = behavior.map(|b| b.target_origin_id()).unwrap_or(ORIGIN_ID);
            o.items().iter().find(|origin| origin.id() == target)
        });
        let custom = origin.and_then(|o| o.custom_origin_config());
        let mut aliases: Vec<String> = config
            .aliases()
            .map(|a| a.items().to_vec())
            .unwrap_or_default();
        aliases.sort();
        // Only an ACM certificate counts; moto also reports the default-certificate
        // flag as true next to an ACM certificate when the flag was not sent.
        let certificate_arn = config
            .viewer_certificate()
            .and_then(|v| v.acm_certificate_arn())
            .filter(|arn| !arn.is_empty());
        // With the cloudfront.net certificate the policy is fixed by CloudFront.
        let minimum_tls = certificate_arn.and(
            config
                .viewer_certificate()
                .and_then(|v| v.minimum_protocol_version())
                .map(|m| m.as_str()),
        );
        let Some(live_tags) = live_tags(aws, dist.arn()).await? else {
            return Ok(None);
        };
        let attrs = BTreeMap::from([
            (
                "origin_domain".to_string(),
                origin.map(|o| o.domain_name()).into(),
            ),
            (
                "origin_protocol".into(),
                custom.map(|c| c.origin_protocol_policy().as_str()).into(),
            ),
            (
                "origin_http_port".into(),
                custom.map(|c| c.http_port()).into(),
            ),
            (
                "origin_https_port".into(),
                custom.map(|c| c.https_port()).into(),
            ),
            (
                "viewer_protocol".into(),
                behavior.map(|b| b.viewer_protocol_policy().as_str()).into(),
            ),
            (
                "cache_policy_id".into(),
                behavior.and_then(|b| b.cache_policy_id()).into(),
            ),
            (
                "origin_request_policy_id".into(),
                behavior.and_then(|b| b.origin_request_policy_id()).into(),
            ),
            ("aliases".into(), aliases.into()),
            ("certificate_arn".into(), certificate_arn.into()),
            ("minimum_tls".into(), minimum_tls.into()),
            (
                "ipv6".into(),
                config.is_ipv6_enabled().unwrap_or(false).into(),
            ),
            (
                "price_class".into(),
                config.price_class().map(|p| p.as_str()).into(),
            ),
            ("comment".into(), config.comment().into()),
            ("enabled".into(), Value::from(config.enabled())),
            (
                tags::ATTR.into(),
                tags::live_value(
                    live_tags
                        .iter()
                        .map(|t| (t.key(), t.value().unwrap_or_default())),
                ),
            ),
        ]);
        Ok(Some(Live {
            attrs,
            outputs: outputs(dist),
        }))
    }

    /// Distributions have no name and a fresh caller reference each (see `create`),
    /// so every distribution's tags are read and the ones tagged for this address
    /// kept. A distribution of another owner is no collision and is passed over.
    async fn find(
        ctx: &Ctx<'_>,
        _spec: &CloudfrontDistributionSpec,
    ) -> Result<Option<CloudId>, AwsError> {
        let mut candidates = Vec::new();
        let mut marker = None;
        loop {
            let out = ctx
                .aws
                .cloudfront
                .list_distributions()
                .set_marker(marker)
                .send()
                .await
                .op("ListDistributions")?;
            let Some(list) = out.distribution_list() else {
                break;
            };
            candidates.extend(
                list.items()
                    .iter()
                    .map(|d| (d.id().to_string(), d.arn().to_string())),
            );
            match list.next_marker() {
                Some(m) if list.is_truncated() && !m.is_empty() => marker = Some(m.to_string()),
                _ => break,
            }
        }
        let address = ctx.address.to_string();
        let mut ours = Vec::new();
        for (id, arn) in candidates {
            let tags = live_tags(ctx.aws, &arn).await?.unwrap_or_default();
            let pairs = tags
                .iter()
                .map(|t| (t.key(), t.value().unwrap_or_default()));
            if owner(pairs, ctx.stack, &address) == Owner::Us {
                ours.push(id);
            }
        }
        single(ctx, "CloudFront distribution", ours)
    }

    /// The caller reference is the create's idempotency token (see `state::Intent`):
    /// the same across the retries of one create, so CloudFront itself refuses a
    /// second distribution. A retry whose first attempt did create one is answered with
    /// DistributionAlreadyExists (when the config differs; the same config returns the
    /// distribution); that one is then found by its tags and is the result.
    async fn create(ctx: &Ctx<'_>, spec: &CloudfrontDistributionSpec) -> Result<Created, AwsError> {
        const OP: &str = "CreateDistributionWithTags";
        let mut config = DistributionConfig::builder()
            .caller_reference(ctx.token())
            .comment(&spec.comment)
            .enabled(true)
            .build()
            .map_err(|e| build_error(OP, e))?;
        apply(&mut config, spec, &resolved(ctx, spec)?, OP)?;
        let tags = cloudfront_tags(&ctx.tags(&spec.tags), OP)?;
        let out = ctx
            .aws
            .cloudfront
            .create_distribution_with_tags()
            .distribution_config_with_tags(
                DistributionConfigWithTags::builder()
                    .distribution_config(config)
                    .tags(Tags::builder().set_items(Some(tags)).build())
                    .build(),
            )
            .customize()
            .config_override(unknown_outcome::cloudfront())
            .send()
            .await
            .op(OP);
        let out = match out {
            Err(e) if e.code == "DistributionAlreadyExists" => {
                return made_by_an_earlier_attempt(ctx, spec, e).await;
            }
            other => other?,
        };
        let dist = out
            .distribution()
            .ok_or_else(|| AwsError::invalid(OP, "no distribution in the answer"))?;
        Ok(Created {
            id: CloudId::new(&dist.id),
            outputs: outputs(dist),
        })
    }

    /// Only when asked: the distribution serves (from the edge locations already
    /// updated) long before it is Deployed everywhere, and nothing in the stack
    /// depends on it.
    async fn wait_ready(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &CloudfrontDistributionSpec,
    ) -> Result<(), AwsError> {
        if !spec.wait_for_deployment {
            return Ok(());
        }
        match wait_deployed(ctx.aws, id, "wait for distribution to be deployed").await? {
            Some(_) => Ok(()),
            None => Err(AwsError::not_found(
                "GetDistribution",
                format!("distribution {id} disappeared while deploying"),
            )),
        }
    }

    /// UpdateDistribution replaces the whole config, so the live config is the
    /// starting point (settings stackctl does not manage survive) and its ETag
    /// guards against a concurrent change. Tags have their own calls, and a change
    /// of tags alone leaves the config (and its deployment) alone.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &CloudfrontDistributionSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        const OP: &str = "UpdateDistribution";
        if changed.iter().any(|c| c != tags::ATTR) {
            let (mut config, etag) = live_config(ctx.aws, id).await?.ok_or_else(|| {
                AwsError::not_found(
                    "GetDistributionConfig",
                    format!("distribution {id} is gone"),
                )
            })?;
            apply(&mut config, spec, &resolved(ctx, spec)?, OP)?;
            ctx.aws
                .cloudfront
                .update_distribution()
                .id(id.as_str())
                .distribution_config(config)
                .if_match(etag)
                .send()
                .await
                .op(OP)?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            sync_tags(ctx.aws, id, &spec.tags).await?;
        }
        Ok(())
    }

    /// Disable (unless already disabled), wait until that is deployed, then delete
    /// with the ETag of the deployed state; gone at any step is done. CloudFront may
    /// still refuse: `DistributionNotDisabled` while the disable has not reached every
    /// edge although GetDistribution says Deployed, and
    /// `PreconditionFailed` when the config changed since its ETag was read (someone
    /// else's update). Both are retried from the top, for the propagation bound
    /// (terraform-provider-aws retries them for a few minutes).
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        // From the first refusal: the disable's deployment before it takes minutes.
        let mut first_refusal: Option<std::time::Instant> = None;
        let mut pause = Duration::from_secs(2);
        loop {
            match disable_and_delete(aws, id).await {
                Err(e)
                    if delete_may_succeed_later(&e)
                        && first_refusal
                            .get_or_insert_with(std::time::Instant::now)
                            .elapsed()
                            < BOUND =>
                {
                    tracing::debug!("{id}: {e}; trying again in {}s", pause.as_secs());
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(20));
                }
                other => return other,
            }
        }
    }
}

/// One attempt at the delete; gone already is success.
async fn disable_and_delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
    let Some((mut config, etag)) = live_config(aws, id).await? else {
        return Ok(());
    };
    if config.enabled {
        config.enabled = false;
        let disabled = aws
            .cloudfront
            .update_distribution()
            .id(id.as_str())
            .distribution_config(config)
            .if_match(etag)
            .send()
            .await
            .op("UpdateDistribution")
            .found()?;
        if disabled.is_none() {
            return Ok(());
        }
    }
    let Some(etag) = wait_deployed(aws, id, "wait for disabled distribution to deploy").await?
    else {
        return Ok(());
    };
    aws.cloudfront
        .delete_distribution()
        .id(id.as_str())
        .if_match(etag)
        .send()
        .await
        .op("DeleteDistribution")
        .found()?;
    Ok(())
}

/// CloudFront's refusals of a delete that a fresh look and another try get past.
fn delete_may_succeed_later(e: &AwsError) -> bool {
    [
        "DistributionNotDisabled",
        "PreconditionFailed",
        "InvalidIfMatchVersion",
    ]
    .contains(&e.code.as_str())
}

/// The hosted zone of every distribution's DNS name, which a Route 53 alias record
/// to a distribution names (the Route 53 API reference, AliasTarget).
pub const HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";

fn outputs(dist: &aws_sdk_cloudfront::types::Distribution) -> super::Outputs {
    BTreeMap::from([
        ("id".to_string(), dist.id().to_string()),
        ("domain_name".to_string(), dist.domain_name().to_string()),
        ("arn".to_string(), dist.arn().to_string()),
        ("zone_id".to_string(), HOSTED_ZONE_ID.to_string()),
    ])
}

fn build_error(op: &'static str, e: BuildError) -> AwsError {
    AwsError::invalid(op, e.to_string())
}

fn cloudfront_tags(pairs: &[(String, String)], op: &'static str) -> Result<Vec<Tag>, AwsError> {
    pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| build_error(op, e))
}

/// The distribution's tags, by its ARN; `None` when it is gone.
async fn live_tags(aws: &Aws, arn: &str) -> Result<Option<Vec<Tag>>, AwsError> {
    let out = aws
        .cloudfront
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .op("ListTagsForResource")
        .found()?;
    Ok(out.map(|o| o.tags().map(|t| t.items().to_vec()).unwrap_or_default()))
}

async fn sync_tags(aws: &Aws, id: &CloudId, wanted: &UserTags) -> Result<(), AwsError> {
    const OP: &str = "GetDistribution";
    let out = aws
        .cloudfront
        .get_distribution()
        .id(id.as_str())
        .send()
        .await
        .op(OP)?;
    let arn = out
        .distribution()
        .map(|d| d.arn().to_string())
        .ok_or_else(|| AwsError::invalid(OP, "no distribution in the answer"))?;
    let live = live_tags(aws, &arn).await?.ok_or_else(|| {
        AwsError::not_found("ListTagsForResource", format!("distribution {id} is gone"))
    })?;
    let changes = TagChanges::between(
        wanted,
        live.iter()
            .map(|t| (t.key(), t.value().unwrap_or_default())),
    );
    if !changes.remove.is_empty() {
        aws.cloudfront
            .untag_resource()
            .resource(&arn)
            .tag_keys(TagKeys::builder().set_items(Some(changes.remove)).build())
            .send()
            .await
            .op("UntagResource")?;
    }
    if !changes.set.is_empty() {
        aws.cloudfront
            .tag_resource()
            .resource(&arn)
            .tags(
                Tags::builder()
                    .set_items(Some(cloudfront_tags(&changes.set, "TagResource")?))
                    .build(),
            )
            .send()
            .await
            .op("TagResource")?;
    }
    Ok(())
}

/// The live config and its ETag; `None` when the distribution is gone.
async fn live_config(
    aws: &Aws,
    id: &CloudId,
) -> Result<Option<(DistributionConfig, String)>, AwsError> {
    const OP: &str = "GetDistributionConfig";
    let Some(out) = aws
        .cloudfront
        .get_distribution_config()
        .id(id.as_str())
        .send()
        .await
        .op(OP)
        .found()?
    else {
        return Ok(None);
    };
    let config = out
        .distribution_config()
        .cloned()
        .ok_or_else(|| AwsError::invalid(OP, "no distribution config in the answer"))?;
    let etag = out
        .e_tag()
        .ok_or_else(|| AwsError::invalid(OP, "no ETag in the answer"))?;
    Ok(Some((config, etag.to_string())))
}

/// Polls until the distribution's status is Deployed; returns the ETag of that
/// state, or `None` when the distribution is gone.
async fn wait_deployed(
    aws: &Aws,
    id: &CloudId,
    what: &'static str,
) -> Result<Option<String>, AwsError> {
    wait::until(what, DEPLOY_WAIT, || async {
        const OP: &str = "GetDistribution";
        let out = aws
            .cloudfront
            .get_distribution()
            .id(id.as_str())
            .send()
            .await
            .op(OP)
            .found()?;
        let Some(out) = out else {
            return Ok(wait::Poll::Ready(None));
        };
        let status = out.distribution().map(|d| d.status()).unwrap_or_default();
        if status != DEPLOYED {
            return Ok(wait::Poll::Pending(format!("status {status}")));
        }
        let etag = out
            .e_tag()
            .ok_or_else(|| AwsError::invalid(OP, "no ETag in the answer"))?;
        Ok(wait::Poll::Ready(Some(etag.to_string())))
    })
    .await
}

/// The values of the spec's references: the origin's DNS name and the certificate.
struct Resolved {
    origin_domain: String,
    certificate_arn: Option<String>,
}

fn resolved(ctx: &Ctx<'_>, spec: &CloudfrontDistributionSpec) -> Result<Resolved, AwsError> {
    Ok(Resolved {
        origin_domain: ctx.resolve(&spec.origin_domain)?,
        certificate_arn: spec
            .certificate_arn
            .as_ref()
            .map(|c| c.resolve(ctx))
            .transpose()?,
    })
}

/// Sets every setting stackctl manages on `config`, leaving the rest as found.
fn apply(
    config: &mut DistributionConfig,
    spec: &CloudfrontDistributionSpec,
    resolved: &Resolved,
    op: &'static str,
) -> Result<(), AwsError> {
    let origin_domain = resolved.origin_domain.as_str();
    let built = |e| build_error(op, e);
    let origin = Origin::builder()
        .id(ORIGIN_ID)
        .domain_name(origin_domain)
        .custom_origin_config(
            CustomOriginConfig::builder()
                .origin_protocol_policy(OriginProtocolPolicy::from(spec.origin_protocol.as_str()))
                .http_port(spec.origin_http_port)
                .https_port(spec.origin_https_port)
                .origin_ssl_protocols(
                    OriginSslProtocols::builder()
                        .quantity(1)
                        .items(SslProtocol::TlSv12)
                        .build()
                        .map_err(built)?,
                )
                .build()
                .map_err(built)?,
        )
        .build()
        .map_err(built)?;
    config.origins = Some(
        Origins::builder()
            .quantity(1)
            .items(origin)
            .build()
            .map_err(built)?,
    );

    // An ALB-backed app takes writes too; only GET/HEAD responses are cacheable.
    let all_methods = [
        Method::Get,
        Method::Head,
        Method::Options,
        Method::Put,
        Method::Post,
        Method::Patch,
        Method::Delete,
    ];
    let cached = [Method::Get, Method::Head];
    config.default_cache_behavior = Some(
        DefaultCacheBehavior::builder()
            .target_origin_id(ORIGIN_ID)
            .viewer_protocol_policy(ViewerProtocolPolicy::from(spec.viewer_protocol.as_str()))
            .cache_policy_id(&spec.cache_policy_id)
            .origin_request_policy_id(&spec.origin_request_policy_id)
            .allowed_methods(
                AllowedMethods::builder()
                    .quantity(all_methods.len() as i32)
                    .set_items(Some(all_methods.to_vec()))
                    .cached_methods(
                        CachedMethods::builder()
                            .quantity(cached.len() as i32)
                            .set_items(Some(cached.to_vec()))
                            .build()
                            .map_err(built)?,
                    )
                    .build()
                    .map_err(built)?,
            )
            .compress(true)
            .build()
            .map_err(built)?,
    );

    let mut aliases = spec.aliases.clone();
    aliases.sort();
    config.aliases = Some(
        Aliases::builder()
            .quantity(aliases.len() as i32)
            .set_items((!aliases.is_empty()).then_some(aliases))
            .build()
            .map_err(built)?,
    );

    config.viewer_certificate = Some(match &resolved.certificate_arn {
        Some(arn) => ViewerCertificate::builder()
            .cloud_front_default_certificate(false)
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MINIMUM_TLS)
            .build(),
        None => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
    });

    config.price_class = Some(PriceClass::from(spec.price_class.as_str()));
    config.comment = spec.comment.clone();
    config.enabled = true;
    config.http_version = Some(HttpVersion::Http2and3);
    // Viewers reach it over IPv6 as well, which the domain's AAAA alias record needs.
    config.is_ipv6_enabled = Some(true);
    Ok(())
}

/// The distribution an earlier attempt of this create made with the same caller
/// reference; `refused` when none of this address can be found (the reference is then
/// someone else's, which a fresh token makes all but impossible).
async fn made_by_an_earlier_attempt(
    ctx: &Ctx<'_>,
    spec: &CloudfrontDistributionSpec,
    refused: AwsError,
) -> Result<Created, AwsError> {
    let Some(id) = CloudfrontDistribution::find(ctx, spec).await? else {
        return Err(refused);
    };
    let out = ctx
        .aws
        .cloudfront
        .get_distribution()
        .id(id.as_str())
        .send()
        .await
        .op("GetDistribution")?;
    let dist = out
        .distribution()
        .ok_or_else(|| AwsError::invalid("GetDistribution", "no distribution in the answer"))?;
    Ok(Created {
        id,
        outputs: outputs(dist),
    })
}
