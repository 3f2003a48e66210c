//! The realism layer on samples of moto's real answers (moto 5.2.6 through boto3,
//! trimmed) and the requests the SDKs send.

use super::*;
use crate::fault_proxy::error_response;
use std::sync::{Arc, Mutex};

const REGION: &str = "eu-west-2";

const CREATE_VPC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<CreateVpcResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><vpc><ownerId>123456789012</ownerId><instanceTenancy>default</instanceTenancy><ipv6CidrBlockAssociationSet/><cidrBlockAssociationSet><item><associationId>vpc-cidr-assoc-e58518209e550164f</associationId><cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockState><state>associated</state></cidrBlockState></item></cidrBlockAssociationSet><isDefault>false</isDefault><tagSet/><vpcId>vpc-b42a138d437914347</vpcId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock><dhcpOptionsId>default</dhcpOptionsId></vpc><requestId>request-id</requestId></CreateVpcResponse>"#;

const CREATE_SUBNET: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<CreateSubnetResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><subnet><availabilityZoneId>euw2-az2</availabilityZoneId><ownerId>123456789012</ownerId><tagSet/><subnetArn>arn:aws:ec2:eu-west-2:123456789012:subnet/subnet-47152f8c54d5f71ca</subnetArn><subnetId>subnet-47152f8c54d5f71ca</subnetId><state>available</state><vpcId>vpc-b42a138d437914347</vpcId><cidrBlock>10.0.1.0/24</cidrBlock><availabilityZone>eu-west-2a</availabilityZone><mapPublicIpOnLaunch>false</mapPublicIpOnLaunch></subnet><requestId>request-id</requestId></CreateSubnetResponse>"#;

const CREATE_IGW: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<CreateInternetGatewayResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><internetGateway><attachmentSet/><internetGatewayId>igw-70bf60b0fdc99b13f</internetGatewayId><ownerId>123456789012</ownerId><tagSet/></internetGateway><requestId>request-id</requestId></CreateInternetGatewayResponse>"#;

const CREATE_ROUTE_TABLE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<CreateRouteTableResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><routeTable><associationSet/><routeTableId>rtb-4b1664c07c0c39dcc</routeTableId><routeSet><item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><origin>CreateRouteTable</origin><state>active</state></item></routeSet><tagSet/><vpcId>vpc-b42a138d437914347</vpcId><ownerId>123456789012</ownerId></routeTable><requestId>request-id</requestId></CreateRouteTableResponse>"#;

const CREATE_SG: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<CreateSecurityGroupResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><groupId>sg-6d51dd019a5e6237c</groupId><securityGroupArn>arn:aws:ec2:eu-west-2:123456789012:security-group/sg-6d51dd019a5e6237c</securityGroupArn><requestId>request-id</requestId></CreateSecurityGroupResponse>"#;

const ALLOCATE_ADDRESS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<AllocateAddressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><allocationId>eipalloc-d39c35f2ab5e27164</allocationId><domain>vpc</domain><publicIp>127.34.15.45</publicIp><requestId>request-id</requestId></AllocateAddressResponse>"#;

const CREATE_NAT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<CreateNatGatewayResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><natGateway><createTime>2026-12-04T21:41:42.000Z</createTime><natGatewayAddressSet><item><allocationId>eipalloc-d39c35f2ab5e27164</allocationId><networkInterfaceId>eni-8822652db8c27cba1</networkInterfaceId><privateIp>10.126.211.169</privateIp><publicIp>127.34.15.45</publicIp><associationId>eipassoc-ba57da43ed7fd584d</associationId></item></natGatewayAddressSet><natGatewayId>nat-56a5ce5fdd78b3e3d</natGatewayId><state>available</state><subnetId>subnet-47152f8c54d5f71ca</subnetId><vpcId>vpc-b42a138d437914347</vpcId><tagSet/></natGateway><requestId>request-id</requestId></CreateNatGatewayResponse>"#;

const CREATE_ROLE: &str = r#"<CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateRoleResult><Role><Path>/</Path><RoleName>flow</RoleName><RoleId>AROARZPUZDIKJW7AGXB6G</RoleId><Arn>arn:aws:iam::123456789012:role/flow</Arn><CreateDate>2026-12-04T21:41:43.053312Z</CreateDate><AssumeRolePolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22%7D</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration><RoleLastUsed/></Role></CreateRoleResult><ResponseMetadata><RequestId>vYmuvgHzBtJlTTMG80VCkIZZt0OeJ9X6LrC1OiuugVrm39dgSFQF</RequestId></ResponseMetadata></CreateRoleResponse>"#;

const TG: &str =
    "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/tg/e2ae612bd3b4c6c6";
const TG2: &str =
    "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/tg2/8b259be4017d5600";
const LB: &str =
    "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/lb/80ba5928141e8e82";

/// CreateListener with a weighted forward: tg at 100, tg2 at 0.
const CREATE_LISTENER_REQUEST: &str = "Action=CreateListener&Version=2015-12-01&LoadBalancerArn=arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-2%3A123456789012%3Aloadbalancer%2Fapp%2Flb%2F80ba5928141e8e82&Protocol=HTTP&Port=80&DefaultActions.member.1.Type=forward&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn=arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-2%3A123456789012%3Atargetgroup%2Ftg%2Fe2ae612bd3b4c6c6&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight=100&DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn=arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-2%3A123456789012%3Atargetgroup%2Ftg2%2F8b259be4017d5600&DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.Weight=0";

const CREATE_LISTENER: &str = r#"<CreateListenerResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><CreateListenerResult><Listeners><member><ListenerArn>arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/lb/80ba5928141e8e82/bd6b1d23e50fb6a0</ListenerArn><LoadBalancerArn>arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/lb/80ba5928141e8e82</LoadBalancerArn><Port>80</Port><Protocol>HTTP</Protocol><DefaultActions><member><Type>forward</Type><ForwardConfig><TargetGroups><member><TargetGroupArn>arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/tg/e2ae612bd3b4c6c6</TargetGroupArn><Weight>100</Weight></member><member><TargetGroupArn>arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/tg2/8b259be4017d5600</TargetGroupArn><Weight>0</Weight></member></TargetGroups></ForwardConfig></member></DefaultActions><AlpnPolicy/></member></Listeners></CreateListenerResult><ResponseMetadata><RequestId>tnVA65H4pE9UbLxetD0u0y0nCC6GJACvx91xC0nmbw2sbqkzGmDM</RequestId></ResponseMetadata></CreateListenerResponse>"#;

