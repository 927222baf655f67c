//! `tao runtime`: the chain state machine offline — dev genesis, the hyperparameter table, the
//! genesis hash and state root of a genesis file — and `tao bench runtime`.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use tao_crypto::Pair;
use tao_runtime::codec::Encode;
use tao_runtime::{
    Block, Call, GenesisConfig, GlobalParam, Hyperparam, Store, Transaction, TxStatus, apply_block,
};

/// `tao runtime`.
#[derive(Args)]
pub struct RuntimeArgs {
    #[command(subcommand)]
    command: RuntimeCommand,
}

#[derive(Subcommand)]
enum RuntimeCommand {
    /// Print the dev genesis configuration (//Alice … //Ferdie funded, //Alice sudo) as JSON.
    Genesis,
    /// List every subnet hyperparameter and chain-wide parameter: default, new-subnet value,
    /// unit, who may set it and the setter call.
    Params {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Build a genesis (the dev one, or a JSON file) and print its genesis hash and state root.
    Root {
        /// Genesis JSON file (as printed by `tao runtime genesis`); the dev genesis if omitted.
        #[arg(long)]
        genesis: Option<std::path::PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `tao runtime …`.
pub fn run(args: RuntimeArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RuntimeCommand::Genesis => {
            println!("{}", serde_json::to_string_pretty(&GenesisConfig::dev()?)?);
        }
        RuntimeCommand::Params { json } => params(json)?,
        RuntimeCommand::Root { genesis, json } => {
            let config = match &genesis {
                Some(path) => {
                    let text = std::fs::read_to_string(path).with_context(|| {
                        format!(
                            "reading {}; create one with `tao runtime genesis > genesis.json`",
                            path.display()
                        )
                    })?;
                    GenesisConfig::from_json(&text)
                        .with_context(|| format!("parsing {}", path.display()))?
                }
                None => GenesisConfig::dev()?,
            };
            let (mut store, genesis_hash) = config.build_memory()?;
            let root = store.root();
            if json {
                println!(
                    "{}",
                    json!({ "genesis_hash": hex::encode(genesis_hash), "state_root": hex::encode(root) })
                );
            } else {
                println!("genesis hash  0x{}", hex::encode(genesis_hash));
                println!("state root    0x{}", hex::encode(root));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn params(as_json: bool) -> anyhow::Result<()> {
    let rows: Vec<serde_json::Value> = Hyperparam::ALL
        .iter()
        .map(|p| {
            json!({ "scope": "subnet", "name": p.name(), "default": p.default_value(), "new_subnet": p.new_subnet_value(),
                    "unit": p.unit(), "setter": p.setter(), "call": p.call_name() })
        })
        .chain(GlobalParam::ALL.iter().map(|p| {
            json!({ "scope": "global", "name": p.name(), "default": p.default_value(), "new_subnet": null,
                    "unit": p.unit(), "setter": p.setter(), "call": p.call_name() })
        }))
        .collect();
    if as_json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<7} {:<28} {:>26} {:>10} {:<24} {:<14} call",
        "scope", "name", "default", "new", "unit", "setter"
    );
    for r in &rows {
        let text = |k: &str| r[k].as_str().unwrap_or("").to_string();
        let new = r["new_subnet"]
            .as_u64()
            .map(|v| v.to_string())
            .unwrap_or_default();
        let setter = r["setter"].as_str().unwrap_or("");
        println!(
            "{:<7} {:<28} {:>26} {:>10} {:<24} {:<14} {}",
            text("scope"),
            text("name"),
            r["default"].to_string(),
            new,
            text("unit"),
            setter,
            text("call")
        );
    }
    Ok(())
}

/// Options of `tao bench runtime`.
#[derive(Args)]
pub struct BenchRuntimeArgs {
    /// Transfers per block.
    #[arg(long, default_value_t = 1000)]
    transfers: usize,
    /// Blocks to time.
    #[arg(long, default_value_t = 5)]
    blocks: usize,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `tao bench runtime`: execution-only transfer throughput of `apply_block` (signature checks
/// included) and state-root time per block, on a dev chain. Build with `--release`.
pub fn bench_runtime(args: BenchRuntimeArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.transfers > 0 && args.blocks > 0,
        "--transfers and --blocks must be at least 1"
    );
    let (mut store, genesis) = GenesisConfig::dev()?.build_memory()?;
    let alice = Pair::from_uri("//Alice")?;
    let senders: Vec<Pair> = (0..args.transfers)
        .map(|i| {
            Pair::from_seed(&[
                (i % 251) as u8 + 1,
                (i / 251) as u8,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
            ])
        })
        .collect();
    let fund = senders
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Transaction::sign(
                &alice,
                genesis,
                i as u64,
                0,
                Call::TransferKeepAlive {
                    dest: p.public(),
                    value: 1_000_000_000,
                },
            )
            .encode()
        })
        .collect();
    let out = apply_block(
        &store,
        &Block {
            number: 1,
            author: None,
            transactions: fund,
        },
    )?;
    store.commit(out.changes);
    let bob = Pair::from_uri("//Bob")?.public();
    let (mut exec_secs, mut root_secs) = (0.0f64, 0.0f64);
    for b in 0..args.blocks {
        let txs = senders
            .iter()
            .map(|p| {
                Transaction::sign(
                    p,
                    genesis,
                    b as u64,
                    0,
                    Call::TransferKeepAlive {
                        dest: bob,
                        value: 1_000,
                    },
                )
                .encode()
            })
            .collect();
        let block = Block {
            number: b as u64 + 2,
            author: None,
            transactions: txs,
        };
        let start = Instant::now();
        let out = apply_block(&store, &block)?;
        exec_secs += start.elapsed().as_secs_f64();
        anyhow::ensure!(
            out.receipts.iter().all(|r| r.status == TxStatus::Applied),
            "a benchmark transfer failed; the build is broken"
        );
        let start = Instant::now();
        store.commit(out.changes);
        root_secs += start.elapsed().as_secs_f64();
    }
    let n = (args.transfers * args.blocks) as f64;
    let tps = if exec_secs > 0.0 {
        n / exec_secs
    } else {
        f64::INFINITY
    };
    let root_ms = root_secs * 1000.0 / args.blocks as f64;
    if args.json {
        println!(
            "{}",
            json!({ "transfers_per_block": args.transfers, "blocks": args.blocks, "transfers_per_sec": tps, "state_root_ms_per_block": root_ms })
        );
    } else {
        println!(
            "apply_block: {tps:.0} transfers/s ({} per block, signatures checked)",
            args.transfers
        );
        println!("commit + state root: {root_ms:.2} ms per block");
    }
    Ok(ExitCode::SUCCESS)
}
