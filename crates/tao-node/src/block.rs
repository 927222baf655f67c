//! Blocks: a header committing to everything consensus agrees on, and the transactions.
//!
//! Wire and disk format (commonware-codec, integers big-endian):
//!
//! ```text
//! header  = parent (32) ‖ height u64 (8) ‖ timestamp_ms u64 (8)
//!         ‖ transactions_root (32) ‖ state_root (32) ‖ proposer ed25519 (32)     = 144 bytes
//! block   = header ‖ count varint ‖ (length varint ‖ transaction bytes) × count
//! digest  = sha256(header)
//! transactions_root = BMT root (commonware_storage::bmt, sha256) of sha256(transaction) leaves
//! ```
//!
//! The block digest covers only the header; the header commits to the transactions through
//! `transactions_root`, which decoding checks, so a decoded block is always self-consistent.
//! Transactions are opaque bytes here: their meaning belongs to the runtime.

use bytes::{BufMut, Bytes};
use commonware_codec::{
    Buf, EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write, varint::UInt,
};
use commonware_consensus::{BoundedBlock, Heightable, types::Height};
use commonware_cryptography::{Digestible, Hasher, Sha256, ed25519, sha256::Digest};
use commonware_storage::bmt;

/// Most transactions one block may carry (a consensus rule: larger blocks fail to decode).
pub const MAX_TRANSACTIONS: usize = 10_000;

/// Largest single transaction in bytes (a consensus rule).
pub const MAX_TRANSACTION_BYTES: usize = 128 * 1024;

/// Largest total of transaction bytes in one block (a consensus rule).
pub const MAX_TRANSACTIONS_BYTES: usize = 4 * 1024 * 1024;

/// The part of a block that consensus signs (through its digest) and every validator checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Digest of the parent block (all zeros for genesis).
    pub parent: Digest,
    /// Height of this block; genesis is 0 and every child is its parent plus one.
    pub height: u64,
    /// Milliseconds since the Unix epoch when the proposer built the block; strictly increasing.
    pub timestamp: u64,
    /// Merkle root of the transactions, so the header alone commits to the whole block.
    pub transactions_root: Digest,
    /// State root after executing this block on its parent's state; checked by every validator.
    pub state_root: Digest,
    /// Consensus (ed25519) key of the validator that proposed the block.
    pub proposer: ed25519::PublicKey,
}

impl Header {
    /// Encoded size of a header in bytes.
    pub const SIZE: usize = Digest::SIZE * 3 + u64::SIZE * 2 + ed25519::PublicKey::SIZE;

    /// Digest identifying the block this header belongs to.
    pub fn digest(&self) -> Digest {
        let mut buf = Vec::with_capacity(Self::SIZE);
        self.write(&mut buf);
        Sha256::hash(&[&buf])
    }
}

impl Write for Header {
    fn write(&self, buf: &mut impl BufMut) {
        self.parent.write(buf);
        self.height.write(buf);
        self.timestamp.write(buf);
        self.transactions_root.write(buf);
        self.state_root.write(buf);
        self.proposer.write(buf);
    }
}

impl FixedSize for Header {
    const SIZE: usize = Header::SIZE;
}

impl Read for Header {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            parent: Digest::read(buf)?,
            height: u64::read(buf)?,
            timestamp: u64::read(buf)?,
            transactions_root: Digest::read(buf)?,
            state_root: Digest::read(buf)?,
            proposer: ed25519::PublicKey::read(buf)?,
        })
    }
}

/// A block: its header and the opaque transactions it orders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The header; its digest is the block's identity.
    pub header: Header,
    /// Encoded transactions in execution order.
    pub transactions: Vec<Bytes>,
}

impl Block {
    /// Builds a block, computing its transactions root from `transactions`.
    pub fn new(
        parent: Digest,
        height: u64,
        timestamp: u64,
        state_root: Digest,
        proposer: ed25519::PublicKey,
        transactions: Vec<Bytes>,
    ) -> Self {
        let header = Header {
            parent,
            height,
            timestamp,
            transactions_root: transactions_root(&transactions),
            state_root,
            proposer,
        };
        Self {
            header,
            transactions,
        }
    }
}

/// Merkle root over `sha256(transaction)` leaves, as committed in [`Header::transactions_root`].
pub fn transactions_root(transactions: &[Bytes]) -> Digest {
    let mut builder = bmt::Builder::<Sha256>::new(transactions.len());
    for transaction in transactions {
        builder.add(&Sha256::hash(&[transaction]));
    }
    builder.build().root()
}

impl Write for Block {
    fn write(&self, buf: &mut impl BufMut) {
        self.header.write(buf);
        UInt(self.transactions.len() as u64).write(buf);
        for transaction in &self.transactions {
            UInt(transaction.len() as u64).write(buf);
            buf.put_slice(transaction);
        }
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        Header::SIZE
            + UInt(self.transactions.len() as u64).encode_size()
            + self
                .transactions
                .iter()
                .map(|tx| UInt(tx.len() as u64).encode_size() + tx.len())
                .sum::<usize>()
    }
}

