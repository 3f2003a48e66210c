//! How stackctl retries AWS calls: the SDK's standard mode (exponential backoff with
//! full jitter, 1 s doubling up to 20 s) for up to eight attempts, no retry quota, and
//! no retry of a connection the endpoint refused.
//!
//! Measured through the test fault proxy (20% throttling, 5% server errors, 1% dropped
//! connections), applying the reference stack:
//! - Adaptive mode took 263 s for an apply that takes 2 s without faults (standard
//!   mode: 22 to 33 s). Its client-side rate limiter is built for long-lived
//!   high-volume clients: after one throttling error it caps the client at the rate it
//!   measured (a CLI's is low), never below half a request per second, and charges a
//!   retry five times an initial request, so every retry waited 10 to 20 s. Against
//!   AWS, backing off is still done per call by the exponential backoff, and bursts
//!   are kept small up front by the per-service in-flight bound (`in_flight.rs`).
//! - The SDK's default retry quota (a token bucket of 500 per service, 5 tokens per
//!   throttling retry, 10 per 5xx or broken connection, shared by all calls of a
//!   client) holds at these rates, but runs dry at about 45% faults: then a call fails
//!   on its first throttling error although it had attempts left (17 of 300 calls, 92
//!   of 600). The quota protects a service from retry storms of many clients; here the
//!   load is already bounded by the in-flight bound and the backoff, and a quota that
//!   runs dry halfway through an apply only leaves the stack half changed. So each
//!   client has its own partition with an unlimited bucket, and a call gives up after
//!   its eight attempts (at most about a minute of backoff) and no sooner.

use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_types::retry::RetryConfig;
use std::error::Error;

/// Attempts per call, the first included. Eight faults in a row are rare even when a
/// quarter of all calls fail (0.25^8: about one call in 65 000).
pub const MAX_ATTEMPTS: u32 = 8;

pub fn config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS)
}

/// A client's own retry partition, named after its service, with no retry quota.
pub fn partition(service: &'static str) -> RetryPartition {
    RetryPartition::custom(service)
        .token_bucket(TokenBucket::unlimited())
        .build()
}

/// A refused connection is final: nothing listens at the endpoint, and retrying would
/// only make a person wait (eight attempts with backoff: up to a minute) for an answer
/// that was clear at once. A connection that breaks after it was made is still retried.
#[derive(Debug, Default)]
pub struct RefusedConnectionIsFinal;

impl ClassifyRetry for RefusedConnectionIsFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        match error.as_connector_error() {
            Some(e) if is_refused(e) => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "RefusedConnectionIsFinal"
    }

    /// After the SDK's transient-error classifier, which would retry it.
    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// HTTP 429 is throttling whatever the code says: SNS answers its rate limits with
/// 429 and the code `Throttled`, which the SDK's list of throttling codes lacks, so
/// without this a throttled Subscribe or CreateTopic would fail the step at once.
#[derive(Debug, Default)]
pub struct TooManyRequestsIsThrottling;

impl ClassifyRetry for TooManyRequestsIsThrottling {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let failed = matches!(ctx.output_or_error(), Some(Err(_)));
        let status = ctx.response().map(|r| r.status().as_u16());
        match (failed, status) {
            (true, Some(429)) => RetryAction::throttling_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "TooManyRequestsIsThrottling"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

fn is_refused(error: &(dyn Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        next = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(std::io::Error);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("tcp connect error")
        }
    }

    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    /// A failed call answered 429 (SNS's `Throttled`) is retried as throttling; a 400
    /// is left to the SDK's own classifiers, and so is a 429 that succeeded.
    #[test]
    fn too_many_requests_is_throttling() {
        use aws_smithy_runtime_api::client::interceptors::context::{Error as Erased, Input};
        use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, OrchestratorError};
        use aws_smithy_types::body::SdkBody;
        let answered = |status: u16, failed: bool| {
            let mut ctx = InterceptorContext::new(Input::doesnt_matter());
            ctx.set_response(HttpResponse::new(
                status.try_into().unwrap(),
                SdkBody::empty(),
            ));
            ctx.set_output_or_error(match failed {
                true => Err(OrchestratorError::operation(Erased::erase(Wrapper(
                    std::io::ErrorKind::Other.into(),
                )))),
                false => Ok(
                    aws_smithy_runtime_api::client::interceptors::context::Output::doesnt_matter(),
                ),
            });
            TooManyRequestsIsThrottling.classify_retry(&ctx)
        };
        assert_eq!(answered(429, true), RetryAction::throttling_error());
        assert_eq!(answered(400, true), RetryAction::NoActionIndicated);
        assert_eq!(answered(429, false), RetryAction::NoActionIndicated);
    }

    #[test]
    fn a_refused_connection_is_found_anywhere_in_the_chain() {
        let refused = Wrapper(std::io::ErrorKind::ConnectionRefused.into());
        assert!(is_refused(&refused));
        let reset = Wrapper(std::io::ErrorKind::ConnectionReset.into());
        assert!(!is_refused(&reset));
    }
}
