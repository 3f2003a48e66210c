//! The rewriting on samples of moto's real answers (moto 5.2, trimmed).

use super::*;

const NAT_CREATE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<CreateNatGatewayResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><natGateway><createTime>2026-11-22T05:20:44.000Z</createTime><natGatewayAddressSet><item><allocationId>eipalloc-29c6e7c1945cac9af</allocationId><networkInterfaceId>eni-0ca000d2302b72f2f</networkInterfaceId><state>kept</state></item></natGatewayAddressSet><natGatewayId>nat-cc7479d27112bad3d</natGatewayId><state>available</state><subnetId>subnet-14cf3baa9760782c4</subnetId><tagSet><item><key>a</key><value>b</value></item></tagSet></natGateway><requestId>request-id</requestId></CreateNatGatewayResponse>"#;

const NAT_DESCRIBE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<DescribeNatGatewaysResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><natGatewaySet><item><natGatewayAddressSet><item><allocationId>eipalloc-1</allocationId><state>kept</state></item></natGatewayAddressSet><natGatewayId>nat-cc7479d27112bad3d</natGatewayId><state>available</state><tagSet><item><key>a</key><value>b</value></item></tagSet></item><item><natGatewayId>nat-other</natGatewayId><state>available</state><tagSet/></item></natGatewaySet><requestId>request-id</requestId></DescribeNatGatewaysResponse>"#;

const LB_CREATE: &str = r#"<CreateLoadBalancerResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><CreateLoadBalancerResult><LoadBalancers><member><LoadBalancerArn>arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/x/130c702d9eba8e49</LoadBalancerArn><DNSName>x-1.eu-west-2.elb.amazonaws.com</DNSName><State><Code>provisioning</Code></State><AvailabilityZones><member><ZoneName>eu-west-2a</ZoneName></member></AvailabilityZones></member></LoadBalancers></CreateLoadBalancerResult></CreateLoadBalancerResponse>"#;

const LB_DESCRIBE: &str = r#"<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerArn>arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/x/130c702d9eba8e49</LoadBalancerArn><DNSName>x-1.eu-west-2.elb.amazonaws.com</DNSName><State><Code>active</Code></State><Type>application</Type><AvailabilityZones><member><ZoneName>eu-west-2a</ZoneName><SubnetId>subnet-1</SubnetId></member></AvailabilityZones><SecurityGroups/></member></LoadBalancers></DescribeLoadBalancersResult></DescribeLoadBalancersResponse>"#;

const CF_CREATE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>G7C6VQONOBPRV</Id><ARN>arn:aws:cloudfront::123456789012:distribution/G7C6VQONOBPRV</ARN><Status>InProgress</Status><DistributionConfig><Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id></Origin></Items></Origins><Enabled>true</Enabled></DistributionConfig></Distribution>"#;

const CF_GET: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>G7C6VQONOBPRV</Id><ARN>arn:aws:cloudfront::123456789012:distribution/G7C6VQONOBPRV</ARN><Status>Deployed</Status><DistributionConfig><Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id></Origin></Items></Origins><Enabled>true</Enabled></DistributionConfig></Distribution>"#;

const CF_LIST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<DistributionList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Marker></Marker><Quantity>1</Quantity><Items><DistributionSummary><Id>G7C6VQONOBPRV</Id><Status>Deployed</Status><Origins><Items><Origin><Id>o</Id></Origin></Items></Origins></DistributionSummary></Items></DistributionList>"#;

const ECS_CREATE: &str = r#"{"service": {"serviceArn": "arn:aws:ecs:eu-west-2:123456789012:service/c/s", "serviceName": "s", "status": "ACTIVE", "desiredCount": 2, "runningCount": 2, "pendingCount": 0, "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "desiredCount": 2, "pendingCount": 0, "runningCount": 2, "failedTasks": 0, "rolloutState": "COMPLETED", "rolloutStateReason": "done"}]}}"#;

