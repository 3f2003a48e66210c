//! The integration test binary: everything here runs against the moto emulator,
//! started per test on a free loopback port (see support/emulator.rs).

mod adoption;
mod aws_true;
mod changes;
mod commands;
mod crash;
mod day_two;
mod deploys;
mod destroy_blocked;
mod domain;
mod environments;
mod fault_proxy;
mod faults;
mod golden;
mod images;
mod init;
mod kinds;
mod lifecycle;
mod realism;
mod remote_state;
mod scaling;
mod security;
mod state_commands;
mod support;
mod tags;
mod updates;
