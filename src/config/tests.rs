//! Expansion of stack.toml into desired resources: pure, no AWS.

use super::expand::expand;
use super::*;
use crate::address::{Address, Kind};
use crate::desired::Desired;
use serde_json::json;
use std::path::Path;

fn parse_str(text: &str) -> Result<Validated, ConfigError> {
    parse(Path::new("stack.toml"), text, None)
}

fn problems(text: &str) -> Vec<Problem> {
    match parse_str(text) {
        Err(ConfigError::Invalid { problems, .. }) => problems,
        other => panic!("expected validation problems, got {other:?}"),
    }
}

const MINIMAL: &str = r#"
[stack]
name = "demo"
region = "eu-west-2"

[repositories.app]

[services.web]
image = "app:v1"
port = 5000
"#;

/// The desired resources of `v`, in the zones `{region}a`, `{region}b`, ...
fn desired(v: &Validated) -> Vec<Desired> {
    expand(v, &crate::engine::zones::lettered(v))
}

fn find<'a>(resources: &'a [Desired], address: &str) -> &'a Desired {
    let a: Address = address.parse().unwrap();
    resources
        .iter()
        .find(|d| d.address == a)
        .unwrap_or_else(|| panic!("{address} not expanded"))
}

#[test]
fn weather_expands_to_the_documented_architecture() {
    let v = load(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/stack.toml")),
        None,
        None,
    )
    .unwrap();
    let r = desired(&v);
    // Network: 2 AZs x 2 tiers, one NAT in the first public subnet, private routes via NAT.
    for s in [
        "subnet.public-0",
        "subnet.public-1",
        "subnet.private-0",
        "subnet.private-1",
    ] {
        find(&r, s);
    }
    assert_eq!(find(&r, "subnet.private-1").spec["az"], "eu-west-2b");
    assert_eq!(
        find(&r, "nat_gateway.nat-0").spec["subnet"]["ref"],
        "subnet.public-0"
    );
    assert!(
        !r.iter()
            .any(|d| d.address.kind() == Kind::NatGateway && d.address.name() != "nat-0")
    );
    let private = &find(&r, "route_table.private").spec;
    assert_eq!(
        private["routes"][0]["nat_gateway"]["ref"],
        "nat_gateway.nat-0"
    );
    assert_eq!(private["subnets"].as_array().unwrap().len(), 2);
    let public = &find(&r, "route_table.public").spec;
    assert_eq!(
        public["routes"][0]["internet_gateway"]["ref"],
        "internet_gateway.main"
    );
    // The task group admits only the ALB group, on the container port.
    let tasks = &find(&r, "security_group.web").spec;
    assert_eq!(
        tasks["ingress"],
        json!([{"protocol": "tcp", "from_port": 5000, "to_port": 5000,
                "source_group": {"ref": "security_group.alb", "output": "id"},
                "description": "from the load balancer"}])
    );
    let alb = &find(&r, "security_group.alb").spec;
    assert_eq!(alb["ingress"][0]["from_port"], 80);
    // The service: private subnets, no public IP, behind the web target group.
    let svc = find(&r, "ecs_service.web");
    assert_eq!(svc.spec["assign_public_ip"], false);
    assert_eq!(svc.spec["subnets"][0]["ref"], "subnet.private-0");
    assert_eq!(svc.spec["load_balancer"]["container_port"], 5000);
    assert!(svc.after.contains(&"listener.http".parse().unwrap()));
    let tg = &find(&r, "target_group.web").spec;
    assert_eq!(
        tg["health_check"],
        json!({"path": "/health", "interval": 30, "timeout": 5, "healthy_threshold": 3,
               "unhealthy_threshold": 3, "matcher": "200-399"})
    );
    assert_eq!(
        find(&r, "listener.http").spec["default_action"],
        json!({"forward": {"target_group": {"ref": "target_group.web", "output": "id"}}})
    );
    let cdn = &find(&r, "cloudfront_distribution.main").spec;
    assert_eq!(
        cdn["origin_domain"],
        json!({"ref": "load_balancer.main", "output": "dns_name"})
    );
    assert_eq!(cdn["viewer_protocol"], "redirect-to-https");
    assert_eq!(cdn["origin_protocol"], "http-only");
    let td = &find(&r, "task_definition.web").spec;
    assert_eq!(
        td["container"]["image"]["repository"]["ref"],
        "ecr_repository.weather"
    );
    assert_eq!(td["container"]["image"]["reference"], "1.0.0");
    assert_eq!(td["container"]["environment"]["CITY"], "London");
}

