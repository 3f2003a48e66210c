//! Polling until AWS reports a state, with a deadline. Every wait in stackctl is
//! bounded: a wait that cannot end (a service that never becomes stable) must turn
//! into an error that says what was awaited and what was last seen.

use super::error::AwsError;
use std::future::Future;
use std::time::{Duration, Instant};

/// What one poll saw.
pub enum Poll<T> {
    Ready(T),
    /// Not yet; the text says what was seen, for the timeout message.
    Pending(String),
}

/// How long and how often to poll. Intervals grow from `first` up to `max`.
#[derive(Debug, Clone, Copy)]
pub struct WaitPolicy {
    pub timeout: Duration,
    pub first: Duration,
    pub max: Duration,
}

impl WaitPolicy {
    pub const fn minutes(m: u64) -> Self {
        Self::within(Duration::from_secs(m * 60))
    }

    pub const fn within(timeout: Duration) -> Self {
        WaitPolicy {
            timeout,
            first: Duration::from_millis(200),
            max: Duration::from_secs(10),
        }
    }
}

/// How long a delete of a subnet, security group, VPC or internet gateway is
/// retried while AWS answers DependencyViolation, unless `--dependency-timeout`
/// says otherwise: the network interfaces of load balancers and Fargate tasks
/// usually go within minutes of their owner.
pub const IN_USE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

pub async fn until<T, F, Fut>(
    what: &'static str,
    policy: WaitPolicy,
    mut poll: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, AwsError>>,
{
    let started = Instant::now();
    let mut interval = policy.first;
    loop {
        let last = match poll().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(seen) => seen,
        };
        if started.elapsed() + interval > policy.timeout {
            return Err(AwsError::invalid(
                what,
                format!(
                    "gave up after {}s waiting; last seen: {last}",
                    policy.timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(policy.max);
    }
}

/// Retries a delete that AWS refuses because something still uses the object
/// (network interfaces of tasks and load balancers linger for a while after their
/// owner is gone). Gives up after `policy.timeout` with AWS's last answer.
pub async fn while_in_use<F, Fut>(policy: WaitPolicy, mut attempt: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    let started = Instant::now();
    let mut interval = policy.first;
    loop {
        match attempt().await {
            Err(e) if e.kind == super::AwsErrorKind::InUse => {
                if started.elapsed() + interval > policy.timeout {
                    return Err(e);
                }
                tokio::time::sleep(interval).await;
                interval = (interval * 2).min(policy.max);
            }
            Err(e) if e.is_not_found() => return Ok(()),
            other => return other,
        }
    }
}
