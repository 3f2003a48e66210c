//! The edge kinds: ALB, target group, listener, listener rule, CloudFront.
//!
//! Subnets and security groups are made with raw EC2 calls here (their kinds live
//! on another branch) and recorded as outputs, so the specs' references resolve.

use crate::support::kinds::{Harness, user_tags};
use serde_json::json;
use stackctl::address::{Address, CloudId, Kind};
use stackctl::aws::Aws;
use stackctl::aws::call_log::{CallLog, CallLogInterceptor};
use stackctl::resources::Resource;
use stackctl::resources::cloudfront_distribution::{
    CloudfrontDistribution, CloudfrontDistributionSpec,
};
use stackctl::resources::listener::{Listener, ListenerAction, ListenerSpec};
use stackctl::resources::listener_rule::{ListenerRule, ListenerRuleSpec};
use stackctl::resources::load_balancer::{LoadBalancer, LoadBalancerSpec};
use stackctl::resources::tags::Tags;
use stackctl::resources::target_group::{HealthCheck, TargetGroup, TargetGroupSpec};
use stackctl::resources::vpc::{Vpc, VpcSpec};
use stackctl::resources::{Ref, tags};
use std::collections::BTreeMap;
use std::path::PathBuf;

const AZS: [&str; 3] = ["eu-west-2a", "eu-west-2b", "eu-west-2c"];
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";

fn subnet(i: usize) -> Address {
    Address::new(Kind::Subnet, format!("public-{i}"))
}

fn security_group(name: &str) -> Address {
    Address::new(Kind::SecurityGroup, name)
}

fn vpc() -> Address {
    Address::new(Kind::Vpc, "main")
}

/// A VPC (through its kind), one subnet in each of three AZs as `subnet.public-N`,
/// and two security groups `security_group.alb` and `security_group.extra`.
async fn network(h: &mut Harness) {
    let (_, created) = h
        .create::<Vpc>(
            "main",
            &VpcSpec {
                cidr: "10.0.0.0/16".into(),
                tags: Tags::new(),
            },
        )
        .await;
    let vpc_id = created.id.to_string();
    for (i, az) in AZS.iter().enumerate() {
        let out = h
            .aws
            .ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.0.{i}.0/24"))
            .availability_zone(*az)
            .send()
            .await
            .expect("create subnet");
        let id = out.subnet().and_then(|s| s.subnet_id()).expect("subnet id");
        record(h, subnet(i), id);
    }
    for name in ["alb", "extra"] {
        let out = h
            .aws
            .ec2
            .create_security_group()
            .group_name(format!("kindtest-{name}"))
            .description("edge kind test")
            .vpc_id(&vpc_id)
            .send()
            .await
            .expect("create security group");
        let id = out.group_id().expect("group id");
        record(h, security_group(name), id);
    }
}

fn record(h: &mut Harness, address: Address, id: &str) {
    h.outputs.insert(
        address,
        BTreeMap::from([("id".to_string(), id.to_string())]),
    );
}

fn out(h: &Harness, address: &Address, output: &str) -> String {
    h.outputs[address][output].clone()
}

fn alb_spec(subnets: &[usize], groups: &[&str], idle_timeout: i32) -> LoadBalancerSpec {
    LoadBalancerSpec {
        name: "kindtest-web".into(),
        scheme: "internet-facing".into(),
        subnets: subnets.iter().map(|i| Ref::id(subnet(*i))).collect(),
        security_groups: groups.iter().map(|g| Ref::id(security_group(g))).collect(),
        idle_timeout,
        deletion_protection: true,
        drop_invalid_header_fields: true,
        tags: Tags::new(),
    }
}

async fn alb(h: &mut Harness) -> Address {
    network(h).await;
    let (address, _) = h
        .create::<LoadBalancer>("web", &alb_spec(&[0, 1], &["alb"], 60))
        .await;
    address
}

