//! Route 53 record in the hosted zone of `[domain]`: the alias records (A, AAAA) that
//! point the domain at CloudFront or the load balancer, and the CNAME through which
//! ACM validates the certificates. The id is `ZONEID_NAME_TYPE` (terraform's form).
//! The zone itself is the user's: found by name, never created or deleted.
//!
//! What AWS does that the emulator does not:
//! - A change is PENDING until every Route 53 name server has it (usually under a
//!   minute); an alias record is waited for until GetChange says INSYNC, so the
//!   domain answers when apply says done. The emulator is INSYNC at once.
//! - DELETE must name the record exactly as it is (values, TTL, alias target); the
//!   record is read first and deleted as read. The emulator matches by name only.
//! - ALB alias targets read back with a `dualstack.` prefix and a trailing dot, in
//!   lower case; both sides are compared without them (as terraform-provider-aws
//!   does).
//! - A validation record is ready once ACM has issued the certificates it validates:
//!   usually minutes, up to half an hour (ACM user guide); a certificate that fails
//!   (CAA records that do not allow Amazon, say) fails the step with ACM's reason.

use super::certificate;
use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::input::Input;
use super::{Created, Ctx, Live, Lookup, Outputs, Ref, Resource, Wanted, WantedAttrs, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::wait::{self, Poll, WaitPolicy};
use crate::aws::{Aws, AwsError, SdkResultExt};
use aws_sdk_acm::types::CertificateStatus;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord,
    ResourceRecordSet, RrType,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsRecordSpec {
    /// The public hosted zone's name (`[domain] zone`).
    pub zone: String,
    /// The record's name: the domain, or the name ACM gives its validation record.
    pub name: Input,
    /// "A", "AAAA" or "CNAME".
    pub record_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<AliasSpec>,
    /// A CNAME's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Input>,
    /// The certificates (ids) this record validates: its ready step waits until they
    /// are issued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validates: Vec<Ref>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasSpec {
    /// The DNS name of the distribution or load balancer.
    pub target: Ref,
    /// Its hosted zone (CloudFront's fixed one, or the ALB's canonical zone).
    pub zone_id: Ref,
    /// Route 53 answers with the target only while it is healthy; CloudFront
    /// targets take false (AWS refuses true).
    pub evaluate_target_health: bool,
}

pub struct DnsRecord;

/// A CNAME's TTL: ACM's documented example, short enough that a fix shows soon.
const TTL: i64 = 300;

/// ACM validates within minutes, at most about 30 (ACM user guide); past that,
/// something is wrong with the delegation of the zone.
const VALIDATION_WAIT: WaitPolicy = WaitPolicy {
    timeout: std::time::Duration::from_secs(45 * 60),
    first: std::time::Duration::from_secs(2),
    max: std::time::Duration::from_secs(20),
};

/// Route 53 propagates a change to its name servers within 60 seconds.
const INSYNC_WAIT: WaitPolicy = WaitPolicy::minutes(5);

impl Facts for DnsRecord {
    const SERVICE: Service = Service::Route53;
    const IMPORT_ID: &'static str =
        "its zone id, name and type as ZONEID_NAME_TYPE (Z0123456789ABC_app.example.com_A)";

    /// A validation record is ready once ACM has issued its certificates; an alias
    /// record within a minute.
    fn usual_minutes(action: Action, spec: &Self::Spec) -> Option<(u32, u32)> {
        let validates = !spec.validates.is_empty();
        (validates && matches!(action, Action::Create | Action::Replace)).then_some((2, 30))
    }

    /// Queries of alias records to CloudFront and load balancers are free; the
    /// validation CNAME is asked for a few times a year. The zone's $0.50 a month is
    /// the user's, whatever the stack.
    fn cost(address: &Address, spec: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        let what = match &spec.alias {
            Some(_) => format!("{address}: Route 53 alias record (queries free)"),
            None => format!("{address}: Route 53 validation record (free)"),
        };
        Some(Item {
            what,
            monthly: 0.0,
            up_to: None,
        })
    }

    /// The domain of an alias record is where the app answers.
    fn stack_outputs(_: &Address, record: &Record) -> Vec<(String, String)> {
        let spec: Option<DnsRecordSpec> = serde_json::from_value(record.spec.clone()).ok();
        match spec {
            Some(DnsRecordSpec {
                alias: Some(_),
                name: Input::Given(name),
                ..
            }) => vec![("domain".into(), name)],
            _ => Vec::new(),
        }
    }
}

impl Resource for DnsRecord {
    const KIND: Kind = Kind::DnsRecord;
    const REPLACE_ON: &'static [&'static str] = &["zone", "name", "record_type"];
    const WAITS: bool = true;
    /// The listener and the distribution take a certificate only once it is issued
    /// (AWS refuses one pending validation).
    const READY_BEFORE: &'static [Kind] = &[Kind::Listener, Kind::CloudfrontDistribution];
    const FOUND_BY: &'static str = "its name and content (Route 53 records carry no tags)";
    /// A record is compared with what it would hold: the validation name and value
    /// of its certificate, the DNS name of the distribution or load balancer.
    const FIND_NEEDS: &'static [Kind] = &[
        Kind::Certificate,
        Kind::CloudfrontDistribution,
        Kind::LoadBalancer,
    ];
    type Spec = DnsRecordSpec;

    fn wanted(spec: &DnsRecordSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let normal = |w: Wanted| match w {
            Wanted::Known(Value::String(s)) => known(normalize(&s)),
            other => other,
        };
        let mut attrs = WantedAttrs::from([
            ("zone".into(), known(normalize(&spec.zone))),
            ("name".into(), normal(spec.name.wanted(lookup))),
            ("record_type".into(), known(spec.record_type.clone())),
        ]);
        if let Some(alias) = &spec.alias {
            attrs.insert(
                "alias_target".into(),
                normal(super::wanted_ref(lookup, &alias.target)),
            );
            attrs.insert(
                "alias_zone_id".into(),
                super::wanted_ref(lookup, &alias.zone_id),
            );
            attrs.insert(
                "evaluate_target_health".into(),
                known(alias.evaluate_target_health),
            );
        }
        if let Some(value) = &spec.value {
            attrs.insert("value".into(), normal(value.wanted(lookup)));
            attrs.insert("ttl".into(), known(TTL));
        }
        attrs
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let (zone_id, name, record_type) = parse_id(id)?;
        let Some(set) = live_record(aws, zone_id, name, record_type).await? else {
            return Ok(None);
        };
        let zone = zone_name(aws, zone_id).await?;
        let mut attrs = super::Attrs::from([
            ("zone".into(), normalize(&zone).into()),
            ("name".into(), normalize(set.name()).into()),
            ("record_type".into(), set.r#type().as_str().into()),
        ]);
        if let Some(alias) = set.alias_target() {
            attrs.insert("alias_target".into(), normalize(alias.dns_name()).into());
            attrs.insert("alias_zone_id".into(), alias.hosted_zone_id().into());
            attrs.insert(
                "evaluate_target_health".into(),
                alias.evaluate_target_health().into(),
            );
        }
        if let Some(value) = set.resource_records().first() {
            attrs.insert("value".into(), normalize(value.value()).into());
            attrs.insert("ttl".into(), set.ttl().into());
        }
        Ok(Some(Live {
            attrs,
            outputs: outputs(id.as_str(), name),
        }))
    }

    /// The record of this name and type, when its content is what this address
    /// would write: records carry no tags, so that is how an interrupted create is
    /// told from somebody else's record (which create then refuses to overwrite).
    async fn find(ctx: &Ctx<'_>, spec: &DnsRecordSpec) -> Result<Option<CloudId>, AwsError> {
        let Some(name) = known_input(ctx, &spec.name) else {
            return Ok(None);
        };
        let Some(zone_id) = zone_id(ctx.aws, &spec.zone).await? else {
            return Ok(None);
        };
        let Some(set) = live_record(ctx.aws, &zone_id, &name, &spec.record_type).await? else {
            return Ok(None);
        };
        let wanted = desired_set(ctx, spec, &name, true);
        let same = wanted.is_ok_and(|w| same_content(&w, &set));
        Ok(same.then(|| CloudId::new(record_id(&zone_id, &name, &spec.record_type))))
    }

    /// An alias record is CREATEd, so a record of the same name made by somebody
    /// else is refused rather than taken over; the validation CNAME is UPSERTed, as
    /// every certificate of the domain in the account asks for the same one.
    async fn create(ctx: &Ctx<'_>, spec: &DnsRecordSpec) -> Result<Created, AwsError> {
        let zone_id = zone_id(ctx.aws, &spec.zone)
            .await?
            .ok_or_else(|| missing_zone(&spec.zone))?;
        let name = spec.name.resolve(ctx)?;
        let action = match spec.alias {
            Some(_) => ChangeAction::Create,
            None => ChangeAction::Upsert,
        };
        let set = desired_set(ctx, spec, &name, false)?;
        change(ctx.aws, &zone_id, action, set, spec.alias.is_some())
            .await
            .map_err(|e| already_exists(e, &name, &spec.record_type, &spec.zone))?;
        let id = record_id(&zone_id, &name, &spec.record_type);
        Ok(Created {
            outputs: outputs(&id, &name),
            id: CloudId::new(id),
        })
    }

    async fn wait_ready(ctx: &Ctx<'_>, id: &CloudId, spec: &DnsRecordSpec) -> Result<(), AwsError> {
        let (_, name, _) = parse_id(id)?;
        let value = match &spec.value {
            Some(v) => v.resolve(ctx)?,
            None => return Ok(()),
        };
        for certificate in &spec.validates {
            let arn = ctx.resolve(certificate)?;
            wait_issued(ctx.aws, &arn, (name, &value), &spec.zone).await?;
        }
        Ok(())
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &DnsRecordSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        let (zone_id, name, _) = parse_id(id)?;
        let set = desired_set(ctx, spec, name, false)?;
        change(
            ctx.aws,
            zone_id,
            ChangeAction::Upsert,
            set,
            spec.alias.is_some(),
        )
        .await
    }

    /// DELETE names the record exactly as it is, so it is read first.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let (zone_id, name, record_type) = parse_id(id)?;
        let Some(set) = live_record(aws, zone_id, name, record_type).await? else {
            return Ok(());
        };
        match change(aws, zone_id, ChangeAction::Delete, set, false).await {
            Err(e) if e.message.contains("not found") => Ok(()),
            other => other,
        }
    }
}

