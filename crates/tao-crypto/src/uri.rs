//! Secret URIs and BIP-39 mnemonics, following Substrate exactly: `phrase//hard/soft///password`,
//! mini-secret = first 32 bytes of PBKDF2-HMAC-SHA512(entropy, "mnemonic" ‖ password, 2048).

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use rand_core::{OsRng, RngCore};
use schnorrkel::ExpansionMode;
use schnorrkel::derive::{ChainCode, Derivation};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::{Error, Pair};

/// Substrate's development phrase; the root of `//Alice` and the other dev accounts.
pub const DEV_PHRASE: &str =
    "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

/// Word counts BIP-39 allows, as offered by `--n-words`.
pub const MNEMONIC_WORD_COUNTS: [usize; 5] = [12, 15, 18, 21, 24];

/// One step of a derivation path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Junction {
    /// `//x`: the child secret is not computable from the parent public key.
    Hard([u8; 32]),
    /// `/x`: the child public key is computable from the parent public key.
    Soft([u8; 32]),
}

impl Junction {
    /// Builds a junction from its path text (without the slashes), as Substrate does: a decimal
    /// u64 is SCALE-encoded as 8 little-endian bytes, anything else as a SCALE string; the
    /// encoding is zero-padded to 32 bytes, or blake2b-256-hashed if longer.
    pub fn new(code: &str, hard: bool) -> Junction {
        let encoded = match code.parse::<u64>() {
            Ok(n) => n.to_le_bytes().to_vec(),
            Err(_) => {
                let mut encoded = compact_length(code.len());
                encoded.extend_from_slice(code.as_bytes());
                encoded
            }
        };
        let mut chain_code = [0u8; 32];
        if encoded.len() > 32 {
            chain_code.copy_from_slice(&Blake2b::<U32>::digest(&encoded));
        } else {
            chain_code[..encoded.len()].copy_from_slice(&encoded);
        }
        if hard {
            Junction::Hard(chain_code)
        } else {
            Junction::Soft(chain_code)
        }
    }
}

/// SCALE compact encoding of a length.
fn compact_length(len: usize) -> Vec<u8> {
    let n = len as u64;
    match n {
        0..=0x3f => vec![(n as u8) << 2],
        0x40..=0x3fff => ((n as u16) << 2 | 0b01).to_le_bytes().to_vec(),
        0x4000..=0x3fff_ffff => ((n as u32) << 2 | 0b10).to_le_bytes().to_vec(),
        _ => {
            let bytes = n.to_le_bytes();
            let used = 8 - (n.leading_zeros() / 8) as usize;
            let mut out = vec![(((used - 4) as u8) << 2) | 0b11];
            out.extend_from_slice(&bytes[..used]);
            out
        }
    }
}

/// A parsed secret URI.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUri {
    /// Mnemonic or `0x` seed; `None` means the dev phrase.
    pub phrase: Option<String>,
    /// The derivation path, in order.
    pub path: Vec<Junction>,
    /// The `///password`, which salts the mnemonic.
    pub password: Option<String>,
}

/// Parses `phrase?(//hard|/soft)*(///password)?` like Substrate's `SecretUri`.
pub fn parse(uri: &str) -> Result<SecretUri, Error> {
    let (phrase, mut rest) = match uri.find('/') {
        Some(index) => (&uri[..index], &uri[index..]),
        None => (uri, ""),
    };
    if let Some(bad) = phrase
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == ' '))
    {
        return Err(Error::BadUri {
            reason: format!(
                "character {bad:?} is not allowed in the phrase part (letters, digits, spaces; path starts at the first '/')"
            ),
        });
    }
    let mut path = Vec::new();
    let mut password = None;
    while !rest.is_empty() {
        if let Some(pw) = rest.strip_prefix("///") {
            password = Some(pw.to_string());
            break;
        }
        let (hard, after) = match rest.strip_prefix("//") {
            Some(after) => (true, after),
            None => (false, &rest[1..]),
        };
        let end = after.find('/').unwrap_or(after.len());
        let code = &after[..end];
        if code.is_empty() {
            return Err(Error::BadUri {
                reason: format!(
                    "empty derivation junction in path {:?} (use //hard, /soft or ///password)",
                    &uri[uri.len() - rest.len()..]
                ),
            });
        }
        path.push(Junction::new(code, hard));
        rest = &after[end..];
    }
    Ok(SecretUri {
        phrase: (!phrase.is_empty()).then(|| phrase.to_string()),
        path,
        password,
    })
}

/// A keypair derived from a URI, with the secrets that keyfiles record.
#[derive(Clone, Debug)]
pub struct Derived {
    /// The derived keypair.
    pub pair: Pair,
    /// The mini-secret, when the path had no soft junction (Substrate returns it then).
    pub seed: Option<[u8; 32]>,
}