fn tg_spec(name: &str) -> TargetGroupSpec {
    TargetGroupSpec {
        name: name.into(),
        vpc: Ref::id(vpc()),
        port: 8080,
        health_check: HealthCheck {
            path: "/health".into(),
            interval: 30,
            timeout: 5,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: "200-399".into(),
        },
        deregistration_delay: 60,
        tags: Tags::new(),
    }
}

/// ELBv2 tags of one object, by key.
async fn elb_tags(h: &Harness, arn: &CloudId) -> BTreeMap<String, String> {
    let out = h
        .aws
        .elb
        .describe_tags()
        .resource_arns(arn.as_str())
        .send()
        .await
        .expect("describe tags");
    out.tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

/// The load balancer's attributes, straight from ELBv2.
async fn alb_attributes(h: &Harness, arn: &CloudId) -> BTreeMap<String, String> {
    let out = h
        .aws
        .elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn.as_str())
        .send()
        .await
        .expect("describe load balancer attributes");
    out.attributes()
        .iter()
        .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
        .collect()
}

/// The harness's clients with ELBv2 and CloudFront calls recorded: moto deletes a
/// protected ALB and an enabled distribution alike, so only the calls made show
/// that delete turned protection off / disabled first.
struct Recorded {
    aws: Aws,
    path: PathBuf,
}

impl Recorded {
    fn new(h: &Harness) -> Recorded {
        let path = std::env::temp_dir().join(format!("edge-calls-{}.jsonl", uuid::Uuid::new_v4()));
        let log = CallLog::create(&path).expect("create call log");
        let mut aws = h.aws.clone();
        aws.elb = aws_sdk_elasticloadbalancingv2::Client::from_conf(
            aws.elb
                .config()
                .to_builder()
                .interceptor(CallLogInterceptor::new(log.clone()))
                .build(),
        );
        aws.cloudfront = aws_sdk_cloudfront::Client::from_conf(
            aws.cloudfront
                .config()
                .to_builder()
                .interceptor(CallLogInterceptor::new(log))
                .build(),
        );
        Recorded { aws, path }
    }

