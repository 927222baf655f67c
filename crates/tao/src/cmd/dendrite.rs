//! `tao dendrite`: query any axon from the command line (the `Dummy` synapse, the built-in
//! `Synapse` ping, or the `DummyStream` streaming synapse) for quick manual and interop checks.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use tao_axon::dummy::{Dummy, DummyStream};
use tao_axon::{AxonInfo, Dendrite, Envelope, Ping, Synapse, TerminalInfo};
use tao_crypto::{Pair, PublicKey};

/// `tao dendrite`.
#[derive(Args)]
pub struct DendriteArgs {
    #[command(subcommand)]
    command: DendriteCommand,
}

#[derive(Subcommand)]
enum DendriteCommand {
    /// Send one signed synapse to an axon and print the terminal fields and the answer.
    Query(QueryArgs),
}

/// Which synapse `query` sends.
#[derive(Clone, Copy, ValueEnum)]
enum SynapseKind {
    /// `Dummy { input, output }`: the miner answers output = 2 × input.
    Dummy,
    /// The base `Synapse` route every axon serves: a signed ping.
    Ping,
    /// `DummyStream { n }`: the miner streams n chunks.
    DummyStream,
}

#[derive(Args)]
struct QueryArgs {
    /// Axon address as ip:port.
    #[arg(long, default_value = "127.0.0.1:8091")]
    axon: String,
    /// The axon's SS58 hotkey (the request is signed for it); default: the hotkey of //Bob.
    #[arg(long)]
    hotkey: Option<String>,
    /// Secret URI of the signing hotkey.
    #[arg(long, default_value = "//Alice")]
    uri: String,
    /// Synapse to send.
    #[arg(long, value_enum, default_value = "dummy")]
    synapse: SynapseKind,
    /// `input` of the Dummy synapse.
    #[arg(long, default_value_t = 21)]
    input: i64,
    /// Number of chunks asked of DummyStream.
    #[arg(long, default_value_t = 3)]
    n: i64,
    /// Call timeout in seconds.
    #[arg(long, default_value_t = 12.0)]
    timeout: f64,
    /// IP reported as the dendrite's own (bt_header_dendrite_ip).
    #[arg(long, default_value = "127.0.0.1")]
    external_ip: String,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `tao dendrite …`.
pub fn run(args: DendriteArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DendriteCommand::Query(q) => query(&q),
    }
}

fn terminal(t: &TerminalInfo) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

fn report<S: Synapse>(env: &Envelope<S>, extra: Vec<(&str, Value)>, as_json: bool) -> ExitCode {
    let ok = env.is_success();
    let mut fields: Vec<(&str, Value)> = vec![
        ("status_code", json!(env.dendrite.status_code)),
        ("status_message", json!(env.dendrite.status_message)),
        ("process_time", json!(env.dendrite.process_time)),
        ("axon_process_time", json!(env.axon.process_time)),
    ];
    fields.extend(extra);
    if as_json {
        let mut map: serde_json::Map<String, Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        map.insert("dendrite".into(), terminal(&env.dendrite));
        map.insert("axon".into(), terminal(&env.axon));
        println!("{}", Value::Object(map));
    } else {
        for (k, v) in fields {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            println!("{k:<18} {v}");
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn query(args: &QueryArgs) -> anyhow::Result<ExitCode> {
    let (ip, port) = args
        .axon
        .rsplit_once(':')
        .context("--axon must be ip:port, e.g. 127.0.0.1:8091")?;
    let port: u16 = port
        .parse()
        .with_context(|| format!("--axon port {port:?} is not a number 0-65535"))?;
    let pair = Pair::from_uri(&args.uri).with_context(|| {
        format!(
            "--uri {:?} is not a valid secret URI (try //Alice)",
            args.uri
        )
    })?;
    let hotkey = match &args.hotkey {
        Some(h) => {
            PublicKey::from_ss58(h)
                .with_context(|| format!("--hotkey {h:?} is not an SS58 address"))?;
            h.clone()
        }
        None => Pair::from_uri("//Bob")
            .context("deriving //Bob")?
            .public()
            .to_ss58(),
    };
    let timeout = Duration::try_from_secs_f64(args.timeout).with_context(|| {
        format!(
            "--timeout {} must be a positive number of seconds",
            args.timeout
        )
    })?;
    let info = AxonInfo {
        ip: ip.trim_matches(['[', ']']).to_owned(),
        port,
        hotkey,
    };
    let rt = tao_axon::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let dendrite = Dendrite::with_external_ip(pair, &args.external_ip);
    let code = rt.block_on(async {
        match args.synapse {
            SynapseKind::Dummy => {
                let r = dendrite
                    .call(
                        &info,
                        Dummy {
                            input: args.input,
                            output: None,
                        },
                        timeout,
                    )
                    .await;
                report(&r, vec![("output", json!(r.fields.output))], args.json)
            }
            SynapseKind::Ping => {
                let r = dendrite.call(&info, Ping {}, timeout).await;
                report(&r, vec![], args.json)
            }
            SynapseKind::DummyStream => {
                let mut call = dendrite
                    .call_stream(&info, DummyStream { n: args.n }, timeout)
                    .await;
                let mut chunks = Vec::new();
                while let Some(chunk) = call.next_chunk().await {
                    chunks.push(String::from_utf8_lossy(&chunk).into_owned());
                }
                report(&call.synapse, vec![("chunks", json!(chunks))], args.json)
            }
        }
    });
    if code != ExitCode::SUCCESS && !args.json {
        eprintln!(
            "query failed: check that an axon listens on {} with hotkey {} (e.g. `tao axon serve-dummy --port {port}`)",
            args.axon, info.hotkey
        );
    }
    Ok(code)
}
