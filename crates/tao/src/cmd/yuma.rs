//! `tao yuma`: run and check Yuma Consensus epoch cases (`/work/shared/yuma/FORMAT.md`) with
//! `tao-yuma`, plus the `yuma` bench entry point ([`bench_yuma`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use tao_yuma::synthetic::{Scenario, generate};
use tao_yuma::{Case, EpochOutput, EpochRunner, Mismatch, compare, run_epoch};

use super::cases::{case_files, read_case};

/// What a case file must hold, for errors.
const WHAT: &str =
    "a yuma case; see crates/tao-yuma/README.md and the cases in crates/tao-yuma/tests/cases";

/// `tao yuma`.
#[derive(Args)]
pub struct YumaArgs {
    #[command(subcommand)]
    command: YumaCommand,
}

#[derive(Subcommand)]
enum YumaCommand {
    /// Run the epoch on one case file and print the case with `expected` replaced by what tao
    /// computes (pretty JSON), or a per-uid table with --table.
    Run(RunArgs),
    /// Compare every case in the given files or directories (recursively, `*.json`) with its
    /// `expected`; prints OK or the first differing fields per case; exits 1 on any mismatch.
    Check(CheckArgs),
    /// Time the epoch on synthetic subnets (same as `tao bench yuma`; build with --release).
    Bench(BenchYumaArgs),
}

#[derive(Args)]
struct RunArgs {
    /// Case file (JSON, see /work/shared/yuma/FORMAT.md).
    case: PathBuf,
    /// Print a human table per uid instead of JSON.
    #[arg(long, conflicts_with = "json")]
    table: bool,
    /// Print only the computed outputs object, compact, for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Case files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// One JSON object per case instead of text lines.
    #[arg(long)]
    json: bool,
    /// How many differing values to show per failing case.
    #[arg(long, default_value_t = 5)]
    max_diffs: usize,
}

/// Arguments of `tao bench yuma` / `tao yuma bench`.
#[derive(Args)]
pub struct BenchYumaArgs {
    /// Subnet sizes to time.
    #[arg(long, value_delimiter = ',', default_values_t = [256u16, 1024, 4096])]
    sizes: Vec<u16>,
    /// Number of validators (uids with weights, bonds and permits).
    #[arg(long, default_value_t = 128)]
    validators: u16,
    /// Minimum measuring time per configuration, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    min_ms: u64,
    /// Most threads one epoch may use (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// One JSON object per configuration instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs `tao yuma …`.
pub fn run(args: YumaArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        YumaCommand::Run(a) => run_one(&a),
        YumaCommand::Check(a) => check(&a),
        YumaCommand::Bench(a) => bench_yuma(a),
    }
}

