//! The planner and the operation order, on hand-made states: pure, no AWS.

use super::*;
use crate::address::{Address, CloudId, Kind};
use crate::desired::Desired;
use crate::engine::ops::{self, Op};
use crate::resources::vpc::VpcSpec;
use crate::resources::{Live, Wanted};
use crate::state::{Record, State};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

fn a(s: &str) -> Address {
    s.parse().unwrap()
}

fn vpc(cidr: &str) -> Desired {
    Desired::new(
        a("vpc.main"),
        VpcSpec {
            cidr: cidr.into(),
            tags: Default::default(),
        },
    )
}

fn vpc_attrs(cidr: &str, hostnames: bool) -> crate::resources::Attrs {
    [
        ("cidr_block".to_string(), json!(cidr)),
        ("dns_hostnames".to_string(), json!(hostnames)),
        ("dns_support".to_string(), json!(true)),
        (
            "default_security_group".to_string(),
            json!({"ingress": [], "egress": []}),
        ),
        ("tags".to_string(), json!({})),
    ]
    .into()
}

fn record(id: &str, attrs: crate::resources::Attrs, depends_on: Vec<Address>) -> Record {
    Record {
        id: CloudId::new(id),
        spec: json!({}),
        attrs,
        outputs: [("id".to_string(), id.to_string())].into(),
        depends_on,
        deposed: Vec::new(),
    }
}

fn state_with(records: Vec<(&str, Record)>) -> State {
    let mut s = State::new("demo");
    for (addr, r) in records {
        s.resources.insert(a(addr), r);
    }
    s
}

fn live(attrs: crate::resources::Attrs) -> Option<Live> {
    Some(Live {
        attrs,
        outputs: [("id".to_string(), "vpc-1".to_string())].into(),
    })
}

#[test]
fn nothing_recorded_plans_a_create_with_every_attribute() {
    let p = plan(&[vpc("10.0.0.0/16")], &State::new("demo"), &Observed::new()).unwrap();
    assert_eq!(p.changes.len(), 1);
    let c = &p.changes[0];
    assert_eq!(c.action, Action::Create);
    assert_eq!(c.diffs.len(), 5);
    assert_eq!(c.diffs[0].after, Wanted::Known(json!("10.0.0.0/16")));
    assert_eq!(
        p.summary(),
        Summary {
            add: 1,
            change: 0,
            destroy: 0
        }
    );
}

#[test]
fn live_equal_to_wanted_plans_no_changes() {
    let state = state_with(vec![(
        "vpc.main",
        record("vpc-1", vpc_attrs("10.0.0.0/16", true), vec![]),
    )]);
    let observed = Observed::from([(a("vpc.main"), live(vpc_attrs("10.0.0.0/16", true)))]);
    let p = plan(&[vpc("10.0.0.0/16")], &state, &observed).unwrap();
    assert!(!p.has_changes());
    assert_eq!(p.changes[0].action, Action::NoOp);
}

#[test]
fn an_old_object_a_replacement_left_behind_is_a_change_to_apply() {
    let mut recorded = record("vpc-2", vpc_attrs("10.0.0.0/16", true), vec![]);
    recorded.deposed = vec![CloudId::new("vpc-1")];
    let state = state_with(vec![("vpc.main", recorded)]);
    let observed = Observed::from([(a("vpc.main"), live(vpc_attrs("10.0.0.0/16", true)))]);
    let p = plan(&[vpc("10.0.0.0/16")], &state, &observed).unwrap();
    assert_eq!(p.changes[0].action, Action::NoOp);
    assert!(p.has_changes());
    assert_eq!(
        p.deposed,
        vec![Deposed {
            address: a("vpc.main"),
            id: CloudId::new("vpc-1")
        }]
    );
    assert_eq!(p.summary().destroy, 1);
    let text = crate::output::plan_text::render(&p);
    assert!(
        text.contains("- vpc.main (vpc-1): replaced by an earlier run and not deleted yet"),
        "{text}"
    );
    let ops = ops::build(&p, &state);
    assert!(
        ops.contains_key(&Op::DestroyDeposed(a("vpc.main"))),
        "{ops:?}"
    );
}