const LISTENER_PARAM: &str = "ListenerArn=arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-2%3A123456789012%3Alistener%2Fapp%2Flb%2F80ba5928141e8e82%2Fbd6b1d23e50fb6a0";

const CREATE_RULE: &str = r#"<CreateRuleResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><CreateRuleResult><Rules><member><RuleArn>arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener-rule/app/lb/80ba5928141e8e82/bd6b1d23e50fb6a0/281576669e183b6f</RuleArn><Priority>10</Priority><Conditions><member><Field>path-pattern</Field><Values><member>/x</member></Values></member></Conditions><Actions><member><Type>forward</Type><TargetGroupArn>arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/tg2/8b259be4017d5600</TargetGroupArn></member></Actions><IsDefault>false</IsDefault></member></Rules></CreateRuleResult></CreateRuleResponse>"#;

const RULE_PARAM: &str = "RuleArn=arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-2%3A123456789012%3Alistener-rule%2Fapp%2Flb%2F80ba5928141e8e82%2Fbd6b1d23e50fb6a0%2F281576669e183b6f";

const IMAGE: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/app:v1";

const REGISTER_REQUEST: &str = r#"{"family": "web", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512", "containerDefinitions": [{"name": "web", "image": "123456789012.dkr.ecr.eu-west-2.amazonaws.com/app:v1", "memory": 512, "portMappings": [{"containerPort": 80}]}]}"#;

const REGISTER: &str = r#"{"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1", "containerDefinitions": [{"name": "web", "image": "123456789012.dkr.ecr.eu-west-2.amazonaws.com/app:v1", "cpu": 0, "memory": 512, "portMappings": [{"containerPort": 80}], "essential": true, "environment": [], "mountPoints": [], "volumesFrom": []}], "family": "web", "networkMode": "awsvpc", "revision": 1, "volumes": [], "status": "ACTIVE", "cpu": "256", "memory": "512"}}"#;

const CREATE_SERVICE_REQUEST: &str = r#"{"cluster": "c", "serviceName": "web", "taskDefinition": "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1", "desiredCount": 2, "launchType": "FARGATE", "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": false}, "maximumPercent": 200, "minimumHealthyPercent": 100}}"#;

const CREATE_SERVICE: &str = r#"{"service": {"serviceArn": "arn:aws:ecs:eu-west-2:123456789012:service/c/web", "serviceName": "web", "clusterArn": "arn:aws:ecs:eu-west-2:123456789012:cluster/c", "loadBalancers": [], "status": "ACTIVE", "desiredCount": 2, "runningCount": 10, "pendingCount": -8, "launchType": "FARGATE", "taskDefinition": "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1", "taskSets": [], "deployments": [{"id": "ecs-svc/407423187471911681", "status": "PRIMARY", "taskDefinition": "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1", "desiredCount": 2, "pendingCount": -8, "runningCount": 10, "failedTasks": 0, "createdAt": 1796420503.226, "updatedAt": 1796420503.226, "launchType": "FARGATE", "rolloutState": "COMPLETED", "rolloutStateReason": "ECS deployment ecs-svc/407423187471911681 completed."}], "events": [], "schedulingStrategy": "REPLICA", "deploymentController": {"type": "ECS"}, "tags": [], "propagateTags": "NONE"}}"#;

const DESCRIBE_SERVICES: &str = r#"{"services": [{"serviceArn": "arn:aws:ecs:eu-west-2:123456789012:service/c/web", "serviceName": "web", "clusterArn": "arn:aws:ecs:eu-west-2:123456789012:cluster/c", "loadBalancers": [], "status": "ACTIVE", "desiredCount": 2, "runningCount": 10, "pendingCount": -8, "launchType": "FARGATE", "taskDefinition": "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1", "taskSets": [], "deployments": [{"id": "ecs-svc/407423187471911681", "status": "PRIMARY", "taskDefinition": "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1", "desiredCount": 2, "pendingCount": -8, "runningCount": 10, "failedTasks": 0, "createdAt": 1796420503.226, "updatedAt": 1796420503.226, "launchType": "FARGATE", "rolloutState": "COMPLETED", "rolloutStateReason": "ECS deployment ecs-svc/407423187471911681 completed."}], "events": [], "schedulingStrategy": "REPLICA", "deploymentController": {"type": "ECS"}, "propagateTags": "NONE"}], "failures": []}"#;

const IMAGE_NOT_FOUND: &str = r#"{"__type": "ImageNotFoundException", "message": "The image with imageId {imageDigest:'null', imageTag:'v1'} does not exist within the repository with name 'app' in the registry with id '123456789012'", "Message": "The image with imageId {imageDigest:'null', imageTag:'v1'} does not exist within the repository with name 'app' in the registry with id '123456789012'"}"#;

const DISTRIBUTION_ID: &str = "XLP8NIHOEMF8W";
const MOTO_ETAG: &str = "TEQ22LIV7T5WE";

const CREATE_DISTRIBUTION: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>XLP8NIHOEMF8W</Id><ARN>arn:aws:cloudfront::123456789012:distribution/XLP8NIHOEMF8W</ARN><Status>InProgress</Status><ActiveTrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity><Items></Items></ActiveTrustedSigners><DistributionConfig><CallerReference>r1</CallerReference><Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>example.com</DomainName><OriginShield><Enabled>false</Enabled></OriginShield></Origin></Items></Origins><Logging><Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix></Logging><PriceClass>PriceClass_All</PriceClass><Enabled>true</Enabled></DistributionConfig></Distribution>"#;

/// moto's GetDistributionConfig: the logging's and origin shield's `<Enabled>` come
/// before the distribution's own.
fn distribution_config(enabled: bool) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>r1</CallerReference><Aliases><Quantity>0</Quantity></Aliases><Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>example.com</DomainName><OriginShield><Enabled>false</Enabled></OriginShield></Origin></Items></Origins><DefaultCacheBehavior><TargetOriginId>o</TargetOriginId><TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity><Items></Items></TrustedSigners></DefaultCacheBehavior><Comment /><Logging><Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix></Logging><PriceClass>PriceClass_All</PriceClass><Enabled>{enabled}</Enabled><HttpVersion>http2</HttpVersion></DistributionConfig>"#
    )
}

