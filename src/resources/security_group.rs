//! Security group with its ingress and egress rules.
//!
//! The live rules are made to equal the spec exactly: AWS gives every new group an
//! allow-all egress rule, which is revoked unless the spec has the same rule, and a
//! rule added by hand is revoked on the next apply.
//!
//! `ingress` and `egress` are sorted lists of rules with one peer each (a CIDR, a
//! source group id or a prefix list), the form AWS's grouped IpPermissions are
//! flattened into. Ports of an all-protocols rule are reported as -1/-1, which is how
//! AWS reports them (DescribeSecurityGroups leaves them out, moto too).
//!
//! The group name is `{stack}-{name}` and not a spec field, so it is reported by
//! `read` but not wanted: it cannot change while the stack and address stay the same.
//!
//! A rule's peer may be an AWS-managed prefix list, named by its name (the same in
//! every region, unlike its `pl-` id): `read` reports the name, create and update
//! look up the id. Only groups with such a rule pay for the lookup.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{ec2_filters, ec2_ours, single};
use super::tags::{self, Tags, ec2_tag_spec};
use super::{
    Created, Ctx, Live, Lookup, Ref, Resource, Wanted, WantedAttrs, batch, known, wanted_ref,
};
use crate::address::{Address, CloudId, Kind};
use crate::aws::blockers::{self, Blocked};
use crate::aws::propagation::Transient;
use crate::aws::wait::{self, WaitPolicy};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome};
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, UserIdGroupPair,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroupSpec {
    pub vpc: Ref,
    pub description: String,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

/// One rule; the peer is exactly one of a CIDR, another security group or a managed
/// prefix list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// "tcp", "udp" or "-1" for all.
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_group: Option<Ref>,
    /// The name of a managed prefix list, e.g.
    /// `com.amazonaws.global.cloudfront.origin-facing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_list: Option<String>,
    pub description: String,
}

/// A rule as AWS keeps it, with its peer resolved. The field order is the sort order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct FlatRule {
    protocol: String,
    from_port: i32,
    to_port: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    cidr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix_list: Option<String>,
    /// Empty when the rule has none.
    description: String,
}

impl FlatRule {
    /// The same rule to AWS, which does not tell rules apart by description.
    fn same_except_description(&self, other: &FlatRule) -> bool {
        FlatRule {
            description: String::new(),
            ..self.clone()
        } == FlatRule {
            description: String::new(),
            ..other.clone()
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Ingress,
    Egress,
}

pub struct SecurityGroup;

impl Facts for SecurityGroup {
    const SERVICE: Service = Service::Ec2;
    const IMPORT_ID: &'static str = "its group id (sg-...)";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for SecurityGroup {
    const KIND: Kind = Kind::SecurityGroup;
    const REPLACE_ON: &'static [&'static str] = &["vpc_id", "description"];
    /// The EC2 API reference's own example: a group just created answers
    /// `InvalidGroup.NotFound` for a moment, to its rules and to rules that name it as
    /// their source.
    const TRANSIENT: &'static [Transient] = &[
        Transient::code("CreateSecurityGroup", "InvalidVpcID.NotFound"),
        Transient::code("AuthorizeSecurityGroupIngress", "InvalidGroup.NotFound"),
        Transient::code("AuthorizeSecurityGroupEgress", "InvalidGroup.NotFound"),
        Transient::code("RevokeSecurityGroupIngress", "InvalidGroup.NotFound"),
        Transient::code("RevokeSecurityGroupEgress", "InvalidGroup.NotFound"),
    ];
    type Spec = SecurityGroupSpec;