#[test]
fn a_live_difference_in_an_updatable_field_plans_an_update() {
    let state = state_with(vec![(
        "vpc.main",
        record("vpc-1", vpc_attrs("10.0.0.0/16", true), vec![]),
    )]);
    let observed = Observed::from([(a("vpc.main"), live(vpc_attrs("10.0.0.0/16", false)))]);
    let p = plan(&[vpc("10.0.0.0/16")], &state, &observed).unwrap();
    let c = &p.changes[0];
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.diffs.len(), 1);
    assert_eq!(c.diffs[0].name, "dns_hostnames");
    assert_eq!(c.diffs[0].before, Some(json!(false)));
    assert!(!c.diffs[0].forces_replacement);
}

#[test]
fn a_changed_cidr_forces_replacement() {
    let state = state_with(vec![(
        "vpc.main",
        record("vpc-1", vpc_attrs("10.0.0.0/16", true), vec![]),
    )]);
    let observed = Observed::from([(a("vpc.main"), live(vpc_attrs("10.0.0.0/16", true)))]);
    let p = plan(&[vpc("10.1.0.0/16")], &state, &observed).unwrap();
    let c = &p.changes[0];
    assert_eq!(c.action, Action::Replace);
    assert!(
        c.diffs
            .iter()
            .any(|d| d.name == "cidr_block" && d.forces_replacement)
    );
    assert_eq!(
        p.summary(),
        Summary {
            add: 1,
            change: 0,
            destroy: 1
        }
    );
}

#[test]
fn attributes_the_read_cannot_see_fall_back_to_the_recorded_ones() {
    let state = state_with(vec![(
        "vpc.main",
        record("vpc-1", vpc_attrs("10.0.0.0/16", true), vec![]),
    )]);
    let mut partial = vpc_attrs("10.0.0.0/16", true);
    partial.remove("dns_hostnames");
    let observed = Observed::from([(a("vpc.main"), live(partial))]);
    assert!(
        !plan(&[vpc("10.0.0.0/16")], &state, &observed)
            .unwrap()
            .has_changes()
    );
}

#[test]
fn deleted_outside_plans_a_create_and_says_why() {
    let state = state_with(vec![(
        "vpc.main",
        record("vpc-1", vpc_attrs("10.0.0.0/16", true), vec![]),
    )]);
    let observed = Observed::from([(a("vpc.main"), None)]);
    let p = plan(&[vpc("10.0.0.0/16")], &state, &observed).unwrap();
    assert_eq!(p.changes[0].action, Action::Create);
    assert_eq!(p.changes[0].reason, Some(Reason::DeletedOutside));
}

#[test]
fn removed_from_config_plans_deletes_dependents_first() {
    let state = state_with(vec![
        (
            "vpc.main",
            record("vpc-1", vpc_attrs("10.0.0.0/16", true), vec![]),
        ),
        (
            "subnet.a",
            record("subnet-1", Default::default(), vec![a("vpc.main")]),
        ),
        (
            "route_table.rt",
            record(
                "rtb-1",
                Default::default(),
                vec![a("subnet.a"), a("vpc.main")],
            ),
        ),
    ]);
    let p = plan(&[], &state, &Observed::new()).unwrap();
    let order: Vec<String> = p.changes.iter().map(|c| c.address.to_string()).collect();
    assert_eq!(order, vec!["route_table.rt", "subnet.a", "vpc.main"]);
    assert!(p.changes.iter().all(|c| c.action == Action::Delete));
    assert_eq!(
        plan_destroy(&state)
            .unwrap()
            .changes
            .iter()
            .map(|c| c.address.to_string())
            .collect::<Vec<_>>(),
        order
    );
}

#[test]
fn destroy_operations_wait_for_their_dependents() {
    let state = state_with(vec![
        ("vpc.main", record("vpc-1", Default::default(), vec![])),
        (
            "subnet.a",
            record("subnet-1", Default::default(), vec![a("vpc.main")]),
        ),
    ]);
    let ops = ops::build(&plan_destroy(&state).unwrap(), &state);
    assert_eq!(
        ops[&Op::Destroy(a("vpc.main"))],
        [Op::Destroy(a("subnet.a"))].into()
    );
    assert!(ops[&Op::Destroy(a("subnet.a"))].is_empty());
}