#[test]
fn every_example_validates_and_expands_without_dangling_references() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut count = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path().join("stack.toml");
        let v = load(&path, None, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let r = desired(&v);
        let addresses: Vec<&Address> = r.iter().map(|d| &d.address).collect();
        for d in &r {
            for dep in d.dependencies() {
                assert!(
                    addresses.contains(&&dep),
                    "{}: {} needs missing {dep}",
                    path.display(),
                    d.address
                );
            }
        }
        count += 1;
    }
    assert_eq!(count, 6);
}

#[test]
fn tags_default_to_none_and_stay_out_of_every_spec() {
    let v = parse_str(MINIMAL).unwrap();
    assert!(v.config.stack.tags.is_empty());
    for d in desired(&v) {
        assert!(
            d.spec.get("tags").is_none(),
            "{} carries tags nobody asked for",
            d.address
        );
    }
}

#[test]
fn flow_logs_are_off_by_default_and_write_only_to_their_own_group() {
    let v = parse_str(MINIMAL).unwrap();
    assert!(
        desired(&v)
            .iter()
            .all(|d| d.address.kind() != Kind::FlowLog),
        "flow logs expanded without being asked for"
    );
    let text = MINIMAL.replace(
        "[repositories.app]",
        "[network]\nflow_logs = \"rejected\"\nflow_logs_retention_days = 90\n\n[repositories.app]",
    );
    let r = desired(&parse_str(&text).unwrap());
    let flow_log = &find(&r, "flow_log.vpc").spec;
    assert_eq!(flow_log["traffic_type"], "REJECT");
    assert_eq!(flow_log["vpc"]["ref"], "vpc.main");
    assert_eq!(flow_log["log_group"]["ref"], "log_group.flow_logs");
    assert_eq!(
        flow_log["role"],
        json!({"ref": "iam_role.flow_logs", "output": "arn"})
    );
    let group = &find(&r, "log_group.flow_logs").spec;
    assert_eq!(group["name"], "/vpc/demo/flow-logs");
    assert_eq!(group["retention_days"], 90);
    let role = &find(&r, "iam_role.flow_logs").spec;
    assert_eq!(role["trusted_service"], "vpc-flow-logs.amazonaws.com");
    assert_eq!(role["managed_policies"], json!([]));
    assert_eq!(
        role["writable_logs"],
        json!(["arn:aws:logs:eu-west-2:*:log-group:/vpc/demo/flow-logs:*"])
    );
    // The other roles write to no log group.
    assert!(
        find(&r, "iam_role.execution")
            .spec
            .get("writable_logs")
            .is_none()
    );
}

#[test]
fn tags_reach_every_spec() {
    let text = format!(
        "{}\n[services.api]\nimage = \"app:v1\"\nport = 8000\nroutes = [\"/api/*\"]\n\n\
         [services.api.scaling]\nmin = 1\nmax = 3\n\n\
         [cdn]\nenabled = true\n\n[network]\nflow_logs = \"all\"\n\n\
         [alarms]\nemail = [\"ops@example.com\"]\n\n\
         [domain]\nname = \"app.example.com\"\nzone = \"example.com\"\n",
        MINIMAL.replace(
            "region = \"eu-west-2\"",
            "region = \"eu-west-2\"\ntags = { team = \"payments\", cost-center = \"42\" }",
        )
    );
    let v = parse_str(&text).unwrap();
    let r = desired(&v);
    // Every kind: a path-routed service brings a listener rule, scaling its target
    // and policy, the CDN its distribution, flow logs theirs.
    let kinds: std::collections::BTreeSet<Kind> = r.iter().map(|d| d.address.kind()).collect();
    assert_eq!(kinds.len(), Kind::ALL.len(), "{kinds:?}");
    // Application Auto Scaling's objects are found by the service they scale, and a
    // policy takes no tags.
    // Nor does an SNS subscription, nor a Route 53 record.
    let untagged = [
        Kind::ScalableTarget,
        Kind::ScalingPolicy,
        Kind::SnsSubscription,
        Kind::DnsRecord,
    ];
    for d in r.iter().filter(|d| !untagged.contains(&d.address.kind())) {
        assert_eq!(
            d.spec["tags"],
            json!({"cost-center": "42", "team": "payments"}),
            "{}",
            d.address
        );
    }
    // User tags are no references: they add no dependency.
    let vpc = find(&r, "vpc.main");
    assert!(vpc.dependencies().is_empty());
}

