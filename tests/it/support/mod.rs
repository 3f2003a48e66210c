pub mod aws_order;
pub mod cli;
pub mod domain;
pub mod emulator;
pub mod images;
pub mod kinds;
pub mod leftovers;
