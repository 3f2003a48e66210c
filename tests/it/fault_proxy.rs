//! The fault proxy against real SDK clients: every injected fault is parsed by the
//! SDK as the service's own error and retried, and a lost answer was carried out by
//! the emulator. The proxy lives in crates/stackctl-bench (the benchmark drives it
//! too); these tests need the emulator and the AWS SDK, so they live here.

use crate::support::emulator::{Emulator, REGION};
use stackctl_bench::fault_proxy::{Fault, FaultProxy, Faults, error_of};
use std::time::Duration;

/// Real SDK clients, retrying `attempts` times at once, through the proxy.
async fn sdk(endpoint: &str, attempts: u32) -> aws_types::SdkConfig {
    use aws_config::retry::RetryConfig;
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            "test",
            "test",
            None,
            None,
            "fault-proxy",
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .load()
        .await
}

/// One cheap read of `service`; on failure the error code the SDK parsed (or
/// "dispatch" when no answer came) and the HTTP status.
async fn read_of(sdk: &aws_types::SdkConfig, service: &str) -> Result<(), (String, u16)> {
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::SdkError;
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    fn fail<E: ProvideErrorMetadata>(e: SdkError<E, HttpResponse>) -> (String, u16) {
        let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
        match &e {
            SdkError::DispatchFailure(_) => ("dispatch".into(), status),
            _ => (e.code().unwrap_or("(no code)").to_string(), status),
        }
    }
    match service {
        "ec2" => aws_sdk_ec2::Client::new(sdk)
            .describe_vpcs()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "iam" => aws_sdk_iam::Client::new(sdk)
            .list_roles()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "elasticloadbalancing" => aws_sdk_elasticloadbalancingv2::Client::new(sdk)
            .describe_load_balancers()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "cloudfront" => aws_sdk_cloudfront::Client::new(sdk)
            .list_distributions()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "ecs" => aws_sdk_ecs::Client::new(sdk)
            .list_clusters()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "ecr" => aws_sdk_ecr::Client::new(sdk)
            .describe_repositories()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "logs" => aws_sdk_cloudwatchlogs::Client::new(sdk)
            .describe_log_groups()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "application-autoscaling" => aws_sdk_applicationautoscaling::Client::new(sdk)
            .describe_scalable_targets()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "monitoring" => aws_sdk_cloudwatch::Client::new(sdk)
            .describe_alarms()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "sns" => aws_sdk_sns::Client::new(sdk)
            .list_topics()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "acm" => aws_sdk_acm::Client::new(sdk)
            .list_certificates()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        "route53" => aws_sdk_route53::Client::new(sdk)
            .list_hosted_zones()
            .send()
            .await
            .map(drop)
            .map_err(fail),
        other => panic!("no read for {other}"),
    }
}

const SERVICES: &[&str] = &[
    "ec2",
    "iam",
    "elasticloadbalancing",
    "cloudfront",
    "ecs",
    "ecr",
    "logs",
    "application-autoscaling",
    "monitoring",
    "sns",
    "acm",
    "route53",
];

/// Every service's throttling answer parses as that service's throttling code and is
/// retried by the SDK, which for the 400 answers proves the SDK classified it as
/// throttling (it retries a 400 for no other reason); every 5xx answer parses with
/// its code and is retried; a dropped connection is retried as a transient error.
#[tokio::test(flavor = "multi_thread")]
async fn sdk_clients_parse_and_retry_every_injected_fault() {
    let emulator = Emulator::start();
    let proxy = FaultProxy::start(
        &emulator.endpoint,
        Faults {
            throttle: 1.0,
            ..Faults::none(1)
        },
    );
    let sdk = sdk(&proxy.endpoint, 3).await;
    for &service in SERVICES {
        let (status, code, _) = error_of(service, Fault::Throttle);
        assert_eq!(
            read_of(&sdk, service).await,
            Err((code.to_string(), status)),
            "{service}"
        );
        assert_eq!(proxy.counts()[service].throttled, 3, "{service} retries");
    }
    proxy.set_faults(Faults {
        server_error: 1.0,
        ..Faults::none(2)
    });
    for &service in SERVICES {
        let (_, got_status) = read_of(&sdk, service).await.unwrap_err();
        let flavours = [false, true].map(|unavailable| {
            let (status, code, _) = error_of(service, Fault::ServerError { unavailable });
            (code.to_string(), status)
        });
        let err = read_of(&sdk, service).await.unwrap_err();
        assert!(flavours.contains(&err), "{service}: {err:?}");
        assert!(got_status >= 500, "{service}: {got_status}");
        assert_eq!(
            proxy.counts()[service].server_errors,
            6,
            "{service} retries"
        );
    }
    proxy.set_faults(Faults {
        drop: 1.0,
        ..Faults::none(3)
    });
    for &service in SERVICES {
        assert_eq!(
            read_of(&sdk, service).await,
            Err(("dispatch".to_string(), 0)),
            "{service}"
        );
        assert_eq!(proxy.counts()[service].dropped, 3, "{service} retries");
    }
    proxy.set_faults(Faults::none(4));
    for &service in SERVICES {
        assert_eq!(read_of(&sdk, service).await, Ok(()), "{service}");
        assert_eq!(proxy.counts()[service].forwarded, 1, "{service}");
    }
}

/// A lost response is the case where AWS did the work: the log group exists in the
/// emulator although the caller only saw a broken connection.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_response_was_carried_out_upstream() {
    let emulator = Emulator::start();
    let proxy = FaultProxy::start(
        &emulator.endpoint,
        Faults {
            lost_response: 1.0,
            ..Faults::none(5)
        },
    );
    let through = aws_sdk_cloudwatchlogs::Client::new(&sdk(&proxy.endpoint, 1).await);
    let created = through
        .create_log_group()
        .log_group_name("/lost")
        .send()
        .await;
    assert!(created.is_err(), "the answer was not lost: {created:?}");
    assert_eq!(proxy.counts()["logs"].lost, 1);
    let direct = aws_sdk_cloudwatchlogs::Client::new(&sdk(&emulator.endpoint, 1).await);
    let groups = direct.describe_log_groups().send().await.unwrap();
    let names: Vec<_> = groups
        .log_groups()
        .iter()
        .filter_map(|g| g.log_group_name())
        .collect();
    assert_eq!(names, ["/lost"]);
}