#[test]
fn a_destroy_first_replacement_deletes_before_it_creates() {
    let state = state_with(vec![(
        "vpc.main",
        record("vpc-1", vpc_attrs("10.0.0.0/16", true), vec![]),
    )]);
    let observed = Observed::from([(a("vpc.main"), live(vpc_attrs("10.0.0.0/16", true)))]);
    let p = plan(&[vpc("10.1.0.0/16")], &state, &observed).unwrap();
    let ops = ops::build(&p, &state);
    assert_eq!(
        ops[&Op::Apply(a("vpc.main"))],
        [Op::Destroy(a("vpc.main"))].into()
    );
}

/// A lookup that knows every output of every resource: `{address}/{output}`, or an
/// ARN of AWS's shape for the load balancer's and target groups' `arn` (alarms and
/// scaling policies take parts of those).
struct Everything;

impl crate::resources::Lookup for Everything {
    fn output(&self, r: &crate::resources::Ref) -> Option<String> {
        Some(fake_output(&r.to, &r.output))
    }
}

fn fake_output(address: &Address, output: &str) -> String {
    let elb = "arn:aws:elasticloadbalancing:eu-west-2:123456789012";
    match (address.kind(), output) {
        (Kind::LoadBalancer, "arn") => format!("{elb}:loadbalancer/app/{}/1", address.name()),
        (Kind::TargetGroup, "arn") => format!("{elb}:targetgroup/{}/1", address.name()),
        _ => format!("{address}/{output}"),
    }
}

/// State and live view as if `desired` had been applied: every attribute as wanted,
/// with `{address}/{output}` for each referenced output.
fn applied(desired: &[Desired]) -> (State, Observed) {
    let mut state = State::new("hello");
    state.serial = 1;
    let mut observed = Observed::new();
    for d in desired {
        let attrs: crate::resources::Attrs =
            crate::resources::registry::wanted(d.address.kind(), &d.spec, &Everything)
                .unwrap()
                .into_iter()
                .map(|(k, w)| match w {
                    Wanted::Known(v) => (k, v),
                    Wanted::Unknown => panic!("{} {k} unknown", d.address),
                })
                .collect();
        let outputs: crate::resources::Outputs = ["id", "arn", "uri", "dns_name", "name"]
            .iter()
            .map(|o| (o.to_string(), fake_output(&d.address, o)))
            .collect();
        state.resources.insert(
            d.address.clone(),
            Record {
                id: CloudId::new(format!("{}/id", d.address)),
                spec: d.spec.clone(),
                attrs: attrs.clone(),
                outputs: outputs.clone(),
                depends_on: d.dependencies(),
                deposed: Vec::new(),
            },
        );
        observed.insert(d.address.clone(), Some(Live { attrs, outputs }));
    }
    (state, observed)
}

/// The hello-fargate example with `edit` applied to its stack.toml text.
fn hello_edited(edit: impl FnOnce(String) -> String) -> Vec<Desired> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/hello-fargate/stack.toml"
    ))
    .unwrap();
    let v = crate::config::parse(std::path::Path::new("stack.toml"), &edit(text), None).unwrap();
    crate::config::expand::expand(&v, &crate::engine::zones::lettered(&v))
}

fn hello(image: &str) -> Vec<Desired> {
    hello_edited(|t| t.replace("\"hello:1.0.0\"", &format!("\"{image}\"")))
}

fn change<'a>(p: &'a Plan, address: &str) -> &'a Change {
    p.changes
        .iter()
        .find(|c| c.address == a(address))
        .unwrap_or_else(|| panic!("no change for {address}"))
}

#[test]
fn an_applied_stack_plans_no_changes() {
    let desired = hello("hello:latest");
    let (state, observed) = applied(&desired);
    let p = plan(&desired, &state, &observed).unwrap();
    assert!(!p.has_changes(), "{p:#?}");
}

