//! `[domain]` through the real binary, on the production example: a missing zone is
//! refused naming it before anything is made; a given certificate that does not
//! cover the domain is refused naming its key; a new domain name gets new
//! certificates, issued and in use before the old ones are deleted; both kinds are
//! imported by their ids.

use crate::support::aws_order;
use crate::support::cli::{Workspace, example};
use crate::support::domain;
use crate::support::emulator::Emulator;
use stackctl::address::Address;

/// Nothing is written to AWS when the zone is not there: the zone is the user's, and
/// finding it missing after the network is made would leave half a stack.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_zone_is_refused_by_name_before_anything_is_made() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("production"));
    let log = ws.dir.join("calls.jsonl");
    let run = ws.run(&[
        "--api-log",
        log.to_str().unwrap(),
        "apply",
        "--auto-approve",
    ]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr.contains("domain.zone")
            && run
                .stderr
                .contains("no public Route 53 hosted zone named example.com")
            && run.stderr.contains("never creates one"),
        "{}",
        run.stderr
    );
    let writes = aws_order::writes(&log);
    assert!(
        writes.is_empty(),
        "written before the zone was found: {writes:?}"
    );
    let plan = ws.run(&["plan"]);
    assert_ne!(plan.code, 0);
    assert!(plan.stderr.contains("example.com"), "{}", plan.stderr);
}

/// `[load_balancer.https]` names a certificate for another name: plan refuses it,
/// naming the key, the names it misses and the ones it covers.
#[tokio::test(flavor = "multi_thread")]
async fn a_given_certificate_must_cover_the_domain() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("production"));
    let aws = emulator.aws().await;
    domain::zone_of(&aws, &ws.stack).await;
    let other = aws
        .acm
        .request_certificate()
        .domain_name("other.example.com")
        .send()
        .await
        .unwrap();
    let arn = other.certificate_arn().unwrap();
    ws.edit(
        "[load_balancer]\n",
        &format!("[load_balancer]\nhttps = {{ certificate_arn = \"{arn}\" }}\n"),
    );
    let plan = ws.run(&["plan"]);
    assert_ne!(plan.code, 0, "{}", plan.stdout);
    assert!(
        plan.stderr.contains("load_balancer.https.certificate_arn")
            && plan.stderr.contains("does not cover shop.example.com")
            && plan.stderr.contains("it covers other.example.com"),
        "{}",
        plan.stderr
    );
}

/// A new name: new certificates in both regions, the listener and the distribution
/// moved onto them once issued, and only then the old ones deleted; the records
/// follow the name, and the plan after is clean.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_domain_name_moves_to_new_certificates_before_the_old_go() {
    let emulator = Emulator::start_with(&[("MOTO_ACM_VALIDATION_WAIT", "1")]);
    let ws = Workspace::new(&emulator, &example("production"));
    let aws = emulator.aws().await;
    let zone = domain::zone_of(&aws, &ws.stack).await.unwrap();
    ws.apply(&[]).ok();
    let before = ws.state();
    let arn = |state: &stackctl::state::State, name: &str| {
        let a: Address = format!("certificate.{name}").parse().unwrap();
        state.resources[&a].id.to_string()
    };
    let old = [arn(&before, "load_balancer"), arn(&before, "cdn")];

    ws.edit(
        "name = \"shop.example.com\"",
        "name = \"www.shop.example.com\"",
    );
    let log = ws.dir.join("move.calls.jsonl");
    let run = ws
        .run(&[
            "--api-log",
            log.to_str().unwrap(),
            "apply",
            "--auto-approve",
        ])
        .ok();
    assert!(run.stdout.contains("Apply complete"), "{}", run.stdout);
    let after = ws.state();
    let new = [arn(&after, "load_balancer"), arn(&after, "cdn")];
    assert!(new.iter().all(|n| !old.contains(n)), "{old:?} -> {new:?}");

    let writes = aws_order::writes(&log);
    let at = |operation: &str, address: &str| {
        writes
            .iter()
            .position(|c| {
                c.operation == operation
                    && c.address.as_ref().map(|a| a.to_string()).as_deref() == Some(address)
            })
            .unwrap_or_else(|| panic!("no {operation} of {address}: {writes:#?}"))
    };
    let moved_listener = at("ModifyListener", "listener.https");
    let moved_cdn = at("UpdateDistribution", "cloudfront_distribution.main");
    // Each certificate is made before, and deleted after, what uses it moved.
    for (cert, moved) in [
        ("certificate.load_balancer", moved_listener),
        ("certificate.cdn", moved_cdn),
    ] {
        assert!(at("RequestCertificate", cert) < moved, "{cert}");
        assert!(at("DeleteCertificate", cert) > moved, "{cert}");
    }
    for (acm, arn) in [(&aws.acm, &old[0]), (&aws.acm_cloudfront, &old[1])] {
        let gone = acm.describe_certificate().certificate_arn(arn).send().await;
        assert!(gone.is_err(), "{arn} still there");
    }
    let mut names: Vec<(String, String)> = domain::records(&aws, &zone)
        .await
        .into_iter()
        .filter(|(_, t)| t != "SOA" && t != "NS")
        .collect();
    names.sort();
    // ACM's validation name is `_HASH.` and the domain.
    let types: Vec<(&str, &str)> = names
        .iter()
        .map(|(n, t)| match n.strip_suffix(".www.shop.example.com") {
            Some(label) if label.starts_with('_') => ("validation", t.as_str()),
            _ => (n.as_str(), t.as_str()),
        })
        .collect();
    assert_eq!(
        types,
        [
            ("validation", "CNAME"),
            ("www.shop.example.com", "A"),
            ("www.shop.example.com", "AAAA"),
        ],
        "{names:?}"
    );
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // Forgotten by hand, each is imported by its id again, and the plan stays clean.
    for address in ["certificate.cdn", "dns_record.aaaa"] {
        let id = forget(&ws, address);
        let run = ws.run(&["import", address, &id]).ok();
        assert!(run.stdout.contains(address), "{}", run.stdout);
    }
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

/// Removes `address` from the state file by hand; its id.
fn forget(ws: &Workspace, address: &str) -> String {
    let path = ws.state_path();
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let record = state["resources"]
        .as_object_mut()
        .unwrap()
        .remove(address)
        .unwrap_or_else(|| panic!("{address} is not in the state"));
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    record["id"].as_str().unwrap().to_string()
}
