//! A fault-injection proxy between stackctl and the emulator: an HTTP/1.1 proxy on a
//! free loopback port that answers some requests with AWS's own throttling and server
//! errors, drops connections, delays requests, or forwards a request and then loses
//! the answer. It exists because moto never throttles and never fails, while AWS does
//! both: the only proof that retries hold (and never duplicate an object) is a run
//! through faults that AWS would really produce, in each service's own wire format, so
//! the SDK classifies them exactly as it would against AWS.
//!
//! The service of a request is the one its SigV4 signature names (the credential scope
//! `AKID/DATE/REGION/SERVICE/aws4_request`): every service's client signs for its own.
//! Decisions come from one seeded pseudo-random stream per service, so the Nth request
//! of a service meets the same fault for the same seed whatever the other services do
//! (which of two concurrent requests of one service is "Nth" is still up to the race).
//!
//! Faults answered by the proxy itself (throttling, 5xx, dropped connections) never
//! reach moto: AWS refused the request, nothing was done. Only `lost_response`
//! forwards the request and then closes the connection without an answer: AWS did the
//! work and the caller cannot know.
//!
//! The benchmark (src/bin/bench) uses the same proxy with no faults: `base_latency`
//! gives every request one fixed round trip, and a `Readiness` (readiness.rs) makes
//! objects take time to become ready.
//!
//! `start_realistic` adds the realism layer (realism.rs): AWS behaviours moto lacks
//! (eventual consistency, IAM propagation, image pulls, CloudFront's delete rules).
//! Its refusals are answered here like faults, through `error_response`, and never
//! reach moto. Its answer rewrites come after readiness's.
//!
//! The client side keeps connections alive (the SDK pools them); each forwarded request
//! opens its own upstream connection with `Connection: close`, as moto's werkzeug
//! server closes every connection anyway (and answers chunked when it has no length).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::readiness::Readiness;
use crate::realism::{
    Answer, Call, Layer, Realism, RealismCounts, Upstream, UpstreamAnswer, UpstreamRequest, Verdict,
};

/// What the proxy does to requests; probabilities are per request, in 0..=1, and
/// their sum must not exceed 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    pub seed: u64,
    /// Answer with the service's throttling error.
    pub throttle: f64,
    /// Answer with one of the service's 5xx errors.
    pub server_error: f64,
    /// Close the connection after reading the request, without forwarding it.
    pub drop: f64,
    /// Forward the request, then close the connection without answering.
    pub lost_response: f64,
    /// Each request waits a random time up to this before anything else happens.
    pub latency: Duration,
    /// Each request waits exactly this long besides (the benchmark's round trip to
    /// AWS: a fixed figure, so that wall time over it is a depth in round trips).
    pub base_latency: Duration,
}

impl Faults {
    /// A transparent proxy (the decision stream still exists for `seed`).
    pub fn none(seed: u64) -> Faults {
        Faults {
            seed,
            throttle: 0.0,
            server_error: 0.0,
            drop: 0.0,
            lost_response: 0.0,
            latency: Duration::ZERO,
            base_latency: Duration::ZERO,
        }
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Forward,
    Throttle,
    /// `unavailable`: the service's 503 flavour rather than its 500.
    ServerError {
        unavailable: bool,
    },
    Drop,
    LostResponse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub fault: Fault,
    pub delay: Duration,
}

/// What the proxy did, for one service or in total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Forwarded to the emulator and answered.
    pub forwarded: u32,
    pub throttled: u32,
    pub server_errors: u32,
    pub dropped: u32,
    /// Forwarded to the emulator, answer not delivered.
    pub lost: u32,
}

impl Counts {
    /// Requests that met an injected fault.
    pub fn faults(&self) -> u32 {
        self.throttled + self.server_errors + self.dropped + self.lost
    }

    /// What happened after `before` was taken.
    pub fn since(&self, before: &Counts) -> Counts {
        Counts {
            forwarded: self.forwarded - before.forwarded,
            throttled: self.throttled - before.throttled,
            server_errors: self.server_errors - before.server_errors,
            dropped: self.dropped - before.dropped,
            lost: self.lost - before.lost,
        }
    }

