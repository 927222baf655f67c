//! `tao wallet`: create, regenerate, list, show and use bittensor-compatible wallets
//! (`~/.bittensor/wallets/<wallet>/coldkey`, `coldkeypub.txt`, `hotkeys/<hotkey>`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tao_crypto::keyfile::KeyfileData;
use tao_crypto::uri::{self, MNEMONIC_WORD_COUNTS};
use tao_crypto::wallet::{self, KeyKind, Overwrite, Wallet};
use tao_crypto::{Pair, PublicKey, Signature};
use zeroize::Zeroizing;

/// Environment variable holding the wallet password, for scripts.
pub const PASSWORD_ENV: &str = "TAO_WALLET_PASSWORD";

/// Shortest password accepted when a new one is typed interactively.
const MIN_PASSWORD_LEN: usize = 6;

/// `tao wallet`.
#[derive(Args)]
pub struct WalletArgs {
    #[command(flatten)]
    options: WalletOptions,
    #[command(subcommand)]
    command: WalletCommand,
}

/// Options shared by every wallet subcommand (accepted before or after it).
#[derive(Args)]
pub struct WalletOptions {
    /// Directory holding the wallets [default: ~/.bittensor/wallets].
    #[arg(long, global = true, env = "TAO_WALLET_PATH", alias = "wallet.path")]
    pub wallet_path: Option<PathBuf>,
    /// Wallet name (its directory under the wallet path).
    #[arg(
        long,
        global = true,
        default_value = wallet::DEFAULT_WALLET_NAME,
        alias = "wallet.name",
        alias = "name"
    )]
    pub wallet_name: String,
    /// Hotkey name (file under `<wallet>/hotkeys/`).
    #[arg(
        long,
        global = true,
        default_value = wallet::DEFAULT_HOTKEY_NAME,
        alias = "wallet.hotkey",
        alias = "wallet-hotkey"
    )]
    pub hotkey: String,
    /// Read the password from this file (first line) instead of prompting; the environment
    /// variable TAO_WALLET_PASSWORD is the other non-interactive way.
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Wallet subcommands.
#[derive(Subcommand)]
enum WalletCommand {
    /// Create a new wallet: an encrypted coldkey and a hotkey.
    Create(CreateArgs),
    /// Create a new coldkey (encrypted) in the wallet.
    NewColdkey(CreateArgs),
    /// Create a new hotkey (plaintext unless --use-password) in the wallet.
    NewHotkey(CreateArgs),
    /// Restore the coldkey from its mnemonic, seed or secret URI.
    RegenColdkey(RegenArgs),
    /// Restore a hotkey from its mnemonic, seed or secret URI.
    RegenHotkey(RegenArgs),
    /// List the wallets and their hotkeys with addresses.
    List,
    /// Show one wallet's addresses and files (secrets only with --show-secret).
    Show(ShowArgs),
    /// Sign a message with the coldkey (or the hotkey with --use-hotkey).
    Sign(SignArgs),
    /// Verify a signature against an address (or this wallet's key).
    Verify(VerifyArgs),
}

/// Options for creating keys.
#[derive(Args)]
struct CreateArgs {
    /// Number of mnemonic words.
    #[arg(long, alias = "n-words", default_value_t = 12, value_parser = parse_word_count)]
    n_words: usize,
    /// Store the coldkey unencrypted (not recommended).
    #[arg(long)]
    no_password: bool,
    /// Encrypt the hotkey too.
    #[arg(long)]
    use_password: bool,
    /// Replace existing keyfiles (the old keys are lost unless backed up).
    #[arg(long)]
    overwrite: bool,
    /// Print the new mnemonic (needed to back the key up).
    #[arg(long)]
    show_secret: bool,
}

