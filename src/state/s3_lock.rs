//! The lock on a state kept in S3: an object beside the state (`<key>.lock`), created
//! with `If-None-Match: *` so that of two runs starting together exactly one gets it.
//! It names its holder and an expiry, which the holder pushes forward while it runs.
//! A CI job killed mid-apply stops renewing, so its lock expires and the next run
//! takes it over (with a warning) instead of waiting for someone to run `unlock`.
//!
//! A lock whose holder ran on this host and has exited is taken over at once.
//! Expiry is judged by the clock of the run that finds the lock, against the
//! holder's clock; the lifetime (a minute by default) dwarfs the skew of clocks kept
//! by NTP. The lock alone never guards the state: every state write is conditional
//! on the ETag it read (see `store`), so a run that lost its lock cannot overwrite
//! what the run that took it over wrote.

use super::lock::{Holder, LockError, Unlocked, hostname, now};
use super::s3::{Expect, S3Object, Written};
use crate::aws::AwsError;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a lock is checked again while waiting for it.
const POLL: Duration = Duration::from_millis(500);

/// Whether this run still holds its lock, shared with the store so that it writes
/// nothing once the lock is gone: taken over (a renewal was refused), or lapsed
/// because renewals did not get through in time (a network outage, a laptop that
/// slept).
#[derive(Debug, Default)]
pub struct Validity {
    lost: AtomicBool,
    /// The expiry last written, in seconds since the Unix epoch; 0 with no S3 lock.
    until: AtomicU64,
}

impl Validity {
    pub fn holds(&self) -> bool {
        let until = self.until.load(Ordering::SeqCst);
        !self.lost.load(Ordering::SeqCst) && (until == 0 || now() < until)
    }

    fn lose(&self) {
        self.lost.store(true, Ordering::SeqCst);
    }
}

/// Held until dropped; renewed in the background meanwhile, deleted on drop.
#[derive(Debug)]
pub struct S3Lock {
    object: S3Object,
    etag: Arc<Mutex<String>>,
    renewal: tokio::task::JoinHandle<()>,
    validity: Arc<Validity>,
    /// The holder whose expired lock this one replaced.
    pub took_over: Option<Holder>,
}

/// One attempt at the lock.
enum Attempt {
    /// Written (replacing the named holder's expired lock), to be read back.
    Won(Option<Holder>),
    /// Changed under us: look again at once.
    Retry,
    Held(Holder),
}

