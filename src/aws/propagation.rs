//! AWS is eventually consistent, and stackctl calls it the moment an object exists.
//!
//! An id a create just returned can be unknown to the next call for a few seconds
//! (EC2: `InvalidVpcID.NotFound` from CreateSubnet right after CreateVpc; the EC2 API
//! guide's "Eventual consistency" page), a new log group to PutRetentionPolicy, a new
//! IAM role cannot be assumed yet ("Unable to assume given IAM role" from
//! CreateFlowLogs), ECS cannot use its service-linked role on a fresh account yet
//! (CreateCluster: "Unable to assume the service linked role"), and a target group
//! whose listener rule was made a moment ago "does not have an associated load
//! balancer" for CreateService. terraform-provider-aws retries each of these for
//! about two minutes (`ec2PropagationTimeout`, `iamPropagationTimeout`,
//! `retryClusterCreate`, `retryServiceCreate`).
//!
//! Each resource kind names the errors it can meet this way (`Resource::TRANSIENT`,
//! in the kind's file); this module is the one mechanism that retries them, for
//! every call of every kind: an HTTP layer under the SDK (beside the in-flight bound)
//! that, while the engine works on a step whose kind listed the error, sends the same
//! request again with a growing pause until AWS accepts it or `bound` has passed,
//! and tells the step's observer how long it has been waiting.
//!
//! Re-sending is safe because every one of these errors is a refusal: AWS did
//! nothing, so no create can be doubled, whether or not it carries an idempotency
//! token. The request is sent again as signed: AWS accepts a signature for five
//! minutes from its time (which the SDK keeps in step with AWS's clock), and the
//! bound is well inside that; the SDK signs with credentials it refreshes minutes
//! before they expire, so they outlast the bound too. Any other answer, throttling
//! included, goes up to the SDK's own retries unchanged.

use super::http_layer::Layered;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How long a call refused this way is sent again: AWS's propagation usually takes
/// seconds; IAM's can take a minute or two (terraform-provider-aws waits two).
pub const BOUND: Duration = Duration::from_secs(150);

/// The first pause, doubled after each refusal up to `MAX_PAUSE`.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(10);

/// How often a step that keeps being refused is reported again.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// An error AWS answers while something just made has not reached all of its
/// servers yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transient {
    /// The operation, as AWS names it (`CreateRoute`).
    pub operation: &'static str,
    /// AWS's error code; a leading `*` matches any start (`*.NotFound`).
    pub code: &'static str,
    /// A part the message must contain, where the code alone says too little (ECS
    /// answers most refusals with InvalidParameterException).
    pub message: Option<&'static str>,
}

impl Transient {
    pub const fn code(operation: &'static str, code: &'static str) -> Transient {
        Transient {
            operation,
            code,
            message: None,
        }
    }

    pub const fn says(
        operation: &'static str,
        code: &'static str,
        part: &'static str,
    ) -> Transient {
        Transient {
            operation,
            code,
            message: Some(part),
        }
    }

    fn matches(&self, operation: &str, error: &Refusal) -> bool {
        let code = match self.code.strip_prefix('*') {
            Some(end) => error.code.ends_with(end),
            None => error.code == self.code,
        };
        self.operation == operation
            && code
            && self.message.is_none_or(|part| error.message.contains(part))
    }
}

/// One wait for AWS to catch up, as the step's observer is told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrying {
    pub operation: String,
    pub code: String,
    pub message: String,
    /// Since the first refusal.
    pub elapsed: Duration,
    pub bound: Duration,
}

pub type Report = Arc<dyn Fn(&Retrying) + Send + Sync>;

/// What the engine's current step expects and whom it tells.
#[derive(Clone)]
pub struct StepErrors {
    pub transient: &'static [Transient],
    pub report: Report,
    pub bound: Duration,
}

tokio::task_local! {
    /// Set by the engine around each step; calls outside a step are never retried
    /// here (a refresh's NotFound means gone).
    pub static STEP: StepErrors;
}

/// The HTTP client of every service's SDK client: `inner` with the retries above.
pub fn retrying(inner: impl HttpClient + 'static) -> Layered {
    Layered::new("PropagationRetry", inner, |connector| {
        SharedHttpConnector::new(Connector { inner: connector })
    })
}

