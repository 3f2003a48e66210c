//! ACM certificate for the stack's `[domain]`, validated through DNS. The id is its
//! ARN, whose fourth field is the region it lives in: the stack's for the load
//! balancer, us-east-1 for CloudFront (which takes certificates from there only).
//!
//! What AWS does that the emulator does not:
//! - The validation record (`DomainValidationOptions[].ResourceRecord`) is filled in
//!   a few seconds after RequestCertificate answers, not at once; the create waits
//!   for it, since the record in the zone is made from it.
//! - Every certificate of one domain name in one account asks for the same CNAME,
//!   in every region (ACM user guide, "DNS validation"): one record validates the
//!   load balancer's and CloudFront's certificates alike.
//! - IdempotencyToken takes `\w+`, at most 32 characters: a hyphenated UUID is
//!   refused, so the engine's token goes without its hyphens.
//! - DeleteCertificate answers ResourceInUseException for a while after the last
//!   listener or distribution let go of it (terraform-provider-aws retries it for
//!   up to 20 minutes); the delete is retried like any other in-use refusal.
//! - A certificate that failed validation, was revoked or expired never becomes
//!   usable again: it is replaced (`usable`).
//!
//! Created before the old one is destroyed: a domain change gets its new certificate
//! issued and the listener and distribution moved onto it before the old one goes.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{Owner, owner, single};
use super::tags::{self, TagChanges, Tags};
use super::{Created, Ctx, Live, Lookup, Outputs, Resource, WantedAttrs, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::wait::{self, Poll, WaitPolicy};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt};
use aws_sdk_acm::types::{CertificateDetail, CertificateStatus, Tag, ValidationMethod};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateSpec {
    pub domain_name: String,
    /// Further names the certificate covers (CloudFront's extra aliases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternative_names: Vec<String>,
    /// The region it is requested in.
    pub region: String,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct Certificate;

/// CloudFront's certificates live in this region only.
pub const CLOUDFRONT_REGION: &str = "us-east-1";

/// How long the validation record may take to show after the request: seconds
/// usually; ACM documents no bound, terraform-provider-aws waits up to 5 minutes.
const RECORD_WAIT: WaitPolicy = WaitPolicy::minutes(5);

impl Facts for Certificate {
    const SERVICE: Service = Service::Acm;
    const IMPORT_ID: &'static str =
        "its certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)";

    /// The slow part, validation, is waited for by the validation record.
    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    /// Public ACM certificates cost nothing; the line says so, as people ask.
    fn cost(address: &Address, spec: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        Some(Item {
            what: format!(
                "{address}: ACM certificate for {} in {} (free)",
                spec.domain_name, spec.region
            ),
            monthly: 0.0,
            up_to: None,
        })
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for Certificate {
    const KIND: Kind = Kind::Certificate;
    /// The names a certificate covers and its region are fixed at request.
    const REPLACE_ON: &'static [&'static str] =
        &["domain_name", "alternative_names", "region", "usable"];
    const CREATE_BEFORE_DESTROY: bool = true;
    type Spec = CertificateSpec;

    fn wanted(spec: &CertificateSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("domain_name".into(), known(spec.domain_name.clone())),
            (
                "alternative_names".into(),
                known(alternative_names(
                    &spec.domain_name,
                    &spec.alternative_names,
                )),
            ),
            ("region".into(), known(spec.region.clone())),
            ("usable".into(), known(true)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let acm = client(aws, region_of(id.as_str()))?;
        let Some(detail) = describe(acm, id.as_str()).await? else {
            return Ok(None);
        };
        let domain = detail.domain_name().unwrap_or_default().to_string();
        let live_tags = live_tags(acm, id.as_str()).await?;
        Ok(Some(Live {
            attrs: [
                (
                    "alternative_names".into(),
                    alternative_names(&domain, detail.subject_alternative_names()).into(),
                ),
                ("domain_name".into(), domain.clone().into()),
                ("region".into(), region_of(id.as_str()).into()),
                ("usable".into(), usable(&detail).into()),
                (tags::ATTR.into(), tags::live_value(&live_tags)),
            ]
            .into(),
            outputs: outputs(id.as_str(), validation_record(&detail, &domain)),
        }))
    }

    /// Among the region's certificates for the domain name, the one tagged for this
    /// address (ACM names nothing else).
    async fn find(ctx: &Ctx<'_>, spec: &CertificateSpec) -> Result<Option<CloudId>, AwsError> {
        let acm = client(ctx.aws, &spec.region)?;
        let mut ours = Vec::new();
        for arn in arns_for(acm, &spec.domain_name).await? {
            let tags = live_tags(acm, &arn).await?;
            let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            if owner(pairs, ctx.stack, &ctx.address.to_string()) == Owner::Us {
                ours.push(arn);
            }
        }
        single(ctx, "ACM certificate", ours)
    }

    async fn create(ctx: &Ctx<'_>, spec: &CertificateSpec) -> Result<Created, AwsError> {
        const OP: &str = "RequestCertificate";
        let acm = client(ctx.aws, &spec.region)?;
        let names = alternative_names(&spec.domain_name, &spec.alternative_names);
        let out = acm
            .request_certificate()
            .domain_name(&spec.domain_name)
            .set_subject_alternative_names((!names.is_empty()).then(|| {
                let mut all = vec![spec.domain_name.clone()];
                all.extend(names);
                all
            }))
            .validation_method(ValidationMethod::Dns)
            .idempotency_token(idempotency_token(&ctx.token()))
            .set_tags(Some(acm_tags(&ctx.tags(&spec.tags))?))
            .send()
            .await
            .op(OP)?;
        let arn = out
            .certificate_arn()
            .ok_or_else(|| AwsError::invalid(OP, "no certificate ARN in the answer"))?;
        let record = wait_for_record(acm, arn, &spec.domain_name).await?;
        Ok(Created {
            id: CloudId::new(arn),
            outputs: outputs(arn, Some(record)),
        })
    }

    /// Only the tags change in place.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &CertificateSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if !changed.iter().any(|c| c == tags::ATTR) {
            return Ok(());
        }
        let acm = client(ctx.aws, region_of(id.as_str()))?;
        let changes = TagChanges::between(&spec.tags, live_tags(acm, id.as_str()).await?);
        if !changes.remove.is_empty() {
            let keys = changes.remove.iter().map(|k| acm_tag(k, None));
            acm.remove_tags_from_certificate()
                .certificate_arn(id.as_str())
                .set_tags(Some(keys.collect::<Result<_, _>>()?))
                .send()
                .await
                .op("RemoveTagsFromCertificate")?;
        }
        if !changes.set.is_empty() {
            acm.add_tags_to_certificate()
                .certificate_arn(id.as_str())
                .set_tags(Some(acm_tags(&changes.set)?))
                .send()
                .await
                .op("AddTagsToCertificate")?;
        }
        Ok(())
    }

    /// Retried while a listener or distribution that let go of it a moment ago is
    /// still counted as using it.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let acm = client(aws, region_of(id.as_str()))?;
        wait::while_in_use(WaitPolicy::within(aws.in_use_timeout), || async {
            acm.delete_certificate()
                .certificate_arn(id.as_str())
                .send()
                .await
                .op("DeleteCertificate")
                .found()
                .map(|_| ())
        })
        .await
    }
}