    fn wanted(spec: &SecurityGroupSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let rules = |rules: &[Rule]| match flatten(rules, |r| lookup.output(r).ok_or(())) {
            Ok(flat) => known(to_value(&flat)),
            Err(()) => Wanted::Unknown,
        };
        WantedAttrs::from([
            ("vpc_id".into(), wanted_ref(lookup, &spec.vpc)),
            ("description".into(), known(spec.description.clone())),
            ("ingress".into(), rules(&spec.ingress)),
            ("egress".into(), rules(&spec.egress)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        let groups = batch::by_chunks(ids, batch::EC2_IDS, |chunk| async move {
            let out = aws
                .ec2
                .describe_security_groups()
                .filters(batch::ec2_ids("group-id", chunk))
                .send()
                .await
                .op("DescribeSecurityGroups")?;
            Ok(out
                .security_groups()
                .iter()
                .filter_map(|g| Some((g.group_id()?.to_string(), g.clone())))
                .collect())
        })
        .await?;
        // Rules name prefix lists by id; one call names those of every group.
        let mut prefix_lists: Vec<String> = groups
            .iter()
            .flatten()
            .flat_map(|g| g.ip_permissions().iter().chain(g.ip_permissions_egress()))
            .flat_map(|p| p.prefix_list_ids())
            .filter_map(|p| p.prefix_list_id().map(str::to_string))
            .collect();
        prefix_lists.sort();
        prefix_lists.dedup();
        let names = prefix_list_names(aws, &prefix_lists).await?;
        Ok(groups
            .iter()
            .map(|g| g.as_ref().map(|g| live(g, &names)))
            .collect())
    }

    async fn find(ctx: &Ctx<'_>, _spec: &SecurityGroupSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .ec2
            .describe_security_groups()
            .set_filters(Some(ec2_filters(ctx)))
            .send()
            .await
            .op("DescribeSecurityGroups")?;
        let ids = out
            .security_groups()
            .iter()
            .filter(|g| ec2_ours(ctx, g.tags()))
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect();
        single(ctx, "security group", ids)
    }

    async fn create(ctx: &Ctx<'_>, spec: &SecurityGroupSpec) -> Result<Created, AwsError> {
        let vpc_id = ctx.resolve(&spec.vpc)?;
        let (ingress, egress) = flatten_with_ids(ctx, spec).await?;
        let out = ctx
            .aws
            .ec2
            .create_security_group()
            .group_name(ctx.name())
            .description(&spec.description)
            .vpc_id(vpc_id)
            .tag_specifications(ec2_tag_spec(
                ResourceType::SecurityGroup,
                &ctx.tags(&spec.tags),
            ))
            .customize()
            .config_override(unknown_outcome::ec2())
            .send()
            .await
            .op("CreateSecurityGroup")?;
        let id = out
            .group_id()
            .ok_or_else(|| AwsError::invalid("CreateSecurityGroup", "no group id in the answer"))?;
        let id = CloudId::new(id);
        // A group whose rules fail stays: it is tagged and its intent is in the state,
        // so the next run finds it and sets its rules (an update) instead of making
        // another.
        sync_new(ctx.aws, &id, &ingress, &egress).await?;
        Ok(Created {
            outputs: [("id".into(), id.to_string())].into(),
            id,
        })
    }

    /// Revokes the rules no longer wanted, then authorizes the new ones. A rule whose
    /// description alone changed is revoked and authorized again (a moment without
    /// it): moto's UpdateSecurityGroupRuleDescriptions does not match rules with a
    /// source group, so the one path that works everywhere is used.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &SecurityGroupSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c == "ingress" || c == "egress") {
            let (ingress, egress) = flatten_with_ids(ctx, spec).await?;
            let group = describe(ctx.aws, id)
                .await?
                .ok_or_else(|| AwsError::not_found("DescribeSecurityGroups", id.to_string()))?;
            let live_ingress = live_rules(group.ip_permissions());
            let live_egress = live_rules(group.ip_permissions_egress());
            sync(ctx.aws, id, Direction::Ingress, &ingress, &live_ingress).await?;
            sync(ctx.aws, id, Direction::Egress, &egress, &live_egress).await?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_ec2(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Retried while AWS answers DependencyViolation: network interfaces of tasks
    /// and load balancers keep the group in use for minutes after their owner is
    /// gone. A rule of another group that references this one blocks it too; the
    /// engine deletes that group first, this only waits. Past the bound
    /// (`--dependency-timeout`), the error names the interfaces and groups.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let policy = WaitPolicy::within(aws.in_use_timeout);
        let result = wait::while_in_use(policy, || async {
            aws.ec2
                .delete_security_group()
                .group_id(id.as_str())
                .send()
                .await
                .op("DeleteSecurityGroup")
                .map(|_| ())
        })
        .await;
        blockers::explain(
            aws,
            Blocked::SecurityGroup(id.as_str()),
            policy.timeout,
            result,
        )
        .await
    }
}

/// The spec's rules flattened and sorted, with source groups resolved by `group_id`
/// (the planner's lookup or the create context). Protocol names are spelled the way
/// AWS reports them, so "6" and "tcp" compare equal.
fn flatten<E>(
    rules: &[Rule],
    mut group_id: impl FnMut(&Ref) -> Result<String, E>,
) -> Result<Vec<FlatRule>, E> {
    let mut flat = Vec::with_capacity(rules.len());
    for rule in rules {
        let protocol = match rule.protocol.to_ascii_lowercase().as_str() {
            "all" | "-1" => "-1".to_string(),
            "6" => "tcp".to_string(),
            "17" => "udp".to_string(),
            "1" => "icmp".to_string(),
            other => other.to_string(),
        };
        let (from_port, to_port) = if protocol == "-1" {
            (-1, -1)
        } else {
            (rule.from_port, rule.to_port)
        };
        let source_group = match &rule.source_group {
            Some(r) => Some(group_id(r)?),
            None => None,
        };
        flat.push(FlatRule {
            protocol,
            from_port,
            to_port,
            cidr: rule.cidr.clone(),
            source_group,
            prefix_list: rule.prefix_list.clone(),
            description: rule.description.clone(),
        });
    }
    flat.sort();
    flat.dedup();
    Ok(flat)
}

/// The spec's rules as AWS takes them: source groups resolved, prefix lists by id.
async fn flatten_with_ids(
    ctx: &Ctx<'_>,
    spec: &SecurityGroupSpec,
) -> Result<(Vec<FlatRule>, Vec<FlatRule>), AwsError> {
    let ingress = flatten(&spec.ingress, |r| ctx.resolve(r))?;
    let egress = flatten(&spec.egress, |r| ctx.resolve(r))?;
    let names: Vec<String> = ingress
        .iter()
        .chain(&egress)
        .filter_map(|r| r.prefix_list.clone())
        .collect();
    let ids = prefix_list_ids(ctx.aws, &names).await?;
    Ok((
        rename_prefix_lists(ingress, &ids),
        rename_prefix_lists(egress, &ids),
    ))
}

/// The rules with each prefix list found in `map` replaced by its mapping (id to
/// name or name to id), sorted again.
fn rename_prefix_lists(rules: Vec<FlatRule>, map: &BTreeMap<String, String>) -> Vec<FlatRule> {
    let mut rules: Vec<FlatRule> = rules
        .into_iter()
        .map(|r| FlatRule {
            prefix_list: r.prefix_list.map(|p| map.get(&p).cloned().unwrap_or(p)),
            ..r
        })
        .collect();
    rules.sort();
    rules
}

/// Managed prefix lists by id -> name; none looked up when `ids` is empty.
async fn prefix_list_names(
    aws: &Aws,
    ids: &[String],
) -> Result<BTreeMap<String, String>, AwsError> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let out = aws
        .ec2
        .describe_managed_prefix_lists()
        .set_prefix_list_ids(Some(ids.to_vec()))
        .send()
        .await
        .op("DescribeManagedPrefixLists")?;
    Ok(out
        .prefix_lists()
        .iter()
        .filter_map(|p| {
            Some((
                p.prefix_list_id()?.to_string(),
                p.prefix_list_name()?.to_string(),
            ))
        })
        .collect())
}

/// Managed prefix lists by name -> id; every name must exist in the region.
async fn prefix_list_ids(
    aws: &Aws,
    names: &[String],
) -> Result<BTreeMap<String, String>, AwsError> {
    const OP: &str = "DescribeManagedPrefixLists";
    if names.is_empty() {
        return Ok(BTreeMap::new());
    }
    let out = aws
        .ec2
        .describe_managed_prefix_lists()
        .filters(
            Filter::builder()
                .name("prefix-list-name")
                .set_values(Some(names.to_vec()))
                .build(),
        )
        .send()
        .await
        .op(OP)?;
    let ids: BTreeMap<String, String> = out
        .prefix_lists()
        .iter()
        .filter_map(|p| {
            Some((
                p.prefix_list_name()?.to_string(),
                p.prefix_list_id()?.to_string(),
            ))
        })
        .collect();
    match names.iter().find(|n| !ids.contains_key(*n)) {
        Some(missing) => Err(AwsError::invalid(
            OP,
            format!("no managed prefix list named `{missing}` in this region"),
        )),
        None => Ok(ids),
    }
}

/// AWS's grouped permissions (one per protocol and port range, with lists of peers)
/// as one rule per peer, sorted.
fn live_rules(permissions: &[IpPermission]) -> Vec<FlatRule> {
    let mut flat = Vec::new();
    for p in permissions {
        let protocol = p.ip_protocol().unwrap_or("-1").to_string();
        let (from_port, to_port) = if protocol == "-1" {
            (-1, -1)
        } else {
            (p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1))
        };
        let rule = |description: Option<&str>| FlatRule {
            protocol: protocol.clone(),
            from_port,
            to_port,
            cidr: None,
            source_group: None,
            prefix_list: None,
            description: description.unwrap_or_default().to_string(),
        };
        for r in p.ip_ranges() {
            flat.push(FlatRule {
                cidr: r.cidr_ip().map(str::to_string),
                ..rule(r.description())
            });
        }
        for r in p.ipv6_ranges() {
            flat.push(FlatRule {
                cidr: r.cidr_ipv6().map(str::to_string),
                ..rule(r.description())
            });
        }
        for g in p.user_id_group_pairs() {
            flat.push(FlatRule {
                source_group: g.group_id().map(str::to_string),
                ..rule(g.description())
            });
        }
        for l in p.prefix_list_ids() {
            flat.push(FlatRule {
                prefix_list: l.prefix_list_id().map(str::to_string),
                ..rule(l.description())
            });
        }
    }
    flat.sort();
    flat
}

/// AWS's permissions as `read` reports a group's `ingress` or `egress` (the VPC's
/// default group is reported this way too).
pub(crate) fn rules_value(permissions: &[IpPermission]) -> Value {
    to_value(&live_rules(permissions))
}

fn to_value(rules: &[FlatRule]) -> Value {
    serde_json::to_value(rules).unwrap_or(Value::Null)
}

/// The rules of a group just created. Its live rules are known without a describe:
/// none inbound, and AWS's one default outbound rule (all traffic to 0.0.0.0/0). So
/// both directions are set at once, right after the create. (A new group unknown for a
/// moment to these calls, `InvalidGroup.NotFound`, is `TRANSIENT`: each call is sent
/// again by `aws::propagation`.)
async fn sync_new(
    aws: &Aws,
    id: &CloudId,
    ingress: &[FlatRule],
    egress: &[FlatRule],
) -> Result<(), AwsError> {
    let default_egress = [aws_default_egress()];
    tokio::try_join!(
        sync(aws, id, Direction::Ingress, ingress, &[]),
        sync(aws, id, Direction::Egress, egress, &default_egress),
    )?;
    Ok(())
}

/// The outbound rule AWS gives every new group.
fn aws_default_egress() -> FlatRule {
    FlatRule {
        protocol: "-1".into(),
        from_port: -1,
        to_port: -1,
        cidr: Some("0.0.0.0/0".into()),
        source_group: None,
        prefix_list: None,
        description: String::new(),
    }
}

/// Revokes the live rules that are not wanted and authorizes the wanted rules that
/// are not live; each in one call per direction. Both at once, unless a rule is
/// revoked only to come back with another description: AWS knows a rule without its
/// description, so that authorize would be a duplicate until the revoke is done.
async fn sync(
    aws: &Aws,
    id: &CloudId,
    direction: Direction,
    wanted: &[FlatRule],
    live: &[FlatRule],
) -> Result<(), AwsError> {
    let revoke: Vec<&FlatRule> = live.iter().filter(|r| !wanted.contains(r)).collect();
    let authorize: Vec<&FlatRule> = wanted.iter().filter(|r| !live.contains(r)).collect();
    let redescribed = revoke
        .iter()
        .any(|r| authorize.iter().any(|a| a.same_except_description(r)));
    let revoke: Vec<IpPermission> = revoke
        .into_iter()
        .map(permission)
        .collect::<Result<_, _>>()?;
    let authorize: Vec<IpPermission> = authorize
        .into_iter()
        .map(permission)
        .collect::<Result<_, _>>()?;
    let revoke = async {
        if revoke.is_empty() {
            return Ok(());
        }
        for_each_unless(
            revoke,
            |e| e.code == RULE_NOT_FOUND,
            |batch| revoke_rules(aws, id, direction, batch),
        )
        .await
    };
    let authorize = async {
        if authorize.is_empty() {
            return Ok(());
        }
        for_each_unless(
            authorize,
            |e| e.code == DUPLICATE,
            |batch| authorize_rules(aws, id, direction, batch),
        )
        .await
    };
    if redescribed {
        revoke.await?;
        authorize.await
    } else {
        tokio::try_join!(revoke, authorize).map(drop)
    }
}

/// EC2's answer to revoking a rule the group does not have. Not any "not found": a
/// group EC2 does not know yet (`InvalidGroup.NotFound`) has had nothing revoked.
const RULE_NOT_FOUND: &str = "InvalidPermission.NotFound";

/// EC2's answer to authorizing a rule the group already has.
const DUPLICATE: &str = "InvalidPermission.Duplicate";

/// Sends `call` with all the rules at once; when AWS answers that the work is already
/// done (`done`: a rule is already there, or already gone), sends them again one at a
/// time, skipping those that are done. That answer comes when the SDK retried a call
/// whose first answer was lost after EC2 had carried it out, or when someone changed
/// the group by hand since it was read; either way the rule is where the spec wants
/// it. EC2 refuses the whole batch for one such rule, so the others still need a call.
async fn for_each_unless<F, Fut>(
    rules: Vec<IpPermission>,
    done: impl Fn(&AwsError) -> bool,
    call: F,
) -> Result<(), AwsError>
where
    F: Fn(Vec<IpPermission>) -> Fut,
    Fut: std::future::Future<Output = Result<(), AwsError>>,
{
    match call(rules.clone()).await {
        Err(e) if done(&e) => {
            if rules.len() > 1 {
                for rule in rules {
                    match call(vec![rule]).await {
                        Err(e) if done(&e) => {}
                        other => other?,
                    }
                }
            }
            Ok(())
        }
        other => other,
    }
}

async fn revoke_rules(
    aws: &Aws,
    id: &CloudId,
    direction: Direction,
    rules: Vec<IpPermission>,
) -> Result<(), AwsError> {
    match direction {
        Direction::Ingress => {
            aws.ec2
                .revoke_security_group_ingress()
                .group_id(id.as_str())
                .set_ip_permissions(Some(rules))
                .send()
                .await
                .op("RevokeSecurityGroupIngress")?;
        }
        Direction::Egress => {
            aws.ec2
                .revoke_security_group_egress()
                .group_id(id.as_str())
                .set_ip_permissions(Some(rules))
                .send()
                .await
                .op("RevokeSecurityGroupEgress")?;
        }
    }
    Ok(())
}

async fn authorize_rules(
    aws: &Aws,
    id: &CloudId,
    direction: Direction,
    rules: Vec<IpPermission>,
) -> Result<(), AwsError> {
    match direction {
        Direction::Ingress => {
            aws.ec2
                .authorize_security_group_ingress()
                .group_id(id.as_str())
                .set_ip_permissions(Some(rules))
                .send()
                .await
                .op("AuthorizeSecurityGroupIngress")?;
        }
        Direction::Egress => {
            aws.ec2
                .authorize_security_group_egress()
                .group_id(id.as_str())
                .set_ip_permissions(Some(rules))
                .send()
                .await
                .op("AuthorizeSecurityGroupEgress")?;
        }
    }
    Ok(())
}

/// One rule as an IpPermission with its single peer. The description goes along on
/// revoke too: moto matches a source-group rule only with its description.
fn permission(rule: &FlatRule) -> Result<IpPermission, AwsError> {
    let description = (!rule.description.is_empty()).then(|| rule.description.clone());
    let p = IpPermission::builder()
        .ip_protocol(&rule.protocol)
        .from_port(rule.from_port)
        .to_port(rule.to_port);
    let p = match (&rule.cidr, &rule.source_group, &rule.prefix_list) {
        (Some(cidr), None, None) if cidr.contains(':') => p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(cidr)
                .set_description(description)
                .build(),
        ),
        (Some(cidr), None, None) => p.ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(description)
                .build(),
        ),
        (None, Some(group), None) => p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(group)
                .set_description(description)
                .build(),
        ),
        (None, None, Some(list)) => p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(list)
                .set_description(description)
                .build(),
        ),
        _ => {
            return Err(AwsError::invalid(
                "AuthorizeSecurityGroupIngress",
                format!(
                    "rule {} {}-{} needs exactly one of cidr, source_group and prefix_list",
                    rule.protocol, rule.from_port, rule.to_port
                ),
            ));
        }
    };
    Ok(p.build())
}

