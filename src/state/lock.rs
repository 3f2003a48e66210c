//! A lock file beside the state file, so two runs never write one state.
//!
//! The lock is an OS file lock (`flock`) on `<state>.lock`, and the file holds who took
//! it (pid, host, command, start time) so a refusal can say whom to ask. The OS drops
//! the file lock when its process dies, however it dies (SIGKILL, a cancelled CI job),
//! so a run that finds the file lock free but a holder recorded on this host knows
//! that holder is gone and takes over, saying so. A holder recorded on another host
//! (a shared file system) cannot be checked from here: that needs `stackctl unlock`.

use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub command: String,
    /// Seconds since the Unix epoch.
    pub since: u64,
    /// When the lock lapses unless its holder renews it (S3 locks; seconds since the
    /// Unix epoch). A local lock needs none: the OS releases it with its process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
}

impl Holder {
    /// A holder the lock file does not name (empty or unreadable).
    pub fn unnamed(host: String, since: u64) -> Holder {
        Holder {
            pid: 0,
            host,
            command: "unknown".into(),
            since,
            expires: None,
        }
    }

    /// Whether the holder's process still runs (asked only of holders on this host).
    /// A process this user may not signal still exists (EPERM), so another user's
    /// run, or one hidden from /proc, counts as running.
    pub fn is_running_here(&self) -> bool {
        let Ok(pid) = libc::pid_t::try_from(self.pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        alive || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (pid {} on {}, started {} ago",
            self.command,
            self.pid,
            self.host,
            age(self.since)
        )?;
        match self.expires {
            Some(e) if e >= now() => {
                write!(f, ", lock expires in {} unless renewed)", span(e - now()))
            }
            Some(e) => write!(f, ", lock expired {} ago)", span(now() - e)),
            None => write!(f, ")"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the state is locked by {holder}. Wait for it to finish (or pass --lock-timeout \
         to wait here); if that run is gone, `stackctl unlock` removes its lock ({at})"
    )]
    Held { at: String, holder: Holder },
    #[error("the state is locked by {holder}, still running on this host; stop it first")]
    Running { holder: Holder },
    #[error("cannot use lock file {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot use the state lock {at}: {cause}")]
    S3 {
        at: String,
        cause: Box<crate::aws::AwsError>,
    },
}

/// What `unlock` found.
#[derive(Debug, PartialEq)]
pub enum Unlocked {
    /// No lock file, or an empty one.
    NotLocked,
    /// The lock of a run that is gone (or on another host) was removed.
    Removed(Holder),
}

/// Held until dropped; the lock file is removed on drop.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: File,
    /// The holder this lock replaced because its process was gone.
    pub took_over: Option<Holder>,
}

impl Lock {
    /// Takes the lock, waiting up to `wait` for a running holder to let go.
    pub fn acquire(state_path: &Path, command: &str, wait: Duration) -> Result<Lock, LockError> {
        let path = lock_path(state_path);
        let io = |cause| LockError::Io {
            path: path.clone(),
            cause,
        };
        let deadline = Instant::now() + wait;
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            let refusal = match file.try_lock() {
                Ok(()) if !same_file(&file, &path) => None, // removed meanwhile: retry
                Ok(()) => {
                    let previous = read_holder(&mut file).map_err(io)?;
                    match previous {
                        Some(h) if h.host != hostname() => Some(LockError::Held {
                            at: path.display().to_string(),
                            holder: h,
                        }),
                        previous => {
                            let holder = Holder {
                                pid: std::process::id(),
                                host: hostname(),
                                command: command.to_string(),
                                since: now(),
                                expires: None,
                            };
                            write_holder(&mut file, &holder).map_err(io)?;
                            return Ok(Lock {
                                path,
                                file,
                                took_over: previous,
                            });
                        }
                    }
                }
                Err(fs::TryLockError::WouldBlock) => {
                    let holder = read_holder(&mut file)
                        .map_err(io)?
                        .unwrap_or_else(|| Holder::unnamed("unknown".into(), now()));
                    Some(LockError::Held {
                        at: path.display().to_string(),
                        holder,
                    })
                }
                Err(fs::TryLockError::Error(e)) => return Err(io(e)),
            };
            drop(file);
            if let Some(refusal) = refusal
                && Instant::now() >= deadline
            {
                return Err(refusal);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked, so a run that opened it meanwhile sees the inode
        // change and opens the path again (`same_file`).
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// `stackctl unlock`: removes the lock of a run that is gone. A run still holding
/// the lock on this host is refused: removing its lock would let a second run in.
pub fn unlock(state_path: &Path) -> Result<Unlocked, LockError> {
    let path = lock_path(state_path);
    let io = |cause| LockError::Io {
        path: path.clone(),
        cause,
    };
    let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Unlocked::NotLocked),
        Err(e) => return Err(io(e)),
    };
    let holder = read_holder(&mut file).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(LockError::Running {
                holder: holder.unwrap_or_else(|| Holder::unnamed(hostname(), now())),
            });
        }
        Err(fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    fs::remove_file(&path).map_err(io)?;
    Ok(match holder {
        Some(h) => Unlocked::Removed(h),
        None => Unlocked::NotLocked,
    })
}

pub fn lock_path(state_path: &Path) -> PathBuf {
    let mut p = state_path.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// The recorded holder; None for an empty file (a lock just created, or released).
/// Unreadable contents are a holder nobody can name, never a free lock.
fn read_holder(file: &mut File) -> std::io::Result<Option<Holder>> {
    let mut text = String::new();
    file.rewind()?;
    file.read_to_string(&mut text)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(
        serde_json::from_str(&text).unwrap_or_else(|_| Holder::unnamed("unknown".into(), 0)),
    ))
}

fn write_holder(file: &mut File, holder: &Holder) -> std::io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(
        serde_json::to_string(holder)
            .expect("holder serializes")
            .as_bytes(),
    )?;
    file.sync_all()
}

/// True when `path` still names the file `file` has open.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn age(since: u64) -> String {
    span(now().saturating_sub(since))
}