/// Derives the keypair of a secret URI.
pub fn derive(uri: &str) -> Result<Derived, Error> {
    let parsed = parse(uri)?;
    let phrase = parsed.phrase.as_deref().unwrap_or(DEV_PHRASE);
    let root_seed = match phrase.strip_prefix("0x") {
        Some(hex_seed) => crate::keys::parse_hex::<32>(hex_seed, "seed (0x + 64 hex digits)")?,
        None => mini_secret_from_phrase(phrase, parsed.password.as_deref().unwrap_or(""))?,
    };
    let mut secret = Pair::from_seed(&root_seed).secret().clone();
    let mut seed = Some(root_seed);
    for junction in &parsed.path {
        match junction {
            Junction::Soft(code) => {
                secret = secret.derived_key_simple(ChainCode(*code), []).0;
                seed = None;
            }
            Junction::Hard(code) => {
                let mini = secret
                    .hard_derive_mini_secret_key(Some(ChainCode(*code)), b"")
                    .0;
                secret = mini.expand(ExpansionMode::Ed25519);
                seed = seed.map(|_| mini.to_bytes());
            }
        }
    }
    Ok(Derived {
        pair: Pair::from_secret(secret),
        seed,
    })
}

/// Parses an English BIP-39 mnemonic and returns its entropy.
pub fn mnemonic_entropy(phrase: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mnemonic = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, phrase).map_err(
        |e| match e {
            bip39::Error::UnknownWord(index) => Error::UnknownMnemonicWord {
                position: index + 1,
                word: phrase
                    .split_whitespace()
                    .nth(index)
                    .unwrap_or_default()
                    .to_string(),
            },
            bip39::Error::BadWordCount(count) => Error::MnemonicWordCount { count },
            bip39::Error::InvalidChecksum => Error::MnemonicChecksum,
            other => Error::BadUri {
                reason: format!("invalid mnemonic: {other}"),
            },
        },
    )?;
    Ok(Zeroizing::new(mnemonic.to_entropy()))
}

/// The 32-byte mini-secret of a mnemonic, exactly as Substrate (substrate-bip39) computes it.
pub fn mini_secret_from_phrase(phrase: &str, password: &str) -> Result<[u8; 32], Error> {
    let entropy = mnemonic_entropy(phrase)?;
    let salt = Zeroizing::new([b"mnemonic".as_slice(), password.as_bytes()].concat());
    let mut seed = Zeroizing::new([0u8; 64]);
    pbkdf2::pbkdf2_hmac::<Sha512>(&entropy, &salt, 2048, seed.as_mut_slice());
    let mut mini = [0u8; 32];
    mini.copy_from_slice(&seed[..32]);
    Ok(mini)
}

