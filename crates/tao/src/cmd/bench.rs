//! `tao bench`: speed measurements, one subcommand per area; each area's module owns its bench
//! function and this module only dispatches.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{axon, econ, key, localnet, node, runtime, yuma};

/// `tao bench`.
#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

/// One benchmark per area; keep the list sorted.
#[derive(Subcommand)]
enum BenchCommand {
    /// Requests/s and latency of tao dendrite → tao axon (and the Python pair, side by side).
    Axon(axon::BenchAxonArgs),
    /// sr25519 sign/s, verify/s and batch-verify/s.
    Crypto(key::BenchCryptoArgs),
    /// Block emission and coinbase blocks with many subnets.
    Econ(econ::BenchEconArgs),
    /// A multi-validator network of processes: finality latency, tx/s, catch-up after a kill.
    Localnet(localnet::LocalnetBenchArgs),
    /// Consensus cost per finalized block with 1 and 4 validators (simulated network).
    Node(node::NodeBenchArgs),
    /// Runtime execution throughput and state-root cost per block.
    Runtime(runtime::BenchRuntimeArgs),
    /// The Yuma epoch at several subnet sizes, sparse and dense.
    Yuma(yuma::BenchYumaArgs),
}

/// Runs `tao bench …`.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        BenchCommand::Axon(args) => axon::bench_axon(args),
        BenchCommand::Crypto(args) => key::bench_crypto(args),
        BenchCommand::Econ(args) => econ::bench_econ(args),
        BenchCommand::Localnet(args) => localnet::bench(args),
        BenchCommand::Node(args) => node::bench(args),
        BenchCommand::Runtime(args) => runtime::bench_runtime(args),
        BenchCommand::Yuma(args) => yuma::bench_yuma(args),
    }
}