    fn record(&mut self, fault: Fault) {
        match fault {
            Fault::Forward => self.forwarded += 1,
            Fault::Throttle => self.throttled += 1,
            Fault::ServerError { .. } => self.server_errors += 1,
            Fault::Drop => self.dropped += 1,
            Fault::LostResponse => self.lost += 1,
        }
    }
}

/// SplitMix64: tiny, fast, and good enough to spread faults; reproducible per seed.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// FNV-1a: a stable hash of the service name, to derive its stream from the seed.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The pure part: which fault the next request of a service meets.
#[derive(Debug)]
pub struct FaultPlan {
    faults: Faults,
    streams: HashMap<String, SplitMix64>,
}

impl FaultPlan {
    pub fn new(faults: Faults) -> FaultPlan {
        let sum = faults.throttle + faults.server_error + faults.drop + faults.lost_response;
        assert!(
            (0.0..=1.0).contains(&sum),
            "fault probabilities add up to {sum}"
        );
        FaultPlan {
            faults,
            streams: HashMap::new(),
        }
    }

    pub fn decide(&mut self, service: &str) -> Decision {
        let f = self.faults;
        let stream = self
            .streams
            .entry(service.to_string())
            .or_insert_with(|| SplitMix64(f.seed ^ fnv1a(service)));
        let draw = stream.next_f64();
        let flavour = stream.next_u64();
        let delay = f.base_latency + f.latency.mul_f64(stream.next_f64());
        let bands = [
            (f.drop, Fault::Drop),
            (f.lost_response, Fault::LostResponse),
            (f.throttle, Fault::Throttle),
            (
                f.server_error,
                Fault::ServerError {
                    unavailable: flavour & 1 == 1,
                },
            ),
        ];
        let mut fault = Fault::Forward;
        let mut edge = 0.0;
        for (probability, band) in bands {
            edge += probability;
            if draw < edge {
                fault = band;
                break;
            }
        }
        Decision { fault, delay }
    }
}

/// The service a SigV4-signed request is for: the fourth part of the credential scope
/// in `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`.
pub fn service_of(authorization: &str) -> Option<&str> {
    credential_scope(authorization).map(|(_, service)| service)
}

/// The region of the same credential scope: the realism layer's own requests to the
/// emulator are signed for it, so that moto answers from the same region's data.
pub fn region_of(authorization: &str) -> Option<&str> {
    credential_scope(authorization).map(|(region, _)| region)
}

/// Region and service of `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
fn credential_scope(authorization: &str) -> Option<(&str, &str)> {
    let scope = authorization.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    let parts: Vec<&str> = scope.split('/').collect();
    match parts.as_slice() {
        [_, _, region, service, "aws4_request"] if !service.is_empty() => Some((region, service)),
        _ => None,
    }
}

/// How a service spells its errors on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// EC2's own query protocol: `<Response><Errors><Error>`.
    Ec2Query,
    /// awsQuery and restXml with wrapped errors (IAM, ELBv2, CloudFront):
    /// `<ErrorResponse><Error><Type>`.
    ErrorResponse { xmlns: &'static str },
    /// awsJson1_1 (ECS, ECR, CloudWatch Logs): `{"__type": ..., "message": ...}`.
    Json,
    /// S3's restXml without wrapping: `<Error><Code>`.
    S3,
    /// Smithy RPC v2 CBOR (CloudWatch): a CBOR map `{"__type", "message"}`, and, as
    /// CloudWatch sends it, the awsQuery code in `x-amzn-query-error`.
    Cbor,
}

/// Whether the proxy can answer for `service` (a SigV4 signing name) in its own error
/// format: a service it does not know passes through unfaulted, so a new service
/// stackctl calls must be added here before its faults are tested.
pub fn knows(service: &str) -> bool {
    protocol_of(service).is_some()
}

