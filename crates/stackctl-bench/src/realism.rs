//! The realism layer of the test proxy: AWS behaviours that moto lacks, so that the
//! integration tests can show that stackctl copes with them.
//!
//! moto is lenient. It shows every object the moment it is created, IAM roles never
//! need to propagate, images are never pulled, and CloudFront deletes a distribution
//! that is still enabled. Against moto alone, an engine that would fail on AWS looks
//! correct. This layer sits in the fault proxy (fault_proxy.rs), hooked in the way
//! `Readiness` is. It sees each request before it is forwarded (`Layer::before`) and
//! each answer before the client gets it (`Layer::after`). It can:
//!
//! * refuse a request with AWS's own error. The emulator never sees a refused
//!   request, because AWS refused it and did nothing. The error uses the service's
//!   wire format (`fault_proxy::error_response`), so the SDK classifies it as it would
//!   from AWS;
//! * rewrite an answer (an ECS service whose image is missing; CloudFront ETags);
//! * ask the emulator itself (its own requests through `Upstream`) whether an image
//!   exists or a distribution is enabled.
//!
//! Each behaviour is switched in `Realism` and counted in `RealismCounts`. Each
//! behaviour is documented below with the AWS page or terraform-provider-aws (TF)
//! retry it comes from. TF paths are relative to hashicorp/terraform-provider-aws, and
//! moto paths to the moto 5.2 package.
//!
//! Eventual consistency is modelled by count, within a time window: the first later
//! request that names a fresh object is refused once, and later ones pass. This keeps
//! tests deterministic. A request that comes after the window passes as well, since
//! AWS has caught up by then.

use crate::readiness::{Request, child_text, distribution_in_path, elements, operation};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Which AWS behaviours the layer adds. All are off in `none()` and on in `aws()`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Realism {
    /// How long after its create (or first association) an object can still be
    /// unknown to a request (behaviours 1, 2, 3a and 3d's propagation).
    pub window: Duration,
    /// (1) The first request that names a just-created EC2 id is refused with the id's
    /// own NotFound error.
    pub fresh_ec2_ids: bool,
    /// (2) The first request other than Describe* that names a just-created log group
    /// gets ResourceNotFoundException.
    pub fresh_log_groups: bool,
    /// (3a) The first CreateFlowLogs with a just-created role cannot assume it.
    pub flow_log_role: bool,
    /// (3b) The account's first CreateCluster with Fargate capacity providers does not
    ///     find the ECS service-linked role yet.
    pub ecs_service_linked_role: bool,
    /// (3c) The account's first CreateService with load balancers cannot assume the
    ///     ECS service role.
    pub ecs_service_role: bool,
    /// (3d) CreateService/UpdateService refuses a target group that no listener or
    ///     rule forwards to. AWS always does this.
    pub unassociated_target_groups: bool,
    /// (3e) The account's first RegisterScalableTarget for an ECS service cannot
    ///     assume the Application Auto Scaling service-linked role it creates.
    pub scaling_service_linked_role: bool,
    /// (3d) It also refuses once a target group whose first association is still
    ///     propagating.
    pub target_group_propagation: bool,
    /// (4) A service whose task definition names an image missing from the emulator's
    /// ECR shows failing tasks and a failed rollout. Starting such tasks is counted.
    pub missing_images: bool,
    /// (5) DeleteDistribution of an enabled distribution gets DistributionNotDisabled.
    pub enabled_distribution_delete: bool,
    /// (5) The first DeleteDistribution after the update that disabled it gets
    /// DistributionNotDisabled, because the disable is still deploying.
    pub disable_deploying: bool,
    /// (5) Every UpdateDistribution gives the distribution a new ETag. An If-Match
    /// other than the last ETag gets PreconditionFailed.
    pub distribution_etags: bool,
    /// (6) Counts a listener or rule that moves its traffic from a target group a
    /// service is registered in to one no service is registered in: on AWS every
    /// request it forwards there is a 503 until tasks are registered and healthy
    /// (an empty target group has no target to route to). AWS refuses nothing, so
    /// this is only counted.
    pub traffic_moves: bool,
    /// (7) ACM fills in a new certificate's validation record a moment after
    /// RequestCertificate answers: the first DescribeCertificate of each new
    /// certificate shows its domain validation options without `ResourceRecord`.
    pub certificate_records: bool,
    /// (8) ECS watches a service's deployment alarms during a rollout and its bake
    /// time: a deployment started within the window while one of them is in ALARM
    /// is shown FAILED, with the alarm in its reason.
    pub deployment_alarms: bool,
    /// (9) An email subscription stays pending until its address follows AWS's
    /// confirmation link, which no test address does.
    pub pending_email: bool,
    /// (10) A service updated onto another task definition shows a new PRIMARY
    /// deployment running it (moto keeps showing the first deployment forever).
    pub service_deployments: bool,
    /// (11) RunTask takes Fargate task definitions whose containers set no memory
    /// (moto fails them with a 500): see `run_task.rs`.
    pub run_task_memory: bool,
    /// (12) A service keeps the enableExecuteCommand it was created or updated with
    /// (moto drops it and never shows it).
    pub execute_command: bool,
}

impl Realism {
    /// Every behaviour, with a 30 s window.
    pub fn aws() -> Realism {
        Realism {
            window: Duration::from_secs(30),
            fresh_ec2_ids: true,
            fresh_log_groups: true,
            flow_log_role: true,
            ecs_service_linked_role: true,
            ecs_service_role: true,
            unassociated_target_groups: true,
            scaling_service_linked_role: true,
            target_group_propagation: true,
            missing_images: true,
            enabled_distribution_delete: true,
            disable_deploying: true,
            distribution_etags: true,
            traffic_moves: true,
            certificate_records: true,
            deployment_alarms: true,
            pending_email: true,
            service_deployments: true,
            run_task_memory: true,
            execute_command: true,
        }
    }

    /// moto as it is: the proxy then has no realism layer at all.
    pub fn none() -> Realism {
        Realism {
            fresh_ec2_ids: false,
            fresh_log_groups: false,
            flow_log_role: false,
            ecs_service_linked_role: false,
            ecs_service_role: false,
            unassociated_target_groups: false,
            scaling_service_linked_role: false,
            target_group_propagation: false,
            missing_images: false,
            enabled_distribution_delete: false,
            disable_deploying: false,
            distribution_etags: false,
            traffic_moves: false,
            certificate_records: false,
            deployment_alarms: false,
            pending_email: false,
            service_deployments: false,
            run_task_memory: false,
            execute_command: false,
            ..Realism::aws()
        }
    }

    /// Whether any behaviour is on (else the proxy leaves the layer out).
    pub fn any(&self) -> bool {
        Realism {
            window: self.window,
            ..Realism::none()
        } != *self
    }
}

/// How often each behaviour fired, so that a test can assert that the layer really
/// met what it meant to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RealismCounts {
    /// (1) Requests refused with an EC2 `*NotFound` for a fresh id.
    pub ec2_id_not_found: u32,
    /// (2) Logs requests refused with ResourceNotFoundException for a fresh group.
    pub log_group_not_found: u32,
    /// (3a) CreateFlowLogs refused because the role had not propagated.
    pub flow_log_role: u32,
    /// (3b) CreateCluster refused for the service-linked role.
    pub service_linked_role: u32,
    /// (3c) CreateService refused for the ECS service role.
    pub service_role: u32,
    /// (3d) CreateService/UpdateService refused because no listener forwards to the
    ///     target group.
    pub unassociated_target_group: u32,
    /// (3d) The same refusal made once while a new association propagates.
    pub target_group_propagation: u32,
    /// (3e) RegisterScalableTarget refused for the service-linked role.
    pub scaling_service_linked_role: u32,
    /// (4) DescribeServices answers rewritten to show tasks failing to pull their image.
    pub failed_rollouts: u32,
    /// (4) CreateService, UpdateService (desired count above 0) and RunTask calls,
    /// carried out, whose task definition names a missing image.
    pub tasks_on_missing_image: u32,
    /// (5) DeleteDistribution refused because the distribution is enabled.
    pub distribution_not_disabled: u32,
    /// (5) DeleteDistribution refused once because the disable is still deploying.
    pub disable_deploying: u32,
    /// (5) UpdateDistribution/DeleteDistribution refused for a stale If-Match.
    pub precondition_failed: u32,
    /// (6) Listeners and rules that moved traffic to a target group no service is
    /// registered in (not a refusal: AWS would answer those requests with 503).
    pub traffic_to_empty_target_group: u32,
    /// (7) DescribeCertificate answers shown without the validation record yet (not
    /// a refusal: the answer is rewritten).
    pub certificate_record_pending: u32,
    /// (8) DescribeServices answers showing a deployment failed by its alarm.
    pub deployment_alarm_failures: u32,
    /// (9) GetSubscriptionAttributes answers showing an email subscription pending.
    pub pending_subscriptions: u32,
    /// (10) Services shown with the deployment their last update started.
    pub deployments_followed: u32,
    /// (11) RunTasks sent on a stand-in task definition that reserves memory.
    pub run_tasks_stood_in: u32,
    /// (12) Services shown with the enableExecuteCommand they were given.
    pub execute_command_shown: u32,
}