#[test]
fn secure_defaults_are_on_and_expanded_into_the_specs() {
    let v = parse_str(MINIMAL).unwrap();
    let c = &v.config;
    assert!(c.load_balancer.deletion_protection);
    assert!(c.load_balancer.drop_invalid_header_fields);
    assert_eq!(
        c.repositories["app"].tag_mutability,
        schema::TagMutability::Immutable
    );
    assert!(c.repositories["app"].scan_on_push);
    assert_eq!(c.repositories["app"].keep_images, 30);
    assert!(c.cluster.container_insights);
    assert_eq!(c.services["web"].log_mode, schema::LogMode::NonBlocking);
    assert!(!c.services["web"].read_only_root_filesystem);
    assert!(!c.cdn.alb_only_from_cloudfront);
    assert_eq!(
        c.cdn.viewer_protocol,
        schema::ViewerProtocol::RedirectToHttps
    );

    let r = desired(&v);
    let alb = &find(&r, "load_balancer.main").spec;
    assert_eq!(alb["deletion_protection"], true);
    assert_eq!(alb["drop_invalid_header_fields"], true);
    assert_eq!(
        find(&r, "ecr_repository.app").spec["tag_mutability"],
        "IMMUTABLE"
    );
    let container = &find(&r, "task_definition.web").spec["container"];
    assert_eq!(container["log_mode"], "non-blocking");
    assert_eq!(container.get("read_only_root_filesystem"), None);
    let svc = &find(&r, "ecs_service.web").spec;
    assert_eq!(svc["assign_public_ip"], false);
    assert_eq!(svc["subnets"][0]["ref"], "subnet.private-0");
}

#[test]
fn secure_defaults_turned_off_reach_the_specs() {
    let text = MINIMAL
        .replace(
            "[repositories.app]",
            "[load_balancer]\ndeletion_protection = false\ndrop_invalid_header_fields = false\n\n[repositories.app]\ntag_mutability = \"mutable\"",
        )
        .replace(
            "port = 5000",
            "port = 5000\nlog_mode = \"blocking\"\nread_only_root_filesystem = true",
        );
    let r = desired(&parse_str(&text).unwrap());
    let alb = &find(&r, "load_balancer.main").spec;
    assert_eq!(alb["deletion_protection"], false);
    assert_eq!(alb["drop_invalid_header_fields"], false);
    assert_eq!(
        find(&r, "ecr_repository.app").spec["tag_mutability"],
        "MUTABLE"
    );
    let container = &find(&r, "task_definition.web").spec["container"];
    assert_eq!(container["log_mode"], "blocking");
    assert_eq!(container["read_only_root_filesystem"], true);
}

#[test]
fn the_load_balancer_admits_only_cloudfront_on_the_origin_port_when_asked() {
    let cdn = "\n[cdn]\nenabled = true\nalb_only_from_cloudfront = true\n";
    let ingress = |text: &str| {
        let r = desired(&parse_str(text).unwrap());
        find(&r, "security_group.alb").spec["ingress"].clone()
    };
    let from_cloudfront = |port: u16| {
        json!([{"protocol": "tcp", "from_port": port, "to_port": port,
                "prefix_list": "com.amazonaws.global.cloudfront.origin-facing",
                "description": ""}])
    };
    assert_eq!(ingress(&format!("{MINIMAL}{cdn}")), from_cloudfront(80));
    // With HTTPS on the ALB, CloudFront uses it, and only it.
    let https = "\n[load_balancer.https]\ncertificate_arn = \"arn:aws:acm:eu-west-2:123456789012:certificate/x\"\nport = 8443\n";
    let aliases = "aliases = [\"app.example.com\"]\ncertificate_arn = \"arn:aws:acm:us-east-1:123456789012:certificate/cf\"\n";
    assert_eq!(
        ingress(&format!("{MINIMAL}{https}{cdn}{aliases}")),
        from_cloudfront(8443)
    );
    // Off (the default): open to anywhere on the listener ports.
    let open = ingress(&format!("{MINIMAL}\n[cdn]\nenabled = true\n"));
    assert_eq!(open[0]["cidr"], "0.0.0.0/0");
    // Without the CDN nothing could reach the app.
    let p = problems(&format!(
        "{MINIMAL}\n[cdn]\nalb_only_from_cloudfront = true\n"
    ));
    assert_eq!(p[0].key, "cdn.alb_only_from_cloudfront");
}

