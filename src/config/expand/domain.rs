//! `[domain]`: the certificates, the record that validates them, and the alias
//! records that point the domain at CloudFront or at the load balancer.
//!
//! The load balancer's certificate is requested in the stack's region unless
//! `[load_balancer.https]` names one; CloudFront's in us-east-1 unless
//! `cdn.certificate_arn` names one (a given certificate is checked to cover the
//! domain before planning, `engine::domain`). Both ask ACM for the same validation
//! CNAME (one per domain name and account), so one record validates both, and its
//! ready step waits until both are issued: the HTTPS listener and the distribution
//! wait for it.

use super::load_balancer::LoadBalancer;
use super::shared::addr;
use crate::address::{Address, Kind};
use crate::config::schema::Domain;
use crate::config::validate::Validated;
use crate::desired::Desired;
use crate::resources::Ref;
use crate::resources::certificate::{CLOUDFRONT_REGION, CertificateSpec};
use crate::resources::dns_record::{AliasSpec, DnsRecordSpec};
use crate::resources::input::Input;

/// The load balancer's certificate, when stackctl requests it.
pub(super) fn load_balancer_certificate(v: &Validated) -> Option<Address> {
    (v.config.domain.is_some() && v.config.load_balancer.https.is_none())
        .then(|| addr(Kind::Certificate, "load_balancer"))
}

/// CloudFront's certificate, when stackctl requests it.
pub(super) fn cdn_certificate(v: &Validated) -> Option<Address> {
    let c = &v.config;
    (c.domain.is_some() && c.cdn.enabled && c.cdn.certificate_arn.is_none())
        .then(|| addr(Kind::Certificate, "cdn"))
}

/// The record whose ready step says the certificates are issued.
pub(super) fn validation_record() -> Address {
    addr(Kind::DnsRecord, "validation")
}

/// A certificate as a listener or distribution takes it: the user's, or the one
/// requested here.
pub(super) fn certificate_input(
    requested: Option<Address>,
    given: Option<&String>,
) -> Option<Input> {
    match (requested, given) {
        (Some(a), _) => Some(Input::Ref(Ref::new(a, "arn"))),
        (None, Some(arn)) => Some(Input::Given(arn.clone())),
        (None, None) => None,
    }
}

pub(super) fn expand(v: &Validated, lb: &LoadBalancer) -> Vec<Desired> {
    let Some(domain) = &v.config.domain else {
        return Vec::new();
    };
    if !v.has_load_balancer() {
        return Vec::new();
    }
    let tags = &v.config.stack.tags;
    let certificate = |address: Address, region: &str| {
        Desired::new(
            address,
            CertificateSpec {
                domain_name: domain.name.clone(),
                alternative_names: Vec::new(),
                region: region.to_string(),
                tags: tags.clone(),
            },
        )
    };
    let mut out = Vec::new();
    let mut certificates = Vec::new();
    if let Some(a) = load_balancer_certificate(v) {
        out.push(certificate(a.clone(), &v.region));
        certificates.push(a);
    }
    if let Some(a) = cdn_certificate(v) {
        out.push(certificate(a.clone(), CLOUDFRONT_REGION));
        certificates.push(a);
    }
    if let Some(first) = certificates.first() {
        out.push(Desired::new(
            validation_record(),
            DnsRecordSpec {
                zone: domain.zone.clone(),
                name: Input::Ref(Ref::new(first.clone(), "validation_name")),
                record_type: "CNAME".into(),
                alias: None,
                value: Some(Input::Ref(Ref::new(first.clone(), "validation_value"))),
                validates: certificates.iter().cloned().map(Ref::id).collect(),
            },
        ));
    }
    out.extend(aliases(v, domain, lb));
    out
}

/// A and AAAA to CloudFront; A alone to the load balancer, which stackctl makes
/// IPv4-only (an AAAA alias to it would answer with no address).
fn aliases(v: &Validated, domain: &Domain, lb: &LoadBalancer) -> Vec<Desired> {
    let cdn = v.config.cdn.enabled;
    let (target, zone_id, evaluate, types): (Ref, Ref, bool, &[&str]) = match cdn {
        true => {
            let dist = addr(Kind::CloudfrontDistribution, "main");
            (
                Ref::new(dist.clone(), "domain_name"),
                Ref::new(dist, "zone_id"),
                false,
                &["A", "AAAA"],
            )
        }
        false => (
            Ref::new(lb.alb.clone(), "dns_name"),
            Ref::new(lb.alb.clone(), "zone_id"),
            true,
            &["A"],
        ),
    };
    types
        .iter()
        .map(|t| {
            Desired::new(
                addr(Kind::DnsRecord, t.to_ascii_lowercase()),
                DnsRecordSpec {
                    zone: domain.zone.clone(),
                    name: Input::Given(domain.name.clone()),
                    record_type: t.to_string(),
                    alias: Some(AliasSpec {
                        target: target.clone(),
                        zone_id: zone_id.clone(),
                        evaluate_target_health: evaluate,
                    }),
                    value: None,
                    validates: Vec::new(),
                },
            )
        })
        .collect()
}