/// Where a regenerated key comes from; exactly one, or a hidden prompt for the mnemonic.
#[derive(Args)]
struct RegenArgs {
    /// The BIP-39 mnemonic (12–24 words, quoted).
    #[arg(long, group = "source")]
    mnemonic: Option<String>,
    /// The 32-byte seed as 0x-hex.
    #[arg(long, group = "source")]
    seed: Option<String>,
    /// A secret URI such as `//Alice` or `<mnemonic>//hard/soft`.
    #[arg(long, group = "source")]
    uri: Option<String>,
    /// Store the coldkey unencrypted (not recommended).
    #[arg(long)]
    no_password: bool,
    /// Encrypt the hotkey.
    #[arg(long)]
    use_password: bool,
    /// Replace existing keyfiles.
    #[arg(long)]
    overwrite: bool,
}

/// Options of `wallet show`.
#[derive(Args)]
struct ShowArgs {
    /// Also decrypt and print the mnemonic / seed of the coldkey and hotkey.
    #[arg(long)]
    show_secret: bool,
}

/// Options of `wallet sign`.
#[derive(Args)]
struct SignArgs {
    /// The message (UTF-8 text, or hex with --hex).
    #[arg(long)]
    message: String,
    /// The message is hex-encoded bytes (with or without 0x).
    #[arg(long)]
    hex: bool,
    /// Sign with the hotkey instead of the coldkey.
    #[arg(long)]
    use_hotkey: bool,
}

/// Options of `wallet verify`.
#[derive(Args)]
struct VerifyArgs {
    /// The message (UTF-8 text, or hex with --hex).
    #[arg(long)]
    message: String,
    /// The message is hex-encoded bytes (with or without 0x).
    #[arg(long)]
    hex: bool,
    /// The 64-byte signature as hex.
    #[arg(long)]
    signature: String,
    /// The signer: SS58 address or 0x public key [default: this wallet's key].
    #[arg(long, alias = "ss58")]
    address: Option<String>,
    /// Without --address, verify against the hotkey instead of the coldkey.
    #[arg(long)]
    use_hotkey: bool,
}

fn parse_word_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if MNEMONIC_WORD_COUNTS.contains(&n) => Ok(n),
        _ => Err(format!("{s} is not one of 12, 15, 18, 21, 24")),
    }
}

