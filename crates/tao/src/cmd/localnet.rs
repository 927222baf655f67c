//! `tao localnet`: a multi-validator chain on 127.0.0.1 in one command. Starts one
//! `tao node --chain localnet --validator N` process per validator and one `--follower N`
//! process per follower (each with its own data directory, p2p port and RPC port), shows each
//! height once a quorum of validators finalized it, and says when a node stops. Ctrl-C stops them all; storage is crash-safe, so running it again
//! resumes the chain.

use std::{
    fs::File,
    io::{BufRead as _, BufReader},
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, Stdio},
    sync::mpsc,
    time::Duration,
};

use anyhow::{Context as _, bail};
use clap::Args;
use tao_node::localnet::{DEFAULT_P2P_PORT, Localnet, MAX_VALIDATORS};

use super::node::{parse_duration, submit_in_batches, tao_home};

/// Run a local multi-validator network.
#[derive(Args)]
pub struct LocalnetArgs {
    /// Number of validators (BFT: up to (n-1)/3 may fail and the chain keeps finalizing).
    #[arg(long, default_value_t = 4)]
    pub validators: u64,
    /// Number of followers: nodes that sync and serve the chain without voting.
    #[arg(long, default_value_t = 0)]
    pub followers: u64,
    /// Minimum time between blocks, e.g. `1s` (default) or `250ms`.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub block_time: Duration,
    /// Directory holding each node's data (`validator-N/`, `follower-N/`) and log
    /// (`validator-N.log`, …) [default: ~/.tao/localnet].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// p2p port of validator 0; validator N uses this port + N, follower N this port +
    /// validators + N.
    #[arg(long, default_value_t = DEFAULT_P2P_PORT)]
    pub p2p_port: u16,
    /// JSON-RPC port of validator 0; the other nodes use the next ports, in the same order.
    #[arg(long, default_value_t = 9944)]
    pub rpc_port: u16,
    /// Print one JSON line per finalized block and node instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A node of the localnet: validators take slots `0..n`, followers the slots after them.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Validator(u64),
    Follower(u64),
}

impl Slot {
    fn of(slot: u64, validators: u64) -> Self {
        if slot < validators {
            Self::Validator(slot)
        } else {
            Self::Follower(slot - validators)
        }
    }

    fn name(self) -> String {
        match self {
            Self::Validator(index) => format!("validator-{index}"),
            Self::Follower(index) => format!("follower-{index}"),
        }
    }
}

/// One line a node process printed, or its end.
enum Report {
    Finalized {
        slot: u64,
        height: u64,
        hash: String,
    },
    Exited {
        slot: u64,
    },
}