    /// Operations called so far, in order, with `!` appended to failed ones.
    fn operations(&self) -> Vec<String> {
        CallLog::read(&self.path)
            .expect("read call log")
            .into_iter()
            .map(|c| {
                if c.ok {
                    c.operation
                } else {
                    format!("{}!", c.operation)
                }
            })
            .collect()
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[tokio::test]
async fn load_balancer_is_created_updated_in_place_and_deleted_despite_protection() {
    let mut h = Harness::start().await;
    network(&mut h).await;
    let mut spec = alb_spec(&[0, 1], &["alb"], 60);
    spec.tags = user_tags();
    let (address, created) = h.create::<LoadBalancer>("web", &spec).await;
    let id = created.id;
    let live = h.assert_in_sync::<LoadBalancer>(&id, &spec).await;
    assert_eq!(live.attrs["name"], "kindtest-web");
    assert_eq!(live.attrs["scheme"], "internet-facing");
    assert_eq!(live.attrs["idle_timeout"], 60);
    assert_eq!(live.outputs["arn"], id.to_string());
    assert!(live.outputs["dns_name"].starts_with("kindtest-web"));
    assert!(!live.outputs["zone_id"].is_empty());
    assert_eq!(created.outputs, live.outputs);
    let found = elb_tags(&h, &id).await;
    assert_eq!(found[tags::ADDRESS_TAG], "load_balancer.web");
    assert_eq!(found[tags::STACK_TAG], "kindtest");
    assert_eq!(found["team"], "a");
    h.retag::<LoadBalancer>(&address, &id, &spec, |s| &mut s.tags)
        .await;
    let found = elb_tags(&h, &id).await;
    assert_eq!(found[tags::ADDRESS_TAG], "load_balancer.web");
    assert_eq!(found["owner"], "x");

    // Move from AZs a+b to a+c (the tags go back to none on the way).
    let spec = alb_spec(&[0, 2], &["alb"], 60);
    h.update::<LoadBalancer>(&address, &id, &spec, &["subnets", "tags"])
        .await;
    let live = h.assert_in_sync::<LoadBalancer>(&id, &spec).await;
    let mut expected = vec![out(&h, &subnet(0), "id"), out(&h, &subnet(2), "id")];
    expected.sort();
    assert_eq!(live.attrs["subnets"], json!(expected));

    let spec = alb_spec(&[0, 2], &["alb", "extra"], 60);
    h.update::<LoadBalancer>(&address, &id, &spec, &["security_groups"])
        .await;
    let live = h.assert_in_sync::<LoadBalancer>(&id, &spec).await;
    let mut expected = vec![
        out(&h, &security_group("alb"), "id"),
        out(&h, &security_group("extra"), "id"),
    ];
    expected.sort();
    assert_eq!(live.attrs["security_groups"], json!(expected));

    let spec = alb_spec(&[0, 2], &["alb", "extra"], 120);
    h.update::<LoadBalancer>(&address, &id, &spec, &["idle_timeout"])
        .await;
    let live = h.assert_in_sync::<LoadBalancer>(&id, &spec).await;
    assert_eq!(live.attrs["idle_timeout"], 120);
    // The secure defaults were set at create and survive an idle timeout change.
    assert_eq!(live.attrs["deletion_protection"], true);
    assert_eq!(live.attrs["drop_invalid_header_fields"], true);
    let attributes = alb_attributes(&h, &id).await;
    assert_eq!(attributes["deletion_protection.enabled"], "true");
    assert_eq!(
        attributes["routing.http.drop_invalid_header_fields.enabled"],
        "true"
    );
    assert_eq!(attributes["idle_timeout.timeout_seconds"], "120");

    // Both turned off in stack.toml, then back on.
    let off = LoadBalancerSpec {
        deletion_protection: false,
        drop_invalid_header_fields: false,
        ..spec.clone()
    };
    h.update::<LoadBalancer>(
        &address,
        &id,
        &off,
        &["deletion_protection", "drop_invalid_header_fields"],
    )
    .await;
    let live = h.assert_in_sync::<LoadBalancer>(&id, &off).await;
    assert_eq!(live.attrs["deletion_protection"], false);
    assert_eq!(live.attrs["drop_invalid_header_fields"], false);
    assert_eq!(live.attrs["idle_timeout"], 120);
    h.update::<LoadBalancer>(
        &address,
        &id,
        &spec,
        &["deletion_protection", "drop_invalid_header_fields"],
    )
    .await;
    h.assert_in_sync::<LoadBalancer>(&id, &spec).await;

    // Protection is on, as stackctl leaves it: delete turns it off first (the
    // emulator deletes a protected ALB anyway, so only the calls show the order).
    let recorded = Recorded::new(&h);
    LoadBalancer::delete(&recorded.aws, &id)
        .await
        .expect("delete protected load balancer");
    assert_eq!(
        recorded.operations(),
        [
            "DescribeLoadBalancerAttributes",
            "ModifyLoadBalancerAttributes",
            "DeleteLoadBalancer",
            "DescribeLoadBalancers!",
        ]
    );
    h.delete::<LoadBalancer>(&id).await;
}

#[tokio::test]
async fn load_balancer_name_longer_than_32_is_refused_before_aws() {
    let mut h = Harness::start().await;
    network(&mut h).await;
    let mut spec = alb_spec(&[0, 1], &["alb"], 60);
    spec.name = "a".repeat(33);
    let address = Address::new(Kind::LoadBalancer, "web");
    let deps = h.outputs.clone();
    let ctx = stackctl::resources::Ctx::new(&h.aws, "kindtest", &address, &deps);
    let err = LoadBalancer::create(&ctx, &spec).await.unwrap_err();
    assert!(err.to_string().contains("longer than 32"), "{err}");
}

#[tokio::test]
async fn target_group_health_check_and_delay_change_in_place() {
    let mut h = Harness::start().await;
    network(&mut h).await;
    let mut spec = tg_spec("kindtest-web");
    spec.tags = user_tags();
    let (address, created) = h.create::<TargetGroup>("web", &spec).await;
    let id = created.id;
    let live = h.assert_in_sync::<TargetGroup>(&id, &spec).await;
    assert_eq!(live.attrs["protocol"], "HTTP");
    assert_eq!(live.attrs["target_type"], "ip");
    assert_eq!(live.attrs["port"], 8080);
    assert_eq!(live.attrs["deregistration_delay"], 60);
    assert_eq!(live.outputs["arn"], id.to_string());
    assert_eq!(
        elb_tags(&h, &id).await[tags::ADDRESS_TAG],
        "target_group.web"
    );
    let mut spec = h
        .retag::<TargetGroup>(&address, &id, &spec, |s| &mut s.tags)
        .await;

    spec.health_check = HealthCheck {
        path: "/ready".into(),
        interval: 15,
        timeout: 3,
        healthy_threshold: 3,
        unhealthy_threshold: 4,
        matcher: "200".into(),
    };
    h.update::<TargetGroup>(&address, &id, &spec, &["health_check"])
        .await;
    let live = h.assert_in_sync::<TargetGroup>(&id, &spec).await;
    assert_eq!(
        live.attrs["health_check"],
        json!({
            "path": "/ready",
            "interval": 15,
            "timeout": 3,
            "healthy_threshold": 3,
            "unhealthy_threshold": 4,
            "matcher": "200",
        })
    );

    spec.deregistration_delay = 10;
    h.update::<TargetGroup>(&address, &id, &spec, &["deregistration_delay"])
        .await;
    let live = h.assert_in_sync::<TargetGroup>(&id, &spec).await;
    assert_eq!(live.attrs["deregistration_delay"], 10);

    h.delete::<TargetGroup>(&id).await;
}

#[tokio::test]
async fn target_groups_are_refreshed_in_one_batch_and_one_deleted_by_hand_reads_as_gone() {
    let mut h = Harness::start().await;
    network(&mut h).await;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let (_, created) = h
            .create::<TargetGroup>(name, &tg_spec(&format!("kindtest-{name}")))
            .await;
        ids.push(created.id);
    }
    let recorded = Recorded::new(&h);
    let all = TargetGroup::read_many(&recorded.aws, &ids).await.unwrap();
    for (id, live) in ids.iter().zip(&all) {
        assert_eq!(
            live.as_ref(),
            h.read::<TargetGroup>(id).await.as_ref(),
            "{id}"
        );
        assert!(live.is_some(), "{id}");
    }
    // One describe and one tag listing for the three; attributes take one call each.
    let mut ops = recorded.operations();
    ops.sort();
    assert_eq!(
        ops,
        [
            "DescribeTags",
            "DescribeTargetGroupAttributes",
            "DescribeTargetGroupAttributes",
            "DescribeTargetGroupAttributes",
            "DescribeTargetGroups",
        ]
    );

    // Deleted outside stackctl: AWS refuses the batch, which is then read one by one.
    h.aws
        .elb
        .delete_target_group()
        .target_group_arn(ids[1].as_str())
        .send()
        .await
        .unwrap();
    let after = TargetGroup::read_many(&h.aws, &ids).await.unwrap();
    assert_eq!(after[0], all[0]);
    assert_eq!(after[1], None);
    assert_eq!(after[2], all[2]);

    h.delete::<TargetGroup>(&ids[0]).await;
    h.delete::<TargetGroup>(&ids[2]).await;
}

#[tokio::test]
async fn listener_moves_from_fixed_response_to_forward_and_target_group_waits_for_it() {
    let mut h = Harness::start().await;
    let lb = alb(&mut h).await;
    let (tg, tg_created) = h
        .create::<TargetGroup>("web", &tg_spec("kindtest-web"))
        .await;
    let spec = ListenerSpec {
        load_balancer: Ref::id(lb.clone()),
        port: 80,
        protocol: "HTTP".into(),
        certificate_arn: None,
        ssl_policy: None,
        default_action: ListenerAction::FixedResponse {
            status: 503,
            body: "starting".into(),
        },
        tags: user_tags(),
    };
    let (address, created) = h.create::<Listener>("http", &spec).await;
    let id = created.id;
    let live = h.assert_in_sync::<Listener>(&id, &spec).await;
    assert_eq!(
        live.attrs["default_action"],
        json!({"type": "fixed_response", "status": 503, "body": "starting"})
    );
    // An HTTP listener has no policy, whatever the emulator reports.
    assert_eq!(live.attrs["ssl_policy"], json!(null));
    assert_eq!(live.attrs["load_balancer_arn"], out(&h, &lb, "arn"));
    assert_eq!(elb_tags(&h, &id).await[tags::ADDRESS_TAG], "listener.http");
    let mut spec = h
        .retag::<Listener>(&address, &id, &spec, |s| &mut s.tags)
        .await;

    spec.default_action = ListenerAction::Forward {
        target_group: Ref::id(tg.clone()),
    };
    h.update::<Listener>(&address, &id, &spec, &["default_action"])
        .await;
    let live = h.assert_in_sync::<Listener>(&id, &spec).await;
    assert_eq!(
        live.attrs["default_action"],
        json!({"type": "forward", "target_group_arn": tg_created.id.to_string()})
    );

    spec.port = 8080;
    h.update::<Listener>(&address, &id, &spec, &["port"]).await;
    let live = h.assert_in_sync::<Listener>(&id, &spec).await;
    assert_eq!(live.attrs["port"], 8080);

    // The target group is in use until the listener is gone: its delete retries
    // through ResourceInUse and finishes once the listener delete went through.
    let recorded = Recorded::new(&h);
    let (tg_deleted, listener_deleted) =
        tokio::join!(TargetGroup::delete(&recorded.aws, &tg_created.id), async {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            Listener::delete(&recorded.aws, &id).await
        });
    listener_deleted.expect("delete listener");
    tg_deleted.expect("target group delete waits for the listener");
    let ops = recorded.operations();
    assert_eq!(ops.first().map(String::as_str), Some("DeleteTargetGroup!"));
    assert_eq!(
        &ops[ops.len() - 2..],
        ["DeleteListener", "DeleteTargetGroup"],
        "{ops:?}"
    );
    assert!(h.read::<Listener>(&id).await.is_none());
    assert!(h.read::<TargetGroup>(&tg_created.id).await.is_none());
    h.delete::<Listener>(&id).await;
    h.delete::<TargetGroup>(&tg_created.id).await;
}

/// A server certificate in IAM: ALB listeners accept IAM certificates as well as
/// ACM ones, and the emulator checks that a listener's certificate exists.
async fn server_certificate(h: &Harness, name: &str) -> String {
    let out = h
        .aws
        .iam
        .upload_server_certificate()
        .server_certificate_name(name)
        .certificate_body("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
        .private_key("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----")
        .send()
        .await
        .expect("upload server certificate");
    out.server_certificate_metadata()
        .map(|m| m.arn().to_string())
        .expect("certificate arn")
}

#[tokio::test]
async fn https_listener_changes_certificate_and_policy_and_http_redirects() {
    let mut h = Harness::start().await;
    let lb = alb(&mut h).await;
    let (tg, _) = h
        .create::<TargetGroup>("web", &tg_spec("kindtest-web"))
        .await;
    let first = server_certificate(&h, "first").await;
    let second = server_certificate(&h, "second").await;
    let spec = ListenerSpec {
        load_balancer: Ref::id(lb.clone()),
        port: 443,
        protocol: "HTTPS".into(),
        certificate_arn: Some(first.clone().into()),
        ssl_policy: None,
        default_action: ListenerAction::Forward {
            target_group: Ref::id(tg.clone()),
        },
        tags: Tags::new(),
    };
    let (address, created) = h.create::<Listener>("https", &spec).await;
    let id = created.id;
    let live = h.assert_in_sync::<Listener>(&id, &spec).await;
    assert_eq!(
        live.attrs["ssl_policy"],
        "ELBSecurityPolicy-TLS13-1-2-2021-06"
    );
    assert_eq!(live.attrs["certificate_arn"], json!(first));

    let mut spec = spec.clone();
    spec.certificate_arn = Some(second.clone().into());
    h.update::<Listener>(&address, &id, &spec, &["certificate_arn"])
        .await;
    let live = h.assert_in_sync::<Listener>(&id, &spec).await;
    assert_eq!(live.attrs["certificate_arn"], json!(second));

    spec.ssl_policy = Some("ELBSecurityPolicy-TLS13-1-3-2021-06".into());
    h.update::<Listener>(&address, &id, &spec, &["ssl_policy"])
        .await;
    let live = h.assert_in_sync::<Listener>(&id, &spec).await;
    assert_eq!(
        live.attrs["ssl_policy"],
        "ELBSecurityPolicy-TLS13-1-3-2021-06"
    );

    let redirect = ListenerSpec {
        load_balancer: Ref::id(lb.clone()),
        port: 80,
        protocol: "HTTP".into(),
        certificate_arn: None,
        ssl_policy: None,
        default_action: ListenerAction::RedirectHttps { port: 443 },
        tags: Tags::new(),
    };
    let (redirect_address, redirect_created) = h.create::<Listener>("http", &redirect).await;
    let live = h
        .assert_in_sync::<Listener>(&redirect_created.id, &redirect)
        .await;
    assert_eq!(
        live.attrs["default_action"],
        json!({"type": "redirect", "protocol": "HTTPS", "port": 443, "status": "HTTP_301"})
    );
    let mut redirect = redirect.clone();
    redirect.default_action = ListenerAction::RedirectHttps { port: 8443 };
    h.update::<Listener>(
        &redirect_address,
        &redirect_created.id,
        &redirect,
        &["default_action"],
    )
    .await;
    let live = h
        .assert_in_sync::<Listener>(&redirect_created.id, &redirect)
        .await;
    assert_eq!(live.attrs["default_action"]["port"], 8443);

    h.delete::<Listener>(&redirect_created.id).await;
    h.delete::<Listener>(&id).await;
}

#[tokio::test]
async fn listener_rule_changes_priority_paths_and_target() {
    let mut h = Harness::start().await;
    let lb = alb(&mut h).await;
    let (web, web_created) = h
        .create::<TargetGroup>("web", &tg_spec("kindtest-web"))
        .await;
    let (api, api_created) = h
        .create::<TargetGroup>("api", &tg_spec("kindtest-api"))
        .await;
    let (listener, listener_created) = h
        .create::<Listener>(
            "http",
            &ListenerSpec {
                load_balancer: Ref::id(lb),
                port: 80,
                protocol: "HTTP".into(),
                certificate_arn: None,
                ssl_policy: None,
                default_action: ListenerAction::Forward {
                    target_group: Ref::id(web.clone()),
                },
                tags: Tags::new(),
            },
        )
        .await;
    let spec = ListenerRuleSpec {
        listener: Ref::id(listener.clone()),
        priority: 10,
        paths: vec!["/v1/*".into(), "/api/*".into()],
        target_group: Ref::id(api.clone()),
        tags: user_tags(),
    };
    let (address, created) = h.create::<ListenerRule>("api", &spec).await;
    let id = created.id;
    let live = h.assert_in_sync::<ListenerRule>(&id, &spec).await;
    assert_eq!(live.attrs["paths"], json!(["/api/*", "/v1/*"]));
    assert_eq!(live.attrs["listener_arn"], listener_created.id.to_string());
    assert_eq!(live.attrs["priority"], 10);
    assert_eq!(
        elb_tags(&h, &id).await[tags::ADDRESS_TAG],
        "listener_rule.api"
    );
    let mut spec = h
        .retag::<ListenerRule>(&address, &id, &spec, |s| &mut s.tags)
        .await;

    spec.priority = 20;
    h.update::<ListenerRule>(&address, &id, &spec, &["priority"])
        .await;
    let live = h.assert_in_sync::<ListenerRule>(&id, &spec).await;
    assert_eq!(live.attrs["priority"], 20);

    spec.paths = vec!["/api/v2/*".into()];
    h.update::<ListenerRule>(&address, &id, &spec, &["paths"])
        .await;
    let live = h.assert_in_sync::<ListenerRule>(&id, &spec).await;
    assert_eq!(live.attrs["paths"], json!(["/api/v2/*"]));

    spec.target_group = Ref::id(web.clone());
    h.update::<ListenerRule>(&address, &id, &spec, &["target_group_arn"])
        .await;
    let live = h.assert_in_sync::<ListenerRule>(&id, &spec).await;
    assert_eq!(live.attrs["target_group_arn"], web_created.id.to_string());

    h.delete::<ListenerRule>(&id).await;
    // Nothing forwards to `api` any more.
    h.delete::<TargetGroup>(&api_created.id).await;
}

fn cdn_spec(lb: &Address) -> CloudfrontDistributionSpec {
    CloudfrontDistributionSpec {
        origin_domain: Ref::new(lb.clone(), "dns_name"),
        origin_protocol: "http-only".into(),
        origin_http_port: 80,
        origin_https_port: 443,
        viewer_protocol: "redirect-to-https".into(),
        cache_policy_id: CACHING_DISABLED.into(),
        origin_request_policy_id: ALL_VIEWER.into(),
        aliases: vec![],
        certificate_arn: None,
        price_class: "PriceClass_100".into(),
        comment: "kindtest web".into(),
        wait_for_deployment: true,
        tags: Tags::new(),
    }
}

#[tokio::test]
async fn cloudfront_distribution_updates_in_place_and_is_disabled_before_delete() {
    let mut h = Harness::start().await;
    let lb = alb(&mut h).await;
    let mut spec = cdn_spec(&lb);
    spec.tags = user_tags();
    let (address, created) = h.create::<CloudfrontDistribution>("cdn", &spec).await;
    let id = created.id;
    let live = h.assert_in_sync::<CloudfrontDistribution>(&id, &spec).await;
    assert_eq!(live.attrs["origin_domain"], out(&h, &lb, "dns_name"));
    assert_eq!(live.attrs["certificate_arn"], json!(null));
    assert_eq!(live.attrs["enabled"], true);
    assert!(live.outputs["domain_name"].ends_with(".cloudfront.net"));
    assert!(live.outputs["arn"].ends_with(&format!("distribution/{id}")));
    assert_eq!(created.outputs, live.outputs);
    let found = h
        .aws
        .cloudfront
        .list_tags_for_resource()
        .resource(&live.outputs["arn"])
        .send()
        .await
        .expect("list tags");
    let found: BTreeMap<String, String> = found
        .tags()
        .map(|t| t.items())
        .unwrap_or_default()
        .iter()
        .map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(found[tags::ADDRESS_TAG], "cloudfront_distribution.cdn");
    let mut spec = h
        .retag::<CloudfrontDistribution>(&address, &id, &spec, |s| &mut s.tags)
        .await;
    // A tag change is no config change: no UpdateDistribution, no deployment.
    spec.tags.insert("team".into(), "c".into());
    let recorded = Recorded::new(&h);
    let ctx = stackctl::resources::Ctx::new(&recorded.aws, "kindtest", &address, &h.outputs);
    CloudfrontDistribution::update(&ctx, &id, &spec, &["tags".into()])
        .await
        .expect("retag distribution");
    assert_eq!(
        recorded.operations(),
        ["GetDistribution", "ListTagsForResource", "TagResource"]
    );
    drop(recorded);
    h.assert_in_sync::<CloudfrontDistribution>(&id, &spec).await;

    spec.viewer_protocol = "https-only".into();
    h.update::<CloudfrontDistribution>(&address, &id, &spec, &["viewer_protocol"])
        .await;
    let live = h.assert_in_sync::<CloudfrontDistribution>(&id, &spec).await;
    assert_eq!(live.attrs["viewer_protocol"], "https-only");

    spec.aliases = vec!["www.example.com".into(), "example.com".into()];
    spec.certificate_arn = Some("arn:aws:acm:us-east-1:123456789012:certificate/kindtest".into());
    h.update::<CloudfrontDistribution>(&address, &id, &spec, &["aliases", "certificate_arn"])
        .await;
    let live = h.assert_in_sync::<CloudfrontDistribution>(&id, &spec).await;
    assert_eq!(
        live.attrs["aliases"],
        json!(["example.com", "www.example.com"])
    );
    assert_eq!(
        live.attrs["certificate_arn"],
        "arn:aws:acm:us-east-1:123456789012:certificate/kindtest"
    );

    spec.cache_policy_id = CACHING_OPTIMIZED.into();
    spec.origin_protocol = "https-only".into();
    spec.origin_https_port = 8443;
    spec.price_class = "PriceClass_All".into();
    spec.comment = "kindtest web, cached".into();
    h.update::<CloudfrontDistribution>(
        &address,
        &id,
        &spec,
        &[
            "cache_policy_id",
            "origin_protocol",
            "origin_https_port",
            "price_class",
            "comment",
        ],
    )
    .await;
    let live = h.assert_in_sync::<CloudfrontDistribution>(&id, &spec).await;
    assert_eq!(live.attrs["cache_policy_id"], CACHING_OPTIMIZED);
    assert_eq!(live.attrs["origin_protocol"], "https-only");
    assert_eq!(live.attrs["origin_https_port"], 8443);
    assert_eq!(live.attrs["price_class"], "PriceClass_All");
    assert_eq!(live.attrs["comment"], "kindtest web, cached");

    spec.certificate_arn = None;
    spec.aliases = vec![];
    h.update::<CloudfrontDistribution>(&address, &id, &spec, &["aliases", "certificate_arn"])
        .await;
    let live = h.assert_in_sync::<CloudfrontDistribution>(&id, &spec).await;
    assert_eq!(live.attrs["certificate_arn"], json!(null));
    assert_eq!(live.attrs["aliases"], json!([]));

    let recorded = Recorded::new(&h);
    CloudfrontDistribution::delete(&recorded.aws, &id)
        .await
        .expect("delete distribution");
    assert_eq!(
        recorded.operations(),
        [
            "GetDistributionConfig",
            "UpdateDistribution",
            "GetDistribution",
            "DeleteDistribution",
        ]
    );
    h.delete::<CloudfrontDistribution>(&id).await;
}

/// A destroy interrupted after the disable step left a disabled distribution: the
/// next delete skips the disable and finishes.
#[tokio::test]
async fn cloudfront_delete_finishes_an_already_disabled_distribution() {
    let mut h = Harness::start().await;
    let lb = alb(&mut h).await;
    let spec = cdn_spec(&lb);
    let (_, created) = h.create::<CloudfrontDistribution>("cdn", &spec).await;
    let id = created.id;

    let current = h
        .aws
        .cloudfront
        .get_distribution_config()
        .id(id.as_str())
        .send()
        .await
        .expect("get config");
    let mut config = current.distribution_config().expect("config").clone();
    config.enabled = false;
    h.aws
        .cloudfront
        .update_distribution()
        .id(id.as_str())
        .distribution_config(config)
        .if_match(current.e_tag().expect("etag"))
        .send()
        .await
        .expect("disable");
    let live = h
        .read::<CloudfrontDistribution>(&id)
        .await
        .expect("still there");
    assert_eq!(live.attrs["enabled"], false);

    let recorded = Recorded::new(&h);
    CloudfrontDistribution::delete(&recorded.aws, &id)
        .await
        .expect("delete disabled distribution");
    assert_eq!(
        recorded.operations(),
        [
            "GetDistributionConfig",
            "GetDistribution",
            "DeleteDistribution"
        ]
    );
    h.delete::<CloudfrontDistribution>(&id).await;
}
