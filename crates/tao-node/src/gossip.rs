//! Transaction gossip: a transaction a node admits through its RPC is sent to every other
//! validator, which checks it exactly as its own RPC would and adds it to its mempool, so the
//! next round's leader can include it whichever node it was submitted to (a follower too).
//!
//! Every node is connected to every validator, so one hop reaches all of them: received
//! transactions are never relayed again. Gossip is best effort: a full queue or a peer that is
//! offline loses the message, and the transaction still waits in the mempool of the node it
//! was submitted to. This module owns the message format and the two loops; admission rules
//! stay with [`RuntimeExecutor`].

use commonware_cryptography::ed25519;
use commonware_p2p::{Receiver, Recipients, Sender};
use tokio::sync::mpsc;
use tracing::warn;

use crate::state::RuntimeExecutor;

/// p2p channel carrying gossiped transactions.
pub const CHANNEL_TRANSACTIONS: u64 = 5;

/// Transactions waiting to be gossiped before new ones are dropped.
const OUTBOX_CAPACITY: usize = 65_536;

/// Most transaction bytes in one gossip message (well below the p2p message limit).
const MAX_BATCH_BYTES: usize = 1 << 20;

/// Most transactions one gossip message may carry.
const MAX_BATCH_TRANSACTIONS: usize = 16_384;

/// Why a gossip message was rejected.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum GossipError {
    /// The message ends inside a length prefix or a transaction.
    #[error("gossip message truncated at byte {at} of {len}")]
    Truncated {
        /// Where the missing bytes start.
        at: usize,
        /// The message length.
        len: usize,
    },
    /// The message carries more transactions than a sender may batch.
    #[error("gossip message carries more than {MAX_BATCH_TRANSACTIONS} transactions")]
    TooManyTransactions,
}

/// Where a node's RPC puts the transactions it admitted, for the gossip loop to send.
#[derive(Clone, Debug)]
pub struct Outbox(mpsc::Sender<Vec<u8>>);

impl Outbox {
    /// Queues `bytes` for gossip; drops it when the queue is full (best effort).
    pub fn send(&self, bytes: Vec<u8>) {
        let _ = self.0.try_send(bytes);
    }
}

/// A new outbox and the queue the sending loop drains.
pub fn outbox() -> (Outbox, mpsc::Receiver<Vec<u8>>) {
    let (sender, receiver) = mpsc::channel(OUTBOX_CAPACITY);
    (Outbox(sender), receiver)
}

/// One gossip message: each transaction as a little-endian `u32` length and its bytes.
pub fn encode(transactions: &[Vec<u8>]) -> Vec<u8> {
    let size = transactions.iter().map(|tx| tx.len() + 4).sum();
    let mut message = Vec::with_capacity(size);
    for tx in transactions {
        let len = u32::try_from(tx.len()).unwrap_or(u32::MAX);
        message.extend_from_slice(&len.to_le_bytes());
        message.extend_from_slice(tx);
    }
    message
}

/// The transactions of one gossip message.
pub fn decode(message: &[u8]) -> Result<Vec<Vec<u8>>, GossipError> {
    let mut transactions = Vec::new();
    let mut at = 0;
    while at < message.len() {
        if transactions.len() == MAX_BATCH_TRANSACTIONS {
            return Err(GossipError::TooManyTransactions);
        }
        let truncated = GossipError::Truncated {
            at,
            len: message.len(),
        };
        let prefix: [u8; 4] = message
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or(truncated.clone())?;
        let start = at + 4;
        let end = usize::try_from(u32::from_le_bytes(prefix))
            .ok()
            .and_then(|len| start.checked_add(len))
            .ok_or(truncated.clone())?;
        transactions.push(message.get(start..end).ok_or(truncated)?.to_vec());
        at = end;
    }
    Ok(transactions)
}

/// Sends the outbox's transactions to `peers`, batching whatever queued up meanwhile, until
/// the outbox closes.
pub async fn send_loop<S: Sender<PublicKey = ed25519::PublicKey>>(
    mut sender: S,
    mut queue: mpsc::Receiver<Vec<u8>>,
    peers: Vec<ed25519::PublicKey>,
) {
    if peers.is_empty() {
        return;
    }
    while let Some(first) = queue.recv().await {
        let mut size = first.len();
        let mut batch = vec![first];
        while size < MAX_BATCH_BYTES && batch.len() < MAX_BATCH_TRANSACTIONS {
            let Ok(next) = queue.try_recv() else {
                break;
            };
            size += next.len();
            batch.push(next);
        }
        sender.send(Recipients::Some(peers.clone()), encode(&batch), false);
    }
}

/// Admits every gossiped transaction to `executor`'s mempool (checked as RPC submissions are,
/// but not gossiped again) until the p2p network closes.
pub async fn receive_loop<R: Receiver<PublicKey = ed25519::PublicKey>>(
    mut receiver: R,
    executor: RuntimeExecutor,
) {
    while let Ok((peer, message)) = receiver.recv().await {
        match decode(message.as_ref()) {
            Ok(transactions) => {
                executor.receive_gossip(transactions);
            }
            Err(err) => warn!(%peer, %err, "dropping gossip message"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn messages_round_trip(transactions in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..300), 0..40)) {
            prop_assert_eq!(decode(&encode(&transactions)), Ok(transactions));
        }

        #[test]
        fn cut_messages_are_rejected_not_misread(
            transactions in proptest::collection::vec(
                proptest::collection::vec(any::<u8>(), 1..50), 1..10),
            cut in any::<prop::sample::Index>(),
        ) {
            let message = encode(&transactions);
            let cut = cut.index(message.len());
            let prefix_ends: Vec<usize> = transactions
                .iter()
                .scan(0, |end, tx| { *end += 4 + tx.len(); Some(*end) })
                .collect();
            let decoded = decode(&message[..cut]);
            if cut == 0 || prefix_ends.contains(&cut) {
                prop_assert!(decoded.is_ok());
            } else {
                let truncated = matches!(decoded, Err(GossipError::Truncated { .. }));
                prop_assert!(truncated);
            }
        }
    }

    #[test]
    fn oversized_batches_are_rejected() {
        let message = encode(&vec![Vec::new(); MAX_BATCH_TRANSACTIONS + 1]);
        assert_eq!(decode(&message), Err(GossipError::TooManyTransactions));
        let message = encode(&vec![Vec::new(); MAX_BATCH_TRANSACTIONS]);
        assert_eq!(
            decode(&message).map(|t| t.len()),
            Ok(MAX_BATCH_TRANSACTIONS)
        );
    }
}