impl RealismCounts {
    /// Requests the layer refused. These are errors it injected; the answer rewrites
    /// and the count of tasks started on a missing image are not included.
    pub fn refused(&self) -> u32 {
        self.ec2_id_not_found
            + self.log_group_not_found
            + self.flow_log_role
            + self.service_linked_role
            + self.service_role
            + self.unassociated_target_group
            + self.target_group_propagation
            + self.scaling_service_linked_role
            + self.distribution_not_disabled
            + self.disable_deploying
            + self.precondition_failed
    }
}

/// A request as the layer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// From the SigV4 credential scope: `ec2`, `ecs`, `cloudfront`, ...
    pub service: &'a str,
    /// From the same scope. The layer's own requests to the emulator use it.
    pub region: &'a str,
    pub start_line: &'a str,
    pub target: Option<&'a str>,
    /// CloudFront's optimistic lock: the ETag the caller last read.
    pub if_match: Option<&'a str>,
    pub body: &'a [u8],
}

impl<'a> Call<'a> {
    /// The parts readiness.rs needs to name the operation.
    pub fn request(&self) -> Request<'a> {
        Request {
            service: self.service,
            start_line: self.start_line,
            target: self.target,
            body: self.body,
        }
    }
}

/// An answer from the emulator on its way to the client.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Empty when `bodiless`.
    pub body: Vec<u8>,
    /// A 204, 304, 1xx or HEAD answer: its body is never sent.
    pub bodiless: bool,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set_header(&mut self, name: &str, value: &str) {
        if let Some((_, v)) = self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            *v = value.to_string();
        }
    }
}

/// What becomes of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Forward it. With `if_match`, the If-Match header is replaced first: it is the
    /// emulator's own ETag for the one the client sent (behaviour 5).
    Forward { if_match: Option<String> },
    /// Answer it with AWS's error and do not forward it.
    Refuse(Refusal),
}

impl Verdict {
    fn forward() -> Verdict {
        Verdict::Forward { if_match: None }
    }
}

/// An error the layer answers in AWS's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn bad_request(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status: 400,
            code,
            message: message.into(),
        }
    }
}

/// A request the layer sends to the emulator on its own account.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Signed for this service and region, which is how moto picks its backend.
    pub service: &'a str,
    pub region: &'a str,
    /// JSON protocols: sent with `Content-Type: application/x-amz-json-1.1`.
    pub target: Option<&'a str>,
    pub body: &'a [u8],
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// How the layer reaches the emulator. The proxy sends plain HTTP to moto; the unit
/// tests use a fake.
pub trait Upstream: Send {
    /// None when no answer came; the layer then assumes what moto would show anyway.
    fn send(&self, request: &UpstreamRequest) -> Option<UpstreamAnswer>;
}

/// (1) The EC2 creates whose ids AWS does not show at once, and the NotFound error
/// each id kind gets.
///
/// AWS: "Eventual consistency in the Amazon EC2 API",
/// https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html (older
/// anchor: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/query-api-troubleshooting.html#eventual-consistency).
/// For a resource just created, "its ID might not have propagated throughout the
/// system, and you will get an error responding that the resource does not exist".
/// The page names InvalidGroup.NotFound after CreateSecurityGroup.
/// TF retries these NotFound errors for `ec2PropagationTimeout` (5 min,
/// internal/service/ec2/wait.go) in the following places:
/// * `tfresource.RetryWhenNewResourceNotFound` in every read after a create
///   (vpc_subnet.go:resourceSubnetRead, vpc_route_table.go:resourceRouteTableRead,
///   vpc_internet_gateway.go:resourceInternetGatewayRead, ec2_eip.go:resourceEIPRead);
/// * vpc_internet_gateway.go:attachInternetGateway (InvalidInternetGatewayID.NotFound);
/// * vpc_route_table_association.go:resourceRouteTableAssociationCreate
///   (InvalidRouteTableID.NotFound);
/// * tags.go:createTags (any code containing ".NotFound");
/// * vpc_security_group.go:waitSecurityGroupCreated (NotFoundChecks 1000).
#[derive(Debug)]
struct Ec2Kind {
    create: &'static str,
    /// The element of the create answer that holds the id.
    id_tag: &'static str,
    code: &'static str,
    /// The message is `before` + id + `after`.
    before: &'static str,
    after: &'static str,
}

const EC2_KINDS: &[Ec2Kind] = &[
    Ec2Kind {
        create: "CreateVpc",
        id_tag: "vpcId",
        code: "InvalidVpcID.NotFound",
        before: "The vpc ID '",
        after: "' does not exist",
    },
    Ec2Kind {
        create: "CreateSubnet",
        id_tag: "subnetId",
        code: "InvalidSubnetID.NotFound",
        before: "The subnet ID '",
        after: "' does not exist",
    },
    Ec2Kind {
        create: "CreateInternetGateway",
        id_tag: "internetGatewayId",
        code: "InvalidInternetGatewayID.NotFound",
        before: "The internetGateway ID '",
        after: "' does not exist",
    },
    Ec2Kind {
        create: "CreateRouteTable",
        id_tag: "routeTableId",
        code: "InvalidRouteTableID.NotFound",
        before: "The routeTable ID '",
        after: "' does not exist",
    },
    Ec2Kind {
        create: "CreateSecurityGroup",
        id_tag: "groupId",
        code: "InvalidGroup.NotFound",
        before: "The security group '",
        after: "' does not exist",
    },
    Ec2Kind {
        create: "AllocateAddress",
        id_tag: "allocationId",
        code: "InvalidAllocationID.NotFound",
        before: "The allocation ID '",
        after: "' does not exist",
    },
    Ec2Kind {
        create: "CreateNatGateway",
        id_tag: "natGatewayId",
        code: "NatGatewayNotFound",
        before: "The Nat Gateway ",
        after: " was not found",
    },
];

/// (3b) TF internal/service/ecs/cluster.go:retryClusterCreate retries this for
/// `propagationTimeout` (2 min). Its comment: "CreateCluster will create the ECS IAM
/// Service Linked Role on first ECS provision. This process does not complete before
/// the initial API call finishes."
const SERVICE_LINKED_ROLE: &str = "Unable to assume the service linked role. Please verify that the ECS service linked role exists.";

/// (3e) TF internal/service/appautoscaling/target.go retries a ValidationException
/// with this text for `propagationTimeout` (2 min): RegisterScalableTarget creates the
/// AWSServiceRoleForApplicationAutoScaling_ECSService role on first use, and the call
/// that creates it cannot assume it yet.
const SCALING_SERVICE_LINKED_ROLE: &str = "Unable to assume IAM role, please verify that the role exists and Application Auto Scaling is allowed to assume it.";

/// (3c) TF internal/service/ecs/service.go:retryServiceCreate matches "verify that the
/// ECS service role being passed has the proper permissions" for 4 min. The full text
/// is from real reports (aws/amazon-ecs-cli#21, Shippable/support#3390).
const SERVICE_ROLE: &str = "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.";

/// (5) CloudFront's refusals of a delete or update
/// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DeleteDistribution.html:
/// DistributionNotDisabled 409, PreconditionFailed 412).
const NOT_DISABLED: &str = "The distribution you are trying to delete has not been disabled.";
const PRECONDITION: &str = "The request failed because it didn't meet the preconditions in one or more request-header fields.";

