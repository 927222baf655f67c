//! Subcommands, one module per area. Each module exposes an args type and a `run` function
//! returning the process exit code.

use std::process::ExitCode;

use clap::Subcommand;

pub mod axon;
pub mod bench;
pub mod cases;
pub mod dendrite;
pub mod econ;
pub mod key;
pub mod localnet;
pub mod node;
pub mod runtime;
pub mod wallet;
pub mod yuma;

/// Every area of tao.
#[derive(Subcommand)]
pub enum Command {
    // One variant per area module; keep the list sorted.
    /// Serve synapses from an axon (the `Dummy` test synapse for manual and interop checks).
    Axon(axon::AxonArgs),
    /// Speed measurements of each area (build with --release).
    Bench(bench::BenchArgs),
    /// Query axons with a signing dendrite.
    Dendrite(dendrite::DendriteArgs),
    /// Economics: run and check the reference cases (emission, swap, coinbase, distribution).
    Econ(econ::EconArgs),
    /// Inspect keys: secret URIs, mnemonics, SS58 addresses.
    Key(key::KeyArgs),
    /// Run a local multi-validator network on 127.0.0.1 (4 validators by default).
    Localnet(localnet::LocalnetArgs),
    /// Run a node: `tao node --dev` for a single-validator dev chain.
    Node(node::NodeArgs),
    /// The chain state machine offline: dev genesis, parameter table, genesis root.
    Runtime(runtime::RuntimeArgs),
    /// Create, restore, list and use bittensor-compatible wallets.
    Wallet(wallet::WalletArgs),
    /// Yuma Consensus epoch: run and check reference cases, time the epoch.
    Yuma(yuma::YumaArgs),
}

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Axon(args) => axon::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Dendrite(args) => dendrite::run(args),
        Command::Econ(args) => econ::run(args),
        Command::Key(args) => key::run(args),
        Command::Localnet(args) => localnet::run(args),
        Command::Node(args) => node::run(args),
        Command::Runtime(args) => runtime::run(args),
        Command::Wallet(args) => wallet::run(args),
        Command::Yuma(args) => yuma::run(args),
    }
}