#[derive(Debug)]
struct Connector {
    inner: SharedHttpConnector,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let step = STEP.try_with(StepErrors::clone).ok();
        let operation = operation_of(&request);
        let watched = step.filter(|s| {
            operation
                .as_deref()
                .is_some_and(|op| s.transient.iter().any(|t| t.operation == op))
        });
        match (watched, operation) {
            (Some(step), Some(operation)) => HttpConnectorFuture::new(resend_while_refused(
                self.inner.clone(),
                request,
                operation,
                step,
            )),
            _ => self.inner.call(request),
        }
    }
}

/// Sends `request` until AWS stops refusing it with one of the step's transient
/// errors, or `step.bound` has passed since the first refusal.
async fn resend_while_refused(
    inner: SharedHttpConnector,
    request: HttpRequest,
    operation: String,
    step: StepErrors,
) -> Result<HttpResponse, aws_smithy_runtime_api::client::result::ConnectorError> {
    let mut pause = FIRST_PAUSE;
    let mut first_refusal: Option<Instant> = None;
    let mut reported: Option<Instant> = None;
    loop {
        let Some(attempt) = request.try_clone() else {
            return inner.call(request).await;
        };
        let response = inner.call(attempt).await?;
        if !response.status().is_client_error() {
            return Ok(response);
        }
        let (response, refusal) = read_refusal(response).await;
        let transient = step
            .transient
            .iter()
            .any(|t| t.matches(&operation, &refusal));
        let since = *first_refusal.get_or_insert_with(Instant::now);
        if !transient || since.elapsed() + pause > step.bound {
            return Ok(response);
        }
        let now = Instant::now();
        if reported.is_none_or(|at| now.duration_since(at) >= REPORT_EVERY) {
            reported = Some(now);
            (step.report)(&Retrying {
                operation: operation.clone(),
                code: refusal.code.clone(),
                message: refusal.message.clone(),
                elapsed: since.elapsed(),
                bound: step.bound,
            });
        }
        tracing::debug!(
            target: "stackctl::aws",
            "{operation}: {}: {}; sent again in {:.1}s",
            refusal.code,
            refusal.message,
            pause.as_secs_f64()
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// AWS's code and message of a refused request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Refusal {
    code: String,
    message: String,
}

/// The response with its body read into memory (so the SDK can still read it), and
/// the error it carries.
async fn read_refusal(mut response: HttpResponse) -> (HttpResponse, Refusal) {
    let body = ByteStream::new(response.take_body())
        .collect()
        .await
        .map(|b| b.into_bytes())
        .unwrap_or_default();
    let header = response
        .headers()
        .get("x-amzn-ErrorType")
        .map(str::to_string);
    let refusal = parse_refusal(&String::from_utf8_lossy(&body), header.as_deref());
    *response.body_mut() = SdkBody::from(body);
    (response, refusal)
}

/// The error of any of the wire formats: the query protocols' XML (`<Code>`,
/// `<Message>`), and the JSON protocols' `__type` (or `x-amzn-ErrorType`) and
/// `message`.
fn parse_refusal(body: &str, error_type: Option<&str>) -> Refusal {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        let code = json["__type"]
            .as_str()
            .or(error_type)
            .unwrap_or_default()
            .rsplit('#')
            .next()
            .unwrap_or_default();
        let code = code.split(':').next().unwrap_or_default().to_string();
        let message = json["message"]
            .as_str()
            .or(json["Message"].as_str())
            .unwrap_or_default()
            .to_string();
        return Refusal { code, message };
    }
    Refusal {
        code: xml_text(body, "Code").unwrap_or_default(),
        message: xml_text(body, "Message").unwrap_or_default(),
    }
}

fn xml_text(body: &str, element: &str) -> Option<String> {
    let open = format!("<{element}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{element}>"))?;
    Some(body[start..end].to_string())
}

/// The operation of a request: JSON protocols name it in `X-Amz-Target`
/// (`AmazonEC2ContainerServiceV20141113.CreateService`), the query protocols in the
/// form body (`Action=CreateSubnet&...`).
fn operation_of(request: &HttpRequest) -> Option<String> {
    if let Some(target) = request.headers().get("x-amz-target") {
        return target.rsplit('.').next().map(str::to_string);
    }
    let body = std::str::from_utf8(request.body().bytes()?).ok()?;
    body.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_string)
}

#[cfg(test)]
mod tests;
