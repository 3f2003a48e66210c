//! The instrument of issue 5: an HTTP proxy between stackctl and the moto emulator
//! that adds latency (and, for the fault tests, AWS's own failures), a timing mode in
//! which objects take time to become ready, and the figures of a run: calls from
//! stackctl's API log and the lower bound the dependency graph allows. The `bench`
//! binary (src/main.rs, run by scripts/bench) puts them together. The integration
//! tests also put the proxy's realism layer (realism.rs) in front of moto, for the AWS
//! behaviours that moto lacks.

pub mod api_log;
pub mod fault_proxy;
pub mod lower_bound;
pub mod readiness;
pub mod realism;
pub mod scale;