impl Read for Block {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let header = Header::read(buf)?;
        let count = read_length(buf, MAX_TRANSACTIONS)?;
        let mut transactions = Vec::with_capacity(count);
        let mut total = 0usize;
        for _ in 0..count {
            let len = read_length(buf, MAX_TRANSACTION_BYTES)?;
            total += len;
            if total > MAX_TRANSACTIONS_BYTES {
                return Err(CodecError::InvalidLength(total));
            }
            if buf.remaining() < len {
                return Err(CodecError::EndOfBuffer);
            }
            transactions.push(buf.copy_to_bytes(len));
        }
        if transactions_root(&transactions) != header.transactions_root {
            return Err(CodecError::Invalid(
                "tao_node::Block",
                "transactions do not match the header's transactions_root",
            ));
        }
        Ok(Self {
            header,
            transactions,
        })
    }
}

/// Reads a varint length and rejects values above `max`.
fn read_length(buf: &mut impl Buf, max: usize) -> Result<usize, CodecError> {
    let value = UInt::<u64>::read(buf)?.0;
    match usize::try_from(value) {
        Ok(len) if len <= max => Ok(len),
        _ => Err(CodecError::InvalidLength(
            usize::try_from(value).unwrap_or(usize::MAX),
        )),
    }
}

impl Digestible for Block {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        self.header.digest()
    }
}

impl Heightable for Block {
    fn height(&self) -> Height {
        Height::new(self.header.height)
    }
}

impl commonware_consensus::Block for Block {
    fn parent(&self) -> Digest {
        self.header.parent
    }
}

impl BoundedBlock for Block {
    fn max_encode_size(_: &()) -> usize {
        Header::SIZE
            + UInt(MAX_TRANSACTIONS as u64).encode_size()
            + MAX_TRANSACTIONS * UInt(MAX_TRANSACTION_BYTES as u64).encode_size()
            + MAX_TRANSACTIONS_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};
    use commonware_cryptography::{Digest as _, Signer as _};
    use proptest::prelude::*;

    fn proposer() -> ed25519::PublicKey {
        ed25519::PrivateKey::from_seed(7).public_key()
    }

    fn sample() -> Block {
        Block::new(
            Digest([0x11; 32]),
            42,
            1_764_000_000_000,
            Digest([0x22; 32]),
            proposer(),
            vec![
                Bytes::from_static(b"transfer"),
                Bytes::from_static(&[0xff; 3]),
            ],
        )
    }

    /// Golden bytes: fails if the block encoding or digest changes by accident.
    #[test]
    fn golden_bytes() {
        let block = sample();
        let expected = concat!(
            // parent
            "1111111111111111111111111111111111111111111111111111111111111111",
            // height 42, timestamp 1_764_000_000_000
            "000000000000002a",
            "0000019ab697e800",
            // transactions_root
            "14a1e91513df91ed20f7192a554a8abcce7b4ee835505808dc1a031516adedaf",
            // state_root
            "2222222222222222222222222222222222222222222222222222222222222222",
            // proposer (ed25519 key from seed 7)
            "10a1860ee01fa0dad17543b41fa56f4e098708100019f5f7cec1fc59b2cc0fec",
            // 2 transactions: "transfer", ff ff ff
            "02",
            "08",
            "7472616e73666572",
            "03",
            "ffffff",
        );
        assert_eq!(hex::encode(block.encode()), expected);
        assert_eq!(
            hex::encode(block.digest()),
            "d8ca4138756a1a3a93214166babcd7d4573ad029e10175613e27ace3e28b509c"
        );
        let decoded = Block::decode(Bytes::from(hex::decode(expected).unwrap())).unwrap();
        assert_eq!(decoded, block);
    }

    #[test]
    fn empty_block_round_trips() {
        let block = Block::new(Digest::EMPTY, 0, 0, Digest::EMPTY, proposer(), vec![]);
        let decoded = Block::decode(block.encode()).expect("round trip");
        assert_eq!(decoded, block);
        assert_eq!(block.encode().len(), Header::SIZE + 1);
    }

    #[test]
    fn tampered_transaction_is_rejected() {
        let mut block = sample();
        block.transactions[0] = Bytes::from_static(b"transfes");
        let err = Block::decode(block.encode()).expect_err("root mismatch");
        assert!(matches!(err, CodecError::Invalid(..)), "{err}");
    }

    #[test]
    fn oversized_transaction_is_rejected() {
        let block = Block::new(
            Digest::EMPTY,
            1,
            1,
            Digest::EMPTY,
            proposer(),
            vec![Bytes::from(vec![0u8; MAX_TRANSACTION_BYTES + 1])],
        );
        let err = Block::decode(block.encode()).expect_err("too large");
        assert!(matches!(err, CodecError::InvalidLength(_)), "{err}");
    }

    #[test]
    fn truncated_block_is_rejected() {
        let encoded = sample().encode();
        for cut in [0, 10, Header::SIZE, encoded.len() - 1] {
            assert!(Block::decode(encoded.slice(..cut)).is_err(), "cut at {cut}");
        }
    }

    proptest! {
        #[test]
        fn round_trip(
            height in any::<u64>(),
            timestamp in any::<u64>(),
            parent in any::<[u8; 32]>(),
            txs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8),
        ) {
            let txs: Vec<Bytes> = txs.into_iter().map(Bytes::from).collect();
            let block = Block::new(Digest(parent), height, timestamp, Digest([3; 32]), proposer(), txs);
            let encoded = block.encode();
            prop_assert_eq!(encoded.len(), block.encode_size());
            prop_assert!(encoded.len() <= Block::max_encode_size(&()));
            let decoded = Block::decode(encoded).expect("round trip");
            prop_assert_eq!(decoded.digest(), block.digest());
            prop_assert_eq!(decoded, block);
        }
    }
}
