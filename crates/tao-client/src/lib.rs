//! tao-client: a typed async client for the tao node's JSON-RPC.
//!
//! Owns the client side of the protocol documented in docs/RPC.md: typed results, request
//! timeouts, bounded retries when the node cannot be reached, and WebSocket subscriptions
//! that reconnect and re-subscribe on their own. It must not know the chain's internals:
//! transactions are signed elsewhere (tao-runtime) and travel here as bytes.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::{collections::BTreeMap, time::Duration};

use futures::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address is not `host:port` or an `http://` URL.
    #[error("bad node address `{0}`: use host:port (e.g. 127.0.0.1:9944) or http://host:port")]
    Address(String),
    /// The node could not be reached or the connection broke (after all retries).
    #[error(
        "cannot reach the node at {url} after {attempts} attempt(s): {reason} (is `tao node --dev --rpc-addr …` running?)"
    )]
    Transport {
        /// Node URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Last transport error.
        reason: String,
    },
    /// The node did not answer in time.
    #[error("{method} timed out after {timeout:?}")]
    Timeout {
        /// Method called.
        method: String,
        /// Timeout used.
        timeout: Duration,
    },
    /// The node answered with a JSON-RPC error.
    #[error("{method}: node error {code}: {message}")]
    Rpc {
        /// Method called.
        method: String,
        /// JSON-RPC error code (docs/RPC.md).
        code: i64,
        /// The node's message.
        message: String,
    },
    /// The answer does not have the expected shape.
    #[error("{method}: unexpected answer: {reason}")]
    Decode {
        /// Method called.
        method: String,
        /// What did not match.
        reason: String,
    },
}

/// Result of client calls.
pub type Result<T> = std::result::Result<T, ClientError>;

/// `tao_head`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Head {
    /// Best block height.
    pub number: u64,
    /// Best block hash (0x hex).
    pub hash: String,
    /// Latest finalized height.
    pub finalized_number: u64,
}

/// A block header summary (`tao_finalizedHead`, head subscriptions).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct HeadInfo {
    /// Height.
    pub number: u64,
    /// Block hash.
    pub hash: String,
    /// Parent hash.
    pub parent: String,
    /// Timestamp, ms since the Unix epoch.
    pub timestamp: u64,
    /// State root after the block.
    pub state_root: String,
    /// Number of transactions.
    pub transactions: usize,
}

/// A finalized block (`tao_getBlockByNumber`, `tao_getBlockByHash`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct BlockInfo {
    /// Height.
    pub number: u64,
    /// Block hash.
    pub hash: String,
    /// Parent hash.
    pub parent: String,
    /// Timestamp, ms.
    pub timestamp: u64,
    /// Transactions root.
    pub transactions_root: String,
    /// State root.
    pub state_root: String,
    /// Proposer's consensus key.
    pub proposer: String,
    /// Transaction hashes, or encoded transactions when fetched with `full`.
    pub transactions: Vec<Option<String>>,
}

/// `tao_account`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct Account {
    /// Free balance, RAO.
    pub free: u64,
    /// Finalized nonce.
    pub nonce: u64,
    /// Nonce for the next transaction (counts the signer's waiting transactions).
    pub next_nonce: u64,
}

/// `tao_getTransaction`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TransactionInfo {
    /// Transaction hash.
    pub hash: Option<String>,
    /// `pending` (in the mempool) or `finalized`.
    pub status: String,
    /// `applied`, `failed` or `rejected` once finalized.
    #[serde(default)]
    pub result: Option<String>,
    /// Why it failed or was rejected.
    #[serde(default)]
    pub error: Option<String>,
    /// Fee paid, RAO.
    #[serde(default)]
    pub fee: Option<u64>,
    /// Tip paid, RAO.
    #[serde(default)]
    pub tip: Option<u64>,
    /// Height of its block.
    #[serde(default)]
    pub block_number: Option<u64>,
    /// Position in the block.
    #[serde(default)]
    pub index: Option<u32>,
    /// Events it emitted.
    #[serde(default)]
    pub events: Vec<Value>,
}

