//! Listener rule: path patterns forwarded to one target group. The id is its ARN.

use super::facts::{Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{Owner, elb_tags_by_arn, owner, single};
use super::tags::{self, Tags, elb_tags};
use super::{
    Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs, batch, forward, known, wanted_ref,
};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome, wait};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, PathPatternConditionConfig, Rule, RuleCondition, RulePriorityPair,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenerRuleSpec {
    pub listener: Ref,
    pub priority: i32,
    pub paths: Vec<String>,
    pub target_group: Ref,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

pub struct ListenerRule;

const PATH_PATTERN: &str = "path-pattern";
/// What ELBv2 answers when another rule of the listener has the priority.
const PRIORITY_IN_USE: &str = "PriorityInUse";
/// The highest priority a rule may have.
const MAX_PRIORITY: i32 = 50_000;
/// How long a rule waits for a rule of this stack to leave the priority it wants. That
/// rule moves or is deleted by the same apply, which takes seconds.
const PRIORITY_WAIT: wait::WaitPolicy = wait::WaitPolicy {
    timeout: Duration::from_secs(120),
    first: Duration::from_millis(200),
    max: Duration::from_secs(5),
};

impl Facts for ListenerRule {
    const SERVICE: Service = Service::ElasticLoadBalancing;
    const IMPORT_ID: &'static str = "its rule ARN";

    fn usual_minutes(_: crate::plan::Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for ListenerRule {
    const KIND: Kind = Kind::ListenerRule;
    /// A rule cannot move to another listener; priority, paths and target change in place.
    const REPLACE_ON: &'static [&'static str] = &["listener_arn"];
    /// A forward to a new target group is staged (see `forward`).
    const STAGED: &'static [&'static str] = &["target_group_arn"];
    /// `find`: rules are listed per listener.
    const FIND_NEEDS: &'static [Kind] = &[Kind::Listener];
    /// The new rule is on another listener, so its priority is free there.
    const CREATE_BEFORE_DESTROY: bool = true;
    type Spec = ListenerRuleSpec;

    fn wanted(spec: &ListenerRuleSpec, lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("listener_arn".into(), wanted_ref(lookup, &spec.listener)),
            ("priority".into(), known(spec.priority)),
            ("paths".into(), known(sorted_paths(spec))),
            (
                "target_group_arn".into(),
                wanted_ref(lookup, &spec.target_group),
            ),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        batch::elb(ids, |chunk| read_chunk(aws, chunk)).await
    }

    /// The listener's rules tagged for this address. Rules have no name, so one of
    /// another owner is no collision and is passed over (a priority clash shows when
    /// the rule is created).
    async fn find(ctx: &Ctx<'_>, spec: &ListenerRuleSpec) -> Result<Option<CloudId>, AwsError> {
        let Some(listener_arn) = ctx.known(&spec.listener) else {
            return Ok(None);
        };
        let mut arns = Vec::new();
        let mut marker = None;
        loop {
            let out = ctx
                .aws
                .elb
                .describe_rules()
                .listener_arn(&listener_arn)
                .set_marker(marker)
                .send()
                .await
                .op("DescribeRules")
                .found()?;
            let Some(out) = out else {
                return Ok(None);
            };
            arns.extend(
                out.rules()
                    .iter()
                    .filter(|r| r.is_default() != Some(true))
                    .filter_map(|r| r.rule_arn().map(str::to_string)),
            );
            match out.next_marker() {
                Some(m) if !m.is_empty() => marker = Some(m.to_string()),
                _ => break,
            }
        }
        let address = ctx.address.to_string();
        let ours = elb_tags_by_arn(ctx.aws, &arns)
            .await?
            .into_iter()
            .filter(|(_, tags)| {
                let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                owner(pairs, ctx.stack, &address) == Owner::Us
            })
            .map(|(arn, _)| arn)
            .collect();
        single(ctx, "listener rule", ours)
    }

    /// The priority may still be held by a rule of this stack that the same apply
    /// moves or deletes (a service renamed, priorities shuffled): see `claim_priority`.
    async fn create(ctx: &Ctx<'_>, spec: &ListenerRuleSpec) -> Result<Created, AwsError> {
        const OP: &str = "CreateRule";
        let listener = ctx.resolve(&spec.listener)?;
        let action = forward_action(ctx, spec)?;
        let out = claim_priority(ctx, OP, &listener, spec.priority, None, || async {
            ctx.aws
                .elb
                .create_rule()
                .listener_arn(&listener)
                .priority(spec.priority)
                .conditions(condition(spec))
                .actions(action.clone())
                .set_tags(Some(elb_tags(&ctx.tags(&spec.tags))))
                .customize()
                .config_override(unknown_outcome::elb())
                .send()
                .await
                .op(OP)
        })
        .await?;
        let arn = out
            .rules()
            .first()
            .and_then(|r| r.rule_arn())
            .ok_or_else(|| AwsError::invalid(OP, "no rule ARN in the answer"))?;
        Ok(Created {
            outputs: [("id".into(), arn.to_string())].into(),
            id: CloudId::new(arn),
        })
    }

    /// The priority has its own call (SetRulePriorities), which may have to wait for
    /// another rule of this stack to move away (see `claim_priority`); ModifyRule
    /// replaces the conditions and actions.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &ListenerRuleSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        let changed = |name: &str| changed.iter().any(|c| c == name);
        if changed("priority") {
            let listener = listener_arn(id).ok_or_else(|| {
                AwsError::invalid("SetRulePriorities", format!("`{id}` is not a rule ARN"))
            })?;
            claim_priority(
                ctx,
                "SetRulePriorities",
                &listener,
                spec.priority,
                Some(id),
                || set_priority(ctx.aws, id, spec.priority),
            )
            .await?;
        }
        if changed("paths") || changed("target_group_arn") {
            let live = live_forward(ctx.aws, id).await?;
            let action = forward::staged(&live, &ctx.resolve(&spec.target_group)?);
            modify(ctx, id, spec, action).await?;
        }
        if changed(tags::ATTR) {
            tags::sync_elb(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// Forward to the spec's target group alone, once its service is healthy there.
    async fn finish(ctx: &Ctx<'_>, id: &CloudId, spec: &ListenerRuleSpec) -> Result<(), AwsError> {
        let target_group = ctx.resolve(&spec.target_group)?;
        if forward::only_to(&live_forward(ctx.aws, id).await?, &target_group) {
            return Ok(());
        }
        modify(ctx, id, spec, forward::to(&target_group)).await
    }

    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        aws.elb
            .delete_rule()
            .rule_arn(id.as_str())
            .send()
            .await
            .op("DeleteRule")
            .found()?;
        Ok(())
    }
}

async fn set_priority(aws: &Aws, id: &CloudId, priority: i32) -> Result<(), AwsError> {
    aws.elb
        .set_rule_priorities()
        .rule_priorities(
            RulePriorityPair::builder()
                .rule_arn(id.as_str())
                .priority(priority)
                .build(),
        )
        .send()
        .await
        .op("SetRulePriorities")?;
    Ok(())
}

/// Runs `attempt` (`op`), a call giving a rule (`rule`, or one being created) `priority` on
/// `listener`, until no other rule holds that priority. Validation gives every service
/// its own priority, so a rule of this stack that holds it is being moved or deleted by
/// the same apply, concurrently: the attempt is retried (bounded) until it has left.
/// Rules that swap priorities would each wait for the other, so an existing rule that
/// has to wait first parks at the highest free priority, which frees its own; parked,
/// it is evaluated after the others for a moment. A rule of another owner never moves
/// for this stack, so it is an error at once.
async fn claim_priority<T, F, Fut>(
    ctx: &Ctx<'_>,
    op: &'static str,
    listener: &str,
    priority: i32,
    rule: Option<&CloudId>,
    attempt: F,
) -> Result<T, AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let parked = AtomicBool::new(false);
    wait::until("wait for a free rule priority", PRIORITY_WAIT, || async {
        match attempt().await {
            Ok(v) => return Ok(wait::Poll::Ready(v)),
            Err(e) if e.code == PRIORITY_IN_USE => {}
            Err(e) => return Err(e),
        }
        let priorities = rule_priorities(ctx.aws, listener).await?;
        let me = rule.map(CloudId::as_str);
        let Some((holder, _)) = priorities
            .iter()
            .find(|(arn, p)| *p == priority && Some(arn.as_str()) != me)
        else {
            return Ok(wait::Poll::Pending(format!(
                "priority {priority} freed meanwhile"
            )));
        };
        let tags = elb_tags_by_arn(ctx.aws, std::slice::from_ref(holder)).await?;
        let pairs = tags
            .get(holder)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()));
        match owner(pairs, ctx.stack, &ctx.address.to_string()) {
            Owner::Us => {}
            Owner::Other { stack: Some(s), .. } if s == ctx.stack => {}
            _ => {
                return Err(AwsError::invalid(
                    op,
                    format!(
                        "priority {priority} of listener {listener} is taken by rule {holder}, \
                         which is not part of stack `{}`: give the service another priority",
                        ctx.stack
                    ),
                ));
            }
        }
        if let Some(id) = rule
            && !parked.load(Ordering::SeqCst)
        {
            let used: BTreeSet<i32> = priorities.iter().map(|(_, p)| *p).collect();
            if let Some(free) = (1..=MAX_PRIORITY).rev().find(|p| !used.contains(p)) {
                // Another rule may park there first; the next round picks again.
                match set_priority(ctx.aws, id, free).await {
                    Ok(()) => parked.store(true, Ordering::SeqCst),
                    Err(e) if e.code == PRIORITY_IN_USE => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(wait::Poll::Pending(format!(
            "priority {priority} is held by rule {holder} of this stack, which this apply moves"
        )))
    })
    .await
}

/// (rule ARN, priority) of the listener's rules, the default rule left out.
async fn rule_priorities(aws: &Aws, listener: &str) -> Result<Vec<(String, i32)>, AwsError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = aws
            .elb
            .describe_rules()
            .listener_arn(listener)
            .set_marker(marker)
            .send()
            .await
            .op("DescribeRules")?;
        out.extend(page.rules().iter().filter_map(|r| {
            let priority = r.priority()?.parse().ok()?;
            Some((r.rule_arn()?.to_string(), priority))
        }));
        match page.next_marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

/// AWS does not report which listener a rule belongs to, but the rule's ARN is the
/// listener's with a rule id appended:
/// `...:listener-rule/app/NAME/LB/LISTENER/RULE` from `...:listener/app/NAME/LB/LISTENER`.
fn listener_arn(rule_arn: &CloudId) -> Option<String> {
    let (listener, _rule) = rule_arn.as_str().rsplit_once('/')?;
    Some(listener.replacen(":listener-rule/", ":listener/", 1))
}

fn sorted_paths(spec: &ListenerRuleSpec) -> Vec<String> {
    let mut paths = spec.paths.clone();
    paths.sort();
    paths
}

/// The path patterns of all path-pattern conditions, sorted (AWS keeps no order
/// that matters: any one matching pattern matches).
fn live_paths(rule: &Rule) -> Vec<String> {
    let mut paths: Vec<String> = rule
        .conditions()
        .iter()
        .filter(|c| c.field() == Some(PATH_PATTERN))
        .flat_map(|c| {
            // The old flat `Values` form is still reported for rules made with it.
            let configured = c
                .path_pattern_config()
                .map(|p| p.values())
                .unwrap_or_default();
            if configured.is_empty() {
                c.values().to_vec()
            } else {
                configured.to_vec()
            }
        })
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Where the rule forwards: the ARN, or every group with its weight while a move is
/// staged.
fn target_group_arn(rule: &Rule) -> Value {
    forward::value(&forward_targets(rule))
}

fn forward_targets(rule: &Rule) -> Vec<(String, i32)> {
    rule.actions()
        .iter()
        .find(|a| a.r#type() == Some(&ActionTypeEnum::Forward))
        .map(forward::targets)
        .unwrap_or_default()
}

async fn modify(
    ctx: &Ctx<'_>,
    id: &CloudId,
    spec: &ListenerRuleSpec,
    action: Action,
) -> Result<(), AwsError> {
    ctx.aws
        .elb
        .modify_rule()
        .rule_arn(id.as_str())
        .conditions(condition(spec))
        .actions(action)
        .send()
        .await
        .op("ModifyRule")?;
    Ok(())
}

/// Where the rule forwards now.
async fn live_forward(aws: &Aws, id: &CloudId) -> Result<Vec<(String, i32)>, AwsError> {
    let out = aws
        .elb
        .describe_rules()
        .rule_arns(id.as_str())
        .send()
        .await
        .op("DescribeRules")?;
    Ok(out.rules().first().map(forward_targets).unwrap_or_default())
}

fn condition(spec: &ListenerRuleSpec) -> RuleCondition {
    RuleCondition::builder()
        .field(PATH_PATTERN)
        .path_pattern_config(
            PathPatternConditionConfig::builder()
                .set_values(Some(sorted_paths(spec)))
                .build(),
        )
        .build()
}

fn forward_action(ctx: &Ctx<'_>, spec: &ListenerRuleSpec) -> Result<Action, AwsError> {
    Ok(forward::to(&ctx.resolve(&spec.target_group)?))
}

/// Rules and their tags, all at once.
async fn read_chunk(aws: &Aws, ids: &[CloudId]) -> Result<Vec<(String, Live)>, AwsError> {
    let arns: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let (rules, live_tags) = tokio::join!(
        async {
            aws.elb
                .describe_rules()
                .set_rule_arns(Some(arns.clone()))
                .send()
                .await
                .op("DescribeRules")
        },
        elb_tags_by_arn(aws, &arns),
    );
    let (rules, mut live_tags) = (rules?, live_tags?);
    Ok(rules
        .rules()
        .iter()
        .filter_map(|r| {
            let arn = r.rule_arn()?;
            let live_tags = live_tags.remove(arn).unwrap_or_default();
            Some((arn.to_string(), live(r, live_tags)))
        })
        .collect())
}

fn live(rule: &Rule, live_tags: Vec<(String, String)>) -> Live {
    let id = CloudId::new(rule.rule_arn().unwrap_or_default());
    let priority = rule
        .priority()
        .and_then(|p| p.parse::<i64>().ok())
        .map(Value::from)
        .unwrap_or(Value::Null);
    let attrs = BTreeMap::from([
        ("listener_arn".to_string(), listener_arn(&id).into()),
        ("priority".into(), priority),
        ("paths".into(), live_paths(rule).into()),
        ("target_group_arn".into(), target_group_arn(rule)),
        (tags::ATTR.into(), tags::live_value(live_tags)),
    ]);
    Live {
        attrs,
        outputs: [("id".into(), id.to_string())].into(),
    }
}
