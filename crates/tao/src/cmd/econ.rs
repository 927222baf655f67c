//! `tao econ`: run and check the economics reference cases (emission, swap, coinbase,
//! distribution) against `tao-econ`, plus the `econ` bench entry point.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tao_econ::case::{self, Mismatch};

use super::cases::{case_files, read_case};

/// What a case file must hold, for errors.
const WHAT: &str = "valid JSON; fix the file or start from a case in crates/tao-econ/tests/cases";

/// `tao econ`.
#[derive(Args)]
pub struct EconArgs {
    #[command(subcommand)]
    command: EconCommand,
}

#[derive(Subcommand)]
enum EconCommand {
    /// Run one case file and print the result in the case format (its `expected` replaced
    /// by what tao computes).
    Run(RunArgs),
    /// Compare every case in the given files or directories (recursively, `*.json`) with
    /// its `expected`; prints OK or the first differing field per case and exits 1 on any
    /// mismatch.
    Check(CheckArgs),
    /// Time block emission and whole coinbase blocks (64 and 128 subnets); build with
    /// --release. Same as `tao bench econ`.
    Bench(BenchEconArgs),
}

#[derive(Args)]
struct RunArgs {
    /// Case file (JSON, see /work/shared/econ/FORMAT.md).
    case: PathBuf,
    /// Print only the computed result object, compact, for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Case files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// One JSON object per case instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs `tao econ …`.
pub fn run(args: EconArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        EconCommand::Run(a) => run_one(&a),
        EconCommand::Check(a) => check(&a),
        EconCommand::Bench(a) => bench_econ(a),
    }
}

fn run_one(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let mut case = read_case(&args.case, WHAT)?;
    let result = case::run_case(&case)
        .with_context(|| format!("cannot run {}; fix the named field", args.case.display()))?;
    if args.json {
        println!("{result}");
    } else {
        if let Some(map) = case.as_object_mut() {
            map.insert("expected".into(), result);
        }
        println!("{}", serde_json::to_string_pretty(&case)?);
    }
    Ok(ExitCode::SUCCESS)
}

enum Outcome {
    Ok,
    Mismatch(Mismatch),
    Error(String),
}

fn check_file(path: &Path) -> Outcome {
    match read_case(path, WHAT) {
        Err(e) => Outcome::Error(format!("{e:#}")),
        Ok(case) => match case::check_case(&case) {
            Ok(None) => Outcome::Ok,
            Ok(Some(m)) => Outcome::Mismatch(m),
            Err(e) => Outcome::Error(e.to_string()),
        },
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let files = case_files(&args.paths)?;
    let (mut ok, mut bad) = (0usize, 0usize);
    for file in &files {
        let outcome = check_file(file);
        if matches!(outcome, Outcome::Ok) {
            ok += 1;
        } else {
            bad += 1;
        }
        let name = file.display();
        if args.json {
            let line = match &outcome {
                Outcome::Ok => json!({ "file": name.to_string(), "status": "ok" }),
                Outcome::Mismatch(m) => json!({
                    "file": name.to_string(), "status": "mismatch",
                    "path": m.path, "expected": m.expected, "actual": m.actual,
                }),
                Outcome::Error(e) => {
                    json!({ "file": name.to_string(), "status": "error", "error": e })
                }
            };
            println!("{line}");
        } else {
            match &outcome {
                Outcome::Ok => println!("OK        {name}"),
                Outcome::Mismatch(m) => {
                    println!(
                        "MISMATCH  {name}: {} expected {} actual {}",
                        m.path, m.expected, m.actual
                    )
                }
                Outcome::Error(e) => println!("ERROR     {name}: {e}"),
            }
        }
    }
    if !args.json {
        println!("{ok} ok, {bad} failed, {} cases", files.len());
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Arguments of `tao bench econ`.
#[derive(Args)]
pub struct BenchEconArgs {
    /// Coinbase blocks timed per subnet count.
    #[arg(long, default_value_t = 200)]
    blocks: u64,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// `tao bench econ`: block-emission calls and whole coinbase blocks with 64 and 128
/// subnets (build with --release).
pub fn bench_econ(args: BenchEconArgs) -> anyhow::Result<ExitCode> {
    if args.blocks == 0 {
        bail!("--blocks must be at least 1");
    }
    let calls: u64 = 1_000_000;
    let start = Instant::now();
    let mut acc = 0u64;
    for i in 0..calls {
        let issuance = (i.wrapping_mul(20_999_999_999)) % tao_econ::emission::TOTAL_SUPPLY;
        acc = acc.wrapping_add(
            tao_econ::emission::block_emission_for_issuance(std::hint::black_box(issuance))
                .unwrap_or(0),
        );
    }
    std::hint::black_box(acc);
    let emission_ns = start.elapsed().as_nanos() as f64 / calls as f64;
    let mut rows = vec![(
        "block_emission_for_issuance".to_string(),
        emission_ns / 1_000.0,
        "us/call",
    )];
    for n in [64u16, 128] {
        let (mut chain, mut subnets) = tao_econ::coinbase::sample_state(n);
        let start = Instant::now();
        for b in 0..args.blocks {
            std::hint::black_box(tao_econ::coinbase::run_block(
                &mut chain,
                &mut subnets,
                5_000_000 + b,
            ));
        }
        let ms = start.elapsed().as_secs_f64() * 1_000.0 / args.blocks as f64;
        rows.push((format!("coinbase block, {n} subnets"), ms, "ms/block"));
    }
    if args.json {
        let v: Vec<Value> = rows
            .iter()
            .map(|(name, v, unit)| json!({ "bench": name, "value": v, "unit": unit }))
            .collect();
        println!("{}", Value::Array(v));
    } else {
        for (name, v, unit) in rows {
            println!("{name:<34} {v:>12.3} {unit}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
