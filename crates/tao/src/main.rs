//! `tao`: the one binary. Each area (wallet, key, yuma, axon, …) is a subcommand module under
//! `cmd/`; this file only parses the command line and dispatches.

mod cmd;

/// mimalloc instead of the system allocator: the axon and dendrite allocate many small
/// buffers per request, and glibc's malloc/free were about a tenth of their CPU time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

/// Bittensor, rebuilt in Rust.
#[derive(Parser)]
#[command(name = "tao", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> std::process::ExitCode {
    exit_quietly_on_closed_stdout();
    let cli = Cli::parse();
    match cmd::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `tao … | head` closes stdout early; printing then fails with a broken pipe, which `println!`
/// turns into a panic. A reader that stopped reading is not an error of ours: exit with
/// success and no message, as tools killed by SIGPIPE appear to a shell pipeline.
fn exit_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
