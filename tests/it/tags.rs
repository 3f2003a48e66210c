//! User tags end to end, through the real binary: hello-fargate applied with
//! `[stack] tags`, the tags edited in stack.toml, the plan (every object updated in
//! place, nothing replaced), the apply, and every object's tags read back from AWS.

use crate::support::cli::Workspace;
use crate::support::emulator::Emulator;
use serde_json::{Value, json};
use stackctl::address::{Address, Kind};
use stackctl::aws::Aws;
use stackctl::resources::tags::{ADDRESS_TAG, STACK_TAG};
use stackctl::state::State;
use std::collections::BTreeMap;
use std::path::Path;

fn load_state(ws: &Workspace) -> State {
    serde_json::from_str(&std::fs::read_to_string(ws.state_path()).unwrap()).unwrap()
}

fn set_tags(ws: &Workspace, tags: &str) {
    let text = std::fs::read_to_string(&ws.stack).unwrap();
    let text = match text.find("\ntags = ") {
        // Replace the line set before.
        Some(start) => {
            let end = start + 1 + text[start + 1..].find('\n').unwrap();
            format!("{}\ntags = {tags}{}", &text[..start], &text[end..])
        }
        None => text.replacen("[stack]\n", &format!("[stack]\ntags = {tags}\n"), 1),
    };
    std::fs::write(&ws.stack, text).unwrap();
}

/// Every tag of the object recorded for `address`, read with the kind's own API.
async fn tags_of(aws: &Aws, state: &State, address: &Address) -> BTreeMap<String, String> {
    let record = &state.resources[address];
    let id = record.id.as_str();
    let arn = || record.outputs["arn"].clone();
    match address.kind() {
        Kind::Vpc
        | Kind::Subnet
        | Kind::InternetGateway
        | Kind::ElasticIp
        | Kind::NatGateway
        | Kind::RouteTable
        | Kind::SecurityGroup
        | Kind::FlowLog => {
            let out = aws
                .ec2
                .describe_tags()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("resource-id")
                        .values(id)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            out.tags()
                .iter()
                .map(|t| {
                    let (k, v) = (t.key().unwrap(), t.value().unwrap_or_default());
                    (k.to_string(), v.to_string())
                })
                .collect()
        }
        Kind::EcrRepository => {
            let out = aws
                .ecr
                .list_tags_for_resource()
                .resource_arn(arn())
                .send()
                .await
                .unwrap();
            out.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        }
        Kind::LogGroup => {
            let out = aws
                .logs
                .list_tags_for_resource()
                .resource_arn(arn())
                .send()
                .await
                .unwrap();
            out.tags()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }
        Kind::IamRole => {
            let out = aws.iam.list_role_tags().role_name(id).send().await.unwrap();
            out.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        }
        Kind::EcsCluster | Kind::EcsService | Kind::TaskDefinition => {
            let out = aws
                .ecs
                .list_tags_for_resource()
                .resource_arn(arn())
                .send()
                .await
                .unwrap();
            out.tags()
                .iter()
                .map(|t| {
                    let (k, v) = (t.key().unwrap(), t.value().unwrap_or_default());
                    (k.to_string(), v.to_string())
                })
                .collect()
        }
        Kind::LoadBalancer | Kind::TargetGroup | Kind::Listener | Kind::ListenerRule => {
            let out = aws
                .elb
                .describe_tags()
                .resource_arns(id)
                .send()
                .await
                .unwrap();
            out.tag_descriptions()
                .iter()
                .flat_map(|d| d.tags())
                .map(|t| {
                    let (k, v) = (t.key().unwrap(), t.value().unwrap_or_default());
                    (k.to_string(), v.to_string())
                })
                .collect()
        }
        Kind::Alarm => {
            let out = aws
                .cloudwatch
                .list_tags_for_resource()
                .resource_arn(arn())
                .send()
                .await
                .unwrap();
            out.tags()
                .iter()
                .map(|t| {
                    let (k, v) = (t.key().unwrap(), t.value().unwrap_or_default());
                    (k.to_string(), v.to_string())
                })
                .collect()
        }
        Kind::SnsTopic | Kind::SnsSubscription => unreachable!("hello-fargate emails no one"),
        Kind::CloudfrontDistribution => unreachable!("hello-fargate has no CDN"),
        Kind::Certificate | Kind::DnsRecord => unreachable!("hello-fargate has no domain"),
        // Found by the service they scale, not by tags (a policy takes none).
        Kind::ScalableTarget | Kind::ScalingPolicy => unreachable!("hello-fargate does not scale"),
    }
}

