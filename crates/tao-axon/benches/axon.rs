//! Criterion benches of the axon/dendrite round trip and of its stages, to see where the CPU of
//! one request goes (sign and verify are the floor; everything else is overhead).

use std::net::SocketAddr;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::HeaderMap;
use tao_axon::dummy::{Dummy, forward_dummy};
use tao_axon::{Axon, AxonConfig, AxonInfo, Dendrite, Envelope, HeaderSynapse, TerminalInfo};
use tao_crypto::Pair;

/// The allocator the `tao` binary uses, so that these figures match `tao bench axon`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A realistic request synapse: what the dendrite sends to the axon.
fn request_envelope() -> Envelope<Dummy> {
    let mut env = Envelope::new(Dummy {
        input: 1,
        output: None,
    });
    env.dendrite = TerminalInfo {
        ip: Some("127.0.0.1".into()),
        version: Some(10_005_000),
        nonce: Some(1_795_632_866_023_827_468),
        uuid: Some("a2c4aeca-e901-11f1-83a1-02fc00000001".into()),
        hotkey: Some("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into()),
        signature: Some(format!("0x{}", "ab".repeat(64))),
        ..TerminalInfo::default()
    };
    env.axon = TerminalInfo {
        ip: Some("127.0.0.1".into()),
        port: Some(8091),
        hotkey: Some("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty".into()),
        ..TerminalInfo::default()
    };
    env
}

fn stages(c: &mut Criterion) {
    let pair = Pair::from_uri("//Alice").unwrap();
    let msg = b"1795632866023827468.5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY.5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty.a2c4aeca-e901-11f1-83a1-02fc00000001.a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a";
    let sig = pair.sign(msg);
    let public = pair.public();
    let mut g = c.benchmark_group("stage");
    g.bench_function("sign", |b| b.iter(|| pair.sign(msg)));
    g.bench_function("verify", |b| b.iter(|| public.verify(msg, &sig)));
    let env = request_envelope();
    let body = serde_json::to_vec(&env).unwrap();
    g.bench_function("json_encode", |b| {
        b.iter(|| serde_json::to_vec(&env).unwrap())
    });
    g.bench_function("json_decode", |b| {
        b.iter(|| serde_json::from_slice::<Envelope<Dummy>>(&body).unwrap())
    });
    let hs = HeaderSynapse {
        name: "Dummy".into(),
        timeout: 12.0,
        axon: env.axon.clone(),
        dendrite: env.dendrite.clone(),
        computed_body_hash: tao_axon::synapse::EMPTY_BODY_HASH.into(),
    };
    g.bench_function("headers_write", |b| {
        b.iter(|| {
            let mut map = HeaderMap::new();
            hs.write(&mut map, &[], 0);
            map
        })
    });
    let mut map = HeaderMap::new();
    hs.write(&mut map, &[], 0);
    g.bench_function("headers_parse", |b| {
        b.iter(|| HeaderSynapse::parse(&map).unwrap())
    });
    g.finish();
}

/// CPU time used so far by every thread of this process, from `/proc/self/task/*/schedstat`
/// (nanosecond resolution, unlike `/proc/self/stat`).
fn cpu_ns() -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = task.unwrap().path().join("schedstat");
        if let Ok(s) = std::fs::read_to_string(path) {
            total += s.split_whitespace().next().unwrap().parse::<u64>().unwrap();
        }
    }
    total
}

/// Where the axon and the dendrites run: one 2-worker multi-thread runtime for both, or one
/// current-thread runtime each on its own thread.
#[derive(Clone, Copy)]
enum Layout {
    Shared,
    Split,
}

/// Starts a `Dummy` axon; returns the runtime it runs on (kept alive by the caller) when split.
fn start_axon(
    rt: &tokio::runtime::Runtime,
    layout: Layout,
) -> (
    AxonInfo,
    Option<std::thread::JoinHandle<()>>,
    tokio::sync::oneshot::Sender<()>,
) {
    let bob = Pair::from_uri("//Bob").unwrap();
    let hotkey = bob.public().to_ss58();
    let config = AxonConfig {
        workers: 1024,
        queue: 4096,
        ..AxonConfig::default()
    };
    let axon = Axon::new(bob).config(config).attach(forward_dummy);
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    let thread = match layout {
        Layout::Shared => {
            rt.spawn(async move {
                let handle = axon.serve(addr).await.unwrap();
                port_tx.send(handle.local_addr().port()).unwrap();
                let _ = stop_rx.await;
                handle.shutdown().await;
            });
            None
        }
        Layout::Split => Some(std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let handle = axon.serve(addr).await.unwrap();
                port_tx.send(handle.local_addr().port()).unwrap();
                let _ = stop_rx.await;
                handle.shutdown().await;
            });
        })),
    };
    let port = port_rx.recv().unwrap();
    (
        AxonInfo {
            ip: "127.0.0.1".into(),
            port,
            hotkey,
        },
        thread,
        stop_tx,
    )
}

/// Runs one `Dummy` call per dendrite, all concurrently, and checks every answer.
async fn wave(dendrites: &[Dendrite], info: &AxonInfo) {
    let mut set = tokio::task::JoinSet::new();
    for d in dendrites {
        let d = d.clone();
        let info = info.clone();
        set.spawn(async move {
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
            assert!(r.is_success(), "{:?}", r.dendrite.status_message);
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
}

fn roundtrip(c: &mut Criterion) {
    let alice = Pair::from_uri("//Alice").unwrap();
    for (layout, label) in [(Layout::Shared, "shared"), (Layout::Split, "split")] {
        let rt = match layout {
            Layout::Shared => runtime(),
            Layout::Split => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        };
        let (info, thread, stop) = start_axon(&rt, layout);
        let mut g = c.benchmark_group(format!("roundtrip_{label}"));
        for concurrency in [1usize, 64] {
            let dendrites: Vec<Dendrite> = (0..concurrency)
                .map(|_| Dendrite::new(alice.clone()))
                .collect();
            g.throughput(Throughput::Elements(concurrency as u64));
            g.bench_function(format!("wall_c{concurrency}"), |b| {
                b.iter(|| rt.block_on(wave(&dendrites, &info)))
            });
            // CPU time of the whole process (client + server) instead of wall time.
            g.bench_function(format!("cpu_c{concurrency}"), |b| {
                b.iter_custom(|iters| {
                    let before = cpu_ns();
                    for _ in 0..iters {
                        rt.block_on(wave(&dendrites, &info));
                    }
                    Duration::from_nanos(cpu_ns() - before)
                })
            });
        }
        g.finish();
        let _ = stop.send(());
        if let Some(t) = thread {
            t.join().unwrap();
        }
    }
}

criterion_group!(benches, stages, roundtrip);
criterion_main!(benches);