#[test]
fn drift_is_told_apart_from_edits_to_stack_toml() {
    let desired = hello("hello:latest");
    let (state, mut observed) = applied(&desired);
    let svc = observed
        .get_mut(&a("ecs_service.hello"))
        .unwrap()
        .as_mut()
        .unwrap();
    svc.attrs.insert("desired_count".into(), json!(5));
    let p = plan(&desired, &state, &observed).unwrap();
    let c = change(&p, "ecs_service.hello");
    assert_eq!((c.action, c.class), (Action::Update, Class::InPlace));
    assert_eq!(c.diffs[0].cause, Cause::Drift);
    assert_eq!(c.diffs[0].before, Some(json!(5)));
    assert!(c.is_drift_only());

    // The same field also edited in stack.toml: both moved.
    let edited: Vec<Desired> = desired
        .iter()
        .cloned()
        .map(|mut d| {
            if d.address == a("ecs_service.hello") {
                d.spec["desired_count"] = json!(3);
            }
            d
        })
        .collect();
    let p = plan(&edited, &state, &observed).unwrap();
    let c = change(&p, "ecs_service.hello");
    assert_eq!(c.diffs[0].cause, Cause::Both);
    assert!(!c.is_drift_only());

    let d = crate::plan::drift(&state, &observed);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].address, a("ecs_service.hello"));
    assert_eq!(d[0].fields[0].name, "desired_count");
    assert_eq!(
        (&d[0].fields[0].recorded, &d[0].fields[0].live),
        (&json!(2), &json!(5))
    );
}

#[test]
fn a_deleted_object_is_drift_and_a_planned_create() {
    let desired = hello("hello:latest");
    let (state, mut observed) = applied(&desired);
    observed.insert(a("log_group.hello"), None);
    let d = crate::plan::drift(&state, &observed);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].status, crate::plan::DriftStatus::Deleted);
    let c = change(
        &plan(&desired, &state, &observed).unwrap(),
        "log_group.hello",
    )
    .clone();
    assert_eq!(c.action, Action::Create);
    assert!(c.is_drift_only());
}

#[test]
fn a_new_image_in_stack_toml_is_deploy_only() {
    let (state, observed) = applied(&hello("hello:latest"));
    let p = plan(&hello("hello:v2"), &state, &observed).unwrap();
    let td = change(&p, "task_definition.hello");
    assert_eq!((td.action, td.class), (Action::Replace, Class::DeployOnly));
    assert_eq!(td.diffs.len(), 1);
    assert_eq!(td.diffs[0].name, "image");
    let svc = change(&p, "ecs_service.hello");
    assert_eq!((svc.action, svc.class), (Action::Update, Class::DeployOnly));
    assert_eq!(p.pending().count(), 2);
    assert!(td.warning.is_none());
}

#[test]
fn a_new_task_size_is_a_replacement_and_the_service_update_is_in_place() {
    let (state, observed) = applied(&hello("hello:latest"));
    let desired: Vec<Desired> = hello("hello:latest")
        .into_iter()
        .map(|mut d| {
            if d.address == a("task_definition.hello") {
                d.spec["memory"] = json!("1024");
            }
            d
        })
        .collect();
    let p = plan(&desired, &state, &observed).unwrap();
    assert_eq!(
        change(&p, "task_definition.hello").class,
        Class::Replacement
    );
    assert_eq!(change(&p, "ecs_service.hello").class, Class::InPlace);
}

/// The state and live view after `apply --image hello=URI` ran on `applied` ones.
fn deployed(state: &State, observed: &Observed, uri: &str) -> (State, Observed) {
    let p = crate::plan::plan_deploy(state, observed, &[("hello".into(), uri.into())]).unwrap();
    let td = change(&p, "task_definition.hello");
    assert_eq!((td.action, td.class), (Action::Replace, Class::DeployOnly));
    let svc = change(&p, "ecs_service.hello");
    assert_eq!((svc.action, svc.class), (Action::Update, Class::DeployOnly));
    assert_eq!(p.pending().count(), 2);
    let spec = td.spec.clone().unwrap();
    let mut attrs: crate::resources::Attrs =
        crate::resources::registry::wanted(Kind::TaskDefinition, &spec, &Everything)
            .unwrap()
            .into_iter()
            .map(|(k, w)| match w {
                Wanted::Known(v) => (k, v),
                Wanted::Unknown => panic!("{k} unknown"),
            })
            .collect();
    let (mut state, mut observed) = (state.clone(), observed.clone());
    let r = state
        .resources
        .get_mut(&a("task_definition.hello"))
        .unwrap();
    r.spec = spec.clone();
    r.attrs = attrs.clone();
    let over = spec["container"]["image"]["deployed"]["over"].clone();
    attrs.insert(
        crate::resources::task_definition::DEPLOYED_OVER.into(),
        over,
    );
    let live = observed
        .get_mut(&a("task_definition.hello"))
        .unwrap()
        .as_mut()
        .unwrap();
    live.attrs = attrs;
    (state, observed)
}