fn run_one(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let mut case: Case = read_case(&args.case, WHAT)?;
    let output = run_epoch(&case.input).with_context(|| {
        format!(
            "cannot run {}; fix the named input field",
            args.case.display()
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&output)?);
    } else if args.table {
        print_table(&output);
    } else {
        case.expected = output;
        println!("{}", serde_json::to_string_pretty(&case)?);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(o: &EpochOutput) {
    println!(
        "{:>5} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9} {:>6} {:>14} {:>14} {:>14} {:>5}",
        "uid",
        "active",
        "stake",
        "consensus",
        "incentive",
        "dividends",
        "vtrust",
        "permit",
        "server_rao",
        "validator_rao",
        "emission_rao",
        "bonds"
    );
    for uid in 0..o.active.len() {
        let get16 = |v: &[u16]| v.get(uid).copied().unwrap_or(0);
        let get64 = |v: &[u64]| v.get(uid).copied().unwrap_or(0);
        let getb = |v: &[bool]| {
            if v.get(uid).copied().unwrap_or(false) {
                "yes"
            } else {
                "no"
            }
        };
        println!(
            "{:>5} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9} {:>6} {:>14} {:>14} {:>14} {:>5}",
            uid,
            getb(&o.active),
            get16(&o.stake_weight),
            get16(&o.consensus),
            get16(&o.incentive),
            get16(&o.dividends),
            get16(&o.validator_trust),
            getb(&o.validator_permit),
            get64(&o.server_emission),
            get64(&o.validator_emission),
            get64(&o.emission),
            o.bonds.row(uid).len(),
        );
    }
}

/// The result of checking one case file.
enum Outcome {
    Ok,
    Mismatch(Vec<Mismatch>),
    Error(String),
}

fn check_one(path: &Path) -> Outcome {
    let case: Case = match read_case(path, WHAT) {
        Ok(c) => c,
        Err(e) => return Outcome::Error(format!("{e:#}")),
    };
    match run_epoch(&case.input) {
        Ok(actual) => {
            let m = compare(&case.expected, &actual);
            if m.is_empty() {
                Outcome::Ok
            } else {
                Outcome::Mismatch(m)
            }
        }
        Err(e) => Outcome::Error(e.to_string()),
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let files = case_files(&args.paths)?;
    let (mut ok, mut failed) = (0usize, 0usize);
    for file in &files {
        let name = file.display().to_string();
        let outcome = check_one(file);
        match &outcome {
            Outcome::Ok => ok += 1,
            _ => failed += 1,
        }
        if args.json {
            let line = match &outcome {
                Outcome::Ok => json!({"case": name, "status": "ok"}),
                Outcome::Error(e) => json!({"case": name, "status": "error", "error": e}),
                Outcome::Mismatch(m) => json!({
                    "case": name,
                    "status": "mismatch",
                    "mismatches": m.len(),
                    "first": m.iter().take(args.max_diffs).map(|d| json!({
                        "field": d.field, "uid": d.uid, "expected": d.expected, "actual": d.actual,
                    })).collect::<Vec<_>>(),
                }),
            };
            println!("{line}");
        } else {
            match &outcome {
                Outcome::Ok => println!("OK       {name}"),
                Outcome::Error(e) => println!("ERROR    {name}: {e}"),
                Outcome::Mismatch(m) => {
                    println!("MISMATCH {name}: {} differing values", m.len());
                    for d in m.iter().take(args.max_diffs) {
                        let uid = d.uid.map_or_else(|| "-".to_string(), |u| u.to_string());
                        println!(
                            "    {} uid {}: expected {} actual {}",
                            d.field, uid, d.expected, d.actual
                        );
                    }
                }
            }
        }
    }
    if !args.json {
        println!("{ok} ok, {failed} failed, {} cases", files.len());
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `tao bench yuma`: times the epoch at each size, sparse (5% weights) and dense, with
/// Yuma3 + liquid alpha off and on, and prints the median time per epoch.
pub fn bench_yuma(args: BenchYumaArgs) -> anyhow::Result<ExitCode> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let mut runner = EpochRunner::new(threads);
    if !args.json {
        println!("threads per epoch: {threads}");
        println!(
            "{:>6} {:>7} {:>14} {:>7} {:>12} {:>12}",
            "n", "weights", "yuma3+liquid", "runs", "median_ms", "min_ms"
        );
    }
    for &n in &args.sizes {
        for (density_permille, label) in [(50u16, "sparse"), (1000, "dense")] {
            for yuma3_liquid in [false, true] {
                let scenario = Scenario {
                    n,
                    validators: args.validators.min(n),
                    density_permille,
                    yuma3_liquid,
                    seed: 1,
                };
                let input = generate(&scenario);
                let mut times = Vec::new();
                let started = Instant::now();
                while times.len() < 3 || started.elapsed() < Duration::from_millis(args.min_ms) {
                    let t = Instant::now();
                    let out = runner
                        .run(&input)
                        .context("synthetic input failed validation")?;
                    times.push(t.elapsed());
                    std::hint::black_box(out);
                    if times.len() >= 10_000 {
                        break;
                    }
                }
                times.sort_unstable();
                let median = times.get(times.len() / 2).copied().unwrap_or_default();
                let min = times.first().copied().unwrap_or_default();
                let ms = |d: Duration| d.as_secs_f64() * 1e3;
                if args.json {
                    println!(
                        "{}",
                        json!({"n": n, "weights": label, "yuma3_liquid": yuma3_liquid,
                               "threads": threads, "runs": times.len(),
                               "median_ms": ms(median), "min_ms": ms(min)})
                    );
                } else {
                    println!(
                        "{:>6} {:>7} {:>14} {:>7} {:>12.3} {:>12.3}",
                        n,
                        label,
                        if yuma3_liquid { "on" } else { "off" },
                        times.len(),
                        ms(median),
                        ms(min)
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
