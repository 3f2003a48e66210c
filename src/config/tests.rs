//! Parsing, validation and expansion of stack.toml: pure, no AWS.

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

fn find<'a>(resources: &'a [Desired], address: &str) -> &'a Desired {
    let a: Address = address.parse().unwrap();
    resources
        .iter()
        .find(|d| d.address == a)
        .unwrap_or_else(|| panic!("{address} not expanded"))
}

#[test]
fn defaults_are_the_documented_ones() {
    let v = parse_str(MINIMAL).unwrap();
    let s = &v.config.services["web"];
    assert_eq!((s.cpu, s.memory, s.desired_count), (256, 512, 2));
    assert_eq!(s.routes, vec!["/*"]);
    assert_eq!(s.deregistration_delay, 30);
    assert_eq!(s.grace_period, 60);
    assert!(s.circuit_breaker);
    assert_eq!(s.log_retention_days, 30);
    assert_eq!(v.config.network.nat, schema::NatMode::Single);
    assert_eq!(v.azs, vec!["eu-west-2a", "eu-west-2b"]);
    assert_eq!(
        v.public_cidrs
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>(),
        vec!["10.0.0.0/24", "10.0.1.0/24"]
    );
    assert_eq!(
        v.private_cidrs
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>(),
        vec!["10.0.128.0/24", "10.0.129.0/24"]
    );
    assert_eq!(v.default_service.as_deref(), Some("web"));
}

