//! Retries hold: apply (both applies of a new stack, around the image push), plan and
//! destroy of the reference stack (the weather example, CloudFront included) through
//! the fault proxy, which throttles a fifth of all requests in each service's own way
//! and fails a twentieth with 5xx answers, besides dropping a few connections and
//! adding latency. Each run must succeed as if nothing
//! happened, and leave exactly one AWS object per recorded address: a retry that
//! created a second object would show up as an object the state does not name.
//!
//! Also here: the retry quota does not run dry under heavier faults, each service's
//! requests in flight stay within their bound, and an endpoint where nothing listens
//! fails at once with what to check.

use crate::support::cli::{Run, Workspace, example};
use crate::support::emulator::{Emulator, REGION};
use crate::support::images::{self, HELD};
use crate::support::leftovers;
use stackctl::address::Address;
use stackctl::aws::{Aws, Service};
use stackctl_bench::fault_proxy::{Counts, FaultProxy, Faults};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const EXAMPLE: &str = "weather";
const EXAMPLE_REGION: &str = "eu-west-2";

/// The seeds to run: `STACKCTL_FAULT_SEEDS=1,2,3` for more, one fixed seed otherwise.
fn seeds() -> Vec<u64> {
    std::env::var("STACKCTL_FAULT_SEEDS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![2005])
}

fn faults(seed: u64) -> Faults {
    Faults {
        throttle: 0.20,
        server_error: 0.05,
        drop: 0.01,
        latency: Duration::from_millis(20),
        ..Faults::none(seed)
    }
}

#[track_caller]
fn assert_ok(run: &Run, what: &str, proxy: &FaultProxy) {
    assert_eq!(
        run.code,
        0,
        "{what} failed through the faults {:#?}\nstdout:\n{}\nstderr:\n{}",
        proxy.counts(),
        run.stdout,
        run.stderr
    );
}

/// What the proxy did between two snapshots, by service.
fn since(
    before: &BTreeMap<String, Counts>,
    now: &BTreeMap<String, Counts>,
) -> BTreeMap<String, Counts> {
    now.iter()
        .map(|(service, c)| {
            let b = before.get(service).copied().unwrap_or_default();
            (service.clone(), c.since(&b))
        })
        .collect()
}

/// At least `services` services met a fault, and throttling and 5xx answers both came.
#[track_caller]
fn assert_faulted(counts: &BTreeMap<String, Counts>, what: &str, services: usize) {
    let faulted = counts.values().filter(|c| c.faults() > 0).count();
    let throttled: u32 = counts.values().map(|c| c.throttled).sum();
    let failed: u32 = counts.values().map(|c| c.server_errors).sum();
    assert!(
        faulted >= services && throttled > 0 && failed > 0,
        "{what}: too few faults injected to prove anything: {counts:#?}"
    );
}

/// Every object AWS holds for the stack is the object of exactly one recorded address,
/// no two objects are the object of the same address, and no address lacks its object.
async fn assert_one_object_per_address(aws: &Aws, ws: &Workspace, stack: &str) {
    let state = ws.state();
    let inventory = leftovers::of_stack(aws, stack).await;
    let mut owners: BTreeMap<Address, Vec<String>> = BTreeMap::new();
    let mut unrecorded = Vec::new();
    for object in &inventory {
        let id = object.split_whitespace().last().unwrap_or_default();
        // Load balancers and target groups are listed by name, recorded by ARN.
        let owner = state.resources.iter().find(|(_, r)| {
            let recorded = r.id.as_str();
            recorded == id || recorded.contains(&format!("/{id}/"))
        });
        match owner {
            Some((address, _)) => owners
                .entry(address.clone())
                .or_default()
                .push(object.clone()),
            None => unrecorded.push(object.clone()),
        }
    }
    assert!(
        unrecorded.is_empty(),
        "objects the state does not name: {unrecorded:#?}"
    );
    let doubled: Vec<_> = owners.iter().filter(|(_, o)| o.len() > 1).collect();
    assert!(
        doubled.is_empty(),
        "addresses with more than one object: {doubled:#?}"
    );
    let missing: Vec<&Address> = state
        .resources
        .keys()
        .filter(|a| !owners.contains_key(*a))
        .collect();
    assert!(
        missing.is_empty(),
        "recorded addresses without their object: {missing:#?}"
    );
}

/// Apply, a detailed-exitcode plan and destroy of the reference stack through
/// `faults`; each must succeed with exactly one object per recorded address and
/// nothing left behind. Returns what the proxy did during apply and during destroy.
async fn apply_plan_destroy(
    seed: u64,
    faults: Faults,
) -> (BTreeMap<String, Counts>, BTreeMap<String, Counts>) {
    let emulator = Emulator::start();
    let direct = Aws::for_emulator(EXAMPLE_REGION, &emulator.endpoint).await;
    let proxy = FaultProxy::start(&emulator.endpoint, faults);
    let stack = format!("f{seed}");
    let mut ws = Workspace::new(&emulator, &example(EXAMPLE));
    ws.edit("name = \"weather\"", &format!("name = \"{stack}\""));
    ws.endpoint = proxy.endpoint.clone();

    // A new stack's two applies: the first makes everything but the service, which
    // waits for its image (exit 3); the pipeline pushes it (straight to the registry,
    // not through stackctl's faults); the second creates the service.
    let started = Instant::now();
    let first = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(
        first.code,
        HELD,
        "the first apply through the faults {:#?}\nstdout:\n{}\nstderr:\n{}",
        proxy.counts(),
        first.stdout,
        first.stderr
    );
    assert!(first.stderr.contains("Held back: "), "{}", first.stderr);
    assert!(!images::push_missing(&emulator.endpoint, &ws.stack, None).is_empty());
    let apply = ws.run(&["apply", "--auto-approve"]);
    let apply_took = started.elapsed();
    assert_ok(&apply, "apply", &proxy);
    let applied = proxy.counts();

    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_ok(&plan, "plan --detailed-exitcode", &proxy);
    assert_one_object_per_address(&direct, &ws, &stack).await;
    let planned = proxy.counts();

    // Stackctl never deletes images: they go first, as a person would delete them.
    images::delete_all(&emulator.endpoint, &ws.stack, None);
    let started = Instant::now();
    let destroy = ws.run(&["destroy", "--auto-approve"]);
    let destroy_took = started.elapsed();
    assert_ok(&destroy, "destroy", &proxy);
    let destroyed = since(&planned, &proxy.counts());
    let left = leftovers::of_stack(&direct, &stack).await;
    assert!(left.is_empty(), "seed {seed}: destroy left {left:#?}");

    let total = |c: &BTreeMap<String, Counts>| c.values().map(Counts::faults).sum::<u32>();
    eprintln!(
        "seed {seed}: apply {:.1}s with {} faults, destroy {:.1}s with {} faults; {:?}",
        apply_took.as_secs_f64(),
        total(&applied),
        destroy_took.as_secs_f64(),
        total(&destroyed),
        proxy.counts()
    );
    (applied, destroyed)
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_plan_and_destroy_hold_through_throttling_and_server_errors() {
    for seed in seeds() {
        let (applied, destroyed) = apply_plan_destroy(seed, faults(seed)).await;
        assert_faulted(&applied, "apply", 5);
        assert_faulted(&destroyed, "destroy", 3);
    }
}

/// AWS carries out a request and its answer never arrives, for one request in 12: the
/// SDK retries reads and follow-up calls (a rule authorized twice, a gateway attached
/// twice, a route created twice, a delete of what is gone), and stackctl looks up the
/// object of a create before sending it again. Nothing fails and nothing is made twice.
#[tokio::test(flavor = "multi_thread")]
async fn apply_plan_and_destroy_hold_when_answers_are_lost() {
    for seed in seeds() {
        let faults = Faults {
            lost_response: 0.08,
            throttle: 0.05,
            ..Faults::none(seed)
        };
        let (applied, destroyed) = apply_plan_destroy(seed, faults).await;
        let lost = |c: &BTreeMap<String, Counts>| c.values().map(|c| c.lost).sum::<u32>();
        assert!(
            lost(&applied) + lost(&destroyed) >= 5,
            "too few answers lost to prove anything: {applied:#?} {destroyed:#?}"
        );
    }
}

/// Nearly half the requests fail (40% throttling): the SDK's default retry quota runs
/// dry within a few hundred calls, and calls then fail on their first throttling error
/// with attempts left. With stackctl's, a call fails only when all its eight attempts
/// do, about one call in 500 at this rate.
#[tokio::test(flavor = "multi_thread")]
async fn heavy_throttling_never_exhausts_the_retry_quota() {
    use futures::StreamExt;
    let emulator = Emulator::start();
    let proxy = FaultProxy::start(
        &emulator.endpoint,
        Faults {
            throttle: 0.40,
            ..faults(7)
        },
    );
    let aws = Aws::for_emulator(REGION, &proxy.endpoint).await;
    let calls = 300;
    let failures: Vec<String> = futures::stream::iter(0..calls)
        .map(|_| {
            let ec2 = aws.ec2.clone();
            async move { ec2.describe_vpcs().send().await }
        })
        .buffer_unordered(32)
        .filter_map(|r| async move { r.err().map(|e| format!("{e:?}")) })
        .collect()
        .await;
    let ec2 = proxy.counts()["ec2"];
    assert!(ec2.throttled > 100, "too few faults: {ec2:?}");
    assert!(
        failures.len() <= calls / 50,
        "{} of {calls} calls failed ({ec2:?}), first: {}",
        failures.len(),
        failures[0]
    );
}

/// Many calls at once to a slow endpoint: the proxy never holds more requests of a
/// service than that service's bound.
#[tokio::test(flavor = "multi_thread")]
async fn each_service_keeps_to_its_bound_of_requests_in_flight() {
    let emulator = Emulator::start();
    let proxy = FaultProxy::start(
        &emulator.endpoint,
        Faults {
            latency: Duration::from_millis(200),
            ..Faults::none(11)
        },
    );
    let aws = Aws::for_emulator(REGION, &proxy.endpoint).await;
    let mut calls = Vec::new();
    for _ in 0..24 {
        let (ec2, iam, ecs) = (aws.ec2.clone(), aws.iam.clone(), aws.ecs.clone());
        calls.push(tokio::spawn(async move {
            ec2.describe_vpcs()
                .send()
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }));
        calls.push(tokio::spawn(async move {
            iam.list_roles()
                .send()
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }));
        calls.push(tokio::spawn(async move {
            ecs.list_clusters()
                .send()
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }));
    }
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    let peak = proxy.peak_in_flight();
    for service in [Service::Ec2, Service::Iam, Service::Ecs] {
        let (bound, service) = (service.in_flight(), service.signing_name());
        let seen = peak[service] as usize;
        assert!(
            seen > 1 && seen <= bound,
            "{service}: {seen} requests in flight at once, bound {bound}: {peak:?}"
        );
    }
}

/// Nothing listens at AWS_ENDPOINT_URL: stackctl says so at once (it retried the
/// refused connection for up to a minute before) and names what to check.
#[test]
fn an_endpoint_where_nothing_listens_fails_at_once_with_what_to_check() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dir = std::env::temp_dir().join(format!("stackctl-it-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let stack = dir.join("stack.toml");
    std::fs::copy(example(EXAMPLE), &stack).unwrap();
    let endpoint = format!("http://127.0.0.1:{closed}");
    let ws = Workspace {
        dir,
        stack,
        endpoint: endpoint.clone(),
    };
    let started = Instant::now();
    let plan = ws.run(&["plan"]);
    let took = started.elapsed();
    assert_eq!(
        plan.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        plan.stdout, plan.stderr
    );
    assert!(
        plan.stderr
            .contains(&format!("AWS_ENDPOINT_URL={endpoint}"))
            && plan.stderr.contains("Connection refused"),
        "{}",
        plan.stderr
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// Every service a kind calls is one the fault proxy answers for in its own error
/// format; one it did not know would pass through unfaulted, and the fault tests
/// would prove nothing for that kind.
#[test]
fn the_fault_proxy_knows_every_service_a_kind_calls() {
    use stackctl::address::Kind;
    use stackctl::resources::registry;
    for kind in Kind::ALL {
        let service = registry::service(*kind).signing_name();
        assert!(
            stackctl_bench::fault_proxy::knows(service),
            "{kind:?} calls {service}, which the fault proxy does not know"
        );
    }
    for service in Service::ALL {
        assert!(stackctl_bench::fault_proxy::knows(service.signing_name()));
    }
}