#[test]
fn a_deployed_image_survives_an_infrastructure_apply_until_stack_toml_names_another() {
    let (state, observed) = applied(&hello("hello:latest"));
    let (state, observed) = deployed(&state, &observed, "registry.example/hello:3f2c1a9");

    // stack.toml unchanged: nothing to do, the deployed image stays.
    let p = plan(&hello("hello:latest"), &state, &observed).unwrap();
    assert!(!p.has_changes(), "{p:#?}");

    // An infrastructure change keeps the deployed image in the new revision.
    let desired: Vec<Desired> = hello("hello:latest")
        .into_iter()
        .map(|mut d| {
            if d.address == a("task_definition.hello") {
                d.spec["memory"] = json!("1024");
            }
            d
        })
        .collect();
    let p = plan(&desired, &state, &observed).unwrap();
    let td = change(&p, "task_definition.hello");
    assert_eq!(td.class, Class::Replacement);
    assert!(td.diffs.iter().all(|d| d.name != "image"), "{td:#?}");
    assert_eq!(
        td.spec.as_ref().unwrap()["container"]["image"]["deployed"]["uri"],
        json!("registry.example/hello:3f2c1a9")
    );

    // A second deploy keeps what stack.toml named before the first one.
    let (state2, observed2) = deployed(&state, &observed, "registry.example/hello:4e5d6c7");
    assert!(
        !plan(&hello("hello:latest"), &state2, &observed2)
            .unwrap()
            .has_changes()
    );

    // stack.toml names another image: it wins, as a deploy-only change.
    let p = plan(&hello("hello:v2"), &state, &observed).unwrap();
    let td = change(&p, "task_definition.hello");
    assert_eq!(td.class, Class::DeployOnly);
    assert_eq!(
        td.diffs[0].before,
        Some(json!("registry.example/hello:3f2c1a9"))
    );
    assert_eq!(
        td.diffs[0].after,
        Wanted::Known(json!("ecr_repository.hello/uri:v2"))
    );
}

#[test]
fn deploying_the_running_image_is_no_change_and_unknown_services_are_refused() {
    let (state, observed) = applied(&hello("hello:latest"));
    let running = "ecr_repository.hello/uri:latest";
    let p =
        crate::plan::plan_deploy(&state, &observed, &[("hello".into(), running.into())]).unwrap();
    assert!(!p.has_changes());
    let e =
        crate::plan::plan_deploy(&state, &observed, &[("api".into(), "x:1".into())]).unwrap_err();
    assert!(e.to_string().contains("services: hello"), "{e}");
    assert!(crate::plan::parse_image("hello").is_err());
    assert_eq!(
        crate::plan::parse_image("web=a/b:c=d").unwrap(),
        ("web".to_string(), "a/b:c=d".to_string())
    );
}