/// The ACM client of `region`: the stack's, or us-east-1's for CloudFront.
pub fn client<'a>(aws: &'a Aws, region: &str) -> Result<&'a aws_sdk_acm::Client, AwsError> {
    if region == aws.region {
        Ok(&aws.acm)
    } else if region == CLOUDFRONT_REGION {
        Ok(&aws.acm_cloudfront)
    } else {
        Err(AwsError::invalid(
            "ACM",
            format!(
                "a certificate in {region} is neither in the stack's region ({}) nor in \
                 {CLOUDFRONT_REGION}",
                aws.region
            ),
        ))
    }
}

/// The region field of an ACM ARN (`arn:aws:acm:REGION:ACCOUNT:certificate/ID`).
pub fn region_of(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or_default()
}

/// The names besides the domain name, sorted: ACM lists the domain name among the
/// subject alternative names as well.
fn alternative_names(domain: &str, names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = names.iter().filter(|n| *n != domain).cloned().collect();
    out.sort();
    out.dedup();
    out
}

/// ACM's idempotency token is `\w+` of at most 32 characters.
fn idempotency_token(token: &str) -> String {
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(32)
        .collect()
}

/// Pending validation or issued; every other status is final and unusable.
fn usable(detail: &CertificateDetail) -> bool {
    matches!(
        detail.status(),
        Some(CertificateStatus::PendingValidation | CertificateStatus::Issued)
    )
}

