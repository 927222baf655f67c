//! Signed transactions: layout, signing payload, verification and the fee schedule.
//!
//! ```text
//! transaction = version:u8 (=1) ‖ genesis_hash:[32] ‖ signer:[32] ‖ nonce:u64 ‖ tip:u64 ‖ call ‖ signature:[64]
//! signed      = "tao/tx" ‖ every byte of the transaction before the signature
//! fee         = 0 for Pays::No calls, else class_fee(call) + 1 RAO × encoded length
//! ```
//! The signature (sr25519, context `substrate`) covers the genesis hash, so a transaction
//! cannot be replayed on another chain, and the nonce, tip and call.

use tao_crypto::{Pair, PublicKey, Signature};

use crate::call::{Call, FeeClass};
use crate::codec::{CodecError, Decode, Encode, Reader};
use crate::error::TxError;
use crate::store::{Hash, blake2_256};

/// Transaction format version this runtime accepts.
pub const TX_VERSION: u8 = 1;
/// Domain separator prefixed to the signed payload.
pub const SIGNING_DOMAIN: &[u8] = b"tao/tx";
/// Fee per encoded byte, RAO (`LengthToFee = IdentityFee`).
pub const LENGTH_FEE_PER_BYTE: u64 = 1;
/// Weight fee of a transfer, RAO.
pub const TRANSFER_FEE: u64 = 100_000;
/// Weight fee of a neuron registration, RAO.
pub const REGISTER_FEE: u64 = 200_000;
/// Weight fee of subnet creation or `start_call`, RAO.
pub const SUBNET_FEE: u64 = 200_000;

/// A signed transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// Chain the transaction is for.
    pub genesis_hash: Hash,
    /// Account that signs and pays.
    pub signer: PublicKey,
    /// Must equal the signer's account nonce.
    pub nonce: u64,
    /// Extra RAO paid to the block author.
    pub tip: u64,
    /// What to do.
    pub call: Call,
    /// sr25519 signature over [`Transaction::signing_payload`].
    pub signature: Signature,
}

impl Transaction {
    /// Builds and signs a transaction with `pair`.
    pub fn sign(pair: &Pair, genesis_hash: Hash, nonce: u64, tip: u64, call: Call) -> Self {
        let signer = pair.public();
        let payload = payload(&genesis_hash, &signer, nonce, tip, &call);
        Transaction {
            genesis_hash,
            signer,
            nonce,
            tip,
            call,
            signature: pair.sign(&payload),
        }
    }

    /// The bytes the signature covers.
    pub fn signing_payload(&self) -> Vec<u8> {
        payload(
            &self.genesis_hash,
            &self.signer,
            self.nonce,
            self.tip,
            &self.call,
        )
    }

    /// True when the signature verifies against the signer.
    pub fn verify(&self) -> bool {
        self.signer.verify(&self.signing_payload(), &self.signature)
    }

    /// Transaction hash: blake2b-256 of the encoding.
    pub fn hash(&self) -> Hash {
        blake2_256(&self.encode())
    }

    /// Decodes a transaction, reporting a wrong version distinctly from garbage.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TxError> {
        match bytes.first() {
            None => Err(TxError::Decode(CodecError::UnexpectedEnd {
                offset: 0,
                needed: 1,
            })),
            Some(&v) if v != TX_VERSION => Err(TxError::UnsupportedVersion {
                got: v,
                supported: TX_VERSION,
            }),
            Some(_) => Ok(Transaction::decode(bytes)?),
        }
    }
}

fn payload(genesis_hash: &Hash, signer: &PublicKey, nonce: u64, tip: u64, call: &Call) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(SIGNING_DOMAIN);
    out.push(TX_VERSION);
    genesis_hash.encode_to(&mut out);
    signer.encode_to(&mut out);
    nonce.encode_to(&mut out);
    tip.encode_to(&mut out);
    call.encode_to(&mut out);
    out
}

impl Encode for Transaction {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(TX_VERSION);
        self.genesis_hash.encode_to(out);
        self.signer.encode_to(out);
        self.nonce.encode_to(out);
        self.tip.encode_to(out);
        self.call.encode_to(out);
        self.signature.encode_to(out);
    }
}

impl Decode for Transaction {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let version = u8::decode_from(r)?;
        if version != TX_VERSION {
            return Err(CodecError::Invalid(format!(
                "transaction version {version}, expected {TX_VERSION}"
            )));
        }
        Ok(Transaction {
            genesis_hash: Decode::decode_from(r)?,
            signer: Decode::decode_from(r)?,
            nonce: Decode::decode_from(r)?,
            tip: Decode::decode_from(r)?,
            call: Decode::decode_from(r)?,
            signature: Decode::decode_from(r)?,
        })
    }
}

/// Fee in RAO (tip excluded) for `call` in a transaction of `encoded_len` bytes.
pub fn fee(call: &Call, encoded_len: usize) -> u64 {
    let class_fee = match call.fee_class() {
        FeeClass::Free => return 0,
        FeeClass::Transfer => TRANSFER_FEE,
        FeeClass::Register => REGISTER_FEE,
        FeeClass::Subnet => SUBNET_FEE,
    };
    class_fee.saturating_add(LENGTH_FEE_PER_BYTE.saturating_mul(encoded_len as u64))
}