#[test]
fn an_unknown_key_is_a_syntax_error_with_its_line() {
    let text = MINIMAL.replace("port = 5000", "port = 5000\nhealthcheck = {}");
    match parse_str(&text) {
        Err(ConfigError::Syntax { line, message, .. }) => {
            assert_eq!(line, 11);
            assert!(message.contains("healthcheck"), "{message}");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn a_wrong_type_names_line_and_column() {
    let text = MINIMAL.replace("port = 5000", "port = \"five thousand\"");
    match parse_str(&text) {
        Err(ConfigError::Syntax { line, column, .. }) => assert_eq!((line, column), (10, 8)),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn all_semantic_problems_are_reported_at_once() {
    let text = r#"
[stack]
name = "Demo"
region = "eu-west-2"

[network]
cidr = "10.0.0.0/16"
public_subnets = ["10.0.0.0/24", "10.1.0.0/24"]
private_subnets = ["10.0.0.0/25", "10.0.2.0/24"]

[services.web]
image = "missing:latest"
cpu = 256
memory = 4096
port = 5000
secrets = { KEY = "plain-text" }
"#;
    let keys: Vec<String> = problems(text).into_iter().map(|p| p.key).collect();
    for expected in [
        "stack.name",
        "network.public_subnets",
        "network.private_subnets",
        "services.web.memory",
        "services.web.secrets.KEY",
        "services.web.image",
    ] {
        assert!(
            keys.iter().any(|k| k == expected),
            "{expected} not in {keys:?}"
        );
    }
}

#[test]
fn private_tasks_without_nat_are_refused() {
    let text = MINIMAL.replace(
        "[repositories.app]",
        "[network]\nnat = \"none\"\n\n[repositories.app]",
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].key, "services.web.placement");
}

#[test]
fn several_path_routed_services_need_priorities_and_distinct_paths() {
    let text = format!(
        "{MINIMAL}\n[services.api]\nimage = \"app:v1\"\nport = 8000\nroutes = [\"/api/*\"]\n\n[services.admin]\nimage = \"app:v1\"\nport = 8001\nroutes = [\"/api/*\"]\n"
    );
    let p = problems(&text);
    let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"services.api.priority"), "{keys:?}");
    assert!(keys.contains(&"services.api.routes"), "{keys:?}");
}

#[test]
fn cdn_certificates_must_be_in_us_east_1() {
    let text = format!(
        "{MINIMAL}\n[cdn]\nenabled = true\naliases = [\"www.example.com\"]\ncertificate_arn = \"arn:aws:acm:eu-west-2:123456789012:certificate/x\"\n"
    );
    assert_eq!(problems(&text)[0].key, "cdn.certificate_arn");
}

#[test]
fn weather_expands_to_the_documented_architecture() {
    let v = load(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/stack.toml")),
        None,
    )
    .unwrap();
    let r = expand(&v);
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
    assert_eq!(td["container"]["image"]["reference"], "latest");
    assert_eq!(td["container"]["environment"]["CITY"], "London");
}

#[test]
fn every_example_validates_and_expands_without_dangling_references() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut count = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path().join("stack.toml");
        let v = load(&path, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let r = expand(&v);
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
    assert_eq!(count, 5);
}

/// Every file of the hostile-input corpus (tests/corpus/bad) is refused before any AWS
/// call, with an error naming the file and containing each `# expect:` line of it
/// (a `:LINE:` position, a key path, a phrase).
#[test]
fn the_bad_input_corpus_is_refused_with_file_line_and_key() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/bad");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(
            !expected.is_empty(),
            "{} has no # expect: line",
            path.display()
        );
        checked += 1;
        let err = match crate::config::parse(&path, &text, None) {
            Ok(_) => {
                failures.push(format!("{} was accepted", path.display()));
                continue;
            }
            Err(e) => e.to_string(),
        };
        for e in expected.into_iter().chain([path.to_str().unwrap()]) {
            if !err.contains(e) {
                failures.push(format!("`{e}` not in:\n{err}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 25, "only {checked} corpus files");
}

#[test]
fn tags_default_to_none_and_stay_out_of_every_spec() {
    let v = parse_str(MINIMAL).unwrap();
    assert!(v.config.stack.tags.is_empty());
    for d in expand(&v) {
        assert!(
            d.spec.get("tags").is_none(),
            "{} carries tags nobody asked for",
            d.address
        );
    }
}

#[test]
fn tags_reach_every_spec() {
    let text = format!(
        "{}\n[services.api]\nimage = \"app:v1\"\nport = 8000\nroutes = [\"/api/*\"]\n\n\
         [cdn]\nenabled = true\n",
        MINIMAL.replace(
            "region = \"eu-west-2\"",
            "region = \"eu-west-2\"\ntags = { team = \"payments\", cost-center = \"42\" }",
        )
    );
    let v = parse_str(&text).unwrap();
    let r = expand(&v);
    // All 18 kinds: a path-routed service brings a listener rule, the CDN its distribution.
    let kinds: std::collections::BTreeSet<Kind> = r.iter().map(|d| d.address.kind()).collect();
    assert_eq!(kinds.len(), 18, "{kinds:?}");
    for d in &r {
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
fn tag_problems_are_reported_by_key() {
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    let text = MINIMAL.replace(
        "region = \"eu-west-2\"",
        &format!(
            "region = \"eu-west-2\"\n[stack.tags]\n\"aws:team\" = \"x\"\n\"AWS:Other\" = \"x\"\n\
             \"stackctl:stack\" = \"x\"\nName = \"x\"\n{long_key} = \"x\"\n\"\" = \"x\"\n\
             long = \"{long_value}\"\nreserved = \"aws:x\"\n\"a&b\" = \"x\"\nodd = \"x#y\"\n\
             ok = \"letters 1 _.:/=+-@\"\nname = \"lowercase is not Name\"\n"
        ),
    );
    let p = problems(&text);
    let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
    for expected in [
        "stack.tags.aws:team",
        "stack.tags.AWS:Other",
        "stack.tags.stackctl:stack",
        "stack.tags.Name",
        &format!("stack.tags.{long_key}"),
        "stack.tags.",
        "stack.tags.long",
        "stack.tags.reserved",
        "stack.tags.a&b",
        "stack.tags.odd",
    ] {
        assert!(keys.contains(&expected), "{expected} not in {keys:?}");
    }
    for fine in ["stack.tags.ok", "stack.tags.name"] {
        assert!(!keys.contains(&fine), "{fine} refused: {p:?}");
    }
    assert!(
        p.iter()
            .any(|p| p.key == "stack.tags.Name" && p.message.contains("stackctl sets `Name`")),
        "{p:?}"
    );
}

#[test]
fn at_most_40_tags() {
    let with = |n: usize| {
        let tags: Vec<String> = (0..n).map(|i| format!("t{i} = \"v\"")).collect();
        MINIMAL.replace(
            "region = \"eu-west-2\"",
            &format!("region = \"eu-west-2\"\ntags = {{ {} }}", tags.join(", ")),
        )
    };
    assert_eq!(parse_str(&with(40)).unwrap().config.stack.tags.len(), 40);
    let p = problems(&with(41));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key, "stack.tags");
    assert!(p[0].message.contains("at most 40"), "{}", p[0].message);
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

    let r = expand(&v);
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
    let r = expand(&parse_str(&text).unwrap());
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
fn a_load_balancer_needs_two_availability_zones() {
    let text = MINIMAL.replace(
        "[repositories.app]",
        "[network]\nazs = 1\n\n[repositories.app]",
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key, "network.azs");
    assert!(p[0].message.contains("two availability zones"), "{p:?}");
    // Without routed services there is no load balancer, and one AZ is allowed.
    let internal = text.replace("port = 5000", "port = 5000\nroutes = []");
    assert_eq!(parse_str(&internal).unwrap().azs, vec!["eu-west-2a"]);
}

#[test]
fn the_load_balancer_admits_only_cloudfront_on_the_origin_port_when_asked() {
    let cdn = "\n[cdn]\nenabled = true\nalb_only_from_cloudfront = true\n";
    let ingress = |text: &str| {
        let r = expand(&parse_str(text).unwrap());
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
    assert_eq!(
        ingress(&format!("{MINIMAL}{https}{cdn}")),
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
