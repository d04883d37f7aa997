//! The integration tests: one test binary, one module per area, shared helpers in `util`.
//!
//! Every module runs in this one process, on parallel threads: a test must not change the
//! environment, the current directory or any other state of the process.
//! `cargo test --locked <area>::` runs one area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

mod citations;
mod cli;
mod doi;
mod golden;
mod links;
mod new;
mod recipe;
mod remote_embed;
mod search;
mod shipped;
mod shortlists;
mod zotero;
