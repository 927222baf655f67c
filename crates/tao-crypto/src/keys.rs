//! sr25519 keypairs, public keys (account ids) and signatures, with Substrate's signing context.

use std::fmt;
use std::str::FromStr;

use schnorrkel::{ExpansionMode, MiniSecretKey, signing_context};

use crate::{Error, ss58};

/// The schnorrkel signing context Substrate (and so bittensor) uses for every signature.
pub const SIGNING_CONTEXT: &[u8] = b"substrate";

/// An sr25519 keypair. `Debug` shows only the public key so secrets never reach logs.
#[derive(Clone)]
pub struct Pair {
    keypair: schnorrkel::Keypair,
}

impl fmt::Debug for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pair")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl Pair {
    /// Builds the keypair of a secret URI: `//Alice`, `<mnemonic>//hard/soft///password` or
    /// `0x<32-byte seed hex>` followed by an optional path.
    pub fn from_uri(uri: &str) -> Result<Pair, Error> {
        crate::uri::derive(uri).map(|derived| derived.pair)
    }

    /// Expands a 32-byte mini-secret the way Substrate does (ed25519-style expansion).
    pub fn from_seed(seed: &[u8; 32]) -> Pair {
        #[allow(
            clippy::expect_used,
            reason = "from_bytes fails only on a length other than 32, which [u8; 32] excludes"
        )]
        let mini = MiniSecretKey::from_bytes(seed).expect("32-byte mini-secret");
        Pair {
            keypair: mini.expand_to_keypair(ExpansionMode::Ed25519),
        }
    }

    /// Restores a keypair from a 64-byte schnorrkel secret key (scalar ‖ nonce), the
    /// `privateKey` field of bittensor keyfiles.
    pub fn from_secret_key_bytes(bytes: &[u8; 64]) -> Result<Pair, Error> {
        let secret = schnorrkel::SecretKey::from_bytes(bytes).map_err(|e| Error::BadSecretKey {
            reason: e.to_string(),
        })?;
        Ok(Pair {
            keypair: secret.to_keypair(),
        })
    }

    /// The 64-byte schnorrkel secret key (scalar ‖ nonce), as keyfiles store it.
    pub fn secret_key_bytes(&self) -> [u8; 64] {
        self.keypair.secret.to_bytes()
    }

    /// The public key, which is also the account id.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.keypair.public.to_bytes())
    }

    /// Signs `message` under the Substrate signing context.
    pub fn sign(&self, message: &[u8]) -> Signature {
        let context = signing_context(SIGNING_CONTEXT);
        Signature(self.keypair.sign(context.bytes(message)).to_bytes())
    }

    pub(crate) fn from_secret(secret: schnorrkel::SecretKey) -> Pair {
        Pair {
            keypair: secret.to_keypair(),
        }
    }

    pub(crate) fn secret(&self) -> &schnorrkel::SecretKey {
        &self.keypair.secret
    }
}

/// A 32-byte sr25519 public key; on chain it is the account id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey(pub [u8; 32]);

/// Accounts are identified by their sr25519 public key, as in Substrate.
pub type AccountId = PublicKey;

impl PublicKey {
    /// The SS58 address with bittensor's prefix 42.
    pub fn to_ss58(&self) -> String {
        ss58::encode(&self.0, ss58::DEFAULT_PREFIX)
    }

    /// The SS58 address with another network prefix.
    pub fn to_ss58_with_prefix(&self, prefix: u16) -> String {
        ss58::encode(&self.0, prefix)
    }

    /// Parses an SS58 address of any prefix.
    pub fn from_ss58(s: &str) -> Result<PublicKey, Error> {
        ss58::decode(s).map(|(key, _)| PublicKey(key))
    }

    /// Parses an SS58 address and also reports its prefix.
    pub fn from_ss58_with_prefix(s: &str) -> Result<(PublicKey, u16), Error> {
        ss58::decode(s).map(|(key, prefix)| (PublicKey(key), prefix))
    }

    /// Checks `signature` over `message` under the Substrate signing context.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        let Ok(public) = schnorrkel::PublicKey::from_bytes(&self.0) else {
            return false;
        };
        let Ok(signature) = schnorrkel::Signature::from_bytes(&signature.0) else {
            return false;
        };
        public
            .verify_simple(SIGNING_CONTEXT, message, &signature)
            .is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_ss58())
    }
}

/// Hex `0x…`, the form of the keyfile `publicKey` field.
impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

/// Accepts `0x`-hex (with or without `0x`) or an SS58 address.
impl FromStr for PublicKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex_part = s.strip_prefix("0x").unwrap_or(s);
        if hex_part.len() == 64 && hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return parse_hex::<32>(s, "public key").map(PublicKey);
        }
        PublicKey::from_ss58(s)
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_ss58())
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        PublicKey::from_ss58(&s).map_err(serde::de::Error::custom)
    }
}

/// A 64-byte sr25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Signature(pub [u8; 64]);

/// Hex `0x…`, as bittensor prints signatures.
impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

/// Accepts 128 hex digits with or without `0x`.
impl FromStr for Signature {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex::<64>(s, "signature").map(Signature)
    }
}

/// Parses `N` bytes of hex, with or without a `0x` prefix.
pub(crate) fn parse_hex<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], Error> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out).map_err(|e| Error::BadHex {
        what,
        reason: format!("{e} (expected {} hex digits, got {})", N * 2, digits.len()),
    })?;
    Ok(out)
}

