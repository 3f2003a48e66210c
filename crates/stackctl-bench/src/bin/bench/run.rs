//! One run of the stackctl binary, timed, with its peak memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where stackctl runs: the stack file, and the emulator (through the proxy).
pub struct Stackctl {
    pub binary: PathBuf,
    pub stack: PathBuf,
    pub endpoint: String,
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
    /// When it was spawned, on the clock of the API log's timestamps.
    pub spawned_us: u64,
    /// Peak resident set size of the process, in KiB.
    pub max_rss_kib: i64,
}

impl Stackctl {
    /// Runs `stackctl --stack FILE [--api-log LOG] ARGS`.
    pub fn run(&self, api_log: Option<&Path>, args: &[&str]) -> Result<Outcome, String> {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("--stack").arg(&self.stack);
        if let Some(log) = api_log {
            cmd.arg("--api-log").arg(log);
        }
        cmd.args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let spawned_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or_default();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{}: {e}", self.binary.display()))?;
        // Read both pipes while it runs, so a full pipe never stalls it.
        let out = child.stdout.take().map(drain);
        let err = child.stderr.take().map(drain);
        let (code, max_rss_kib) = wait4(child.id() as libc::pid_t)?;
        let wall = started.elapsed();
        let text = |h: Option<std::thread::JoinHandle<String>>| {
            h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
        };
        Ok(Outcome {
            code,
            stdout: text(out),
            stderr: text(err),
            wall,
            spawned_us,
            max_rss_kib,
        })
    }
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Waits for the child with wait4(2), which reports its own peak memory (the
/// children's figure of getrusage would mix in every earlier run).
fn wait4(pid: libc::pid_t) -> Result<(i32, i64), String> {
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our own child, which
    // std's Child is never asked to wait for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if got != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((code, usage.ru_maxrss))
}
