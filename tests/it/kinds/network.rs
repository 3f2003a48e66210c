use crate::support::kinds::{Harness, user_tags};
use serde_json::json;
use stackctl::address::{Address, CloudId, Kind};
use stackctl::resources::Ref;
use stackctl::resources::Resource;
use stackctl::resources::elastic_ip::{ElasticIp, ElasticIpSpec};
use stackctl::resources::flow_log::{FlowLog, FlowLogSpec};
use stackctl::resources::iam_role::{IamRole, IamRoleSpec};
use stackctl::resources::internet_gateway::{InternetGateway, InternetGatewaySpec};
use stackctl::resources::log_group::{LogGroup, LogGroupSpec};
use stackctl::resources::nat_gateway::{NatGateway, NatGatewaySpec};
use stackctl::resources::route_table::{Route, RouteTable, RouteTableSpec};
use stackctl::resources::security_group::{Rule, SecurityGroup, SecurityGroupSpec};
use stackctl::resources::subnet::{Subnet, SubnetSpec};
use stackctl::resources::tags::{self, Tags};
use stackctl::resources::vpc::{Vpc, VpcSpec};

/// Every tag of an EC2 object, by key.
async fn ec2_tags(h: &Harness, id: &CloudId) -> std::collections::BTreeMap<String, String> {
    let out = h
        .aws
        .ec2
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(id.as_str())
                .build(),
        )
        .send()
        .await
        .expect("describe tags");
    out.tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn vpc_is_created_with_dns_hostnames_and_deleted() {
    let mut h = Harness::start().await;
    let spec = VpcSpec {
        cidr: "10.1.0.0/16".into(),
        tags: user_tags(),
    };
    let (address, created) = h.create::<Vpc>("main", &spec).await;
    let live = h.assert_in_sync::<Vpc>(&created.id, &spec).await;
    assert_eq!(live.attrs["dns_hostnames"], true);
    assert_eq!(Vpc::KIND.as_str(), "vpc");
    let found = ec2_tags(&h, &created.id).await;
    assert_eq!(found[tags::STACK_TAG], "kindtest");
    assert_eq!(found["team"], "a");
    let spec = h
        .retag::<Vpc>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    // An AWS-managed tag is no user tag: never reported, never removed. A tag added by
    // hand is, and goes with the next tag update.
    h.aws
        .ec2
        .create_tags()
        .resources(created.id.as_str())
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("aws:cloudformation:stack-name")
                .value("other")
                .build(),
        )
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("by-hand")
                .value("1")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let drifted = h.read::<Vpc>(&created.id).await.unwrap();
    assert_eq!(
        drifted.attrs["tags"],
        json!({"by-hand": "1", "cost-center": "42", "owner": "x", "team": "b"})
    );
    h.update::<Vpc>(&address, &created.id, &spec, &["tags"])
        .await;
    h.assert_in_sync::<Vpc>(&created.id, &spec).await;
    let found = ec2_tags(&h, &created.id).await;
    assert!(!found.contains_key("by-hand"), "{found:?}");
    assert_eq!(found["aws:cloudformation:stack-name"], "other");
    assert_eq!(found[tags::ADDRESS_TAG], "vpc.main");
    assert_eq!(found["Name"], "kindtest-main");

    h.delete::<Vpc>(&created.id).await;
}

/// The VPC's default security group, straight from EC2.
async fn default_group(h: &Harness, vpc_id: &CloudId) -> aws_sdk_ec2::types::SecurityGroup {
    let filter = |name: &str, value: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(name)
            .values(value)
            .build()
    };
    let out = h
        .aws
        .ec2
        .describe_security_groups()
        .filters(filter("vpc-id", vpc_id.as_str()))
        .filters(filter("group-name", "default"))
        .send()
        .await
        .expect("describe the default security group");
    out.security_groups()
        .first()
        .cloned()
        .expect("every VPC has a default security group")
}