fn protocol_of(service: &str) -> Option<Protocol> {
    Some(match service {
        "ec2" => Protocol::Ec2Query,
        "iam" => Protocol::ErrorResponse {
            xmlns: "https://iam.amazonaws.com/doc/2010-05-08/",
        },
        "elasticloadbalancing" => Protocol::ErrorResponse {
            xmlns: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
        },
        "cloudfront" => Protocol::ErrorResponse {
            xmlns: "http://cloudfront.amazonaws.com/doc/2020-05-31/",
        },
        "ecs" | "ecr" | "logs" | "application-autoscaling" | "acm" => Protocol::Json,
        "route53" => Protocol::ErrorResponse {
            xmlns: "https://route53.amazonaws.com/doc/2013-04-01/",
        },
        "sns" => Protocol::ErrorResponse {
            xmlns: "http://sns.amazonaws.com/doc/2010-03-31/",
        },
        "monitoring" => Protocol::Cbor,
        "s3" => Protocol::S3,
        _ => return None,
    })
}

/// Status, code and message of the fault as the service's API answers it.
pub fn error_of(service: &str, fault: Fault) -> (u16, &'static str, &'static str) {
    const RATE: &str = "Rate exceeded";
    const UNAVAILABLE: &str = "Service Unavailable";
    match (service, fault) {
        // EC2 answers its request limit with 503, unlike the other query services.
        ("ec2", Fault::Throttle) => (503, "RequestLimitExceeded", "Request limit exceeded."),
        ("ec2", Fault::ServerError { unavailable: false }) => {
            (500, "InternalError", "An internal error has occurred.")
        }
        ("ec2", Fault::ServerError { unavailable: true }) => (
            503,
            "Unavailable",
            "The service is unavailable. Please try again shortly.",
        ),
        ("s3", Fault::Throttle) => (503, "SlowDown", "Please reduce your request rate."),
        ("s3", Fault::ServerError { unavailable: false }) => (
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
        ("s3", Fault::ServerError { unavailable: true }) => (
            503,
            "ServiceUnavailable",
            "Service is unable to handle request.",
        ),
        ("iam", Fault::Throttle) | ("elasticloadbalancing", Fault::Throttle) => {
            (400, "Throttling", RATE)
        }
        ("cloudfront" | "sns" | "monitoring" | "route53", Fault::Throttle) => {
            (400, "Throttling", RATE)
        }
        ("sns", Fault::ServerError { unavailable: false }) => (
            500,
            "InternalError",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        ("monitoring", Fault::ServerError { unavailable: false }) => (
            500,
            "InternalServiceError",
            "The request processing has failed due to some unknown error, exception, or failure.",
        ),
        ("iam", Fault::ServerError { unavailable: false }) => (
            500,
            "ServiceFailure",
            "Request processing has failed because of an unknown error, exception or failure.",
        ),
        (
            "elasticloadbalancing" | "cloudfront" | "route53",
            Fault::ServerError { unavailable: false },
        ) => (
            500,
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        ("iam" | "elasticloadbalancing" | "cloudfront" | "route53", Fault::ServerError { .. }) => {
            (503, "ServiceUnavailable", UNAVAILABLE)
        }
        (_, Fault::Throttle) => (400, "ThrottlingException", RATE),
        ("ecs" | "ecr", Fault::ServerError { unavailable: false }) => (
            500,
            "ServerException",
            "Service encountered an internal error.",
        ),
        ("application-autoscaling", Fault::ServerError { unavailable: false }) => (
            500,
            "InternalServiceException",
            "The service encountered an internal error.",
        ),
        (_, Fault::ServerError { .. }) => (
            503,
            "ServiceUnavailableException",
            "The service cannot complete the request.",
        ),
        (_, other) => unreachable!("{other:?} is not answered by the proxy"),
    }
}

/// The complete HTTP response for a throttling or server error of `service`, or None
/// when the proxy does not know the service's protocol (then it never faults it).
pub fn fault_response(service: &str, fault: Fault, request_id: &str) -> Option<Vec<u8>> {
    let (status, code, message) = error_of(service, fault);
    error_response(service, status, code, message, request_id)
}

/// The complete HTTP response for any error AWS answers itself (faults here, the
/// realism layer's refusals in realism.rs), in the service's own wire format, so that
/// the SDK parses code and message exactly as it would from AWS; None when the proxy
/// does not know the service's protocol.
pub fn error_response(
    service: &str,
    status: u16,
    code: &str,
    message: &str,
    request_id: &str,
) -> Option<Vec<u8>> {
    let protocol = protocol_of(service)?;
    let mut headers: Vec<(&str, String)> = Vec::new();
    let text = xml_escape(message);
    let body: Vec<u8> = match protocol {
        Protocol::Cbor => {
            headers.push(("Content-Type", "application/cbor".into()));
            headers.push(("smithy-protocol", "rpc-v2-cbor".into()));
            headers.push(("x-amzn-RequestId", request_id.into()));
            let kind = if status < 500 { "Sender" } else { "Receiver" };
            headers.push(("x-amzn-query-error", format!("{code};{kind}")));
            cbor_error(code, message)
        }
        Protocol::Ec2Query => {
            headers.push(("Content-Type", "text/xml;charset=UTF-8".into()));
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{text}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
            )
            .into_bytes()
        }
        Protocol::ErrorResponse { xmlns } => {
            headers.push(("Content-Type", "text/xml".into()));
            headers.push(("x-amzn-RequestId", request_id.into()));
            let kind = if status < 500 { "Sender" } else { "Receiver" };
            format!(
                "<ErrorResponse xmlns=\"{xmlns}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n    <Message>{text}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n"
            )
            .into_bytes()
        }
        Protocol::Json => {
            headers.push(("Content-Type", "application/x-amz-json-1.1".into()));
            headers.push(("x-amzn-RequestId", request_id.into()));
            headers.push(("x-amzn-ErrorType", code.into()));
            serde_json::json!({ "__type": code, "message": message })
                .to_string()
                .into_bytes()
        }
        Protocol::S3 => {
            headers.push(("Content-Type", "application/xml".into()));
            headers.push(("x-amz-request-id", request_id.into()));
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{text}</Message><RequestId>{request_id}</RequestId><HostId>fault-proxy</HostId></Error>"
            )
            .into_bytes()
        }
    };
    let reason = match status {
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend(body);
    Some(out)
}

/// `{"__type": code, "message": message}` in CBOR: a map of two text strings, all
/// this error needs of the format (RFC 8949: major type 5 map, 3 text string).
fn cbor_error(code: &str, message: &str) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str) {
        let len = s.len();
        match len {
            0..=23 => out.push(0x60 | len as u8),
            24..=0xff => out.extend([0x78, len as u8]),
            _ => {
                out.push(0x79);
                out.extend((len.min(0xffff) as u16).to_be_bytes());
            }
        }
        out.extend(&s.as_bytes()[..len.min(0xffff)]);
    }
    let mut out = vec![0xa2];
    text(&mut out, "__type");
    text(&mut out, code);
    text(&mut out, "message");
    text(&mut out, message);
    out
}

