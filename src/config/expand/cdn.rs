//! `[cdn]`: a CloudFront distribution in front of the ALB. It talks to the ALB over
//! HTTPS whenever the ALB has HTTPS, over HTTP otherwise, never `match-viewer` (an
//! HTTPS-redirecting ALB behind `match-viewer` loops). It caches only what the app
//! marks cacheable, or nothing, and passes every viewer header, cookie and query
//! string on, so the app behind it sees requests as they were made.

use super::load_balancer::LoadBalancer;
use super::shared::addr;
use crate::address::{Address, Kind};
use crate::config::schema::{Caching, ViewerProtocol};
use crate::config::validate::Validated;
use crate::desired::Desired;
use crate::resources::Ref;
use crate::resources::cloudfront_distribution::CloudfrontDistributionSpec;

const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// UseOriginCacheControlHeaders-QueryStrings: caches only what the app marks
/// cacheable (default TTL 0), keyed by host, path, every query string and every
/// cookie, so a dynamic page is never served to a request it was not made for.
/// (CachingOptimized keys by path alone and caches for a day by default: a Flask
/// page would be served to every query string and every user.)
const CACHING_BY_ORIGIN_HEADERS: &str = "4cc15a8a-d715-48a4-82b8-cc0b614638fe";
const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";

/// The distribution, when `[cdn]` is enabled and there is a load balancer to be its
/// origin.
pub(super) fn expand(v: &Validated, lb: &LoadBalancer) -> Vec<Desired> {
    let c = &v.config;
    if !(c.cdn.enabled && v.has_load_balancer()) {
        return Vec::new();
    }
    let https_origin = super::load_balancer::https_port(v);
    let requested = super::domain::cdn_certificate(v);
    let after: Vec<Address> = requested
        .iter()
        .map(|_| super::domain::validation_record())
        .collect();
    let certificate = super::domain::certificate_input(requested, c.cdn.certificate_arn.as_ref());
    // With [domain], the distribution answers at the domain first.
    let mut aliases: Vec<String> = c.domain.iter().map(|d| d.name.clone()).collect();
    aliases.extend(
        c.cdn
            .aliases
            .iter()
            .filter(|a| !aliases.contains(a))
            .cloned()
            .collect::<Vec<_>>(),
    );
    vec![
        Desired::new(
            addr(Kind::CloudfrontDistribution, "main"),
            CloudfrontDistributionSpec {
                origin_domain: Ref::new(lb.alb.clone(), "dns_name"),
                origin_protocol: if https_origin.is_some() {
                    "https-only"
                } else {
                    "http-only"
                }
                .into(),
                origin_http_port: c.load_balancer.http_port.into(),
                origin_https_port: https_origin.unwrap_or(443).into(),
                viewer_protocol: match c.cdn.viewer_protocol {
                    ViewerProtocol::AllowAll => "allow-all",
                    ViewerProtocol::RedirectToHttps => "redirect-to-https",
                    ViewerProtocol::HttpsOnly => "https-only",
                }
                .into(),
                cache_policy_id: match c.cdn.caching {
                    Caching::Disabled => CACHING_DISABLED,
                    Caching::Optimized => CACHING_BY_ORIGIN_HEADERS,
                }
                .into(),
                origin_request_policy_id: ALL_VIEWER.into(),
                aliases,
                certificate_arn: certificate,
                price_class: c.cdn.price_class.clone(),
                comment: format!("{stack} (stackctl)", stack = c.stack.name),
                wait_for_deployment: c.cdn.wait,
                tags: c.stack.tags.clone(),
            },
        )
        .after(after),
    ]
}
