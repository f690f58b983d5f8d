//! The `matdiff` command; see `matdiff --help`.

mod cli;
mod grad_cmd;

use clap::Parser;

fn main() {
    // clap prints usage errors itself and exits with status 2.
    let args = cli::Cli::parse();
    std::process::exit(cli::run(args));
}
