//! The one error type of tao-crypto.

use std::path::PathBuf;

/// Everything that can go wrong with keys, addresses, mnemonics, URIs and keyfiles.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SS58 string contains characters outside the Bitcoin base58 alphabet.
    #[error("invalid SS58 address {address:?}: not base58 ({reason})")]
    Ss58BadBase58 {
        /// The address as given.
        address: String,
        /// What the base58 decoder reported.
        reason: String,
    },
    /// The decoded SS58 payload does not have the length of a 32-byte account id.
    #[error(
        "invalid SS58 address {address:?}: decoded to {length} bytes, expected {expected} (prefix, 32-byte key, 2-byte checksum)"
    )]
    Ss58BadLength {
        /// The address as given.
        address: String,
        /// Decoded length in bytes.
        length: usize,
        /// Length a 32-byte account id with this prefix would have.
        expected: usize,
    },
    /// The SS58 checksum (blake2b-512 of "SS58PRE" ‖ payload) does not match.
    #[error("invalid SS58 address {address:?}: checksum mismatch (mistyped address?)")]
    Ss58BadChecksum {
        /// The address as given.
        address: String,
    },
    /// The SS58 prefix byte is outside the valid range or is a reserved prefix.
    #[error("invalid SS58 address {address:?}: prefix {prefix} is not allowed")]
    Ss58BadPrefix {
        /// The address as given.
        address: String,
        /// The first decoded byte (or decoded prefix).
        prefix: u16,
    },
    /// A hex string (public key, signature or seed) is malformed.
    #[error("invalid hex {what}: {reason}")]
    BadHex {
        /// Which value was being parsed.
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A secret URI does not match `phrase//hard/soft///password`.
    #[error("invalid secret URI: {reason}")]
    BadUri {
        /// Why the URI was rejected.
        reason: String,
    },
    /// A mnemonic contains a word that is not in the BIP-39 English list.
    #[error("invalid mnemonic: word {position} {word:?} is not in the BIP-39 English word list")]
    UnknownMnemonicWord {
        /// 1-based position of the word.
        position: usize,
        /// The offending word.
        word: String,
    },
    /// A mnemonic has a word count other than 12, 15, 18, 21 or 24.
    #[error("invalid mnemonic: {count} words, expected 12, 15, 18, 21 or 24")]
    MnemonicWordCount {
        /// Number of words given.
        count: usize,
    },
    /// A mnemonic's BIP-39 checksum does not match its words.
    #[error("invalid mnemonic: BIP-39 checksum mismatch (a word is wrong or out of order)")]
    MnemonicChecksum,
    /// Bytes that should be a schnorrkel secret key are not one.
    #[error("invalid sr25519 secret key: {reason}")]
    BadSecretKey {
        /// Why schnorrkel rejected it.
        reason: String,
    },
    /// Reading or writing a wallet file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("read", "write", "create directory", …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A keyfile is shorter than the smallest valid encrypted keyfile.
    #[error(
        "keyfile {path} is truncated: {length} bytes, an encrypted keyfile has at least {minimum}"
    )]
    KeyfileTruncated {
        /// The keyfile.
        path: PathBuf,
        /// Its length in bytes.
        length: usize,
        /// The minimum length of a valid file of this kind.
        minimum: usize,
    },
    /// The secretbox did not authenticate: wrong password or a corrupted file.
    #[error("cannot decrypt {path}: wrong password or corrupted keyfile")]
    DecryptionFailed {
        /// The keyfile.
        path: PathBuf,
    },
    /// The keyfile is in a legacy encryption format this crate does not decrypt.
    #[error(
        "keyfile {path} uses the legacy {format} encryption, which tao cannot read; re-create it from the mnemonic with `tao wallet regen-coldkey` or `regen-hotkey`"
    )]
    LegacyKeyfile {
        /// The keyfile.
        path: PathBuf,
        /// "Ansible Vault" or "Fernet".
        format: &'static str,
    },
    /// The keyfile (after decryption) is not the expected JSON.
    #[error("keyfile {path} is not a valid keyfile: {reason}")]
    BadKeyfile {
        /// The keyfile.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The secretbox refused to encrypt (only for plaintexts far larger than any keyfile).
    #[error("cannot encrypt a {length}-byte keyfile")]
    Encryption {
        /// Plaintext length in bytes.
        length: usize,
    },
    /// Deriving the encryption key from the password failed.
    #[error("password key derivation failed: {reason}")]
    KeyDerivation {
        /// What argon2 reported.
        reason: String,
    },
    /// Refused to replace an existing keyfile.
    #[error("{path} already exists; pass --overwrite to replace it (the old key is lost)")]
    KeyfileExists {
        /// The existing file.
        path: PathBuf,
    },
}
