//! The benchmark's timing mode: objects that take time to become ready, as on AWS.
//!
//! moto makes a NAT gateway available, an ALB active, a CloudFront distribution
//! deployed and an ECS rollout complete at once, so against it an engine that waits
//! for each object before starting the next looks as fast as one that overlaps the
//! waits. The proxy therefore remembers when each such object was created (keyed by
//! the id in the create answer) and, while it is younger than its readiness time,
//! rewrites the describe answers that mention it back to the in-between state:
//! NAT gateway `pending`, load balancer `provisioning`, distribution `InProgress`,
//! service rollout `IN_PROGRESS` with no task running. A distribution's update (the
//! disable before a delete) deploys again, so it restarts that clock.
//!
//! The rewriting is textual on moto's own answers (one element or JSON field per
//! object), which keeps the proxy free of XML and protocol libraries; the unit tests
//! hold samples of the real answers.

use serde_json::Value;
use std::collections::HashMap;
use std::ops::Range;
use std::time::{Duration, Instant};

/// How long each kind of object takes to become ready after its create.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub nat_gateway: Duration,
    pub load_balancer: Duration,
    pub distribution: Duration,
    pub service: Duration,
}

impl Timing {
    /// AWS's usual times at one second per real minute: a NAT gateway about two
    /// minutes, an ALB three, CloudFront eight, an ECS rollout two.
    pub fn scaled() -> Timing {
        Timing {
            nat_gateway: Duration::from_secs(2),
            load_balancer: Duration::from_secs(3),
            distribution: Duration::from_secs(8),
            service: Duration::from_secs(2),
        }
    }
}

/// The parts of a request that say which operation it is.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// From the SigV4 credential scope: `ec2`, `elasticloadbalancing`, ...
    pub service: &'a str,
    /// `POST / HTTP/1.1`: CloudFront's operations are its method and path.
    pub start_line: &'a str,
    /// `X-Amz-Target` of JSON protocols (ECS).
    pub target: Option<&'a str>,
    /// The form body of query protocols (EC2, ELBv2) names the action.
    pub body: &'a [u8],
}

/// The operation a request calls, as AWS names it; None when it cannot be told.
pub fn operation(request: &Request) -> Option<String> {
    if let Some(target) = request.target {
        return target.rsplit('.').next().map(str::to_string);
    }
    if request.service == "cloudfront" {
        return cloudfront_operation(request.start_line);
    }
    let body = std::str::from_utf8(request.body).ok()?;
    body.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_string)
}

/// CloudFront's REST operations on distributions, from `METHOD /2020-05-31/... HTTP/1.1`.
fn cloudfront_operation(start_line: &str) -> Option<String> {
    let mut parts = start_line.split_whitespace();
    let method = parts.next()?;
    let target = parts.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let op = match (method, segments.as_slice()) {
        ("POST", [_, "distribution"]) if query.contains("WithTags") => "CreateDistributionWithTags",
        ("POST", [_, "distribution"]) => "CreateDistribution",
        ("GET", [_, "distribution"]) => "ListDistributions",
        ("GET", [_, "distribution", _]) => "GetDistribution",
        ("GET", [_, "distribution", _, "config"]) => "GetDistributionConfig",
        ("PUT", [_, "distribution", _, "config"]) => "UpdateDistribution",
        ("DELETE", [_, "distribution", _]) => "DeleteDistribution",
        _ => return None,
    };
    Some(op.to_string())
}

/// The distribution id in a CloudFront path `/2020-05-31/distribution/ID/...`.
pub(crate) fn distribution_in_path(start_line: &str) -> Option<&str> {
    let target = start_line.split_whitespace().nth(1)?;
    let path = target.split('?').next()?;
    let mut segments = path.trim_matches('/').split('/');
    segments.nth(1).filter(|s| *s == "distribution")?;
    segments.next()
}

/// The objects the proxy has seen created, and when.
#[derive(Debug)]
pub struct Readiness {
    timing: Timing,
    created: HashMap<String, Instant>,
}

impl Readiness {
    pub fn new(timing: Timing) -> Readiness {
        Readiness {
            timing,
            created: HashMap::new(),
        }
    }

    /// True while the object created under `id` is younger than `ready_after`.
    fn young(&self, id: &str, ready_after: Duration, now: Instant) -> bool {
        self.created
            .get(id)
            .is_some_and(|at| now.duration_since(*at) < ready_after)
    }

