pub mod cli;
pub mod emulator;
pub mod kinds;
pub mod leftovers;
