//! The state where it is kept: one interface over the local file and the S3 object,
//! so the engine and the commands never care which.
//!
//! Every write is a compare-and-swap. The S3 backend writes with `If-Match` on the
//! ETag it last read or wrote (`If-None-Match: *` when there was no state), so two
//! writers can never overwrite each other's state, lock or no lock: the second is
//! refused, and what it meant to write goes to a local file rather than being lost.
//! The local backend relies on its OS lock, which no process outlives.

use super::error::StateError;
use super::location::Location;
use super::lock::{self, Holder, Lock, LockError, Unlocked};
use super::s3::{Expect, S3Object, Written};
use super::s3_lock::{self, S3Lock, Validity};
use super::{State, file};
use crate::aws::Aws;
use crate::aws::call_log::CallLog;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug)]
pub struct Store {
    location: Location,
    backend: Backend,
    /// What this run last read or wrote; the next write expects to find it.
    version: tokio::sync::Mutex<Version>,
    /// Whether this run still holds its S3 lock: once not, it writes nothing more.
    lock: Arc<Validity>,
    /// Where a state S3 refused is written, so nothing is lost.
    rescue_dir: PathBuf,
}

#[derive(Debug)]
enum Backend {
    Local(PathBuf),
    S3(S3Object),
}

#[derive(Debug, Default)]
struct Version {
    /// The ETag of the state object; None when there was none.
    etag: Option<String>,
    serial: u64,
}

/// The lock on a state, whichever backend; released when dropped.
#[derive(Debug)]
pub enum StateLock {
    Local(Lock),
    S3(S3Lock),
}

impl StateLock {
    /// The holder whose lock this one replaced (a dead process, an expired lock).
    pub fn took_over(&self) -> Option<&Holder> {
        match self {
            StateLock::Local(l) => l.took_over.as_ref(),
            StateLock::S3(l) => l.took_over.as_ref(),
        }
    }
}

impl Store {
    /// `rescue_dir` is where a refused state is written (beside stack.toml).
    pub async fn open(
        location: Location,
        call_log: Option<&CallLog>,
        rescue_dir: PathBuf,
    ) -> Store {
        let client = match &location {
            Location::S3(s3) => Some(Aws::s3(&s3.region, call_log).await),
            Location::Local(_) => None,
        };
        Self::with_client(location, client, rescue_dir)
    }

    /// `open` with a given S3 client (needed for an S3 location).
    pub fn with_client(
        location: Location,
        client: Option<aws_sdk_s3::Client>,
        rescue_dir: PathBuf,
    ) -> Store {
        let backend = match (&location, client) {
            (Location::Local(path), _) => Backend::Local(path.clone()),
            (Location::S3(s3), Some(client)) => Backend::S3(S3Object {
                client,
                bucket: s3.bucket.clone(),
                key: s3.key.clone(),
            }),
            (Location::S3(_), None) => panic!("an S3 store needs a client"),
        };
        Store {
            location,
            backend,
            version: tokio::sync::Mutex::new(Version::default()),
            lock: Arc::new(Validity::default()),
            rescue_dir,
        }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// How long a writer waits for others to join its write (group commit): a few
    /// milliseconds against an S3 round trip of tens; nothing for a local file,
    /// whose write costs less than the wait would.
    pub fn linger(&self) -> Duration {
        match self.backend {
            Backend::Local(_) => Duration::ZERO,
            Backend::S3(_) => Duration::from_millis(5),
        }
    }

    /// Takes the state's lock for `command`, waiting up to `wait` for its holder;
    /// an S3 lock lives `ttl` unless renewed.
    pub async fn lock(
        &self,
        command: &str,
        wait: Duration,
        ttl: Duration,
    ) -> Result<StateLock, LockError> {
        match &self.backend {
            Backend::Local(path) => {
                // The OS lock is waited for on a blocking thread, so Ctrl-C still
                // ends the command meanwhile.
                let (path, command) = (path.clone(), command.to_string());
                let lock =
                    tokio::task::spawn_blocking(move || Lock::acquire(&path, &command, wait))
                        .await
                        .expect("the lock wait does not panic")?;
                Ok(StateLock::Local(lock))
            }
            Backend::S3(object) => Ok(StateLock::S3(
                S3Lock::acquire(
                    self.lock_object(object),
                    command,
                    wait,
                    ttl,
                    self.lock.clone(),
                )
                .await?,
            )),
        }
    }

    /// Refuses once this run's S3 lock is gone (taken over, or lapsed because it
    /// could not be renewed in time): checked before each step changes anything in
    /// AWS, so that a run that lost its lock stops before, not after.
    pub fn check_lock(&self) -> Result<(), StateError> {
        match self.lock.holds() {
            true => Ok(()),
            false => Err(StateError::LockLost {
                at: self.location.clone(),
                rescued: None,
            }),
        }
    }

    /// `stackctl unlock`.
    pub async fn unlock(&self) -> Result<Unlocked, LockError> {
        match &self.backend {
            Backend::Local(path) => lock::unlock(path),
            Backend::S3(object) => s3_lock::unlock(&self.lock_object(object)).await,
        }
    }

    fn lock_object(&self, object: &S3Object) -> S3Object {
        S3Object {
            key: format!("{}.lock", object.key),
            ..object.clone()
        }
    }

    /// The state of `stack`, or None when there is none yet.
    pub async fn load(&self, stack: &str) -> Result<Option<State>, StateError> {
        let Some(text) = self.read().await? else {
            return Ok(None);
        };
        let state = file::parse(&text, self.location.clone(), stack)?;
        self.version.lock().await.serial = state.serial;
        Ok(Some(state))
    }

    /// The state of whichever stack (`state push` and `migrate` check it themselves).
    pub async fn load_any(&self) -> Result<Option<State>, StateError> {
        let Some(text) = self.read().await? else {
            return Ok(None);
        };
        let state = file::parse_any(&text, self.location.clone())?;
        self.version.lock().await.serial = state.serial;
        Ok(Some(state))
    }

    /// The stored text, remembering its ETag for the next write.
    async fn read(&self) -> Result<Option<String>, StateError> {
        match &self.backend {
            Backend::Local(path) => match std::fs::read_to_string(path) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(StateError::Read {
                    at: self.location.clone(),
                    cause: source,
                }),
            },
            Backend::S3(object) => {
                let got = object.get().await.map_err(|source| StateError::S3 {
                    at: self.location.clone(),
                    cause: Box::new(source),
                })?;
                let mut version = self.version.lock().await;
                version.etag = got.as_ref().map(|(_, etag)| etag.clone());
                Ok(got.map(|(text, _)| text))
            }
        }
    }

