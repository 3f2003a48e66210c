//! AWS access: one SDK client per service, all built from one `SdkConfig` so that
//! credentials, region, retries, timeouts and `AWS_ENDPOINT_URL` are decided in one
//! place. Each client has its own bound on requests in flight and its own retry
//! partition, as AWS limits each service on its own.

pub mod blockers;
pub mod call_log;
pub mod error;
pub mod hint;
pub mod http_layer;
pub mod in_flight;
pub mod propagation;
pub mod retry;
pub mod service;
pub mod unknown_outcome;
pub mod wait;

pub use error::{AwsError, AwsErrorKind, NotFoundExt, SdkResultExt};
pub use service::Service;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_types::region::Region;
use call_log::{CallLog, CallLogInterceptor};
use error::ENDPOINT_ENV;
use std::time::Duration;

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
    pub scaling: aws_sdk_applicationautoscaling::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    /// ACM in the stack's region (the load balancer's certificate).
    pub acm: aws_sdk_acm::Client,
    /// ACM in us-east-1, where CloudFront takes its certificates from.
    pub acm_cloudfront: aws_sdk_acm::Client,
    pub route53: aws_sdk_route53::Client,
    /// How long deletes that AWS refuses as in use are retried (`--dependency-timeout`).
    pub in_use_timeout: std::time::Duration,
    /// The shared settings the clients were built from, for further clients (the
    /// state's bucket) that must not resolve credentials a second time.
    sdk: aws_types::SdkConfig,
}

/// One service's client: the shared settings, plus its own in-flight bound and retry
/// partition, and the API call log when asked for.
macro_rules! client {
    (@build $sdk:ident, $log:expr, $http:expr, $service:expr, $builder:expr) => {{
        let service: Service = $service;
        let mut builder = $builder
            .http_client(propagation::retrying(in_flight::limit(
                $http.clone(),
                service.in_flight(),
            )))
            .retry_partition(retry::partition(service.signing_name()))
            .retry_classifier(retry::RefusedConnectionIsFinal)
            .retry_classifier(retry::TooManyRequestsIsThrottling);
        builder = builder.interceptor(match $log {
            Some(log) => CallLogInterceptor::new(log.clone()),
            None => CallLogInterceptor::tracing_only(),
        });
        $sdk::Client::from_conf(builder.build())
    }};
    // In another region than the stack's (ACM for CloudFront, in us-east-1).
    ($sdk:ident, $shared:expr, $log:expr, $http:expr, $service:expr, $region:expr) => {{
        let builder = $sdk::config::Builder::from($shared).region(Region::new($region));
        client!(@build $sdk, $log, $http, $service, builder)
    }};
    ($sdk:ident, $shared:expr, $log:expr, $http:expr, $service:expr) => {{
        let builder = $sdk::config::Builder::from($shared);
        client!(@build $sdk, $log, $http, $service, builder)
    }};
}

/// How long to wait for a TCP (and TLS) connection: AWS's endpoints answer in
/// milliseconds, so a few seconds tell a slow network from an address where nothing
/// answers, without the minutes an OS waits for a dropped handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Aws {
    /// Loads the standard credential chain (environment, profiles, SSO, instance
    /// roles). The region is the stack's; how calls are retried is `retry.rs`'s, how
    /// many run at once `in_flight.rs`'s.
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
            .retry_config(retry::config())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .build(),
            )
    }

    fn from_shared(region: &str, shared: &aws_types::SdkConfig, call_log: Option<&CallLog>) -> Aws {
        let http = in_flight::sdk_default_client();
        Aws {
            region: region.to_string(),
            ec2: client!(aws_sdk_ec2, shared, call_log, http, Service::Ec2),
            ecs: client!(aws_sdk_ecs, shared, call_log, http, Service::Ecs),
            ecr: client!(aws_sdk_ecr, shared, call_log, http, Service::Ecr),
            elb: client!(
                aws_sdk_elasticloadbalancingv2,
                shared,
                call_log,
                http,
                Service::ElasticLoadBalancing
            ),
            cloudfront: client!(
                aws_sdk_cloudfront,
                shared,
                call_log,
                http,
                Service::CloudFront
            ),
            iam: client!(aws_sdk_iam, shared, call_log, http, Service::Iam),
            logs: client!(
                aws_sdk_cloudwatchlogs,
                shared,
                call_log,
                http,
                Service::Logs
            ),
            scaling: client!(
                aws_sdk_applicationautoscaling,
                shared,
                call_log,
                http,
                Service::ApplicationAutoScaling
            ),
            cloudwatch: client!(
                aws_sdk_cloudwatch,
                shared,
                call_log,
                http,
                Service::CloudWatch
            ),
            sns: client!(aws_sdk_sns, shared, call_log, http, Service::Sns),
            acm: client!(aws_sdk_acm, shared, call_log, http, Service::Acm),
            acm_cloudfront: client!(
                aws_sdk_acm,
                shared,
                call_log,
                http,
                Service::Acm,
                crate::resources::certificate::CLOUDFRONT_REGION
            ),
            route53: client!(aws_sdk_route53, shared, call_log, http, Service::Route53),
            in_use_timeout: wait::IN_USE_TIMEOUT,
            sdk: shared.clone(),
        }
    }

    /// A client for the S3 bucket that keeps the state, which may be in another region
    /// than the stack. Addressed by path when an endpoint is set (an emulator on
    /// loopback has no per-bucket host names).
    pub async fn s3(region: &str, call_log: Option<&CallLog>) -> aws_sdk_s3::Client {
        Self::s3_from(&Self::loader(region).load().await, region, call_log)
    }

    /// `s3` from this connection's settings and credentials.
    pub fn s3_client(&self, region: &str, call_log: Option<&CallLog>) -> aws_sdk_s3::Client {
        Self::s3_from(&self.sdk, region, call_log)
    }

    fn s3_from(
        shared: &aws_types::SdkConfig,
        region: &str,
        call_log: Option<&CallLog>,
    ) -> aws_sdk_s3::Client {
        let http = in_flight::sdk_default_client();
        let endpoint_set = [ENDPOINT_ENV, "AWS_ENDPOINT_URL_S3"]
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty()));
        let builder = aws_sdk_s3::config::Builder::from(shared)
            .region(Region::new(region.to_string()))
            .http_client(in_flight::limit(http, Service::S3.in_flight()))
            .retry_partition(retry::partition(Service::S3.signing_name()))
            .retry_classifier(retry::RefusedConnectionIsFinal)
            .force_path_style(endpoint_set)
            .interceptor(match call_log {
                Some(log) => CallLogInterceptor::new(log.clone()),
                None => CallLogInterceptor::tracing_only(),
            });
        aws_sdk_s3::Client::from_conf(builder.build())
    }

    pub fn with_in_use_timeout(self, in_use_timeout: std::time::Duration) -> Aws {
        Aws {
            in_use_timeout,
            ..self
        }
    }
}
