//! The `sgbayes` command line: problem, theory, sample, check, reproduce.
//!
//! Exit codes: 0 success (for `check`: draws consistent with the law), 1 (`check` only: draws
//! inconsistent), 2 bad input with a one-line message on stderr.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
