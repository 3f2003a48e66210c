//! The forward actions of listeners and listener rules, and how they move from one
//! target group to another without ever sending a request to an empty one.
//!
//! A replaced target group starts with no targets; ECS registers a service's tasks in
//! it only once the service names it, and ECS refuses to name a target group that no
//! listener or rule forwards to ("does not have an associated load balancer"). So the
//! move is staged: the listener (or rule) first forwards to both groups, the new one
//! at weight 0 (attached, no traffic); the service registers its tasks in both and
//! becomes healthy; then the listener forwards to the new group alone (`finish`), and
//! only then does the service leave the old one and the old group go (ops.rs orders
//! the steps).

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple,
};
use serde_json::{Value, json};

/// Forward everything to `target_group`.
pub fn to(target_group: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group)
        .build()
}

/// The first stage of a move to `target_group`: the groups `live` forwards to keep
/// their weights, and `target_group` joins at weight 0. When `live` sends nothing
/// to another group (a first forward, or the move is done), simply `to(target_group)`.
pub fn staged(live: &[(String, i32)], target_group: &str) -> Action {
    let others: Vec<&(String, i32)> = live.iter().filter(|(arn, _)| arn != target_group).collect();
    if others.is_empty() {
        return to(target_group);
    }
    let tuple = |arn: &str, weight: i32| {
        TargetGroupTuple::builder()
            .target_group_arn(arn)
            .weight(weight)
            .build()
    };
    let mut groups: Vec<TargetGroupTuple> = others.iter().map(|(a, w)| tuple(a, *w)).collect();
    groups.push(tuple(target_group, 0));
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(
            ForwardActionConfig::builder()
                .set_target_groups(Some(groups))
                .build(),
        )
        .build()
}

/// The groups a live forward action sends to, with their weights (1 where AWS gives
/// none: a plain forward).
pub fn targets(action: &Action) -> Vec<(String, i32)> {
    if action.r#type() != Some(&ActionTypeEnum::Forward) {
        return Vec::new();
    }
    let weighted: Vec<(String, i32)> = action
        .forward_config()
        .map(|f| f.target_groups())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| Some((t.target_group_arn()?.to_string(), t.weight().unwrap_or(1))))
        .collect();
    match (weighted.is_empty(), action.target_group_arn()) {
        (true, Some(arn)) => vec![(arn.to_string(), 1)],
        _ => weighted,
    }
}

/// Whether `live` sends everything to `target_group` already: the move is finished.
pub fn only_to(live: &[(String, i32)], target_group: &str) -> bool {
    matches!(live, [(arn, _)] if arn == target_group)
}

/// How `read` reports where a forward sends: the group's ARN, or, while a move is
/// staged, every group with its weight (which never equals what stack.toml asks for,
/// so an interrupted move shows as a change and the next apply completes it).
pub fn value(targets: &[(String, i32)]) -> Value {
    match targets {
        [] => Value::Null,
        [(arn, _)] => Value::from(arn.as_str()),
        many => Value::from(
            many.iter()
                .map(|(arn, weight)| json!({"arn": arn, "weight": weight}))
                .collect::<Vec<_>>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_first_adds_the_new_group_at_weight_zero() {
        let live = vec![("old".to_string(), 1)];
        let first = staged(&live, "new");
        assert_eq!(
            targets(&first),
            vec![("old".to_string(), 1), ("new".to_string(), 0)]
        );
        // Staged again (an interrupted run), it stays as it is.
        assert_eq!(targets(&staged(&targets(&first), "new")), targets(&first));
        // Once only the new group is left, it is a plain forward.
        assert_eq!(
            targets(&staged(&[("new".into(), 1)], "new")),
            vec![("new".to_string(), 1)]
        );
        assert_eq!(value(&targets(&to("new"))), Value::from("new"));
        assert!(value(&targets(&first)).is_array());
    }
}