/// The public hosted zone named `zone`, without its `/hostedzone/` prefix. Route 53
/// lists zones from the given name on, in order, so only exact matches count; a
/// private zone of the same name answers only inside its VPCs and is passed over.
pub async fn zone_id(aws: &Aws, zone: &str) -> Result<Option<String>, AwsError> {
    let wanted = format!("{}.", normalize(zone));
    let out = aws
        .route53
        .list_hosted_zones_by_name()
        .dns_name(&wanted)
        .max_items(10)
        .send()
        .await
        .op("ListHostedZonesByName")?;
    let public: Vec<&str> = out
        .hosted_zones()
        .iter()
        .filter(|z| z.name().eq_ignore_ascii_case(&wanted))
        .filter(|z| !z.config().is_some_and(|c| c.private_zone()))
        .map(|z| z.id().trim_start_matches("/hostedzone/"))
        .collect();
    match public.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.to_string())),
        several => Err(AwsError::invalid(
            "ListHostedZonesByName",
            format!(
                "{} public hosted zones are named {zone} ({}); Route 53 answers for the one \
                 the domain's registrar delegates to: delete the others",
                several.len(),
                several.join(", ")
            ),
        )),
    }
}

pub fn missing_zone(zone: &str) -> AwsError {
    AwsError::invalid(
        "ListHostedZonesByName",
        format!(
            "there is no public Route 53 hosted zone named {zone} in this account; stackctl \
             never creates one (its name servers must be set at the domain's registrar). \
             Create it (`aws route53 create-hosted-zone --name {zone} --caller-reference \
             $(date +%s)`) and delegate the domain to it, or set [domain] zone to a zone \
             you have"
        ),
    )
}

