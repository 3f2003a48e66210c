use super::*;

const L: Duration = Duration::from_millis(50);

fn node(address: &str, depends_on: &[&str]) -> Node {
    Node {
        address: address.into(),
        kind: address.split('.').next().unwrap().into(),
        depends_on: depends_on.iter().map(|d| d.to_string()).collect(),
    }
}

/// A small web stack: the NAT chain and the ALB chain meet at the service;
/// CloudFront hangs off the ALB.
fn stack() -> Vec<Node> {
    vec![
        node("vpc.main", &[]),
        node("subnet.public", &["vpc.main"]),
        node("elastic_ip.nat", &[]),
        node("nat_gateway.main", &["subnet.public", "elastic_ip.nat"]),
        node("route_table.private", &["vpc.main", "nat_gateway.main"]),
        node("load_balancer.main", &["subnet.public"]),
        node("target_group.web", &["vpc.main"]),
        node("listener.http", &["load_balancer.main", "target_group.web"]),
        node("ecs_cluster.main", &[]),
        node("task_definition.web", &[]),
        node(
            "ecs_service.web",
            &[
                "ecs_cluster.main",
                "task_definition.web",
                "listener.http",
                "route_table.private",
            ],
        ),
        node("cloudfront_distribution.main", &["load_balancer.main"]),
    ]
}

#[test]
fn without_waits_the_bound_is_the_longest_chain_of_calls() {
    // The NAT side: vpc 1, subnet 1, NAT 1, route table 2, service 1 + poll: 7 calls.
    // (The ALB side: vpc 1, subnet 1, load balancer 1, listener 1, service 1 + poll: 6.)
    let b = apply(&stack(), L, None);
    assert_eq!(b.total, L * 7, "{b:?}");
    assert!(b.path.contains(&"nat_gateway.main".to_string()), "{b:?}");
    assert_eq!(b.path.first().map(String::as_str), Some("vpc.main"));
    assert_eq!(b.path.last().map(String::as_str), Some("ecs_service.web"));
}

#[test]
fn with_waits_the_longest_wait_chain_wins_and_the_others_overlap() {
    let t = Timing::scaled();
    let b = apply(&stack(), L, Some(&t));
    // CloudFront: vpc 1 + subnet 1 + ALB 1 + its create 1 calls, 8 s, one poll.
    assert_eq!(b.total, L * 5 + t.distribution, "{b:?}");
    assert_eq!(
        b.path.last().map(String::as_str),
        Some("cloudfront_distribution.main")
    );
    // Without CloudFront the service ends it: the ALB's 3 s (after vpc 1, subnet 1,
    // ALB 1) outlasts the NAT's 2 s plus the 2 s rollout? No: NAT ready at 3 calls +
    // 2 s, rollout from then 2 s = 3 calls + 4 s, later than ALB 3 calls + 3 s.
    let no_cdn: Vec<Node> = stack()
        .into_iter()
        .filter(|n| n.kind != "cloudfront_distribution")
        .collect();
    let b = apply(&no_cdn, L, Some(&t));
    let nat_ready = L * 3 + t.nat_gateway;
    let service_created = L * 5;
    assert!(nat_ready > service_created);
    assert_eq!(b.total, nat_ready + t.service + L, "{b:?}");
    assert!(b.path.contains(&"nat_gateway.main".to_string()), "{b:?}");
}

#[test]
fn destroy_runs_the_graph_backwards_and_waits_for_the_disabled_distribution() {
    let no_cdn: Vec<Node> = stack()
        .into_iter()
        .filter(|n| n.kind != "cloudfront_distribution")
        .collect();
    let b = destroy(&no_cdn, L, None);
    // service 1, listener 1, load balancer 2, subnet 1, vpc 1 = 6; the NAT side:
    // service 1, route table 2, NAT 2, subnet 1, vpc 1 = 7.
    assert_eq!(b.total, L * 7, "{b:?}");
    assert!(b.path.contains(&"nat_gateway.main".to_string()), "{b:?}");
    assert_eq!(b.path.last().map(String::as_str), Some("vpc.main"));
    let t = Timing::scaled();
    let b = destroy(&stack(), L, Some(&t));
    // CloudFront 3 calls + 8 s + a poll, then load balancer 2, subnet 1, vpc 1.
    assert_eq!(b.total, L * 8 + t.distribution, "{b:?}");
    assert_eq!(
        b.path.first().map(String::as_str),
        Some("cloudfront_distribution.main")
    );
}

#[test]
fn every_kind_of_stackctl_has_a_chain_of_its_own() {
    let kinds = [
        "vpc",
        "subnet",
        "internet_gateway",
        "elastic_ip",
        "nat_gateway",
        "route_table",
        "security_group",
        "ecr_repository",
        "log_group",
        "iam_role",
        "ecs_cluster",
        "load_balancer",
        "target_group",
        "listener",
        "listener_rule",
        "task_definition",
        "ecs_service",
        "cloudfront_distribution",
    ];
    for kind in kinds {
        let c = chain(kind);
        assert!(c.create >= 1 && c.delete >= 1, "{kind}");
    }
    assert_eq!(
        chain("vpc"),
        Chain {
            create: 1,
            delete: 1
        }
    );
    assert_eq!(
        chain("cloudfront_distribution"),
        Chain {
            create: 1,
            delete: 3
        }
    );
}

#[test]
#[should_panic(expected = "dependency cycle")]
fn a_cycle_is_refused() {
    apply(
        &[node("vpc.a", &["subnet.b"]), node("subnet.b", &["vpc.a"])],
        L,
        None,
    );
}
