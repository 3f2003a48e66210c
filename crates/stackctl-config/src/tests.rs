//! Parsing and validation of stack.toml: pure, no AWS.

use super::*;
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
    assert_eq!(v.azs, Zones::Count(2));
    assert_eq!(v.partition.name, "aws");
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
fn build_needs_an_image_in_a_stack_repository_and_takes_both_forms() {
    let short = MINIMAL.replace("port = 5000", "port = 5000\nbuild = \"./app\"");
    let config = parse_str(&short).unwrap();
    assert_eq!(
        config.config.services["web"]
            .build
            .as_ref()
            .unwrap()
            .table()
            .context,
        "./app"
    );
    let table = MINIMAL.replace(
        "port = 5000",
        "port = 5000\nbuild = { context = \"app\", target = \"runtime\", args = { A = \"1\" } }",
    );
    let built = parse_str(&table).unwrap().config.services["web"]
        .build
        .as_ref()
        .unwrap()
        .table();
    assert_eq!(
        (built.target.as_deref(), built.args["A"].as_str()),
        (Some("runtime"), "1")
    );
    let elsewhere = short.replace(
        "image = \"app:v1\"",
        "image = \"public.ecr.aws/nginx/nginx:1.27\"",
    );
    let p = problems(&elsewhere);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].key, "services.web.build");
    assert!(
        p[0].message.contains("stack's repositories"),
        "{}",
        p[0].message
    );
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

/// Every file of the hostile-input corpus (tests/corpus/bad) is refused before any AWS
/// call, with an error naming the file and containing each `# expect:` line of it
/// (a `:LINE:` position, a key path, a phrase).
#[test]
fn the_bad_input_corpus_is_refused_with_file_line_and_key() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/bad");
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
        let err = match parse(&path, &text, None) {
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

/// What AWS refuses and the emulator takes, refused before any call, each at its key.
#[test]
fn validate_refuses_what_aws_refuses() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "memory = 512",
            "memory = 1536",
            "services.web.memory",
            "512, 1024 or 2048",
        ),
        (
            "port = 5000",
            "port = 5000\narch = \"arm64\"\nspot = true",
            "services.web.spot",
            "X86_64",
        ),
        (
            "name = \"demo\"",
            "name = \"internal\"",
            "stack.name",
            "internal-",
        ),
        (
            "region = \"eu-west-2\"",
            "region = \"mars-north-1\"",
            "stack.region",
            "not an AWS region",
        ),
        (
            "region = \"eu-west-2\"",
            "region = \"eu-west-22\"",
            "stack.region",
            "did you mean `eu-west-2`",
        ),
    ];
    let text = MINIMAL.replace("port = 5000", "port = 5000\nmemory = 512");
    for (from, to, key, says) in cases {
        assert!(text.contains(from), "{from}");
        let p = problems(&text.replacen(from, to, 1));
        assert_eq!(p.len(), 1, "{to}: {p:?}");
        assert_eq!(p[0].key, *key, "{to}: {p:?}");
        assert!(p[0].message.contains(says), "{to}: {}", p[0].message);
    }
    // A stack without a load balancer names no ALB.
    let no_lb = text
        .replace("port = 5000", "port = 5000\nroutes = []")
        .replace("name = \"demo\"", "name = \"internal\"");
    assert!(parse_str(&no_lb).is_ok());
}

const HTTPS_BEHIND_CLOUDFRONT: &str = r#"
[load_balancer.https]
certificate_arn = "arn:aws:acm:eu-west-2:123456789012:certificate/abc"

[cdn]
enabled = true
"#;

#[test]
fn an_https_load_balancer_behind_cloudfront_needs_aliases() {
    let text = format!("{MINIMAL}{HTTPS_BEHIND_CLOUDFRONT}");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key, "cdn.aliases");
    assert!(p[0].message.contains("502"), "{}", p[0].message);
    let with_aliases = text.replace(
        "enabled = true",
        "enabled = true\naliases = [\"app.example.com\"]\ncertificate_arn = \"arn:aws:acm:us-east-1:123456789012:certificate/cf\"",
    );
    assert!(parse_str(&with_aliases).is_ok());
}