impl S3Lock {
    /// Takes the lock, waiting up to `wait` for a live holder to let go; `validity`
    /// follows it from then on.
    pub async fn acquire(
        object: S3Object,
        command: &str,
        wait: Duration,
        ttl: Duration,
        validity: Arc<Validity>,
    ) -> Result<S3Lock, LockError> {
        let at = format!("s3://{}/{}", object.bucket, object.key);
        let io = |e: AwsError| LockError::S3 {
            at: at.clone(),
            cause: Box::new(e),
        };
        let deadline = Instant::now() + wait;
        let since = now();
        loop {
            let (mine, expires) = body(command, since, ttl);
            let attempt = match object.put(&mine, &Expect::Absent).await.map_err(io)? {
                Written::Ok(_) => Attempt::Won(None),
                Written::Refused => match object.get().await.map_err(io)? {
                    // Released between our write and this read.
                    None => Attempt::Retry,
                    Some((text, etag)) => {
                        let holder = parse(&text);
                        if !holder.is_gone() {
                            Attempt::Held(holder)
                        } else if let Written::Ok(_) =
                            object.put(&mine, &Expect::ETag(etag)).await.map_err(io)?
                        {
                            Attempt::Won(Some(holder))
                        } else {
                            // Another run took it over first.
                            Attempt::Retry
                        }
                    }
                },
            };
            let refusal = match attempt {
                Attempt::Won(took_over) => {
                    // Read back: where conditional writes are not atomic (the local
                    // emulator, some S3-compatible servers), two writers can both be
                    // told they won; the one whose lock is there holds it.
                    match object.get().await.map_err(io)? {
                        Some((there, etag)) if there == mine => {
                            return Ok(Self::held(
                                object, etag, command, since, ttl, expires, validity, took_over,
                            ));
                        }
                        _ => continue,
                    }
                }
                Attempt::Retry => continue,
                Attempt::Held(holder) => LockError::Held {
                    at: at.clone(),
                    holder,
                },
            };
            if Instant::now() >= deadline {
                return Err(refusal);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn held(
        object: S3Object,
        etag: String,
        command: &str,
        since: u64,
        ttl: Duration,
        expires: u64,
        validity: Arc<Validity>,
        took_over: Option<Holder>,
    ) -> S3Lock {
        validity.lost.store(false, Ordering::SeqCst);
        validity.until.store(expires, Ordering::SeqCst);
        let etag = Arc::new(Mutex::new(etag));
        let renewal = tokio::spawn(renew(
            object.clone(),
            etag.clone(),
            command.to_string(),
            since,
            ttl,
            validity.clone(),
        ));
        S3Lock {
            object,
            etag,
            renewal,
            validity,
            took_over,
        }
    }
}

/// Pushes the expiry forward four times per lifetime, so a renewal or two may fail
/// (a network blip) before the lock expires. A renewal S3 refuses means another run
/// took the lock over (or `unlock` removed it): this run stops writing the state.
async fn renew(
    object: S3Object,
    etag: Arc<Mutex<String>>,
    command: String,
    since: u64,
    ttl: Duration,
    validity: Arc<Validity>,
) {
    loop {
        tokio::time::sleep(ttl / 4).await;
        let current = etag.lock().expect("etag lock").clone();
        let (text, expires) = body(&command, since, ttl);
        match object.put(&text, &Expect::ETag(current)).await {
            Ok(Written::Ok(new)) => {
                *etag.lock().expect("etag lock") = new;
                validity.until.store(expires, Ordering::SeqCst);
            }
            Ok(Written::Refused) => {
                validity.lose();
                tracing::error!(
                    "the state lock s3://{}/{} was taken over or removed by another run; \
                     this run stops writing the state",
                    object.bucket,
                    object.key
                );
                return;
            }
            Err(e) => tracing::warn!("cannot renew the state lock (will retry): {e}"),
        }
    }
}

impl Drop for S3Lock {
    fn drop(&mut self) {
        self.renewal.abort();
        if self.validity.lost.load(Ordering::SeqCst) {
            return;
        }
        let object = self.object.clone();
        let etag = self.etag.lock().expect("etag lock").clone();
        let release = async move {
            let deleted =
                tokio::time::timeout(Duration::from_secs(10), release(&object, etag)).await;
            if !matches!(deleted, Ok(Ok(true))) {
                tracing::warn!(
                    "could not remove the state lock s3://{}/{}; it expires by itself",
                    object.bucket,
                    object.key
                );
            }
        };
        // The lock must be gone before the process exits: on the multi-threaded
        // runtime the release runs here; elsewhere (a single-threaded test runtime)
        // it is handed to the runtime.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| handle.block_on(release));
            }
            Ok(handle) => {
                handle.spawn(release);
            }
            Err(_) => {}
        }
    }
}

/// Deletes this run's lock. A renewal already on its way when the lock was dropped
/// may have changed its ETag: a lock that is still this run's is deleted under its
/// new ETag.
async fn release(object: &S3Object, etag: String) -> Result<bool, AwsError> {
    if let Written::Ok(_) = object.delete(&etag).await? {
        return Ok(true);
    }
    match object.get().await? {
        None => Ok(true),
        Some((text, etag)) => {
            let holder = parse(&text);
            if holder.pid == std::process::id() && holder.host == hostname() {
                Ok(matches!(object.delete(&etag).await?, Written::Ok(_)))
            } else {
                Ok(true)
            }
        }
    }
}

/// `stackctl unlock` for an S3 lock: removes it, unless its holder is a process still
/// running on this host.
pub async fn unlock(object: &S3Object) -> Result<Unlocked, LockError> {
    let at = format!("s3://{}/{}", object.bucket, object.key);
    let io = |e: AwsError| LockError::S3 {
        at: at.clone(),
        cause: Box::new(e),
    };
    let Some((text, etag)) = object.get().await.map_err(io)? else {
        return Ok(Unlocked::NotLocked);
    };
    let holder = parse(&text);
    if holder.host == hostname()
        && holder.is_running_here()
        && holder.expires.is_some_and(|e| e >= now())
    {
        return Err(LockError::Running { holder });
    }
    match object.delete(&etag).await.map_err(io)? {
        Written::Ok(_) => Ok(Unlocked::Removed(holder)),
        // Released or taken over meanwhile: whoever holds it now is alive.
        Written::Refused => match object.get().await.map_err(io)? {
            None => Ok(Unlocked::NotLocked),
            Some((text, _)) => Err(LockError::Held {
                at,
                holder: parse(&text),
            }),
        },
    }
}

impl Holder {
    /// Whether the holder of an S3 lock is known to be gone: its lock expired, or it
    /// ran on this host and its process has exited (Ctrl-C, a crash), which needs no
    /// waiting for the expiry.
    fn is_gone(&self) -> bool {
        let here = self.host == hostname() && self.host != "unknown";
        self.expires.is_some_and(|e| e < now())
            || (self.expires.is_some() && here && !self.is_running_here())
    }
}

/// The lock object's text, and the expiry it states.
fn body(command: &str, since: u64, ttl: Duration) -> (String, u64) {
    let expires = now() + ttl.as_secs().max(1);
    let text = serde_json::to_string(&Holder {
        pid: std::process::id(),
        host: hostname(),
        command: command.to_string(),
        since,
        expires: Some(expires),
    })
    .expect("holder serializes");
    (text, expires)
}

/// The holder a lock object names; one that cannot be read never expires (only
/// `unlock` removes it), as its age cannot be known.
fn parse(text: &str) -> Holder {
    serde_json::from_str(text).unwrap_or_else(|_| Holder::unnamed("unknown".into(), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_held_until_lost_or_past_its_expiry() {
        let v = Validity::default();
        assert!(v.holds(), "no S3 lock: nothing to lose");
        v.until.store(now() + 60, Ordering::SeqCst);
        assert!(v.holds());
        v.until.store(now() - 1, Ordering::SeqCst);
        assert!(!v.holds(), "lapsed: renewals did not get through in time");
        v.until.store(now() + 60, Ordering::SeqCst);
        v.lose();
        assert!(!v.holds());
    }

    #[test]
    fn only_a_dead_holder_on_this_host_or_an_expired_lock_is_gone() {
        let mine = |pid: u32, expires: u64| Holder {
            pid,
            host: hostname(),
            command: "apply".into(),
            since: 1,
            expires: Some(expires),
        };
        let later = now() + 60;
        assert!(
            !mine(std::process::id(), later).is_gone(),
            "this process runs"
        );
        assert!(mine(999_999_999, later).is_gone(), "no such process");
        assert!(mine(std::process::id(), now() - 1).is_gone(), "expired");
        let elsewhere = Holder {
            host: "ci-runner-7".into(),
            ..mine(999_999_999, later)
        };
        assert!(
            !elsewhere.is_gone(),
            "another host's process cannot be checked"
        );
        let unreadable = Holder {
            expires: None,
            ..mine(999_999_999, later)
        };
        assert!(!unreadable.is_gone(), "a lock without expiry needs unlock");
    }
}
