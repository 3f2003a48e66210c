//! Human rendering: plans, progress lines from engine events, stack outputs.

pub mod color;
pub mod drift_text;
pub mod events_json;
pub mod graph_text;
pub mod held;
pub mod live;
pub mod plan_text;
pub mod progress;
pub mod stack_outputs;
pub mod status_text;
