//! Diagnostic logging (tracing) on stderr, apart from the progress and results a
//! command prints. `-v` shows what stackctl does between the progress lines (reads,
//! lookups, waits), `-vv` every AWS call with its resource and duration, `-vvv` the
//! AWS SDK's own events too. `STACKCTL_LOG` takes a filter in `tracing`'s syntax
//! (e.g. `stackctl::aws=debug`) and wins over the flags.

use tracing_subscriber::EnvFilter;

/// The environment variable that sets the log filter.
pub const ENV: &str = "STACKCTL_LOG";

/// The filter for `-v` given `verbose` times; `quiet` keeps errors only. The SDK's
/// own warnings (a credential provider that does not apply, once per client) stay
/// out until `-vvv`: stackctl's errors already say what failed.
pub fn filter(verbose: u8, quiet: bool) -> String {
    match (quiet, verbose) {
        (true, _) => "error,stackctl=error".into(),
        (false, 0) => "error,stackctl=warn".into(),
        (false, 1) => "error,stackctl=info".into(),
        (false, 2) => "error,stackctl=debug".into(),
        (false, _) => "debug".into(),
    }
}

pub fn init(verbose: u8, quiet: bool, no_color: bool) {
    let filter = match std::env::var(ENV) {
        Ok(f) if !f.trim().is_empty() => EnvFilter::new(f),
        _ => EnvFilter::new(filter(verbose, quiet)),
    };
    let ansi = crate::output::color::wanted(no_color, true);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        // Seconds since start: what a person timing a run wants, not the date.
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .with_target(true)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_v_shows_more_and_quiet_shows_errors_only() {
        assert_eq!(filter(0, false), "error,stackctl=warn");
        assert!(filter(1, false).contains("stackctl=info"));
        assert!(filter(2, false).contains("stackctl=debug"));
        assert_eq!(filter(3, false), "debug");
        assert_eq!(filter(2, true), "error,stackctl=error");
    }
}
