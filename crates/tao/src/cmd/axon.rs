//! `tao axon`: serve the conventional `Dummy` / `DummyStream` synapses for manual and interop
//! checks; also the axon benchmark (`bench_axon`, for `tao bench axon`) comparing the tao pair
//! with the Python bittensor pair on this machine.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tao_axon::dummy::{Dummy, DummyStream, forward_dummy, forward_dummy_stream};
use tao_axon::{Axon, AxonConfig, AxonInfo, Dendrite, RouteOptions};
use tao_crypto::Pair;

/// `tao axon`.
#[derive(Args)]
pub struct AxonArgs {
    #[command(subcommand)]
    command: AxonCommand,
}

#[derive(Subcommand)]
enum AxonCommand {
    /// Serve `Dummy` (output = 2 × input) and `DummyStream` until Ctrl-C.
    ServeDummy(ServeArgs),
    /// Measure requests/s and latency of the tao and Python pairs (same as `tao bench axon`).
    Bench(BenchAxonArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// TCP port (0 picks a free one, printed at start).
    #[arg(long, default_value_t = 8091)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Secret URI of the axon's hotkey.
    #[arg(long, default_value = "//Bob")]
    uri: String,
    /// Print the start-up line as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `tao axon …`.
pub fn run(args: AxonArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AxonCommand::ServeDummy(s) => serve_dummy(&s),
        AxonCommand::Bench(b) => bench_axon(b),
    }
}

fn runtime() -> anyhow::Result<tao_axon::tokio::runtime::Runtime> {
    tao_axon::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn dummy_axon(pair: Pair, config: AxonConfig) -> Axon {
    Axon::new(pair)
        .config(config)
        .attach(forward_dummy)
        .attach_stream::<DummyStream, _, _>(RouteOptions::default(), forward_dummy_stream)
}

fn serve_dummy(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let pair = Pair::from_uri(&args.uri)
        .with_context(|| format!("--uri {:?} is not a valid secret URI (try //Bob)", args.uri))?;
    let hotkey = pair.public().to_ss58();
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .with_context(|| format!("--host {:?} is not an IP address", args.host))?;
    let rt = runtime()?;
    rt.block_on(async {
        let axon = dummy_axon(pair, AxonConfig::default())
            .serve(addr)
            .await
            .context("choose another --port or stop the process using it")?;
        let local = axon.local_addr();
        if args.json {
            println!(
                "{}",
                json!({"address": local.to_string(), "hotkey": hotkey, "synapses": ["Synapse", "Dummy", "DummyStream"]})
            );
        } else {
            println!("axon listening on {local} as {hotkey}; synapses Synapse, Dummy, DummyStream");
            println!(
                "try: tao dendrite query --axon {local} --hotkey {hotkey} --input 21   (Ctrl-C stops)"
            );
        }
        tao_axon::tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        axon.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Options of the axon benchmark (`tao bench axon`).
#[derive(Args, Clone)]
pub struct BenchAxonArgs {
    /// Measured seconds per concurrency level and pair.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Concurrency levels (requests in flight).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 16, 64])]
    pub concurrency: Vec<usize>,
    /// Skip the Python bittensor pair.
    #[arg(long)]
    pub no_python: bool,
    /// Python interpreter with bittensor 10.5.0 (default: $TAO_PYTHON, else ./.venv/bin/python3).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Print machine-readable JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// CPU seconds (user + system) used so far by this process (`/proc/self/stat`) or, with
/// `thread`, by the calling thread; `None` where procfs is missing. Clock ticks are 1/100 s.
fn cpu_seconds(thread: bool) -> Option<f64> {
    let path = if thread {
        "/proc/thread-self/stat"
    } else {
        "/proc/self/stat"
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// The calling thread's id path under `/proc/self/task/` (e.g. `27311/task/27328`), so that
/// another thread can read its CPU time; `None` where procfs is missing.
fn thread_path() -> Option<PathBuf> {
    std::fs::read_link("/proc/thread-self").ok()
}

/// CPU nanoseconds used so far by one thread, from `/proc/<pid>/task/<tid>/schedstat`
/// (nanosecond resolution, unlike the clock ticks of `stat`).
fn thread_cpu_ns(path: &Option<PathBuf>) -> Option<u64> {
    let stat = std::fs::read_to_string(
        PathBuf::from("/proc")
            .join(path.as_ref()?)
            .join("schedstat"),
    )
    .ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// One measured row.
struct Row {
    pair: &'static str,
    concurrency: usize,
    requests: usize,
    errors: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// CPU time of the whole process per request (client and server together).
    cpu_us_per_request: Option<f64>,
    /// CPU time of the dendrites' thread and of the axon's thread per request: each side has
    /// one thread, so the busier one bounds the rate at `1 / max(client, server)`.
    side_cpu_us: Option<(f64, f64)>,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1000.0
}

/// A runtime driving one side of the benchmark from one thread.
fn single_thread_runtime() -> anyhow::Result<tao_axon::tokio::runtime::Runtime> {
    tao_axon::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// tao dendrite → tao axon in this process: the axon on its own thread with a single-thread
/// runtime, the dendrites on the calling thread with another. (This costs less CPU per request
/// than one 2-worker runtime shared by both sides: no work stealing and no cross-thread
/// wake-ups; `cargo bench -p tao-axon --bench axon` measures both layouts.)
fn bench_tao(concurrency: &[usize], seconds: f64) -> anyhow::Result<Vec<Row>> {
    let rt = single_thread_runtime()?;
    let bob = Pair::from_uri("//Bob").context("deriving //Bob")?;
    let hotkey = bob.public().to_ss58();
    let config = AxonConfig {
        workers: 1024,
        queue: 4096,
        ..AxonConfig::default()
    };
    let axon_rt = single_thread_runtime()?;
    let axon =
        axon_rt.block_on(dummy_axon(bob, config).serve(SocketAddr::from(([127, 0, 0, 1], 0))))?;
    let info = AxonInfo {
        ip: "127.0.0.1".into(),
        port: axon.local_addr().port(),
        hotkey,
    };
    let (stop, stopped) = tao_axon::tokio::sync::oneshot::channel::<()>();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let _ = tid_tx.send(thread_path());
        axon_rt.block_on(async move {
            let _ = stopped.await;
            axon.shutdown().await;
        });
    });
    let server_thread = tid_rx.recv().ok().flatten();
    let client_thread = thread_path();
    let alice = Pair::from_uri("//Alice").context("deriving //Alice")?;
    let mut rows = Vec::new();
    for &c in concurrency {
        // One dendrite per in-flight request: the axon's nonce rule is per hotkey:uuid, and
        // many concurrent requests to one axon come from many validators in practice.
        let dendrites: Vec<Dendrite> = (0..c).map(|_| Dendrite::new(alice.clone())).collect();
        let measure = Duration::from_secs_f64(seconds);
        let warmup = Duration::from_millis(300);
        let cpu_before = cpu_seconds(false);
        let sides_before = thread_cpu_ns(&client_thread).zip(thread_cpu_ns(&server_thread));
        let (lat, errors, elapsed) = rt.block_on(async {
            let start = Instant::now();
            let mut set = tao_axon::tokio::task::JoinSet::new();
            for d in dendrites {
                let info = info.clone();
                set.spawn(async move {
                    let mut lat = Vec::new();
                    let mut errors = 0usize;
                    loop {
                        let t = Instant::now();
                        if t.duration_since(start) >= warmup + measure {
                            break;
                        }
                        let r = d
                            .call(
                                &info,
                                Dummy {
                                    input: 1,
                                    output: None,
                                },
                                Duration::from_secs(12),
                            )
                            .await;
                        if t.duration_since(start) >= warmup {
                            lat.push(t.elapsed());
                            if !r.is_success() {
                                errors += 1;
                            }
                        }
                    }
                    (lat, errors)
                });
            }
            let mut all = Vec::new();
            let mut errors = 0;
            while let Some(Ok((lat, e))) = set.join_next().await {
                all.extend(lat);
                errors += e;
            }
            (all, errors, start.elapsed().saturating_sub(warmup))
        });
        let cpu = cpu_before.zip(cpu_seconds(false)).map(|(a, b)| b - a);
        let sides_after = thread_cpu_ns(&client_thread).zip(thread_cpu_ns(&server_thread));
        let mut lat = lat;
        lat.sort();
        // Warm-up requests are not in `lat`; scale CPU by measured share of the run.
        let share = elapsed.as_secs_f64() / (elapsed + warmup).as_secs_f64();
        let per_request_us = |ns: u64| ns as f64 / 1000.0 * share / lat.len().max(1) as f64;
        let side_cpu_us = sides_before.zip(sides_after).map(|((c0, s0), (c1, s1))| {
            (
                per_request_us(c1.saturating_sub(c0)),
                per_request_us(s1.saturating_sub(s0)),
            )
        });
        rows.push(Row {
            pair: "tao",
            concurrency: c,
            requests: lat.len(),
            errors,
            rps: lat.len() as f64 / elapsed.as_secs_f64(),
            p50_ms: percentile(&lat, 0.50),
            p99_ms: percentile(&lat, 0.99),
            cpu_us_per_request: cpu
                .filter(|_| !lat.is_empty())
                .map(|c| c * share * 1e6 / lat.len() as f64),
            side_cpu_us: side_cpu_us.filter(|_| !lat.is_empty()),
        });
    }
    let _ = stop.send(());
    if server.join().is_err() {
        bail!("the benchmark axon's thread panicked");
    }
    Ok(rows)
}

/// A child process killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python_path(arg: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let path = arg
        .clone()
        .or_else(|| std::env::var_os("TAO_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(".venv/bin/python3"));
    if !path.exists() {
        bail!(
            "no Python interpreter at {}: run `bash scripts/test.sh` once (it creates .venv with bittensor 10.5.0), set TAO_PYTHON, or pass --no-python",
            path.display()
        );
    }
    // The scripts run from their own directory, so a relative path would no longer resolve;
    // symlinks stay as they are (a venv's python3 is one, and resolving it leaves the venv).
    std::path::absolute(&path).with_context(|| format!("resolving {}", path.display()))
}

/// Python dendrite → Python axon (bittensor 10.5.0), via the interop helper scripts.
fn bench_python(python: &PathBuf, concurrency: &[usize], seconds: f64) -> anyhow::Result<Vec<Row>> {
    let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tao-axon/tests/python");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("finding a free port")?
        .port();
    let _axon = Killed(
        Command::new(python)
            .arg(scripts.join("py_axon.py"))
            .args([port.to_string().as_str(), "//Bob"])
            .current_dir(&scripts)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the Python axon")?,
    );
    let ready = (0..600).any(|_| {
        let up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if !up {
            std::thread::sleep(Duration::from_millis(50));
        }
        up
    });
    if !ready {
        bail!("the Python axon did not start listening on 127.0.0.1:{port} within 30 s");
    }
    let hotkey = Pair::from_uri("//Bob")
        .context("deriving //Bob")?
        .public()
        .to_ss58();
    let mut rows = Vec::new();
    for &c in concurrency {
        let out = Command::new(python)
            .arg(scripts.join("py_dendrite.py"))
            .args([
                "bench",
                &port.to_string(),
                &hotkey,
                "//Alice",
                &c.to_string(),
                &seconds.to_string(),
            ])
            .current_dir(&scripts)
            .output()
            .context("running the Python dendrite")?;
        if !out.status.success() {
            bail!(
                "Python dendrite failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
            .with_context(|| format!("unexpected Python dendrite output {stdout:?}"))?;
        rows.push(Row {
            pair: "python",
            concurrency: c,
            requests: v["requests"].as_u64().unwrap_or(0) as usize,
            errors: v["errors"].as_u64().unwrap_or(0) as usize,
            rps: v["rps"].as_f64().unwrap_or(0.0),
            p50_ms: v["p50_ms"].as_f64().unwrap_or(f64::NAN),
            p99_ms: v["p99_ms"].as_f64().unwrap_or(f64::NAN),
            cpu_us_per_request: None,
            side_cpu_us: None,
        });
    }
    Ok(rows)
}

/// sr25519 verifications per second on one thread, the ceiling the axon is compared with, and
/// the CPU microseconds one verification costs (independent of other load on the machine).
fn verify_rate() -> anyhow::Result<(f64, Option<f64>)> {
    let pair = Pair::from_uri("//Alice").context("deriving //Alice")?;
    let msg = b"1795632866023827468.5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY.5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty.a2c4aeca-e901-11f1-83a1-02fc00000001.a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a";
    let sig = pair.sign(msg);
    let public = pair.public();
    let cpu_before = cpu_seconds(true);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        for _ in 0..100 {
            if !public.verify(msg, &sig) {
                bail!("sr25519 verification of a fresh signature failed");
            }
        }
        n += 100;
    }
    let cpu = cpu_before
        .zip(cpu_seconds(true))
        .map(|(a, b)| (b - a) * 1e6 / n as f64);
    Ok((n as f64 / start.elapsed().as_secs_f64(), cpu))
}

/// `tao bench axon`: requests/s and p50/p99 latency of tao dendrite → tao axon and Python
/// dendrite → Python axon at each concurrency level, plus the single-thread sr25519 verify rate.
pub fn bench_axon(args: BenchAxonArgs) -> anyhow::Result<ExitCode> {
    if args.concurrency.is_empty() || args.concurrency.contains(&0) {
        bail!("--concurrency needs positive numbers, e.g. 1,16,64");
    }
    if !(args.seconds > 0.0 && args.seconds <= 600.0) {
        bail!("--seconds must be between 0 and 600");
    }
    let (verify, verify_cpu_us) = verify_rate()?;
    let mut rows = bench_tao(&args.concurrency, args.seconds)?;
    if !args.no_python {
        let python = python_path(&args.python)?;
        rows.extend(bench_python(&python, &args.concurrency, args.seconds)?);
    }
    if args.json {
        let rows: Vec<Value> = rows
            .iter()
            .map(|r| json!({"pair": r.pair, "concurrency": r.concurrency, "requests": r.requests, "errors": r.errors, "rps": r.rps, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "cpu_us_per_request": r.cpu_us_per_request, "client_cpu_us_per_request": r.side_cpu_us.map(|s| s.0), "server_cpu_us_per_request": r.side_cpu_us.map(|s| s.1)}))
            .collect();
        println!(
            "{}",
            json!({"sr25519_verify_per_s": verify, "sr25519_verify_cpu_us": verify_cpu_us, "rows": rows})
        );
    } else {
        let cpu = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
        println!(
            "sr25519 verify, 1 thread: {verify:.0}/s wall, {} CPU us each",
            cpu(verify_cpu_us)
        );
        println!(
            "{:<8} {:>5} {:>9} {:>7} {:>10} {:>9} {:>9} {:>12} {:>15}",
            "pair",
            "conc",
            "requests",
            "errors",
            "req/s",
            "p50 ms",
            "p99 ms",
            "CPU us/req",
            "client/server"
        );
        for r in &rows {
            let sides = r
                .side_cpu_us
                .map_or("-".to_owned(), |(c, s)| format!("{c:.0}/{s:.0}"));
            println!(
                "{:<8} {:>5} {:>9} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>12} {:>15}",
                r.pair,
                r.concurrency,
                r.requests,
                r.errors,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                cpu(r.cpu_us_per_request),
                sides
            );
        }
    }
    let failed = rows.iter().any(|r| r.pair == "tao" && r.errors > 0);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