/// `tao_subnets`, `tao_subnetInfo` (fields a newer node adds are ignored).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SubnetInfo {
    /// Subnet id.
    pub netuid: u16,
    /// Owner coldkey (SS58).
    pub owner: Option<String>,
    /// Owner hotkey.
    pub owner_hotkey: Option<String>,
    /// Registered neurons.
    pub subnetwork_n: u16,
    /// `MaxAllowedUids`.
    #[serde(default)]
    pub max_allowed_uids: u64,
    /// Tempo.
    pub tempo: u64,
    /// Registration price, RAO.
    pub burn: u64,
    /// Block the subnet was created at.
    #[serde(default)]
    pub network_registered_at: u64,
    /// Pool TAO reserve.
    pub tao_in: u64,
    /// Pool alpha reserve.
    pub alpha_in: u64,
    /// Alpha outside the pool.
    pub alpha_out: u64,
    /// Epochs run.
    pub epoch_index: u64,
    /// Spot price of alpha, TAO per alpha × 1e9.
    #[serde(default)]
    pub price: u64,
    /// EMA price that shares out TAO emission, × 1e9.
    #[serde(default)]
    pub moving_price: u64,
    /// The subnet's share of the last block's TAO emission, RAO.
    #[serde(default)]
    pub tao_emission: u64,
    /// Alpha minted out of the pool in the last block.
    #[serde(default)]
    pub alpha_out_emission: u64,
    /// Alpha waiting for the next epoch: (miners, validators, root, owner).
    #[serde(default)]
    pub pending: (u64, u64, u64, u64),
}

/// Where a neuron's axon listens (`tao_metagraph`).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct Axon {
    /// Block at which it was served.
    pub block: u64,
    /// Axon version.
    pub version: u32,
    /// IP address as an integer (IPv4 in the low 32 bits).
    pub ip: u128,
    /// TCP port.
    pub port: u16,
    /// 4 or 6.
    pub ip_type: u8,
    /// Protocol number.
    pub protocol: u8,
}

/// Where a neuron exports Prometheus metrics (`tao_metagraph`).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct Prometheus {
    /// Block at which it was served.
    pub block: u64,
    /// Version.
    pub version: u32,
    /// IP address as an integer (IPv4 in the low 32 bits).
    pub ip: u128,
    /// TCP port.
    pub port: u16,
    /// 4 or 6.
    pub ip_type: u8,
}

/// One neuron of `tao_metagraph` (fields a newer node adds are ignored).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Neuron {
    /// Uid.
    pub uid: u16,
    /// Hotkey (SS58).
    pub hotkey: String,
    /// Coldkey (SS58).
    pub coldkey: Option<String>,
    /// Block it registered at.
    #[serde(default)]
    pub block_at_registration: u64,
    /// Last block it set weights.
    pub last_update: u64,
    /// Validator permit.
    pub validator_permit: bool,
    /// Emission of the last epoch, alpha RAO.
    pub emission: u64,
    /// Alpha staked to the hotkey on the subnet.
    pub stake: u64,
    /// Stake Yuma weighs: alpha + TaoWeight × root stake.
    pub stake_weight: u64,
    /// Active in the last epoch.
    pub active: bool,
    /// Consensus, fraction of 65535.
    pub consensus: u16,
    /// Incentive, fraction of 65535.
    pub incentive: u16,
    /// Dividends, fraction of 65535.
    pub dividends: u16,
    /// Validator trust, fraction of 65535.
    pub validator_trust: u16,
    /// Axon, if served.
    pub axon: Option<Axon>,
    /// Prometheus endpoint, if served.
    #[serde(default)]
    pub prometheus: Option<Prometheus>,
    /// Weights it set: (uid, weight).
    pub weights: Vec<(u16, u16)>,
}

/// One stake position (`tao_stakes`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Stake {
    /// Hotkey staked to (SS58).
    pub hotkey: String,
    /// Subnet.
    pub netuid: u16,
    /// Alpha RAO held (TAO on root).
    pub alpha: u64,
}

/// A delegate (`tao_delegate`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Delegate {
    /// Hotkey (SS58).
    pub hotkey: String,
    /// Owning coldkey (SS58).
    pub owner: Option<String>,
    /// Take, fraction of 65535.
    pub take: u16,
    /// (netuid, alpha staked to the hotkey there).
    pub stake: Vec<(u16, u64)>,
}

/// `tao_metagraph`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Metagraph {
    /// Height of the state read.
    pub block: u64,
    /// The subnet.
    pub subnet: SubnetInfo,
    /// Every neuron.
    pub neurons: Vec<Neuron>,
}

/// A node connection. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    ws_url: String,
    timeout: Duration,
    retries: u32,
}