/// Every recorded object carries exactly `user` besides stackctl's own tags, and
/// those are intact.
async fn assert_tags(aws: &Aws, state: &State, user: &[(&str, &str)]) {
    let user: BTreeMap<String, String> = user
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for address in state.resources.keys() {
        let mut found = tags_of(aws, state, address).await;
        assert_eq!(
            found.remove(STACK_TAG).as_deref(),
            Some("hello"),
            "{address}"
        );
        assert_eq!(
            found.remove(ADDRESS_TAG),
            Some(address.to_string()),
            "{address}"
        );
        assert_eq!(
            found.remove("Name"),
            Some(format!("hello-{}", address.name())),
            "{address}"
        );
        assert_eq!(found, user, "{address}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn user_tags_are_applied_and_changed_in_place_everywhere() {
    let emulator = Emulator::start();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello-fargate/stack.toml");
    let ws = Workspace::new(&emulator, &example);
    set_tags(&ws, r#"{ team = "a", tier = "web" }"#);
    let run = ws.apply(&[]).ok();
    assert!(run.stdout.contains("Apply complete:"), "{}", run.stdout);
    let first = load_state(&ws);
    let kinds: std::collections::BTreeSet<Kind> =
        first.resources.keys().map(Address::kind).collect();
    assert_eq!(kinds.len(), 17, "{kinds:?}");
    let aws = Aws::for_emulator("eu-central-1", &emulator.endpoint).await;
    assert_tags(&aws, &first, &[("team", "a"), ("tier", "web")]).await;
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);

    // One tag changed, one removed, one added: an in-place update of every object.
    set_tags(&ws, r#"{ team = "b", owner = "x" }"#);
    let run = ws.run(&["plan", "--json"]).ok();
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["has_changes"], true);
    assert_eq!(
        plan["summary"],
        json!({"add": 0, "change": first.resources.len(), "destroy": 0})
    );
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), first.resources.len());
    for c in changes {
        let address = c["address"].as_str().unwrap();
        assert_eq!(c["action"], "update", "{address}");
        assert_eq!(c["class"], "in_place", "{address}");
        assert_eq!(
            c["fields"],
            json!([{
                "name": "tags",
                "before": {"team": "a", "tier": "web"},
                "after": {"owner": "x", "team": "b"},
                "after_known": true,
                "forces_replacement": false,
                "cause": "config",
            }]),
            "{address}"
        );
    }

    let run = ws.run(&["apply", "--auto-approve"]).ok();
    assert!(run.stdout.contains("Apply complete:"), "{}", run.stdout);
    let second = load_state(&ws);
    // Nothing was replaced: every object is the one the first apply made.
    let ids = |s: &State| -> Vec<(Address, String)> {
        s.resources
            .iter()
            .map(|(a, r)| (a.clone(), r.id.to_string()))
            .collect()
    };
    assert_eq!(ids(&second), ids(&first));
    assert_tags(&aws, &second, &[("owner", "x"), ("team", "b")]).await;
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // Back to no tags at all: every user tag goes, stackctl's stay.
    set_tags(&ws, "{}");
    ws.run(&["apply", "--auto-approve"]).ok();
    assert_tags(&aws, &load_state(&ws), &[]).await;
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    ws.destroy(&[]).ok();
}
