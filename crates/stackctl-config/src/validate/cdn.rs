//! The `[cdn]` table: CloudFront in front of the load balancer.

use super::problems::Problems;
use crate::regions::{self, Partition};
use crate::schema::{Cdn, LoadBalancer};

/// `has_lb`: some service has routes, so there is a load balancer to be the origin.
/// `partition` is None when the region is unknown (already a problem).
pub(super) fn check(
    cdn: &Cdn,
    lb: &LoadBalancer,
    has_domain: bool,
    has_lb: bool,
    partition: Option<&Partition>,
    problems: &mut Problems,
) {
    if cdn.alb_only_from_cloudfront && !cdn.enabled {
        problems.push(
            "cdn.alb_only_from_cloudfront",
            "admits only CloudFront to the load balancer, so it needs cdn.enabled = true (otherwise nothing could reach the app)".into(),
        );
    }
    if !cdn.enabled {
        return;
    }
    if !has_lb {
        problems.push(
            "cdn.enabled",
            "CloudFront needs the load balancer as its origin, and no service has routes".into(),
        );
    }
    match &cdn.certificate_arn {
        Some(arn) if !arn.contains(":acm:us-east-1:") => problems.push(
            "cdn.certificate_arn",
            "CloudFront only takes ACM certificates from us-east-1".into(),
        ),
        None if !cdn.aliases.is_empty() => problems.push(
            "cdn.aliases",
            "aliases need cdn.certificate_arn (an ACM certificate in us-east-1 covering them)"
                .into(),
        ),
        _ => {}
    }
    if !["PriceClass_100", "PriceClass_200", "PriceClass_All"].contains(&cdn.price_class.as_str()) {
        problems.push(
            "cdn.price_class",
            "one of PriceClass_100, PriceClass_200, PriceClass_All".into(),
        );
    }
    // With [domain], CloudFront forwards the domain, which the load balancer's
    // certificate covers.
    if !has_domain {
        check_https_origin(cdn, lb, problems);
    }
    if let Some(partition) = partition {
        check_partition(cdn, partition, problems);
    }
}

/// CloudFront checks the certificate of an `https-only` origin against the name it
/// asks for: the Host it forwards (the viewer's, with the AllViewer origin request
/// policy), else the origin's domain. Without aliases that is the distribution's own
/// `*.cloudfront.net` name or the ALB's `*.elb.amazonaws.com`, which no certificate
/// of the user's can cover, so every request would be a 502. Sending HTTP instead
/// loops when the ALB redirects HTTP to HTTPS. So an HTTPS load balancer behind
/// CloudFront needs aliases its certificate covers.
fn check_https_origin(cdn: &Cdn, lb: &LoadBalancer, problems: &mut Problems) {
    if lb.https.is_some() && cdn.aliases.is_empty() {
        problems.push(
            "cdn.aliases",
            "CloudFront reaches the load balancer over HTTPS (load_balancer.https is set) \
             and checks its certificate against the requested host name; without aliases \
             that is the distribution's own *.cloudfront.net name, which no certificate of \
             yours covers, so every request would fail with a 502. Add cdn.aliases with the \
             names your load balancer's certificate covers (and cdn.certificate_arn for \
             them, in us-east-1), or remove load_balancer.https"
                .into(),
        );
    }
}

/// CloudFront exists with ACM certificates in the commercial partition only: in
/// China it takes IAM server certificates and serves only on an ICP-registered
/// alternate domain; GovCloud and the isolated partitions have none.
fn check_partition(cdn: &Cdn, partition: &Partition, problems: &mut Problems) {
    let title = partition.title;
    match partition.cdn {
        regions::Cdn::WithAcm => {}
        regions::Cdn::ChinaOnly if cdn.certificate_arn.is_some() => problems.push(
            "cdn.certificate_arn",
            format!(
                "CloudFront in {title} does not take ACM certificates (it needs a \
                 certificate uploaded to IAM, which stackctl does not manage): remove \
                 the [cdn] table, or run the stack in a commercial region"
            ),
        ),
        regions::Cdn::ChinaOnly => problems.push(
            "cdn.enabled",
            format!(
                "CloudFront in {title} cannot serve on its default domain: it needs an \
                 ICP-registered alternate domain with a certificate uploaded to IAM, which \
                 stackctl does not manage; set cdn.enabled = false"
            ),
        ),
        regions::Cdn::Unavailable => problems.push(
            "cdn.enabled",
            format!("CloudFront is not available in {title}; set cdn.enabled = false"),
        ),
    }
}
