//! `tao key`: inspect secret URIs, mnemonics and SS58 addresses like `subkey inspect`; also the
//! `crypto` benchmark (sign, verify, batch verify) that `tao bench crypto` runs.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tao_crypto::{Pair, PublicKey, Signature, ss58, uri, verify_batch};

/// `tao key`.
#[derive(Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    command: KeyCommand,
}

/// Key subcommands.
#[derive(Subcommand)]
enum KeyCommand {
    /// Show the public key and SS58 address of a secret URI (`//Alice`, `<mnemonic>//hard/soft`,
    /// `0x<seed>`) or an SS58 address.
    Inspect(InspectArgs),
}

/// Options of `key inspect`.
#[derive(Args)]
struct InspectArgs {
    /// Secret URI, mnemonic (quoted), 0x seed, or SS58 address.
    input: String,
    /// SS58 prefix for the printed address.
    #[arg(long, alias = "network", default_value_t = ss58::DEFAULT_PREFIX)]
    prefix: u16,
    /// Also print the secret seed (mini-secret) when the input is secret.
    #[arg(long)]
    show_secret: bool,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `tao key …`.
pub fn run(args: KeyArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        KeyCommand::Inspect(inspect_args) => inspect(&inspect_args),
    }
}

fn looks_like_address(input: &str) -> bool {
    !input.contains('/') && !input.contains(' ') && !input.starts_with("0x")
}

fn inspect(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let mut out: Vec<(&str, Value)> = Vec::new();
    let public = if looks_like_address(&args.input) && !args.input.is_empty() {
        match PublicKey::from_ss58_with_prefix(&args.input) {
            Ok((public, prefix)) => {
                out.push(("kind", json!("public")));
                out.push(("input_prefix", json!(prefix)));
                public
            }
            // A single word that is not an address is most likely a mistyped address.
            Err(err) => {
                return Err(anyhow::Error::new(err).context(
                    "input is neither a valid SS58 address nor a secret URI (URIs contain '/', mnemonics spaces, seeds start with 0x)",
                ));
            }
        }
    } else {
        let derived = uri::derive(&args.input).context(
            "cannot derive a key; expected `//Name`, `<12-24 mnemonic words>[//hard][/soft][///password]` or `0x<64 hex digits>`",
        )?;
        out.push(("kind", json!("secret")));
        if args.show_secret {
            out.push((
                "secret_seed",
                json!(derived.seed.map(|s| format!("0x{}", hex::encode(s)))),
            ));
        }
        derived.pair.public()
    };
    out.push(("public_key", json!(public.to_string())));
    out.push(("account_id", json!(public.to_string())));
    out.push((
        "ss58_address",
        json!(public.to_ss58_with_prefix(args.prefix)),
    ));
    out.push(("prefix", json!(args.prefix)));
    if args.json {
        let map: serde_json::Map<String, Value> =
            out.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        println!("{}", Value::Object(map));
    } else {
        for (key, value) in &out {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => "n/a (soft derivation)".to_string(),
                other => other.to_string(),
            };
            println!("{key:<13} {text}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Options of `tao bench crypto`.
#[derive(Args)]
pub struct BenchCryptoArgs {
    /// Signatures to make and check in each measurement.
    #[arg(long, default_value_t = 2000)]
    iterations: usize,
    /// Signatures per batch in the batch-verification measurement.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Bytes per signed message.
    #[arg(long, default_value_t = 128)]
    message_len: usize,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `tao bench crypto`: sr25519 sign/s, verify/s and batch-verify signatures/s on this machine
/// (single thread). Build with `--release` for meaningful numbers.
pub fn bench_crypto(args: BenchCryptoArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.iterations > 0 && args.batch_size > 0,
        "--iterations and --batch-size must be at least 1"
    );
    let pairs: Vec<Pair> = (0..args.batch_size)
        .map(|i| Pair::from_seed(&[(i % 251) as u8 + 1; 32]))
        .collect();
    let messages: Vec<Vec<u8>> = (0..args.iterations)
        .map(|i| {
            (0..args.message_len)
                .map(|j| (i.wrapping_mul(31).wrapping_add(j) % 256) as u8)
                .collect()
        })
        .collect();

    let start = Instant::now();
    let signatures: Vec<Signature> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| pairs[i % pairs.len()].sign(m))
        .collect();
    let sign_secs = start.elapsed().as_secs_f64();

    let publics: Vec<PublicKey> = pairs.iter().map(Pair::public).collect();
    let start = Instant::now();
    let mut all_valid = true;
    for (i, (message, signature)) in messages.iter().zip(&signatures).enumerate() {
        all_valid &= publics[i % publics.len()].verify(message, signature);
    }
    let verify_secs = start.elapsed().as_secs_f64();

    let items: Vec<(&[u8], &Signature, &PublicKey)> = messages
        .iter()
        .zip(&signatures)
        .enumerate()
        .map(|(i, (m, s))| (m.as_slice(), s, &publics[i % publics.len()]))
        .collect();
    let start = Instant::now();
    for chunk in items.chunks(args.batch_size) {
        all_valid &= verify_batch(chunk);
    }
    let batch_secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(
        all_valid,
        "a benchmark signature did not verify; the build is broken"
    );

    let n = args.iterations as f64;
    let rate = |secs: f64| if secs > 0.0 { n / secs } else { f64::INFINITY };
    let result = json!({
        "iterations": args.iterations,
        "message_len": args.message_len,
        "batch_size": args.batch_size,
        "sign_per_sec": rate(sign_secs).round(),
        "verify_per_sec": rate(verify_secs).round(),
        "batch_verify_sigs_per_sec": rate(batch_secs).round(),
        "release_build": !cfg!(debug_assertions),
    });
    if args.json {
        println!("{result}");
    } else {
        println!(
            "sr25519, {} signatures of {} bytes, single thread{}",
            args.iterations,
            args.message_len,
            if cfg!(debug_assertions) {
                " (DEBUG build: numbers are not representative)"
            } else {
                ""
            }
        );
        println!("{:<28} {:>12.0}", "sign/s", rate(sign_secs));
        println!("{:<28} {:>12.0}", "verify/s", rate(verify_secs));
        println!(
            "{:<28} {:>12.0}",
            format!("batch verify/s (batch {})", args.batch_size),
            rate(batch_secs)
        );
    }
    Ok(ExitCode::SUCCESS)
}
