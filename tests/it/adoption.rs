//! Adoption and import through the real binary: a lost state is rebuilt from the
//! stack's tags without creating anything (the API log shows only reads, and AWS
//! holds exactly the objects it held before), `stackctl import` records an object
//! explicitly, and an object of another owner with one of our names is refused.

use crate::support::cli::{Workspace, example};
use crate::support::emulator::Emulator;
use crate::support::{domain, leftovers};
use stackctl::address::{Address, Kind};
use stackctl::aws::Aws;
use stackctl::aws::call_log::CallLog;
use stackctl::resources::registry;
use stackctl::state::file::backup_path;
use std::path::Path;

/// Operations only `find` uses (reads use none of them).
const LOOKUP_ONLY: &[&str] = &[
    "ListTaskDefinitions",
    "ListDistributions",
    "ListCertificates",
];

/// Tag listings: `find` makes them to check an owner, and a refresh makes them for
/// the kinds below, whose describe answers carry no tags (the user tags are an
/// attribute of every kind): one per object, except for ELBv2 kinds, whose refresh
/// lists the tags of up to 20 objects of a kind in one call.
const TAG_LISTINGS: &[&str] = &[
    "DescribeTags",
    "ListTagsForResource",
    "ListTagsForCertificate",
];
const READ_LISTS_TAGS: &[(Kind, usize)] = &[
    (Kind::LoadBalancer, 20),
    (Kind::TargetGroup, 20),
    (Kind::Listener, 20),
    (Kind::ListenerRule, 20),
    (Kind::EcrRepository, 1),
    (Kind::LogGroup, 1),
    (Kind::CloudfrontDistribution, 1),
    (Kind::Alarm, 1),
    (Kind::SnsTopic, 1),
    (Kind::Certificate, 1),
];

/// Every call in the log is a read (Describe*, List*, Get*).
fn assert_only_reads(log: &Path) {
    let calls = CallLog::read(log).unwrap();
    assert!(!calls.is_empty(), "no calls logged in {}", log.display());
    let writes: Vec<String> = calls
        .iter()
        .filter(|c| {
            !["Describe", "List", "Get"]
                .iter()
                .any(|p| c.operation.starts_with(p))
        })
        .map(|c| format!("{} {} ({:?})", c.service, c.operation, c.address))
        .collect();
    assert!(writes.is_empty(), "calls that change AWS: {writes:#?}");
}

/// What AWS holds of the stack: the leftovers sweep (every kind, services, listeners
/// and rules included).
async fn inventory(aws: &Aws, stack: &str) -> Vec<String> {
    let mut all = leftovers::of_stack(aws, stack).await;
    all.sort();
    all
}

