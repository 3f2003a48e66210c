//! The one error type every SDK call is turned into. Callers decide on the class
//! (`NotFound` is how a read says "gone", `DependencyViolation` is how destroy knows to
//! retry), and the message keeps AWS's own code and text so a person can search for it.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The object does not exist (any service's flavour of "not found").
    NotFound,
    /// The request was refused because of the rate limit; retried by the SDK first.
    Throttled,
    /// Something else still uses the object (EC2 DependencyViolation, ELB ResourceInUse).
    InUse,
    /// The request could not reach AWS or got no answer (connection refused, timeout);
    /// the message says what to check.
    Unreachable,
    /// The rest: access denied, invalid parameter, quota, ...
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
pub struct AwsError {
    pub kind: AwsErrorKind,
    /// The API operation, e.g. `CreateVpc`.
    pub operation: &'static str,
    /// AWS's error code, e.g. `InvalidParameterValue`; empty when AWS was not reached.
    pub code: String,
    pub message: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code.is_empty() {
            write!(f, "{} failed: {}", self.operation, self.message)?;
        } else {
            write!(
                f,
                "{} failed: {}: {}",
                self.operation, self.code, self.message
            )?;
        }
        if let Some(hint) = super::hint::for_error(self) {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl AwsError {
    /// An error stackctl itself decides on about an AWS answer (a missing field, a
    /// wait that ran out), phrased like the SDK's so callers handle one type.
    pub fn invalid(operation: &'static str, message: impl Into<String>) -> Self {
        AwsError {
            kind: AwsErrorKind::Other,
            operation,
            code: String::new(),
            message: message.into(),
        }
    }

    pub fn not_found(operation: &'static str, message: impl Into<String>) -> Self {
        AwsError {
            kind: AwsErrorKind::NotFound,
            operation,
            code: String::new(),
            message: message.into(),
        }
    }

    /// An error AWS reported inside a successful answer (EC2's `Unsuccessful` items),
    /// classed like one it answered with.
    pub fn from_code(operation: &'static str, code: &str, message: &str) -> Self {
        AwsError {
            kind: classify(code, message),
            operation,
            code: code.to_string(),
            message: message.to_string(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == AwsErrorKind::NotFound
    }

    fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().unwrap_or("Unknown").to_string();
                let message = e.message().unwrap_or_default().to_string();
                AwsError {
                    kind: classify(&code, &message),
                    operation,
                    code,
                    message,
                }
            }
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => AwsError {
                kind: AwsErrorKind::Unreachable,
                operation,
                code: String::new(),
                message: format!(
                    "{}. {}",
                    error_chain(&err),
                    unreachable_hint(std::env::var(ENDPOINT_ENV).ok().as_deref())
                ),
            },
            _ => AwsError {
                kind: AwsErrorKind::Other,
                operation,
                code: err.code().unwrap_or_default().to_string(),
                message: error_chain(&err),
            },
        }
    }
}

/// Maps AWS's many spellings of a few situations onto our classes.
fn classify(code: &str, message: &str) -> AwsErrorKind {
    const NOT_FOUND: &[&str] = &[
        "NoSuchEntity",
        "NoSuchDistribution",
        // CloudFront's not-found for tags and other sub-resources of a distribution.
        "NoSuchResource",
        "RepositoryNotFoundException",
        "ResourceNotFoundException",
        "ClusterNotFoundException",
        "ServiceNotFoundException",
        "LoadBalancerNotFound",
        "TargetGroupNotFound",
        "ListenerNotFound",
        "RuleNotFound",
        "InvalidAllocationID.NotFound",
        "NatGatewayNotFound",
        "NoSuchKey",
        // SNS's topic or subscription that is not there.
        "NotFound",
        // CloudWatch's alarm (awsQuery code, also in the CBOR protocol's header).
        "ResourceNotFound",
    ];
    const THROTTLED: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
    ];
    const IN_USE: &[&str] = &[
        "DependencyViolation",
        "ResourceInUse",
        "ResourceInUseException",
        "InvalidIPAddress.InUse",
    ];
    if NOT_FOUND.contains(&code)
        || code.ends_with(".NotFound")
        || code.ends_with("NotFoundException")
    {
        AwsErrorKind::NotFound
    } else if THROTTLED.contains(&code) {
        AwsErrorKind::Throttled
    } else if IN_USE.contains(&code) {
        AwsErrorKind::InUse
    } else if code == "ClientException" && message.to_ascii_lowercase().contains("not found") {
        // ECS reports several missing objects as ClientException.
        AwsErrorKind::NotFound
    } else {
        AwsErrorKind::Other
    }
}

/// The variable that points every SDK client at another endpoint (an emulator).
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL";

/// What to check when AWS did not answer: the transport error alone ("tcp connect
/// error: Connection refused") does not say where stackctl was trying to go.
fn unreachable_hint(endpoint: Option<&str>) -> String {
    match endpoint.filter(|e| !e.is_empty()) {
        Some(endpoint) => format!(
            "Nothing answered at {ENDPOINT_ENV}={endpoint}: check that the emulator or \
             endpoint is running there, or unset {ENDPOINT_ENV} to reach AWS itself"
        ),
        None => "AWS did not answer: check the network connection (and HTTPS_PROXY if \
                 you need a proxy) and that the stack's region is an AWS region"
            .to_string(),
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `.op("CreateVpc")?` on an SDK result: names the operation in the error.
pub trait SdkResultExt<T> {
    fn op(self, operation: &'static str) -> Result<T, AwsError>;
}

impl<T, E, R> SdkResultExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    fn op(self, operation: &'static str) -> Result<T, AwsError> {
        self.map_err(|e| AwsError::from_sdk(operation, e))
    }
}

/// Turns "not found" into `None`, for reads where absence is an answer, not an error.
pub trait NotFoundExt<T> {
    fn found(self) -> Result<Option<T>, AwsError>;
}

impl<T> NotFoundExt<T> for Result<T, AwsError> {
    fn found(self) -> Result<Option<T>, AwsError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_endpoint_says_what_to_check() {
        let emulator = unreachable_hint(Some("http://127.0.0.1:9"));
        assert!(
            emulator.contains("AWS_ENDPOINT_URL=http://127.0.0.1:9"),
            "{emulator}"
        );
        let aws = unreachable_hint(Some(""));
        assert!(aws.contains("network") && aws.contains("region"), "{aws}");
        assert_eq!(unreachable_hint(None), aws);
    }

    #[test]
    fn classifies_the_common_codes() {
        assert_eq!(
            classify("InvalidVpcID.NotFound", ""),
            AwsErrorKind::NotFound
        );
        assert_eq!(
            classify("RepositoryNotFoundException", ""),
            AwsErrorKind::NotFound
        );
        assert_eq!(classify("NoSuchEntity", ""), AwsErrorKind::NotFound);
        // A distribution deleted meanwhile, when its tags or config are asked for.
        assert_eq!(classify("NoSuchResource", ""), AwsErrorKind::NotFound);
        assert_eq!(classify("NoSuchDistribution", ""), AwsErrorKind::NotFound);
        assert_eq!(
            classify("RequestLimitExceeded", ""),
            AwsErrorKind::Throttled
        );
        assert_eq!(classify("DependencyViolation", ""), AwsErrorKind::InUse);
        assert_eq!(classify("InvalidIPAddress.InUse", ""), AwsErrorKind::InUse);
        assert_eq!(
            classify("ClientException", "Cluster not found."),
            AwsErrorKind::NotFound
        );
        assert_eq!(classify("AccessDenied", ""), AwsErrorKind::Other);
    }
}
