//! bittensor keyfiles: the JSON content (`accountId`, `publicKey`, `ss58Address`, `privateKey`,
//! `secretPhrase`, `secretSeed`, `cryptoType`) and the NaCl encryption
//! (`"$NACL"` ‖ 24-byte nonce ‖ Poly1305 tag ‖ XSalsa20 ciphertext, key from Argon2i v1.3 with
//! libsodium's SENSITIVE limits and bittensor's fixed salt).

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::{Nonce, Tag, XSalsa20Poly1305};
use rand_core::{OsRng, RngCore};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::keys::parse_hex;
use crate::uri::mini_secret_from_phrase;
use crate::{Error, Pair, PublicKey};

/// Marker that starts every NaCl-encrypted keyfile.
pub const NACL_PREFIX: &[u8] = b"$NACL";

/// bittensor's fixed Argon2 salt (`btwallet` constants).
pub const NACL_SALT: [u8; 16] = [
    0x13, 0x71, 0x83, 0xdf, 0xf1, 0x5a, 0x09, 0xbc, 0x9c, 0x90, 0xb5, 0x51, 0x87, 0x39, 0xe9, 0xb1,
];

/// libsodium `crypto_pwhash_argon2i_OPSLIMIT_SENSITIVE`.
pub const OPSLIMIT_SENSITIVE: u32 = 8;

/// libsodium `crypto_pwhash_argon2i_MEMLIMIT_SENSITIVE`, in bytes (512 MiB).
pub const MEMLIMIT_SENSITIVE: u32 = 536_870_912;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Smallest possible encrypted keyfile: prefix, nonce and tag around an empty plaintext.
pub const MIN_ENCRYPTED_LEN: usize = NACL_PREFIX.len() + NONCE_LEN + TAG_LEN;

/// The JSON `cryptoType` of sr25519 keys.
const CRYPTO_TYPE_SR25519: u64 = 1;

/// How a keyfile's bytes are stored, detected from their first bytes like btwallet does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encryption {
    /// `$NACL` secretbox, the current scheme.
    Nacl,
    /// `$ANSIBLE_VAULT`, legacy; detected only.
    AnsibleVault,
    /// `gAAAAA` Fernet token, very old; detected only.
    Fernet,
    /// Plain JSON.
    None,
}

/// Detects the storage scheme of keyfile bytes.
pub fn detect(bytes: &[u8]) -> Encryption {
    if bytes.starts_with(NACL_PREFIX) {
        Encryption::Nacl
    } else if bytes.starts_with(b"$ANSIBLE_VAULT") {
        Encryption::AnsibleVault
    } else if bytes.starts_with(b"gAAAAA") {
        Encryption::Fernet
    } else {
        Encryption::None
    }
}

