//! stack.toml: parsing and validation come from the `stackctl-config` crate (kept
//! free of the AWS SDK so it can be fuzzed); expansion into desired resources is
//! here, beside the resource kinds it builds.

pub use stackctl_config::*;

pub mod expand;

#[cfg(test)]
mod tests;