#[tokio::test]
async fn vpc_default_security_group_is_stripped_and_a_rule_added_by_hand_is_revoked() {
    let mut h = Harness::start().await;
    let spec = VpcSpec {
        cidr: "10.1.0.0/16".into(),
        tags: Tags::new(),
    };
    let (address, created) = h.create::<Vpc>("main", &spec).await;
    // AWS's (and the emulator's) allow-all egress rule is gone right after create.
    let group = default_group(&h, &created.id).await;
    assert_eq!(group.ip_permissions(), []);
    assert_eq!(group.ip_permissions_egress(), []);
    let live = h.assert_in_sync::<Vpc>(&created.id, &spec).await;
    assert_eq!(
        live.attrs["default_security_group"],
        json!({"ingress": [], "egress": []})
    );

    // Rules put back by hand, as AWS creates them (members admit each other, all
    // out): drift, which an update of the attribute revokes again.
    let group_id = group.group_id().unwrap().to_string();
    h.aws
        .ec2
        .authorize_security_group_ingress()
        .group_id(&group_id)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("-1")
                .user_id_group_pairs(
                    aws_sdk_ec2::types::UserIdGroupPair::builder()
                        .group_id(&group_id)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("authorize ingress");
    h.aws
        .ec2
        .authorize_security_group_egress()
        .group_id(&group_id)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("authorize egress");
    let drifted = h.read::<Vpc>(&created.id).await.unwrap();
    assert_eq!(
        drifted.attrs["default_security_group"],
        json!({
            "ingress": [{"protocol": "-1", "from_port": -1, "to_port": -1, "source_group": group_id, "description": ""}],
            "egress": [{"protocol": "-1", "from_port": -1, "to_port": -1, "cidr": "0.0.0.0/0", "description": ""}],
        })
    );
    h.update::<Vpc>(&address, &created.id, &spec, &["default_security_group"])
        .await;
    h.assert_in_sync::<Vpc>(&created.id, &spec).await;
    let group = default_group(&h, &created.id).await;
    assert_eq!(group.ip_permissions(), []);
    assert_eq!(group.ip_permissions_egress(), []);

    h.delete::<Vpc>(&created.id).await;
}

/// A VPC through the harness, as the dependency of the kind under test.
async fn vpc(h: &mut Harness, name: &str, cidr: &str) -> (Address, CloudId) {
    let spec = VpcSpec {
        cidr: cidr.into(),
        tags: Tags::new(),
    };
    let (address, created) = h.create::<Vpc>(name, &spec).await;
    (address, created.id)
}

fn subnet_spec(vpc: &Address, cidr: &str, az: &str) -> SubnetSpec {
    SubnetSpec {
        vpc: Ref::id(vpc.clone()),
        cidr: cidr.into(),
        az: az.into(),
        public: true,
        tags: Tags::new(),
    }
}

#[tokio::test]
async fn subnet_is_created_without_public_ips_and_deleted() {
    let mut h = Harness::start().await;
    let (vpc_address, vpc_id) = vpc(&mut h, "main", "10.1.0.0/16").await;
    let mut spec = subnet_spec(&vpc_address, "10.1.1.0/24", "eu-west-2a");
    spec.tags = user_tags();
    let (address, created) = h.create::<Subnet>("public-0", &spec).await;
    let live = h.assert_in_sync::<Subnet>(&created.id, &spec).await;
    assert_eq!(live.attrs["vpc_id"], vpc_id.as_str());
    assert_eq!(live.attrs["cidr_block"], "10.1.1.0/24");
    assert_eq!(live.attrs["availability_zone"], "eu-west-2a");
    assert_eq!(live.attrs["map_public_ip_on_launch"], false);
    assert_eq!(live.outputs["id"], created.id.as_str());

    // Someone turns public IPs on by hand; update turns them off again.
    h.aws
        .ec2
        .modify_subnet_attribute()
        .subnet_id(created.id.as_str())
        .map_public_ip_on_launch(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let drifted = h.read::<Subnet>(&created.id).await.unwrap();
    assert_eq!(drifted.attrs["map_public_ip_on_launch"], true);
    h.update::<Subnet>(&address, &created.id, &spec, &["map_public_ip_on_launch"])
        .await;
    let live = h.assert_in_sync::<Subnet>(&created.id, &spec).await;
    assert_eq!(live.attrs["map_public_ip_on_launch"], false);
    h.retag::<Subnet>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    h.delete::<Subnet>(&created.id).await;
    h.delete::<Vpc>(&vpc_id).await;
}

#[tokio::test]
async fn subnets_are_refreshed_in_one_call_and_one_deleted_by_hand_reads_as_gone() {
    let mut h = Harness::start().await;
    let (vpc_address, vpc_id) = vpc(&mut h, "main", "10.1.0.0/16").await;
    let mut ids = Vec::new();
    for (i, az) in ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
        .iter()
        .enumerate()
    {
        let spec = subnet_spec(&vpc_address, &format!("10.1.{i}.0/24"), az);
        let (_, created) = h.create::<Subnet>(&format!("s-{i}"), &spec).await;
        ids.push(created.id);
    }
    let all = Subnet::read_many(&h.aws, &ids).await.unwrap();
    for (id, live) in ids.iter().zip(&all) {
        assert_eq!(live.as_ref(), h.read::<Subnet>(id).await.as_ref(), "{id}");
        assert_eq!(live.as_ref().unwrap().outputs["id"], id.as_str());
    }
    h.aws
        .ec2
        .delete_subnet()
        .subnet_id(ids[1].as_str())
        .send()
        .await
        .unwrap();
    let after = Subnet::read_many(&h.aws, &ids).await.unwrap();
    assert_eq!(after, vec![all[0].clone(), None, all[2].clone()]);

    h.delete::<Subnet>(&ids[0]).await;
    h.delete::<Subnet>(&ids[2]).await;
    h.delete::<Vpc>(&vpc_id).await;
}

#[tokio::test]
async fn internet_gateway_is_attached_moved_and_detached_on_delete() {
    let mut h = Harness::start().await;
    let (vpc_a, vpc_a_id) = vpc(&mut h, "a", "10.1.0.0/16").await;
    let (vpc_b, vpc_b_id) = vpc(&mut h, "b", "10.2.0.0/16").await;
    let spec = InternetGatewaySpec {
        vpc: Ref::id(vpc_a.clone()),
        tags: user_tags(),
    };
    let (address, created) = h.create::<InternetGateway>("main", &spec).await;
    assert!(created.id.as_str().starts_with("igw-"));
    let live = h
        .assert_in_sync::<InternetGateway>(&created.id, &spec)
        .await;
    assert_eq!(live.attrs["vpc_id"], vpc_a_id.as_str());

    let moved = h
        .retag::<InternetGateway>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;
    let moved = InternetGatewaySpec {
        vpc: Ref::id(vpc_b.clone()),
        ..moved
    };
    h.update::<InternetGateway>(&address, &created.id, &moved, &["vpc_id"])
        .await;
    let live = h
        .assert_in_sync::<InternetGateway>(&created.id, &moved)
        .await;
    assert_eq!(live.attrs["vpc_id"], vpc_b_id.as_str());
    // Detached from the first VPC: it can go now.
    h.delete::<Vpc>(&vpc_a_id).await;

    h.delete::<InternetGateway>(&created.id).await;
    h.delete::<Vpc>(&vpc_b_id).await;
}

#[tokio::test]
async fn flow_log_writes_to_its_group_with_its_role_and_is_deleted() {
    let mut h = Harness::start().await;
    let (vpc_address, vpc_id) = vpc(&mut h, "main", "10.1.0.0/16").await;
    let group_spec = LogGroupSpec {
        name: "/vpc/kindtest/flow-logs".into(),
        retention_days: 30,
        tags: Tags::new(),
    };
    let (group, group_created) = h.create::<LogGroup>("flow_logs", &group_spec).await;
    let role_spec = IamRoleSpec {
        name: "kindtest-flow-logs".into(),
        trusted_service: "vpc-flow-logs.amazonaws.com".into(),
        managed_policies: Vec::new(),
        readable_secrets: Vec::new(),
        writable_logs: vec!["arn:aws:logs:eu-west-2:*:log-group:/vpc/kindtest/flow-logs:*".into()],
        exec_channels: false,
        tags: Tags::new(),
    };
    let (role, role_created) = h.create::<IamRole>("flow_logs", &role_spec).await;
    h.assert_in_sync::<IamRole>(&role_created.id, &role_spec)
        .await;

    let spec = FlowLogSpec {
        vpc: Ref::id(vpc_address.clone()),
        traffic_type: "REJECT".into(),
        log_group: Ref::id(group.clone()),
        role: Ref::new(role.clone(), "arn"),
        tags: user_tags(),
    };
    let (address, created) = h.create::<FlowLog>("vpc", &spec).await;
    assert!(created.id.as_str().starts_with("fl-"), "{}", created.id);
    let live = h.assert_in_sync::<FlowLog>(&created.id, &spec).await;
    assert_eq!(live.attrs["vpc_id"], vpc_id.as_str());
    assert_eq!(live.attrs["traffic_type"], "REJECT");
    assert_eq!(live.attrs["log_group"], "/vpc/kindtest/flow-logs");
    assert_eq!(live.attrs["role"], role_created.outputs["arn"].as_str());
    h.retag::<FlowLog>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    h.delete::<FlowLog>(&created.id).await;
    h.delete::<IamRole>(&role_created.id).await;
    h.delete::<LogGroup>(&group_created.id).await;
    h.delete::<Vpc>(&vpc_id).await;
}

/// CreateFlowLogs succeeds even when nothing can be delivered; the flow log says so
/// in its delivery status, and the apply must not report success. (The emulator
/// reports FAILED for a group that does not exist; AWS also for a role that cannot
/// write to it.)
#[tokio::test]
async fn a_flow_log_that_cannot_deliver_fails_its_ready_step() {
    let mut h = Harness::start().await;
    let (vpc_address, _) = vpc(&mut h, "main", "10.1.0.0/16").await;
    let role_spec = IamRoleSpec {
        name: "kindtest-flow-logs".into(),
        trusted_service: "vpc-flow-logs.amazonaws.com".into(),
        managed_policies: Vec::new(),
        readable_secrets: Vec::new(),
        writable_logs: Vec::new(),
        exec_channels: false,
        tags: Tags::new(),
    };
    let (role, _) = h.create::<IamRole>("flow_logs", &role_spec).await;
    let missing = Address::new(Kind::LogGroup, "missing");
    h.outputs.insert(
        missing.clone(),
        [("id".to_string(), "/vpc/kindtest/missing".to_string())].into(),
    );
    let spec = FlowLogSpec {
        vpc: Ref::id(vpc_address),
        traffic_type: "ALL".into(),
        log_group: Ref::id(missing),
        role: Ref::new(role, "arn"),
        tags: Tags::new(),
    };
    let address = Address::new(Kind::FlowLog, "vpc");
    let created = FlowLog::create(&h.ctx(&address), &spec).await.unwrap();
    let error = FlowLog::wait_ready(&h.ctx(&address), &created.id, &spec)
        .await
        .expect_err("a flow log that cannot deliver is not ready");
    let text = error.to_string();
    assert!(
        text.contains("cannot deliver to log group /vpc/kindtest/missing")
            && text.contains("Access error"),
        "{text}"
    );
}

#[tokio::test]
async fn elastic_ip_is_allocated_tagged_and_released() {
    let mut h = Harness::start().await;
    let spec = ElasticIpSpec { tags: user_tags() };
    let (address, created) = h.create::<ElasticIp>("nat-0", &spec).await;
    assert!(created.id.as_str().starts_with("eipalloc-"));
    let public_ip = created.outputs["public_ip"].clone();
    assert!(
        public_ip.parse::<std::net::Ipv4Addr>().is_ok(),
        "{public_ip}"
    );
    let live = h.assert_in_sync::<ElasticIp>(&created.id, &spec).await;
    assert_eq!(live.attrs["domain"], "vpc");
    assert_eq!(live.outputs["public_ip"], public_ip);
    assert_eq!(live.outputs["id"], created.id.as_str());

    let out = h
        .aws
        .ec2
        .describe_addresses()
        .allocation_ids(created.id.as_str())
        .send()
        .await
        .unwrap();
    let tags: Vec<(&str, &str)> = out.addresses()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert!(
        tags.contains(&("stackctl:address", "elastic_ip.nat-0")),
        "{tags:?}"
    );
    assert!(tags.contains(&("Name", "kindtest-nat-0")), "{tags:?}");

    // Nothing else changes in place; an update without changes must still succeed.
    h.update::<ElasticIp>(&address, &created.id, &spec, &[])
        .await;
    h.assert_in_sync::<ElasticIp>(&created.id, &spec).await;
    h.retag::<ElasticIp>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    h.delete::<ElasticIp>(&created.id).await;
}

/// VPC, attached internet gateway and a public subnet: what a NAT gateway needs.
async fn public_network(h: &mut Harness) -> (Address, Address, Address) {
    let (vpc_address, _) = vpc(h, "main", "10.1.0.0/16").await;
    let (igw, _) = h
        .create::<InternetGateway>(
            "main",
            &InternetGatewaySpec {
                vpc: Ref::id(vpc_address.clone()),
                tags: Tags::new(),
            },
        )
        .await;
    let (subnet, _) = h
        .create::<Subnet>(
            "public-0",
            &subnet_spec(&vpc_address, "10.1.1.0/24", "eu-west-2a"),
        )
        .await;
    (vpc_address, igw, subnet)
}

fn id_of(h: &Harness, address: &Address) -> CloudId {
    CloudId::new(h.outputs[address]["id"].clone())
}

#[tokio::test]
async fn nat_gateway_becomes_available_and_is_deleted_before_its_address() {
    let mut h = Harness::start().await;
    let (_, _, subnet) = public_network(&mut h).await;
    let (eip, _) = h
        .create::<ElasticIp>("nat-0", &ElasticIpSpec { tags: Tags::new() })
        .await;
    let spec = NatGatewaySpec {
        subnet: Ref::id(subnet.clone()),
        eip: Ref::id(eip.clone()),
        tags: user_tags(),
    };
    let (address, created) = h.create::<NatGateway>("nat-0", &spec).await;
    assert!(created.id.as_str().starts_with("nat-"));
    let live = h.assert_in_sync::<NatGateway>(&created.id, &spec).await;
    assert_eq!(live.attrs["subnet_id"], id_of(&h, &subnet).as_str());
    assert_eq!(live.attrs["allocation_id"], id_of(&h, &eip).as_str());

    // Both other attributes replace; an update without changes must not fail.
    h.update::<NatGateway>(&address, &created.id, &spec, &[])
        .await;
    h.assert_in_sync::<NatGateway>(&created.id, &spec).await;
    h.retag::<NatGateway>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    h.delete::<NatGateway>(&created.id).await;
    let out = h
        .aws
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(created.id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.nat_gateways()[0].state(),
        Some(&aws_sdk_ec2::types::NatGatewayState::Deleted)
    );
    h.delete::<ElasticIp>(&id_of(&h, &eip)).await;
    h.delete::<Subnet>(&id_of(&h, &subnet)).await;
}

#[tokio::test]
async fn route_table_routes_and_associations_are_created_updated_and_removed() {
    let mut h = Harness::start().await;
    let (vpc_address, igw, subnet_a) = public_network(&mut h).await;
    let (subnet_b, _) = h
        .create::<Subnet>(
            "public-1",
            &subnet_spec(&vpc_address, "10.1.2.0/24", "eu-west-2b"),
        )
        .await;
    let (eip, _) = h
        .create::<ElasticIp>("nat-0", &ElasticIpSpec { tags: Tags::new() })
        .await;
    let (nat, _) = h
        .create::<NatGateway>(
            "nat-0",
            &NatGatewaySpec {
                subnet: Ref::id(subnet_a.clone()),
                eip: Ref::id(eip.clone()),
                tags: Tags::new(),
            },
        )
        .await;
    let igw_id = id_of(&h, &igw).to_string();
    let nat_id = id_of(&h, &nat).to_string();
    let a_id = id_of(&h, &subnet_a).to_string();
    let b_id = id_of(&h, &subnet_b).to_string();
    let to_igw = |destination: &str| Route {
        destination: destination.into(),
        internet_gateway: Some(Ref::id(igw.clone())),
        nat_gateway: None,
    };
    let to_nat = |destination: &str| Route {
        destination: destination.into(),
        internet_gateway: None,
        nat_gateway: Some(Ref::id(nat.clone())),
    };

    let spec = RouteTableSpec {
        vpc: Ref::id(vpc_address.clone()),
        routes: vec![to_igw("0.0.0.0/0")],
        subnets: vec![Ref::id(subnet_a.clone())],
        tags: user_tags(),
    };
    let (address, created) = h.create::<RouteTable>("public", &spec).await;
    let live = h.assert_in_sync::<RouteTable>(&created.id, &spec).await;
    assert_eq!(
        live.attrs["routes"],
        json!([{"destination": "0.0.0.0/0", "target": igw_id}])
    );
    assert_eq!(live.attrs["subnet_ids"], json!([a_id]));
    let spec = h
        .retag::<RouteTable>(&address, &created.id, &spec, |s| &mut s.tags)
        .await;

    // Replace the default route's target, add a route, move the association.
    let changed = RouteTableSpec {
        vpc: Ref::id(vpc_address.clone()),
        routes: vec![to_nat("0.0.0.0/0"), to_igw("10.9.0.0/16")],
        subnets: vec![Ref::id(subnet_b.clone())],
        tags: spec.tags.clone(),
    };
    h.update::<RouteTable>(&address, &created.id, &changed, &["routes", "subnet_ids"])
        .await;
    let live = h.assert_in_sync::<RouteTable>(&created.id, &changed).await;
    assert_eq!(
        live.attrs["routes"],
        json!([
            {"destination": "0.0.0.0/0", "target": nat_id},
            {"destination": "10.9.0.0/16", "target": igw_id},
        ])
    );
    assert_eq!(live.attrs["subnet_ids"], json!([b_id]));

    // Remove a route; associate both subnets (sorted like the live side).
    let fewer = RouteTableSpec {
        vpc: Ref::id(vpc_address.clone()),
        routes: vec![to_nat("0.0.0.0/0")],
        subnets: vec![Ref::id(subnet_b.clone()), Ref::id(subnet_a.clone())],
        tags: spec.tags.clone(),
    };
    h.update::<RouteTable>(&address, &created.id, &fewer, &["routes", "subnet_ids"])
        .await;
    let live = h.assert_in_sync::<RouteTable>(&created.id, &fewer).await;
    assert_eq!(
        live.attrs["routes"],
        json!([{"destination": "0.0.0.0/0", "target": nat_id}])
    );
    let mut both = vec![a_id.clone(), b_id.clone()];
    both.sort();
    assert_eq!(live.attrs["subnet_ids"], json!(both));

    // Delete disassociates both subnets first (AWS refuses otherwise).
    h.delete::<RouteTable>(&created.id).await;
}

fn rule(
    protocol: &str,
    ports: (i32, i32),
    cidr: Option<&str>,
    group: Option<&Address>,
    description: &str,
) -> Rule {
    Rule {
        protocol: protocol.into(),
        from_port: ports.0,
        to_port: ports.1,
        cidr: cidr.map(str::to_string),
        source_group: group.map(|g| Ref::id(g.clone())),
        prefix_list: None,
        description: description.into(),
    }
}

#[tokio::test]
async fn security_group_rules_equal_the_spec_exactly() {
    let mut h = Harness::start().await;
    let (vpc_address, vpc_id) = vpc(&mut h, "main", "10.1.0.0/16").await;
    let alb_spec = SecurityGroupSpec {
        vpc: Ref::id(vpc_address.clone()),
        description: "kindtest load balancer".into(),
        ingress: vec![rule(
            "tcp",
            (80, 80),
            Some("0.0.0.0/0"),
            None,
            "HTTP from anywhere",
        )],
        egress: vec![rule(
            "-1",
            (-1, -1),
            Some("0.0.0.0/0"),
            None,
            "all outbound",
        )],
        tags: user_tags(),
    };
    let (alb, alb_created) = h.create::<SecurityGroup>("alb", &alb_spec).await;
    assert!(alb_created.id.as_str().starts_with("sg-"));
    let live = h
        .assert_in_sync::<SecurityGroup>(&alb_created.id, &alb_spec)
        .await;
    assert_eq!(live.attrs["vpc_id"], vpc_id.as_str());
    assert_eq!(live.attrs["group_name"], "kindtest-alb");
    assert_eq!(live.attrs["description"], "kindtest load balancer");
    assert_eq!(
        live.attrs["ingress"],
        json!([{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr": "0.0.0.0/0", "description": "HTTP from anywhere"}])
    );
    // AWS's default egress rule (no description) was replaced by the wanted one.
    assert_eq!(
        live.attrs["egress"],
        json!([{"protocol": "-1", "from_port": -1, "to_port": -1, "cidr": "0.0.0.0/0", "description": "all outbound"}])
    );
    let alb_spec = h
        .retag::<SecurityGroup>(&alb, &alb_created.id, &alb_spec, |s| &mut s.tags)
        .await;
    // The rules did not move.
    assert_eq!(
        h.read::<SecurityGroup>(&alb_created.id)
            .await
            .unwrap()
            .attrs["ingress"],
        live.attrs["ingress"]
    );
    assert_eq!(alb_spec.description, "kindtest load balancer");

    let svc_spec = SecurityGroupSpec {
        vpc: Ref::id(vpc_address.clone()),
        description: "kindtest service web".into(),
        ingress: vec![rule(
            "tcp",
            (8080, 8080),
            None,
            Some(&alb),
            "from the load balancer",
        )],
        egress: vec![],
        tags: Tags::new(),
    };
    let (svc, svc_created) = h.create::<SecurityGroup>("web", &svc_spec).await;
    let live = h
        .assert_in_sync::<SecurityGroup>(&svc_created.id, &svc_spec)
        .await;
    assert_eq!(
        live.attrs["ingress"],
        json!([{"protocol": "tcp", "from_port": 8080, "to_port": 8080, "source_group": alb_created.id.as_str(), "description": "from the load balancer"}])
    );
    // The default egress rule is gone: no rule wanted, none live.
    assert_eq!(live.attrs["egress"], json!([]));

    // A source-group rule's description changes, a CIDR rule and an egress rule come.
    let changed = SecurityGroupSpec {
        vpc: Ref::id(vpc_address.clone()),
        description: "kindtest service web".into(),
        ingress: vec![
            rule("tcp", (8080, 8080), None, Some(&alb), "from the ALB"),
            rule(
                "tcp",
                (8080, 8080),
                Some("10.1.0.0/16"),
                None,
                "from the VPC",
            ),
        ],
        egress: vec![rule(
            "tcp",
            (443, 443),
            Some("0.0.0.0/0"),
            None,
            "HTTPS out",
        )],
        tags: Tags::new(),
    };
    h.update::<SecurityGroup>(&svc, &svc_created.id, &changed, &["ingress", "egress"])
        .await;
    let live = h
        .assert_in_sync::<SecurityGroup>(&svc_created.id, &changed)
        .await;
    assert_eq!(
        live.attrs["ingress"],
        // Sorted by protocol, ports, then peer: a rule without a CIDR sorts first.
        json!([
            {"protocol": "tcp", "from_port": 8080, "to_port": 8080, "source_group": alb_created.id.as_str(), "description": "from the ALB"},
            {"protocol": "tcp", "from_port": 8080, "to_port": 8080, "cidr": "10.1.0.0/16", "description": "from the VPC"},
        ])
    );
    assert_eq!(
        live.attrs["egress"],
        json!([{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "0.0.0.0/0", "description": "HTTPS out"}])
    );

    // Everything revoked again.
    let empty = SecurityGroupSpec {
        ingress: vec![],
        egress: vec![],
        ..changed.clone()
    };
    h.update::<SecurityGroup>(&svc, &svc_created.id, &empty, &["ingress", "egress"])
        .await;
    let live = h
        .assert_in_sync::<SecurityGroup>(&svc_created.id, &empty)
        .await;
    assert_eq!(live.attrs["ingress"], json!([]));
    assert_eq!(live.attrs["egress"], json!([]));

    h.delete::<SecurityGroup>(&svc_created.id).await;
    h.delete::<SecurityGroup>(&alb_created.id).await;
    h.delete::<Vpc>(&vpc_id).await;
}

#[tokio::test]
async fn security_group_admits_a_managed_prefix_list_named_by_its_name() {
    const CLOUDFRONT: &str = "com.amazonaws.global.cloudfront.origin-facing";
    let mut h = Harness::start().await;
    let (vpc_address, vpc_id) = vpc(&mut h, "main", "10.1.0.0/16").await;
    let from_cloudfront = |port: i32| Rule {
        prefix_list: Some(CLOUDFRONT.into()),
        ..rule("tcp", (port, port), None, None, "")
    };
    let spec = SecurityGroupSpec {
        vpc: Ref::id(vpc_address.clone()),
        description: "kindtest load balancer".into(),
        ingress: vec![from_cloudfront(80)],
        egress: vec![],
        tags: Tags::new(),
    };
    let (address, created) = h.create::<SecurityGroup>("alb", &spec).await;
    let live = h.assert_in_sync::<SecurityGroup>(&created.id, &spec).await;
    assert_eq!(
        live.attrs["ingress"],
        json!([{"protocol": "tcp", "from_port": 80, "to_port": 80, "prefix_list": CLOUDFRONT, "description": ""}])
    );
    // AWS holds the region's id of the list, which read reported by its name.
    let lists = h
        .aws
        .ec2
        .describe_managed_prefix_lists()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("prefix-list-name")
                .values(CLOUDFRONT)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let list_id = lists.prefix_lists()[0]
        .prefix_list_id()
        .unwrap()
        .to_string();
    let group = h
        .aws
        .ec2
        .describe_security_groups()
        .group_ids(created.id.as_str())
        .send()
        .await
        .unwrap();
    let peers: Vec<&str> = group.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| p.prefix_list_ids())
        .filter_map(|p| p.prefix_list_id())
        .collect();
    assert_eq!(peers, [list_id.as_str()]);

    // The port moves (revoke and authorize by id); then open to anywhere instead.
    let moved = SecurityGroupSpec {
        ingress: vec![from_cloudfront(443)],
        ..spec.clone()
    };
    h.update::<SecurityGroup>(&address, &created.id, &moved, &["ingress"])
        .await;
    let live = h.assert_in_sync::<SecurityGroup>(&created.id, &moved).await;
    assert_eq!(live.attrs["ingress"][0]["from_port"], 443);
    let open = SecurityGroupSpec {
        ingress: vec![rule("tcp", (443, 443), Some("0.0.0.0/0"), None, "HTTPS")],
        ..spec.clone()
    };
    h.update::<SecurityGroup>(&address, &created.id, &open, &["ingress"])
        .await;
    let live = h.assert_in_sync::<SecurityGroup>(&created.id, &open).await;
    assert_eq!(
        live.attrs["ingress"],
        json!([{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "0.0.0.0/0", "description": "HTTPS"}])
    );

    // A list that does not exist is refused with its name.
    let missing = SecurityGroupSpec {
        ingress: vec![Rule {
            prefix_list: Some("com.example.nothing".into()),
            ..rule("tcp", (80, 80), None, None, "")
        }],
        ..spec.clone()
    };
    let deps = h.outputs.clone();
    let ctx = stackctl::resources::Ctx::new(&h.aws, "kindtest", &address, &deps);
    let err = SecurityGroup::update(&ctx, &created.id, &missing, &["ingress".into()])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("com.example.nothing"), "{err}");

    h.delete::<SecurityGroup>(&created.id).await;
    h.delete::<Vpc>(&vpc_id).await;
}
