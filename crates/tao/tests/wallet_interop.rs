//! Interop with the real Python `bittensor-wallet` (4.1.1): wallets written by one side are
//! read, decrypted and used by the other. Each test pays for a few Argon2 (512 MiB) runs only.

mod wallet_support;

use wallet_support::{run_python, tao, wallet_path};

const MNEMONIC: &str = "favorite liar zebra assume hurt cage any damp inherit rescue delay panic";
const MNEMONIC_SS58: &str = "5EXWNJuoProc7apm1JS8m9RTqV3vVwR9dCg6sQVpKnoHtJ68";

const PY_CREATE: &str = r#"
import json, sys
from bittensor_wallet import Wallet
path, mnemonic, password = sys.argv[1:4]
w = Wallet(name="pywallet", hotkey="pyhot", path=path)
w.regenerate_coldkey(mnemonic=mnemonic, use_password=True, overwrite=False, suppress=True, coldkey_password=password)
w.create_new_hotkey(n_words=12, use_password=False, overwrite=False, suppress=True)
print(json.dumps({"coldkey": w.coldkeypub.ss58_address, "hotkey": w.hotkey.ss58_address}))
"#;

const PY_VERIFY: &str = r#"
import json, sys
from bittensor_wallet import Keypair
address, message, signature = sys.argv[1:4]
ok = Keypair(ss58_address=address).verify(message.encode(), bytes.fromhex(signature.removeprefix("0x")))
print(json.dumps({"valid": bool(ok)}))
"#;

#[test]
fn python_wallet_is_read_decrypted_and_signed_by_tao() {
    let home = tempfile::tempdir().unwrap();
    let path = wallet_path(home.path());
    let password = "python-made-pw";
    let created = run_python(
        home.path(),
        PY_CREATE,
        &[path.to_str().unwrap(), MNEMONIC, password],
    );
    assert_eq!(created["coldkey"], MNEMONIC_SS58);

    let show = tao(
        home.path(),
        None,
        &[
            "wallet",
            "show",
            "--wallet-name",
            "pywallet",
            "--hotkey",
            "pyhot",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(show["coldkey_ss58"], created["coldkey"]);
    assert_eq!(show["hotkey_ss58"], created["hotkey"]);
    assert_eq!(show["coldkey_encrypted"], true);

    // Decrypts the Python coldkey (one Argon2 run) and signs with it.
    let message = "signed by tao, checked by python";
    let signed = tao(
        home.path(),
        Some(password),
        &[
            "wallet",
            "sign",
            "--wallet.name",
            "pywallet",
            "--message",
            message,
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(signed["signer_ss58"], MNEMONIC_SS58);
    let signature = signed["signature"].as_str().unwrap();
    let verdict = run_python(home.path(), PY_VERIFY, &[MNEMONIC_SS58, message, signature]);
    assert_eq!(verdict["valid"], true);
    let tampered = run_python(
        home.path(),
        PY_VERIFY,
        &[MNEMONIC_SS58, "other message", signature],
    );
    assert_eq!(tampered["valid"], false);

    // The plaintext Python hotkey signs too.
    let hot = tao(
        home.path(),
        None,
        &[
            "wallet",
            "sign",
            "--wallet-name",
            "pywallet",
            "--hotkey",
            "pyhot",
            "--use-hotkey",
            "--message",
            message,
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(hot["signer_ss58"], created["hotkey"]);
    let hot_address = created["hotkey"].as_str().unwrap();
    let verdict = run_python(
        home.path(),
        PY_VERIFY,
        &[hot_address, message, hot["signature"].as_str().unwrap()],
    );
    assert_eq!(verdict["valid"], true);
}

const PY_LOAD: &str = r#"
import json, sys
from bittensor_wallet import Keypair, Wallet
path, password, message, mnemonic = sys.argv[1:5]
w = Wallet(name="taowallet", hotkey="taohot", path=path)
cold = w.get_coldkey(password=password)
print(json.dumps({
    "coldkey": cold.ss58_address,
    "coldkeypub": w.coldkeypub.ss58_address,
    "from_mnemonic": Keypair.create_from_mnemonic(mnemonic).ss58_address,
    "hotkey": w.hotkey.ss58_address,
    "hotkeypub": w.hotkeypub.ss58_address,
    "signature": "0x" + cold.sign(message.encode()).hex(),
}))
"#;

#[test]
fn tao_wallet_is_loaded_and_decrypted_by_python() {
    let home = tempfile::tempdir().unwrap();
    let path = wallet_path(home.path());
    let password = "tao-made-pw";
    let created = tao(
        home.path(),
        Some(password),
        &[
            "wallet",
            "create",
            "--wallet-name",
            "taowallet",
            "--hotkey",
            "taohot",
            "--n-words",
            "15",
            "--show-secret",
            "--json",
        ],
    )
    .ok()
    .json();
    let mnemonic = created["coldkey_mnemonic"].as_str().unwrap();
    assert_eq!(mnemonic.split_whitespace().count(), 15);

    // Python decrypts the tao coldkey (one Argon2 run) and signs with it.
    let message = "signed by python, checked by tao";
    let loaded = run_python(
        home.path(),
        PY_LOAD,
        &[path.to_str().unwrap(), password, message, mnemonic],
    );
    assert_eq!(loaded["coldkey"], created["coldkey_ss58"]);
    assert_eq!(loaded["coldkeypub"], created["coldkey_ss58"]);
    assert_eq!(loaded["from_mnemonic"], created["coldkey_ss58"]);
    assert_eq!(loaded["hotkey"], created["hotkey_ss58"]);
    assert_eq!(loaded["hotkeypub"], created["hotkey_ss58"]);

    let signature = loaded["signature"].as_str().unwrap();
    let verified = tao(
        home.path(),
        None,
        &[
            "wallet",
            "verify",
            "--wallet-name",
            "taowallet",
            "--message",
            message,
            "--signature",
            signature,
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(verified["valid"], true);
    let rejected = tao(
        home.path(),
        None,
        &[
            "wallet",
            "verify",
            "--wallet-name",
            "taowallet",
            "--message",
            "tampered",
            "--signature",
            signature,
            "--json",
        ],
    )
    .failed()
    .json();
    assert_eq!(rejected["valid"], false);

    // Same address from the mnemonic through `key inspect`.
    let inspected = tao(home.path(), None, &["key", "inspect", mnemonic, "--json"])
        .ok()
        .json();
    assert_eq!(inspected["ss58_address"], created["coldkey_ss58"]);
}