/// The ETag the client knows for a distribution, and moto's own. moto never changes
/// its ETag; AWS gives a new one with every update.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ETags {
    ours: String,
    moto: String,
}

/// (3d) Which target groups the listeners and rules forward to, as the proxy saw them
/// being set. moto's own record is no help: it sets a target group's LoadBalancerArns
/// on CreateListener and CreateRule, but not on ModifyListener or ModifyRule
/// (moto elbv2/models.py: create_listener and create_rule set it, modify_listener
/// and modify_rule do not).
#[derive(Debug, Default)]
struct Listeners {
    /// Per listener (its default actions) and per rule: the target groups forwarded
    /// to, whatever their weight. A weight of 0 counts too: "Each target group
    /// weight is a value from 0 to 999"
    /// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#forward-actions).
    forwards: HashMap<String, Vec<String>>,
    rule_listener: HashMap<String, String>,
    listener_load_balancer: HashMap<String, String>,
}

impl Listeners {
    fn forward_to(&self, target_group: &str) -> bool {
        self.forwards
            .values()
            .any(|groups| groups.iter().any(|g| g == target_group))
    }

    fn drop_listener(&mut self, listener: &str) {
        self.forwards.remove(listener);
        self.listener_load_balancer.remove(listener);
        let rules: Vec<String> = self
            .rule_listener
            .iter()
            .filter(|(_, l)| *l == listener)
            .map(|(rule, _)| rule.clone())
            .collect();
        for rule in rules {
            self.drop_rule(&rule);
        }
    }

    fn drop_rule(&mut self, rule: &str) {
        self.forwards.remove(rule);
        self.rule_listener.remove(rule);
    }

    fn drop_load_balancer(&mut self, load_balancer: &str) {
        let listeners: Vec<String> = self
            .listener_load_balancer
            .iter()
            .filter(|(_, lb)| *lb == load_balancer)
            .map(|(listener, _)| listener.clone())
            .collect();
        for listener in listeners {
            self.drop_listener(&listener);
        }
    }
}

/// The layer's memory of what passed through the proxy.
pub struct Layer {
    settings: Realism,
    upstream: Box<dyn Upstream>,
    counts: RealismCounts,
    /// (11) Stand-in task definitions for RunTask.
    run_tasks: run_task::StandIns,
    /// (12) Service ARN -> the enableExecuteCommand it was last given.
    execute_command: HashMap<String, bool>,
    /// (1) Ids from create answers that no later request has named yet.
    fresh_ids: HashMap<String, (&'static Ec2Kind, Instant)>,
    /// (2) Log groups that no later request (other than Describe*) has named yet.
    fresh_log_groups: HashMap<String, Instant>,
    /// (3a) Role ARNs from CreateRole answers that no CreateFlowLogs has used yet.
    fresh_roles: HashMap<String, Instant>,
    /// 3b and 3c fire once per account, and so once per proxy.
    service_linked_role_exists: bool,
    scaling_role_exists: bool,
    service_role_validated: bool,
    listeners: Listeners,
    /// (3d) When each target group was first forwarded to, and the ones whose
    /// propagation refusal has already been made.
    first_associated: HashMap<String, Instant>,
    propagated: HashSet<String>,
    /// (6) Per listener and rule: the target groups it sends traffic to (weight above
    /// 0); and the target groups a service has been registered in.
    serving: HashMap<String, Vec<String>>,
    registered: HashSet<String>,
    /// (4) Images per task definition (`family:revision`) and the latest revision of
    /// each family (a bare family names it).
    task_definitions: HashMap<String, Vec<String>>,
    latest_revision: HashMap<String, u64>,
    /// (4) Per service ARN: whether its deployment circuit breaker is on (moto does not
    /// echo deploymentConfiguration), and how often it was described failing.
    circuit_breakers: HashMap<String, bool>,
    failing_describes: HashMap<String, u64>,
    /// (5) Per distribution id.
    etags: HashMap<String, ETags>,
    disabling: HashSet<String>,
    /// (7) Certificates requested and not yet described.
    fresh_certificates: HashSet<String>,
    /// (8) Services by ARN: when their last deployment started and the deployment
    /// alarms it is watched by.
    rollouts: HashMap<String, (Instant, Vec<String>)>,
    /// (8) Services whose last deployment an alarm failed, with the reason shown.
    alarm_failed: HashMap<String, String>,
}

impl Layer {
    pub fn new(settings: Realism, upstream: Box<dyn Upstream>) -> Layer {
        Layer {
            settings,
            upstream,
            counts: RealismCounts::default(),
            run_tasks: run_task::StandIns::default(),
            execute_command: HashMap::new(),
            fresh_ids: HashMap::new(),
            fresh_log_groups: HashMap::new(),
            fresh_roles: HashMap::new(),
            service_linked_role_exists: false,
            scaling_role_exists: false,
            service_role_validated: false,
            listeners: Listeners::default(),
            first_associated: HashMap::new(),
            propagated: HashSet::new(),
            serving: HashMap::new(),
            registered: HashSet::new(),
            task_definitions: HashMap::new(),
            latest_revision: HashMap::new(),
            circuit_breakers: HashMap::new(),
            failing_describes: HashMap::new(),
            etags: HashMap::new(),
            disabling: HashSet::new(),
            fresh_certificates: HashSet::new(),
            rollouts: HashMap::new(),
            alarm_failed: HashMap::new(),
        }
    }

    pub fn counts(&self) -> RealismCounts {
        RealismCounts {
            run_tasks_stood_in: self.run_tasks.sent,
            ..self.counts
        }
    }

    /// The body to forward instead of the request's own, when the layer sends the
    /// request on something of its own (11: a stand-in task definition).
    pub fn rewrite(&mut self, call: &Call) -> Option<Vec<u8>> {
        if !self.settings.run_task_memory || call.service != "ecs" {
            return None;
        }
        if operation(&call.request()).as_deref() != Some("RunTask") {
            return None;
        }
        let upstream = &self.upstream;
        let send = |request: &UpstreamRequest| {
            upstream
                .send(request)
                .filter(|a| a.status == 200)
                .map(|a| a.body)
        };
        self.run_tasks.run_task_body(call.body, call.region, &send)
    }

    /// Whether an object seen at `at` is still inside the window.
    fn young(&self, at: Instant, now: Instant) -> bool {
        now.saturating_duration_since(at) < self.settings.window
    }

    /// Decides a request before it is forwarded: refuse it as AWS would, or forward
    /// it, possibly with the emulator's ETag in If-Match.
    pub fn before(&mut self, call: &Call, now: Instant) -> Verdict {
        let Some(op) = operation(&call.request()) else {
            return Verdict::forward();
        };
        let refusal = match call.service {
            "ec2" => self.ec2_before(call, &op, now),
            "logs" => self.logs_before(call, &op, now),
            "ecs" => self.ecs_before(call, &op, now),
            "application-autoscaling" if op == "RegisterScalableTarget" => {
                self.scaling_service_linked_role()
            }
            "cloudfront" => return self.cloudfront_before(call, &op),
            _ => None,
        };
        match refusal {
            Some(refusal) => Verdict::Refuse(refusal),
            None => Verdict::forward(),
        }
    }

    /// Learns from an answer (creates, associations, ETags) and rewrites what AWS
    /// would show differently. Error answers pass untouched.
    pub fn after(&mut self, call: &Call, answer: &mut Answer, now: Instant) {
        if !(200..300).contains(&answer.status) {
            return;
        }
        let Some(op) = operation(&call.request()) else {
            return;
        };
        match call.service {
            "ec2" => self.remember_ec2(&op, answer, now),
            "logs" if op == "CreateLogGroup" => {
                let name = json_body(call.body).and_then(|d| string_at(&d, "logGroupName"));
                if let Some(name) = name {
                    self.fresh_log_groups.insert(name, now);
                }
            }
            "iam" if op == "CreateRole" => {
                if let Some(arn) = first_text(&String::from_utf8_lossy(&answer.body), "Arn") {
                    self.fresh_roles.insert(arn, now);
                }
            }
            "elasticloadbalancing" => self.track_listeners(call, &op, answer, now),
            "ecs" => {
                if matches!(op.as_str(), "RunTask" | "DescribeTasks" | "StartTask") {
                    self.run_tasks.restore(&mut answer.body);
                }
                self.ecs_after(call, &op, answer);
                if self.settings.deployment_alarms {
                    self.deployment_alarms_after(call, &op, answer, now);
                }
            }
            "cloudfront" => self.cloudfront_after(call, &op, answer),
            "acm" if self.settings.certificate_records => self.acm_after(call, &op, answer),
            "sns" if self.settings.pending_email && op == "GetSubscriptionAttributes" => {
                self.pending_email(answer)
            }
            _ => {}
        }
    }