async fn zone_name(aws: &Aws, zone_id: &str) -> Result<String, AwsError> {
    let out = aws
        .route53
        .get_hosted_zone()
        .id(zone_id)
        .send()
        .await
        .op("GetHostedZone")?;
    Ok(out
        .hosted_zone()
        .map(|z| z.name().to_string())
        .unwrap_or_default())
}

/// The record set of exactly this name and type, if there is one.
async fn live_record(
    aws: &Aws,
    zone_id: &str,
    name: &str,
    record_type: &str,
) -> Result<Option<ResourceRecordSet>, AwsError> {
    let out = aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(name)
        .start_record_type(RrType::from(record_type))
        .max_items(1)
        .send()
        .await
        .op("ListResourceRecordSets");
    let out = match out {
        Err(e) if e.code == "NoSuchHostedZone" => return Ok(None),
        other => other?,
    };
    Ok(out
        .resource_record_sets()
        .iter()
        .find(|s| normalize(s.name()) == normalize(name) && s.r#type().as_str() == record_type)
        .cloned())
}

/// The record set `spec` asks for. In `find`, references may be unknown yet: then
/// there is nothing to compare with.
fn desired_set(
    ctx: &Ctx<'_>,
    spec: &DnsRecordSpec,
    name: &str,
    finding: bool,
) -> Result<ResourceRecordSet, AwsError> {
    let value_of = |r: &Ref| match finding {
        true => ctx
            .known(r)
            .ok_or_else(|| AwsError::invalid("find", "not known yet")),
        false => ctx.resolve(r),
    };
    let built = |e: aws_smithy_types::error::operation::BuildError| {
        AwsError::invalid("ChangeResourceRecordSets", e.to_string())
    };
    let mut set = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::from(spec.record_type.as_str()));
    if let Some(alias) = &spec.alias {
        set = set.alias_target(
            AliasTarget::builder()
                .dns_name(value_of(&alias.target)?)
                .hosted_zone_id(value_of(&alias.zone_id)?)
                .evaluate_target_health(alias.evaluate_target_health)
                .build()
                .map_err(built)?,
        );
    }
    if let Some(value) = &spec.value {
        let value = match value {
            Input::Ref(r) => value_of(r)?,
            Input::Given(v) => v.clone(),
        };
        set = set.ttl(TTL).resource_records(
            ResourceRecord::builder()
                .value(value)
                .build()
                .map_err(built)?,
        );
    }
    set.build().map_err(built)
}

