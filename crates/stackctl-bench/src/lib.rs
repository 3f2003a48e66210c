//! The instrument of issue 5: an HTTP proxy between stackctl and the moto emulator
//! that adds latency (and, for the fault tests, AWS's own failures), a timing mode in
//! which objects take time to become ready, and the figures of a run: calls from
//! stackctl's API log and the lower bound the dependency graph allows. The `bench`
//! binary (src/main.rs, run by scripts/bench) puts them together.

pub mod api_log;
pub mod fault_proxy;
pub mod lower_bound;
pub mod readiness;
pub mod scale;
