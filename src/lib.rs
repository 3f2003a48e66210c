//! stackctl: provisions the AWS stack for a containerized web app on ECS Fargate
//! (network, load balancer, service, CDN) from a declarative `stack.toml`.
//!
//! The flow: `config` parses and validates stack.toml and expands it into `desired`
//! resources; `plan` diffs them against `state` and what `aws` reports; `engine`
//! walks the dependency `graph` to apply the plan; `output` renders its events.

pub mod address;
pub mod aws;
pub mod cli;
pub mod config;
pub mod desired;
pub mod engine;
pub mod graph;
pub mod operate;
pub mod output;
pub mod plan;
pub mod resources;
pub mod state;
pub mod templates;
