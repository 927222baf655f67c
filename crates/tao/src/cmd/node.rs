//! `tao node`: run a node. `--dev` runs a dev chain: one local validator producing and
//! finalizing a block every block time with the tao-runtime state machine, stored under a data
//! directory and resumed from it on restart, with JSON-RPC (HTTP + WebSocket) and `/metrics`.
//! `--chain localnet --validator N` runs validator N of a multi-validator localnet on
//! 127.0.0.1 (`tao localnet` starts all of them at once).

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use tao_node::{
    Finalized, FinalizedHook,
    dev::{self, DevConfig},
    localnet::{DEFAULT_P2P_PORT, Localnet},
    network,
};

/// A localnet node's place in the network.
#[derive(Clone, Copy, Debug)]
enum LocalRole {
    Validator(u64),
    Follower(u64),
}

impl std::fmt::Display for LocalRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Validator(index) => write!(f, "validator-{index}"),
            Self::Follower(index) => write!(f, "follower-{index}"),
        }
    }
}

/// Which chain a node joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Chain {
    /// A single local validator, no setup needed (same as `--dev`).
    Dev,
    /// Validator `--validator N` (or follower `--follower N`) of a network on 127.0.0.1.
    Localnet,
}

/// Run a tao node.
#[derive(Args)]
pub struct NodeArgs {
    /// Run a dev chain: a single local validator, no setup needed.
    #[arg(long)]
    pub dev: bool,
    /// The chain to run: `dev`, or `localnet` with `--validator N`.
    #[arg(long, value_enum, conflicts_with = "dev")]
    pub chain: Option<Chain>,
    /// This node's index in the localnet's validator set (0-based).
    #[arg(long)]
    pub validator: Option<u64>,
    /// This node's index among the localnet's followers (non-voting nodes that sync the chain).
    #[arg(long, conflicts_with = "validator")]
    pub follower: Option<u64>,
    /// Number of validators in the localnet.
    #[arg(long, default_value_t = 4)]
    pub validators: u64,
    /// Number of followers in the localnet (validators must know them to serve them).
    #[arg(long, default_value_t = 0)]
    pub followers: u64,
    /// p2p port of localnet validator 0; validator N listens on this port + N, follower N on
    /// this port + validators + N.
    #[arg(long, default_value_t = DEFAULT_P2P_PORT)]
    pub p2p_port: u16,
    /// Minimum time between blocks, e.g. `1s` (default) or `250ms` for fast blocks.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub block_time: Duration,
    /// Directory for blocks, finalizations and consensus state [default: ~/.tao/dev, or
    /// ~/.tao/localnet/validator-N or follower-N].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Serve JSON-RPC 2.0 (HTTP POST and WebSocket) and /metrics here, e.g. 127.0.0.1:9944.
    #[arg(long)]
    pub rpc_addr: Option<SocketAddr>,
    /// Print each finalized block as a JSON line instead of a table row.
    #[arg(long)]
    pub json: bool,
}