/// Apply (the images pushed when the first apply asks), lose the state, plan (adopts
/// in memory, writes nothing, plans nothing), apply (adopts and records, creates
/// nothing), destroy (the images deleted when it asks; leaves nothing).
async fn lost_state_is_rebuilt(example_name: &str) {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example(example_name));
    let region = stackctl::config::load(&ws.stack, None, None)
        .unwrap()
        .region;
    let aws = Aws::for_emulator(&region, &emulator.endpoint).await;
    domain::zone_of(&aws, &ws.stack).await;
    ws.apply(&[]).ok();
    let applied = ws.state();
    let before = inventory(&aws, &applied.stack).await;

    std::fs::remove_file(ws.state_path()).unwrap();
    let _ = std::fs::remove_file(backup_path(&ws.state_path()));

    let plan_log = ws.dir.join("plan.calls.jsonl");
    let plan = ws.run(&[
        "--api-log",
        plan_log.to_str().unwrap(),
        "plan",
        "--detailed-exitcode",
    ]);
    assert_eq!(
        plan.code, 0,
        "plan after losing the state is not clean:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    for (address, record) in &applied.resources {
        let line = format!("Will adopt {address} ({}) — found by", record.id);
        assert!(
            plan.stderr.contains(&line),
            "no `{line}` in:\n{}",
            plan.stderr
        );
    }
    assert!(!ws.state_path().exists(), "plan wrote a state file");
    assert_only_reads(&plan_log);

    let apply_log = ws.dir.join("apply.calls.jsonl");
    let run = ws
        .run(&[
            "--api-log",
            apply_log.to_str().unwrap(),
            "apply",
            "--auto-approve",
        ])
        .ok();
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);
    for (address, record) in &applied.resources {
        let by = registry::found_by(address.kind());
        let line = format!("Adopted {address} ({}) — found by {by}", record.id);
        assert!(
            run.stderr.contains(&line),
            "no `{line}` in:\n{}",
            run.stderr
        );
    }
    assert_only_reads(&apply_log);
    let after = inventory(&aws, &applied.stack).await;
    assert_eq!(before, after, "AWS holds other objects after adoption");
    let adopted = ws.state();
    assert_eq!(
        adopted.resources.keys().collect::<Vec<_>>(),
        applied.resources.keys().collect::<Vec<_>>()
    );
    for (address, record) in &applied.resources {
        let got = &adopted.resources[address];
        assert_eq!(got.id, record.id, "{address}");
        assert_eq!(got.spec, record.spec, "{address}");
        assert_eq!(got.depends_on, record.depends_on, "{address}");
        for (name, value) in &record.outputs {
            assert_eq!(
                got.outputs.get(name),
                Some(value),
                "{address} output {name}"
            );
        }
    }

    // With everything recorded, adoption makes no call at all: none of the calls
    // only lookups make appears, and fewer calls are made than while adopting.
    let quiet_log = ws.dir.join("quiet.calls.jsonl");
    let plan = ws
        .run(&["--api-log", quiet_log.to_str().unwrap(), "plan"])
        .ok();
    assert!(!plan.stderr.contains("adopt"), "{}", plan.stderr);
    let count = |log: &Path, operations: &[&str]| {
        CallLog::read(log)
            .unwrap()
            .into_iter()
            .filter(|c| operations.contains(&c.operation.as_str()))
            .count()
    };
    assert!(count(&plan_log, LOOKUP_ONLY) > 0);
    assert_eq!(count(&quiet_log, LOOKUP_ONLY), 0);
    let reads_listing_tags: usize = READ_LISTS_TAGS
        .iter()
        .map(|(kind, per_call)| {
            let objects = applied.resources.keys().filter(|a| a.kind() == *kind);
            objects.count().div_ceil(*per_call)
        })
        .sum();
    assert_eq!(count(&quiet_log, TAG_LISTINGS), reads_listing_tags);
    assert!(count(&plan_log, TAG_LISTINGS) > reads_listing_tags);
    assert!(CallLog::read(&quiet_log).unwrap().len() < CallLog::read(&plan_log).unwrap().len());

    let run = ws.destroy(&[]).ok();
    assert!(run.stdout.contains("Destroy complete:"), "{}", run.stdout);
    let left = leftovers::of_stack(&aws, &applied.stack).await;
    assert!(left.is_empty(), "left behind after destroy: {left:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn weather_lost_state_is_adopted_without_creating_anything() {
    lost_state_is_rebuilt("weather").await;
}

/// Certificates (found by their tags in two regions), the domain's records (found by
/// name and content), the scalable target and its policies, the alarms, the topic
/// and its subscription.
#[tokio::test(flavor = "multi_thread")]
async fn production_lost_state_is_adopted_without_creating_anything() {
    lost_state_is_rebuilt("production").await;
}

/// Listener rules, two NAT gateways with their addresses, two services.
#[tokio::test(flavor = "multi_thread")]
async fn frontend_backend_lost_state_is_adopted_without_creating_anything() {
    lost_state_is_rebuilt("frontend-backend").await;
}

/// Removes `address` from the state file by hand, as a person would.
fn forget(ws: &Workspace, address: &str) -> String {
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.state_path()).unwrap()).unwrap();
    let record = state["resources"]
        .as_object_mut()
        .unwrap()
        .remove(address)
        .unwrap_or_else(|| panic!("{address} is not in the state"));
    std::fs::write(
        ws.state_path(),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .unwrap();
    record["id"].as_str().unwrap().to_string()
}

/// A run interrupted between a create call and the state write leaves objects the
/// state does not know; the next apply adopts exactly those, and creates nothing.
#[test]
fn apply_adopts_what_an_interrupted_run_did_not_record() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.apply(&[]).ok();
    let forgotten = ["ecs_service.hello", "listener.http", "nat_gateway.nat-0"];
    let ids: Vec<String> = forgotten.iter().map(|a| forget(&ws, a)).collect();
    let log = ws.dir.join("apply.calls.jsonl");
    let run = ws
        .run(&[
            "--api-log",
            log.to_str().unwrap(),
            "apply",
            "--auto-approve",
        ])
        .ok();
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);
    assert_eq!(
        run.stderr.matches("Adopted ").count(),
        forgotten.len(),
        "{}",
        run.stderr
    );
    for (address, id) in forgotten.iter().zip(&ids) {
        assert!(
            run.stderr.contains(&format!("Adopted {address} ({id})")),
            "{}",
            run.stderr
        );
    }
    assert_only_reads(&log);
    let state = ws.state();
    for (address, id) in forgotten.iter().zip(&ids) {
        assert_eq!(state.resources[&address.parse().unwrap()].id.as_str(), id);
    }
}