/// The 32-byte secretbox key of a password: Argon2i v1.3, SENSITIVE limits, fixed salt.
/// Costs about a second and 512 MiB of memory, by design.
pub fn derive_key(password: &str) -> Result<Zeroizing<[u8; 32]>, Error> {
    let params =
        Params::new(MEMLIMIT_SENSITIVE / 1024, OPSLIMIT_SENSITIVE, 1, Some(32)).map_err(|e| {
            Error::KeyDerivation {
                reason: e.to_string(),
            }
        })?;
    let argon = Argon2::new(Algorithm::Argon2i, Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(password.as_bytes(), &NACL_SALT, key.as_mut_slice())
        .map_err(|e| Error::KeyDerivation {
            reason: e.to_string(),
        })?;
    Ok(key)
}

/// Encrypts keyfile content with a fresh random nonce.
pub fn encrypt(plaintext: &[u8], password: &str) -> Result<Vec<u8>, Error> {
    let key = derive_key(password)?;
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    seal(plaintext, &key, &nonce)
}

fn seal(plaintext: &[u8], key: &[u8; 32], nonce: &[u8; NONCE_LEN]) -> Result<Vec<u8>, Error> {
    let cipher = XSalsa20Poly1305::new(key.into());
    let mut body = plaintext.to_vec();
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(nonce), b"", &mut body)
        .map_err(|_| Error::Encryption {
            length: plaintext.len(),
        })?;
    let mut out = Vec::with_capacity(MIN_ENCRYPTED_LEN + body.len());
    out.extend_from_slice(NACL_PREFIX);
    out.extend_from_slice(nonce);
    out.extend_from_slice(&tag);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decrypts a `$NACL` keyfile; `path` only labels errors.
pub fn decrypt(bytes: &[u8], password: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    match detect(bytes) {
        Encryption::Nacl => {}
        Encryption::AnsibleVault => {
            return Err(Error::LegacyKeyfile {
                path: path.to_path_buf(),
                format: "Ansible Vault",
            });
        }
        Encryption::Fernet => {
            return Err(Error::LegacyKeyfile {
                path: path.to_path_buf(),
                format: "Fernet",
            });
        }
        Encryption::None => {
            return Err(Error::BadKeyfile {
                path: path.to_path_buf(),
                reason: "not encrypted (no $NACL prefix)".to_string(),
            });
        }
    }
    if bytes.len() < MIN_ENCRYPTED_LEN {
        return Err(Error::KeyfileTruncated {
            path: path.to_path_buf(),
            length: bytes.len(),
            minimum: MIN_ENCRYPTED_LEN,
        });
    }
    let key = derive_key(password)?;
    open(bytes, &key, path)
}

fn open(bytes: &[u8], key: &[u8; 32], path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    let nonce_end = NACL_PREFIX.len() + NONCE_LEN;
    let nonce = Nonce::from_slice(&bytes[NACL_PREFIX.len()..nonce_end]);
    let tag = Tag::from_slice(&bytes[nonce_end..MIN_ENCRYPTED_LEN]);
    let mut body = Zeroizing::new(bytes[MIN_ENCRYPTED_LEN..].to_vec());
    XSalsa20Poly1305::new(key.into())
        .decrypt_in_place_detached(nonce, b"", &mut body, tag)
        .map_err(|_| Error::DecryptionFailed {
            path: path.to_path_buf(),
        })?;
    Ok(body)
}

/// The content of a keyfile: always the public key, optionally the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyfileData {
    /// The account id.
    pub public: PublicKey,
    /// 64-byte schnorrkel secret key (`privateKey`).
    pub private_key: Option<Zeroizing<[u8; 64]>>,
    /// BIP-39 mnemonic (`secretPhrase`).
    pub secret_phrase: Option<Zeroizing<String>>,
    /// 32-byte mini-secret (`secretSeed`).
    pub secret_seed: Option<Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for KeyfileData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyfileData")
            .field("public", &self.public)
            .field("has_secret", &self.is_private())
            .finish()
    }
}

impl KeyfileData {
    /// Keyfile content for a keypair, with the mnemonic and seed it came from when known.
    pub fn from_pair(pair: &Pair, phrase: Option<&str>, seed: Option<[u8; 32]>) -> KeyfileData {
        KeyfileData {
            public: pair.public(),
            private_key: Some(Zeroizing::new(pair.secret_key_bytes())),
            secret_phrase: phrase.map(|p| Zeroizing::new(p.to_string())),
            secret_seed: seed.map(Zeroizing::new),
        }
    }

    /// The public-only content written to `coldkeypub.txt` / `<hotkey>pub.txt`.
    pub fn public_only(public: PublicKey) -> KeyfileData {
        KeyfileData {
            public,
            private_key: None,
            secret_phrase: None,
            secret_seed: None,
        }
    }

    /// Whether the file carries any secret.
    pub fn is_private(&self) -> bool {
        self.private_key.is_some() || self.secret_phrase.is_some() || self.secret_seed.is_some()
    }

    /// Serialises to btwallet's single-line JSON.
    pub fn to_json(&self) -> Zeroizing<String> {
        let mut map = Map::new();
        map.insert("cryptoType".into(), Value::from(CRYPTO_TYPE_SR25519));
        map.insert("accountId".into(), Value::from(self.public.to_string()));
        map.insert("publicKey".into(), Value::from(self.public.to_string()));
        map.insert("ss58Address".into(), Value::from(self.public.to_ss58()));
        if let Some(private_key) = &self.private_key {
            let hex = format!("0x{}", hex::encode(private_key.as_slice()));
            map.insert("privateKey".into(), Value::from(hex));
        }
        if let Some(phrase) = &self.secret_phrase {
            map.insert("secretPhrase".into(), Value::from(phrase.as_str()));
        }
        if let Some(seed) = &self.secret_seed {
            let hex = format!("0x{}", hex::encode(seed.as_slice()));
            map.insert("secretSeed".into(), Value::from(hex));
        }
        Zeroizing::new(Value::Object(map).to_string())
    }