#[test]
fn a_saved_plan_round_trips_and_is_refused_once_the_state_moved() {
    let (state, observed) = applied(&hello("hello:latest"));
    let p = plan(&hello("hello:v2"), &state, &observed).unwrap();
    let doc = crate::plan::PlanDocument::new(&p, &state, "eu-central-1");
    let text = serde_json::to_string(&doc).unwrap();
    let back = crate::plan::PlanDocument::parse(&text).unwrap();
    assert_eq!(back, doc);
    let again = back.plan_for(&state).unwrap();
    assert_eq!(again.pending().count(), p.pending().count());
    for (x, y) in again.pending().zip(p.pending()) {
        assert_eq!((x, &x.spec), (y, &y.spec));
    }

    let mut moved = state.clone();
    moved.serial += 1;
    assert!(matches!(
        back.plan_for(&moved),
        Err(crate::plan::DocumentError::Stale { .. })
    ));
    let mut other = state.clone();
    other.lineage = "another".into();
    assert!(back.plan_for(&other).is_err());
    assert!(matches!(
        crate::plan::PlanDocument::parse(r#"{"version": 1, "resources": {}}"#),
        Err(crate::plan::DocumentError::NotAPlan(_))
    ));
    assert!(crate::plan::PlanDocument::parse("not json").is_err());
}

#[test]
fn a_target_group_is_replaced_create_first_and_retired_after_all_that_used_it_moved() {
    let (state, observed) = applied(&hello("hello:latest"));
    let desired = hello_edited(|t| t.replace("port = 8080", "port = 9090"));
    let p = plan(&desired, &state, &observed).unwrap();
    let tg = change(&p, "target_group.hello");
    assert_eq!((tg.action, tg.class), (Action::Replace, Class::Replacement));
    assert!(tg.warning.is_none());
    assert_eq!(change(&p, "ecs_service.hello").action, Action::Update);
    let ops = ops::build(&p, &state);
    assert!(!ops.contains_key(&Op::Destroy(a("target_group.hello"))));
    let retire = &ops[&Op::DestroyDeposed(a("target_group.hello"))];
    // The old group goes once the service's rollout onto the new one has finished.
    for user in [
        Op::Apply(a("target_group.hello")),
        Op::Finish(a("listener.http")),
        Op::Finish(a("ecs_service.hello")),
    ] {
        assert!(retire.contains(&user), "{user:?} not before: {retire:?}");
    }
    assert!(ops[&Op::Apply(a("listener.http"))].contains(&Op::Apply(a("target_group.hello"))));
}

/// Traffic never reaches the new target group before the service is healthy in it:
/// the listener first adds it at weight 0 (ECS needs it attached), the service
/// registers in both groups and becomes ready, then the listener forwards to the new
/// group alone, then the service leaves the old one, and only then does the old go.
#[test]
fn a_target_group_replacement_moves_traffic_only_to_healthy_targets() {
    let (state, observed) = applied(&hello("hello:latest"));
    let desired = hello_edited(|t| t.replace("port = 8080", "port = 9090"));
    let p = plan(&desired, &state, &observed).unwrap();
    let ops = ops::build(&p, &state);
    let waits_for = |op: Op, on: Op| {
        assert!(
            ops.get(&op).is_some_and(|before| before.contains(&on)),
            "{op:?} does not wait for {on:?}: {:?}",
            ops.get(&op)
        );
    };
    let (listener, service, tg) = (
        a("listener.http"),
        a("ecs_service.hello"),
        a("target_group.hello"),
    );
    waits_for(Op::Apply(service.clone()), Op::Apply(listener.clone()));
    waits_for(Op::Finish(listener.clone()), Op::Apply(listener.clone()));
    waits_for(Op::Finish(listener.clone()), Op::Ready(service.clone()));
    waits_for(Op::Finish(service.clone()), Op::Finish(listener.clone()));
    waits_for(Op::Finish(service.clone()), Op::Ready(service.clone()));
    waits_for(Op::DestroyDeposed(tg.clone()), Op::Finish(listener.clone()));
    waits_for(Op::DestroyDeposed(tg), Op::Finish(service.clone()));
    // The finish steps complete their applies; they are not steps of their own.
    assert_eq!(
        ops::steps(&ops),
        ops.keys()
            .filter(|o| matches!(o, Op::Apply(_) | Op::Destroy(_) | Op::DestroyDeposed(_)))
            .count()
    );
}

/// A new port and a new image whose tag is not pushed yet, on a running service: the
/// task definition waits for the image, and so does everything the running service
/// uses that would change under it (the new port on its security group, the new
/// target group and the listener's move to it): it keeps running as it is until the
/// apply after the push. Nothing of the move starts, nothing is retired.
#[test]
fn a_running_service_held_for_its_image_keeps_everything_it_uses() {
    let (state, observed) = applied(&hello("hello:latest"));
    let desired = hello_edited(|t| {
        t.replace("port = 8080", "port = 9090")
            .replace("\"hello:1.0.0\"", "\"hello:2.0.0\"")
    });
    let p = plan(&desired, &state, &observed).unwrap();
    let missing = BTreeMap::from([(
        a("task_definition.hello"),
        crate::plan::MissingImage {
            repository: a("ecr_repository.hello"),
            repository_uri: None,
            reference: "2.0.0".into(),
            new_repository: false,
        },
    )]);
    let p = crate::plan::hold_back(p, &missing);
    let hold = |address: &str| {
        p.held
            .iter()
            .find(|h| h.address() == &a(address))
            .map(|h| h.hold.clone())
            .unwrap_or_else(|| panic!("{address} not held: {:?}", p.held))
    };
    let used_by_service = crate::plan::Hold::UsedBy {
        address: a("ecs_service.hello"),
    };
    assert_eq!(hold("security_group.hello"), used_by_service);
    assert_eq!(hold("target_group.hello"), used_by_service);
    assert_eq!(hold("listener.http"), used_by_service);
    assert!(matches!(
        hold("ecs_service.hello"),
        crate::plan::Hold::Needs { .. }
    ));
    let ops = ops::build(&p, &state);
    for held in &p.held {
        assert!(
            !ops.keys().any(|o| o.address() == held.address()),
            "{} runs: {ops:?}",
            held.address()
        );
    }
    assert!(p.has_changes());
}

/// What a held change uses keeps its old side in the walk: no finish of a staged move
/// towards it, no retirement of an old object it still uses (here: an old target
/// group an interrupted run left deposed).
#[test]
fn what_a_held_change_uses_is_neither_finished_nor_retired() {
    let (mut state, observed) = applied(&hello("hello:latest"));
    let tg = a("target_group.hello");
    state
        .resources
        .get_mut(&tg)
        .unwrap()
        .deposed
        .push(crate::address::CloudId::new("arn:old-target-group"));
    let desired = hello("hello:2.0.0");
    let p = plan(&desired, &state, &observed).unwrap();
    let missing = BTreeMap::from([(
        a("task_definition.hello"),
        crate::plan::MissingImage {
            repository: a("ecr_repository.hello"),
            repository_uri: None,
            reference: "2.0.0".into(),
            new_repository: false,
        },
    )]);
    let held = crate::plan::hold_back(p.clone(), &missing);
    assert!(ops::build(&p, &state).contains_key(&Op::DestroyDeposed(tg.clone())));
    assert!(!ops::build(&held, &state).contains_key(&Op::DestroyDeposed(tg)));
}

/// hello-fargate with `[stack] tags` set to `tags` (a TOML inline table).
fn hello_tagged(tags: &str) -> Vec<Desired> {
    hello_edited(|t| t.replacen("[stack]\n", &format!("[stack]\ntags = {tags}\n"), 1))
}

#[test]
fn no_kind_replaces_for_tags() {
    for &kind in Kind::ALL {
        assert!(
            !crate::resources::registry::replace_on(kind).contains(&"tags"),
            "{kind}"
        );
    }
}

#[test]
fn changed_tags_are_an_in_place_update_of_every_object() {
    let before = hello_tagged(r#"{ team = "a", tier = "web" }"#);
    let (state, observed) = applied(&before);
    let after = hello_tagged(r#"{ team = "b", owner = "x" }"#);
    let p = plan(&after, &state, &observed).unwrap();
    assert_eq!(p.changes.len(), before.len());
    for c in &p.changes {
        assert_eq!(c.action, Action::Update, "{}", c.address);
        assert_eq!(c.class, Class::InPlace, "{}", c.address);
        assert_eq!(c.diffs.len(), 1, "{}: {:?}", c.address, c.diffs);
        let d = &c.diffs[0];
        assert_eq!(d.name, "tags");
        assert!(!d.forces_replacement);
        assert_eq!(d.cause, Cause::Config);
        assert_eq!(d.before, Some(json!({"team": "a", "tier": "web"})));
        assert_eq!(d.after, Wanted::Known(json!({"owner": "x", "team": "b"})));
    }
}

#[test]
fn a_state_applied_before_tags_existed_plans_no_changes() {
    let desired = hello("hello:latest");
    let (mut state, observed) = applied(&desired);
    // Recorded by a stackctl without tags: no `tags` attribute; the live read has `{}`.
    for r in state.resources.values_mut() {
        assert_eq!(r.attrs.remove("tags"), Some(json!({})));
    }
    let p = plan(&desired, &state, &observed).unwrap();
    assert!(!p.has_changes(), "{p:#?}");
}

#[test]
fn the_plan_document_carries_warnings_and_reads_plans_saved_without_them() {
    let (state, observed) = applied(&hello("hello:latest"));
    let p = plan(&hello("hello:v2"), &state, &observed).unwrap();
    let warning = crate::config::security::Warning {
        key: "load_balancer.deletion_protection".into(),
        message: "is false: exposed".into(),
    };
    let doc = crate::plan::PlanDocument::new(&p, &state, "eu-central-1")
        .with_warnings(vec![warning.clone()]);
    let value = serde_json::to_value(&doc).unwrap();
    assert_eq!(
        value["warnings"],
        json!([{"key": "load_balancer.deletion_protection", "message": "is false: exposed"}])
    );
    assert_eq!(value["format_version"], 1);
    let back = crate::plan::PlanDocument::parse(&value.to_string()).unwrap();
    assert_eq!(back.warnings, vec![warning]);

    // A plan saved before warnings existed (same format version) still applies.
    let mut old = value.clone();
    old.as_object_mut().unwrap().remove("warnings");
    let back = crate::plan::PlanDocument::parse(&old.to_string()).unwrap();
    assert!(back.warnings.is_empty());
    assert!(back.plan_for(&state).is_ok());
}

/// The weather example planned from nothing: the operations and what each waits for.
fn weather_ops() -> BTreeMap<Op, BTreeSet<Op>> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/weather/stack.toml"
    ))
    .unwrap();
    let v = crate::config::parse(std::path::Path::new("stack.toml"), &text, None).unwrap();
    let desired = crate::config::expand::expand(&v, &crate::engine::zones::lettered(&v));
    let state = State::new("weather");
    let p = plan(&desired, &state, &Observed::new()).unwrap();
    ops::build(&p, &state)
}