/// Text as XML character data (error messages quote ARNs and ids, never markup).
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One HTTP message head: the start line and the headers in order.
#[derive(Debug)]
struct Head {
    start: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Replaces the value of header `name` (the realism layer's If-Match).
    fn set_header(&mut self, name: &str, value: String) {
        if let Some((_, v)) = self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            *v = value;
        }
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.header(name)
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }

    /// The head again, without hop-by-hop and framing headers, plus `extra`.
    fn render(&self, extra: &[(&str, String)]) -> Vec<u8> {
        const DROPPED: &[&str] = &[
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "content-length",
            "expect",
        ];
        let mut out = format!("{}\r\n", self.start);
        for (name, value) in &self.headers {
            if !DROPPED.contains(&name.to_ascii_lowercase().as_str()) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        for (name, value) in extra {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// Reads a head; None when the peer closed before sending anything.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut start = String::new();
    // Tolerate empty lines between messages (RFC 9112 2.2).
    loop {
        start.clear();
        if reader.read_line(&mut start)? == 0 {
            return Ok(None);
        }
        if !start.trim().is_empty() {
            break;
        }
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside a message head",
            ));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad header line"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(Some(Head {
        start: start.trim_end_matches(['\r', '\n']).to_string(),
        headers,
    }))
}

/// Reads a chunked body and returns it decoded (trailers are discarded).
fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let size = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer)? == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let at = body.len();
        body.resize(at + size, 0);
        reader.read_exact(&mut body[at..])?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf)?;
    }
}