/// Runs `tao wallet …`.
pub fn run(args: WalletArgs) -> anyhow::Result<ExitCode> {
    let options = &args.options;
    let wallet = Wallet::new(wallet_root(options)?, &options.wallet_name, &options.hotkey);
    match args.command {
        WalletCommand::Create(create) => {
            let mut out = new_key(options, &wallet, KeyKind::Coldkey, &create)?;
            let hot = new_key(options, &wallet, KeyKind::Hotkey, &create)?;
            merge(&mut out, hot);
            emit(options, &out);
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::NewColdkey(create) => {
            emit(
                options,
                &new_key(options, &wallet, KeyKind::Coldkey, &create)?,
            );
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::NewHotkey(create) => {
            emit(
                options,
                &new_key(options, &wallet, KeyKind::Hotkey, &create)?,
            );
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::RegenColdkey(regen) => {
            emit(
                options,
                &regen_key(options, &wallet, KeyKind::Coldkey, &regen)?,
            );
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::RegenHotkey(regen) => {
            emit(
                options,
                &regen_key(options, &wallet, KeyKind::Hotkey, &regen)?,
            );
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::List => list(options, &wallet.root),
        WalletCommand::Show(show_args) => show(options, &wallet, &show_args),
        WalletCommand::Sign(sign_args) => sign(options, &wallet, &sign_args),
        WalletCommand::Verify(verify_args) => verify(options, &wallet, &verify_args),
    }
}

/// The wallet directory: `--wallet-path`, else `~/.bittensor/wallets`.
fn wallet_root(options: &WalletOptions) -> anyhow::Result<PathBuf> {
    if let Some(path) = &options.wallet_path {
        return Ok(path.clone());
    }
    let home = std::env::var_os("HOME")
        .context("HOME is not set; pass --wallet-path to say where the wallets are")?;
    Ok(PathBuf::from(home).join(".bittensor").join("wallets"))
}

/// Ordered key/value output: JSON object with --json, aligned `key: value` lines otherwise.
type Output = Vec<(&'static str, Value)>;

fn merge(into: &mut Output, from: Output) {
    for (key, value) in from {
        if !into.iter().any(|(k, _)| *k == key) {
            into.push((key, value));
        }
    }
}

fn emit(options: &WalletOptions, out: &Output) {
    if options.json {
        let map: serde_json::Map<String, Value> = out
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        println!("{}", Value::Object(map));
        return;
    }
    let width = out.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in out {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        println!("{key:<width$}  {text}");
    }
}

/// A password for an existing encrypted key: file, then environment, then a hidden prompt.
pub fn existing_password(
    password_file: Option<&Path>,
    what: &str,
) -> anyhow::Result<Zeroizing<String>> {
    if let Some(password) = scripted_password(password_file)? {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "{what} is encrypted and no password was given: pass --password-file FILE or set {PASSWORD_ENV}"
        );
    }
    let password = rpassword::prompt_password(format!("Password to unlock {what}: "))
        .context("reading the password from the terminal")?;
    Ok(Zeroizing::new(password))
}

fn scripted_password(password_file: Option<&Path>) -> anyhow::Result<Option<Zeroizing<String>>> {
    if let Some(path) = password_file {
        let content = std::fs::read_to_string(path)
            .with_context(|| format!("reading the password file {}", path.display()))?;
        let first_line = content.lines().next().unwrap_or_default();
        return Ok(Some(Zeroizing::new(first_line.to_string())));
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(password) => Ok(Some(Zeroizing::new(password))),
        Err(_) => Ok(None),
    }
}

/// A password for a new key: file or environment, else typed twice without echo.
fn new_password(options: &WalletOptions, what: &str) -> anyhow::Result<Zeroizing<String>> {
    if let Some(password) = scripted_password(options.password_file.as_deref())? {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "a password is needed to encrypt the {what}: pass --password-file FILE or set {PASSWORD_ENV} (or --no-password to store it unencrypted)"
        );
    }
    let first = rpassword::prompt_password(format!("New password for the {what}: "))
        .context("reading the password from the terminal")?;
    if first.chars().count() < MIN_PASSWORD_LEN {
        bail!(
            "the password must have at least {MIN_PASSWORD_LEN} characters; run the command again"
        );
    }
    let again = rpassword::prompt_password("Repeat the password: ")
        .context("reading the password from the terminal")?;
    if first != again {
        bail!("the two passwords differ; run the command again");
    }
    Ok(Zeroizing::new(first))
}

fn overwrite_flag(overwrite: bool) -> Overwrite {
    if overwrite {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    }
}

fn kind_name(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Coldkey => "coldkey",
        KeyKind::Hotkey => "hotkey",
    }
}

/// Writes `data` as the wallet's `kind` key, asking for a password when it is encrypted.
fn store(
    options: &WalletOptions,
    wallet: &Wallet,
    kind: KeyKind,
    data: &KeyfileData,
    encrypt: bool,
    overwrite: Overwrite,
) -> anyhow::Result<()> {
    wallet.ensure_writable(kind, overwrite)?;
    let password = if encrypt {
        Some(new_password(options, kind_name(kind))?)
    } else {
        None
    };
    let password = password.as_ref().map(|s| s.as_str());
    match kind {
        KeyKind::Coldkey => wallet.write_coldkey(data, password, overwrite)?,
        KeyKind::Hotkey => wallet.write_hotkey(data, password, overwrite)?,
    }
    Ok(())
}

fn key_path(wallet: &Wallet, kind: KeyKind) -> PathBuf {
    match kind {
        KeyKind::Coldkey => wallet.coldkey_path(),
        KeyKind::Hotkey => wallet.hotkey_path(),
    }
}

fn encrypts(kind: KeyKind, no_password: bool, use_password: bool) -> bool {
    match kind {
        KeyKind::Coldkey => !no_password,
        KeyKind::Hotkey => use_password,
    }
}

fn new_key(
    options: &WalletOptions,
    wallet: &Wallet,
    kind: KeyKind,
    args: &CreateArgs,
) -> anyhow::Result<Output> {
    let overwrite = overwrite_flag(args.overwrite);
    wallet.ensure_writable(kind, overwrite)?;
    let phrase = Zeroizing::new(uri::generate_mnemonic(args.n_words)?);
    let derived = uri::derive(phrase.as_str())?;
    let data = KeyfileData::from_pair(&derived.pair, Some(phrase.as_str()), derived.seed);
    let encrypt = encrypts(kind, args.no_password, args.use_password);
    store(options, wallet, kind, &data, encrypt, overwrite)?;
    let name = kind_name(kind);
    let mut out: Output = vec![
        ("wallet", json!(wallet.name)),
        ("wallet_path", json!(wallet.root.display().to_string())),
    ];
    if kind == KeyKind::Hotkey {
        out.push(("hotkey_name", json!(wallet.hotkey)));
    }
    out.push((ss58_field(kind), json!(data.public.to_ss58())));
    out.push((
        path_field(kind),
        json!(key_path(wallet, kind).display().to_string()),
    ));
    out.push((encrypted_field(kind), json!(encrypt)));
    if args.show_secret {
        out.push((mnemonic_field(kind), json!(phrase.as_str())));
    } else if !options.json {
        out.push((
            mnemonic_field(kind),
            json!(format!(
                "hidden; back it up with `tao wallet show --show-secret` (or pass --show-secret when creating the {name})"
            )),
        ));
    }
    Ok(out)
}

fn ss58_field(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Coldkey => "coldkey_ss58",
        KeyKind::Hotkey => "hotkey_ss58",
    }
}

fn path_field(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Coldkey => "coldkey_path",
        KeyKind::Hotkey => "hotkey_path",
    }
}

fn encrypted_field(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Coldkey => "coldkey_encrypted",
        KeyKind::Hotkey => "hotkey_encrypted",
    }
}

