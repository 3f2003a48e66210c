//! A lock file beside the state file, so two runs never write one state. It records
//! who holds it, so the refusal can say whom to ask.

use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub command: String,
    /// Seconds since the Unix epoch.
    pub since: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the state is locked by `{}` (pid {} on {}) since {}s ago; if that run is gone, remove {}", holder.command, holder.pid, holder.host, age_secs(holder.since), path.display())]
    Held { path: PathBuf, holder: Holder },
    #[error("cannot create lock file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn age_secs(since: u64) -> u64 {
    now().saturating_sub(since)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Held until dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    pub fn acquire(state_path: &Path, command: &str) -> Result<Lock, LockError> {
        let path = lock_path(state_path);
        let holder = Holder {
            pid: std::process::id(),
            host: hostname(),
            command: command.to_string(),
            since: now(),
        };
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                let text = serde_json::to_string(&holder).expect("holder serializes");
                f.write_all(text.as_bytes())
                    .map_err(|source| LockError::Io {
                        path: path.clone(),
                        source,
                    })?;
                Ok(Lock { path })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or(Holder {
                        pid: 0,
                        host: "unknown".into(),
                        command: "unknown".into(),
                        since: 0,
                    });
                Err(LockError::Held { path, holder })
            }
            Err(source) => Err(LockError::Io { path, source }),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

pub fn lock_path(state_path: &Path) -> PathBuf {
    let mut p = state_path.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}