#[test]
fn cloudfront_is_refused_where_the_partition_has_no_such_thing() {
    let cdn = format!("{MINIMAL}\n[cdn]\nenabled = true\n");
    let in_region = |region: &str| cdn.replace("eu-west-2", region);
    let china = problems(&in_region("cn-north-1"));
    assert_eq!(china.len(), 1, "{china:?}");
    assert_eq!(china[0].key, "cdn.enabled");
    assert!(china[0].message.contains("China"), "{china:?}");
    let acm = in_region("cn-north-1").replace(
        "enabled = true",
        "enabled = true\ncertificate_arn = \"arn:aws:acm:us-east-1:1:certificate/x\"\naliases = [\"a.example.cn\"]",
    );
    let acm = problems(&acm);
    assert!(
        acm.iter()
            .any(|p| p.key == "cdn.certificate_arn" && p.message.contains("ACM")),
        "{acm:?}"
    );
    let gov = problems(&in_region("us-gov-west-1"));
    assert_eq!(gov[0].key, "cdn.enabled");
    assert!(
        gov[0].message.contains("not available in AWS GovCloud"),
        "{gov:?}"
    );
    let v = parse_str(&MINIMAL.replace("eu-west-2", "cn-north-1")).unwrap();
    assert_eq!(v.partition.name, "aws-cn");
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
    assert_eq!(parse_str(&internal).unwrap().azs, Zones::Count(1));
}

/// docs/stack.schema.json is the schema these types make, so an editor that
/// completes and checks stack.toml with it never disagrees with stackctl. After a
/// change to the types, `STACKCTL_BLESS=1 cargo test -p stackctl-config` rewrites it.
#[test]
fn the_committed_json_schema_is_the_one_the_types_make() {
    let mut schema = serde_json::to_string_pretty(&schemars::schema_for!(crate::schema::Config))
        .expect("the schema serializes");
    schema.push('\n');
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/stack.schema.json");
    if std::env::var("STACKCTL_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &schema).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == schema,
        "docs/stack.schema.json is not the schema of the config types: run \
         STACKCTL_BLESS=1 cargo test -p stackctl-config and commit it"
    );
}

/// docs/stack-toml.md covers every key: each property of the schema (every table's
/// keys) is named there: in backticks, as a table header (`[stack]`), or set in an
/// example (`path = "/"` of the health check).
#[test]
fn the_reference_names_every_key() {
    let schema = serde_json::to_value(schemars::schema_for!(crate::schema::Config)).unwrap();
    let mut keys = std::collections::BTreeSet::new();
    let mut tables = vec![&schema];
    if let Some(defs) = schema["$defs"].as_object() {
        tables.extend(defs.values());
    }
    for table in tables {
        if let Some(properties) = table["properties"].as_object() {
            keys.extend(properties.keys().cloned());
        }
    }
    assert!(keys.len() > 40, "only {} keys found", keys.len());
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/stack-toml.md"),
    )
    .unwrap();
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| {
            ![format!("`{k}`"), format!("`[{k}"), format!(" {k} = ")]
                .iter()
                .any(|form| doc.contains(form))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/stack-toml.md does not name: {missing:?}"
    );
}

const OVERRIDES: &str = r#"
[environments.dev]
services.web.desired_count = 1

[environments.prod]
services.web = { desired_count = 4, cpu = 1024, memory = 2048 }
network.azs = 3
"#;

/// MINIMAL with two environments.
fn environments() -> String {
    format!("{MINIMAL}{OVERRIDES}")
}

fn as_env(text: &str, env: Option<&str>) -> Result<Validated, ConfigError> {
    parse_env(Path::new("stack.toml"), text, None, env)
}

fn env_problems(text: &str, env: Option<&str>) -> Vec<Problem> {
    match as_env(text, env) {
        Err(ConfigError::Invalid { problems, .. }) => problems,
        other => panic!("expected validation problems, got {other:?}"),
    }
}