/// Verifies many signatures at once (Substrate signing context); `true` only if all are valid.
/// Faster than one-by-one verification; an empty batch is valid.
pub fn verify_batch(items: &[(&[u8], &Signature, &PublicKey)]) -> bool {
    let mut publics = Vec::with_capacity(items.len());
    let mut signatures = Vec::with_capacity(items.len());
    for (_, signature, public) in items {
        let (Ok(public), Ok(signature)) = (
            schnorrkel::PublicKey::from_bytes(&public.0),
            schnorrkel::Signature::from_bytes(&signature.0),
        ) else {
            return false;
        };
        publics.push(public);
        signatures.push(signature);
    }
    let context = signing_context(SIGNING_CONTEXT);
    let transcripts = items.iter().map(|(message, _, _)| context.bytes(message));
    schnorrkel::verify_batch(transcripts, &signatures, &publics, false).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sp_core_seed_vectors() {
        // sp-core sr25519 test_vector_should_work and seeded_pair_should_work.
        let pair = Pair::from_seed(
            &parse_hex::<32>(
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "seed",
            )
            .unwrap(),
        );
        assert_eq!(
            pair.public().to_string(),
            "0x44a996beb1eef7bdcab976ab6d2ca26104834164ecf28fb375600576fcc6eb0f"
        );
        let pair = Pair::from_seed(b"12345678901234567890123456789012");
        assert_eq!(
            pair.public().to_string(),
            "0x741c08a06f41c596608f6774259bd9043304adfa5d3eea62760bd9be97634d63"
        );
        let message = b"Something important";
        assert!(pair.public().verify(message, &pair.sign(message)));
    }

    #[test]
    fn python_sdk_signature_verifies() {
        // Signed by bittensor-wallet 4.1.1 with the mnemonic of subkey's documented example
        // ("favorite liar zebra …"), over b"message\n".
        let public =
            PublicKey::from_ss58("5EXWNJuoProc7apm1JS8m9RTqV3vVwR9dCg6sQVpKnoHtJ68").unwrap();
        let signature: Signature = "1ed951955f1eb6b71b454ca0f86263de409f99283bc4c09577a1c9a00399e97e67e5242dd98940175f53ee28716c79728baa3ef21669f659c0b3c61854693486".parse().unwrap();
        assert!(public.verify(b"message\n", &signature));
        assert!(!public.verify(b"message", &signature));
    }

    #[test]
    fn verify_rejects_tampering() {
        let pair = Pair::from_uri("//Alice").unwrap();
        let bob = Pair::from_uri("//Bob").unwrap().public();
        let signature = pair.sign(b"hello");
        assert!(pair.public().verify(b"hello", &signature));
        assert!(!pair.public().verify(b"hellO", &signature));
        assert!(!bob.verify(b"hello", &signature));
        let mut flipped = signature;
        flipped.0[10] ^= 1;
        assert!(!pair.public().verify(b"hello", &flipped));
        assert!(!pair.public().verify(b"hello", &Signature([0u8; 64])));
    }

    #[test]
    fn secret_key_bytes_roundtrip() {
        let pair = Pair::from_uri("//Charlie").unwrap();
        let restored = Pair::from_secret_key_bytes(&pair.secret_key_bytes()).unwrap();
        assert_eq!(restored.public(), pair.public());
    }

    #[test]
    fn debug_hides_secret() {
        let pair = Pair::from_uri("//Alice").unwrap();
        let shown = format!("{pair:?}");
        assert!(shown.contains("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"));
        assert!(!shown.contains(&hex::encode(pair.secret_key_bytes())[..16]));
    }

    #[test]
    fn public_key_parses_hex_and_ss58_and_serde() {
        let alice = Pair::from_uri("//Alice").unwrap().public();
        assert_eq!(alice.to_string().parse::<PublicKey>().unwrap(), alice);
        assert_eq!(alice.to_ss58().parse::<PublicKey>().unwrap(), alice);
        let json = serde_json::to_string(&alice).unwrap();
        assert_eq!(json, "\"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\"");
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), alice);
    }

    #[test]
    fn batch_verification() {
        let pairs: Vec<Pair> = (0..4)
            .map(|i| Pair::from_seed(&[i as u8 + 1; 32]))
            .collect();
        let messages: Vec<Vec<u8>> = (0..4).map(|i| vec![i as u8; i * 10]).collect();
        let signatures: Vec<Signature> = pairs
            .iter()
            .zip(&messages)
            .map(|(p, m)| p.sign(m))
            .collect();
        let publics: Vec<PublicKey> = pairs.iter().map(Pair::public).collect();
        let items: Vec<(&[u8], &Signature, &PublicKey)> = messages
            .iter()
            .zip(&signatures)
            .zip(&publics)
            .map(|((m, s), p)| (m.as_slice(), s, p))
            .collect();
        assert!(verify_batch(&items));
        assert!(verify_batch(&[]));
        let mut swapped = items.clone();
        swapped[1].1 = &signatures[2];
        assert!(!verify_batch(&swapped));
        let wrong = [0u8; 3];
        let mut bad_message = items.clone();
        bad_message[3].0 = &wrong;
        assert!(!verify_batch(&bad_message));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
        #[test]
        fn sign_verify_roundtrip(seed in any::<[u8; 32]>(), message in proptest::collection::vec(any::<u8>(), 0..256), flip in 0usize..512) {
            let pair = Pair::from_seed(&seed);
            let signature = pair.sign(&message);
            prop_assert!(pair.public().verify(&message, &signature));
            let mut tampered = signature;
            tampered.0[flip % 64] ^= 1 << (flip % 8);
            prop_assert!(!pair.public().verify(&message, &tampered));
        }
    }
}
