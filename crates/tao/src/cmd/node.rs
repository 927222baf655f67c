//! `tao node`: run a node. For now a dev chain: one local validator producing and finalizing
//! a block every block time, stored under a data directory and resumed from it on restart.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use anyhow::{Context as _, bail};
use clap::Args;
use tao_node::{
    Finalized,
    dev::{self, DevConfig},
};

/// Run a tao node.
#[derive(Args)]
pub struct NodeArgs {
    /// Run a dev chain: a single local validator, no setup needed.
    #[arg(long)]
    pub dev: bool,
    /// Minimum time between blocks, e.g. `1s` (default) or `250ms` for fast blocks.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub block_time: Duration,
    /// Directory for blocks, finalizations and consensus state [default: ~/.tao/dev].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Serve JSON-RPC 2.0 over HTTP here (method `tao_head`), e.g. 127.0.0.1:9944.
    #[arg(long)]
    pub rpc_addr: Option<SocketAddr>,
    /// Print each finalized block as a JSON line instead of a table row.
    #[arg(long)]
    pub json: bool,
}

/// Runs the node until it stops (Ctrl-C ends it; storage is crash-safe).
pub fn run(args: NodeArgs) -> anyhow::Result<ExitCode> {
    if !args.dev {
        bail!("only dev chains are supported so far: run `tao node --dev`");
    }
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let json = args.json;
    if !json {
        eprintln!(
            "dev chain: block time {:?}, data in {}",
            args.block_time,
            data_dir.display()
        );
        if let Some(addr) = args.rpc_addr {
            eprintln!("JSON-RPC on http://{addr} (tao_head)");
        }
        println!("{:>10}  {:<66}  {:>4}", "height", "hash", "txs");
    }
    let on_finalized = Arc::new(move |finalized: &Finalized| {
        let header = &finalized.block.header;
        let hash = format!("0x{}", hex::encode(finalized.digest));
        let txs = finalized.block.transactions.len();
        if json {
            let line = serde_json::json!({
                "height": header.height,
                "hash": hash,
                "timestamp": header.timestamp,
                "transactions": txs,
                "state_root": format!("0x{}", hex::encode(header.state_root)),
            });
            println!("{line}");
        } else {
            println!("{:>10}  {hash:<66}  {txs:>4}", header.height);
        }
    });
    dev::run(DevConfig {
        data_dir: data_dir.clone(),
        block_time: args.block_time,
        rpc_addr: args.rpc_addr,
        on_finalized,
    })
    .with_context(|| {
        format!(
            "dev node stopped (data in {}; remove it to start a fresh chain)",
            data_dir.display()
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Options of `tao bench node`.
#[derive(Args)]
pub struct NodeBenchArgs {
    /// Blocks every validator must finalize in each run.
    #[arg(long, default_value_t = 200)]
    pub blocks: u64,
    /// Simulated block time, e.g. `250ms`.
    #[arg(long, value_parser = parse_duration, default_value = "250ms")]
    pub block_time: Duration,
    /// Print results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tao bench node`: wall-clock cost of consensus (simplex, marshal, storage, signatures) per
/// finalized block, for 1 and 4 validators on the deterministic runtime and simulated network.
pub fn bench(args: NodeBenchArgs) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    for validators in [1, 4] {
        let m = tao_node::sim::measure(validators, args.blocks, args.block_time, 1)
            .with_context(|| format!("simulated run with {validators} validators failed"))?;
        let per_block_us = m.wall.as_micros() / u128::from(m.blocks.max(1));
        rows.push(serde_json::json!({
            "validators": m.validators,
            "blocks": m.blocks,
            "simulated_ms": m.simulated.as_millis(),
            "wall_ms": m.wall.as_millis(),
            "wall_us_per_block": per_block_us,
        }));
        if !args.json {
            println!(
                "{} validator(s): {} blocks in {:.1} s simulated, {:.2} s wall = {} µs wall per block",
                m.validators,
                m.blocks,
                m.simulated.as_secs_f64(),
                m.wall.as_secs_f64(),
                per_block_us
            );
        }
    }
    if args.json {
        println!("{}", serde_json::Value::Array(rows));
    }
    Ok(ExitCode::SUCCESS)
}

/// `~/.tao/dev`, so a restarted dev node resumes its chain without flags.
fn default_data_dir() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .context("HOME is not set: pass --data-dir DIR to choose where the chain is stored")?;
    Ok(PathBuf::from(home).join(".tao").join("dev"))
}

/// Parses `250ms`, `1s`, `1.5s` or `2m` into a duration.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` has no unit: write e.g. 250ms, 1s or 2m"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{number}` is not a number: write e.g. 250ms, 1s or 2m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit `{unit}`: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|err| format!("`{text}`: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("250").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("1h").is_err());
    }
}
