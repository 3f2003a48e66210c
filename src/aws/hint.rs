//! What to do about the AWS errors people meet most, said under the error: a missing
//! permission names the IAM action to allow, a quota names the quota to raise. AWS's
//! own code and message stay in the error above it, for searching.

use super::AwsError;

/// The advice for `e`, if it is one of the common cases.
pub fn for_error(e: &AwsError) -> Option<String> {
    if is_access_denied(&e.code) {
        let action = denied_action(&e.message)
            .map(|a| format!("`{a}`"))
            .unwrap_or_else(|| format!("the IAM action for {}", e.operation));
        return Some(format!(
            "the identity stackctl runs as may not do this: allow {action} in its IAM \
             policy (`aws sts get-caller-identity` shows which identity that is)"
        ));
    }
    if e.code == "NoSuchBucket" {
        return Some(
            "the bucket that keeps the state does not exist: create the bucket (and turn on \
             its versioning, so every state version is kept), e.g. `aws s3api create-bucket` \
             then `aws s3api put-bucket-versioning` (docs/state.md)"
                .into(),
        );
    }
    quota(&e.code).map(|q| {
        format!(
            "an AWS quota is reached: {q}. Delete what is unused, or ask for more in the \
             Service Quotas console (quotas are per account and region)"
        )
    })
}

fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthorizationError"
            | "UnauthorizedAccess"
    )
}

/// The action AWS names in its message: "... is not authorized to perform:
/// ec2:CreateVpc on resource ...".
fn denied_action(message: &str) -> Option<&str> {
    let rest = &message[message.find("perform: ")? + "perform: ".len()..];
    let action = rest.split(|c: char| c.is_whitespace() || c == ',').next()?;
    action.contains(':').then_some(action)
}

/// The quota behind a "limit exceeded" code, in the Service Quotas console's words.
fn quota(code: &str) -> Option<&'static str> {
    Some(match code {
        "VpcLimitExceeded" => "Amazon VPC, VPCs per Region",
        "InternetGatewayLimitExceeded" => "Amazon VPC, Internet gateways per Region",
        "NatGatewayLimitExceeded" => "Amazon VPC, NAT gateways per Availability Zone",
        "AddressLimitExceeded" => "Amazon EC2, EC2-VPC Elastic IPs",
        "SubnetLimitExceeded" => "Amazon VPC, Subnets per VPC",
        "RouteTableLimitExceeded" => "Amazon VPC, Route tables per VPC",
        "RouteLimitExceeded" => "Amazon VPC, Routes per route table",
        "SecurityGroupLimitExceeded" => "Amazon VPC, VPC security groups per Region",
        "RulesPerSecurityGroupLimitExceeded" => {
            "Amazon VPC, Inbound or outbound rules per security group"
        }
        "FlowLogsLimitExceeded" => "Amazon VPC, flow logs per resource",
        "TooManyLoadBalancers" => "Elastic Load Balancing, Application Load Balancers per Region",
        "TooManyTargetGroups" => "Elastic Load Balancing, Target Groups per Region",
        "TooManyListeners" => "Elastic Load Balancing, Listeners per Application Load Balancer",
        "TooManyRules" => "Elastic Load Balancing, Rules per Application Load Balancer",
        "TooManyTargets" => "Elastic Load Balancing, Targets per Application Load Balancer",
        "TooManyDistributions" => "Amazon CloudFront, Web distributions per AWS account",
        "LimitExceededException" => {
            "the service's quota that AWS's message names (ECS, ECR, IAM or CloudWatch Logs)"
        }
        "LimitExceeded" => "the IAM quota that AWS's message names",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsErrorKind;

    fn error(code: &str, message: &str) -> AwsError {
        AwsError {
            kind: AwsErrorKind::Other,
            operation: "CreateVpc",
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn a_missing_permission_names_the_action_aws_names() {
        let e = error(
            "UnauthorizedOperation",
            "You are not authorized to perform this operation. User: arn:aws:iam::1:user/ci \
             is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:*",
        );
        let hint = for_error(&e).unwrap();
        assert!(hint.contains("allow `ec2:CreateVpc`"), "{hint}");
        // Without the action in the message, the operation at least.
        let hint = for_error(&error("AccessDenied", "Access Denied")).unwrap();
        assert!(hint.contains("the IAM action for CreateVpc"), "{hint}");
    }

    #[test]
    fn a_quota_is_named_and_other_errors_get_no_hint() {
        let hint = for_error(&error(
            "VpcLimitExceeded",
            "The maximum number of VPCs has been reached.",
        ))
        .unwrap();
        assert!(hint.contains("VPCs per Region"), "{hint}");
        assert!(hint.contains("Service Quotas"), "{hint}");
        assert_eq!(for_error(&error("InvalidParameterValue", "bad")), None);
    }
}
