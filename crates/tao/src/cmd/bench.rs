//! `tao bench`: speed measurements, one subcommand per area; each area's module owns its bench
//! function and this module only dispatches.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::key;

/// `tao bench`.
#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

/// One benchmark per area; keep the list sorted.
#[derive(Subcommand)]
enum BenchCommand {
    /// sr25519 sign/s, verify/s and batch-verify/s.
    Crypto(key::BenchCryptoArgs),
}

/// Runs `tao bench …`.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        BenchCommand::Crypto(crypto) => key::bench_crypto(crypto),
    }
}