    /// The answer to `request` as the client gets it: a create is remembered, and a
    /// describe of an object not ready yet says so. Anything else passes unchanged.
    pub fn answer(&mut self, request: &Request, body: Vec<u8>, now: Instant) -> Vec<u8> {
        let Some(op) = operation(request) else {
            return body;
        };
        let Ok(text) = String::from_utf8(body) else {
            return Vec::new();
        };
        let t = self.timing;
        let text = match op.as_str() {
            "CreateNatGateway" => {
                self.remember(&text, "natGateway", &["natGatewayId"], now);
                self.rewrite_xml(&text, "natGateway", NAT, t.nat_gateway, now)
            }
            "DescribeNatGateways" => self.rewrite_xml(&text, "item", NAT, t.nat_gateway, now),
            "CreateLoadBalancer" => {
                self.remember(&text, "member", &["LoadBalancerArn"], now);
                self.rewrite_xml(&text, "member", LB, t.load_balancer, now)
            }
            "DescribeLoadBalancers" => self.rewrite_xml(&text, "member", LB, t.load_balancer, now),
            "CreateDistribution" | "CreateDistributionWithTags" => {
                self.remember(&text, "Distribution", &["Id"], now);
                self.rewrite_xml(&text, "Distribution", CF, t.distribution, now)
            }
            "UpdateDistribution" => {
                if let Some(id) = distribution_in_path(request.start_line) {
                    self.created.insert(id.to_string(), now);
                }
                self.rewrite_xml(&text, "Distribution", CF, t.distribution, now)
            }
            "GetDistribution" => self.rewrite_xml(&text, "Distribution", CF, t.distribution, now),
            "ListDistributions" => {
                self.rewrite_xml(&text, "DistributionSummary", CF, t.distribution, now)
            }
            "CreateService" | "DescribeServices" => self.rewrite_services(&text, &op, now),
            _ => text,
        };
        text.into_bytes()
    }

    /// Records the id at `id_path` of each outermost `element` as created `now`.
    fn remember(&mut self, xml: &str, element: &str, id_path: &[&str], now: Instant) {
        for e in elements(xml, element) {
            if let Some(id) = child_text(xml, e, id_path) {
                self.created.insert(xml[id].to_string(), now);
            }
        }
    }

    /// Sets the state of each outermost `element` whose object is young.
    fn rewrite_xml(
        &self,
        xml: &str,
        element: &str,
        shape: Shape,
        ready_after: Duration,
        now: Instant,
    ) -> String {
        let mut edits: Vec<Range<usize>> = Vec::new();
        for e in elements(xml, element) {
            let Some(id) = child_text(xml, e.clone(), shape.id) else {
                continue;
            };
            if !self.young(&xml[id], ready_after, now) {
                continue;
            }
            if let Some(state) = child_text(xml, e, shape.state) {
                edits.push(state);
            }
        }
        let mut out = xml.to_string();
        // From the end, so the earlier ranges stay valid.
        for range in edits.into_iter().rev() {
            out.replace_range(range, shape.not_ready);
        }
        out
    }

    /// An ECS service younger than its rollout time has its primary deployment in
    /// progress and no task running yet.
    fn rewrite_services(&mut self, json: &str, op: &str, now: Instant) -> String {
        let Ok(mut doc) = serde_json::from_str::<Value>(json) else {
            return json.to_string();
        };
        let services: Vec<&mut Value> = match op {
            "CreateService" => doc.get_mut("service").into_iter().collect(),
            _ => match doc.get_mut("services").and_then(Value::as_array_mut) {
                Some(list) => list.iter_mut().collect(),
                None => Vec::new(),
            },
        };
        let mut changed = false;
        for service in services {
            let Some(arn) = service.get("serviceArn").and_then(Value::as_str) else {
                continue;
            };
            if op == "CreateService" {
                self.created.insert(arn.to_string(), now);
            }
            if !self.young(arn, self.timing.service, now) {
                continue;
            }
            rollout_in_progress(service);
            changed = true;
        }
        if changed {
            doc.to_string()
        } else {
            json.to_string()
        }
    }
}

