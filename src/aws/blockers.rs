//! What keeps a network object from being deleted, named when AWS keeps answering
//! DependencyViolation.
//!
//! The usual culprits are network interfaces: those of load balancers, NAT gateways
//! and Fargate tasks linger for minutes after their owner is gone (AWS removes them
//! by itself), and those someone made by hand stay until deleted. AWS's own answer
//! ("has dependencies and cannot be deleted") names none of them, so after the
//! retries (`while_in_use`) run out this looks them up — by subnet, by security
//! group, by VPC — and says for each what it is, who owns it and what to do. A VPC
//! is also held by subnets and security groups that are not the stack's (the
//! stack's own are deleted before it); a security group by rules of other groups
//! that refer to it.

use super::Aws;
use super::error::{AwsError, SdkResultExt};
use aws_sdk_ec2::types::{Filter, NetworkInterface, NetworkInterfaceStatus};
use std::fmt;
use std::time::Duration;

/// The object whose delete AWS refuses.
#[derive(Debug, Clone, Copy)]
pub enum Blocked<'a> {
    Subnet(&'a str),
    SecurityGroup(&'a str),
    Vpc(&'a str),
    /// Detaching an internet gateway from a VPC that still has public addresses
    /// mapped (interfaces with a public IP).
    GatewayAttachment {
        vpc: &'a str,
    },
}

/// One thing that uses the blocked object.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocker {
    Interface(Interface),
    Subnet {
        id: String,
        cidr: String,
    },
    SecurityGroup {
        id: String,
        name: String,
    },
    /// A group whose rules refer to the blocked group.
    ReferringGroup {
        id: String,
        name: String,
    },
}

/// A network interface, with what tells its owner.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Interface {
    pub id: String,
    pub description: String,
    /// `interface`, `nat_gateway`, `network_load_balancer`, `lambda`, ...
    pub interface_type: String,
    /// `in-use`, `available`, ...
    pub status: String,
    pub subnet: String,
    /// Who created it for whom: `amazon-elb`, an account id for ECS, ...
    pub requester: Option<String>,
    /// Managed by an AWS service (removed by it, not by you).
    pub requester_managed: bool,
    pub instance: Option<String>,
    pub attachment_owner: Option<String>,
    pub public_ip: Option<String>,
}

impl Interface {
    fn from_sdk(n: &NetworkInterface) -> Self {
        let attachment = n.attachment();
        Interface {
            id: n.network_interface_id().unwrap_or("?").to_string(),
            description: n.description().unwrap_or_default().to_string(),
            interface_type: n
                .interface_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            status: n
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            subnet: n.subnet_id().unwrap_or_default().to_string(),
            requester: n.requester_id().map(str::to_string),
            requester_managed: n.requester_managed().unwrap_or(false),
            instance: attachment.and_then(|a| a.instance_id()).map(str::to_string),
            attachment_owner: attachment
                .and_then(|a| a.instance_owner_id())
                .map(str::to_string),
            public_ip: n
                .association()
                .and_then(|a| a.public_ip())
                .map(str::to_string),
        }
    }

    /// What a person does about it.
    fn advice(&self) -> String {
        if self.requester_managed {
            "AWS removes it a few minutes after its owner is deleted: delete the owner \
             if it is not this stack's, else wait"
                .into()
        } else if let Some(instance) = &self.instance {
            format!("detach it from {instance} or terminate {instance}")
        } else if self.status == NetworkInterfaceStatus::Available.as_str() {
            format!(
                "delete it (aws ec2 delete-network-interface --network-interface-id {})",
                self.id
            )
        } else {
            "detach and delete it".into()
        }
    }
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::Interface(i) => {
                write!(f, "network interface {}", i.id)?;
                if !i.subnet.is_empty() {
                    write!(f, " in {}", i.subnet)?;
                }
                write!(f, ": \"{}\"", i.description)?;
                if !i.interface_type.is_empty() {
                    write!(f, ", type {}", i.interface_type)?;
                }
                if !i.status.is_empty() {
                    write!(f, ", {}", i.status)?;
                }
                if let Some(r) = &i.requester {
                    write!(f, ", requested by {r}")?;
                }
                match (&i.instance, &i.attachment_owner) {
                    (Some(instance), _) => write!(f, ", attached to {instance}")?,
                    (None, Some(owner)) => write!(f, ", attached for account {owner}")?,
                    (None, None) => write!(f, ", not attached")?,
                }
                if let Some(ip) = &i.public_ip {
                    write!(f, ", public IP {ip}")?;
                }
                write!(f, ": {}", i.advice())
            }
            Blocker::Subnet { id, cidr } => {
                write!(f, "subnet {id} ({cidr}), not this stack's: delete it")
            }
            Blocker::SecurityGroup { id, name } => write!(
                f,
                "security group {id} ({name}), not this stack's: delete it"
            ),
            Blocker::ReferringGroup { id, name } => write!(
                f,
                "security group {id} ({name}) refers to it in a rule: remove that rule"
            ),
        }
    }
}

