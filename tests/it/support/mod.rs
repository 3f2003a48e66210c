pub mod aws_order;
pub mod cli;
pub mod emulator;
pub mod images;
pub mod kinds;
pub mod leftovers;
