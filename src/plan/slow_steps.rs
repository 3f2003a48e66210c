//! How long the steps that wait on AWS usually take, for the plan to say before a
//! person starts an apply that will run for minutes. AWS's typical times; the
//! benchmark's timing mode (docs/performance.md) uses the same ones scaled down.

use crate::address::Kind;
use crate::plan::Action;

/// The usual duration of `action` on `kind`, in minutes (low, high), for the kinds
/// whose steps wait on AWS.
pub fn expected(kind: Kind, action: Action) -> Option<(u32, u32)> {
    use Action::*;
    Some(match (kind, action) {
        (Kind::NatGateway, Create | Replace) => (1, 3),
        (Kind::NatGateway, Delete) => (1, 2),
        (Kind::LoadBalancer, Create | Replace) => (2, 4),
        (Kind::CloudfrontDistribution, Create | Update | Replace) => (5, 15),
        // Disabled, deployed disabled, then deleted.
        (Kind::CloudfrontDistribution, Delete) => (10, 20),
        (Kind::EcsService, Create | Update | Replace) => (1, 3),
        // Draining: the target group's deregistration delay, then the tasks stop.
        (Kind::EcsService, Delete) => (1, 5),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_steps_that_wait_on_aws_have_a_duration() {
        assert_eq!(
            expected(Kind::CloudfrontDistribution, Action::Create),
            Some((5, 15))
        );
        assert_eq!(expected(Kind::Subnet, Action::Create), None);
        assert_eq!(expected(Kind::NatGateway, Action::Update), None);
    }
}
