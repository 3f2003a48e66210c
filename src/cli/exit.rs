//! Exit codes, in one table: 0 success, 1 error, 2 differences found (`plan
//! --detailed-exitcode` with changes pending, `drift` with drift, `status` with a
//! service not steady), so scripts can tell "in sync" from "needs attention" from
//! "broken"; 3 an apply that made everything but held services back because their
//! image is not pushed yet (push, then apply again), so a pipeline tells that first
//! apply from a failure; 130 interrupted (Ctrl-C), as shells report a process SIGINT
//! ended. `run` exits with its task's own exit code.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Ok,
    Error,
    Changes,
    ImageMissing,
    Interrupted,
    /// A one-off task's container exit code, passed on (`stackctl run`).
    Task(i32),
}

impl Code {
    pub fn value(self) -> i32 {
        match self {
            Code::Ok => 0,
            Code::Error => 1,
            Code::Changes => 2,
            Code::ImageMissing => 3,
            Code::Interrupted => 130,
            Code::Task(code) => code,
        }
    }
}