impl Client {
    /// A client for the node at `addr` (`host:port` or `http://host:port`), with a 10 s
    /// timeout and 3 attempts per call.
    pub fn new(addr: &str) -> Result<Self> {
        let host = addr
            .strip_prefix("http://")
            .unwrap_or(addr)
            .trim_end_matches('/');
        if host.is_empty() || !host.contains(':') || host.contains('/') {
            return Err(ClientError::Address(addr.to_string()));
        }
        Ok(Self {
            http: reqwest::Client::new(),
            url: format!("http://{host}/"),
            ws_url: format!("ws://{host}/"),
            timeout: Duration::from_secs(10),
            retries: 3,
        })
    }

    /// Sets the per-call timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how many times a call is attempted when the node cannot be reached.
    pub fn with_retries(mut self, attempts: u32) -> Self {
        self.retries = attempts.max(1);
        self
    }

    /// Posts a JSON body and returns the answer's bytes, retrying connection failures.
    async fn post(&self, method: &str, body: String) -> Result<bytes::Bytes> {
        let mut last = String::new();
        for attempt in 0..self.retries {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 << attempt.min(5))).await;
            }
            let request = self
                .http
                .post(&self.url)
                .header("content-type", "application/json")
                .body(body.clone())
                .send();
            let response = match tokio::time::timeout(self.timeout, request).await {
                Err(_) => {
                    return Err(ClientError::Timeout {
                        method: method.to_string(),
                        timeout: self.timeout,
                    });
                }
                Ok(Err(err)) if err.is_connect() => {
                    last = err.to_string();
                    continue;
                }
                Ok(Err(err)) => {
                    return Err(ClientError::Transport {
                        url: self.url.clone(),
                        attempts: attempt + 1,
                        reason: err.to_string(),
                    });
                }
                Ok(Ok(response)) => response,
            };
            return tokio::time::timeout(self.timeout, response.bytes())
                .await
                .map_err(|_| ClientError::Timeout {
                    method: method.to_string(),
                    timeout: self.timeout,
                })?
                .map_err(|err| ClientError::Transport {
                    url: self.url.clone(),
                    attempts: attempt + 1,
                    reason: err.to_string(),
                });
        }
        Err(ClientError::Transport {
            url: self.url.clone(),
            attempts: self.retries,
            reason: last,
        })
    }

    /// Calls `method` with positional `params` and decodes the result straight from the
    /// answer's bytes into `T`.
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer = self.post(method, body.to_string()).await?;
        decode_bytes(method, &answer)
    }

    /// Sends many calls in one JSON-RPC batch; one result per call, in order.
    pub async fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Result<Value>>> {
        let requests: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(id, (method, params))| {
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            })
            .collect();
        let answer = self
            .post("batch", Value::Array(requests).to_string())
            .await?;
        let answer: Value = serde_json::from_slice(&answer).map_err(|err| ClientError::Decode {
            method: "batch".into(),
            reason: format!("not JSON: {err}"),
        })?;
        let answers = match answer {
            Value::Array(answers) => answers,
            other => {
                // A batch-level error (too large, malformed) comes back as one object.
                return Err(decode_answer::<Value>("batch", other).err().unwrap_or(
                    ClientError::Decode {
                        method: "batch".into(),
                        reason: "expected an array".into(),
                    },
                ));
            }
        };
        let mut by_id: BTreeMap<u64, Value> = answers
            .into_iter()
            .filter_map(|a| Some((a.get("id")?.as_u64()?, a)))
            .collect();
        Ok(calls
            .iter()
            .enumerate()
            .map(|(id, (method, _))| match by_id.remove(&(id as u64)) {
                Some(answer) => decode_answer(method, answer),
                None => Err(ClientError::Decode {
                    method: (*method).to_string(),
                    reason: "no answer in the batch".into(),
                }),
            })
            .collect())
    }

    /// The node's Prometheus text (`GET /metrics`).
    pub async fn metrics(&self) -> Result<String> {
        let transport = |reason: String| ClientError::Transport {
            url: self.url.clone(),
            attempts: 1,
            reason,
        };
        let request = self.http.get(format!("{}metrics", self.url)).send();
        let timeout = |_| ClientError::Timeout {
            method: "metrics".into(),
            timeout: self.timeout,
        };
        let response = tokio::time::timeout(self.timeout, request)
            .await
            .map_err(timeout)?
            .map_err(|e| transport(e.to_string()))?;
        tokio::time::timeout(self.timeout, response.text())
            .await
            .map_err(timeout)?
            .map_err(|e| transport(e.to_string()))
    }

    /// `tao_head`.
    pub async fn head(&self) -> Result<Head> {
        self.call("tao_head", json!([])).await
    }

    /// `tao_finalizedHead`.
    pub async fn finalized_head(&self) -> Result<HeadInfo> {
        self.call("tao_finalizedHead", json!([])).await
    }

    /// `tao_genesisHash` as bytes.
    pub async fn genesis_hash(&self) -> Result<[u8; 32]> {
        let text: String = self.call("tao_genesisHash", json!([])).await?;
        parse_hash("tao_genesisHash", &text)
    }

    /// `tao_getBlockByNumber`.
    pub async fn block_by_number(&self, number: u64, full: bool) -> Result<Option<BlockInfo>> {
        self.call("tao_getBlockByNumber", json!([number, full]))
            .await
    }

    /// `tao_getBlockByHash`.
    pub async fn block_by_hash(&self, hash: &str, full: bool) -> Result<Option<BlockInfo>> {
        self.call("tao_getBlockByHash", json!([hash, full])).await
    }

    /// `tao_getTransaction`.
    pub async fn transaction(&self, hash: &str) -> Result<Option<TransactionInfo>> {
        self.call("tao_getTransaction", json!([hash])).await
    }

    /// `tao_getEvents` of a finalized block.
    pub async fn events(&self, number: u64) -> Result<Option<Vec<Value>>> {
        self.call("tao_getEvents", json!([number])).await
    }

    /// `tao_account` of an SS58 address.
    pub async fn account(&self, ss58: &str) -> Result<Account> {
        self.call("tao_account", json!([ss58])).await
    }

    /// `tao_subnets`.
    pub async fn subnets(&self) -> Result<Vec<SubnetInfo>> {
        self.call("tao_subnets", json!([])).await
    }

    /// `tao_subnetInfo`.
    pub async fn subnet(&self, netuid: u16) -> Result<Option<SubnetInfo>> {
        self.call("tao_subnetInfo", json!([netuid])).await
    }

    /// `tao_hyperparameters` (name, value, default, unit, setter per parameter).
    pub async fn hyperparameters(&self, netuid: u16) -> Result<Vec<Value>> {
        self.call("tao_hyperparameters", json!([netuid])).await
    }

    /// `tao_pool`.
    pub async fn pool(&self, netuid: u16) -> Result<Option<Value>> {
        self.call("tao_pool", json!([netuid])).await
    }

    /// `tao_metagraph`.
    pub async fn metagraph(&self, netuid: u16) -> Result<Metagraph> {
        self.call("tao_metagraph", json!([netuid])).await
    }

    /// `tao_stakes`: every non-zero position of `coldkey` (SS58).
    pub async fn stakes(&self, coldkey: &str) -> Result<Vec<Stake>> {
        self.call("tao_stakes", json!([coldkey])).await
    }

    /// `tao_delegate`: the delegate record of `hotkey` (SS58).
    pub async fn delegate(&self, hotkey: &str) -> Result<Delegate> {
        self.call("tao_delegate", json!([hotkey])).await
    }

    /// `tao_networkLockCost`, RAO.
    pub async fn network_lock_cost(&self) -> Result<u64> {
        self.call("tao_networkLockCost", json!([])).await
    }

    /// `tao_submitTransaction`: returns the transaction hash (0x hex).
    pub async fn submit_transaction(&self, bytes: &[u8]) -> Result<String> {
        self.call(
            "tao_submitTransaction",
            json!([format!("0x{}", hex::encode(bytes))]),
        )
        .await
    }

    /// Polls `tao_getTransaction` until the transaction is finalized or `timeout` passes.
    pub async fn wait_finalized(&self, hash: &str, timeout: Duration) -> Result<TransactionInfo> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(info) = self.transaction(hash).await?
                && info.status == "finalized"
            {
                return Ok(info);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Timeout {
                    method: format!("waiting for {hash} to finalize"),
                    timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Subscribes over WebSocket to `kind` (`newHeads`, `finalizedHeads` or `events`). The
    /// subscription reconnects and re-subscribes when the connection drops (up to the
    /// client's retry count in a row); items missed while disconnected are not replayed.
    pub async fn subscribe(&self, kind: &str) -> Result<Subscription> {
        let (sender, receiver) = mpsc::channel(256);
        let socket = self.open_subscription(kind).await?;
        let client = self.clone();
        let kind = kind.to_string();
        let task = tokio::spawn(async move {
            let mut socket = Some(socket);
            let mut failures = 0u32;
            loop {
                let mut ws = match socket.take() {
                    Some(ws) => ws,
                    None => match client.open_subscription(&kind).await {
                        Ok(ws) => ws,
                        Err(_) => {
                            failures += 1;
                            if failures >= client.retries {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            continue;
                        }
                    },
                };
                failures = 0;
                while let Some(Ok(message)) = ws.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let Ok(value) = serde_json::from_str::<Value>(&text) else {
                        continue;
                    };
                    if value.get("method").and_then(Value::as_str) != Some("tao_subscription") {
                        continue;
                    }
                    let Some(result) = value.pointer("/params/result").cloned() else {
                        continue;
                    };
                    if sender.send(result).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Subscription { receiver, task })
    }

    async fn open_subscription(&self, kind: &str) -> Result<WsStream> {
        let transport = |reason: String| ClientError::Transport {
            url: self.ws_url.clone(),
            attempts: 1,
            reason,
        };
        let connect = tokio_tungstenite::connect_async(self.ws_url.as_str());
        let (mut ws, _) = tokio::time::timeout(self.timeout, connect)
            .await
            .map_err(|_| ClientError::Timeout {
                method: "connect".into(),
                timeout: self.timeout,
            })?
            .map_err(|e| transport(e.to_string()))?;
        let request =
            json!({"jsonrpc": "2.0", "id": 1, "method": "tao_subscribe", "params": [kind]});
        ws.send(Message::Text(request.to_string().into()))
            .await
            .map_err(|e| transport(e.to_string()))?;
        loop {
            let next = tokio::time::timeout(self.timeout, ws.next())
                .await
                .map_err(|_| ClientError::Timeout {
                    method: "tao_subscribe".into(),
                    timeout: self.timeout,
                })?;
            match next {
                Some(Ok(Message::Text(text))) => {
                    let answer: Value =
                        serde_json::from_str(&text).map_err(|e| ClientError::Decode {
                            method: "tao_subscribe".into(),
                            reason: e.to_string(),
                        })?;
                    if answer.get("id").is_some() {
                        decode_answer::<u64>("tao_subscribe", answer)?;
                        return Ok(ws);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(transport(e.to_string())),
                None => return Err(transport("connection closed".into())),
            }
        }
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A live subscription: notifications' `result` values in order. Dropping it ends it.
pub struct Subscription {
    receiver: mpsc::Receiver<Value>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscription {
    /// The next notification, or `None` when the subscription ended for good.
    pub async fn next(&mut self) -> Option<Value> {
        self.receiver.recv().await
    }

    /// The next notification decoded as `T`.
    pub async fn next_as<T: DeserializeOwned>(&mut self) -> Option<Result<T>> {
        let value = self.next().await?;
        Some(
            serde_json::from_value(value).map_err(|e| ClientError::Decode {
                method: "tao_subscription".into(),
                reason: e.to_string(),
            }),
        )
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A JSON-RPC answer decoded in one pass: `result` straight into `T`.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct Envelope<T> {
    /// Present (even when `null`) on success.
    #[serde(default, deserialize_with = "present")]
    result: Option<T>,
    #[serde(default)]
    error: Option<ErrorObject>,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

/// `Some` whenever the field is present, so a `null` result decodes as `T` (e.g. `None`).
fn present<'de, D, T>(deserializer: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Decodes an answer's bytes without an intermediate `Value`; an error object wins over a
/// result that does not decode.
fn decode_bytes<T: DeserializeOwned>(method: &str, bytes: &[u8]) -> Result<T> {
    match serde_json::from_slice::<Envelope<T>>(bytes) {
        Ok(Envelope {
            error: Some(error), ..
        }) => Err(ClientError::Rpc {
            method: method.to_string(),
            code: error.code,
            message: error.message,
        }),
        Ok(Envelope {
            result: Some(result),
            ..
        }) => Ok(result),
        Ok(Envelope { result: None, .. }) => Err(ClientError::Decode {
            method: method.to_string(),
            reason: "neither result nor error".into(),
        }),
        Err(err) => {
            // Tell a malformed body from an answer whose result has another shape.
            let answer: Value =
                serde_json::from_slice(bytes).map_err(|err| ClientError::Decode {
                    method: method.to_string(),
                    reason: format!("not JSON: {err}"),
                })?;
            match decode_answer::<Value>(method, answer) {
                Err(rpc) => Err(rpc),
                Ok(_) => Err(ClientError::Decode {
                    method: method.to_string(),
                    reason: err.to_string(),
                }),
            }
        }
    }
}

fn decode_answer<T: DeserializeOwned>(method: &str, answer: Value) -> Result<T> {
    if let Some(error) = answer.get("error") {
        return Err(ClientError::Rpc {
            method: method.to_string(),
            code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        });
    }
    let result = answer
        .get("result")
        .cloned()
        .ok_or_else(|| ClientError::Decode {
            method: method.to_string(),
            reason: "neither result nor error".into(),
        })?;
    serde_json::from_value(result).map_err(|e| ClientError::Decode {
        method: method.to_string(),
        reason: e.to_string(),
    })
}

fn parse_hash(method: &str, text: &str) -> Result<[u8; 32]> {
    text.strip_prefix("0x")
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| ClientError::Decode {
            method: method.to_string(),
            reason: format!("`{text}` is not 0x hex of 32 bytes"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            Client::new("127.0.0.1:9944").unwrap().url,
            "http://127.0.0.1:9944/"
        );
        assert_eq!(
            Client::new("http://127.0.0.1:9944/").unwrap().ws_url,
            "ws://127.0.0.1:9944/"
        );
        assert!(Client::new("nowhere").is_err());
    }

    #[test]
    fn decodes_errors_with_codes() {
        let err = decode_answer::<u64>(
            "tao_x",
            json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "nope"}}),
        )
        .unwrap_err();
        assert!(matches!(err, ClientError::Rpc { code: -32601, .. }));
        assert_eq!(
            decode_answer::<u64>("tao_x", json!({"jsonrpc": "2.0", "id": 1, "result": 7})).unwrap(),
            7
        );
        assert!(parse_hash("m", "0x00").is_err());
    }

    #[test]
    fn decodes_bytes_straight_into_types() {
        let ok = br#"{"jsonrpc":"2.0","id":1,"result":{"free":5,"nonce":1,"next_nonce":2}}"#;
        assert_eq!(
            decode_bytes::<Account>("tao_account", ok).unwrap(),
            Account {
                free: 5,
                nonce: 1,
                next_nonce: 2
            }
        );
        let null = br#"{"jsonrpc":"2.0","id":1,"result":null}"#;
        assert_eq!(
            decode_bytes::<Option<Account>>("tao_x", null).unwrap(),
            None
        );
        let err = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}"#;
        assert!(matches!(
            decode_bytes::<Account>("tao_x", err),
            Err(ClientError::Rpc { code: -32602, .. })
        ));
        let neither = br#"{"jsonrpc":"2.0","id":1}"#;
        assert!(matches!(
            decode_bytes::<Option<Account>>("tao_x", neither),
            Err(ClientError::Decode { .. })
        ));
        let shape = br#"{"jsonrpc":"2.0","id":1,"result":{"free":"five"}}"#;
        assert!(matches!(
            decode_bytes::<Account>("tao_x", shape),
            Err(ClientError::Decode { reason, .. }) if reason.contains("invalid type")
        ));
        assert!(matches!(
            decode_bytes::<Account>("tao_x", b"<html>"),
            Err(ClientError::Decode { reason, .. }) if reason.starts_with("not JSON")
        ));
    }

    #[test]
    fn metagraph_decodes_every_field_the_node_sends() {
        // An IPv6 address does not fit a u64: the raw text, not a `Value`, carries it.
        let neuron = r#"{
            "uid": 3, "hotkey": "5Hot", "coldkey": null, "block_at_registration": 7,
            "last_update": 9, "validator_permit": true, "emission": 11, "stake": 12,
            "stake_weight": 13, "active": true, "consensus": 1, "incentive": 2,
            "dividends": 3, "validator_trust": 4,
            "axon": {"block": 5, "version": 1, "ip": 18446744073709551616, "port": 8091,
                     "ip_type": 6, "protocol": 4, "placeholder1": 0, "placeholder2": 0},
            "prometheus": null, "weights": [[0, 65535]], "added_later": [1, 2]
        }"#;
        let decoded: Neuron = serde_json::from_str(neuron).unwrap();
        assert_eq!(decoded.block_at_registration, 7);
        let axon = decoded.axon.unwrap();
        assert_eq!((axon.ip, axon.port), (u128::from(u64::MAX) + 1, 8091));
        assert_eq!(decoded.weights, vec![(0, 65535)]);
    }

    #[tokio::test]
    async fn unreachable_node_is_a_transport_error_after_retries() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = Client::new(&addr.to_string()).unwrap().with_retries(2);
        let err = client.head().await.unwrap_err();
        assert!(
            matches!(err, ClientError::Transport { attempts: 2, .. }),
            "{err}"
        );
    }
}