#[test]
fn import_records_an_existing_object_and_refuses_what_it_cannot() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.apply(&[]).ok();
    let applied = ws.state();
    let log_group = forget(&ws, "log_group.hello");
    let target_group = forget(&ws, "target_group.hello");

    // An id nothing answers to: a clear error, nothing recorded.
    let (prefix, _) = target_group.rsplit_once('/').expect("an ARN ends in /id");
    let missing_arn = format!("{prefix}/0000000000000000");
    let run = ws.run(&["import", "target_group.hello", &missing_arn]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "no target_group `{missing_arn}` exists in eu-central-1"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("its target group ARN"),
        "{}",
        run.stderr
    );
    // An address stack.toml does not have: refused, with the near ones.
    let run = ws.run(&["import", "log_group.helo", &log_group]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("log_group.helo is not a resource of")
            && run.stderr.contains("close ones: log_group.hello"),
        "{}",
        run.stderr
    );
    assert!(
        !ws.state()
            .resources
            .contains_key(&"log_group.hello".parse().unwrap())
    );

    for (address, id) in [
        ("log_group.hello", &log_group),
        ("target_group.hello", &target_group),
    ] {
        let run = ws.run(&["import", address, id]).ok();
        assert!(
            run.stdout.contains(&format!("Imported {address} ({id})"))
                && run.stdout.contains("stackctl plan"),
            "{}",
            run.stdout
        );
    }
    let imported = ws.state();
    for address in ["log_group.hello", "target_group.hello"] {
        let a: Address = address.parse().unwrap();
        assert_eq!(imported.resources[&a].id, applied.resources[&a].id);
        assert_eq!(
            imported.resources[&a].depends_on,
            applied.resources[&a].depends_on
        );
    }
    // Already recorded: refused, with how to get out of it.
    let run = ws.run(&["import", "log_group.hello", &log_group]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("already in the state") && run.stderr.contains("state rm"),
        "{}",
        run.stderr
    );

    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(!plan.stderr.contains("adopt"), "{}", plan.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_with_our_name_but_another_owner_is_refused() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("weather"));
    let aws = emulator.aws().await;
    // Another stack's log group under the name weather's web service wants.
    aws.logs
        .create_log_group()
        .log_group_name("/ecs/weather/web")
        .tags("stackctl:stack", "other")
        .tags("stackctl:address", "log_group.web")
        .send()
        .await
        .unwrap();
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(
        plan.stderr.contains("log_group.web")
            && plan
                .stderr
                .contains("log group `/ecs/weather/web` belongs to stack `other`"),
        "{}",
        plan.stderr
    );
    let apply_log = ws.dir.join("apply.calls.jsonl");
    let run = ws.run(&[
        "--api-log",
        apply_log.to_str().unwrap(),
        "apply",
        "--auto-approve",
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("belongs to stack `other`"),
        "{}",
        run.stderr
    );
    assert_only_reads(&apply_log);
    assert!(
        !ws.state_path().exists(),
        "nothing adopted, nothing to save"
    );
    let groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix("/ecs/weather/web")
        .send()
        .await
        .unwrap();
    let arn = groups.log_groups()[0].log_group_arn().unwrap();
    let tags = aws
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags()
            .and_then(|t| t.get("stackctl:stack"))
            .map(String::as_str),
        Some("other")
    );

    // A repository made by hand under our name: refused, pointing at import.
    aws.logs
        .delete_log_group()
        .log_group_name("/ecs/weather/web")
        .send()
        .await
        .unwrap();
    aws.ecr
        .create_repository()
        .repository_name("weather-weather")
        .send()
        .await
        .unwrap();
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(
        plan.stderr.contains("was not created by stackctl")
            && plan
                .stderr
                .contains("stackctl import ecr_repository.weather weather-weather"),
        "{}",
        plan.stderr
    );

    // Two addresses tagged for one address: which to keep is for a person to say.
    aws.ecr
        .delete_repository()
        .repository_name("weather-weather")
        .send()
        .await
        .unwrap();
    let mut eips = Vec::new();
    for _ in 0..2 {
        let tags = aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(aws_sdk_ec2::types::ResourceType::ElasticIp)
            .tags(tag("stackctl:stack", "weather"))
            .tags(tag("stackctl:address", "elastic_ip.nat-0"))
            .build();
        let out = aws
            .ec2
            .allocate_address()
            .domain(aws_sdk_ec2::types::DomainType::Vpc)
            .tag_specifications(tags)
            .send()
            .await
            .unwrap();
        eips.push(out.allocation_id().unwrap().to_string());
    }
    eips.sort();
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(
        plan.stderr.contains(&format!(
            "2 elastic IPs are tagged for elastic_ip.nat-0 of stack `weather`: {}, {}",
            eips[0], eips[1]
        )) && plan.stderr.contains("stackctl import elastic_ip.nat-0 ID"),
        "{}",
        plan.stderr
    );
}

fn tag(key: &str, value: &str) -> aws_sdk_ec2::types::Tag {
    aws_sdk_ec2::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
}