/// What the fake emulator knows, changeable while a layer holds it.
#[derive(Debug, Default)]
struct World {
    /// `repository:tag` of the images in ECR.
    images: HashSet<String>,
    /// Enabled or not, per distribution id.
    distributions: HashMap<String, bool>,
    /// DescribeTaskDefinition answers by the name asked.
    task_definitions: HashMap<String, String>,
    /// `METHOD path target` of each request the layer sent.
    asked: Vec<String>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<World>>);

impl Upstream for Fake {
    fn send(&self, request: &UpstreamRequest) -> Option<UpstreamAnswer> {
        let mut world = self.0.lock().unwrap();
        world.asked.push(format!(
            "{} {} {} {}",
            request.method,
            request.path,
            request.region,
            request.target.unwrap_or_default()
        ));
        let body: Value = serde_json::from_slice(request.body).unwrap_or_default();
        let (status, body) = match request.target.unwrap_or_default() {
            "AmazonEC2ContainerRegistry_V20150921.DescribeImages" => {
                let repository = body["repositoryName"].as_str().unwrap_or_default();
                let tag = body["imageIds"][0]["imageTag"].as_str().unwrap_or_default();
                match world.images.contains(&format!("{repository}:{tag}")) {
                    true => (200, r#"{"imageDetails": [{}]}"#.to_string()),
                    false => (400, IMAGE_NOT_FOUND.to_string()),
                }
            }
            "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition" => {
                let name = body["taskDefinition"].as_str().unwrap_or_default();
                match world.task_definitions.get(name) {
                    Some(answer) => (200, answer.clone()),
                    None => (400, r#"{"__type": "ClientException"}"#.to_string()),
                }
            }
            _ => {
                let id = request.path.split('/').nth(3).unwrap_or_default();
                match world.distributions.get(id) {
                    Some(enabled) => (200, distribution_config(*enabled)),
                    None => (404, String::new()),
                }
            }
        };
        Some(UpstreamAnswer {
            status,
            headers: vec![("ETag".to_string(), MOTO_ETAG.to_string())],
            body: body.into_bytes(),
        })
    }
}

fn layer(settings: Realism) -> (Layer, Fake) {
    let fake = Fake::default();
    (Layer::new(settings, Box::new(fake.clone())), fake)
}

fn query<'a>(service: &'a str, body: &'a str) -> Call<'a> {
    Call {
        service,
        region: REGION,
        start_line: "POST / HTTP/1.1",
        target: None,
        if_match: None,
        body: body.as_bytes(),
    }
}

fn json_call<'a>(service: &'a str, target: &'a str, body: &'a str) -> Call<'a> {
    Call {
        target: Some(target),
        ..query(service, body)
    }
}

fn ecs<'a>(op: &'a str, body: &'a str) -> Call<'a> {
    // The operation is the part after the last dot of the target.
    json_call("ecs", op, body)
}

fn cloudfront<'a>(start_line: &'a str, if_match: Option<&'a str>, body: &'a str) -> Call<'a> {
    Call {
        service: "cloudfront",
        region: "us-east-1",
        start_line,
        target: None,
        if_match,
        body: body.as_bytes(),
    }
}

fn ok(body: &str) -> Answer {
    Answer {
        status: 200,
        headers: vec![("Content-Type".to_string(), "text/xml".to_string())],
        body: body.as_bytes().to_vec(),
        bodiless: false,
    }
}

fn with_etag(mut answer: Answer, etag: &str) -> Answer {
    answer.headers.push(("ETag".to_string(), etag.to_string()));
    answer
}

/// The answer as the client gets it.
fn relayed(layer: &mut Layer, call: &Call, answer: &str, now: Instant) -> String {
    let mut answer = ok(answer);
    layer.after(call, &mut answer, now);
    String::from_utf8(answer.body).unwrap()
}

fn refusal(status: u16, code: &'static str, message: &str) -> Verdict {
    Verdict::Refuse(Refusal {
        status,
        code,
        message: message.to_string(),
    })
}

