//! Each resource kind driven directly against the emulator: create, read back
//! (normalized attributes equal the wanted ones), update in place, delete, and a
//! delete of something already gone.

mod compute;
mod domain;
mod edge;
mod monitoring;
mod network;
