//! The conventional test synapses: `Dummy` (output = 2 × input) and `DummyStream` (streams
//! `tok0 `, `tok1 `, … for `n` tokens), with ready-made forward functions for quick checks.

use crate::axon::{ChunkSender, ForwardError};
use crate::synapse::Envelope;

crate::synapse! {
    /// `Dummy { input: int = 0, output: Optional[int] = None }`, the reference's example.
    pub struct Dummy {
        /// The number to double.
        pub input: i64 = 0,
        /// Filled by the miner: `2 * input`.
        pub output: Option<i64> = None,
    }
}

crate::synapse! {
    /// A streaming synapse: the miner sends `n` chunks `tok0 `, `tok1 `, ….
    pub struct DummyStream {
        /// Number of tokens to stream.
        pub n: i64 = 3,
    }
}

/// Miner side of `Dummy`: sets `output = 2 * input` (saturating, as a Python int cannot wrap
/// and an i64 must not).
pub async fn forward_dummy(mut s: Envelope<Dummy>) -> Result<Envelope<Dummy>, ForwardError> {
    s.fields.output = Some(s.fields.input.saturating_mul(2));
    Ok(s)
}

/// Most tokens `forward_dummy_stream` sends, whatever `n` asks.
pub const MAX_STREAM_TOKENS: i64 = 10_000;

/// Miner side of `DummyStream`: sends `min(n, MAX_STREAM_TOKENS)` chunks.
pub async fn forward_dummy_stream(
    s: Envelope<DummyStream>,
    tx: ChunkSender,
) -> Result<(), ForwardError> {
    for i in 0..s.fields.n.clamp(0, MAX_STREAM_TOKENS) {
        tx.send(format!("tok{i} "))
            .await
            .map_err(|e| ForwardError(e.to_string()))?;
    }
    Ok(())
}