fn forward() -> Verdict {
    Verdict::forward()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn a_fresh_ec2_id_is_not_found_by_the_first_request_that_names_it() {
    let (mut layer, _) = layer(Realism::aws());
    let t0 = Instant::now();
    let create = query(
        "ec2",
        "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16",
    );
    relayed(&mut layer, &create, CREATE_VPC, t0);
    let unrelated = query("ec2", "Action=DescribeVpcs&Version=2016-11-15");
    assert_eq!(layer.before(&unrelated, t0), forward());
    let longer = query("ec2", "Action=DescribeVpcs&VpcId.1=vpc-b42a138d4379143470");
    assert_eq!(layer.before(&longer, t0), forward(), "an exact token only");
    let subnet = query(
        "ec2",
        "Action=CreateSubnet&Version=2016-11-15&VpcId=vpc-b42a138d437914347&CidrBlock=10.0.1.0%2F24",
    );
    assert_eq!(
        layer.before(&subnet, t0 + secs(1)),
        refusal(
            400,
            "InvalidVpcID.NotFound",
            "The vpc ID 'vpc-b42a138d437914347' does not exist"
        )
    );
    assert_eq!(layer.before(&subnet, t0 + secs(1)), forward());
    assert_eq!(layer.counts().ec2_id_not_found, 1);
    assert_eq!(layer.counts().refused(), 1);
}

#[test]
fn every_kind_of_fresh_ec2_id_gets_its_own_not_found() {
    let cases = [
        (
            "CreateSubnet",
            CREATE_SUBNET,
            "Action=DescribeSubnets&Version=2016-11-15&SubnetId.1=subnet-47152f8c54d5f71ca",
            "InvalidSubnetID.NotFound",
            "The subnet ID 'subnet-47152f8c54d5f71ca' does not exist",
        ),
        (
            "CreateInternetGateway",
            CREATE_IGW,
            "Action=AttachInternetGateway&Version=2016-11-15&InternetGatewayId=igw-70bf60b0fdc99b13f&VpcId=vpc-1",
            "InvalidInternetGatewayID.NotFound",
            "The internetGateway ID 'igw-70bf60b0fdc99b13f' does not exist",
        ),
        (
            "CreateRouteTable",
            CREATE_ROUTE_TABLE,
            "Action=AssociateRouteTable&Version=2016-11-15&RouteTableId=rtb-4b1664c07c0c39dcc&SubnetId=subnet-1",
            "InvalidRouteTableID.NotFound",
            "The routeTable ID 'rtb-4b1664c07c0c39dcc' does not exist",
        ),
        (
            "CreateSecurityGroup",
            CREATE_SG,
            "Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=group-id&Filter.1.Value.1=sg-6d51dd019a5e6237c",
            "InvalidGroup.NotFound",
            "The security group 'sg-6d51dd019a5e6237c' does not exist",
        ),
        (
            "AllocateAddress",
            ALLOCATE_ADDRESS,
            "Action=CreateNatGateway&Version=2016-11-15&SubnetId=subnet-1&AllocationId=eipalloc-d39c35f2ab5e27164",
            "InvalidAllocationID.NotFound",
            "The allocation ID 'eipalloc-d39c35f2ab5e27164' does not exist",
        ),
        (
            "CreateNatGateway",
            CREATE_NAT,
            "Action=DescribeNatGateways&Version=2016-11-15&NatGatewayId.1=nat-56a5ce5fdd78b3e3d",
            "NatGatewayNotFound",
            "The Nat Gateway nat-56a5ce5fdd78b3e3d was not found",
        ),
    ];
    for (create, answer, naming, code, message) in cases {
        let (mut layer, _) = layer(Realism::aws());
        let t0 = Instant::now();
        let body = format!("Action={create}&Version=2016-11-15");
        relayed(&mut layer, &query("ec2", &body), answer, t0);
        let call = query("ec2", naming);
        assert_eq!(
            layer.before(&call, t0),
            refusal(400, code, message),
            "{create}"
        );
        assert_eq!(layer.before(&call, t0), forward(), "{create}");
    }
}

#[test]
fn a_fresh_id_is_visible_once_the_window_has_passed() {
    let (mut layer, _) = layer(Realism::aws());
    let t0 = Instant::now();
    relayed(
        &mut layer,
        &query("ec2", "Action=CreateVpc"),
        CREATE_VPC,
        t0,
    );
    let call = query("ec2", "Action=DescribeVpcs&VpcId.1=vpc-b42a138d437914347");
    assert_eq!(layer.before(&call, t0 + secs(31)), forward());
    assert_eq!(layer.counts(), RealismCounts::default());
}

#[test]
fn with_no_realism_nothing_is_refused() {
    let (mut layer, _) = layer(Realism::none());
    let t0 = Instant::now();
    relayed(
        &mut layer,
        &query("ec2", "Action=CreateVpc"),
        CREATE_VPC,
        t0,
    );
    let call = query("ec2", "Action=CreateSubnet&VpcId=vpc-b42a138d437914347");
    assert_eq!(layer.before(&call, t0), forward());
    assert!(!Realism::none().any());
    assert!(Realism::aws().any());
    assert!(
        Realism {
            missing_images: true,
            ..Realism::none()
        }
        .any()
    );
}

#[test]
fn a_new_log_group_is_unknown_to_its_first_request_but_describes() {
    let (mut layer, _) = layer(Realism::aws());
    let t0 = Instant::now();
    let create = json_call(
        "logs",
        "Logs_20140328.CreateLogGroup",
        r#"{"logGroupName": "/app"}"#,
    );
    // moto answers CreateLogGroup with an empty body.
    relayed(&mut layer, &create, "", t0);
    let describe = json_call(
        "logs",
        "Logs_20140328.DescribeLogGroups",
        r#"{"logGroupNamePrefix": "/app"}"#,
    );
    assert_eq!(layer.before(&describe, t0), forward());
    assert_eq!(layer.before(&create, t0), forward(), "a second create");
    let retention = json_call(
        "logs",
        "Logs_20140328.PutRetentionPolicy",
        r#"{"logGroupName": "/app", "retentionInDays": 7}"#,
    );
    let not_found = refusal(
        400,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    );
    assert_eq!(layer.before(&retention, t0), not_found);
    assert_eq!(layer.before(&retention, t0), forward());
    let other = json_call(
        "logs",
        "Logs_20140328.CreateLogGroup",
        r#"{"logGroupName": "/o"}"#,
    );
    relayed(&mut layer, &other, "", t0);
    let tag = json_call(
        "logs",
        "Logs_20140328.TagResource",
        r#"{"resourceArn": "arn:aws:logs:eu-west-2:123456789012:log-group:/o:*", "tags": {"a": "b"}}"#,
    );
    assert_eq!(layer.before(&tag, t0), not_found);
    assert_eq!(layer.counts().log_group_not_found, 2);
}

#[test]
fn log_groups_are_named_by_name_or_arn() {
    assert!(names_log_group("/app", "/app"));
    assert!(names_log_group(
        "arn:aws:logs:eu-west-2:123456789012:log-group:/app",
        "/app"
    ));
    assert!(names_log_group(
        "arn:aws:logs:eu-west-2:123456789012:log-group:/app:*",
        "/app"
    ));
    assert!(!names_log_group("/app/x", "/app"));
    assert!(!names_log_group(
        "arn:aws:logs:eu-west-2:123456789012:log-group:/x/app",
        "/app"
    ));
}

#[test]
fn a_flow_log_cannot_assume_a_role_iam_has_not_propagated() {
    let (mut layer, _) = layer(Realism::aws());
    let t0 = Instant::now();
    let create = query("iam", "Action=CreateRole&Version=2010-05-08&RoleName=flow");
    relayed(&mut layer, &create, CREATE_ROLE, t0);
    let flow_logs = query(
        "ec2",
        "Action=CreateFlowLogs&Version=2016-11-15&ResourceId.1=vpc-1&ResourceType=VPC&TrafficType=ALL&LogGroupName=%2Fapp&DeliverLogsPermissionArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fflow",
    );
    assert_eq!(
        layer.before(&flow_logs, t0 + secs(2)),
        refusal(
            400,
            "InvalidParameter",
            "Unable to assume given IAM role: 'arn:aws:iam::123456789012:role/flow'"
        )
    );
    assert_eq!(layer.before(&flow_logs, t0 + secs(2)), forward());
    assert_eq!(layer.counts().flow_log_role, 1);
}

#[test]
fn the_first_fargate_cluster_waits_for_the_service_linked_role() {
    let (mut layer, _) = layer(Realism::aws());
    let now = Instant::now();
    let target = "AmazonEC2ContainerServiceV20141113.CreateCluster";
    assert_eq!(
        layer.before(&ecs(target, r#"{"clusterName": "plain"}"#), now),
        forward()
    );
    let fargate = ecs(
        target,
        r#"{"clusterName": "c", "capacityProviders": ["FARGATE", "FARGATE_SPOT"]}"#,
    );
    assert_eq!(
        layer.before(&fargate, now),
        refusal(400, "InvalidParameterException", SERVICE_LINKED_ROLE)
    );
    assert_eq!(layer.before(&fargate, now), forward());
    assert_eq!(layer.counts().service_linked_role, 1);
    let (mut other, _) = self::layer(Realism::aws());
    let strategy = ecs(
        target,
        r#"{"clusterName": "c", "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}"#,
    );
    assert_ne!(other.before(&strategy, now), forward());
}

fn service_on(op: &str, target_group: &str) -> String {
    let name = match op {
        "CreateService" => "serviceName",
        _ => "service",
    };
    format!(
        r#"{{"cluster": "c", "{name}": "web", "taskDefinition": "web:1", "desiredCount": 1, "loadBalancers": [{{"targetGroupArn": "{target_group}", "containerName": "web", "containerPort": 80}}]}}"#
    )
}

const CREATE_SERVICE_TARGET: &str = "AmazonEC2ContainerServiceV20141113.CreateService";
const UPDATE_SERVICE_TARGET: &str = "AmazonEC2ContainerServiceV20141113.UpdateService";

fn create_listener(layer: &mut Layer, now: Instant) {
    let call = query("elasticloadbalancing", CREATE_LISTENER_REQUEST);
    relayed(layer, &call, CREATE_LISTENER, now);
}

#[test]
fn a_service_needs_a_listener_on_its_target_group_and_its_propagation() {
    let (mut layer, _) = layer(Realism::aws());
    let t0 = Instant::now();
    let create = service_on("CreateService", TG);
    let create = ecs(CREATE_SERVICE_TARGET, &create);
    let no_lb = Verdict::Refuse(no_load_balancer(TG));
    assert_eq!(
        layer.before(&create, t0),
        refusal(400, "InvalidParameterException", SERVICE_ROLE),
        "the account's first service with a load balancer"
    );
    assert_eq!(layer.before(&create, t0), no_lb);
    assert_eq!(layer.before(&create, t0), no_lb, "always, as AWS");
    create_listener(&mut layer, t0);
    assert_eq!(layer.before(&create, t0 + secs(1)), no_lb, "propagating");
    assert_eq!(layer.before(&create, t0 + secs(1)), forward());
    let update = service_on("UpdateService", TG2);
    let update = ecs(UPDATE_SERVICE_TARGET, &update);
    assert_eq!(
        layer.before(&update, t0 + secs(2)),
        Verdict::Refuse(no_load_balancer(TG2)),
        "weight 0 associates too, and propagates"
    );
    assert_eq!(layer.before(&update, t0 + secs(2)), forward());
    let counts = layer.counts();
    assert_eq!(
        (
            counts.service_role,
            counts.unassociated_target_group,
            counts.target_group_propagation
        ),
        (1, 2, 2)
    );
    assert_eq!(
        no_load_balancer(TG).message,
        format!(
            "The target group with targetGroupArn {TG} does not have an associated load balancer."
        )
    );
}

#[test]
fn a_propagation_outside_the_window_is_over() {
    let (mut layer, _) = layer(Realism {
        ecs_service_role: false,
        ..Realism::aws()
    });
    let t0 = Instant::now();
    create_listener(&mut layer, t0);
    let create = service_on("CreateService", TG);
    assert_eq!(
        layer.before(&ecs(CREATE_SERVICE_TARGET, &create), t0 + secs(30)),
        forward()
    );
}

#[test]
fn associations_follow_modifies_and_deletes() {
    let (mut layer, _) = layer(Realism {
        ecs_service_role: false,
        target_group_propagation: false,
        ..Realism::aws()
    });
    let now = Instant::now();
    let update = service_on("UpdateService", TG2);
    let update = ecs(UPDATE_SERVICE_TARGET, &update);
    let tg2_refused = Verdict::Refuse(no_load_balancer(TG2));
    let elb = |layer: &mut Layer, body: &str, answer: &str| {
        relayed(layer, &query("elasticloadbalancing", body), answer, now);
    };
    create_listener(&mut layer, now);
    assert_eq!(layer.before(&update, now), forward());
    let only_tg = format!(
        "Action=ModifyListener&{LISTENER_PARAM}&DefaultActions.member.1.Type=forward&DefaultActions.member.1.TargetGroupArn={TG}"
    );
    elb(&mut layer, &only_tg, "<ModifyListenerResponse/>");
    assert_eq!(layer.before(&update, now), tg2_refused, "replaced");
    let port = format!("Action=ModifyListener&{LISTENER_PARAM}&Port=8080");
    elb(&mut layer, &port, "<ModifyListenerResponse/>");
    let rule = format!(
        "Action=CreateRule&{LISTENER_PARAM}&Priority=10&Actions.member.1.Type=forward&Actions.member.1.TargetGroupArn={TG2}"
    );
    elb(&mut layer, &rule, CREATE_RULE);
    assert_eq!(layer.before(&update, now), forward(), "a rule forwards");
    elb(
        &mut layer,
        &format!("Action=DeleteRule&{RULE_PARAM}"),
        "<DeleteRuleResponse/>",
    );
    assert_eq!(layer.before(&update, now), tg2_refused, "rule deleted");
    elb(&mut layer, &rule, CREATE_RULE);
    elb(
        &mut layer,
        &format!("Action=DeleteListener&{LISTENER_PARAM}"),
        "<DeleteListenerResponse/>",
    );
    assert_eq!(
        layer.before(&update, now),
        tg2_refused,
        "its rules go with the listener"
    );
    create_listener(&mut layer, now);
    assert_eq!(layer.before(&update, now), forward());
    elb(
        &mut layer,
        &format!("Action=DeleteLoadBalancer&LoadBalancerArn={LB}"),
        "<DeleteLoadBalancerResponse/>",
    );
    assert_eq!(
        layer.before(&update, now),
        tg2_refused,
        "load balancer deleted"
    );
    let mut refused = ok("");
    refused.status = 400;
    let listener = query("elasticloadbalancing", CREATE_LISTENER_REQUEST);
    layer.after(&listener, &mut refused, now);
    assert_eq!(layer.before(&update, now), tg2_refused, "a refused create");
}

fn register(layer: &mut Layer, now: Instant) {
    let call = ecs(
        "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
        REGISTER_REQUEST,
    );
    relayed(layer, &call, REGISTER, now);
}

fn describe(layer: &mut Layer, now: Instant) -> Value {
    let call = ecs(
        "AmazonEC2ContainerServiceV20141113.DescribeServices",
        r#"{"cluster": "c", "services": ["web"]}"#,
    );
    serde_json::from_str(&relayed(layer, &call, DESCRIBE_SERVICES, now)).unwrap()
}

#[test]
fn a_service_on_a_missing_image_fails_its_rollout_until_the_image_is_pushed() {
    let (mut layer, fake) = layer(Realism::aws());
    let now = Instant::now();
    register(&mut layer, now);
    let create = ecs(CREATE_SERVICE_TARGET, CREATE_SERVICE_REQUEST);
    assert_eq!(layer.before(&create, now), forward());
    relayed(&mut layer, &create, CREATE_SERVICE, now);
    assert_eq!(layer.counts().tasks_on_missing_image, 1);
    for n in 1..=4u64 {
        let doc = describe(&mut layer, now);
        let service = &doc["services"][0];
        let primary = &service["deployments"][0];
        assert_eq!(
            (
                service["runningCount"].as_u64(),
                service["pendingCount"].as_u64()
            ),
            (Some(0), Some(0))
        );
        assert_eq!(primary["runningCount"], 0);
        assert_eq!(primary["failedTasks"], n.min(3), "describe {n}");
        let pull = format!(
            "(service web) failed to launch a task: CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {IMAGE}: not found"
        );
        if n < 3 {
            assert_eq!(primary["rolloutState"], "IN_PROGRESS", "describe {n}");
            assert_eq!(service["events"][0]["message"], pull.as_str());
        } else {
            assert_eq!(primary["rolloutState"], "FAILED", "describe {n}");
            assert_eq!(
                primary["rolloutStateReason"],
                "ECS deployment circuit breaker: tasks failed to start."
            );
            assert_eq!(
                service["events"][0]["message"],
                "(service web) (deployment ecs-svc/407423187471911681) deployment failed: tasks failed to start."
            );
            assert_eq!(service["events"][1]["message"], pull.as_str());
        }
    }
    assert_eq!(layer.counts().failed_rollouts, 4);
    fake.0.lock().unwrap().images.insert("app:v1".to_string());
    let call = ecs(
        "AmazonEC2ContainerServiceV20141113.DescribeServices",
        r#"{"cluster": "c", "services": ["web"]}"#,
    );
    assert_eq!(
        relayed(&mut layer, &call, DESCRIBE_SERVICES, now),
        DESCRIBE_SERVICES
    );
    let asked = fake.0.lock().unwrap().asked.clone();
    assert!(
        asked
            .iter()
            .all(|a| a == "POST / eu-west-2 AmazonEC2ContainerRegistry_V20150921.DescribeImages"),
        "{asked:?}"
    );
}

#[test]
fn without_a_circuit_breaker_the_rollout_stays_in_progress() {
    let (mut layer, _) = layer(Realism::aws());
    let now = Instant::now();
    register(&mut layer, now);
    let request =
        r#"{"cluster": "c", "serviceName": "web", "taskDefinition": "web", "desiredCount": 2}"#;
    relayed(
        &mut layer,
        &ecs(CREATE_SERVICE_TARGET, request),
        CREATE_SERVICE,
        now,
    );
    for _ in 0..5 {
        let doc = describe(&mut layer, now);
        let primary = &doc["services"][0]["deployments"][0];
        assert_eq!(primary["rolloutState"], "IN_PROGRESS");
        assert!(primary["failedTasks"].as_u64().unwrap() <= 3);
    }
}

#[test]
fn starting_tasks_on_a_missing_image_is_counted() {
    let (mut layer, fake) = layer(Realism::aws());
    let now = Instant::now();
    register(&mut layer, now);
    let update = ecs(
        UPDATE_SERVICE_TARGET,
        r#"{"cluster": "c", "service": "web", "desiredCount": 0}"#,
    );
    let scaled_to_zero = CREATE_SERVICE.replace(
        r#""desiredCount": 2, "runningCount""#,
        r#""desiredCount": 0, "runningCount""#,
    );
    relayed(&mut layer, &update, &scaled_to_zero, now);
    assert_eq!(layer.counts().tasks_on_missing_image, 0, "no task to start");
    let by_family_revision = CREATE_SERVICE.replace(
        r#""taskDefinition": "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1", "taskSets""#,
        r#""taskDefinition": "web:1", "taskSets""#,
    );
    relayed(&mut layer, &update, &by_family_revision, now);
    assert_eq!(layer.counts().tasks_on_missing_image, 1);
    let run = ecs(
        "AmazonEC2ContainerServiceV20141113.RunTask",
        r#"{"cluster": "c", "taskDefinition": "web"}"#,
    );
    relayed(&mut layer, &run, r#"{"tasks": [], "failures": []}"#, now);
    assert_eq!(
        layer.counts().tasks_on_missing_image,
        2,
        "the family's latest"
    );
    fake.0.lock().unwrap().task_definitions.insert(
        "other".to_string(),
        r#"{"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:eu-west-2:123456789012:task-definition/other:3", "containerDefinitions": [{"name": "a", "image": "nginx:1.25"}]}}"#.to_string(),
    );
    let other = ecs(
        "AmazonEC2ContainerServiceV20141113.RunTask",
        r#"{"cluster": "c", "taskDefinition": "other"}"#,
    );
    relayed(&mut layer, &other, r#"{"tasks": []}"#, now);
    assert_eq!(layer.counts().tasks_on_missing_image, 2, "not in ECR");
    fake.0.lock().unwrap().images.insert("app:v1".to_string());
    relayed(&mut layer, &run, r#"{"tasks": []}"#, now);
    assert_eq!(layer.counts().tasks_on_missing_image, 2, "pushed");
    let asked = fake.0.lock().unwrap().asked.clone();
    assert!(
        asked.contains(
            &"POST / eu-west-2 AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition"
                .to_string()
        ),
        "{asked:?}"
    );
}

#[test]
fn ecr_image_uris_are_parsed() {
    assert_eq!(
        EcrImage::parse(IMAGE),
        Some(EcrImage {
            account: "123456789012",
            region: "eu-west-2",
            repository: "app",
            tag: "v1",
            digest: None,
        })
    );
    let digest =
        EcrImage::parse("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app@sha256:abc")
            .unwrap();
    assert_eq!(
        (digest.region, digest.repository, digest.digest),
        ("cn-north-1", "team/app", Some("sha256:abc"))
    );
    let untagged =
        EcrImage::parse("123456789012.dkr.ecr.eu-west-2.amazonaws.com/team/app").unwrap();
    assert_eq!((untagged.repository, untagged.tag), ("team/app", "latest"));
    for other in [
        "nginx:1.25",
        "public.ecr.aws/nginx/nginx:latest",
        "localhost:5000/app:v1",
    ] {
        assert_eq!(EcrImage::parse(other), None, "{other}");
    }
}

const DISTRIBUTION_PATH: &str = "/2020-05-31/distribution/XLP8NIHOEMF8W";

#[test]
fn an_enabled_distribution_cannot_be_deleted_nor_one_whose_disable_deploys() {
    let (mut layer, fake) = layer(Realism::aws());
    let now = Instant::now();
    fake.0
        .lock()
        .unwrap()
        .distributions
        .insert(DISTRIBUTION_ID.to_string(), true);
    let create = cloudfront(
        "POST /2020-05-31/distribution HTTP/1.1",
        None,
        "<DistributionConfig/>",
    );
    let mut created = with_etag(ok(CREATE_DISTRIBUTION), MOTO_ETAG);
    created.status = 201;
    layer.after(&create, &mut created, now);
    assert_eq!(
        created.header("ETag"),
        Some(MOTO_ETAG),
        "first seen: moto's"
    );
    let delete_line = format!("DELETE {DISTRIBUTION_PATH} HTTP/1.1");
    let not_disabled = refusal(409, "DistributionNotDisabled", NOT_DISABLED);
    let delete = cloudfront(&delete_line, Some(MOTO_ETAG), "");
    assert_eq!(layer.before(&delete, now), not_disabled);
    assert_eq!(
        fake.0.lock().unwrap().asked,
        [format!("GET {DISTRIBUTION_PATH}/config us-east-1 ")]
    );
    // The disable, sent with the ETag the client has, goes to moto with moto's.
    fake.0
        .lock()
        .unwrap()
        .distributions
        .insert(DISTRIBUTION_ID.to_string(), false);
    let update_line = format!("PUT {DISTRIBUTION_PATH}/config HTTP/1.1");
    let disable_body = distribution_config(false);
    let disable = cloudfront(&update_line, Some(MOTO_ETAG), &disable_body);
    assert_eq!(
        layer.before(&disable, now),
        Verdict::Forward {
            if_match: Some(MOTO_ETAG.to_string())
        }
    );
    let mut updated = with_etag(ok(CREATE_DISTRIBUTION), MOTO_ETAG);
    layer.after(&disable, &mut updated, now);
    let fresh = updated.header("ETag").unwrap().to_string();
    assert_ne!(fresh, MOTO_ETAG);
    assert!(fresh.starts_with('E') && fresh.len() == 14, "{fresh}");
    let stale = layer.before(&delete, now);
    assert_eq!(stale, refusal(412, "PreconditionFailed", PRECONDITION));
    let delete = cloudfront(&delete_line, Some(&fresh), "");
    assert_eq!(layer.before(&delete, now), not_disabled, "still deploying");
    assert_eq!(
        layer.before(&delete, now),
        Verdict::Forward {
            if_match: Some(MOTO_ETAG.to_string())
        }
    );
    let get = cloudfront(
        "GET /2020-05-31/distribution/XLP8NIHOEMF8W HTTP/1.1",
        None,
        "",
    );
    let mut got = with_etag(ok(CREATE_DISTRIBUTION), MOTO_ETAG);
    layer.after(&get, &mut got, now);
    assert_eq!(
        got.header("ETag"),
        Some(fresh.as_str()),
        "reads show the new ETag"
    );
    let mut deleted = Answer {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
        bodiless: true,
    };
    layer.after(&delete, &mut deleted, now);
    assert!(layer.etags.is_empty() && layer.disabling.is_empty());
    let counts = layer.counts();
    assert_eq!(
        (
            counts.distribution_not_disabled,
            counts.disable_deploying,
            counts.precondition_failed
        ),
        (1, 1, 1)
    );
}

#[test]
fn a_distribution_the_proxy_never_saw_keeps_its_if_match() {
    let (mut layer, _) = layer(Realism::aws());
    let line = format!("PUT {DISTRIBUTION_PATH}/config HTTP/1.1");
    let body = distribution_config(true);
    let update = cloudfront(&line, Some("ANY"), &body);
    assert_eq!(layer.before(&update, Instant::now()), forward());
    let delete_line = format!("DELETE {DISTRIBUTION_PATH} HTTP/1.1");
    let delete = cloudfront(&delete_line, Some("ANY"), "");
    assert_eq!(
        layer.before(&delete, Instant::now()),
        forward(),
        "moto knows it not"
    );
}

#[test]
fn a_distribution_is_enabled_by_its_own_enabled_not_its_logging() {
    assert_eq!(config_enabled(&distribution_config(true)), Some(true));
    assert_eq!(config_enabled(&distribution_config(false)), Some(false));
    assert_eq!(config_enabled(CREATE_DISTRIBUTION), Some(true));
    assert_eq!(config_enabled("<Distribution/>"), None);
    assert_eq!(
        distribution_id(CREATE_DISTRIBUTION).as_deref(),
        Some(DISTRIBUTION_ID)
    );
}

#[test]
fn refusals_are_rendered_in_each_services_wire_format() {
    let text = |service, status, code, message| {
        String::from_utf8(error_response(service, status, code, message, "r-1").unwrap()).unwrap()
    };
    let cf = text("cloudfront", 409, "DistributionNotDisabled", NOT_DISABLED);
    assert!(cf.starts_with("HTTP/1.1 409 Conflict\r\n"), "{cf}");
    assert!(
        cf.contains("<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">"),
        "{cf}"
    );
    assert!(cf.contains("<Type>Sender</Type>\n    <Code>DistributionNotDisabled</Code>"));
    let pf = text("cloudfront", 412, "PreconditionFailed", PRECONDITION);
    assert!(
        pf.starts_with("HTTP/1.1 412 Precondition Failed\r\n"),
        "{pf}"
    );
    let ec2 = text(
        "ec2",
        400,
        "InvalidVpcID.NotFound",
        "The vpc ID 'vpc-1' does not exist",
    );
    assert!(ec2.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{ec2}");
    assert!(ec2.contains(
        "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-1' does not exist</Message></Error></Errors><RequestID>r-1</RequestID></Response>"
    ));
    let ecs = text("ecs", 400, "InvalidParameterException", "a <b> & \"c\"");
    assert!(
        ecs.contains("x-amzn-ErrorType: InvalidParameterException\r\n"),
        "{ecs}"
    );
    let body: Value = serde_json::from_str(ecs.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"__type": "InvalidParameterException", "message": "a <b> & \"c\""})
    );
    let escaped = text("elasticloadbalancing", 400, "ValidationError", "a <b> & c");
    assert!(
        escaped.contains("<Message>a &lt;b&gt; &amp; c</Message>"),
        "{escaped}"
    );
}

#[test]
fn forms_are_decoded_and_thresholds_bounded() {
    assert_eq!(
        form_pairs(b"Action=CreateFlowLogs&LogGroupName=%2Fapp&Name=a+b&Empty=&Bare"),
        [
            ("Action", "CreateFlowLogs"),
            ("LogGroupName", "/app"),
            ("Name", "a b"),
            ("Empty", ""),
            ("Bare", "")
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert_eq!(percent_decode("100%"), "100%");
    assert_eq!(
        [1, 2, 6, 7, 10, 1000].map(circuit_breaker_threshold),
        [3, 3, 3, 4, 5, 200]
    );
}

#[test]
fn moving_traffic_to_a_target_group_no_service_is_in_is_counted() {
    let now = Instant::now();
    let elb = |layer: &mut Layer, body: &str, answer: &str| {
        relayed(layer, &query("elasticloadbalancing", body), answer, now);
    };
    let service = |layer: &mut Layer, body: &str| {
        relayed(
            layer,
            &ecs(UPDATE_SERVICE_TARGET, body),
            CREATE_SERVICE,
            now,
        );
    };
    let forward_to = |groups: &[(&str, u32)]| {
        let mut body =
            format!("Action=ModifyListener&{LISTENER_PARAM}&DefaultActions.member.1.Type=forward");
        for (i, (arn, weight)) in groups.iter().enumerate() {
            let n = i + 1;
            body.push_str(&format!(
                "&DefaultActions.member.1.ForwardConfig.TargetGroups.member.{n}.TargetGroupArn={arn}&DefaultActions.member.1.ForwardConfig.TargetGroups.member.{n}.Weight={weight}"
            ));
        }
        body
    };
    let settings = Realism {
        ecs_service_role: false,
        target_group_propagation: false,
        ..Realism::aws()
    };
    // The staged move: the new group joins at weight 0, the service registers in
    // both, and only then does the listener send everything to the new group.
    let (mut staged, _) = layer(settings);
    let plain = format!(
        "Action=CreateListener&LoadBalancerArn={LB}&DefaultActions.member.1.Type=forward&DefaultActions.member.1.TargetGroupArn={TG}"
    );
    elb(&mut staged, &plain, CREATE_LISTENER);
    service(&mut staged, &service_on("UpdateService", TG));
    assert_eq!(
        staged.counts().traffic_to_empty_target_group,
        0,
        "a new stack's first forward is no move"
    );
    elb(
        &mut staged,
        &forward_to(&[(TG, 1), (TG2, 0)]),
        "<ModifyListenerResponse/>",
    );
    let both = service_on("UpdateService", TG).replace(
        "}]}",
        &format!(
            r#"}}, {{"targetGroupArn": "{TG2}", "containerName": "web", "containerPort": 80}}]}}"#
        ),
    );
    service(&mut staged, &both);
    elb(
        &mut staged,
        &forward_to(&[(TG2, 1)]),
        "<ModifyListenerResponse/>",
    );
    assert_eq!(staged.counts().traffic_to_empty_target_group, 0);
    // The listener moved first: every request goes to a group with no task in it.
    let (mut hasty, _) = layer(settings);
    elb(&mut hasty, &plain, CREATE_LISTENER);
    service(&mut hasty, &service_on("UpdateService", TG));
    elb(
        &mut hasty,
        &forward_to(&[(TG2, 1)]),
        "<ModifyListenerResponse/>",
    );
    assert_eq!(hasty.counts().traffic_to_empty_target_group, 1);
}

#[test]
fn a_service_updated_onto_another_revision_shows_a_deployment_running_it() {
    let settings = Realism {
        service_deployments: true,
        ..Realism::none()
    };
    let (mut layer, _) = layer(settings);
    let call = ecs(
        "AmazonEC2ContainerServiceV20141113.DescribeServices",
        r#"{"cluster": "c", "services": ["web"]}"#,
    );
    // What moto answers after UpdateService onto revision 8: the service runs 8, its
    // only deployment still 7.
    let moto = r#"{"services": [{"serviceName": "web",
        "taskDefinition": "arn:aws:ecs:eu-west-2:1:task-definition/web:8",
        "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": "COMPLETED",
            "taskDefinition": "arn:aws:ecs:eu-west-2:1:task-definition/web:7"}]}]}"#;
    let doc: Value =
        serde_json::from_str(&relayed(&mut layer, &call, moto, Instant::now())).unwrap();
    let primary = &doc["services"][0]["deployments"][0];
    assert_eq!(
        primary["taskDefinition"],
        "arn:aws:ecs:eu-west-2:1:task-definition/web:8"
    );
    assert_eq!(primary["id"], "ecs-svc/0000000000000000008");
    assert_eq!(primary["rolloutState"], "COMPLETED");
    assert_eq!(layer.counts().deployments_followed, 1);
    // One that already runs its service's revision is left as it is.
    let current = moto.replace("web:7", "web:8");
    assert_eq!(
        relayed(&mut layer, &call, &current, Instant::now()),
        current
    );
    assert_eq!(layer.counts().deployments_followed, 1);
}
