pub mod cli;
pub mod emulator;
pub mod fault_proxy;
pub mod kinds;
pub mod leftovers;