#[test]
fn an_environment_overrides_a_few_values_and_is_its_own_stack() {
    let prod = as_env(&environments(), Some("prod")).unwrap();
    assert_eq!(prod.config.stack.name, "demo-prod");
    assert_eq!(prod.environment.as_deref(), Some("prod"));
    let web = &prod.config.services["web"];
    assert_eq!((web.desired_count, web.cpu, web.memory), (4, 1024, 2048));
    assert_eq!(web.port, Some(5000), "what it does not override stays");
    assert_eq!(prod.azs.len(), 3);
    assert!(prod.config.environments.is_empty());

    let dev = as_env(&environments(), Some("dev")).unwrap();
    assert_eq!(dev.config.stack.name, "demo-dev");
    let web = &dev.config.services["web"];
    assert_eq!((web.desired_count, web.cpu), (1, 256));

    let named = environments().replace(
        "[environments.dev]\n",
        "[environments.dev]\nstack.name = \"sandbox\"\n",
    );
    assert_eq!(
        as_env(&named, Some("dev")).unwrap().config.stack.name,
        "sandbox"
    );
}

#[test]
fn an_environment_must_be_chosen_and_must_exist() {
    let none = env_problems(&environments(), None);
    assert_eq!(none[0].key, "environments");
    assert!(
        none[0].message.contains("`dev`, `prod`"),
        "{}",
        none[0].message
    );
    assert!(none[0].message.contains("--env"), "{}", none[0].message);
    assert!(none[0].at.is_some(), "points at the environments");

    let typo = env_problems(&environments(), Some("prdo"));
    assert!(
        typo[0].message.contains("did you mean `prod`?"),
        "{}",
        typo[0].message
    );
    let stray = env_problems(MINIMAL, Some("prod"));
    assert!(
        stray[0].message.contains("describes no environments"),
        "{}",
        stray[0].message
    );
    assert!(as_env(MINIMAL, None).is_ok());
}

#[test]
fn a_bad_override_is_shown_where_the_environment_sets_it() {
    let text = environments().replace("cpu = 1024", "cpu = 300");
    let p = env_problems(&text, Some("prod"));
    assert_eq!(p[0].key, "environments.prod.services.web.cpu", "{p:?}");
    let line = text
        .lines()
        .position(|l| l.starts_with("services.web = {"))
        .unwrap()
        + 1;
    assert_eq!(p[0].at.map(|a| a.0), Some(line));
    assert!(as_env(&text, Some("dev")).is_ok(), "dev does not set it");

    let unknown = environments().replace(
        "services.web.desired_count = 1",
        "services.web.replicas = 1",
    );
    let p = env_problems(&unknown, Some("dev"));
    assert_eq!(p[0].key, "environments.dev");
    assert!(p[0].message.contains("replicas"), "{}", p[0].message);

    let long = environments().replace("name = \"demo\"", "name = \"a-long-stack-name\"");
    let p = env_problems(&long, Some("prod"));
    assert!(
        p.iter()
            .any(|p| p.key == "stack.name" && p.message.contains("a-long-stack-name-prod")),
        "{p:?}"
    );
}

#[test]
fn environments_never_share_a_stack_name_or_a_state() {
    let same_name = environments()
        .replace(
            "[environments.dev]\n",
            "[environments.dev]\nstack.name = \"demo-x\"\n",
        )
        .replace(
            "[environments.prod]\n",
            "[environments.prod]\nstack.name = \"demo-x\"\n",
        );
    let p = env_problems(&same_name, Some("dev"));
    assert!(
        p.iter()
            .any(|p| p.message.contains("are both stack `demo-x`")),
        "{p:?}"
    );

    let shared_key = format!(
        "{}\n[state]\nbackend = \"s3\"\nbucket = \"acme-state\"\nkey = \"demo.json\"\n",
        environments()
    );
    let p = env_problems(&shared_key, Some("prod"));
    assert!(
        p.iter().any(|p| p
            .message
            .contains("would share the state s3://acme-state/demo.json")),
        "{p:?}"
    );
    // The default key holds the stack name, which differs per environment.
    let default_key = shared_key.replace("key = \"demo.json\"\n", "");
    assert!(as_env(&default_key, Some("prod")).is_ok());

    let bad = environments().replace("[environments.dev]", "[environments.Dev_1]");
    let p = env_problems(&bad, Some("prod"));
    assert!(p.iter().any(|p| p.key == "environments.Dev_1"), "{p:?}");
}