fn same_content(wanted: &ResourceRecordSet, live: &ResourceRecordSet) -> bool {
    let alias = |s: &ResourceRecordSet| {
        s.alias_target()
            .map(|a| (normalize(a.dns_name()), a.hosted_zone_id().to_string()))
    };
    let values = |s: &ResourceRecordSet| {
        s.resource_records()
            .iter()
            .map(|r| normalize(r.value()))
            .collect::<Vec<_>>()
    };
    alias(wanted) == alias(live) && values(wanted) == values(live)
}

/// One change, and for alias records the wait until every Route 53 name server
/// answers with it.
async fn change(
    aws: &Aws,
    zone_id: &str,
    action: ChangeAction,
    set: ResourceRecordSet,
    wait_insync: bool,
) -> Result<(), AwsError> {
    const OP: &str = "ChangeResourceRecordSets";
    let built =
        |e: aws_smithy_types::error::operation::BuildError| AwsError::invalid(OP, e.to_string());
    let batch = ChangeBatch::builder()
        .changes(
            Change::builder()
                .action(action)
                .resource_record_set(set)
                .build()
                .map_err(built)?,
        )
        .build()
        .map_err(built)?;
    let out = aws
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(batch)
        .send()
        .await
        .op(OP)?;
    let Some(info) = out.change_info().filter(|_| wait_insync) else {
        return Ok(());
    };
    let change_id = info.id().trim_start_matches("/change/").to_string();
    wait::until(
        "wait for Route 53 to answer with the record",
        INSYNC_WAIT,
        || async {
            let out = aws
                .route53
                .get_change()
                .id(&change_id)
                .send()
                .await
                .op("GetChange")?;
            let status = out.change_info().map(|c| c.status().clone());
            Ok(match status {
                Some(ChangeStatus::Insync) => Poll::Ready(()),
                other => Poll::Pending(format!("{other:?}")),
            })
        },
    )
    .await
}

fn already_exists(e: AwsError, name: &str, record_type: &str, zone: &str) -> AwsError {
    if !e.message.contains("already exists") {
        return e;
    }
    AwsError::invalid(
        "ChangeResourceRecordSets",
        format!(
            "the zone {zone} already has a {record_type} record for {name}, which stackctl did \
             not make; it never overwrites DNS it did not create. Delete that record (or \
             import it: `stackctl import dns_record.<name> ZONEID_{name}_{record_type}`), then \
             apply again"
        ),
    )
}

