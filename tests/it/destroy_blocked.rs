//! A destroy that AWS keeps refusing with DependencyViolation retries within a bound
//! (`--dependency-timeout`) and then names what blocks it, keeping in the state what
//! it could not delete; once the blocker is gone, destroy finishes.
//!
//! The emulator deletes a subnet or a security group whatever still uses it; it does
//! refuse a VPC that still holds a subnet. So the stray interface sits in a subnet
//! made by hand inside the stack's VPC, and the lookups for subnets and security
//! groups are checked on their own.

use crate::support::cli::{Workspace, example};
use crate::support::emulator::{Emulator, REGION};
use crate::support::leftovers;
use aws_sdk_ec2::types::{IpPermission, UserIdGroupPair};
use stackctl::address::Address;
use stackctl::aws::Aws;
use stackctl::aws::blockers::{self, Blocked, Blocker};
use stackctl::aws::call_log::CallLog;
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn a_destroy_blocked_by_a_stray_interface_names_it_and_finishes_once_it_is_gone() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.apply(&[]).ok();
    // Stackctl never deletes images; the owner deleted them before tearing down.
    ws.delete_images();
    let aws = Aws::for_emulator("eu-central-1", &emulator.endpoint).await;
    let vpc: Address = "vpc.main".parse().unwrap();
    let vpc_id = ws.state().resources[&vpc].id.to_string();

    // Someone put a host's interface into a subnet of their own in the stack's VPC.
    let stray_subnet = aws
        .ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.0.250.0/24")
        .availability_zone("eu-central-1a")
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let eni = aws
        .ec2
        .create_network_interface()
        .subnet_id(&stray_subnet)
        .description("bastion host, made by hand")
        .send()
        .await
        .unwrap()
        .network_interface()
        .unwrap()
        .network_interface_id()
        .unwrap()
        .to_string();

    let log = ws.dir.join("destroy.calls.jsonl");
    let started = Instant::now();
    let blocked = ws.run(&[
        "--dependency-timeout",
        "2s",
        "--api-log",
        log.to_str().unwrap(),
        "destroy",
        "--auto-approve",
    ]);
    assert!(
        started.elapsed() < BOUND,
        "took {:?}:\n{}",
        started.elapsed(),
        blocked.stderr
    );
    assert_eq!(blocked.code, 1, "{}\n{}", blocked.stdout, blocked.stderr);
    for expected in [
        "vpc.main: FAILED: DeleteVpc failed: DependencyViolation: ".to_string(),
        "  still in use after 2s of retries, by:".to_string(),
        format!(
            "    network interface {eni} in {stray_subnet}: \"bastion host, made by hand\", \
             type interface, available, "
        ),
        // (the emulator names a requester for every interface)
        format!(
            "not attached: delete it (aws ec2 delete-network-interface \
             --network-interface-id {eni})"
        ),
        format!("    subnet {stray_subnet} (10.0.250.0/24), not this stack's: delete it"),
        "  What to do: deal with the above, then run `stackctl destroy` again.".to_string(),
    ] {
        assert!(
            blocked.stderr.contains(&expected),
            "missing `{expected}`:\n{}",
            blocked.stderr
        );
    }
    // It retried before giving up, and kept what it could not delete.
    let attempts = CallLog::read(&log)
        .unwrap()
        .into_iter()
        .filter(|c| c.operation == "DeleteVpc")
        .count();
    assert!(attempts > 1, "DeleteVpc tried {attempts} time(s)");
    let state = ws.state();
    assert_eq!(
        state.resources.keys().collect::<Vec<_>>(),
        vec![&vpc],
        "everything but the VPC is deleted and the VPC is still recorded"
    );

    // The owner cleans up; destroy finishes.
    aws.ec2
        .delete_network_interface()
        .network_interface_id(&eni)
        .send()
        .await
        .unwrap();
    aws.ec2
        .delete_subnet()
        .subnet_id(&stray_subnet)
        .send()
        .await
        .unwrap();
    ws.run(&["destroy", "--auto-approve"]).ok();
    assert!(ws.state().resources.is_empty());
    assert_eq!(
        leftovers::of_stack(&aws, "hello").await,
        Vec::<String>::new()
    );
}

/// The lookups for a subnet and a security group, which the emulator never refuses
/// to delete: the interfaces in the subnet, the interfaces using the group and the
/// groups whose rules refer to it.
#[tokio::test(flavor = "multi_thread")]
async fn blockers_of_a_subnet_and_a_security_group_are_found() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let ec2 = &aws.ec2;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.1.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.1.1.0/24")
        .availability_zone(format!("{REGION}a"))
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let group = |name: &'static str| {
        let vpc = vpc.clone();
        async move {
            ec2.create_security_group()
                .group_name(name)
                .description(name)
                .vpc_id(vpc)
                .send()
                .await
                .unwrap()
                .group_id()
                .unwrap()
                .to_string()
        }
    };
    let web = group("web").await;
    let bastion = group("bastion").await;
    ec2.authorize_security_group_ingress()
        .group_id(&bastion)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&web).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let eni = ec2
        .create_network_interface()
        .subnet_id(&subnet)
        .groups(&web)
        .description("ELB app/other-alb/50dc6c495c0c9188")
        .send()
        .await
        .unwrap()
        .network_interface()
        .unwrap()
        .network_interface_id()
        .unwrap()
        .to_string();
    let interface_ids = |found: &[Blocker]| -> Vec<String> {
        found
            .iter()
            .filter_map(|b| match b {
                Blocker::Interface(i) => Some(i.id.clone()),
                _ => None,
            })
            .collect()
    };

    let in_subnet = blockers::find(&aws, Blocked::Subnet(&subnet))
        .await
        .unwrap();
    assert_eq!(interface_ids(&in_subnet), vec![eni.clone()]);
    let Blocker::Interface(i) = &in_subnet[0] else {
        unreachable!()
    };
    assert_eq!(i.description, "ELB app/other-alb/50dc6c495c0c9188");
    assert_eq!(i.subnet, subnet);

    let of_group = blockers::find(&aws, Blocked::SecurityGroup(&web))
        .await
        .unwrap();
    assert_eq!(interface_ids(&of_group), vec![eni.clone()]);
    assert!(
        of_group.contains(&Blocker::ReferringGroup {
            id: bastion.clone(),
            name: "bastion".into()
        }),
        "{of_group:?}"
    );
    // The group that only refers to another is held by nothing.
    let of_bastion = blockers::find(&aws, Blocked::SecurityGroup(&bastion))
        .await
        .unwrap();
    assert_eq!(of_bastion, Vec::new());
}