/// Runs the node until it stops (Ctrl-C ends it; storage is crash-safe).
pub fn run(args: NodeArgs) -> anyhow::Result<ExitCode> {
    let chain = match (args.dev, args.chain) {
        (true, _) => Chain::Dev,
        (false, Some(chain)) => chain,
        (false, None) => {
            bail!("choose a chain: `tao node --dev`, or `tao node --chain localnet --validator N`")
        }
    };
    let localnet = Localnet {
        validators: args.validators,
        followers: args.followers,
        p2p_port: args.p2p_port,
    };
    let role = match (chain, args.validator, args.follower) {
        (Chain::Localnet, Some(index), _) => Some(LocalRole::Validator(index)),
        (Chain::Localnet, None, Some(index)) => Some(LocalRole::Follower(index)),
        (Chain::Localnet, None, None) => bail!(
            "a localnet node needs --validator N (0 to {}) or --follower N; `tao localnet` starts them all",
            args.validators.saturating_sub(1)
        ),
        (Chain::Dev, None, None) => None,
        (Chain::Dev, _, _) => {
            bail!("--validator and --follower are for localnet nodes: add --chain localnet")
        }
    };
    let data_dir = match (args.data_dir, role) {
        (Some(dir), _) => dir,
        (None, None) => tao_home()?.join("dev"),
        (None, Some(role)) => tao_home()?.join("localnet").join(role.to_string()),
    };
    let json = args.json;
    let on_finalized: FinalizedHook = Arc::new(move |finalized: &Finalized| {
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
    let (block_time, rpc_addr) = (args.block_time, args.rpc_addr);
    // A localnet node's place is checked before anything is printed or stored.
    let node = match role {
        None => None,
        Some(LocalRole::Validator(index)) => Some(localnet.validator(
            index,
            data_dir.clone(),
            block_time,
            rpc_addr,
            on_finalized.clone(),
        )?),
        Some(LocalRole::Follower(index)) => Some(localnet.follower(
            index,
            data_dir.clone(),
            block_time,
            rpc_addr,
            on_finalized.clone(),
        )?),
    };
    if !json {
        match (role, &node) {
            (Some(role), Some(node)) => eprintln!(
                "localnet {role} ({} validators, {} followers): p2p on {}, block time {:?}, data in {}",
                args.validators,
                args.followers,
                node.listen,
                block_time,
                data_dir.display()
            ),
            _ => eprintln!(
                "dev chain: block time {block_time:?}, data in {}",
                data_dir.display()
            ),
        }
        if let Some(addr) = rpc_addr {
            eprintln!(
                "JSON-RPC on http://{addr} and ws://{addr} (rpc.discover lists methods), metrics on http://{addr}/metrics"
            );
        }
        println!("{:>10}  {:<66}  {:>4}", "height", "hash", "txs");
    }
    let result = match node {
        None => dev::run(DevConfig {
            data_dir: data_dir.clone(),
            block_time,
            rpc_addr,
            on_finalized,
        }),
        Some(node) => network::run(node),
    };
    result.with_context(|| format!("node stopped (data in {})", data_dir.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// Options of `tao bench node`.
#[derive(Args)]
pub struct NodeBenchArgs {
    /// Blocks every validator must finalize in each run.
    #[arg(long, default_value_t = 200)]
    pub blocks: u64,
    /// Block time of the simulated runs and of the live dev node, e.g. `250ms`.
    #[arg(long, value_parser = parse_duration, default_value = "250ms")]
    pub block_time: Duration,
    /// Signed transfers submitted over RPC to a live dev node (0 skips the live run).
    #[arg(long, default_value_t = 20_000)]
    pub transfers: u64,
    /// Neurons registered on a subnet for the metagraph latency (at most 4096).
    #[arg(long, default_value_t = 4_096)]
    pub uids: u64,
    /// Skip the simulated consensus runs.
    #[arg(long)]
    pub skip_sim: bool,
    /// Print results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tao bench node`: wall-clock cost of consensus (simplex, marshal, storage, signatures) per
/// finalized block, for 1 and 4 validators on the deterministic runtime and simulated network.
///
/// Then a live run: a `tao node --dev` process on 127.0.0.1 measured end to end through
/// tao-client (start to first block, signed transfers from RPC submission to finality,
/// metagraph latency on a subnet of `--uids` neurons); see [`live_bench`].
pub fn bench(args: NodeBenchArgs) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    let sim_runs: &[u64] = if args.skip_sim { &[] } else { &[1, 4] };
    for &validators in sim_runs {
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
    if args.transfers > 0 {
        let live = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
            .block_on(live_bench(&args))?;
        if !args.json {
            println!(
                "live dev node (block time {:?}): first block {} ms after start; {} transfers finalized in {:.2} s = {:.0} tx/s (RPC submission to finality); metagraph of {} uids: p50 {:.2} ms, p99 {:.2} ms (server mean {:.2} ms, untyped p50 {:.2} ms)",
                args.block_time,
                live["start_to_first_block_ms"],
                live["transfers"],
                live["transfer_seconds"].as_f64().unwrap_or(0.0),
                live["transfers_per_second"].as_f64().unwrap_or(0.0),
                live["metagraph_uids"],
                live["metagraph_p50_ms"].as_f64().unwrap_or(0.0),
                live["metagraph_p99_ms"].as_f64().unwrap_or(0.0),
                live["metagraph_server_mean_ms"].as_f64().unwrap_or(0.0),
                live["metagraph_untyped_p50_ms"].as_f64().unwrap_or(0.0),
            );
        }
        rows.push(live);
    }
    if args.json {
        println!("{}", serde_json::Value::Array(rows));
    }
    Ok(ExitCode::SUCCESS)
}

/// A dev node child process, killed when dropped, with its data directory removed.
struct BenchNode {
    child: std::process::Child,
    data_dir: PathBuf,
}

impl Drop for BenchNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Submits `call` signed by `signer` with the next nonce (no wait).
async fn submit(
    client: &tao_client::Client,
    genesis: [u8; 32],
    signer: &tao_crypto::Pair,
    call: tao_runtime::Call,
) -> anyhow::Result<String> {
    use tao_runtime::codec::Encode as _;
    let nonce = client.account(&signer.public().to_ss58()).await?.next_nonce;
    let tx = tao_runtime::Transaction::sign(signer, genesis, nonce, 0, call);
    Ok(client.submit_transaction(&tx.encode()).await?)
}

/// Submits and waits for finality; fails unless the call applied.
async fn apply(
    client: &tao_client::Client,
    genesis: [u8; 32],
    signer: &tao_crypto::Pair,
    call: tao_runtime::Call,
) -> anyhow::Result<tao_client::TransactionInfo> {
    let what = format!("{call:?}");
    let hash = submit(client, genesis, signer, call).await?;
    let info = client
        .wait_finalized(&hash, Duration::from_secs(60))
        .await?;
    if info.result.as_deref() != Some("applied") {
        bail!("{what} did not apply: {:?}", info.error);
    }
    Ok(info)
}

/// Sum of the finalized nonces of `senders`.
async fn nonce_sum(
    client: &tao_client::Client,
    senders: &[tao_crypto::Pair],
) -> anyhow::Result<u64> {
    let mut sum = 0;
    for sender in senders {
        sum += client.account(&sender.public().to_ss58()).await?.nonce;
    }
    Ok(sum)
}

/// Submits hex-encoded transactions in JSON-RPC batches of 500; fails on the first rejection.
pub(crate) async fn submit_in_batches(
    client: tao_client::Client,
    txs: Vec<String>,
) -> anyhow::Result<()> {
    for chunk in txs.chunks(500) {
        let calls: Vec<(&str, serde_json::Value)> = chunk
            .iter()
            .map(|tx| ("tao_submitTransaction", serde_json::json!([tx])))
            .collect();
        let answers = client.batch(&calls).await?;
        if let Some(Err(err)) = answers.into_iter().find(Result::is_err) {
            return Err(err.into());
        }
    }
    Ok(())
}

/// The live part of `tao bench node`.
async fn live_bench(args: &NodeBenchArgs) -> anyhow::Result<serde_json::Value> {
    use serde_json::json;
    use tao_crypto::Pair;
    use tao_runtime::{Call, Hyperparam, Transaction, codec::Encode as _};

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let data_dir = std::env::temp_dir().join(format!("tao-bench-node-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let block_time = format!("{}ms", args.block_time.as_millis());
    let started = Instant::now();
    let child = std::process::Command::new(std::env::current_exe()?)
        .args([
            "node",
            "--dev",
            "--json",
            "--block-time",
            &block_time,
            "--data-dir",
        ])
        .arg(&data_dir)
        .args(["--rpc-addr", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("cannot start `tao node --dev` for the benchmark")?;
    let _node = BenchNode { child, data_dir };
    let client = tao_client::Client::new(&port.to_string())?
        .with_timeout(Duration::from_secs(30))
        .with_retries(1);
    let first_block = loop {
        if let Ok(head) = client.head().await
            && head.finalized_number >= 1
        {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the dev node produced no block within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let genesis = client.genesis_hash().await?;

    // Sustained transfers: pre-signed, spread over the funded dev accounts, submitted in
    // batches from one task per sender; timed from the first submission until every one is
    // in a finalized block (the senders' finalized nonces count them).
    let senders: Vec<Pair> = tao_runtime::genesis::DEV_ACCOUNTS
        .iter()
        .map(|uri| Pair::from_uri(uri))
        .collect::<Result<_, _>>()?;
    let per_sender = args.transfers.div_ceil(senders.len() as u64).min(4_000);
    let dest = Pair::from_uri("//Transfers/sink")?.public();
    let mut batches = Vec::new();
    for sender in &senders {
        let txs: Vec<String> = (0..per_sender)
            .map(|nonce| {
                let tx = Transaction::sign(
                    sender,
                    genesis,
                    nonce,
                    0,
                    Call::TransferAllowDeath { dest, value: 1_000 },
                );
                format!("0x{}", hex::encode(tx.encode()))
            })
            .collect();
        batches.push(txs);
    }
    let total = per_sender * senders.len() as u64;
    let before = nonce_sum(&client, &senders).await?;
    let t0 = Instant::now();
    let tasks: Vec<_> = batches
        .into_iter()
        .map(|txs| tokio::spawn(submit_in_batches(client.clone(), txs)))
        .collect();
    for task in tasks {
        task.await??;
    }
    let submitted = t0.elapsed();
    loop {
        if nonce_sum(&client, &senders).await? >= before + total {
            break;
        }
        if t0.elapsed() > Duration::from_secs(600) {
            bail!("transfers did not finalize within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let transfer_time = t0.elapsed();

    // Metagraph latency: one subnet with `uids` neurons (registration limits lifted by sudo).
    let uids = args.uids.clamp(1, 4_096);
    let alice = Pair::from_uri("//Alice")?;
    let owner = Pair::from_uri("//Bob")?;
    let created = apply(
        &client,
        genesis,
        &owner,
        Call::RegisterNetwork {
            hotkey: Pair::from_uri("//Bench/owner")?.public(),
        },
    )
    .await?;
    let netuid = created
        .events
        .iter()
        .filter(|e| e["event"] == "NetworkAdded")
        .find_map(|e| e.get("netuid")?.as_u64())
        .and_then(|n| u16::try_from(n).ok())
        .context("no NetworkAdded event")?;
    for (param, value) in [
        (Hyperparam::MaxAllowedUids, uids.max(1)),
        (Hyperparam::MaxRegistrationsPerBlock, 4_096),
        (Hyperparam::TargetRegistrationsPerInterval, 4_096),
        (Hyperparam::MinBurn, 1_000),
        (Hyperparam::MaxBurn, 100_000_000),
    ] {
        apply(
            &client,
            genesis,
            &alice,
            Call::SudoSetHyperparameter {
                netuid,
                param,
                value,
            },
        )
        .await?;
    }
    let registrants = [Pair::from_uri("//Charlie")?, Pair::from_uri("//Dave")?];
    let existing = u64::from(client.subnet(netuid).await?.map_or(0, |s| s.subnetwork_n));
    let needed = uids.saturating_sub(existing);
    let mut last = String::new();
    for (i, coldkey) in registrants.iter().enumerate() {
        let share = needed / 2 + if i == 0 { needed % 2 } else { 0 };
        let start = client
            .account(&coldkey.public().to_ss58())
            .await?
            .next_nonce;
        let mut calls = Vec::new();
        for k in 0..share {
            let hotkey = Pair::from_uri(&format!("//Bench/{i}/{k}"))?.public();
            let tx = Transaction::sign(
                coldkey,
                genesis,
                start + k,
                0,
                Call::BurnedRegister { netuid, hotkey },
            );
            calls.push(format!("0x{}", hex::encode(tx.encode())));
        }
        for chunk in calls.chunks(500) {
            let requests: Vec<(&str, serde_json::Value)> = chunk
                .iter()
                .map(|tx| ("tao_submitTransaction", json!([tx])))
                .collect();
            for answer in client.batch(&requests).await? {
                last = serde_json::from_value(answer?)?;
            }
        }
    }
    if !last.is_empty() {
        client
            .wait_finalized(&last, Duration::from_secs(300))
            .await?;
    }
    let n = client.metagraph(netuid).await?.neurons.len();
    let server_before = metagraph_server_time(&client).await?;
    let mut latencies = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        client.metagraph(netuid).await?;
        latencies.push(t.elapsed());
    }
    let server_after = metagraph_server_time(&client).await?;
    // The same calls parsed but not built into structs: transfer and JSON scanning only.
    let mut untyped = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        client
            .call::<serde::de::IgnoredAny>("tao_metagraph", json!([netuid]))
            .await?;
        untyped.push(t.elapsed());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    let percentile = |samples: &mut Vec<Duration>, p: usize| {
        samples.sort();
        ms(samples[(samples.len() * p / 100).min(samples.len() - 1)])
    };
    let p50 = percentile(&mut latencies, 50);
    let p99 = percentile(&mut latencies, 99);
    let untyped_p50 = percentile(&mut untyped, 50);
    let calls = server_after.1.saturating_sub(server_before.1).max(1);
    let server_mean_ms = (server_after.0 - server_before.0) * 1_000.0 / calls as f64;
    Ok(json!({
        "start_to_first_block_ms": first_block.as_millis(),
        "block_time_ms": args.block_time.as_millis(),
        "transfers": total,
        "submission_seconds": submitted.as_secs_f64(),
        "transfer_seconds": transfer_time.as_secs_f64(),
        "transfers_per_second": total as f64 / transfer_time.as_secs_f64(),
        "metagraph_uids": n,
        "metagraph_p50_ms": p50,
        "metagraph_p99_ms": p99,
        "metagraph_server_mean_ms": server_mean_ms,
        "metagraph_untyped_p50_ms": untyped_p50,
    }))
}

/// Total seconds and calls the node's `/metrics` reports for `tao_metagraph` (server side:
/// the state read on a cache miss, or the cache lookup).
async fn metagraph_server_time(client: &tao_client::Client) -> anyhow::Result<(f64, u64)> {
    let text = client.metrics().await?;
    let value = |series: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let sum = value("tao_rpc_request_duration_seconds_sum{method=\"tao_metagraph\"}");
    let count = value("tao_rpc_request_duration_seconds_count{method=\"tao_metagraph\"}");
    Ok((sum, count as u64))
}

/// `~/.tao/dev`, so a restarted dev node resumes its chain without flags.
/// `~/.tao`, where chains are stored unless `--data-dir` says otherwise.
pub fn tao_home() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .context("HOME is not set: pass --data-dir DIR to choose where the chain is stored")?;
    Ok(PathBuf::from(home).join(".tao"))
}

/// Parses `250ms`, `1s`, `1.5s` or `2m` into a duration.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
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