    /// Parses keyfile JSON in any field order; `path` only labels errors. Checks that the
    /// secrets, when present, belong to the stated public key.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<KeyfileData, Error> {
        let bad = |reason: String| Error::BadKeyfile {
            path: path.to_path_buf(),
            reason,
        };
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON ({e})")))?;
        let Value::Object(map) = value else {
            return Err(bad("JSON is not an object".to_string()));
        };
        let field = |name: &str| -> Result<Option<&str>, Error> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(bad(format!("field {name} is not a string"))),
            }
        };
        if let Some(crypto_type) = map.get("cryptoType")
            && crypto_type.as_u64() != Some(CRYPTO_TYPE_SR25519)
        {
            return Err(bad(format!(
                "cryptoType {crypto_type} is not supported (only 1 = sr25519)"
            )));
        }
        let secret_seed = field("secretSeed")?
            .map(|s| parse_hex::<32>(s, "secretSeed").map(Zeroizing::new))
            .transpose()?;
        let secret_phrase = field("secretPhrase")?.map(|s| Zeroizing::new(s.to_string()));
        let private_key = field("privateKey")?
            .map(|s| parse_hex::<64>(s, "privateKey").map(Zeroizing::new))
            .transpose()?;
        let stated = match (
            field("publicKey")?,
            field("accountId")?,
            field("ss58Address")?,
        ) {
            (Some(hex), _, _) | (None, Some(hex), _) => Some(hex.parse::<PublicKey>()?),
            (None, None, Some(address)) => Some(PublicKey::from_ss58(address)?),
            (None, None, None) => None,
        };
        let mut data = KeyfileData {
            public: PublicKey([0u8; 32]),
            private_key,
            secret_phrase,
            secret_seed,
        };
        let public = match data.pair()? {
            Some(pair) => {
                let public = pair.public();
                if let Some(stated) = stated
                    && stated != public
                {
                    return Err(bad(format!(
                        "its secret belongs to {} but it states {}",
                        public.to_ss58(),
                        stated.to_ss58()
                    )));
                }
                public
            }
            None => stated.ok_or_else(|| bad("no key fields".to_string()))?,
        };
        data.public = public;
        Ok(data)
    }

    /// The keypair, if the file has secrets; precedence as btwallet: `secretSeed`, then
    /// `secretPhrase`, then `privateKey`.
    pub fn pair(&self) -> Result<Option<Pair>, Error> {
        if let Some(seed) = &self.secret_seed {
            return Ok(Some(Pair::from_seed(seed)));
        }
        if let Some(phrase) = &self.secret_phrase {
            let seed = Zeroizing::new(mini_secret_from_phrase(phrase, "")?);
            return Ok(Some(Pair::from_seed(&seed)));
        }
        if let Some(private_key) = &self.private_key {
            return Pair::from_secret_key_bytes(private_key).map(Some);
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_HOTKEY: &str = r#"{"cryptoType":1,"publicKey":"0x46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a","accountId":"0x46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a","ss58Address":"5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV","secretPhrase":"bottom drive obey lake curtain smoke basket hold race lonely fit walk","privateKey":"0x05d65584630d16cd4af6d0bec10f34bb504a5dcb62dba2122d49f5a663763d0afd190cce74df356432b410bd64682309d6dedb27c76845daf388557cbac3ca34","secretSeed":"0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e"}"#;
    const SPEC_PUB: &str = r#"{"cryptoType":1,"ss58Address":"5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV","accountId":"0x46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a","publicKey":"0x46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a"}"#;

    fn path() -> &'static Path {
        Path::new("test-keyfile")
    }

    #[test]
    fn spec_keyfiles_parse() {
        let data = KeyfileData::from_json(SPEC_HOTKEY.as_bytes(), path()).unwrap();
        assert_eq!(
            data.public.to_ss58(),
            "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV"
        );
        assert!(data.is_private());
        let public = KeyfileData::from_json(SPEC_PUB.as_bytes(), path()).unwrap();
        assert_eq!(public, KeyfileData::public_only(data.public));
        assert!(public.pair().unwrap().is_none());
    }

    #[test]
    fn json_roundtrip_has_every_field() {
        let data = KeyfileData::from_json(SPEC_HOTKEY.as_bytes(), path()).unwrap();
        let written: Value = serde_json::from_str(&data.to_json()).unwrap();
        let original: Value = serde_json::from_str(SPEC_HOTKEY).unwrap();
        assert_eq!(written, original);
        let public = KeyfileData::public_only(data.public);
        let written: Value = serde_json::from_str(&public.to_json()).unwrap();
        let original: Value = serde_json::from_str(SPEC_PUB).unwrap();
        assert_eq!(written, original);
    }

    #[test]
    fn mismatched_secret_is_rejected() {
        let tampered = SPEC_HOTKEY.replace(
            "0x46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a",
            "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
        );
        assert!(matches!(
            KeyfileData::from_json(tampered.as_bytes(), path()),
            Err(Error::BadKeyfile { .. })
        ));
        assert!(matches!(
            KeyfileData::from_json(&SPEC_HOTKEY.as_bytes()[..100], path()),
            Err(Error::BadKeyfile { .. })
        ));
    }

    #[test]
    fn legacy_and_short_files_are_detected() {
        assert_eq!(
            detect(b"$ANSIBLE_VAULT;1.1;AES256\n3331"),
            Encryption::AnsibleVault
        );
        assert_eq!(detect(b"gAAAAABk"), Encryption::Fernet);
        assert_eq!(detect(b"{}"), Encryption::None);
        assert!(matches!(
            decrypt(b"$ANSIBLE_VAULT;1.1;AES256\n", "pw", path()),
            Err(Error::LegacyKeyfile { .. })
        ));
        assert!(matches!(
            decrypt(b"gAAAAABkxyz", "pw", path()),
            Err(Error::LegacyKeyfile { .. })
        ));
        assert!(matches!(
            decrypt(b"$NACLshort", "pw", path()),
            Err(Error::KeyfileTruncated { length: 10, .. })
        ));
    }

    #[test]
    fn secretbox_layout_and_tamper_detection() {
        // Uses a fixed key so the test does not pay for Argon2.
        let key = [7u8; 32];
        let nonce = [9u8; NONCE_LEN];
        let sealed = seal(b"hello keyfile", &key, &nonce).unwrap();
        assert_eq!(sealed.len(), MIN_ENCRYPTED_LEN + 13);
        assert_eq!(&sealed[..5], b"$NACL");
        assert_eq!(&sealed[5..29], &nonce);
        assert_eq!(
            open(&sealed, &key, path()).unwrap().as_slice(),
            b"hello keyfile"
        );
        let mut corrupted = sealed.clone();
        corrupted[40] ^= 1;
        assert!(matches!(
            open(&corrupted, &key, path()),
            Err(Error::DecryptionFailed { .. })
        ));
        assert!(matches!(
            open(&sealed, &[8u8; 32], path()),
            Err(Error::DecryptionFailed { .. })
        ));
    }

    #[test]
    fn libsodium_secretbox_vector() {
        // NaCl's published crypto_secretbox test (tests/secretbox.c): first 16 bytes of the
        // ciphertext of the 131-byte message, after the tag.
        let key: [u8; 32] = parse_hex(
            "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389",
            "key",
        )
        .unwrap();
        let nonce: [u8; 24] =
            parse_hex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37", "nonce").unwrap();
        let message = hex::decode("be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705").unwrap();
        let sealed = seal(&message, &key, &nonce).unwrap();
        assert_eq!(
            hex::encode(&sealed[29..45]),
            "f3ffc7703f9400e52a7dfb4b3d3305d9"
        );
        assert_eq!(
            hex::encode(&sealed[45..61]),
            "8e993b9f48681273c29650ba32fc76ce"
        );
    }
}
