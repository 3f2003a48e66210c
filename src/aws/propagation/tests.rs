use super::*;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::http::StatusCode;
use std::sync::Mutex;

/// Answers each call with the next scripted response and counts the calls.
#[derive(Debug, Clone)]
struct Scripted {
    answers: Arc<Mutex<Vec<(u16, &'static str)>>>,
    calls: Arc<Mutex<u32>>,
}

impl Scripted {
    fn new(answers: &[(u16, &'static str)]) -> Scripted {
        let mut answers = answers.to_vec();
        answers.reverse();
        Scripted {
            answers: Arc::new(Mutex::new(answers)),
            calls: Arc::new(Mutex::new(0)),
        }
    }

    fn calls(&self) -> u32 {
        *self.calls.lock().unwrap()
    }
}

impl HttpConnector for Scripted {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        *self.calls.lock().unwrap() += 1;
        let (status, body) = {
            let mut answers = self.answers.lock().unwrap();
            if answers.len() > 1 {
                answers.pop().unwrap()
            } else {
                answers[0]
            }
        };
        HttpConnectorFuture::ready(Ok(HttpResponse::new(
            StatusCode::try_from(status).unwrap(),
            SdkBody::from(body),
        )))
    }
}

const VPC_NOT_FOUND: &str = "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-1' does not exist</Message></Error></Errors><RequestID>r</RequestID></Response>";
const CIDR_CONFLICT: &str = "<Response><Errors><Error><Code>InvalidSubnet.Conflict</Code><Message>The CIDR conflicts</Message></Error></Errors><RequestID>r</RequestID></Response>";
const CREATED: &str =
    "<CreateSubnetResponse><subnet><subnetId>subnet-1</subnetId></subnet></CreateSubnetResponse>";

const SUBNET: &[Transient] = &[Transient::code("CreateSubnet", "*.NotFound")];

fn create_subnet() -> HttpRequest {
    let mut request = HttpRequest::new(SdkBody::from(
        "Action=CreateSubnet&Version=2016-11-15&VpcId=vpc-1",
    ));
    request.set_method("POST").unwrap();
    request
}

fn step(bound: Duration, reports: &Arc<Mutex<Vec<Retrying>>>) -> StepErrors {
    let reports = reports.clone();
    StepErrors {
        transient: SUBNET,
        report: Arc::new(move |r: &Retrying| reports.lock().unwrap().push(r.clone())),
        bound,
    }
}

async fn send(fake: &Scripted, request: HttpRequest) -> HttpResponse {
    let connector = Connector {
        inner: SharedHttpConnector::new(fake.clone()),
    };
    connector.call(request).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_listed_refusal_is_sent_again_until_aws_accepts() {
    let fake = Scripted::new(&[(400, VPC_NOT_FOUND), (400, VPC_NOT_FOUND), (200, CREATED)]);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let response = STEP
        .scope(step(BOUND, &reports), send(&fake, create_subnet()))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(fake.calls(), 3);
    let reports = reports.lock().unwrap();
    assert_eq!(
        reports.len(),
        1,
        "reported once within {REPORT_EVERY:?}: {reports:?}"
    );
    assert_eq!(reports[0].code, "InvalidVpcID.NotFound");
    assert_eq!(reports[0].operation, "CreateSubnet");
}

#[tokio::test(start_paused = true)]
async fn any_other_refusal_goes_up_at_once_with_its_body() {
    let fake = Scripted::new(&[(400, CIDR_CONFLICT)]);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let mut response = STEP
        .scope(step(BOUND, &reports), send(&fake, create_subnet()))
        .await;
    assert_eq!(fake.calls(), 1);
    let body = ByteStream::new(response.take_body())
        .collect()
        .await
        .unwrap();
    assert_eq!(body.into_bytes().as_ref(), CIDR_CONFLICT.as_bytes());
    assert!(reports.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn outside_a_step_nothing_is_retried() {
    let fake = Scripted::new(&[(400, VPC_NOT_FOUND), (200, CREATED)]);
    let response = send(&fake, create_subnet()).await;
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_refusal_that_lasts_past_the_bound_goes_up_with_aws_answer() {
    let fake = Scripted::new(&[(400, VPC_NOT_FOUND)]);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let response = STEP
        .scope(
            step(Duration::from_secs(60), &reports),
            send(&fake, create_subnet()),
        )
        .await;
    assert_eq!(response.status().as_u16(), 400);
    let waited = started.elapsed();
    assert!(waited <= Duration::from_secs(60), "{waited:?}");
    assert!(waited >= Duration::from_secs(40), "{waited:?}");
    // 0.5, 1, 2, 4, 8, then every 10 s: about ten attempts in a minute.
    assert!((8..=12).contains(&fake.calls()), "{} calls", fake.calls());
    let reports = reports.lock().unwrap();
    assert!(reports.len() >= 4, "reported every 10 s: {reports:?}");
    assert!(reports.windows(2).all(|w| w[0].elapsed < w[1].elapsed));
}

#[test]
fn errors_are_read_in_every_wire_format() {
    let ec2 = parse_refusal(VPC_NOT_FOUND, None);
    assert_eq!(ec2.code, "InvalidVpcID.NotFound");
    assert_eq!(ec2.message, "The vpc ID 'vpc-1' does not exist");
    let query = parse_refusal(
        "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name x cannot be found.</Message></Error></ErrorResponse>",
        None,
    );
    assert_eq!(query.code, "NoSuchEntity");
    let json = parse_refusal(
        r#"{"__type":"com.amazonaws.ecs#InvalidParameterException","message":"The target group does not have an associated load balancer."}"#,
        None,
    );
    assert_eq!(json.code, "InvalidParameterException");
    assert!(json.message.contains("associated load balancer"));
    let header = parse_refusal(
        r#"{"message":"The specified log group does not exist."}"#,
        Some("ResourceNotFoundException:http://internal.amazon.com/coral/"),
    );
    assert_eq!(header.code, "ResourceNotFoundException");
}

#[test]
fn operations_are_read_from_the_target_or_the_form() {
    let mut ecs = HttpRequest::new(SdkBody::from("{}"));
    ecs.headers_mut().insert(
        "x-amz-target",
        "AmazonEC2ContainerServiceV20141113.CreateService",
    );
    assert_eq!(operation_of(&ecs).as_deref(), Some("CreateService"));
    assert_eq!(
        operation_of(&create_subnet()).as_deref(),
        Some("CreateSubnet")
    );
}

#[test]
fn a_code_pattern_and_a_message_part_must_both_match() {
    let ecs = Transient::says(
        "CreateService",
        "InvalidParameterException",
        "does not have an associated load balancer",
    );
    let refusal = |code: &str, message: &str| Refusal {
        code: code.into(),
        message: message.into(),
    };
    assert!(ecs.matches(
        "CreateService",
        &refusal(
            "InvalidParameterException",
            "The target group x does not have an associated load balancer."
        )
    ));
    assert!(!ecs.matches(
        "CreateService",
        &refusal("InvalidParameterException", "Invalid desired count")
    ));
    assert!(!ecs.matches(
        "UpdateService",
        &refusal(
            "InvalidParameterException",
            "does not have an associated load balancer"
        )
    ));
    let any_not_found = Transient::code("CreateRoute", "*.NotFound");
    assert!(any_not_found.matches("CreateRoute", &refusal("InvalidRouteTableID.NotFound", "")));
    assert!(!any_not_found.matches("CreateRoute", &refusal("RouteAlreadyExists", "")));
}