#[test]
fn load_all_checks_every_environment() {
    let dir = std::env::temp_dir().join(format!("stackctl-envs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stack.toml");
    std::fs::write(&path, environments()).unwrap();
    let all = load_all(&path, None).unwrap();
    let names: Vec<&str> = all.iter().map(|v| v.config.stack.name.as_str()).collect();
    assert_eq!(names, ["demo-dev", "demo-prod"]);
    std::fs::write(&path, environments().replace("cpu = 1024", "cpu = 300")).unwrap();
    assert!(load_all(&path, None).is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn state_settings_are_checked() {
    let text = format!("{MINIMAL}\n[state]\nbackend = \"s3\"\n");
    let p = problems(&text);
    assert_eq!(p[0].key, "state.bucket");
    let text =
        format!("{MINIMAL}\n[state]\nbackend = \"s3\"\nbucket = \"Bad_Bucket\"\nkey = \"/x/\"\n");
    let found = problems(&text);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["state.bucket", "state.key"]);
}

/// Scaling bounds and targets: each impossible one refused at its key; a table
/// without any metric tracks CPU at 70%.
#[test]
fn scaling_bounds_and_targets_are_checked() {
    let with = |table: &str| format!("{MINIMAL}\n[services.web.scaling]\n{table}\n");
    let v = parse_str(&with("min = 2\nmax = 6")).unwrap();
    let scaling = v.config.services["web"].scaling.clone().unwrap();
    assert_eq!(scaling.targets(), [(schema::ScalingMetric::Cpu, 70)]);
    assert_eq!(
        (scaling.scale_in_cooldown, scaling.scale_out_cooldown),
        (300, 60)
    );
    let cases = [
        (
            "min = 0\nmax = 2",
            "services.web.scaling.min",
            "use 1 or more",
        ),
        (
            "min = 3\nmax = 2",
            "services.web.scaling.max",
            "below min = 3",
        ),
        (
            "min = 1\nmax = 6000",
            "services.web.scaling.max",
            "at most 5000",
        ),
        (
            "min = 1\nmax = 2\ncpu = 120",
            "services.web.scaling.cpu",
            "1 to 100",
        ),
        (
            "min = 1\nmax = 2\nmemory = 0",
            "services.web.scaling.memory",
            "1 to 100",
        ),
        (
            "min = 1\nmax = 2\nrequests = 0",
            "services.web.scaling.requests",
            "1 or more",
        ),
        (
            "min = 1\nmax = 2\nscale_in_cooldown = 4000000000",
            "services.web.scaling.scale_in_cooldown",
            "at most 86400",
        ),
    ];
    for (table, key, says) in cases {
        let found = problems(&with(table));
        assert!(
            found
                .iter()
                .any(|p| p.key == key && p.message.contains(says)),
            "{table}: {found:?}"
        );
    }
    // Requests are counted by the load balancer: a service without routes has none.
    let unrouted = with("min = 1\nmax = 2\nrequests = 100")
        .replace("[services.web]", "[services.web]\nroutes = []");
    let found = problems(&unrouted);
    assert!(
        found
            .iter()
            .any(|p| p.key == "services.web.scaling.requests"),
        "{found:?}"
    );
}

/// Alarm addresses and thresholds: each impossible one refused at its key.
#[test]
fn alarm_addresses_and_thresholds_are_checked() {
    let with = |table: &str| format!("{MINIMAL}\n[alarms]\n{table}\n");
    let v = parse_str(&with("email = [\"ops@example.com\"]")).unwrap();
    assert_eq!((v.config.alarms.cpu, v.config.alarms.target_5xx), (85, 10));
    assert!(v.config.alarms.enabled && v.config.alarms.rollback);
    let cases = [
        ("email = [\"ops\"]", "alarms.email", "not an email address"),
        (
            "email = [\"a b@example.com\"]",
            "alarms.email",
            "not an email address",
        ),
        (
            "email = [\"ops@example.com\", \"OPS@example.com\"]",
            "alarms.email",
            "listed twice",
        ),
        ("cpu = 0", "alarms.cpu", "1 to 100"),
        ("target_5xx = 0", "alarms.target_5xx", "1 or more"),
        ("alb_5xx = 0", "alarms.alb_5xx", "1 or more"),
    ];
    for (table, key, says) in cases {
        let found = problems(&with(table));
        assert!(
            found
                .iter()
                .any(|p| p.key == key && p.message.contains(says)),
            "{table}: {found:?}"
        );
    }
    assert_eq!(
        crate::validate::subscription_name("Ops.Team+alerts@Example.com"),
        "ops-team-alerts-example-com"
    );
}
