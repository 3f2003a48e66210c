//! Exit codes, in one table: 0 success, 1 error, 2 differences found (`plan
//! --detailed-exitcode` with changes pending, `drift` with drift), so scripts can tell
//! "in sync" from "needs attention" from "broken"; 3 an apply that made everything
//! but held services back because their image is not pushed yet (push, then apply
//! again), so a pipeline tells that first apply from a failure; 130 interrupted
//! (Ctrl-C), as shells report a process SIGINT ended.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Ok = 0,
    Error = 1,
    Changes = 2,
    ImageMissing = 3,
    Interrupted = 130,
}