    /// Writes `state` with the next serial (above both the state's own and the last
    /// one this run saw) and returns that serial. Writes are one at a time.
    pub async fn save(&self, state: &State) -> Result<u64, StateError> {
        let mut version = self.version.lock().await;
        let mut doc = state.clone();
        doc.serial = version.serial.max(state.serial) + 1;
        if !self.lock.holds() {
            return Err(StateError::LockLost {
                at: self.location.clone(),
                rescued: self.rescue(&doc),
            });
        }
        match &self.backend {
            Backend::Local(path) => file::save(path, &doc)?,
            Backend::S3(object) => {
                let expect = match &version.etag {
                    Some(etag) => Expect::ETag(etag.clone()),
                    None => Expect::Absent,
                };
                let s3 = |source| StateError::S3 {
                    at: self.location.clone(),
                    cause: Box::new(source),
                };
                match object.put(&file::render(&doc), &expect).await.map_err(s3)? {
                    Written::Ok(etag) => version.etag = Some(etag),
                    Written::Refused => return Err(self.refused(object, &doc).await),
                }
            }
        }
        version.serial = doc.serial;
        Ok(doc.serial)
    }

    /// S3 refused a write: another run wrote the state since this one read it. What
    /// this run meant to write is kept in a local file.
    async fn refused(&self, object: &S3Object, doc: &State) -> StateError {
        let found = match object.get().await {
            Ok(Some((text, _))) => file::parse_any(&text, self.location.clone())
                .ok()
                .map(|s| s.serial),
            _ => None,
        };
        StateError::Stale {
            at: self.location.clone(),
            found,
            rescued: self.rescue(doc),
        }
    }

    /// Writes a state this run may not store where it belongs to a local file.
    fn rescue(&self, doc: &State) -> Option<PathBuf> {
        let path = self
            .rescue_dir
            .join(format!("{}.errored-{}.state.json", doc.stack, doc.serial));
        file::save(&path, doc).ok().map(|_| path)
    }

    /// Removes the stored state (after `migrate` copied it elsewhere): a local file
    /// is renamed aside, an S3 object deleted only if it is still the one read.
    pub async fn retire(&self) -> Result<Option<PathBuf>, StateError> {
        match &self.backend {
            Backend::Local(path) => {
                let mut aside = path.as_os_str().to_owned();
                aside.push(".migrated");
                let aside = PathBuf::from(aside);
                std::fs::rename(path, &aside).map_err(|source| StateError::Write {
                    at: self.location.clone(),
                    cause: source,
                })?;
                Ok(Some(aside))
            }
            Backend::S3(object) => {
                let etag = self.version.lock().await.etag.clone().unwrap_or_default();
                match object.delete(&etag).await {
                    Ok(Written::Ok(_)) => Ok(None),
                    Ok(Written::Refused) => Err(StateError::Stale {
                        at: self.location.clone(),
                        found: None,
                        rescued: None,
                    }),
                    Err(source) => Err(StateError::S3 {
                        at: self.location.clone(),
                        cause: Box::new(source),
                    }),
                }
            }
        }
    }
}
