//! Exit codes, in one table: 0 success, 1 error, 2 changes present (only with
//! `plan --detailed-exitcode`, so scripts can tell "in sync" from "needs apply").

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Ok = 0,
    Error = 1,
    Changes = 2,
}
