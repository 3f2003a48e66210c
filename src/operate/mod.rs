//! Day-two operations on a stack that is up: what its services are doing (`status`),
//! what they log (`logs`), which image to go back to (`rollback`), one-off tasks (`run`), a shell in a task (`exec`), building and pushing images (`deploy`). Read-only, and separate from planning: they look at what
//! runs, not at what stack.toml wants.

pub mod build;
pub mod exec;
pub mod logs;
pub mod one_off;
pub mod rollback;
pub mod status;