/// A service as ECS describes it while its first tasks start.
fn rollout_in_progress(service: &mut Value) {
    let desired = service
        .get("desiredCount")
        .cloned()
        .unwrap_or(Value::from(0));
    service["runningCount"] = Value::from(0);
    service["pendingCount"] = desired;
    if let Some(deployments) = service.get_mut("deployments").and_then(Value::as_array_mut) {
        for d in deployments {
            if d.get("status").and_then(Value::as_str) == Some("PRIMARY") {
                let desired = d.get("desiredCount").cloned().unwrap_or(Value::from(0));
                d["runningCount"] = Value::from(0);
                d["pendingCount"] = desired;
                d["rolloutState"] = Value::from("IN_PROGRESS");
                d["rolloutStateReason"] = Value::from("ECS deployment in progress.");
            }
        }
    }
}

/// Where an object's id and state are in its XML element, and the state that
/// means "not ready yet".
#[derive(Debug, Clone, Copy)]
struct Shape {
    id: &'static [&'static str],
    state: &'static [&'static str],
    not_ready: &'static str,
}

const NAT: Shape = Shape {
    id: &["natGatewayId"],
    state: &["state"],
    not_ready: "pending",
};
const LB: Shape = Shape {
    id: &["LoadBalancerArn"],
    state: &["State", "Code"],
    not_ready: "provisioning",
};
const CF: Shape = Shape {
    id: &["Id"],
    state: &["Status"],
    not_ready: "InProgress",
};

/// One tag of the answer: its name, whether it closes, and where it ends.
struct Tag<'a> {
    name: &'a str,
    closing: bool,
    self_closing: bool,
    start: usize,
    end: usize,
}

/// The tag starting at or after `from`; declarations (`<?xml`) are skipped.
fn next_tag(xml: &str, from: usize) -> Option<Tag<'_>> {
    let mut at = from;
    loop {
        let start = at + xml.get(at..)?.find('<')?;
        let end = start + xml[start..].find('>')? + 1;
        let inner = &xml[start + 1..end - 1];
        if inner.starts_with('?') || inner.starts_with('!') {
            at = end;
            continue;
        }
        let closing = inner.starts_with('/');
        let self_closing = inner.ends_with('/');
        let name = inner
            .trim_start_matches('/')
            .trim_end_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or_default();
        return Some(Tag {
            name,
            closing,
            self_closing,
            start,
            end,
        });
    }
}

/// The byte ranges of the outermost `<name>...</name>` elements (nested elements of
/// the same name, such as EC2's `<item>` in `<item>`, belong to their outer one).
pub(crate) fn elements(xml: &str, name: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut depth = 0;
    let mut open_at = 0;
    let mut at = 0;
    while let Some(tag) = next_tag(xml, at) {
        at = tag.end;
        if tag.name != name || tag.self_closing {
            continue;
        }
        if tag.closing {
            depth -= 1;
            if depth == 0 {
                found.push(open_at..tag.end);
            }
        } else {
            if depth == 0 {
                open_at = tag.start;
            }
            depth += 1;
        }
    }
    found
}

/// The text range of the element at `path` below `element`, direct children only
/// (so an item's `<state>` is never taken from an element nested in it).
pub(crate) fn child_text(xml: &str, element: Range<usize>, path: &[&str]) -> Option<Range<usize>> {
    let open = next_tag(xml, element.start)?;
    let mut at = open.end;
    let mut depth = 0;
    while let Some(tag) = next_tag(xml, at) {
        if tag.start >= element.end {
            return None;
        }
        at = tag.end;
        if tag.self_closing {
            continue;
        }
        if tag.closing {
            if depth == 0 {
                return None;
            }
            depth -= 1;
            continue;
        }
        if depth == 0 && tag.name == path[0] {
            let close = closing_of(xml, &tag)?;
            if path.len() == 1 {
                return Some(tag.end..close.start);
            }
            return child_text(xml, tag.start..close.end, &path[1..]);
        }
        depth += 1;
    }
    None
}

/// The tag that closes `open`.
fn closing_of<'a>(xml: &'a str, open: &Tag) -> Option<Tag<'a>> {
    let mut depth = 0;
    let mut at = open.end;
    while let Some(tag) = next_tag(xml, at) {
        at = tag.end;
        if tag.self_closing {
            continue;
        }
        if tag.closing {
            if depth == 0 {
                return Some(tag);
            }
            depth -= 1;
        } else {
            depth += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests;