/// A node process, stopped when dropped.
struct NodeProcess {
    child: Child,
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the nodes and follows them until every one has stopped.
pub fn run(args: LocalnetArgs) -> anyhow::Result<ExitCode> {
    if args.validators == 0 || args.validators > MAX_VALIDATORS {
        bail!(
            "--validators {} is not possible: use 1 to {MAX_VALIDATORS}",
            args.validators
        );
    }
    let localnet = Localnet {
        validators: args.validators,
        followers: args.followers,
        p2p_port: args.p2p_port,
    };
    localnet.validator_set()?;
    localnet.follower_set()?;
    let dir = match args.data_dir {
        Some(dir) => dir,
        None => tao_home()?.join("localnet"),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the localnet directory {}", dir.display()))?;
    let exe = std::env::current_exe().context("cannot locate the tao executable")?;
    let (reports, received) = mpsc::channel();
    let mut nodes = Vec::new();
    let mut endpoints = Vec::new();
    let total = args.validators + args.followers;
    for slot in 0..total {
        let node = Slot::of(slot, args.validators);
        let name = node.name();
        let rpc_port = u16::try_from(slot)
            .ok()
            .and_then(|i| args.rpc_port.checked_add(i))
            .with_context(|| format!("RPC port {} + {slot} is past 65535", args.rpc_port))?;
        let rpc = SocketAddr::from((Ipv4Addr::LOCALHOST, rpc_port));
        let data = dir.join(&name);
        let log_path = dir.join(format!("{name}.log"));
        let log = File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let mut child = spawn_node(
            &exe,
            &localnet,
            node,
            args.block_time,
            rpc,
            &data,
            Stdio::piped(),
            Stdio::from(log),
        )
        .with_context(|| format!("cannot start {name}"))?;
        let stdout = child.stdout.take().context("node stdout is not piped")?;
        let reports = reports.clone();
        std::thread::spawn(move || follow(slot, stdout, &reports));
        endpoints.push((name, localnet.p2p_addr(slot)?, rpc, data, log_path));
        nodes.push(NodeProcess { child });
    }
    drop(reports);
    if args.json {
        for (name, p2p, rpc, data, log) in &endpoints {
            let line = serde_json::json!({
                "node": name, "p2p": p2p.to_string(), "rpc": format!("http://{rpc}"),
                "data_dir": data, "log": log,
            });
            println!("{line}");
        }
    } else {
        eprintln!(
            "localnet: {} validators, {} followers, block time {:?}, data in {}",
            args.validators,
            args.followers,
            args.block_time,
            dir.display()
        );
        println!("{:<12}  {:<21}  {:<28}  log", "node", "p2p", "JSON-RPC");
        for (name, p2p, rpc, _, log) in &endpoints {
            println!(
                "{name:<12}  {:<21}  {:<28}  {}",
                p2p.to_string(),
                format!("http://{rpc}"),
                log.display()
            );
        }
        println!();
        println!("{:>10}  {:<66}  validators", "height", "hash");
    }
    // A height is shown once a quorum of validators reported it (n − f, f = ⌊(n−1)/3⌋).
    let quorum = args.validators - (args.validators - 1) / 3;
    let mut reported: std::collections::BTreeMap<u64, (String, u64)> = Default::default();
    let mut shown = 0u64;
    let mut running = total;
    while running > 0 {
        let Ok(report) = received.recv() else {
            break;
        };
        match report {
            Report::Finalized { slot, height, hash } => {
                if args.json {
                    let node = Slot::of(slot, args.validators).name();
                    let line = serde_json::json!({"node": node, "height": height, "hash": hash});
                    println!("{line}");
                    continue;
                }
                if height <= shown || slot >= args.validators {
                    // Heights already shown (a node catching up), and followers' reports.
                    continue;
                }
                let entry = reported.entry(height).or_insert((hash, 0));
                entry.1 += 1;
                while let Some(first) = reported.first_entry() {
                    if first.get().1 < quorum {
                        break;
                    }
                    let (height, (hash, count)) = first.remove_entry();
                    shown = height;
                    println!("{height:>10}  {hash:<66}  {count}/{}", args.validators);
                }
            }
            Report::Exited { slot } => {
                running -= 1;
                let name = Slot::of(slot, args.validators).name();
                let status = nodes
                    .get_mut(slot as usize)
                    .and_then(|node| node.child.wait().ok())
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unknown status".to_string());
                eprintln!(
                    "{name} stopped ({status}); see {} — the chain keeps finalizing while at most {} validators are down",
                    dir.join(format!("{name}.log")).display(),
                    (args.validators - 1) / 3
                );
            }
        }
    }
    Ok(ExitCode::FAILURE)
}

/// Starts `tao node --chain localnet` for one slot.
#[allow(clippy::too_many_arguments)]
fn spawn_node(
    exe: &Path,
    localnet: &Localnet,
    node: Slot,
    block_time: Duration,
    rpc: SocketAddr,
    data: &Path,
    stdout: Stdio,
    stderr: Stdio,
) -> std::io::Result<Child> {
    let (flag, index) = match node {
        Slot::Validator(index) => ("--validator", index),
        Slot::Follower(index) => ("--follower", index),
    };
    Command::new(exe)
        .args(["node", "--chain", "localnet", "--json", flag])
        .arg(index.to_string())
        .arg("--validators")
        .arg(localnet.validators.to_string())
        .arg("--followers")
        .arg(localnet.followers.to_string())
        .arg("--p2p-port")
        .arg(localnet.p2p_port.to_string())
        .arg("--block-time")
        .arg(format!("{}ms", block_time.as_millis()))
        .arg("--rpc-addr")
        .arg(rpc.to_string())
        .arg("--data-dir")
        .arg(data)
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
}

/// Reads a node's JSON lines and reports each finalized block, then its end.
fn follow(slot: u64, stdout: std::process::ChildStdout, reports: &mpsc::Sender<Report>) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let height = value.get("height").and_then(serde_json::Value::as_u64);
        let hash = value.get("hash").and_then(serde_json::Value::as_str);
        if let (Some(height), Some(hash)) = (height, hash) {
            let report = Report::Finalized {
                slot,
                height,
                hash: hash.to_string(),
            };
            if reports.send(report).is_err() {
                return;
            }
        }
    }
    let _ = reports.send(Report::Exited { slot });
}