fn span(s: u64) -> String {
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

pub fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_in(dir: &Path) -> PathBuf {
        dir.join("stack.state.json")
    }

    fn temp() -> PathBuf {
        let d = std::env::temp_dir().join(format!("stackctl-lock-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_second_lock_is_refused_with_the_holder_and_released_on_drop() {
        let dir = temp();
        let state = state_in(&dir);
        let first = Lock::acquire(&state, "apply", Duration::ZERO).unwrap();
        assert!(first.took_over.is_none());
        let err = Lock::acquire(&state, "destroy", Duration::ZERO).unwrap_err();
        match &err {
            LockError::Held { holder, .. } => {
                assert_eq!(holder.pid, std::process::id());
                assert_eq!(holder.command, "apply");
            }
            other => panic!("{other}"),
        }
        assert!(err.to_string().contains("`apply` (pid"), "{err}");
        assert!(matches!(unlock(&state), Err(LockError::Running { .. })));
        drop(first);
        assert!(!lock_path(&state).exists());
        let again = Lock::acquire(&state, "destroy", Duration::ZERO).unwrap();
        assert!(again.took_over.is_none());
        drop(again);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_lock_of_a_dead_run_on_this_host_is_taken_over_and_named() {
        let dir = temp();
        let state = state_in(&dir);
        let dead = Holder {
            pid: 999_999,
            host: hostname(),
            command: "apply".into(),
            since: 1,
            expires: None,
        };
        fs::write(lock_path(&state), serde_json::to_string(&dead).unwrap()).unwrap();
        let lock = Lock::acquire(&state, "apply", Duration::ZERO).unwrap();
        assert_eq!(lock.took_over, Some(dead));
        drop(lock);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_lock_from_another_host_needs_unlock() {
        let dir = temp();
        let state = state_in(&dir);
        let other = Holder {
            pid: 4242,
            host: "ci-runner-7".into(),
            command: "apply".into(),
            since: 1,
            expires: None,
        };
        fs::write(lock_path(&state), serde_json::to_string(&other).unwrap()).unwrap();
        let err = Lock::acquire(&state, "apply", Duration::from_millis(300)).unwrap_err();
        assert!(matches!(&err, LockError::Held { holder, .. } if *holder == other));
        assert_eq!(unlock(&state).unwrap(), Unlocked::Removed(other));
        assert_eq!(unlock(&state).unwrap(), Unlocked::NotLocked);
        drop(Lock::acquire(&state, "apply", Duration::ZERO).unwrap());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_waiting_run_gets_the_lock_when_the_holder_lets_go() {
        let dir = temp();
        let state = state_in(&dir);
        let first = Lock::acquire(&state, "apply", Duration::ZERO).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            drop(first);
        });
        let second = Lock::acquire(&state, "apply", Duration::from_secs(10)).unwrap();
        assert!(second.took_over.is_none());
        releaser.join().unwrap();
        drop(second);
        fs::remove_dir_all(dir).unwrap();
    }
}
