pub mod emulator;
pub mod kinds;
