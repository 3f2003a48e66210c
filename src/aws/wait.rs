//! Polling until AWS reports a state, with a deadline. Every wait in stackctl is
//! bounded: a wait that cannot end (a service that never becomes stable) must turn
//! into an error that says what was awaited and what was last seen.

use super::error::AwsError;
use std::future::Future;
use std::time::{Duration, Instant};

tokio::task_local! {
    /// Set by the engine around the wait that follows a create: there, and only
    /// there, an object AWS does not find is one it does not show yet.
    pub static JUST_CREATED: ();
}

/// What one poll saw.
pub enum Poll<T> {
    Ready(T),
    /// Not yet; the text says what was seen, for the timeout message.
    Pending(String),
}

/// How long and how often to poll. Intervals grow from `first` up to `max`, with the
/// time waited so far (see `next_interval`).
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
        let last = match poll().await {
            Ok(Poll::Ready(v)) => return Ok(v),
            Ok(Poll::Pending(seen)) => seen,
            // An object just made can be unknown to reads for a while (EC2's and
            // ELBv2's eventual consistency): in the wait that follows its create, a
            // "not found" is "not visible yet" until the propagation bound has passed.
            Err(e)
                if e.is_not_found()
                    && JUST_CREATED.try_with(|_| ()).is_ok()
                    && started.elapsed() < super::propagation::BOUND =>
            {
                format!("not visible yet ({e})")
            }
            Err(e) => return Err(e),
        };
        tracing::debug!(
            target: "stackctl::wait",
            "{what}: {last} after {:.1}s; next look in {:.1}s",
            started.elapsed().as_secs_f64(),
            interval.as_secs_f64()
        );
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
        interval = next_interval(&policy, started.elapsed());
    }
}

/// The pause before the next poll: a tenth of the time waited so far, within
/// `first..=max`. So a state change is seen at most about 10% after it happened
/// (plus `first`), where doubling the interval could see it nearly 100% late (a
/// distribution deployed at 13 s, seen at 20 s); the polls this costs grow with the
/// logarithm of the wait, about 55 for a ten-minute CloudFront deployment.
pub fn next_interval(policy: &WaitPolicy, waited: Duration) -> Duration {
    (waited / 10).clamp(policy.first, policy.max)
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
                interval = next_interval(&policy, started.elapsed());
            }
            Err(e) if e.is_not_found() => return Ok(()),
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_wait_takes_not_found_for_not_visible_yet() {
        let polls = std::sync::atomic::AtomicU32::new(0);
        let poll = || async {
            match polls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 | 1 => Err(AwsError::not_found("DescribeLoadBalancers", "not found")),
                _ => Ok(Poll::Ready("active")),
            }
        };
        let ready = JUST_CREATED
            .scope(
                (),
                until("wait for a new object", WaitPolicy::minutes(1), poll),
            )
            .await;
        assert_eq!(ready.unwrap(), "active");
        assert_eq!(polls.load(std::sync::atomic::Ordering::SeqCst), 3);
        // Anywhere else, gone is gone.
        polls.store(0, std::sync::atomic::Ordering::SeqCst);
        let gone = until("wait for an old object", WaitPolicy::minutes(1), poll).await;
        assert!(gone.unwrap_err().is_not_found());
        assert_eq!(polls.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn the_interval_is_a_tenth_of_the_wait_within_its_bounds() {
        let policy = WaitPolicy {
            timeout: Duration::from_secs(900),
            first: Duration::from_secs(1),
            max: Duration::from_secs(30),
        };
        let at = |secs: u64| next_interval(&policy, Duration::from_secs(secs));
        assert_eq!(at(0), Duration::from_secs(1));
        assert_eq!(at(5), Duration::from_secs(1));
        assert_eq!(at(130), Duration::from_secs(13));
        assert_eq!(at(600), Duration::from_secs(30));
    }

    #[test]
    fn a_change_is_seen_within_a_tenth_of_the_wait_and_polls_stay_few() {
        let policy = WaitPolicy {
            timeout: Duration::from_secs(900),
            first: Duration::from_secs(1),
            max: Duration::from_secs(30),
        };
        // Simulated: when is a state reached at `ready` seen, after how many polls?
        let seen = |ready: Duration| {
            let (mut t, mut polls, mut interval) = (Duration::ZERO, 1, policy.first);
            while t < ready {
                t += interval;
                polls += 1;
                interval = next_interval(&policy, t);
            }
            (t, polls)
        };
        for ready_secs in [3, 13, 100, 600] {
            let ready = Duration::from_secs(ready_secs);
            let (t, polls) = seen(ready);
            let late = t - ready;
            assert!(
                late <= ready / 10 + policy.first,
                "ready at {ready:?}, seen at {t:?}"
            );
            assert!(polls <= 60, "{polls} polls for {ready:?}");
        }
    }
}
