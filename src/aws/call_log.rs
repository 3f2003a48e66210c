//! A record of every AWS API call stackctl makes, one JSON line per call, with the
//! resource address the call was made for. It exists because the emulator is lenient
//! about ordering: the only proof that a VPC was created before its subnets is the
//! sequence of calls the engine really made. It is also a debugging aid for people
//! (`--api-log FILE`).

use crate::address::Address;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

tokio::task_local! {
    /// The resource the current engine step works on; read by the interceptor.
    pub static CURRENT_ADDRESS: Address;
    /// Set while the current step waits for its resource to become ready.
    pub static WAITING: ();
}

/// One finished API call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CallRecord {
    pub service: String,
    pub operation: String,
    /// None for calls made outside any resource step (e.g. reading the account).
    pub address: Option<Address>,
    /// True for the polls of a wait for readiness, which dependents that need only
    /// the object's outputs do not wait for.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waiting: bool,
    /// Microseconds since the Unix epoch.
    pub start_us: u128,
    pub end_us: u128,
    pub ok: bool,
}

#[derive(Debug, Clone)]
pub struct CallLog {
    file: Arc<Mutex<File>>,
    /// Crash testing: the process aborts right after logging this many calls.
    abort_after: Option<usize>,
    written: Arc<AtomicUsize>,
}

/// Crash testing only: with `--api-log`, abort the process (no cleanup, as SIGKILL)
/// right after the Nth API call has been answered and logged: AWS has done the work,
/// stackctl has not recorded it. The crash tests kill a run at every call this way.
pub const ABORT_AFTER_CALLS_ENV: &str = "STACKCTL_TEST_ABORT_AFTER_CALLS";

impl CallLog {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let file = File::options().create(true).append(true).open(path)?;
        Ok(CallLog {
            file: Arc::new(Mutex::new(file)),
            abort_after: std::env::var(ABORT_AFTER_CALLS_ENV)
                .ok()
                .and_then(|v| v.parse().ok()),
            written: Arc::new(AtomicUsize::new(0)),
        })
    }

    fn write(&self, record: &CallRecord) {
        let mut line = serde_json::to_string(record).expect("call record serializes");
        line.push('\n');
        // A failed write of a debug log must not fail the deploy.
        let _ = self.file.lock().map(|mut f| {
            let _ = f.write_all(line.as_bytes());
            let n = self.written.fetch_add(1, Ordering::SeqCst) + 1;
            if self.abort_after == Some(n) {
                let _ = f.sync_all();
                std::process::abort();
            }
        });
    }

    pub fn read(path: &Path) -> std::io::Result<Vec<CallRecord>> {
        let text = std::fs::read_to_string(path)?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
            .collect()
    }
}

#[derive(Debug, Clone)]
struct StartedAt(u128);

impl Storable for StartedAt {
    type Storer = StoreReplace<Self>;
}

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or_default()
}

/// Records every call: to the API log when there is one, and as a `debug` tracing
/// event (`-vv`, or `STACKCTL_LOG=stackctl::aws=debug`) in any case.
#[derive(Debug)]
pub struct CallLogInterceptor {
    log: Option<CallLog>,
}

impl CallLogInterceptor {
    pub fn new(log: CallLog) -> Self {
        CallLogInterceptor { log: Some(log) }
    }

    /// Tracing events only, no API log.
    pub fn tracing_only() -> Self {
        CallLogInterceptor { log: None }
    }
}

impl Intercept for CallLogInterceptor {
    fn name(&self) -> &'static str {
        "stackctl-call-log"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(StartedAt(now_us()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_string(), m.name().to_string()))
            .unwrap_or_default();
        let start_us = cfg.load::<StartedAt>().map(|s| s.0).unwrap_or_default();
        let ok = matches!(context.output_or_error(), Some(Ok(_)));
        let record = CallRecord {
            service,
            operation,
            address: CURRENT_ADDRESS.try_with(|a| a.clone()).ok(),
            waiting: WAITING.try_with(|_| ()).is_ok(),
            start_us,
            end_us: now_us(),
            ok,
        };
        tracing::debug!(
            target: "stackctl::aws",
            "{} {} {}{} {} ms{}",
            record.service,
            record.operation,
            record
                .address
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into()),
            if record.waiting { " (wait)" } else { "" },
            record.end_us.saturating_sub(record.start_us) / 1000,
            if record.ok { "" } else { " failed" },
        );
        if let Some(log) = &self.log {
            log.write(&record);
        }
        Ok(())
    }
}