/// Generates a fresh English mnemonic of `words` words from the OS random source.
pub fn generate_mnemonic(words: usize) -> Result<String, Error> {
    if !MNEMONIC_WORD_COUNTS.contains(&words) {
        return Err(Error::MnemonicWordCount { count: words });
    }
    let mut entropy = Zeroizing::new(vec![0u8; words * 4 / 3]);
    OsRng.fill_bytes(&mut entropy);
    let mnemonic =
        bip39::Mnemonic::from_entropy_in(bip39::Language::English, &entropy).map_err(|e| {
            Error::BadUri {
                reason: format!("cannot build mnemonic: {e}"),
            }
        })?;
    Ok(mnemonic.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public_hex(uri: &str) -> String {
        hex::encode(Pair::from_uri(uri).unwrap().public().0)
    }

    #[test]
    fn dev_accounts_match_substrate() {
        let accounts = [
            (
                "//Alice",
                "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
            ),
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
            (
                "//Alice//stash",
                "5GNJqTPyNqANBkUVMN1LPPrxXnFouWXoe2wNSmmEoLctxiZY",
            ),
        ];
        for (uri, address) in accounts {
            assert_eq!(
                Pair::from_uri(uri).unwrap().public().to_ss58(),
                address,
                "{uri}"
            );
        }
    }

    #[test]
    fn dev_phrase_root_and_keyfile_vector() {
        // The dev phrase itself, and Bob's keyfile `privateKey` (axon-wire spec §11.2).
        let root = derive(DEV_PHRASE).unwrap();
        assert_eq!(
            root.pair.public().to_ss58(),
            "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV"
        );
        assert_eq!(
            hex::encode(root.seed.unwrap()),
            "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e"
        );
        assert_eq!(
            hex::encode(root.pair.secret_key_bytes()),
            "05d65584630d16cd4af6d0bec10f34bb504a5dcb62dba2122d49f5a663763d0afd190cce74df356432b410bd64682309d6dedb27c76845daf388557cbac3ca34"
        );
        assert_eq!(
            hex::encode(Pair::from_uri("//Bob").unwrap().secret_key_bytes()),
            "e1c39e72cca724caa697d64a58e10bd95ffa63d1922962f7e27f8a09dda1370b41ae88f85d0c1bfc37be41c904e1dfc01de8c8067b0d6d5df25dd1ac0894a325"
        );
    }

    #[test]
    fn sp_core_derivation_vectors() {
        // sp-core sr25519 tests: derive_soft_known_pair / derive_hard_known_pair.
        assert_eq!(
            public_hex(&format!("{DEV_PHRASE}/Alice")),
            "d6c71059dbbe9ad2b0ed3f289738b800836eb425544ce694825285b958ca755e"
        );
        assert_eq!(
            public_hex(&format!("{DEV_PHRASE}//Alice")),
            "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
        );
        // sp-core default_phrase_should_be_used: the password salts the dev phrase.
        assert_eq!(
            public_hex("//Alice///password"),
            public_hex(&format!("{DEV_PHRASE}//Alice///password"))
        );
        assert_ne!(public_hex("//Alice///password"), public_hex("//Alice"));
    }

    #[test]
    fn subkey_documented_mnemonics() {
        // `subkey inspect` / `subkey generate` outputs published in Substrate's documentation.
        let vectors = [
            (
                "favorite liar zebra assume hurt cage any damp inherit rescue delay panic",
                "235c69907d33b85f27bd78e73ff5d0c67bd4894515cc30c77f4391859bc1a3f2",
                "5EXWNJuoProc7apm1JS8m9RTqV3vVwR9dCg6sQVpKnoHtJ68",
            ),
            (
                "claim year obvious artist also float royal vague industry tackle husband prize",
                "4548be7dc2fa89b3e5600f3933d69ffac4d06e0ac6222ccb9a17fe3cb49ebd9d",
                "5CSSTUxjWVAWSLDxigjsyAF2PXLCznf1FSUhbDooTwaaWQM1",
            ),
        ];
        for (phrase, seed, address) in vectors {
            let derived = derive(phrase).unwrap();
            assert_eq!(hex::encode(derived.seed.unwrap()), seed);
            assert_eq!(derived.pair.public().to_ss58(), address);
            let from_seed = Pair::from_uri(&format!("0x{seed}")).unwrap();
            assert_eq!(from_seed.public().to_ss58(), address);
        }
    }

    #[test]
    fn mixed_paths_match_polkadot_js_and_bittensor_wallet() {
        // Cross-checked with bittensor-wallet 4.1.1 `Keypair.create_from_uri`.
        let vectors = [
            (
                "favorite liar zebra assume hurt cage any damp inherit rescue delay panic//polkadot/0///pw",
                "308ef5cd7df2bb08ea9268b5da90d42c02f54cdf0c0b54e7abb60f52ba486f11",
            ),
            (
                "0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60//x",
                "361c7c15c4bc3ac01fae6c9838a85e78c553ac5bc387e15d39690cc01691a940",
            ),
            (
                "//aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "f664e39a1662f83fcfed934f1e2b70b46d59e011e7e2136cab24c7df8806a00f",
            ),
            (
                "//18446744073709551615",
                "a4ca284d5222ef916e2e181430785972ed22cb51ef91a0c6cdbbd390ee74bc77",
            ),
            (
                "//Alice/1",
                "96f56ff25557d90198ffdea4a317664140e7f33a3cb4ec5edc9640104ddbbd79",
            ),
        ];
        for (uri, public) in vectors {
            assert_eq!(public_hex(uri), public, "{uri}");
        }
    }

    #[test]
    fn seed_survives_hard_path_only() {
        assert!(derive("//Alice//stash").unwrap().seed.is_some());
        assert!(derive("//Alice/soft").unwrap().seed.is_none());
        assert!(derive("/soft//hard").unwrap().seed.is_none());
    }

    #[test]
    fn bad_inputs_are_reported() {
        assert!(matches!(
            derive("bottom drive obey lake curtain smoke basket hold race lonely fit walkk"),
            Err(Error::UnknownMnemonicWord { position: 12, .. })
        ));
        assert!(matches!(
            derive("bottom drive obey lake curtain smoke basket hold race lonely fit"),
            Err(Error::MnemonicWordCount { count: 11 })
        ));
        assert!(matches!(
            derive("bottom drive obey lake curtain smoke basket hold race lonely walk fit"),
            Err(Error::MnemonicChecksum)
        ));
        assert!(matches!(derive("//Alice//"), Err(Error::BadUri { .. })));
        assert!(matches!(derive("//Alice/"), Err(Error::BadUri { .. })));
        assert!(matches!(derive("bad-phrase//x"), Err(Error::BadUri { .. })));
        assert!(matches!(derive("0x1234"), Err(Error::BadHex { .. })));
    }

    #[test]
    fn generated_mnemonics_parse_back() {
        for words in MNEMONIC_WORD_COUNTS {
            let phrase = generate_mnemonic(words).unwrap();
            assert_eq!(phrase.split_whitespace().count(), words);
            assert!(derive(&phrase).is_ok());
        }
        assert!(matches!(
            generate_mnemonic(13),
            Err(Error::MnemonicWordCount { count: 13 })
        ));
    }

    #[test]
    fn compact_lengths() {
        assert_eq!(compact_length(1), vec![4]);
        assert_eq!(compact_length(63), vec![252]);
        assert_eq!(compact_length(64), vec![1, 1]);
        assert_eq!(compact_length(16_384), vec![2, 0, 1, 0]);
    }
}