/// Options of `tao bench localnet`.
#[derive(Args)]
pub struct LocalnetBenchArgs {
    /// Validators in the network (each its own process on 127.0.0.1).
    #[arg(long, default_value_t = 4)]
    pub validators: u64,
    /// Block time, e.g. `250ms`.
    #[arg(long, value_parser = parse_duration, default_value = "250ms")]
    pub block_time: Duration,
    /// Finalized blocks timed on an idle chain.
    #[arg(long, default_value_t = 100)]
    pub blocks: u64,
    /// Signed transfers submitted over RPC, spread over the validators (0 skips).
    #[arg(long, default_value_t = 20_000)]
    pub transfers: u64,
    /// How long the last validator stays killed before it restarts and catches up (0 skips).
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub down: Duration,
    /// Print results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tao bench localnet`: a real multi-validator network of processes on 127.0.0.1, measured
/// through tao-client: start to first finalized block; finalization latency (block timestamp,
/// set by its proposer, to the moment each validator announces it finalized) on an idle chain
/// and under a transfer load; transfers per second from RPC submission to finality; and how
/// long a validator killed with SIGKILL takes, once restarted, to catch up with the head.
pub fn bench(args: LocalnetBenchArgs) -> anyhow::Result<ExitCode> {
    if args.validators == 0 || args.validators > MAX_VALIDATORS {
        bail!(
            "--validators {} is not possible: use 1 to {MAX_VALIDATORS}",
            args.validators
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let report = runtime.block_on(bench_network(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let ms = |key: &str| report[key].as_f64().unwrap_or(f64::NAN);
        println!(
            "{} validators, block time {:?}",
            args.validators, args.block_time
        );
        println!(
            "start to first finalized block: {:.0} ms",
            ms("first_block_ms")
        );
        println!(
            "finalization latency, idle ({} blocks × {} validators): p50 {:.1} ms, p99 {:.1} ms; {:.2} blocks/s",
            report["idle"]["samples"],
            args.validators,
            report["idle"]["p50_ms"].as_f64().unwrap_or(f64::NAN),
            report["idle"]["p99_ms"].as_f64().unwrap_or(f64::NAN),
            report["idle"]["blocks_per_s"].as_f64().unwrap_or(f64::NAN),
        );
        if args.transfers > 0 {
            println!(
                "transfers: {} in {:.2} s = {:.0} tx/s (submission to finality); latency under load p50 {:.1} ms, p99 {:.1} ms",
                report["load"]["transfers"],
                ms("transfer_s"),
                report["load"]["tx_per_s"].as_f64().unwrap_or(f64::NAN),
                report["load"]["p50_ms"].as_f64().unwrap_or(f64::NAN),
                report["load"]["p99_ms"].as_f64().unwrap_or(f64::NAN),
            );
        }
        if !args.down.is_zero() {
            println!(
                "catch-up: validator {} killed (SIGKILL) for {:?}, {} blocks behind at restart; reached that head {:.0} ms after restart",
                args.validators - 1,
                args.down,
                report["catch_up"]["behind"],
                report["catch_up"]["ms"].as_f64().unwrap_or(f64::NAN),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Processes and data of a benchmark network, removed when dropped.
struct BenchNetwork {
    validators: Vec<NodeProcess>,
    dir: PathBuf,
}

impl Drop for BenchNetwork {
    fn drop(&mut self) {
        self.validators.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A p2p base port whose next `n` ports are free right now.
fn free_port_range(n: u64) -> anyhow::Result<u16> {
    let start = 20_000 + (std::process::id() % 20_000) as u16;
    (0..200u16)
        .map(|step| start.saturating_add(step.saturating_mul(64)))
        .find(|&base| {
            (0..n).all(|i| {
                u16::try_from(i)
                    .ok()
                    .and_then(|i| base.checked_add(i))
                    .is_some_and(|port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
            })
        })
        .context("no free range of p2p ports on 127.0.0.1")
}

/// Median and 99th percentile of `samples` (sorted in place).
fn percentiles(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).copied().unwrap_or(f64::NAN)
    };
    (at(0.5), at(0.99))
}

/// Milliseconds since the Unix epoch (block timestamps use the same clock).
fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn finalized_height(client: &tao_client::Client) -> u64 {
    client.head().await.map_or(0, |head| head.finalized_number)
}

async fn bench_network(args: &LocalnetBenchArgs) -> anyhow::Result<serde_json::Value> {
    use serde_json::json;
    use tao_crypto::Pair;
    use tao_runtime::{Call, Transaction, codec::Encode as _};

    let localnet = Localnet {
        validators: args.validators,
        followers: 0,
        p2p_port: free_port_range(args.validators)?,
    };
    let dir = std::env::temp_dir().join(format!("tao-bench-localnet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let exe = std::env::current_exe().context("cannot locate the tao executable")?;
    let mut rpcs = Vec::new();
    for _ in 0..args.validators {
        rpcs.push(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?);
    }
    let start = |index: u64| {
        spawn_node(
            &exe,
            &localnet,
            Slot::Validator(index),
            args.block_time,
            rpcs[index as usize],
            &dir.join(format!("validator-{index}")),
            Stdio::null(),
            Stdio::null(),
        )
        .map(|child| NodeProcess { child })
        .with_context(|| format!("cannot start validator {index}"))
    };
    let started = std::time::Instant::now();
    let mut network = BenchNetwork {
        validators: Vec::new(),
        dir: dir.clone(),
    };
    for index in 0..args.validators {
        network.validators.push(start(index)?);
    }
    let clients = rpcs
        .iter()
        .map(|addr| {
            tao_client::Client::new(&addr.to_string())
                .map(|c| c.with_timeout(Duration::from_secs(30)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let first_block = loop {
        let mut lowest = u64::MAX;
        for client in &clients {
            lowest = lowest.min(finalized_height(client).await);
        }
        if lowest >= 1 {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the localnet finalized no block within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };

    // Every validator's finalized heads with the latency of each: (height, ms, transactions).
    let (samples_tx, mut samples) = tokio::sync::mpsc::unbounded_channel();
    let mut watchers = Vec::new();
    for client in &clients {
        let mut heads = client.subscribe("finalizedHeads").await?;
        let samples_tx = samples_tx.clone();
        watchers.push(tokio::spawn(async move {
            while let Some(Ok(head)) = heads.next_as::<tao_client::HeadInfo>().await {
                let latency = now_ms() - head.timestamp as f64;
                if samples_tx
                    .send((head.number, latency, head.transactions))
                    .is_err()
                {
                    return;
                }
            }
        }));
    }
    drop(samples_tx);
    let idle_from = finalized_height(&clients[0]).await + 1;
    let idle_to = idle_from + args.blocks;
    let idle_started = std::time::Instant::now();
    let mut idle = Vec::new();
    while let Some((height, latency, _)) = samples.recv().await {
        if height >= idle_to {
            break;
        }
        if height >= idle_from {
            idle.push(latency);
        }
    }
    let idle_blocks_per_s = args.blocks as f64 / idle_started.elapsed().as_secs_f64();
    let (idle_p50, idle_p99) = percentiles(&mut idle);
    let mut report = json!({
        "validators": args.validators,
        "block_time_ms": args.block_time.as_millis(),
        "first_block_ms": first_block.as_secs_f64() * 1000.0,
        "idle": {"samples": idle.len(), "p50_ms": idle_p50, "p99_ms": idle_p99,
                 "blocks_per_s": idle_blocks_per_s},
    });

    if args.transfers > 0 {
        let genesis = clients[0].genesis_hash().await?;
        let senders: Vec<Pair> = tao_runtime::genesis::DEV_ACCOUNTS
            .iter()
            .map(|uri| Pair::from_uri(uri))
            .collect::<Result<_, _>>()?;
        let per_sender = args.transfers.div_ceil(senders.len() as u64).min(4_000);
        let dest = Pair::from_uri("//Transfers/sink")?.public();
        let mut nonces = Vec::new();
        for sender in &senders {
            nonces.push(
                clients[0]
                    .account(&sender.public().to_ss58())
                    .await?
                    .next_nonce,
            );
        }
        let total = per_sender * senders.len() as u64;
        let load_from = finalized_height(&clients[0]).await + 1;
        let t0 = std::time::Instant::now();
        let mut tasks = Vec::new();
        for (k, (sender, first)) in senders.iter().zip(nonces).enumerate() {
            let txs: Vec<String> = (first..first + per_sender)
                .map(|nonce| {
                    let call = Call::TransferAllowDeath { dest, value: 1_000 };
                    let tx = Transaction::sign(sender, genesis, nonce, 0, call);
                    format!("0x{}", hex::encode(tx.encode()))
                })
                .collect();
            let client = clients[k % clients.len()].clone();
            tasks.push(tokio::spawn(submit_in_batches(client, txs)));
        }
        for task in tasks {
            task.await??;
        }
        let mut included = 0u64;
        let mut loaded = Vec::new();
        let mut counted = std::collections::BTreeSet::new();
        while included < total {
            let Some((height, latency, transactions)) = samples.recv().await else {
                bail!("the validators stopped announcing finalized blocks");
            };
            if height >= load_from {
                loaded.push(latency);
                // Every node announces every block: count each block's transactions once.
                if counted.insert(height) {
                    included += transactions as u64;
                }
            }
            if t0.elapsed() > Duration::from_secs(600) {
                bail!("transfers did not finalize within 10 minutes");
            }
        }
        let elapsed = t0.elapsed();
        let (p50, p99) = percentiles(&mut loaded);
        report["transfer_s"] = json!(elapsed.as_secs_f64());
        report["load"] = json!({
            "transfers": total,
            "tx_per_s": total as f64 / elapsed.as_secs_f64(),
            "p50_ms": p50,
            "p99_ms": p99,
        });
    }

    if !args.down.is_zero() && args.validators > 1 {
        let last = args.validators - 1;
        if let Some(victim) = network.validators.get_mut(last as usize) {
            victim.child.kill()?;
            victim.child.wait()?;
        }
        tokio::time::sleep(args.down).await;
        let mut head = 0;
        for client in &clients[..last as usize] {
            head = head.max(finalized_height(client).await);
        }
        let behind = head.saturating_sub(finalized_height(&clients[last as usize]).await);
        let restarted = std::time::Instant::now();
        network.validators[last as usize] = start(last)?;
        while finalized_height(&clients[last as usize]).await < head {
            if restarted.elapsed() > Duration::from_secs(300) {
                bail!("the restarted validator did not catch up within 5 minutes");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        report["catch_up"] = json!({
            "validator": last,
            "down_ms": args.down.as_millis(),
            "head": head,
            "behind": behind,
            "ms": restarted.elapsed().as_secs_f64() * 1000.0,
        });
    }
    for watcher in watchers {
        watcher.abort();
    }
    Ok(report)
}