fn live(
    group: &aws_sdk_ec2::types::SecurityGroup,
    prefix_list_names: &BTreeMap<String, String>,
) -> Live {
    let ingress = live_rules(group.ip_permissions());
    let egress = live_rules(group.ip_permissions_egress());
    Live {
        attrs: [
            ("vpc_id".into(), group.vpc_id().unwrap_or_default().into()),
            (
                "group_name".into(),
                group.group_name().unwrap_or_default().into(),
            ),
            (
                "description".into(),
                group.description().unwrap_or_default().into(),
            ),
            (
                "ingress".into(),
                to_value(&rename_prefix_lists(ingress, prefix_list_names)),
            ),
            (
                "egress".into(),
                to_value(&rename_prefix_lists(egress, prefix_list_names)),
            ),
            (
                tags::ATTR.into(),
                tags::live_value(tags::ec2_pairs(group.tags())),
            ),
        ]
        .into(),
        outputs: [("id".into(), group.group_id().unwrap_or_default().into())].into(),
    }
}

async fn describe(
    aws: &Aws,
    id: &CloudId,
) -> Result<Option<aws_sdk_ec2::types::SecurityGroup>, AwsError> {
    let out = aws
        .ec2
        .describe_security_groups()
        .group_ids(id.as_str())
        .send()
        .await
        .op("DescribeSecurityGroups")
        .found()?;
    Ok(out.and_then(|o| o.security_groups().first().cloned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;

    #[test]
    fn a_rule_that_differs_only_in_description_is_the_same_rule_to_aws() {
        let described = FlatRule {
            description: "all outbound".into(),
            ..aws_default_egress()
        };
        assert!(described.same_except_description(&aws_default_egress()));
        let elsewhere = FlatRule {
            cidr: Some("10.0.0.0/16".into()),
            ..aws_default_egress()
        };
        assert!(!elsewhere.same_except_description(&aws_default_egress()));
    }

    #[test]
    fn spec_rules_are_flattened_like_aws_reports_them() {
        let alb = Address::new(Kind::SecurityGroup, "alb");
        let rules = vec![
            Rule {
                protocol: "6".into(),
                from_port: 80,
                to_port: 80,
                cidr: None,
                source_group: Some(Ref::id(alb.clone())),
                prefix_list: None,
                description: "web".into(),
            },
            Rule {
                protocol: "-1".into(),
                from_port: 0,
                to_port: 0,
                cidr: Some("0.0.0.0/0".into()),
                source_group: None,
                prefix_list: None,
                description: String::new(),
            },
        ];
        let flat = flatten(&rules, |r| {
            assert_eq!(r.to, alb);
            Ok::<_, ()>("sg-1".to_string())
        })
        .unwrap();
        assert_eq!(
            to_value(&flat),
            serde_json::json!([
                {"protocol": "-1", "from_port": -1, "to_port": -1, "cidr": "0.0.0.0/0", "description": ""},
                {"protocol": "tcp", "from_port": 80, "to_port": 80, "source_group": "sg-1", "description": "web"},
            ])
        );
        assert!(flatten(&rules, |_| Err(())).is_err());
    }
}
