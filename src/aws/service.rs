//! The AWS services stackctl calls, and what differs between them: the name requests
//! are signed with (which also names the service's retry partition, and is how the
//! test harness's fault proxy tells services apart) and how many requests of it may
//! be in flight at once. A kind names its service (`Resource::SERVICE`); a new service
//! is a variant here, a client in `Aws`, and the fault proxy's error format for it
//! (a test over every kind checks the proxy knows it).

/// One AWS service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::VariantArray)]
pub enum Service {
    Ec2,
    Ecs,
    Ecr,
    ElasticLoadBalancing,
    CloudFront,
    Iam,
    Logs,
    /// Application Auto Scaling: the scalable targets and policies of services.
    ApplicationAutoScaling,
    /// CloudWatch (metrics and alarms; `monitoring` in signatures).
    CloudWatch,
    /// SNS: the alarms' topic and its subscriptions.
    Sns,
    /// ACM: the certificates of `[domain]`, in the stack's region and us-east-1.
    Acm,
    /// Route 53: the records of `[domain]` in the user's hosted zone.
    Route53,
    /// The state's bucket; no kind is an S3 object.
    S3,
}

impl Service {
    pub const ALL: &'static [Service] = <Service as strum::VariantArray>::VARIANTS;

    /// The service name of the SigV4 credential scope.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Ecs => "ecs",
            Service::Ecr => "ecr",
            Service::ElasticLoadBalancing => "elasticloadbalancing",
            Service::CloudFront => "cloudfront",
            Service::Iam => "iam",
            Service::Logs => "logs",
            Service::ApplicationAutoScaling => "application-autoscaling",
            Service::CloudWatch => "monitoring",
            Service::Sns => "sns",
            Service::Acm => "acm",
            Service::Route53 => "route53",
            Service::S3 => "s3",
        }
    }

    /// Requests in flight at once (see `in_flight`). EC2 refills its buckets fastest
    /// (tens of reads and a few mutations per second per account and region) and is
    /// the service stackctl calls most; ELBv2, ECS, ECR and CloudWatch Logs allow fewer
    /// calls per second; IAM (one global endpoint for the whole account) and CloudFront
    /// (a control plane of a few calls per second) allow the fewest. The state object
    /// and its lock have one writer at a time anyway. Application Auto Scaling allows
    /// a few calls per second, and a stack makes a handful.
    pub fn in_flight(self) -> usize {
        match self {
            Service::Ec2 => 8,
            Service::Ecs | Service::Ecr | Service::ElasticLoadBalancing | Service::Logs => 4,
            Service::Iam | Service::CloudFront | Service::ApplicationAutoScaling => 2,
            Service::CloudWatch | Service::Sns => 4,
            // Route 53 allows five requests a second for the whole account; ACM's
            // DescribeCertificate ten. A stack makes a handful of either.
            Service::Acm => 2,
            Service::Route53 => 1,
            Service::S3 => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_has_its_own_signing_name() {
        let mut names: Vec<&str> = Service::ALL.iter().map(|s| s.signing_name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Service::ALL.len());
    }
}