#[test]
fn dependents_that_need_only_outputs_start_before_the_wait_ends() {
    let ops = weather_ops();
    let readies: Vec<&Address> = ops
        .keys()
        .filter_map(|op| match op {
            Op::Ready(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(
        readies,
        vec![
            &a("vpc.main"),
            &a("nat_gateway.nat-0"),
            &a("load_balancer.main"),
            &a("ecs_service.web"),
            &a("cloudfront_distribution.main"),
        ]
    );
    let waits_for = |op: Op, on: Op| {
        assert!(
            ops[&op].contains(&on),
            "{op:?} does not wait for {on:?}: {:?}",
            ops[&op]
        );
    };
    let not_for = |op: Op, on: Op| {
        assert!(!ops[&op].contains(&on), "{op:?} waits for {on:?}");
    };
    // CloudFront and the listener need the ALB's DNS name and ARN, not an active ALB.
    let cdn = Op::Apply(a("cloudfront_distribution.main"));
    waits_for(cdn.clone(), Op::Apply(a("load_balancer.main")));
    not_for(cdn, Op::Ready(a("load_balancer.main")));
    waits_for(
        Op::Apply(a("listener.http")),
        Op::Apply(a("load_balancer.main")),
    );
    // Nothing in the VPC needs its hostnames on or its default group locked down.
    for inside in [
        "subnet.public-0",
        "internet_gateway.main",
        "security_group.alb",
    ] {
        waits_for(Op::Apply(a(inside)), Op::Apply(a("vpc.main")));
        not_for(Op::Apply(a(inside)), Op::Ready(a("vpc.main")));
    }
    // An internet-facing ALB needs the gateway attached, not its subnets' routes.
    waits_for(
        Op::Apply(a("load_balancer.main")),
        Op::Apply(a("internet_gateway.main")),
    );
    not_for(
        Op::Apply(a("load_balancer.main")),
        Op::Apply(a("route_table.public")),
    );
    // Routes go through an available NAT gateway; a service's targets need an active ALB.
    waits_for(
        Op::Apply(a("route_table.private")),
        Op::Ready(a("nat_gateway.nat-0")),
    );
    waits_for(
        Op::Apply(a("ecs_service.web")),
        Op::Ready(a("load_balancer.main")),
    );
    waits_for(
        Op::Ready(a("ecs_service.web")),
        Op::Apply(a("ecs_service.web")),
    );
    // The progress count counts steps, not waits.
    assert_eq!(ops::steps(&ops), ops.len() - readies.len());
}