/// Reads the body that `head` announces; `to_eof` when the message may be delimited
/// by the end of the connection (a response without length).
fn read_body(reader: &mut impl BufRead, head: &Head, to_eof: bool) -> io::Result<Vec<u8>> {
    if head.has_token("Transfer-Encoding", "chunked") {
        return read_chunked(reader);
    }
    if let Some(length) = head.header("Content-Length") {
        let length: usize = length
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"))?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        return Ok(body);
    }
    let mut body = Vec::new();
    if to_eof {
        reader.read_to_end(&mut body)?;
    }
    Ok(body)
}

/// A response as the client gets it: framed by Content-Length, connection kept. The
/// answer passes through `rewrite` first (the timing mode's readiness and the realism
/// layer; nothing otherwise), which sees a bodiless answer too, with an empty body
/// that is then not sent.
fn relay_response(
    raw: &[u8],
    head_request: bool,
    rewrite: impl FnOnce(&mut Answer),
) -> io::Result<Vec<u8>> {
    let mut reader = BufReader::new(raw);
    let head = read_head(&mut reader)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "empty answer"))?;
    let status: u16 = head
        .start
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(502);
    let bodiless = head_request || (100..200).contains(&status) || status == 204 || status == 304;
    let body = if bodiless {
        Vec::new()
    } else {
        read_body(&mut reader, &head, true)?
    };
    let mut answer = Answer {
        status,
        headers: head.headers,
        body,
        bodiless,
    };
    rewrite(&mut answer);
    let head = Head {
        start: head.start,
        headers: answer.headers,
    };
    if bodiless {
        let mut extra = Vec::new();
        if let Some(length) = head.header("Content-Length") {
            extra.push(("Content-Length", length.to_string()));
        }
        return Ok(head.render(&extra));
    }
    let mut out = head.render(&[("Content-Length", answer.body.len().to_string())]);
    out.extend_from_slice(&answer.body);
    Ok(out)
}

#[derive(Debug)]
struct Shared {
    plan: FaultPlan,
    /// The timing mode: objects that take time to become ready.
    readiness: Option<Readiness>,
    counts: BTreeMap<String, Counts>,
    in_flight: BTreeMap<String, u32>,
    peak_in_flight: BTreeMap<String, u32>,
}

/// Counts a request of `service` as in flight while it lives.
struct InFlight<'a> {
    shared: &'a Mutex<Shared>,
    service: String,
}

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Mutex<Shared>, service: &str) -> InFlight<'a> {
        let mut s = shared.lock().unwrap();
        let now = {
            let n = s.in_flight.entry(service.to_string()).or_default();
            *n += 1;
            *n
        };
        let peak = s.peak_in_flight.entry(service.to_string()).or_default();
        *peak = (*peak).max(now);
        InFlight {
            shared,
            service: service.to_string(),
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(n) = self.shared.lock().unwrap().in_flight.get_mut(&self.service) {
            *n -= 1;
        }
    }
}

/// The running proxy; stops accepting when dropped.
pub struct FaultProxy {
    /// Point `AWS_ENDPOINT_URL` here.
    pub endpoint: String,
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    /// The realism layer (realism.rs), when any of its behaviours is on. A lock of its
    /// own: it is held while the layer asks the emulator something (a few ms), which
    /// must not hold up the fault plan and counts of every other request.
    realism: Option<Arc<Mutex<Layer>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

/// What one connection's requests share.
struct Context {
    upstream: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    realism: Option<Arc<Mutex<Layer>>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, faults: Faults) -> FaultProxy {
        Self::start_with(upstream, faults, None)
    }

    /// `start`, and with `readiness` the objects it names are reported not ready yet
    /// for a while after their create (see readiness.rs).
    pub fn start_with(upstream: &str, faults: Faults, readiness: Option<Readiness>) -> FaultProxy {
        Self::start_realistic(upstream, faults, readiness, Realism::none())
    }

