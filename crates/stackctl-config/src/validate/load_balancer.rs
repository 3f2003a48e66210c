//! The `[load_balancer]` table, and what the load balancer needs of the rest of the
//! stack: two zones, and a name AWS accepts.

use super::Zones;
use super::problems::Problems;
use crate::schema::LoadBalancer;

/// `region` is the stack's: the ALB only takes a certificate from its own region.
/// `has_lb`: some service has routes, so the stack has a load balancer.
pub(super) fn check(
    lb: &LoadBalancer,
    region: &str,
    azs: &Zones,
    has_lb: bool,
    problems: &mut Problems,
) {
    if lb.http_port == 0 {
        problems.push("load_balancer.http_port", "port 0 is not a port".into());
    }
    if let Some(https) = &lb.https {
        if !https.certificate_arn.starts_with("arn:") || !https.certificate_arn.contains(":acm:") {
            problems.push(
                "load_balancer.https.certificate_arn",
                "give the ARN of an ACM certificate".into(),
            );
        } else if !https.certificate_arn.contains(&format!(":acm:{region}:")) {
            problems.push(
                "load_balancer.https.certificate_arn",
                format!("the ALB's certificate must be in the stack's region {region}"),
            );
        }
        if https.port == lb.http_port {
            problems.push(
                "load_balancer.https.port",
                "HTTP and HTTPS need different ports".into(),
            );
        }
    }
    // AWS refuses an ALB with subnets in fewer than two AZs; one AZ would also make
    // the whole app go down with it.
    if has_lb && azs.len() == 1 {
        problems.push(
            "network.azs",
            "the load balancer needs subnets in at least two availability zones: set network.azs = 2 (or list two AZs)".into(),
        );
    }
}

/// The ALB is named `{stack}-alb`, and AWS refuses load balancer names that begin with
/// `internal-` (CreateLoadBalancer: "must not begin with \"internal-\"").
pub(super) fn check_name(stack: &str, problems: &mut Problems) {
    let name = format!("{stack}-alb");
    if name.starts_with("internal-") {
        problems.push(
            "stack.name",
            format!(
                "`{stack}` names the load balancer `{name}`, and AWS refuses load balancer \
                 names that begin with `internal-`: choose another stack name"
            ),
        );
    }
}
