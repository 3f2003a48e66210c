//! The planner and the operation order, on hand-made states: pure, no AWS.

use super::*;
use crate::address::{Address, CloudId};
use crate::desired::Desired;
use crate::engine::ops::{self, Op};
use crate::resources::vpc::VpcSpec;
use crate::resources::{Live, Wanted};
use crate::state::{Record, State};
use serde_json::json;

fn a(s: &str) -> Address {
    s.parse().unwrap()
}

fn vpc(cidr: &str) -> Desired {
    Desired::new(a("vpc.main"), VpcSpec { cidr: cidr.into() })
}

fn vpc_attrs(cidr: &str, hostnames: bool) -> crate::resources::Attrs {
    [
        ("cidr_block".to_string(), json!(cidr)),
        ("dns_hostnames".to_string(), json!(hostnames)),
        ("dns_support".to_string(), json!(true)),
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
    assert_eq!(c.diffs.len(), 3);
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