/// Until ACM says issued; its failure reason when it gives up.
async fn wait_issued(
    aws: &Aws,
    arn: &str,
    record: (&str, &str),
    zone: &str,
) -> Result<(), AwsError> {
    let acm = certificate::client(aws, certificate::region_of(arn))?;
    let what = "wait for ACM to issue the certificate";
    let result = wait::until(what, VALIDATION_WAIT, || async {
        let Some(detail) = certificate::describe(acm, arn).await? else {
            return Err(AwsError::invalid(what, format!("{arn} is gone")));
        };
        let domain = detail.domain_name().unwrap_or_default();
        if let Some((name, value)) = certificate::validation_record(&detail, domain)
            && (normalize(&name), normalize(&value)) != (normalize(record.0), normalize(record.1))
        {
            return Err(AwsError::invalid(
                what,
                format!(
                    "{arn} asks for the validation record {name} CNAME {value}, not the one \
                     written ({} CNAME {})",
                    record.0, record.1
                ),
            ));
        }
        match detail.status() {
            Some(CertificateStatus::Issued) => Ok(Poll::Ready(())),
            Some(CertificateStatus::PendingValidation) => {
                Ok(Poll::Pending("PENDING_VALIDATION".into()))
            }
            other => Err(AwsError::invalid(
                what,
                format!(
                    "ACM gave up on {arn}: status {}, reason {}",
                    other.map(|s| s.as_str()).unwrap_or("unknown"),
                    detail
                        .failure_reason()
                        .map(|r| r.as_str())
                        .unwrap_or("none given")
                ),
            )),
        }
    })
    .await;
    result.map_err(|e| match e.message.contains("gave up after") {
        true => AwsError::invalid(
            what,
            format!(
                "{}. ACM cannot see the validation record: check that the domain's registrar \
                 delegates to the name servers of the zone {zone} (its NS record), and that no \
                 CAA record of the domain leaves out amazon.com",
                e.message
            ),
        ),
        false => e,
    })
}

/// A name as Route 53 and ACM compare them: lower case, without the final dot, and
/// without the `dualstack.` prefix Route 53 gives ALB alias targets.
fn normalize(name: &str) -> String {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    lower
        .strip_prefix("dualstack.")
        .map(str::to_string)
        .unwrap_or(lower)
}

fn known_input(ctx: &Ctx<'_>, input: &Input) -> Option<String> {
    match input {
        Input::Ref(r) => ctx.known(r),
        Input::Given(v) => Some(v.clone()),
    }
}

fn record_id(zone_id: &str, name: &str, record_type: &str) -> String {
    format!("{zone_id}_{}_{record_type}", normalize(name))
}

/// `ZONEID_NAME_TYPE`: the zone id and the type have no `_`, a validation name does.
fn parse_id(id: &CloudId) -> Result<(&str, &str, &str), AwsError> {
    let s = id.as_str();
    let parsed = s
        .split_once('_')
        .and_then(|(zone, rest)| rest.rsplit_once('_').map(|(name, t)| (zone, name, t)));
    parsed.ok_or_else(|| {
        AwsError::invalid(
            "Route 53",
            format!("`{s}` is not a record id (ZONEID_NAME_TYPE)"),
        )
    })
}

fn outputs(id: &str, name: &str) -> Outputs {
    Outputs::from([
        ("id".into(), id.to_string()),
        ("name".into(), normalize(name)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_splits_at_its_first_and_last_underscore() {
        let id = CloudId::new("Z0123_ab12._cd.app.example.com_CNAME");
        assert_eq!(
            parse_id(&id).unwrap(),
            ("Z0123", "ab12._cd.app.example.com", "CNAME")
        );
        assert!(parse_id(&CloudId::new("Z0123")).is_err());
    }

    #[test]
    fn names_compare_without_case_final_dot_or_dualstack() {
        assert_eq!(
            normalize("dualstack.Web-ALB-1.eu-west-2.elb.amazonaws.com."),
            "web-alb-1.eu-west-2.elb.amazonaws.com"
        );
        assert_eq!(normalize("App.Example.com"), "app.example.com");
    }
}
