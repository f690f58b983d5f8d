//! The `matdiff` command; see `matdiff --help`.
#![allow(clippy::result_large_err)] // see the note in lib.rs
#![forbid(unsafe_code)]

mod cli;
mod components_cmd;
mod equiv_cmd;
mod grad_cmd;
mod repl;
#[cfg(feature = "serve")]
mod serve;
mod simplify_cmd;

use clap::Parser;

fn main() {
    // clap prints usage errors itself and exits with status 2.
    let args = cli::Cli::parse();
    std::process::exit(cli::run(args));
}