fn mnemonic_field(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Coldkey => "coldkey_mnemonic",
        KeyKind::Hotkey => "hotkey_mnemonic",
    }
}

fn regen_key(
    options: &WalletOptions,
    wallet: &Wallet,
    kind: KeyKind,
    args: &RegenArgs,
) -> anyhow::Result<Output> {
    let overwrite = overwrite_flag(args.overwrite);
    wallet.ensure_writable(kind, overwrite)?;
    let data = if let Some(seed) = &args.seed {
        let seed_hex = seed.strip_prefix("0x").unwrap_or(seed);
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(seed_hex, &mut bytes).with_context(|| {
            format!(
                "--seed must be 0x followed by 64 hex digits (got {} digits)",
                seed_hex.len()
            )
        })?;
        KeyfileData::from_pair(&Pair::from_seed(&bytes), None, Some(bytes))
    } else if let Some(secret_uri) = &args.uri {
        let derived = uri::derive(secret_uri)?;
        KeyfileData::from_pair(&derived.pair, None, None)
    } else {
        let phrase = match &args.mnemonic {
            Some(mnemonic) => Zeroizing::new(mnemonic.clone()),
            None if std::io::stdin().is_terminal() => Zeroizing::new(
                rpassword::prompt_password("Mnemonic (hidden): ")
                    .context("reading the mnemonic from the terminal")?,
            ),
            None => {
                bail!("say which key to restore: --mnemonic \"words…\", --seed 0x… or --uri //…")
            }
        };
        let normalized = phrase
            .as_str()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let phrase = Zeroizing::new(normalized);
        if phrase.as_str().contains('/') {
            bail!("--mnemonic takes only the words; use --uri for a derivation path");
        }
        let derived = uri::derive(phrase.as_str())?;
        KeyfileData::from_pair(&derived.pair, Some(phrase.as_str()), derived.seed)
    };
    let encrypt = encrypts(kind, args.no_password, args.use_password);
    store(options, wallet, kind, &data, encrypt, overwrite)?;
    let mut out: Output = vec![("wallet", json!(wallet.name))];
    if kind == KeyKind::Hotkey {
        out.push(("hotkey_name", json!(wallet.hotkey)));
    }
    out.push((ss58_field(kind), json!(data.public.to_ss58())));
    out.push((
        path_field(kind),
        json!(key_path(wallet, kind).display().to_string()),
    ));
    out.push((encrypted_field(kind), json!(encrypt)));
    Ok(out)
}