    // ----- 9: SNS -------------------------------------------------------------------

    /// (9) An email subscription is pending until its address follows the link AWS
    /// sends (SNS developer guide, "Confirm your Amazon SNS subscription"); moto
    /// confirms it at once (sns/models.py, `confirmed` for every protocol but http).
    fn pending_email(&mut self, answer: &mut Answer) {
        let mut body = String::from_utf8_lossy(&answer.body).to_string();
        let protocol = entry_value(&body, "Protocol").map(|r| body[r].to_string());
        let Some(pending) = entry_value(&body, "PendingConfirmation") else {
            return;
        };
        if protocol.as_deref() == Some("email") && body[pending.clone()].eq("false") {
            body.replace_range(pending, "true");
            answer.body = body.into_bytes();
            self.counts.pending_subscriptions += 1;
        }
    }

    // ----- 8: ECS deployment alarms ------------------------------------------------

    /// (8) ECS fails a deployment when one of its deployment alarms goes into ALARM
    /// during the rollout or the bake time after it (ECS developer guide, "How
    /// CloudWatch alarms detect Amazon ECS deployment failures"; the API reference,
    /// DeploymentAlarms: "When the alarms are generated, Amazon ECS sets the service
    /// deployment to failed"). moto stores the alarms and watches nothing.
    fn deployment_alarms_after(
        &mut self,
        call: &Call,
        op: &str,
        answer: &mut Answer,
        now: Instant,
    ) {
        match op {
            "CreateService" | "UpdateService" => {
                let Some(doc) = json_body(&answer.body) else {
                    return;
                };
                let service = &doc["service"];
                let Some(arn) = service["serviceArn"].as_str() else {
                    return;
                };
                let alarms = &service["deploymentConfiguration"]["alarms"];
                let names: Vec<String> = match alarms["enable"].as_bool() {
                    Some(true) => alarms["alarmNames"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                };
                // A deploy (a new task definition) starts a rollout; any other update
                // of a service whose last deployment failed keeps it failed.
                let deploys = op == "CreateService"
                    || json_body(call.body).is_some_and(|d| d.get("taskDefinition").is_some());
                if deploys {
                    self.alarm_failed.remove(arn);
                    self.rollouts.insert(arn.to_string(), (now, names));
                }
            }
            "DescribeServices" => {
                let Some(mut doc) = json_body(&answer.body) else {
                    return;
                };
                let mut changed = false;
                for service in doc["services"].as_array_mut().into_iter().flatten() {
                    let Some(arn) = service["serviceArn"].as_str().map(str::to_string) else {
                        continue;
                    };
                    let reason = match self.alarm_failed.get(&arn) {
                        Some(reason) => Some(reason.clone()),
                        None => self.fired_during_rollout(&arn, call.region, now),
                    };
                    let Some(reason) = reason else { continue };
                    self.alarm_failed.insert(arn, reason.clone());
                    fail_primary(service, &reason);
                    self.counts.deployment_alarm_failures += 1;
                    changed = true;
                }
                if changed {
                    answer.body = doc.to_string().into_bytes();
                }
            }
            _ => {}
        }
    }

    /// The reason ECS gives when a deployment alarm of the service's rollout (still in
    /// the window) is in ALARM; None otherwise. Asks for every alarm in ALARM and
    /// picks the service's: moto's DescribeAlarms ignores StateValue when AlarmNames
    /// is given.
    fn fired_during_rollout(&self, arn: &str, region: &str, now: Instant) -> Option<String> {
        let (started, names) = self.rollouts.get(arn)?;
        if names.is_empty() || !self.young(*started, now) {
            return None;
        }
        let form = "Action=DescribeAlarms&Version=2010-08-01&StateValue=ALARM";
        let request = UpstreamRequest {
            method: "POST",
            path: "/",
            service: "monitoring",
            region,
            target: None,
            body: form.as_bytes(),
        };
        let answer = self.upstream.send(&request).filter(|a| a.status == 200)?;
        let in_alarm = all_texts(&String::from_utf8_lossy(&answer.body), "AlarmName");
        let fired: Vec<&String> = names.iter().filter(|n| in_alarm.contains(n)).collect();
        let first = fired.first()?;
        Some(format!("ECS deployment failed: alarm(s) detected: {first}"))
    }

    // ----- 7: ACM ------------------------------------------------------------------

    /// (7) The validation record of a new certificate is not there on its first
    /// describe. The ACM API reference, DescribeCertificate: "ResourceRecord ...
    /// appears only after the certificate request has been processed";
    /// terraform-provider-aws (acm/certificate.go, waitCertificateDomainValidations
    /// Available) waits up to 5 minutes for it. moto fills it in at once
    /// (acm/models.py describe).
    fn acm_after(&mut self, call: &Call, op: &str, answer: &mut Answer) {
        match op {
            "RequestCertificate" => {
                if let Some(arn) =
                    json_body(&answer.body).and_then(|d| string_at(&d, "CertificateArn"))
                {
                    self.fresh_certificates.insert(arn);
                }
            }
            "DescribeCertificate" => {
                let arn = json_body(call.body).and_then(|d| string_at(&d, "CertificateArn"));
                if !arn.is_some_and(|a| self.fresh_certificates.remove(&a)) {
                    return;
                }
                let Some(mut doc) = json_body(&answer.body) else {
                    return;
                };
                let options = doc
                    .pointer_mut("/Certificate/DomainValidationOptions")
                    .and_then(Value::as_array_mut);
                for option in options.into_iter().flatten() {
                    if let Some(option) = option.as_object_mut() {
                        option.remove("ResourceRecord");
                    }
                }
                answer.body = doc.to_string().into_bytes();
                self.counts.certificate_record_pending += 1;
            }
            _ => {}
        }
    }

    // ----- 1 and 3a: EC2 -------------------------------------------------------

    fn ec2_before(&mut self, call: &Call, op: &str, now: Instant) -> Option<Refusal> {
        let form = form_pairs(call.body);
        if self.settings.fresh_ec2_ids
            && let Some(refusal) = self.fresh_id_named(&form, now)
        {
            return Some(refusal);
        }
        if op == "CreateFlowLogs" && self.settings.flow_log_role {
            return self.flow_log_role(&form, now);
        }
        None
    }

    /// (1) The first request naming a fresh id (as the exact value of any parameter:
    /// `VpcId=`, `SubnetId.1=`, `Filter.1.Value.1=`, ...) gets that id's NotFound.
    fn fresh_id_named(&mut self, form: &[(String, String)], now: Instant) -> Option<Refusal> {
        let window = self.settings.window;
        self.fresh_ids
            .retain(|_, (_, at)| now.saturating_duration_since(*at) < window);
        let (id, kind) = form
            .iter()
            .filter(|(key, _)| key != "Action" && key != "Version")
            .find_map(|(_, value)| self.fresh_ids.get(value).map(|(k, _)| (value, *k)))?;
        self.fresh_ids.remove(id);
        self.counts.ec2_id_not_found += 1;
        Some(Refusal::bad_request(
            kind.code,
            format!("{}{id}{}", kind.before, kind.after),
        ))
    }

    /// (3a) CreateFlowLogs cannot assume a role that IAM has not propagated yet.
    /// TF vpc_flow_log.go:resourceLogFlowCreate retries `InvalidParameter` + "Unable to
    /// assume given IAM role" for `iamPropagationTimeout` (2 min,
    /// internal/service/ec2/wait.go). The full message is the one AWS gave in
    /// hashicorp/terraform-provider-aws#29323. IAM:
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
    fn flow_log_role(&mut self, form: &[(String, String)], now: Instant) -> Option<Refusal> {
        let role = form
            .iter()
            .find(|(key, _)| key == "DeliverLogsPermissionArn")
            .map(|(_, value)| value)?;
        let at = self.fresh_roles.remove(role)?;
        if !self.young(at, now) {
            return None;
        }
        self.counts.flow_log_role += 1;
        Some(Refusal::bad_request(
            "InvalidParameter",
            format!("Unable to assume given IAM role: '{role}'"),
        ))
    }

    fn remember_ec2(&mut self, op: &str, answer: &Answer, now: Instant) {
        let Some(kind) = EC2_KINDS.iter().find(|k| k.create == op) else {
            return;
        };
        if let Some(id) = first_text(&String::from_utf8_lossy(&answer.body), kind.id_tag) {
            self.fresh_ids.insert(id, (kind, now));
        }
    }

    // ----- 2: CloudWatch Logs --------------------------------------------------

    /// (2) A log group just created is not found yet by the first request that names
    /// it, except Describe* (a list, which shows what it knows) and the create itself.
    /// AWS documents no wait for log groups, but TF has to retry the first call after
    /// CreateLogGroup: internal/service/logs/group.go:resourceGroupCreate retries
    /// PutRetentionPolicy for `propagationTimeout` (2 min). The error is the one
    /// CloudWatch Logs answers for a group it does not know (moto logs/exceptions.py
    /// ResourceNotFoundException, as PutRetentionPolicy gives it for a missing group).
    fn logs_before(&mut self, call: &Call, op: &str, now: Instant) -> Option<Refusal> {
        if !self.settings.fresh_log_groups || op.starts_with("Describe") || op == "CreateLogGroup" {
            return None;
        }
        let doc = json_body(call.body)?;
        let window = self.settings.window;
        self.fresh_log_groups
            .retain(|_, at| now.saturating_duration_since(*at) < window);
        let mut values = Vec::new();
        strings_in(&doc, &mut values);
        let name = self
            .fresh_log_groups
            .keys()
            .find(|name| values.iter().any(|v| names_log_group(v, name)))?
            .clone();
        self.fresh_log_groups.remove(&name);
        self.counts.log_group_not_found += 1;
        Some(Refusal::bad_request(
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        ))
    }

    /// (3e) The account's first RegisterScalableTarget (see
    /// `SCALING_SERVICE_LINKED_ROLE`).
    fn scaling_service_linked_role(&mut self) -> Option<Refusal> {
        if !self.settings.scaling_service_linked_role || self.scaling_role_exists {
            return None;
        }
        self.scaling_role_exists = true;
        self.counts.scaling_service_linked_role += 1;
        Some(Refusal::bad_request(
            "ValidationException",
            SCALING_SERVICE_LINKED_ROLE,
        ))
    }

    // ----- 3b, 3c, 3d: ECS refusals ----------------------------------------------

    fn ecs_before(&mut self, call: &Call, op: &str, now: Instant) -> Option<Refusal> {
        let doc = json_body(call.body)?;
        match op {
            "CreateCluster" => self.service_linked_role(&doc),
            "CreateService" | "UpdateService" => self.target_group_checks(&doc, op, now),
            _ => None,
        }
    }

    /// (3b) The account's first CreateCluster that asks for Fargate capacity providers
    /// (see `SERVICE_LINKED_ROLE`).
    fn service_linked_role(&mut self, doc: &Value) -> Option<Refusal> {
        if !self.settings.ecs_service_linked_role || self.service_linked_role_exists {
            return None;
        }
        let mut providers: Vec<&str> = doc["capacityProviders"]
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(strategy) = doc["defaultCapacityProviderStrategy"].as_array() {
            providers.extend(
                strategy
                    .iter()
                    .filter_map(|s| s["capacityProvider"].as_str()),
            );
        }
        if !providers
            .iter()
            .any(|p| *p == "FARGATE" || *p == "FARGATE_SPOT")
        {
            return None;
        }
        self.service_linked_role_exists = true;
        self.counts.service_linked_role += 1;
        Some(Refusal::bad_request(
            "InvalidParameterException",
            SERVICE_LINKED_ROLE,
        ))
    }

    /// 3c and 3d: a service's target groups must have a load balancer.
    ///
    /// AWS refuses a target group that no listener or listener rule forwards to:
    /// "The target group with targetGroupArn ARN does not have an associated load
    /// balancer." This is seen in hashicorp/terraform#32908 and
    /// umotif-public/terraform-aws-ecs-fargate#43, and is consistent with the
    /// target-group rules of
    /// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html.
    /// A new association propagates like everything else: TF
    /// internal/service/ecs/service.go:retryServiceCreate and resourceServiceUpdate
    /// retry "does not have an associated load balancer" for
    /// `propagationTimeout + serviceCreateTimeout` (4 min).
    fn target_group_checks(&mut self, doc: &Value, op: &str, now: Instant) -> Option<Refusal> {
        let groups: Vec<String> = doc["loadBalancers"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|lb| lb["targetGroupArn"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if groups.is_empty() {
            return None;
        }
        if op == "CreateService" && self.settings.ecs_service_role && !self.service_role_validated {
            self.service_role_validated = true;
            self.counts.service_role += 1;
            return Some(Refusal::bad_request(
                "InvalidParameterException",
                SERVICE_ROLE,
            ));
        }
        if self.settings.unassociated_target_groups
            && let Some(group) = groups.iter().find(|g| !self.listeners.forward_to(g))
        {
            self.counts.unassociated_target_group += 1;
            return Some(no_load_balancer(group));
        }
        if !self.settings.target_group_propagation {
            return None;
        }
        let group = groups.iter().find(|g| {
            !self.propagated.contains(*g)
                && self
                    .first_associated
                    .get(*g)
                    .is_some_and(|at| self.young(*at, now))
        })?;
        self.propagated.insert(group.clone());
        self.counts.target_group_propagation += 1;
        Some(no_load_balancer(group))
    }

    /// (3d) Follows which target groups listeners and rules forward to. The requests
    /// give the target groups (TargetGroupArn and ForwardConfig members alike). The
    /// create answers give the new listener or rule ARN.
    fn track_listeners(&mut self, call: &Call, op: &str, answer: &Answer, now: Instant) {
        let form = form_pairs(call.body);
        let param = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let answer_text = String::from_utf8_lossy(&answer.body);
        let (owner, groups) = match op {
            "CreateListener" => {
                let Some(listener) = first_text(&answer_text, "ListenerArn") else {
                    return;
                };
                if let Some(lb) = param("LoadBalancerArn") {
                    let map = &mut self.listeners.listener_load_balancer;
                    map.insert(listener.clone(), lb);
                }
                (listener, forwarded_groups(&form, "DefaultActions."))
            }
            "ModifyListener" => match param("ListenerArn") {
                Some(listener) => (listener, forwarded_groups(&form, "DefaultActions.")),
                None => return,
            },
            "CreateRule" => {
                let Some(rule) = first_text(&answer_text, "RuleArn") else {
                    return;
                };
                if let Some(listener) = param("ListenerArn") {
                    self.listeners.rule_listener.insert(rule.clone(), listener);
                }
                (rule, forwarded_groups(&form, "Actions."))
            }
            "ModifyRule" => match param("RuleArn") {
                Some(rule) => (rule, forwarded_groups(&form, "Actions.")),
                None => return,
            },
            "DeleteRule" | "DeleteListener" | "DeleteLoadBalancer" => {
                self.track_delete(op, &form);
                return;
            }
            _ => return,
        };
        // A modify without actions keeps the ones there were.
        let Some(groups) = groups else { return };
        for group in &groups {
            self.first_associated.entry(group.clone()).or_insert(now);
        }
        let prefix = if op.ends_with("Listener") {
            "DefaultActions."
        } else {
            "Actions."
        };
        self.track_traffic(&owner, serving_groups(&form, prefix));
        self.listeners.forwards.insert(owner, groups);
    }

    /// (6) A listener or rule that served a target group with registered tasks and
    /// now serves one without: on AWS, a 503 for every request sent there until tasks
    /// are registered and healthy. A first forward of a new stack (nothing served
    /// before) is not a move.
    fn track_traffic(&mut self, owner: &str, now_serving: Vec<String>) {
        let before = self.serving.get(owner).cloned().unwrap_or_default();
        let served_tasks = before.iter().any(|g| self.registered.contains(g));
        let to_empty = now_serving
            .iter()
            .any(|g| !before.contains(g) && !self.registered.contains(g));
        if self.settings.traffic_moves && served_tasks && to_empty {
            self.counts.traffic_to_empty_target_group += 1;
        }
        self.serving.insert(owner.to_string(), now_serving);
    }

    /// (3d) A deleted rule, listener (with its rules) or load balancer (with its
    /// listeners) forwards to nothing any more.
    fn track_delete(&mut self, op: &str, form: &[(String, String)]) {
        let key = match op {
            "DeleteRule" => "RuleArn",
            "DeleteListener" => "ListenerArn",
            _ => "LoadBalancerArn",
        };
        let Some((_, arn)) = form.iter().find(|(k, _)| k == key) else {
            return;
        };
        match op {
            "DeleteRule" => self.listeners.drop_rule(arn),
            "DeleteListener" => self.listeners.drop_listener(arn),
            _ => self.listeners.drop_load_balancer(arn),
        }
    }

    // ----- 4: images -------------------------------------------------------------

    fn ecs_after(&mut self, call: &Call, op: &str, answer: &mut Answer) {
        match op {
            "RegisterTaskDefinition" => self.remember_task_definition(call.body, &answer.body),
            "CreateService" | "UpdateService" => {
                if let Some(doc) = json_body(call.body) {
                    let groups = doc["loadBalancers"].as_array().cloned().unwrap_or_default();
                    self.registered.extend(
                        groups
                            .iter()
                            .filter_map(|lb| lb["targetGroupArn"].as_str().map(str::to_string)),
                    );
                }
                self.service_changed(call, answer);
                if self.settings.execute_command {
                    self.remember_execute_command(call, answer);
                }
            }
            "RunTask" if self.settings.missing_images => {
                let Some(doc) = json_body(call.body) else {
                    return;
                };
                let Some(definition) = string_at(&doc, "taskDefinition") else {
                    return;
                };
                if !self.missing_images(&definition, call.region).is_empty() {
                    self.counts.tasks_on_missing_image += 1;
                }
            }
            "DescribeServices" => {
                if self.settings.execute_command {
                    self.show_execute_command(answer);
                }
                if self.settings.service_deployments {
                    self.follow_new_deployments(answer);
                }
                if self.settings.missing_images {
                    self.describe_failing_services(call.region, answer);
                }
            }
            _ => {}
        }
    }

    /// Records a task definition's images: those of the request body, under the ARN
    /// of the answer.
    fn remember_task_definition(&mut self, request: &[u8], answer: &[u8]) {
        let (Some(request), Some(answer)) = (json_body(request), json_body(answer)) else {
            return;
        };
        if let Some(arn) = answer["taskDefinition"]["taskDefinitionArn"].as_str() {
            self.record_task_definition(arn, images_in(&request));
        }
    }

    fn record_task_definition(&mut self, arn: &str, images: Vec<String>) {
        let Some(key) = arn.rsplit("task-definition/").next() else {
            return;
        };
        if let Some((family, revision)) = key.split_once(':')
            && let Ok(revision) = revision.parse::<u64>()
        {
            let latest = self.latest_revision.entry(family.to_string()).or_default();
            *latest = (*latest).max(revision);
        }
        self.task_definitions.insert(key.to_string(), images);
    }

    /// A service was created or updated: its circuit breaker setting (from the
    /// request) is remembered and its new deployment starts with no failed task. If its
    /// tasks run a missing image, a task was started on it.
    fn service_changed(&mut self, call: &Call, answer: &Answer) {
        let (Some(request), Some(answer)) = (json_body(call.body), json_body(&answer.body)) else {
            return;
        };
        let service = &answer["service"];
        let Some(arn) = service["serviceArn"].as_str() else {
            return;
        };
        let breaker = &request["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"];
        if let Some(on) = breaker.as_bool() {
            self.circuit_breakers.insert(arn.to_string(), on);
        }
        self.failing_describes.remove(arn);
        if !self.settings.missing_images || service["desiredCount"].as_u64().unwrap_or(0) == 0 {
            return;
        }
        let Some(definition) = running_task_definition(service) else {
            return;
        };
        if !self.missing_images(&definition, call.region).is_empty() {
            self.counts.tasks_on_missing_image += 1;
        }
    }

    /// (12) ECS keeps a service's `enableExecuteCommand` (CreateService, UpdateService)
    /// and shows it in DescribeServices
    /// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html).
    /// moto 5.2 neither stores nor shows it (ecs/models.py Service), so a service
    /// with ECS Exec would read as without it forever.
    fn remember_execute_command(&mut self, call: &Call, answer: &mut Answer) {
        let (Some(request), Some(mut doc)) = (json_body(call.body), json_body(&answer.body)) else {
            return;
        };
        let Some(arn) = doc["service"]["serviceArn"].as_str().map(str::to_string) else {
            return;
        };
        if let Some(on) = request["enableExecuteCommand"].as_bool() {
            self.execute_command.insert(arn.clone(), on);
        }
        if let Some(on) = self.execute_command.get(&arn) {
            doc["service"]["enableExecuteCommand"] = json!(on);
            answer.body = doc.to_string().into_bytes();
        }
    }

    fn show_execute_command(&mut self, answer: &mut Answer) {
        let Some(mut doc) = json_body(&answer.body) else {
            return;
        };
        let Some(services) = doc.get_mut("services").and_then(Value::as_array_mut) else {
            return;
        };
        let mut shown = 0;
        for service in services {
            let arn = service["serviceArn"].as_str().unwrap_or_default();
            if let Some(on) = self.execute_command.get(arn) {
                service["enableExecuteCommand"] = json!(on);
                shown += 1;
            }
        }
        if shown > 0 {
            self.counts.execute_command_shown += shown;
            answer.body = doc.to_string().into_bytes();
        }
    }

    /// (10) UpdateService with another task definition starts a new deployment, which
    /// becomes the PRIMARY one; the one it replaces stays ACTIVE until its tasks are
    /// drained (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html:
    /// "PRIMARY: The most recent deployment of a service"). moto records the first
    /// deployment at CreateService and never another (moto ecs/models.py Service and
    /// update_service), so what a deployment runs would read as the first revision
    /// forever. Shown here as the rollout finished: one PRIMARY deployment, COMPLETED,
    /// running the service's task definition, as moto shows a new service.
    fn follow_new_deployments(&mut self, answer: &mut Answer) {
        let Some(mut doc) = json_body(&answer.body) else {
            return;
        };
        let Some(services) = doc.get_mut("services").and_then(Value::as_array_mut) else {
            return;
        };
        let mut changed = false;
        for service in services {
            let Some(definition) = service["taskDefinition"].as_str().map(str::to_string) else {
                continue;
            };
            let Some(primary) = service["deployments"]
                .as_array_mut()
                .and_then(|d| d.iter_mut().find(|d| d["status"] == "PRIMARY"))
            else {
                continue;
            };
            if primary["taskDefinition"].as_str() == Some(definition.as_str()) {
                continue;
            }
            let revision = definition.rsplit(':').next().unwrap_or_default();
            let id = format!("ecs-svc/{:019}", revision.parse::<u64>().unwrap_or(0));
            primary["rolloutStateReason"] = json!(format!("ECS deployment {id} completed."));
            primary["id"] = json!(id);
            primary["taskDefinition"] = json!(definition);
            self.counts.deployments_followed += 1;
            changed = true;
        }
        if changed {
            answer.body = doc.to_string().into_bytes();
        }
    }

    /// (4) A service whose tasks need an image that is not in ECR never runs a task.
    /// Each task stops with CannotPullContainerError
    /// (https://repost.aws/knowledge-center/ecs-fargate-pull-container-error), and the
    /// failures add up until the deployment circuit breaker, if on, fails the
    /// rollout. Its threshold is 0.5 × desired count, at least 3 and at most 200
    /// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html).
    /// The rollout reason is the one ECS gives (aws/containers-roadmap#1488). moto
    /// shows such a service as running, and its `events` are always empty (moto
    /// ecs/models.py Service).
    fn describe_failing_services(&mut self, region: &str, answer: &mut Answer) {
        let Some(mut doc) = json_body(&answer.body) else {
            return;
        };
        let Some(services) = doc.get_mut("services").and_then(Value::as_array_mut) else {
            return;
        };
        let mut changed = false;
        for service in services {
            let desired = service["desiredCount"].as_u64().unwrap_or(0);
            let (Some(arn), Some(definition)) = (
                service["serviceArn"].as_str().map(str::to_string),
                running_task_definition(service),
            ) else {
                continue;
            };
            if desired == 0 {
                continue;
            }
            let Some(image) = self.missing_images(&definition, region).into_iter().next() else {
                self.failing_describes.remove(&arn);
                continue;
            };
            let describes = self.failing_describes.entry(arn.clone()).or_default();
            *describes += 1;
            let failed = (*describes).min(desired.max(3));
            let breaker = self.circuit_breakers.get(&arn).copied().unwrap_or(false);
            show_failed_tasks(service, failed, breaker, &image);
            self.counts.failed_rollouts += 1;
            changed = true;
        }
        if changed {
            answer.body = doc.to_string().into_bytes();
        }
    }

    /// The images of a task definition (ARN, `family:revision` or family) that are in
    /// the emulator's ECR and missing there.
    fn missing_images(&mut self, definition: &str, region: &str) -> Vec<String> {
        self.images_of(definition, region)
            .into_iter()
            .filter(|image| self.image_missing(image))
            .collect()
    }

    fn images_of(&mut self, definition: &str, region: &str) -> Vec<String> {
        let key = definition
            .rsplit("task-definition/")
            .next()
            .unwrap_or(definition);
        let key = match key.contains(':') {
            true => Some(key.to_string()),
            false => self.latest_revision.get(key).map(|r| format!("{key}:{r}")),
        };
        if let Some(images) = key.and_then(|k| self.task_definitions.get(&k)) {
            return images.clone();
        }
        // Registered before the proxy started, or straight on the emulator.
        let body = json!({ "taskDefinition": definition }).to_string();
        let request = UpstreamRequest {
            method: "POST",
            path: "/",
            service: "ecs",
            region,
            target: Some("AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition"),
            body: body.as_bytes(),
        };
        let Some(answer) = self.upstream.send(&request).filter(|a| a.status == 200) else {
            return Vec::new();
        };
        let Some(doc) = json_body(&answer.body) else {
            return Vec::new();
        };
        let images = images_in(&doc["taskDefinition"]);
        if let Some(arn) = doc["taskDefinition"]["taskDefinitionArn"].as_str() {
            self.record_task_definition(arn, images.clone());
        }
        images
    }

    /// Whether an image in the emulator's ECR is missing: asked of moto itself with
    /// DescribeImages. moto answers ImageNotFoundException for a missing tag or digest
    /// (ecr/models.py describe_images) and picks its backend from the credential scope
    /// the request is signed for (moto_server/werkzeug_app.py). Images elsewhere
    /// (Docker Hub, public.ecr.aws) are taken to exist, and so is an image moto gives
    /// no clear answer about.
    fn image_missing(&self, uri: &str) -> bool {
        let Some(image) = EcrImage::parse(uri) else {
            return false;
        };
        let id = match image.digest {
            Some(digest) => json!({ "imageDigest": digest }),
            None => json!({ "imageTag": image.tag }),
        };
        let body = json!({
            "repositoryName": image.repository,
            "registryId": image.account,
            "imageIds": [id],
        })
        .to_string();
        let request = UpstreamRequest {
            method: "POST",
            path: "/",
            service: "ecr",
            region: image.region,
            target: Some("AmazonEC2ContainerRegistry_V20150921.DescribeImages"),
            body: body.as_bytes(),
        };
        let Some(answer) = self.upstream.send(&request) else {
            return false;
        };
        if answer.status == 200 {
            return false;
        }
        let code = json_body(&answer.body).and_then(|d| string_at(&d, "__type"));
        let code = code.as_deref().unwrap_or_default();
        let code = code.rsplit('#').next().unwrap_or_default();
        matches!(
            code,
            "ImageNotFoundException" | "RepositoryNotFoundException"
        )
    }

    // ----- 5: CloudFront -----------------------------------------------------------

    /// (5) Before an update or delete: a stale If-Match is refused (and a fresh one is
    /// mapped to moto's ETag), and an enabled distribution, or one whose disable is
    /// still deploying, cannot be deleted.
    ///
    /// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DeleteDistribution.html
    /// says If-Match must be "The value of the ETag header that you received when you
    /// disabled the distribution". TF internal/service/cloudfront/distribution.go
    /// works around these errors as follows:
    /// * resourceDistributionDelete disables the distribution first, then retries
    ///   DistributionNotDisabled for 3 min, even after waiting for Deployed, and
    ///   retries PreconditionFailed/InvalidIfMatchVersion for 1 min with a fresh ETag;
    /// * resourceDistributionUpdate refreshes the ETag once on PreconditionFailed.
    ///
    /// moto ignores If-Match, never changes an ETag, and deletes enabled distributions
    /// (moto cloudfront/models.py delete_distribution and update_distribution).
    fn cloudfront_before(&mut self, call: &Call, op: &str) -> Verdict {
        if op != "UpdateDistribution" && op != "DeleteDistribution" {
            return Verdict::forward();
        }
        let Some(id) = distribution_in_path(call.start_line) else {
            return Verdict::forward();
        };
        let mut if_match = None;
        if self.settings.distribution_etags
            && let (Some(sent), Some(tags)) = (call.if_match, self.etags.get(id))
        {
            if sent != tags.ours {
                self.counts.precondition_failed += 1;
                return Verdict::Refuse(Refusal {
                    status: 412,
                    code: "PreconditionFailed",
                    message: PRECONDITION.to_string(),
                });
            }
            if_match = Some(tags.moto.clone());
        }
        if op == "DeleteDistribution"
            && let Some(refusal) = self.delete_refusal(id, call.region)
        {
            return Verdict::Refuse(refusal);
        }
        Verdict::Forward { if_match }
    }

    fn delete_refusal(&mut self, id: &str, region: &str) -> Option<Refusal> {
        let not_disabled = Refusal {
            status: 409,
            code: "DistributionNotDisabled",
            message: NOT_DISABLED.to_string(),
        };
        if self.settings.enabled_distribution_delete && self.distribution_enabled(id, region) {
            self.counts.distribution_not_disabled += 1;
            return Some(not_disabled);
        }
        if self.settings.disable_deploying && self.disabling.remove(id) {
            self.counts.disable_deploying += 1;
            return Some(not_disabled);
        }
        None
    }

    /// Asks moto for the distribution's config. Unknown (moto then answers the delete
    /// itself) counts as not enabled.
    fn distribution_enabled(&self, id: &str, region: &str) -> bool {
        let path = format!("/2020-05-31/distribution/{id}/config");
        let request = UpstreamRequest {
            method: "GET",
            path: &path,
            service: "cloudfront",
            region,
            target: None,
            body: b"",
        };
        self.upstream
            .send(&request)
            .filter(|a| a.status == 200)
            .and_then(|a| config_enabled(&String::from_utf8_lossy(&a.body)))
            .unwrap_or(false)
    }

    /// (5) After a distribution answer, AWS's ETags are given in place of moto's, and a
    /// disabling update is remembered.
    fn cloudfront_after(&mut self, call: &Call, op: &str, answer: &mut Answer) {
        let created = op == "CreateDistribution" || op == "CreateDistributionWithTags";
        let id = match created {
            true => distribution_id(&String::from_utf8_lossy(&answer.body)),
            false => distribution_in_path(call.start_line).map(str::to_string),
        };
        let Some(id) = id else { return };
        match op {
            "DeleteDistribution" => {
                self.etags.remove(&id);
                self.disabling.remove(&id);
                return;
            }
            "UpdateDistribution" => match config_enabled(&String::from_utf8_lossy(call.body)) {
                Some(false) => {
                    self.disabling.insert(id.clone());
                }
                Some(true) => {
                    self.disabling.remove(&id);
                }
                None => {}
            },
            _ => {}
        }
        if !self.settings.distribution_etags {
            return;
        }
        let Some(moto) = answer.header("ETag").map(str::to_string) else {
            return;
        };
        let tags = self.etags.entry(id).or_insert_with(|| ETags {
            ours: moto.clone(),
            moto: moto.clone(),
        });
        tags.moto = moto;
        if op == "UpdateDistribution" {
            tags.ours = new_etag();
        }
        answer.set_header("ETag", &tags.ours);
    }
}

/// (3d) The error for a target group without a load balancer (see
/// `target_group_checks`).
fn no_load_balancer(target_group: &str) -> Refusal {
    Refusal::bad_request(
        "InvalidParameterException",
        format!(
            "The target group with targetGroupArn {target_group} does not have an associated load balancer."
        ),
    )
}

/// The target groups a listener's or rule's actions (parameters under `prefix`)
/// forward to; None when the request sets no actions.
fn forwarded_groups(form: &[(String, String)], prefix: &str) -> Option<Vec<String>> {
    if !form.iter().any(|(key, _)| key.starts_with(prefix)) {
        return None;
    }
    Some(
        form.iter()
            .filter(|(key, _)| key.starts_with(prefix) && key.ends_with(".TargetGroupArn"))
            .map(|(_, value)| value.clone())
            .collect(),
    )
}

/// The target groups a listener's or rule's actions (parameters under `prefix`) send
/// traffic to: a plain forward, or the members of a weighted one with a weight above
/// 0 (a member without a weight has 1).
fn serving_groups(form: &[(String, String)], prefix: &str) -> Vec<String> {
    let value = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    form.iter()
        .filter(|(key, _)| key.starts_with(prefix) && key.ends_with(".TargetGroupArn"))
        .filter(|(key, _)| {
            let weight = key.replace(".TargetGroupArn", ".Weight");
            value(&weight).is_none_or(|w| w.parse::<u32>().is_ok_and(|w| w > 0))
        })
        .map(|(_, arn)| arn.clone())
        .collect()
}

/// The task definition a service's tasks run: the service's own (moto keeps the
/// deployments as they were at create), else the primary deployment's.
fn running_task_definition(service: &Value) -> Option<String> {
    if let Some(definition) = service["taskDefinition"].as_str() {
        return Some(definition.to_string());
    }
    service["deployments"]
        .as_array()?
        .iter()
        .find(|d| d["status"] == "PRIMARY")
        .and_then(|d| d["taskDefinition"].as_str())
        .map(str::to_string)
}

/// The deployment circuit breaker's failed-task threshold: 0.5 × desired count,
/// at least 3 and at most 200.
pub fn circuit_breaker_threshold(desired: u64) -> u64 {
    desired.div_ceil(2).clamp(3, 200)
}

/// Rewrites one described service as ECS shows it while its tasks cannot pull
/// `image`: no task running or pending, `failed` failed tasks, and the rollout failed
/// once the circuit breaker (if on) reaches its threshold.
fn show_failed_tasks(service: &mut Value, failed: u64, breaker: bool, image: &str) {
    let desired = service["desiredCount"].as_u64().unwrap_or(0);
    let name = service["serviceName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    service["runningCount"] = json!(0);
    service["pendingCount"] = json!(0);
    let tripped = breaker && failed >= circuit_breaker_threshold(desired);
    let mut deployment_id = String::new();
    if let Some(deployments) = service["deployments"].as_array_mut() {
        for d in deployments.iter_mut().filter(|d| d["status"] == "PRIMARY") {
            deployment_id = d["id"].as_str().unwrap_or_default().to_string();
            d["desiredCount"] = json!(desired);
            d["runningCount"] = json!(0);
            d["pendingCount"] = json!(0);
            d["failedTasks"] = json!(failed);
            if tripped {
                d["rolloutState"] = json!("FAILED");
                d["rolloutStateReason"] =
                    json!("ECS deployment circuit breaker: tasks failed to start.");
            } else {
                d["rolloutState"] = json!("IN_PROGRESS");
                d["rolloutStateReason"] =
                    json!(format!("ECS deployment {deployment_id} in progress."));
            }
        }
    }
    let mut events = Vec::new();
    if tripped {
        events.push(event(format!(
            "(service {name}) (deployment {deployment_id}) deployment failed: tasks failed to start."
        )));
    }
    events.push(event(format!(
        "(service {name}) failed to launch a task: CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: not found"
    )));
    if let Some(old) = service["events"].as_array() {
        events.extend(old.iter().cloned());
    }
    service["events"] = Value::Array(events);
}

/// A service event as ECS lists it (newest first), stamped now.
fn event(message: String) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "createdAt": now,
        "message": message,
    })
}

/// An image URI in the emulator's ECR:
/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPO[:TAG|@DIGEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub repository: &'a str,
    /// `latest` when the URI names neither tag nor digest, as Docker reads it.
    pub tag: &'a str,
    pub digest: Option<&'a str>,
}

impl<'a> EcrImage<'a> {
    pub fn parse(uri: &'a str) -> Option<EcrImage<'a>> {
        let (host, path) = uri.split_once('/')?;
        let parts: Vec<&str> = host.split('.').collect();
        let (account, region) = match parts.as_slice() {
            [account, "dkr", "ecr", region, "amazonaws", "com", ..] => (*account, *region),
            _ => return None,
        };
        if let Some((repository, digest)) = path.split_once('@') {
            return Some(EcrImage {
                account,
                region,
                repository,
                tag: "latest",
                digest: Some(digest),
            });
        }
        let last = path.rsplit('/').next().unwrap_or(path);
        let (repository, tag) = match last.rsplit_once(':') {
            Some((_, tag)) => (&path[..path.len() - tag.len() - 1], tag),
            None => (path, "latest"),
        };
        Some(EcrImage {
            account,
            region,
            repository,
            tag,
            digest: None,
        })
    }
}

/// Each container's image of a task definition (request or answer alike).
fn images_in(definition: &Value) -> Vec<String> {
    definition["containerDefinitions"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|c| c["image"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a request's string names log group `name`, either by name or by ARN
/// (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`).
fn names_log_group(value: &str, name: &str) -> bool {
    value == name
        || value
            .strip_suffix(":*")
            .unwrap_or(value)
            .strip_suffix(name)
            .is_some_and(|head| head.ends_with(":log-group:"))
}

/// Every string in a JSON document.
fn strings_in<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(list) => list.iter().for_each(|v| strings_in(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings_in(v, out)),
        _ => {}
    }
}

fn json_body(body: &[u8]) -> Option<Value> {
    serde_json::from_slice(body).ok()
}

fn string_at(doc: &Value, key: &str) -> Option<String> {
    doc.get(key)?.as_str().map(str::to_string)
}

/// The text of every `<tag>` element of `xml`.
fn all_texts(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(after[..end].trim().to_string());
        rest = &after[end + close.len()..];
    }
    out
}

/// (9) Where the value of an awsQuery map entry (`<key>KEY</key> <value>V</value>`)
/// is in `xml`.
fn entry_value(xml: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let after_key = xml.find(&format!("<key>{key}</key>"))?;
    let open = after_key + xml[after_key..].find("<value>")? + "<value>".len();
    let close = open + xml[open..].find("</value>")?;
    Some(open..close)
}

/// (8) The service's PRIMARY deployment as ECS shows one its alarm failed.
fn fail_primary(service: &mut Value, reason: &str) {
    for deployment in service["deployments"].as_array_mut().into_iter().flatten() {
        if deployment["status"] == "PRIMARY" {
            deployment["rolloutState"] = Value::from("FAILED");
            deployment["rolloutStateReason"] = Value::from(reason);
        }
    }
}

/// The text of the first `<tag>` element; enough for create answers, which name
/// their new object's id once.
fn first_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..end].trim().to_string())
}

/// A distribution's id in a CloudFront create answer (`<Distribution><Id>`).
fn distribution_id(xml: &str) -> Option<String> {
    let distribution = elements(xml, "Distribution").into_iter().next()?;
    child_text(xml, distribution, &["Id"]).map(|range| xml[range].trim().to_string())
}

/// The `<Enabled>` of a distribution config itself. Its logging, origin shield and
/// trusted signers have one each, so only a direct child of DistributionConfig counts.
fn config_enabled(xml: &str) -> Option<bool> {
    let config = elements(xml, "DistributionConfig").into_iter().next()?;
    let enabled = child_text(xml, config, &["Enabled"])?;
    Some(xml[enabled].trim() == "true")
}

/// A fresh ETag in CloudFront's style (`E` and 13 upper-case characters).
fn new_etag() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    format!("E{}", &id[..13])
}

/// The decoded `key=value` pairs of a query-protocol form body.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` decoding: `%XX` and `+` for a space.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;

pub mod run_task;