/// At most this many blockers are listed; the rest are counted.
const LISTED: usize = 20;

/// The message of a delete that was still refused after `waited`: AWS's words, then
/// every blocker found (or why none could be), then what to do.
pub fn message(
    refused: &AwsError,
    waited: Duration,
    blockers: &[Blocker],
    lookup: Option<&AwsError>,
) -> String {
    let mut text = format!(
        "{}\n  still in use after {}s of retries",
        refused.message,
        waited.as_secs()
    );
    match (blockers, lookup) {
        (_, Some(e)) => text.push_str(&format!("; could not look up by what: {e}")),
        ([], None) => text.push_str("; AWS lists nothing that uses it any more"),
        (found, None) => {
            text.push_str(", by:");
            for b in found.iter().take(LISTED) {
                text.push_str(&format!("\n    {b}"));
            }
            if found.len() > LISTED {
                text.push_str(&format!("\n    and {} more", found.len() - LISTED));
            }
        }
    }
    text.push_str(
        "\n  What to do: deal with the above, then run `stackctl destroy` again. \
         Interfaces of load balancers, NAT gateways and Fargate tasks go away by \
         themselves minutes after their owner: to wait for them longer, give destroy \
         --dependency-timeout (e.g. 20m).",
    );
    text
}

/// Passes `result` through, except a delete AWS still refuses as in use: that
/// becomes an error naming what uses the object.
pub async fn explain(
    aws: &Aws,
    blocked: Blocked<'_>,
    waited: Duration,
    result: Result<(), AwsError>,
) -> Result<(), AwsError> {
    let refused = match result {
        Err(e) if e.kind == super::AwsErrorKind::InUse => e,
        other => return other,
    };
    let (blockers, lookup) = match find(aws, blocked).await {
        Ok(found) => (found, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    Err(AwsError {
        message: message(&refused, waited, &blockers, lookup.as_ref()),
        ..refused
    })
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// Everything that uses `blocked`, as far as AWS lists it.
pub async fn find(aws: &Aws, blocked: Blocked<'_>) -> Result<Vec<Blocker>, AwsError> {
    let mut found = Vec::new();
    match blocked {
        Blocked::Subnet(id) => {
            found.extend(interfaces(aws, filter("subnet-id", id)).await?);
        }
        Blocked::SecurityGroup(id) => {
            found.extend(interfaces(aws, filter("group-id", id)).await?);
            for f in [
                filter("ip-permission.group-id", id),
                filter("egress.ip-permission.group-id", id),
            ] {
                for (gid, name) in groups(aws, f).await? {
                    let b = Blocker::ReferringGroup {
                        id: gid.clone(),
                        name,
                    };
                    if gid != id && !found.contains(&b) {
                        found.push(b);
                    }
                }
            }
        }
        Blocked::Vpc(id) => {
            found.extend(interfaces(aws, filter("vpc-id", id)).await?);
            let out = aws
                .ec2
                .describe_subnets()
                .filters(filter("vpc-id", id))
                .send()
                .await
                .op("DescribeSubnets")?;
            for s in out.subnets() {
                found.push(Blocker::Subnet {
                    id: s.subnet_id().unwrap_or("?").to_string(),
                    cidr: s.cidr_block().unwrap_or("?").to_string(),
                });
            }
            for (gid, name) in groups(aws, filter("vpc-id", id)).await? {
                // Every VPC has its default group, deleted with it.
                if name != "default" {
                    found.push(Blocker::SecurityGroup { id: gid, name });
                }
            }
        }
        Blocked::GatewayAttachment { vpc } => {
            found.extend(
                interfaces(aws, filter("vpc-id", vpc))
                    .await?
                    .into_iter()
                    .filter(|b| matches!(b, Blocker::Interface(i) if i.public_ip.is_some())),
            );
        }
    }
    Ok(found)
}

async fn interfaces(aws: &Aws, by: Filter) -> Result<Vec<Blocker>, AwsError> {
    let out = aws
        .ec2
        .describe_network_interfaces()
        .filters(by)
        .send()
        .await
        .op("DescribeNetworkInterfaces")?;
    Ok(out
        .network_interfaces()
        .iter()
        .map(|n| Blocker::Interface(Interface::from_sdk(n)))
        .collect())
}

async fn groups(aws: &Aws, by: Filter) -> Result<Vec<(String, String)>, AwsError> {
    let out = aws
        .ec2
        .describe_security_groups()
        .filters(by)
        .send()
        .await
        .op("DescribeSecurityGroups")?;
    Ok(out
        .security_groups()
        .iter()
        .map(|g| {
            (
                g.group_id().unwrap_or("?").to_string(),
                g.group_name().unwrap_or("?").to_string(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsErrorKind;

    fn refused() -> AwsError {
        AwsError {
            kind: AwsErrorKind::InUse,
            operation: "DeleteSubnet",
            code: "DependencyViolation".into(),
            message: "The subnet 'subnet-1' has dependencies and cannot be deleted.".into(),
        }
    }

    fn load_balancer_interface() -> Interface {
        Interface {
            id: "eni-0a1".into(),
            description: "ELB app/shop-alb/50dc6c495c0c9188".into(),
            interface_type: "interface".into(),
            status: "in-use".into(),
            subnet: "subnet-1".into(),
            requester: Some("amazon-elb".into()),
            requester_managed: true,
            attachment_owner: Some("amazon-elb".into()),
            ..Interface::default()
        }
    }

    #[test]
    fn each_blocker_says_what_it_is_who_owns_it_and_what_to_do() {
        let task = Interface {
            id: "eni-0b2".into(),
            description: "arn:aws:ecs:eu-west-2:123456789012:attachment/1c4b".into(),
            interface_type: "interface".into(),
            status: "in-use".into(),
            subnet: "subnet-1".into(),
            requester: Some("578734482556".into()),
            requester_managed: true,
            ..Interface::default()
        };
        let stray = Interface {
            id: "eni-0c3".into(),
            description: "made by hand".into(),
            interface_type: "interface".into(),
            status: "available".into(),
            subnet: "subnet-1".into(),
            ..Interface::default()
        };
        let on_instance = Interface {
            id: "eni-0d4".into(),
            status: "in-use".into(),
            instance: Some("i-0abc".into()),
            public_ip: Some("3.8.1.2".into()),
            ..Interface::default()
        };
        let lines: Vec<String> = [
            Blocker::Interface(load_balancer_interface()),
            Blocker::Interface(task),
            Blocker::Interface(stray),
            Blocker::Interface(on_instance),
            Blocker::Subnet {
                id: "subnet-9".into(),
                cidr: "10.0.250.0/24".into(),
            },
            Blocker::ReferringGroup {
                id: "sg-2".into(),
                name: "bastion".into(),
            },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            lines,
            [
                "network interface eni-0a1 in subnet-1: \"ELB app/shop-alb/50dc6c495c0c9188\", \
                 type interface, in-use, requested by amazon-elb, attached for account \
                 amazon-elb: AWS removes it a few minutes after its owner is deleted: delete \
                 the owner if it is not this stack's, else wait",
                "network interface eni-0b2 in subnet-1: \
                 \"arn:aws:ecs:eu-west-2:123456789012:attachment/1c4b\", type interface, \
                 in-use, requested by 578734482556, not attached: AWS removes it a few \
                 minutes after its owner is deleted: delete the owner if it is not this \
                 stack's, else wait",
                "network interface eni-0c3 in subnet-1: \"made by hand\", type interface, \
                 available, not attached: delete it (aws ec2 delete-network-interface \
                 --network-interface-id eni-0c3)",
                "network interface eni-0d4: \"\", in-use, attached to i-0abc, public IP \
                 3.8.1.2: detach it from i-0abc or terminate i-0abc",
                "subnet subnet-9 (10.0.250.0/24), not this stack's: delete it",
                "security group sg-2 (bastion) refers to it in a rule: remove that rule",
            ]
        );
    }

    #[test]
    fn the_message_keeps_aws_words_lists_blockers_and_says_what_to_do() {
        let text = message(
            &refused(),
            Duration::from_secs(600),
            &[Blocker::Interface(load_balancer_interface())],
            None,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "The subnet 'subnet-1' has dependencies and cannot be deleted."
        );
        assert_eq!(lines[1], "  still in use after 600s of retries, by:");
        assert!(
            lines[2].starts_with("    network interface eni-0a1 in subnet-1"),
            "{text}"
        );
        assert!(
            lines[3].starts_with(
                "  What to do: deal with the above, then run `stackctl destroy` again."
            ),
            "{text}"
        );
        assert!(text.contains("--dependency-timeout"), "{text}");
    }

    #[test]
    fn the_message_says_when_nothing_or_no_lookup_was_found() {
        let none = message(&refused(), Duration::from_secs(2), &[], None);
        assert!(
            none.contains("still in use after 2s of retries; AWS lists nothing that uses it"),
            "{none}"
        );
        let failed = AwsError::invalid("DescribeNetworkInterfaces", "access denied");
        let text = message(&refused(), Duration::from_secs(2), &[], Some(&failed));
        assert!(
            text.contains(
                "could not look up by what: DescribeNetworkInterfaces failed: access denied"
            ),
            "{text}"
        );
    }

    #[test]
    fn long_lists_are_cut() {
        let many: Vec<Blocker> = (0..25)
            .map(|i| Blocker::Subnet {
                id: format!("subnet-{i}"),
                cidr: "10.0.0.0/24".into(),
            })
            .collect();
        let text = message(&refused(), Duration::from_secs(2), &many, None);
        assert_eq!(text.matches("\n    subnet ").count(), LISTED);
        assert!(text.contains("\n    and 5 more"), "{text}");
    }
}