fn list(options: &WalletOptions, root: &Path) -> anyhow::Result<ExitCode> {
    let mut wallets = Vec::new();
    for name in wallet::list_wallets(root)? {
        let handle = Wallet::new(root, &name, wallet::DEFAULT_HOTKEY_NAME);
        let coldkey = handle.coldkey_public().ok().map(|p| p.to_ss58());
        let mut hotkeys = Vec::new();
        for hotkey in handle.hotkey_names()? {
            let hot = Wallet::new(root, &name, &hotkey);
            let ss58 = hot.hotkey_public(None).ok().map(|p| p.to_ss58());
            hotkeys.push(json!({ "name": hotkey, "ss58": ss58 }));
        }
        wallets.push(json!({ "name": name, "coldkey_ss58": coldkey, "hotkeys": hotkeys }));
    }
    if options.json {
        println!(
            "{}",
            json!({ "wallet_path": root.display().to_string(), "wallets": wallets })
        );
        return Ok(ExitCode::SUCCESS);
    }
    if wallets.is_empty() {
        println!(
            "no wallets in {}; create one with `tao wallet create --wallet-name NAME`",
            root.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<20} {:<10} {:<20} SS58", "WALLET", "KEY", "NAME");
    for wallet in &wallets {
        let name = wallet["name"].as_str().unwrap_or_default();
        let coldkey = wallet["coldkey_ss58"]
            .as_str()
            .unwrap_or("(no coldkeypub.txt)");
        println!("{name:<20} {:<10} {:<20} {coldkey}", "coldkey", "-");
        for hotkey in wallet["hotkeys"].as_array().into_iter().flatten() {
            let hot_name = hotkey["name"].as_str().unwrap_or_default();
            let ss58 = hotkey["ss58"].as_str().unwrap_or("(unreadable)");
            println!("{name:<20} {:<10} {hot_name:<20} {ss58}", "hotkey");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(options: &WalletOptions, wallet: &Wallet, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let coldkey = wallet.coldkey_public().with_context(|| {
        format!(
            "wallet {:?} has no readable coldkeypub.txt; create it with `tao wallet create --wallet-name {}`",
            wallet.name, wallet.name
        )
    })?;
    let mut out: Output = vec![
        ("wallet", json!(wallet.name)),
        ("wallet_path", json!(wallet.root.display().to_string())),
        ("coldkey_ss58", json!(coldkey.to_ss58())),
        ("coldkey_public_key", json!(coldkey.to_string())),
    ];
    let coldkey_path = wallet.coldkey_path();
    let coldkey_encrypted = coldkey_path
        .exists()
        .then(|| wallet::is_encrypted(&coldkey_path))
        .transpose()?;
    out.push(("coldkey_encrypted", json!(coldkey_encrypted)));
    out.push(("hotkey_name", json!(wallet.hotkey)));
    let hotkey = wallet.hotkey_public(None).ok();
    out.push(("hotkey_ss58", json!(hotkey.map(|p| p.to_ss58()))));
    out.push(("hotkey_public_key", json!(hotkey.map(|p| p.to_string()))));
    out.push(("hotkeys", json!(wallet.hotkey_names()?)));
    if args.show_secret {
        let password = if coldkey_encrypted == Some(true) {
            Some(existing_password(
                options.password_file.as_deref(),
                "the coldkey",
            )?)
        } else {
            None
        };
        let data = wallet.coldkey(password.as_ref().map(|s| s.as_str()))?;
        push_secrets(&mut out, "coldkey", &data);
        if wallet.hotkey_path().exists() {
            let hot_password = if wallet::is_encrypted(&wallet.hotkey_path())? {
                Some(existing_password(
                    options.password_file.as_deref(),
                    "the hotkey",
                )?)
            } else {
                None
            };
            let data = wallet.hotkey_data(hot_password.as_ref().map(|s| s.as_str()))?;
            push_secrets(&mut out, "hotkey", &data);
        }
    }
    emit(options, &out);
    Ok(ExitCode::SUCCESS)
}

fn push_secrets(out: &mut Output, which: &'static str, data: &KeyfileData) {
    let (mnemonic, seed, private) = match which {
        "coldkey" => ("coldkey_mnemonic", "coldkey_seed", "coldkey_private_key"),
        _ => ("hotkey_mnemonic", "hotkey_seed", "hotkey_private_key"),
    };
    out.push((
        mnemonic,
        json!(data.secret_phrase.as_ref().map(|p| p.as_str())),
    ));
    out.push((
        seed,
        json!(
            data.secret_seed
                .as_ref()
                .map(|s| format!("0x{}", hex::encode(s.as_slice())))
        ),
    ));
    out.push((
        private,
        json!(
            data.private_key
                .as_ref()
                .map(|k| format!("0x{}", hex::encode(k.as_slice())))
        ),
    ));
}

fn message_bytes(message: &str, is_hex: bool) -> anyhow::Result<Vec<u8>> {
    if is_hex {
        hex::decode(message.strip_prefix("0x").unwrap_or(message))
            .context("--message is not valid hex (drop --hex to sign it as text)")
    } else {
        Ok(message.as_bytes().to_vec())
    }
}

fn signing_pair(
    options: &WalletOptions,
    wallet: &Wallet,
    use_hotkey: bool,
) -> anyhow::Result<Pair> {
    let (path, what) = if use_hotkey {
        (wallet.hotkey_path(), "the hotkey")
    } else {
        (wallet.coldkey_path(), "the coldkey")
    };
    let encrypted = wallet::is_encrypted(&path).with_context(|| {
        format!(
            "cannot open {what} of wallet {:?}; check --wallet-name/--hotkey/--wallet-path",
            wallet.name
        )
    })?;
    let password = if encrypted {
        Some(existing_password(options.password_file.as_deref(), what)?)
    } else {
        None
    };
    let password = password.as_ref().map(|s| s.as_str());
    Ok(if use_hotkey {
        wallet.hotkey_pair(password)?
    } else {
        wallet.coldkey_pair(password)?
    })
}

fn sign(options: &WalletOptions, wallet: &Wallet, args: &SignArgs) -> anyhow::Result<ExitCode> {
    let message = message_bytes(&args.message, args.hex)?;
    let pair = signing_pair(options, wallet, args.use_hotkey)?;
    let signature = pair.sign(&message);
    emit(
        options,
        &vec![
            ("signer_ss58", json!(pair.public().to_ss58())),
            ("signature", json!(signature.to_string())),
        ],
    );
    Ok(ExitCode::SUCCESS)
}

fn verify(options: &WalletOptions, wallet: &Wallet, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let message = message_bytes(&args.message, args.hex)?;
    let signature: Signature = args
        .signature
        .parse()
        .context("--signature must be 128 hex digits (64 bytes), optionally 0x-prefixed")?;
    let signer: PublicKey = match &args.address {
        Some(address) => address.parse().with_context(|| {
            format!("--address {address:?} is neither an SS58 address nor a 0x public key")
        })?,
        None if args.use_hotkey => wallet.hotkey_public(None)?,
        None => wallet.coldkey_public()?,
    };
    let valid = signer.verify(&message, &signature);
    emit(
        options,
        &vec![
            ("signer_ss58", json!(signer.to_ss58())),
            ("valid", json!(valid)),
        ],
    );
    if valid {
        Ok(ExitCode::SUCCESS)
    } else {
        if !options.json {
            eprintln!("signature is NOT valid for this message and signer");
        }
        Ok(ExitCode::FAILURE)
    }
}
