//! The `tao wallet` and `tao key` commands: dev-account vectors, refusal to overwrite, secrets
//! hidden unless asked, and clear failures (exit code ≠ 0) on bad input.

mod wallet_support;

use std::fs;
use std::path::Path;

use wallet_support::{tao, wallet_path};

/// A coldkey for `//Alice` encrypted by bittensor-wallet 4.1.1 with password "fixture-pw".
const FIXTURE_COLDKEY: &[u8] = include_bytes!("wallet_fixtures/alice_coldkey");
const FIXTURE_COLDKEYPUB: &[u8] = include_bytes!("wallet_fixtures/alice_coldkeypub.txt");
const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

fn install_fixture(home: &Path, coldkey: &[u8]) {
    let dir = wallet_path(home).join("alice");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("coldkey"), coldkey).unwrap();
    fs::write(dir.join("coldkeypub.txt"), FIXTURE_COLDKEYPUB).unwrap();
}

#[test]
fn key_inspect_dev_accounts() {
    let home = tempfile::tempdir().unwrap();
    let run = tao(home.path(), None, &["key", "inspect", "//Alice"]).ok();
    assert!(run.stdout.contains(ALICE), "{}", run.stdout);
    let accounts = [
        ("//Bob", "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"),
        (
            "//Charlie",
            "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y",
        ),
        ("//Dave", "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy"),
        ("//Eve", "5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw"),
        (
            "//Ferdie",
            "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL",
        ),
    ];
    for (uri, address) in accounts {
        let json = tao(home.path(), None, &["key", "inspect", uri, "--json"])
            .ok()
            .json();
        assert_eq!(json["ss58_address"], address, "{uri}");
        assert!(
            json.get("secret_seed").is_none(),
            "seed printed without --show-secret"
        );
    }
    // An address inspects to itself, and other prefixes are reported.
    let json = tao(home.path(), None, &["key", "inspect", ALICE, "--json"])
        .ok()
        .json();
    assert_eq!(json["kind"], "public");
    assert_eq!(
        json["public_key"],
        "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
    );
    let json = tao(
        home.path(),
        None,
        &[
            "key",
            "inspect",
            "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(json["input_prefix"], 0);
    assert_eq!(json["ss58_address"], ALICE);
}

#[test]
fn key_inspect_rejects_bad_input() {
    let home = tempfile::tempdir().unwrap();
    let cases = [
        (
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ",
            "checksum",
        ),
        ("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQ0", "base58"),
        ("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHG", "decoded to"),
        (
            "bottom drive obey lake curtain smoke basket hold race lonely fit walkk",
            "\"walkk\" is not in the BIP-39",
        ),
        (
            "bottom drive obey lake curtain smoke basket hold race lonely fit",
            "11 words",
        ),
        ("//Alice//", "empty derivation junction"),
        ("//Alice/", "empty derivation junction"),
        ("0x1234//Alice", "hex"),
    ];
    for (input, expected) in cases {
        let run = tao(home.path(), None, &["key", "inspect", input]).failed();
        assert!(run.stderr.contains(expected), "{input}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{input}: {}", run.stdout);
    }
}

#[test]
fn create_refuses_to_overwrite_and_hides_secrets() {
    let home = tempfile::tempdir().unwrap();
    let created = tao(
        home.path(),
        None,
        &["wallet", "create", "--wallet-name", "w", "--no-password"],
    )
    .ok();
    let coldkey_path = wallet_path(home.path()).join("w/coldkey");
    let coldkey: serde_json::Value =
        serde_json::from_slice(&fs::read(&coldkey_path).unwrap()).unwrap();
    let phrase = coldkey["secretPhrase"].as_str().unwrap();
    let private_key = coldkey["privateKey"].as_str().unwrap();
    let seed = coldkey["secretSeed"].as_str().unwrap();
    let hotkey: serde_json::Value = serde_json::from_slice(
        &fs::read(wallet_path(home.path()).join("w/hotkeys/default")).unwrap(),
    )
    .unwrap();
    let hot_phrase = hotkey["secretPhrase"].as_str().unwrap();
    for secret in [
        phrase,
        private_key,
        &private_key[2..],
        seed,
        &seed[2..],
        hot_phrase,
    ] {
        assert!(!created.stdout.contains(secret) && !created.stderr.contains(secret));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&coldkey_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // Every key-writing command refuses to replace an existing key.
    for args in [
        &["wallet", "create", "--wallet-name", "w", "--no-password"][..],
        &[
            "wallet",
            "new-coldkey",
            "--wallet-name",
            "w",
            "--no-password",
        ],
        &["wallet", "new-hotkey", "--wallet-name", "w"],
        &[
            "wallet",
            "regen-coldkey",
            "--wallet-name",
            "w",
            "--uri",
            "//Bob",
            "--no-password",
        ],
        &[
            "wallet",
            "regen-hotkey",
            "--wallet-name",
            "w",
            "--uri",
            "//Bob",
        ],
    ] {
        let run = tao(home.path(), None, args).failed();
        assert!(
            run.stderr.contains("--overwrite"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let after: serde_json::Value =
        serde_json::from_slice(&fs::read(&coldkey_path).unwrap()).unwrap();
    assert_eq!(after["secretPhrase"], phrase);

    // show and list print no secret; show --show-secret does.
    for args in [
        &["wallet", "show", "--wallet-name", "w"][..],
        &["wallet", "list"],
        &["wallet", "list", "--json"],
    ] {
        let run = tao(home.path(), None, args).ok();
        assert!(
            !run.stdout.contains(phrase) && !run.stdout.contains(&private_key[2..]),
            "{args:?}"
        );
    }
    let shown = tao(
        home.path(),
        None,
        &[
            "wallet",
            "show",
            "--wallet-name",
            "w",
            "--show-secret",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(shown["coldkey_mnemonic"], phrase);
    assert_eq!(shown["hotkey_mnemonic"], hot_phrase);

    // --overwrite replaces the key.
    let regen = tao(
        home.path(),
        None,
        &[
            "wallet",
            "regen-coldkey",
            "--wallet-name",
            "w",
            "--uri",
            "//Bob",
            "--no-password",
            "--overwrite",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(
        regen["coldkey_ss58"],
        "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
    );
    let show = tao(
        home.path(),
        None,
        &["wallet", "show", "--wallet-name", "w", "--json"],
    )
    .ok()
    .json();
    assert_eq!(
        show["coldkey_ss58"],
        "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
    );
}

#[test]
fn regen_from_mnemonic_and_seed_match_subkey() {
    let home = tempfile::tempdir().unwrap();
    let mnemonic = "favorite liar zebra assume hurt cage any damp inherit rescue delay panic";
    let expected = "5EXWNJuoProc7apm1JS8m9RTqV3vVwR9dCg6sQVpKnoHtJ68";
    let json = tao(
        home.path(),
        None,
        &[
            "wallet",
            "regen-hotkey",
            "--wallet-name",
            "r",
            "--hotkey",
            "m",
            "--mnemonic",
            mnemonic,
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(json["hotkey_ss58"], expected);
    let json = tao(
        home.path(),
        None,
        &[
            "wallet",
            "regen-hotkey",
            "--wallet-name",
            "r",
            "--hotkey",
            "s",
            "--seed",
            "0x235c69907d33b85f27bd78e73ff5d0c67bd4894515cc30c77f4391859bc1a3f2",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(json["hotkey_ss58"], expected);
    let list = tao(home.path(), None, &["wallet", "list", "--json"])
        .ok()
        .json();
    assert_eq!(list["wallets"][0]["hotkeys"][0]["ss58"], expected);
    assert_eq!(list["wallets"][0]["hotkeys"][1]["ss58"], expected);

    // Bad mnemonic and seed input.
    let run = tao(
        home.path(),
        None,
        &[
            "wallet",
            "regen-hotkey",
            "--wallet-name",
            "r",
            "--hotkey",
            "x",
            "--mnemonic",
            "favorite liar zebra assume hurt cage any damp inherit rescue delay panik",
        ],
    )
    .failed();
    assert!(
        run.stderr.contains("\"panik\" is not in the BIP-39"),
        "{}",
        run.stderr
    );
    let run = tao(
        home.path(),
        None,
        &[
            "wallet",
            "regen-hotkey",
            "--wallet-name",
            "r",
            "--hotkey",
            "x",
            "--seed",
            "0xabc",
        ],
    )
    .failed();
    assert!(run.stderr.contains("64 hex digits"), "{}", run.stderr);
    assert!(!wallet_path(home.path()).join("r/hotkeys/x").exists());
}

#[test]
fn wrong_password_and_damaged_keyfiles_fail_clearly() {
    let home = tempfile::tempdir().unwrap();
    let sign = [
        "wallet",
        "sign",
        "--wallet-name",
        "alice",
        "--message",
        "hi",
    ];

    install_fixture(home.path(), FIXTURE_COLDKEY);
    let run = tao(home.path(), Some("not-the-password"), &sign).failed();
    assert!(
        run.stderr.contains("wrong password or corrupted keyfile"),
        "{}",
        run.stderr
    );

    // No password at all, non-interactive: says how to give one, without running Argon2.
    let run = tao(home.path(), None, &sign).failed();
    assert!(run.stderr.contains("TAO_WALLET_PASSWORD"), "{}", run.stderr);

    // Truncated below the NaCl header.
    install_fixture(home.path(), &FIXTURE_COLDKEY[..30]);
    let run = tao(home.path(), Some("fixture-pw"), &sign).failed();
    assert!(run.stderr.contains("truncated: 30 bytes"), "{}", run.stderr);

    // One flipped ciphertext byte fails authentication even with the right password.
    let mut corrupted = FIXTURE_COLDKEY.to_vec();
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0x01;
    install_fixture(home.path(), &corrupted);
    let run = tao(home.path(), Some("fixture-pw"), &sign).failed();
    assert!(
        run.stderr.contains("wrong password or corrupted keyfile"),
        "{}",
        run.stderr
    );

    // Legacy and garbage files are named as such.
    install_fixture(home.path(), b"$ANSIBLE_VAULT;1.1;AES256\n6162");
    let run = tao(home.path(), Some("fixture-pw"), &sign).failed();
    assert!(
        run.stderr.contains("legacy Ansible Vault"),
        "{}",
        run.stderr
    );
    install_fixture(home.path(), b"{\"accountId\": 12");
    let run = tao(home.path(), None, &sign).failed();
    assert!(run.stderr.contains("not a valid keyfile"), "{}", run.stderr);
}

#[test]
fn password_file_decrypts_python_fixture() {
    let home = tempfile::tempdir().unwrap();
    install_fixture(home.path(), FIXTURE_COLDKEY);
    let password_file = home.path().join("pw.txt");
    fs::write(&password_file, "fixture-pw\n").unwrap();
    let signed = tao(
        home.path(),
        None,
        &[
            "wallet",
            "sign",
            "--wallet-name",
            "alice",
            "--message",
            "0x0102ff",
            "--hex",
            "--json",
            "--password-file",
            password_file.to_str().unwrap(),
        ],
    )
    .ok()
    .json();
    assert_eq!(signed["signer_ss58"], ALICE);
    let signature = signed["signature"].as_str().unwrap();
    tao(
        home.path(),
        None,
        &[
            "wallet",
            "verify",
            "--message",
            "0x0102ff",
            "--hex",
            "--signature",
            signature,
            "--address",
            ALICE,
        ],
    )
    .ok();
    let run = tao(
        home.path(),
        None,
        &[
            "wallet",
            "verify",
            "--message",
            "0x0102ff",
            "--hex",
            "--signature",
            signature,
            "--address",
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ",
        ],
    )
    .failed();
    assert!(run.stderr.contains("checksum mismatch"), "{}", run.stderr);
    let run = tao(
        home.path(),
        None,
        &[
            "wallet",
            "verify",
            "--message",
            "0x0102fe",
            "--hex",
            "--signature",
            signature,
            "--address",
            ALICE,
        ],
    )
    .failed();
    assert!(run.stderr.contains("NOT valid"), "{}", run.stderr);
}

#[test]
fn closed_stdout_is_not_a_crash() {
    use std::io::Read as _;
    use std::process::{Command, Stdio};
    let home = tempfile::tempdir().unwrap();
    // A reader that closes the pipe before tao writes: `tao … | head -c0`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tao"))
        .args(["key", "inspect", "//Alice", "--json"])
        .env("HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.success(), "{status:?}: {stderr}");
}