/// A Secrets Manager ARN without its random suffix matches nothing in a policy: it is
/// granted as `NAME-??????`; a full ARN, a JSON-key reference and SSM parameters are
/// granted as they are; a customer-managed key may decrypt them.
#[test]
fn secrets_are_granted_by_the_pattern_their_arns_match() {
    let text = MINIMAL.replace(
        "port = 5000",
        r#"port = 5000
secrets_kms_key = "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
[services.web.secrets]
PARTIAL = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:prod/db-password"
FULL = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:api-key-AbC123"
KEY = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:creds:username::"
PARAM = "arn:aws:ssm:eu-west-2:123456789012:parameter/app/token""#,
    );
    let r = desired(&parse_str(&text).unwrap());
    assert_eq!(
        find(&r, "iam_role.execution").spec["readable_secrets"],
        json!([
            "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:secretsmanager:eu-west-2:123456789012:secret:api-key-AbC123",
            "arn:aws:secretsmanager:eu-west-2:123456789012:secret:creds-??????",
            "arn:aws:secretsmanager:eu-west-2:123456789012:secret:prod/db-password-??????",
            "arn:aws:ssm:eu-west-2:123456789012:parameter/app/token",
        ])
    );
    let alias = text.replace(":key/1234abcd-12ab-34cd-56ef-1234567890ab", ":alias/app");
    assert_eq!(problems(&alias)[0].key, "services.web.secrets_kms_key");
}

/// Policy and log ARNs carry the region's partition: `arn:aws-cn:` in China.
#[test]
fn a_china_stack_writes_aws_cn_arns() {
    let text = MINIMAL.replace("eu-west-2", "cn-north-1").replace(
        "[repositories.app]",
        "[network]\nflow_logs = \"all\"\n\n[repositories.app]",
    );
    let r = desired(&parse_str(&text).unwrap());
    assert_eq!(
        find(&r, "iam_role.execution").spec["managed_policies"],
        json!(["arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"])
    );
    assert_eq!(
        find(&r, "iam_role.flow_logs").spec["writable_logs"],
        json!(["arn:aws-cn:logs:cn-north-1:*:log-group:/vpc/demo/flow-logs:*"])
    );
    let everything = serde_json::to_string(&r.iter().map(|d| &d.spec).collect::<Vec<_>>()).unwrap();
    assert!(!everything.contains("arn:aws:"), "{everything}");
}

/// A routed service's deployment watches its 5xx alarm in the commercial partition;
/// in China, where CreateService has refused any alarms block, it has the alarms but
/// no deployment alarms.
#[test]
fn deployment_alarms_only_where_ecs_has_them() {
    let alarms_of = |text: &str| {
        let r = desired(&parse_str(text).unwrap());
        assert!(r.iter().any(|d| d.address.to_string() == "alarm.web-5xx"));
        find(&r, "ecs_service.web")
            .spec
            .get("deployment_alarms")
            .cloned()
    };
    let commercial = alarms_of(MINIMAL).expect("deployment alarms");
    assert_eq!(
        commercial["alarms"],
        json!([{"ref": "alarm.web-5xx", "output": "id"}])
    );
    assert_eq!(commercial["rollback"], json!(true));
    assert_eq!(alarms_of(&MINIMAL.replace("eu-west-2", "cn-north-1")), None);
}

/// `optimized` caches only what the app marks cacheable, keyed by the query string
/// and cookies too (UseOriginCacheControlHeaders-QueryStrings), never by path alone.
#[test]
fn optimized_caching_keys_by_query_string_and_cookies() {
    let text = format!("{MINIMAL}\n[cdn]\nenabled = true\ncaching = \"optimized\"\n");
    let r = desired(&parse_str(&text).unwrap());
    assert_eq!(
        find(&r, "cloudfront_distribution.main").spec["cache_policy_id"],
        "4cc15a8a-d715-48a4-82b8-cc0b614638fe"
    );
}