const ECS_DESCRIBE: &str = r#"{"services": [{"serviceArn": "arn:aws:ecs:eu-west-2:123456789012:service/c/s", "serviceName": "s", "status": "ACTIVE", "desiredCount": 2, "runningCount": 2, "pendingCount": 0, "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "desiredCount": 2, "pendingCount": 0, "runningCount": 2, "failedTasks": 0, "rolloutState": "COMPLETED", "rolloutStateReason": "done"}]}], "failures": []}"#;

fn query(service: &'static str, body: &'static str) -> Request<'static> {
    Request {
        service,
        start_line: "POST / HTTP/1.1",
        target: None,
        body: body.as_bytes(),
    }
}

fn rest(start_line: &'static str) -> Request<'static> {
    Request {
        service: "cloudfront",
        start_line,
        target: None,
        body: b"",
    }
}

fn ecs(op: &'static str) -> Request<'static> {
    Request {
        service: "ecs",
        start_line: "POST / HTTP/1.1",
        target: Some(op),
        body: b"{}",
    }
}

fn answer(r: &mut Readiness, req: Request, body: &str, at: Instant) -> String {
    String::from_utf8(r.answer(&req, body.as_bytes().to_vec(), at)).unwrap()
}

#[test]
fn the_operation_is_read_from_action_target_or_cloudfront_path() {
    let q = query("ec2", "Action=DescribeNatGateways&Version=2016-11-15");
    assert_eq!(operation(&q).as_deref(), Some("DescribeNatGateways"));
    let e = ecs("AmazonEC2ContainerServiceV20141113.DescribeServices");
    assert_eq!(operation(&e).as_deref(), Some("DescribeServices"));
    let cases = [
        (
            "POST /2020-05-31/distribution?WithTags HTTP/1.1",
            "CreateDistributionWithTags",
        ),
        (
            "POST /2020-05-31/distribution HTTP/1.1",
            "CreateDistribution",
        ),
        (
            "GET /2020-05-31/distribution/E1 HTTP/1.1",
            "GetDistribution",
        ),
        ("GET /2020-05-31/distribution HTTP/1.1", "ListDistributions"),
        (
            "PUT /2020-05-31/distribution/E1/config HTTP/1.1",
            "UpdateDistribution",
        ),
        (
            "GET /2020-05-31/distribution/E1/config HTTP/1.1",
            "GetDistributionConfig",
        ),
    ];
    for (line, op) in cases {
        assert_eq!(operation(&rest(line)).as_deref(), Some(op), "{line}");
    }
    assert_eq!(operation(&rest("GET /2020-05-31/tagging HTTP/1.1")), None);
    assert_eq!(
        distribution_in_path("PUT /2020-05-31/distribution/E1/config HTTP/1.1"),
        Some("E1")
    );
}

#[test]
fn a_nat_gateway_is_pending_until_its_time_then_available() {
    let mut r = Readiness::new(Timing::scaled());
    let t0 = Instant::now();
    let created = answer(
        &mut r,
        query("ec2", "Action=CreateNatGateway"),
        NAT_CREATE,
        t0,
    );
    assert!(
        created
            .contains("<natGatewayId>nat-cc7479d27112bad3d</natGatewayId><state>pending</state>"),
        "{created}"
    );
    let describe = query("ec2", "Action=DescribeNatGateways");
    let young = answer(
        &mut r,
        describe,
        NAT_DESCRIBE,
        t0 + Duration::from_millis(1900),
    );
    assert!(
        young.contains("nat-cc7479d27112bad3d</natGatewayId><state>pending</state>"),
        "{young}"
    );
    // Another gateway, and the address item nested in this one, keep their states.
    assert!(
        young.contains("nat-other</natGatewayId><state>available</state>"),
        "{young}"
    );
    assert!(young.contains("<state>kept</state>"), "{young}");
    let old = answer(&mut r, describe, NAT_DESCRIBE, t0 + Duration::from_secs(2));
    assert_eq!(old, NAT_DESCRIBE);
}

#[test]
fn a_load_balancer_provisions_for_its_time() {
    let mut r = Readiness::new(Timing::scaled());
    let t0 = Instant::now();
    answer(
        &mut r,
        query("elasticloadbalancing", "Action=CreateLoadBalancer"),
        LB_CREATE,
        t0,
    );
    let describe = query(
        "elasticloadbalancing",
        "Action=DescribeLoadBalancers&Version=2015-12-01",
    );
    let young = answer(
        &mut r,
        describe,
        LB_DESCRIBE,
        t0 + Duration::from_millis(2500),
    );
    assert_eq!(
        young,
        LB_DESCRIBE.replace("<Code>active</Code>", "<Code>provisioning</Code>")
    );
    assert_eq!(
        answer(&mut r, describe, LB_DESCRIBE, t0 + Duration::from_secs(3)),
        LB_DESCRIBE
    );
}

#[test]
fn a_distribution_deploys_after_its_time_and_again_after_an_update() {
    let mut r = Readiness::new(Timing::scaled());
    let t0 = Instant::now();
    let create = rest("POST /2020-05-31/distribution?WithTags HTTP/1.1");
    answer(&mut r, create, CF_CREATE, t0);
    let get = rest("GET /2020-05-31/distribution/G7C6VQONOBPRV HTTP/1.1");
    let list = rest("GET /2020-05-31/distribution HTTP/1.1");
    let in_progress =
        |s: &str| s.replace("<Status>Deployed</Status>", "<Status>InProgress</Status>");
    let at = t0 + Duration::from_secs(7);
    assert_eq!(answer(&mut r, get, CF_GET, at), in_progress(CF_GET));
    assert_eq!(answer(&mut r, list, CF_LIST, at), in_progress(CF_LIST));
    let later = t0 + Duration::from_secs(8);
    assert_eq!(answer(&mut r, get, CF_GET, later), CF_GET);
    let update = rest("PUT /2020-05-31/distribution/G7C6VQONOBPRV/config HTTP/1.1");
    assert_eq!(answer(&mut r, update, CF_GET, later), in_progress(CF_GET));
    let during = later + Duration::from_secs(7);
    assert_eq!(answer(&mut r, get, CF_GET, during), in_progress(CF_GET));
}

#[test]
fn a_service_rolls_out_for_its_time_with_no_task_running() {
    let mut r = Readiness::new(Timing::scaled());
    let t0 = Instant::now();
    let created = answer(
        &mut r,
        ecs("AmazonEC2ContainerServiceV20141113.CreateService"),
        ECS_CREATE,
        t0,
    );
    let created: Value = serde_json::from_str(&created).unwrap();
    assert_eq!(
        created["service"]["deployments"][0]["rolloutState"],
        "IN_PROGRESS"
    );
    let describe = ecs("AmazonEC2ContainerServiceV20141113.DescribeServices");
    let young: Value = serde_json::from_str(&answer(
        &mut r,
        describe,
        ECS_DESCRIBE,
        t0 + Duration::from_millis(1500),
    ))
    .unwrap();
    let s = &young["services"][0];
    assert_eq!(
        (s["runningCount"].clone(), s["pendingCount"].clone()),
        (Value::from(0), Value::from(2))
    );
    let d = &s["deployments"][0];
    assert_eq!(d["rolloutState"], "IN_PROGRESS");
    assert_eq!(d["runningCount"], 0);
    assert_eq!(
        answer(&mut r, describe, ECS_DESCRIBE, t0 + Duration::from_secs(2)),
        ECS_DESCRIBE
    );
}

#[test]
fn objects_the_proxy_did_not_see_created_are_left_alone() {
    let mut r = Readiness::new(Timing::scaled());
    let now = Instant::now();
    let describe = query("ec2", "Action=DescribeNatGateways");
    assert_eq!(answer(&mut r, describe, NAT_DESCRIBE, now), NAT_DESCRIBE);
    let get = rest("GET /2020-05-31/distribution/G7C6VQONOBPRV HTTP/1.1");
    assert_eq!(answer(&mut r, get, CF_GET, now), CF_GET);
    let other = query("ec2", "Action=DescribeVpcs");
    assert_eq!(
        answer(&mut r, other, "<x><state>available</state></x>", now),
        "<x><state>available</state></x>"
    );
}
