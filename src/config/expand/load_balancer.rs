//! `[load_balancer]`: the internet-facing ALB in the public subnets, its security
//! group, and its HTTP and HTTPS listeners. One ALB serves every routed service: the
//! listeners forward to the default service, and path rules (made with the services)
//! to the others. With HTTPS, HTTP only redirects to it by default, so the app is not
//! served in plain text next to HTTPS. It exists only when some service has routes.

use super::domain;
use super::network::Network;
use super::shared::{addr, allow_all_egress, id, ids};
use crate::address::{Address, Kind};
use crate::config::validate::Validated;
use crate::desired::Desired;
use crate::resources::Ref;
use crate::resources::input::Input;
use crate::resources::listener::{ListenerAction, ListenerSpec};
use crate::resources::load_balancer::LoadBalancerSpec;
use crate::resources::security_group::{Rule, SecurityGroupSpec};

/// AWS's managed prefix list of the addresses CloudFront reaches origins from.
pub const CLOUDFRONT_ORIGIN_FACING: &str = "com.amazonaws.global.cloudfront.origin-facing";

/// What the services and the CDN attach to. The addresses are fixed; the resources
/// exist only when `Validated::has_load_balancer`.
pub(super) struct LoadBalancer {
    pub alb: Address,
    pub security_group: Address,
    /// Listeners that forward by path (as opposed to redirecting everything to HTTPS),
    /// each with the suffix of its rules' addresses.
    pub forwarding: Vec<(Address, &'static str)>,
}

pub(super) fn expand(v: &Validated, network: &Network) -> (Vec<Desired>, LoadBalancer) {
    let mut lb = LoadBalancer {
        alb: addr(Kind::LoadBalancer, "main"),
        security_group: addr(Kind::SecurityGroup, "alb"),
        forwarding: Vec::new(),
    };
    if !v.has_load_balancer() {
        return (Vec::new(), lb);
    }
    let c = &v.config;
    let stack = &c.stack.name;
    let tags = &c.stack.tags;
    let mut out = vec![Desired::new(
        lb.security_group.clone(),
        SecurityGroupSpec {
            vpc: Ref::id(network.vpc.clone()),
            description: format!("{stack} load balancer"),
            ingress: ingress(v),
            egress: allow_all_egress(),
            tags: tags.clone(),
        },
    )];
    // An internet-facing ALB needs the VPC's internet gateway attached (AWS refuses
    // to create one without), and must be gone before the gateway is detached (its
    // public addresses hold the gateway). It does not wait for its subnets' route
    // table: it provisions for minutes, and the route is in place long before that.
    out.push(
        Desired::new(
            lb.alb.clone(),
            LoadBalancerSpec {
                name: format!("{stack}-alb"),
                scheme: "internet-facing".into(),
                subnets: ids(&network.public_subnets),
                security_groups: vec![Ref::id(lb.security_group.clone())],
                idle_timeout: c.load_balancer.idle_timeout as i32,
                deletion_protection: c.load_balancer.deletion_protection,
                drop_invalid_header_fields: c.load_balancer.drop_invalid_header_fields,
                tags: tags.clone(),
            },
        )
        .after([network.igw.clone()]),
    );
    let (listeners, forwarding) = listeners(v, &lb.alb);
    out.extend(listeners);
    lb.forwarding = forwarding;
    (out, lb)
}

/// Who may reach the ALB: CloudFront alone when the CDN is its only way in, otherwise
/// anyone on the listener ports.
fn ingress(v: &Validated) -> Vec<Rule> {
    let c = &v.config;
    let lb = &c.load_balancer;
    if c.cdn.enabled && c.cdn.alb_only_from_cloudfront {
        // CloudFront uses HTTPS to the origin whenever the ALB has it.
        let origin_port = https_port(v).unwrap_or(lb.http_port);
        return vec![tcp_from_cloudfront(origin_port)];
    }
    let mut ingress = vec![tcp_from_anywhere(lb.http_port, "HTTP from anywhere")];
    if let Some(port) = https_port(v) {
        ingress.push(tcp_from_anywhere(port, "HTTPS from anywhere"));
    }
    ingress
}

fn tcp_from_anywhere(port: u16, description: &str) -> Rule {
    Rule {
        protocol: "tcp".into(),
        from_port: port.into(),
        to_port: port.into(),
        cidr: Some("0.0.0.0/0".into()),
        source_group: None,
        prefix_list: None,
        description: description.into(),
    }
}

/// The one port CloudFront talks to the ALB on, from CloudFront's origin-facing
/// servers only. Without a description: the emulator drops descriptions of prefix
/// list rules, which would show as a difference on every plan. In AWS the list counts
/// as 55 rules against the group's quota of 60, so there is room for exactly one.
fn tcp_from_cloudfront(port: u16) -> Rule {
    Rule {
        protocol: "tcp".into(),
        from_port: port.into(),
        to_port: port.into(),
        cidr: None,
        source_group: None,
        prefix_list: Some(CLOUDFRONT_ORIGIN_FACING.into()),
        description: String::new(),
    }
}

/// The port of the HTTPS listener: `[load_balancer.https]`'s, or 443 for `[domain]`.
pub(super) fn https_port(v: &Validated) -> Option<u16> {
    let c = &v.config;
    match (&c.load_balancer.https, &c.domain) {
        (Some(h), _) => Some(h.port),
        (None, Some(_)) => Some(443),
        (None, None) => None,
    }
}

/// The HTTPS listener's settings: `[load_balancer.https]` as given, or for `[domain]`
/// port 443 with the requested certificate, HTTP redirected to it.
struct HttpsListener {
    port: u16,
    redirect_http: bool,
    ssl_policy: Option<String>,
    certificate: Input,
    /// What must be ready first: the record whose ready step says the requested
    /// certificate is issued.
    after: Vec<Address>,
}

fn https_settings(v: &Validated) -> Option<HttpsListener> {
    let c = &v.config;
    let given = c.load_balancer.https.as_ref();
    let requested = domain::load_balancer_certificate(v);
    let after = requested
        .iter()
        .map(|_| domain::validation_record())
        .collect();
    let certificate = domain::certificate_input(requested, given.map(|h| &h.certificate_arn))?;
    Some(HttpsListener {
        port: https_port(v)?,
        redirect_http: given.is_none_or(|h| h.redirect_http),
        ssl_policy: given.and_then(|h| h.ssl_policy.clone()),
        certificate,
        after,
    })
}

/// The HTTP listener and, with HTTPS, the HTTPS one; with those of them that forward
/// by path.
fn listeners(v: &Validated, alb: &Address) -> (Vec<Desired>, Vec<(Address, &'static str)>) {
    let lb = &v.config.load_balancer;
    let http = addr(Kind::Listener, "http");
    let https = addr(Kind::Listener, "https");
    let mut forwarding = Vec::new();
    let settings = https_settings(v);
    let redirect = settings.as_ref().filter(|h| h.redirect_http);
    let mut out = vec![Desired::new(
        http.clone(),
        ListenerSpec {
            load_balancer: Ref::id(alb.clone()),
            port: lb.http_port.into(),
            protocol: "HTTP".into(),
            certificate_arn: None,
            ssl_policy: None,
            default_action: match redirect {
                Some(h) => ListenerAction::RedirectHttps {
                    port: h.port.into(),
                },
                None => default_action(v),
            },
            tags: v.config.stack.tags.clone(),
        },
    )];
    if redirect.is_none() {
        forwarding.push((http, "http"));
    }
    if let Some(h) = settings {
        out.push(https_listener(v, alb, &https, h));
        forwarding.push((https, "https"));
    }
    (out, forwarding)
}

fn https_listener(v: &Validated, alb: &Address, https: &Address, h: HttpsListener) -> Desired {
    Desired::new(
        https.clone(),
        ListenerSpec {
            load_balancer: Ref::id(alb.clone()),
            port: h.port.into(),
            protocol: "HTTPS".into(),
            certificate_arn: Some(h.certificate),
            ssl_policy: Some(
                h.ssl_policy
                    .unwrap_or_else(|| "ELBSecurityPolicy-TLS13-1-2-2021-06".into()),
            ),
            default_action: default_action(v),
            tags: v.config.stack.tags.clone(),
        },
    )
    .after(h.after)
}

/// What a forwarding listener does with a request no rule matches: the service that
/// routes `/*` takes it, or else nobody does.
fn default_action(v: &Validated) -> ListenerAction {
    match &v.default_service {
        Some(s) => ListenerAction::Forward {
            target_group: id(Kind::TargetGroup, s.clone()),
        },
        None => ListenerAction::FixedResponse {
            status: 404,
            body: "Not found".into(),
        },
    }
}
