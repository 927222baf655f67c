//! `tao`: the one binary. Each area (wallet, key, yuma, axon, …) is a subcommand module under
//! `cmd/`; this file only parses the command line and dispatches.

mod cmd;

use clap::Parser;

/// Bittensor, rebuilt in Rust.
#[derive(Parser)]
#[command(name = "tao", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cmd::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
