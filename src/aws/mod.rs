//! AWS access: one SDK client per service, all built from one `SdkConfig` so that
//! credentials, region, retries and `AWS_ENDPOINT_URL` are decided in one place.

pub mod blockers;
pub mod call_log;
pub mod error;
pub mod unknown_outcome;
pub mod wait;

pub use error::{AwsError, AwsErrorKind, NotFoundExt, SdkResultExt};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_types::region::Region;
use call_log::{CallLog, CallLogInterceptor};

/// SDK clients for every service stackctl manages, cheap to clone.
#[derive(Clone, Debug)]
pub struct Aws {
    pub region: String,
    pub ec2: aws_sdk_ec2::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// How long deletes that AWS refuses as in use are retried (`--dependency-timeout`).
    pub in_use_timeout: std::time::Duration,
}

macro_rules! client {
    ($sdk:ident, $shared:expr, $log:expr) => {{
        let mut builder = $sdk::config::Builder::from($shared);
        if let Some(log) = $log {
            builder = builder.interceptor(CallLogInterceptor::new(log.clone()));
        }
        $sdk::Client::from_conf(builder.build())
    }};
}

impl Aws {
    /// Loads the standard credential chain (environment, profiles, SSO, instance
    /// roles). The region is the stack's; adaptive retry backs off on throttling
    /// across all calls of a client rather than per call.
    pub async fn connect(region: &str, call_log: Option<&CallLog>) -> Aws {
        let shared = Self::loader(region).load().await;
        Self::from_shared(region, &shared, call_log)
    }

    /// Clients for a local emulator at `endpoint` with its fake credentials, whatever
    /// the environment says; for tests that drive resource kinds directly.
    pub async fn for_emulator(region: &str, endpoint: &str) -> Aws {
        let shared = Self::loader(region)
            .endpoint_url(endpoint)
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "emulator",
            ))
            .load()
            .await;
        Self::from_shared(region, &shared, None)
    }

    fn loader(region: &str) -> aws_config::ConfigLoader {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .retry_config(RetryConfig::adaptive().with_max_attempts(8))
    }

    fn from_shared(region: &str, shared: &aws_types::SdkConfig, call_log: Option<&CallLog>) -> Aws {
        Aws {
            region: region.to_string(),
            ec2: client!(aws_sdk_ec2, shared, call_log),
            ecs: client!(aws_sdk_ecs, shared, call_log),
            ecr: client!(aws_sdk_ecr, shared, call_log),
            elb: client!(aws_sdk_elasticloadbalancingv2, shared, call_log),
            cloudfront: client!(aws_sdk_cloudfront, shared, call_log),
            iam: client!(aws_sdk_iam, shared, call_log),
            logs: client!(aws_sdk_cloudwatchlogs, shared, call_log),
            in_use_timeout: wait::IN_USE_TIMEOUT,
        }
    }

    pub fn with_in_use_timeout(self, in_use_timeout: std::time::Duration) -> Aws {
        Aws {
            in_use_timeout,
            ..self
        }
    }
}
