//! Helpers shared by the wallet and key CLI tests: run the real `tao` binary with an isolated
//! HOME and wallet path, and find the interop Python interpreter.

#![allow(
    dead_code,
    reason = "each test crate uses a different subset of the helpers"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Result of one `tao` run.
pub struct Run {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Panics with the whole output unless the run succeeded.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "tao failed:\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless the run failed; returns it for message checks.
    pub fn failed(self) -> Run {
        assert!(
            matches!(self.code, Some(code) if code != 0),
            "tao should have failed:\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Parses stdout as one JSON value.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

fn finish(output: Output) -> Run {
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `tao` with `args`, HOME and the wallet path inside `home`, no stdin and, when given, the
/// wallet password in TAO_WALLET_PASSWORD.
pub fn tao(home: &Path, password: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tao"));
    command
        .args(args)
        .env("HOME", home)
        .env("TAO_WALLET_PATH", wallet_path(home))
        .env_remove("TAO_WALLET_PASSWORD")
        .stdin(Stdio::null());
    if let Some(password) = password {
        command.env("TAO_WALLET_PASSWORD", password);
    }
    finish(command.output().expect("run the tao binary"))
}

/// The wallet directory used inside a test home.
pub fn wallet_path(home: &Path) -> PathBuf {
    home.join("wallets")
}

/// The interop Python: $TAO_PYTHON, else <workspace>/.venv/bin/python3. Fails (never skips)
/// when neither exists.
pub fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("TAO_PYTHON") {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "TAO_PYTHON={} does not exist; run `bash scripts/test.sh`, which creates the venv",
            path.display()
        );
        return path;
    }
    let fallback = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python3");
    assert!(
        fallback.exists(),
        "no interop Python: set TAO_PYTHON or run `bash scripts/test.sh`, which creates {} with bittensor-wallet",
        fallback.display()
    );
    fallback
}

/// Runs a Python snippet with `args` in sys.argv[1:], HOME set to `home`; returns the last
/// stdout line parsed as JSON (the SDK prints progress lines before it).
pub fn run_python(home: &Path, script: &str, args: &[&str]) -> serde_json::Value {
    let output = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .env("HOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("run the interop python");
    let run = finish(output);
    assert_eq!(
        run.code,
        Some(0),
        "python failed:\nstdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    let last = run.stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("python output is not JSON ({e}): {}", run.stdout))
}