/// The CNAME (name, value) ACM asks for to validate `domain`, once it shows.
pub fn validation_record(detail: &CertificateDetail, domain: &str) -> Option<(String, String)> {
    detail
        .domain_validation_options()
        .iter()
        .find(|o| o.domain_name() == domain)
        .and_then(|o| o.resource_record())
        .map(|r| (r.name().to_string(), r.value().to_string()))
}

pub async fn describe(
    acm: &aws_sdk_acm::Client,
    arn: &str,
) -> Result<Option<CertificateDetail>, AwsError> {
    let out = acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .op("DescribeCertificate")
        .found()?;
    Ok(out.and_then(|o| o.certificate().cloned()))
}

async fn wait_for_record(
    acm: &aws_sdk_acm::Client,
    arn: &str,
    domain: &str,
) -> Result<(String, String), AwsError> {
    wait::until(
        "wait for the certificate's validation record",
        RECORD_WAIT,
        || async {
            let detail = describe(acm, arn).await?;
            Ok(
                match detail.as_ref().and_then(|d| validation_record(d, domain)) {
                    Some(record) => Poll::Ready(record),
                    None => Poll::Pending("no validation record yet".into()),
                },
            )
        },
    )
    .await
}

fn outputs(arn: &str, record: Option<(String, String)>) -> Outputs {
    let mut out = Outputs::from([
        ("id".into(), arn.to_string()),
        ("arn".into(), arn.to_string()),
    ]);
    if let Some((name, value)) = record {
        out.insert("validation_name".into(), name);
        out.insert("validation_value".into(), value);
    }
    out
}

/// ARNs of the region's certificates whose domain name is `domain`.
async fn arns_for(acm: &aws_sdk_acm::Client, domain: &str) -> Result<Vec<String>, AwsError> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let out = acm
            .list_certificates()
            .set_next_token(token)
            .send()
            .await
            .op("ListCertificates")?;
        arns.extend(
            out.certificate_summary_list()
                .iter()
                .filter(|c| c.domain_name() == Some(domain))
                .filter_map(|c| c.certificate_arn().map(str::to_string)),
        );
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(arns),
        }
    }
}

fn acm_tag(key: &str, value: Option<&str>) -> Result<Tag, AwsError> {
    Tag::builder()
        .key(key)
        .set_value(value.map(str::to_string))
        .build()
        .map_err(|e| AwsError::invalid("AddTagsToCertificate", e.to_string()))
}

fn acm_tags(pairs: &[(String, String)]) -> Result<Vec<Tag>, AwsError> {
    pairs.iter().map(|(k, v)| acm_tag(k, Some(v))).collect()
}

async fn live_tags(acm: &aws_sdk_acm::Client, arn: &str) -> Result<Tags, AwsError> {
    let out = acm
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .op("ListTagsForCertificate")?;
    Ok(out
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idempotency_token_is_a_word_of_at_most_32_characters() {
        let token = idempotency_token("0f8e6a1c-5b2d-4c3e-9a7f-1e2d3c4b5a69");
        assert_eq!(token, "0f8e6a1c5b2d4c3e9a7f1e2d3c4b5a69");
        assert_eq!(idempotency_token(&"a".repeat(40)).len(), 32);
    }

    #[test]
    fn the_region_is_the_fourth_field_of_the_arn() {
        assert_eq!(
            region_of("arn:aws:acm:us-east-1:123456789012:certificate/abc"),
            "us-east-1"
        );
    }
}