    /// `start_with`, and the AWS behaviours moto lacks that `realism` switches on
    /// (eventual consistency, propagation, image pulls, CloudFront's delete rules; see
    /// realism.rs). `realism_counts` tells how often each one fired.
    pub fn start_realistic(
        upstream: &str,
        faults: Faults,
        readiness: Option<Readiness>,
        realism: Realism,
    ) -> FaultProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("upstream is http://IP:PORT");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Mutex::new(Shared {
            plan: FaultPlan::new(faults),
            readiness,
            counts: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            peak_in_flight: BTreeMap::new(),
        }));
        let realism = realism.any().then(|| {
            Arc::new(Mutex::new(Layer::new(
                realism,
                Box::new(EmulatorUpstream(upstream)),
            )))
        });
        let stop = Arc::new(AtomicBool::new(false));
        let context = Arc::new(Context {
            upstream,
            shared: shared.clone(),
            realism: realism.clone(),
            stop: stop.clone(),
        });
        let accept = std::thread::spawn(move || {
            for client in listener.incoming() {
                if context.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let context = context.clone();
                std::thread::spawn(move || {
                    let _ = serve(client, &context);
                });
            }
        });
        FaultProxy {
            endpoint: format!("http://{addr}"),
            addr,
            shared,
            realism,
            stop,
            accept: Some(accept),
        }
    }

    /// Changes the faults from the next request on (decision streams start afresh).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().unwrap().plan = FaultPlan::new(faults);
    }

    /// What the proxy did so far, by service (`unsigned` for requests without a
    /// signature). Requests the realism layer refused are not in these (they are in
    /// `realism_counts`).
    pub fn counts(&self) -> BTreeMap<String, Counts> {
        self.shared.lock().unwrap().counts.clone()
    }

    /// How often each behaviour of the realism layer fired (all zero without one).
    pub fn realism_counts(&self) -> RealismCounts {
        self.realism
            .as_ref()
            .map(|layer| layer.lock().unwrap().counts())
            .unwrap_or_default()
    }

    /// The most requests of each service the proxy held at once, from the moment a
    /// request was read until its answer was written (or its connection closed).
    pub fn peak_in_flight(&self) -> BTreeMap<String, u32> {
        self.shared.lock().unwrap().peak_in_flight.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Serves one client connection until it closes, the proxy stops, or a fault closes it.
fn serve(client: TcpStream, context: &Context) -> io::Result<()> {
    // Longer than the SDK's pool idle timeout (90 s), so that it is always the client
    // that closes an idle connection: a close from here could race a reuse.
    client.set_read_timeout(Some(Duration::from_secs(120)))?;
    let shared = &*context.shared;
    let mut writer = client.try_clone()?;
    let mut reader = BufReader::new(client);
    while !context.stop.load(Ordering::SeqCst) {
        let Some(mut head) = read_head(&mut reader)? else {
            return Ok(());
        };
        if head.has_token("Expect", "100-continue") {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let body = read_body(&mut reader, &head, false)?;
        let authorization = head.header("Authorization").unwrap_or_default();
        let service = service_of(authorization).unwrap_or("unsigned").to_string();
        let region = region_of(authorization).unwrap_or_default().to_string();
        let _in_flight = InFlight::enter(shared, &service);
        // Requests of services whose errors the proxy cannot spell pass untouched.
        let decision = match protocol_of(&service) {
            Some(_) => shared.lock().unwrap().plan.decide(&service),
            None => Decision {
                fault: Fault::Forward,
                delay: Duration::ZERO,
            },
        };
        std::thread::sleep(decision.delay);
        let record = |fault| {
            shared
                .lock()
                .unwrap()
                .counts
                .entry(service.clone())
                .or_default()
                .record(fault)
        };
        match decision.fault {
            Fault::Drop => {
                record(Fault::Drop);
                return writer.shutdown(Shutdown::Both);
            }
            Fault::Throttle | Fault::ServerError { .. } => {
                let id = uuid::Uuid::new_v4().to_string();
                let answer = fault_response(&service, decision.fault, &id)
                    .expect("faults are only decided for known protocols");
                // Counted before answering, so a caller that has its answer sees it.
                record(decision.fault);
                writer.write_all(&answer)?;
            }
            Fault::Forward | Fault::LostResponse => {
                let request = Exchange {
                    service: &service,
                    region: &region,
                    body: &body,
                    lose_answer: decision.fault == Fault::LostResponse,
                };
                match forward(context, &mut head, &request)? {
                    Outcome::Refused(answer) => writer.write_all(&answer)?,
                    Outcome::Answered(answer) => {
                        record(Fault::Forward);
                        writer.write_all(&answer)?;
                    }
                    Outcome::Lost => {
                        record(Fault::LostResponse);
                        return writer.shutdown(Shutdown::Both);
                    }
                }
            }
        }
        writer.flush()?;
        if head.has_token("Connection", "close") {
            return writer.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}

/// One request on its way to the emulator.
struct Exchange<'a> {
    service: &'a str,
    region: &'a str,
    body: &'a [u8],
    /// Forward, then lose the answer (AWS did the work; the caller cannot know).
    lose_answer: bool,
}

/// What became of a request that no fault stopped.
enum Outcome {
    /// The realism layer answered it with AWS's refusal; the emulator never saw it.
    Refused(Vec<u8>),
    Answered(Vec<u8>),
    Lost,
}

/// The request as the realism layer sees it.
fn call_of<'a>(head: &'a Head, request: &Exchange<'a>) -> Call<'a> {
    Call {
        service: request.service,
        region: request.region,
        start_line: &head.start,
        target: head.header("X-Amz-Target"),
        if_match: head.header("If-Match"),
        body: request.body,
    }
}

/// Asks the realism layer, forwards the request (with the If-Match the layer maps back
/// to the emulator's ETag), and passes the answer through readiness and the layer.
fn forward(context: &Context, head: &mut Head, request: &Exchange) -> io::Result<Outcome> {
    let realism = context.realism.as_deref();
    let mut body = request.body.to_vec();
    if let Some(realism) = realism {
        let verdict = realism
            .lock()
            .unwrap()
            .before(&call_of(head, request), Instant::now());
        match verdict {
            Verdict::Refuse(refusal) => {
                let id = uuid::Uuid::new_v4().to_string();
                let answer = error_response(
                    request.service,
                    refusal.status,
                    refusal.code,
                    &refusal.message,
                    &id,
                )
                .expect("the realism layer refuses only services whose protocol is known");
                return Ok(Outcome::Refused(answer));
            }
            Verdict::Forward {
                if_match: Some(etag),
            } => head.set_header("If-Match", etag),
            Verdict::Forward { if_match: None } => {}
        }
        if let Some(rewritten) = realism.lock().unwrap().rewrite(&call_of(head, request)) {
            body = rewritten;
        }
    }
    let mut raw_request = head.render(&[
        ("Content-Length", body.len().to_string()),
        ("Connection", "close".to_string()),
    ]);
    raw_request.extend_from_slice(&body);
    // An emulator that does not answer closes the client's connection too.
    let raw = exchange(context.upstream, &raw_request)?;
    let call = call_of(head, request);
    let relayed = relay_response(&raw, head.start.starts_with("HEAD "), |answer| {
        if !request.lose_answer
            && !answer.bodiless
            && let Some(readiness) = context.shared.lock().unwrap().readiness.as_mut()
        {
            let body = std::mem::take(&mut answer.body);
            answer.body = readiness.answer(&call.request(), body, Instant::now());
        }
        // A lost answer still tells the layer what AWS did.
        if let Some(realism) = realism {
            realism.lock().unwrap().after(&call, answer, Instant::now());
        }
    });
    if request.lose_answer {
        return Ok(Outcome::Lost);
    }
    Ok(Outcome::Answered(relayed?))
}

/// The realism layer's own requests to the emulator: plain HTTP on loopback, signed
/// only as far as moto reads a signature (the credential scope names service and
/// region: moto_server/werkzeug_app.py infer_service_region_host).
struct EmulatorUpstream(SocketAddr);

impl Upstream for EmulatorUpstream {
    fn send(&self, request: &UpstreamRequest) -> Option<UpstreamAnswer> {
        let mut text = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20250101/{}/{}/aws4_request, SignedHeaders=host, Signature=0\r\nConnection: close\r\nContent-Length: {}\r\n",
            request.method,
            request.path,
            self.0,
            request.region,
            request.service,
            request.body.len()
        );
        if let Some(target) = request.target {
            text.push_str(&format!(
                "X-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\n"
            ));
        } else if request.method == "POST" {
            // The query protocols (CloudWatch's DescribeAlarms) post a form.
            text.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        text.push_str("\r\n");
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(request.body);
        let raw = exchange(self.0, &bytes).ok()?;
        let mut reader = BufReader::new(raw.as_slice());
        let head = read_head(&mut reader).ok()??;
        let status = head.start.split_whitespace().nth(1)?.parse().ok()?;
        let body = read_body(&mut reader, &head, true).ok()?;
        Some(UpstreamAnswer {
            status,
            headers: head.headers,
            body,
        })
    }
}

/// One request to the emulator on its own connection; the whole raw answer.
fn exchange(upstream: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(upstream)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    stream.write_all(request)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20250101/eu-west-2/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";

    #[test]
    fn the_service_is_read_from_the_credential_scope() {
        assert_eq!(service_of(AUTH), Some("ec2"));
        assert_eq!(
            service_of(
                "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/elasticloadbalancing/aws4_request,SignedHeaders=host,Signature=x"
            ),
            Some("elasticloadbalancing")
        );
        assert_eq!(service_of("Bearer token"), None);
        assert_eq!(
            service_of("AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1"),
            None
        );
    }

    fn faults(seed: u64) -> Faults {
        Faults {
            throttle: 0.2,
            server_error: 0.05,
            drop: 0.02,
            lost_response: 0.01,
            latency: Duration::from_millis(30),
            ..Faults::none(seed)
        }
    }

    fn sequence(seed: u64, service: &str, n: usize) -> Vec<Decision> {
        let mut plan = FaultPlan::new(faults(seed));
        (0..n).map(|_| plan.decide(service)).collect()
    }

    #[test]
    fn a_seed_gives_the_same_decisions_per_service_whatever_else_is_asked() {
        let alone = sequence(7, "ec2", 200);
        let mut plan = FaultPlan::new(faults(7));
        let interleaved: Vec<Decision> = (0..200)
            .map(|_| {
                plan.decide("iam");
                plan.decide("ec2")
            })
            .collect();
        assert_eq!(alone, interleaved);
        assert_ne!(alone, sequence(8, "ec2", 200), "another seed, other faults");
        assert_ne!(
            alone,
            sequence(7, "ecs", 200),
            "another service, other faults"
        );
    }

    #[test]
    fn faults_come_at_about_their_rates() {
        let n = 20_000;
        let mut counts = Counts::default();
        let mut unavailable = 0;
        for d in sequence(42, "ecs", n) {
            counts.record(d.fault);
            assert!(d.delay <= Duration::from_millis(30));
            if d.fault == (Fault::ServerError { unavailable: true }) {
                unavailable += 1;
            }
        }
        let rate = |c: u32| f64::from(c) / n as f64;
        assert!((rate(counts.throttled) - 0.2).abs() < 0.02, "{counts:?}");
        assert!(
            (rate(counts.server_errors) - 0.05).abs() < 0.01,
            "{counts:?}"
        );
        assert!((rate(counts.dropped) - 0.02).abs() < 0.005, "{counts:?}");
        assert!((rate(counts.lost) - 0.01).abs() < 0.005, "{counts:?}");
        assert!(unavailable > 0 && unavailable < counts.server_errors);
    }

    #[test]
    fn no_faults_means_every_request_is_forwarded_at_once() {
        let mut plan = FaultPlan::new(Faults::none(1));
        for _ in 0..1000 {
            assert_eq!(
                plan.decide("ec2"),
                Decision {
                    fault: Fault::Forward,
                    delay: Duration::ZERO
                }
            );
        }
    }

    #[test]
    fn a_chunked_answer_is_relayed_with_a_length_and_without_close() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        let relayed = String::from_utf8(relay_response(raw, false, |_| {}).unwrap()).unwrap();
        assert_eq!(
            relayed,
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 11\r\n\r\nhello world"
        );
        let unframed = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end";
        let relayed = String::from_utf8(relay_response(unframed, false, |_| {}).unwrap()).unwrap();
        assert_eq!(
            relayed,
            "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nuntil the end"
        );
    }

    #[test]
    fn ec2_throttles_with_503_request_limit_exceeded() {
        let answer = fault_response("ec2", Fault::Throttle, "r-1").unwrap();
        let text = String::from_utf8(answer).unwrap();
        assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
        assert!(
            text.contains("<Response><Errors><Error><Code>RequestLimitExceeded</Code>"),
            "{text}"
        );
        assert_eq!(fault_response("sts", Fault::Throttle, "r-1"), None);
    }
}
