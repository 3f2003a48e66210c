//! A create is never re-sent blindly.
//!
//! The SDK retries a request whose answer was lost (connection dropped, timeout) or
//! that failed with a 5xx: for reads and updates that is right, but a create may have
//! been carried out before the answer was lost. Without an idempotency token
//! (CreateVpc, CreateSubnet, AllocateAddress, RegisterTaskDefinition, CreateRule ...)
//! sending it again makes a second object nobody records; for a named object
//! (CreateSecurityGroup, CreateRole, CreateRepository ...) it fails on the name the
//! first attempt took; and a token only helps within its validity window and where
//! the service honours it. So on every create call the SDK retries only throttling
//! (which AWS answers before doing anything); any other failure comes back to the
//! engine, which looks for the object by its tags before it sends the create again
//! (`engine::recover`).

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason,
};
use aws_smithy_types::retry::ErrorKind;

/// Runs after the SDK's own classifiers and forbids the retries whose first attempt
/// may have had an effect.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRetryWhenOutcomeUnknown;

impl ClassifyRetry for NoRetryWhenOutcomeUnknown {
    fn classify_retry(&self, _ctx: &InterceptorContext) -> RetryAction {
        RetryAction::NoActionIndicated
    }

    fn classify_retry_v2(&self, _ctx: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        match previous {
            RetryAction::RetryIndicated(RetryReason::RetryableError { kind, .. })
                if *kind != ErrorKind::ThrottlingError =>
            {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "stackctl-no-retry-when-outcome-unknown"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Per-call config overrides for the services that have such creates: use as
/// `.customize().config_override(unknown_outcome::ec2())`.
pub fn ec2() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_classifier(NoRetryWhenOutcomeUnknown)
}

pub fn ecs() -> aws_sdk_ecs::config::Builder {
    aws_sdk_ecs::config::Builder::default().retry_classifier(NoRetryWhenOutcomeUnknown)
}

pub fn elb() -> aws_sdk_elasticloadbalancingv2::config::Builder {
    aws_sdk_elasticloadbalancingv2::config::Builder::default()
        .retry_classifier(NoRetryWhenOutcomeUnknown)
}

pub fn ecr() -> aws_sdk_ecr::config::Builder {
    aws_sdk_ecr::config::Builder::default().retry_classifier(NoRetryWhenOutcomeUnknown)
}

pub fn iam() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default().retry_classifier(NoRetryWhenOutcomeUnknown)
}

pub fn cloudfront() -> aws_sdk_cloudfront::config::Builder {
    aws_sdk_cloudfront::config::Builder::default().retry_classifier(NoRetryWhenOutcomeUnknown)
}

pub fn logs() -> aws_sdk_cloudwatchlogs::config::Builder {
    aws_sdk_cloudwatchlogs::config::Builder::default().retry_classifier(NoRetryWhenOutcomeUnknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::interceptors::context::Input;

    fn after(previous: RetryAction) -> RetryAction {
        let ctx = InterceptorContext::new(Input::doesnt_matter());
        NoRetryWhenOutcomeUnknown.classify_retry_v2(&ctx, &previous)
    }

    #[test]
    fn only_throttling_is_retried() {
        assert_eq!(
            after(RetryAction::throttling_error()),
            RetryAction::NoActionIndicated
        );
        assert_eq!(
            after(RetryAction::transient_error()),
            RetryAction::RetryForbidden
        );
        assert_eq!(
            after(RetryAction::server_error()),
            RetryAction::RetryForbidden
        );
        assert_eq!(
            after(RetryAction::NoActionIndicated),
            RetryAction::NoActionIndicated
        );
    }
}
