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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a lock is checked again while waiting for it.
const POLL: Duration = Duration::from_millis(500);

/// Held until dropped; renewed in the background meanwhile, deleted on drop.
#[derive(Debug)]
pub struct S3Lock {
    object: S3Object,
    etag: Arc<Mutex<String>>,
    renewal: tokio::task::JoinHandle<()>,
    lost: Arc<AtomicBool>,
    /// The holder whose expired lock this one replaced.
    pub took_over: Option<Holder>,
}

impl S3Lock {
    /// Takes the lock, waiting up to `wait` for a live holder to let go. `lost` is set
    /// when a renewal finds the lock taken over or removed.
    pub async fn acquire(
        object: S3Object,
        command: &str,
        wait: Duration,
        ttl: Duration,
        lost: Arc<AtomicBool>,
    ) -> Result<S3Lock, LockError> {
        let at = format!("s3://{}/{}", object.bucket, object.key);
        let io = |e: AwsError| LockError::S3 {
            at: at.clone(),
            cause: Box::new(e),
        };
        let deadline = Instant::now() + wait;
        let since = now();
        loop {
            let mine = body(command, since, ttl);
            let refusal = match object.put(&mine, &Expect::Absent).await.map_err(io)? {
                Written::Ok(etag) => {
                    return Ok(Self::held(object, etag, command, since, ttl, lost, None));
                }
                Written::Refused => match object.get().await.map_err(io)? {
                    // Released between our write and this read: try again at once.
                    None => continue,
                    Some((text, etag)) => {
                        let holder = parse(&text);
                        if holder.is_gone() {
                            match object.put(&mine, &Expect::ETag(etag)).await.map_err(io)? {
                                Written::Ok(etag) => {
                                    return Ok(Self::held(
                                        object,
                                        etag,
                                        command,
                                        since,
                                        ttl,
                                        lost,
                                        Some(holder),
                                    ));
                                }
                                // Another run took it over first.
                                Written::Refused => continue,
                            }
                        }
                        LockError::Held {
                            at: at.clone(),
                            holder,
                        }
                    }
                },
            };
            if Instant::now() >= deadline {
                return Err(refusal);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn held(
        object: S3Object,
        etag: String,
        command: &str,
        since: u64,
        ttl: Duration,
        lost: Arc<AtomicBool>,
        took_over: Option<Holder>,
    ) -> S3Lock {
        lost.store(false, Ordering::SeqCst);
        let etag = Arc::new(Mutex::new(etag));
        let renewal = tokio::spawn(renew(
            object.clone(),
            etag.clone(),
            command.to_string(),
            since,
            ttl,
            lost.clone(),
        ));
        S3Lock {
            object,
            etag,
            renewal,
            lost,
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
    lost: Arc<AtomicBool>,
) {
    loop {
        tokio::time::sleep(ttl / 4).await;
        let current = etag.lock().expect("etag lock").clone();
        match object
            .put(&body(&command, since, ttl), &Expect::ETag(current))
            .await
        {
            Ok(Written::Ok(new)) => *etag.lock().expect("etag lock") = new,
            Ok(Written::Refused) => {
                lost.store(true, Ordering::SeqCst);
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
        if self.lost.load(Ordering::SeqCst) {
            return;
        }
        let object = self.object.clone();
        let etag = self.etag.lock().expect("etag lock").clone();
        let release = async move {
            let deleted = tokio::time::timeout(Duration::from_secs(10), object.delete(&etag)).await;
            if !matches!(deleted, Ok(Ok(_))) {
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
        self.expires.is_some_and(|e| e < now())
            || (self.expires.is_some() && self.host == hostname() && !self.is_running_here())
    }
}

fn body(command: &str, since: u64, ttl: Duration) -> String {
    serde_json::to_string(&Holder {
        pid: std::process::id(),
        host: hostname(),
        command: command.to_string(),
        since,
        expires: Some(now() + ttl.as_secs().max(1)),
    })
    .expect("holder serializes")
}

/// The holder a lock object names; one that cannot be read never expires (only
/// `unlock` removes it), as its age cannot be known.
fn parse(text: &str) -> Holder {
    serde_json::from_str(text).unwrap_or_else(|_| Holder::unnamed("unknown".into(), 0))
}
