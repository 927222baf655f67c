//! tao-axon: the axon (HTTP server) and dendrite (HTTP client) speaking the bittensor 10.5.0
//! wire protocol, and the synapse types they exchange.
//!
//! It owns the wire format (headers, JSON bodies, body hash, request signatures), the axon's
//! request checks and admission queue, and the dendrite's pooled client. It must not touch
//! chain state, metagraphs or scoring: callers pass in keys, axon addresses and (for the axon)
//! blacklist and priority functions.
//!
//! ```text
//! validator                                   miner
//! Dendrite::call / forward / call_stream ──►  Axon (route = synapse name)
//!   sign "{nonce}.{hotkey}.{axon}.{uuid}.{hash}"   route → headers → blacklist → verify
//!                                                  → priority queue → body → forward
//! ```
//!
//! The wire format is described in `/work/shared/spec/axon-wire.md`; each module's doc carries
//! the part it implements.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// Lets the `synapse!` macro name this crate as `tao_axon` inside the crate too.
extern crate self as tao_axon;

pub mod axon;
pub mod dendrite;
pub mod dummy;
mod queue;
pub mod synapse;
mod verifier;
pub mod wire;

pub use axon::{
    Axon, AxonBody, AxonConfig, AxonError, AxonHandle, ChunkSender, ForwardError, RouteOptions,
    StreamClosed,
};
pub use dendrite::{AxonInfo, Dendrite, StreamCall};
pub use synapse::{Envelope, Ping, PyStr, Synapse, TerminalInfo, VERSION_AS_INT};
pub use wire::HeaderSynapse;

/// The async runtime the axon and dendrite run on, for binaries that drive them.
pub use tokio;

#[doc(hidden)]
pub use serde;
#[doc(hidden)]
pub use serde_json;
