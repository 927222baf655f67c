//! JSON-RPC 2.0 over HTTP (`POST /`) and WebSocket (`GET /` upgrade) on one port, plus
//! Prometheus `/metrics`. Methods live in the `tao_` namespace; docs/RPC.md documents each
//! and `rpc.discover` returns the OpenRPC document (`openrpc.json` beside this file).
//!
//! The server runs on its own tokio runtime (two workers) beside consensus and only reads the
//! node through [`RuntimeExecutor`] (finalized state, indexes, mempool). It never blocks
//! consensus for longer than a state read.

use std::{
    collections::HashMap,
    net::TcpListener,
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    Router,
    body::{Body, to_bytes},
    extract::{
        State,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};
use tao_crypto::PublicKey;
use tao_runtime::{Hash, Receipt, TxStatus, read};
use tokio::sync::{broadcast::error::RecvError, mpsc};

use crate::{
    Digest,
    mempool::MempoolError,
    metrics::Metrics,
    state::{FinalizedBlock, RuntimeExecutor},
};

/// Largest request body (HTTP) or message (WebSocket) accepted, in bytes.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// Most requests in one batch.
pub const MAX_BATCH: usize = 1_000;
/// Most subscriptions one WebSocket connection may hold.
pub const MAX_SUBSCRIPTIONS: usize = 64;

/// Error codes: JSON-RPC 2.0's, then this node's (documented in docs/RPC.md).
pub mod code {
    /// The request is not valid JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// Not a JSON-RPC 2.0 request object (or an empty batch).
    pub const INVALID_REQUEST: i64 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Wrong number or type of parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The node failed to answer (state unreadable).
    pub const INTERNAL_ERROR: i64 = -32603;
    /// The request body or message exceeds [`super::MAX_REQUEST_BYTES`].
    pub const REQUEST_TOO_LARGE: i64 = -32001;
    /// The batch exceeds [`super::MAX_BATCH`] requests.
    pub const BATCH_TOO_LARGE: i64 = -32002;
    /// Subscriptions need a WebSocket connection, or the connection holds too many.
    pub const SUBSCRIPTION_UNAVAILABLE: i64 = -32003;
    /// The runtime rejects the transaction (decode, genesis, signature, nonce, fee).
    pub const INVALID_TRANSACTION: i64 = -32010;
    /// The transaction already waits in the mempool.
    pub const ALREADY_KNOWN: i64 = -32011;
    /// A transaction with the same signer and nonce and a tip at least as high waits.
    pub const UNDERPRICED: i64 = -32012;
    /// The mempool is full.
    pub const MEMPOOL_FULL: i64 = -32013;
    /// The nonce is too far ahead of the account's.
    pub const NONCE_TOO_FAR: i64 = -32014;
    /// The transaction is already in a finalized block.
    pub const ALREADY_FINALIZED: i64 = -32015;
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// Error code (see [`code`]).
    pub code: i64,
    /// Human-readable explanation, with what to do next.
    pub message: String,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn params(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_PARAMS, message)
    }
}

impl From<MempoolError> for RpcError {
    fn from(err: MempoolError) -> Self {
        let code = match err {
            MempoolError::Invalid(_) => code::INVALID_TRANSACTION,
            MempoolError::AlreadyKnown => code::ALREADY_KNOWN,
            MempoolError::AlreadyFinalized => code::ALREADY_FINALIZED,
            MempoolError::Underpriced { .. } => code::UNDERPRICED,
            MempoolError::TooFarAhead { .. } => code::NONCE_TOO_FAR,
            MempoolError::Full { .. } => code::MEMPOOL_FULL,
        };
        Self::new(code, err.to_string())
    }
}

/// What the RPC server reads: the node's state and its metrics.
#[derive(Clone)]
pub struct RpcContext {
    /// The node's state, indexes and mempool.
    pub executor: RuntimeExecutor,
    /// The node's metrics.
    pub metrics: Arc<Metrics>,
    /// Last metagraph answered per subnet as JSON text, with the block it was read at:
    /// repeated calls within one block (validators polling) send the same bytes again.
    metagraphs: Arc<Mutex<HashMap<u16, CachedMetagraph>>>,
}

/// A subnet's metagraph serialized at a block: `(block, JSON text)`.
type CachedMetagraph = (u64, Arc<str>);

impl RpcContext {
    /// A context serving `executor`'s state and `metrics`.
    pub fn new(executor: RuntimeExecutor, metrics: Arc<Metrics>) -> Self {
        Self {
            executor,
            metrics,
            metagraphs: Arc::default(),
        }
    }

    /// `tao_metagraph` as JSON text, from the cache when the finalized block has not moved.
    /// The lock is held while a missing entry is built, so concurrent callers build it once.
    fn metagraph(&self, netuid: u16) -> Result<Arc<str>, RpcError> {
        let block = self
            .executor
            .read(|s| read::block_number(s))
            .map_err(internal)?;
        let mut cache = self
            .metagraphs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, text)) = cache.get(&netuid)
            && *at == block
        {
            return Ok(text.clone());
        }
        let metagraph = self
            .executor
            .read(|s| read::metagraph(s, netuid))
            .map_err(|e| RpcError::params(format!("subnet {netuid}: {e}")))?;
        let text: Arc<str> = serde_json::to_string(&metagraph).map_err(internal)?.into();
        cache.insert(netuid, (metagraph.block, text.clone()));
        Ok(text)
    }
}

/// Serves RPC on `listener` from a dedicated thread until the process exits.
pub fn serve(listener: TcpListener, context: RpcContext) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("tao-rpc")
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("tao-rpc".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let app = Router::new()
                    .route("/", get(websocket).post(http))
                    .route("/metrics", get(metrics))
                    .with_state(context);
                let _ = axum::serve(listener, app).await;
            });
        })?;
    Ok(())
}

async fn metrics(State(context): State<RpcContext>) -> Response {
    let text = context.metrics.render(context.executor.mempool_len());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn http(State(context): State<RpcContext>, body: Body) -> Response {
    let Ok(bytes) = to_bytes(body, MAX_REQUEST_BYTES).await else {
        return json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            error_object(
                Value::Null,
                &RpcError::new(
                    code::REQUEST_TOO_LARGE,
                    format!(
                        "request body exceeds {MAX_REQUEST_BYTES} bytes: split it into smaller batches"
                    ),
                ),
            )
            .to_string(),
        );
    };
    match handle_message(&context, &bytes, None) {
        Some(response) => json_response(StatusCode::OK, response),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn websocket(State(context): State<RpcContext>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_REQUEST_BYTES)
        .on_upgrade(move |socket| session(context, socket))
}

/// Subscriptions of one WebSocket connection.
struct Session {
    outgoing: mpsc::UnboundedSender<String>,
    subscriptions: HashMap<u64, tokio::task::AbortHandle>,
    next_id: u64,
}

async fn session(context: RpcContext, mut socket: WebSocket) {
    let (outgoing, mut queue) = mpsc::unbounded_channel::<String>();
    let mut session = Session {
        outgoing,
        subscriptions: HashMap::new(),
        next_id: 1,
    };
    loop {
        tokio::select! {
            message = socket.recv() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
                    Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                };
                if let Some(response) = handle_message(&context, &text, Some(&mut session))
                    && socket.send(Message::Text(response.into())).await.is_err()
                {
                    break;
                }
            }
            Some(notification) = queue.recv() => {
                if socket.send(Message::Text(notification.into())).await.is_err() {
                    break;
                }
            }
        }
    }
    for (_, handle) in session.subscriptions.drain() {
        handle.abort();
    }
}

/// Answers one HTTP body or WebSocket message (a request or a batch) with the response text.
fn handle_message(
    context: &RpcContext,
    bytes: &[u8],
    mut session: Option<&mut Session>,
) -> Option<String> {
    let parsed: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(err) => {
            return Some(
                error_object(
                    Value::Null,
                    &RpcError::new(
                        code::PARSE_ERROR,
                        format!("parse error: {err}: send a JSON-RPC 2.0 object or array"),
                    ),
                )
                .to_string(),
            );
        }
    };
    match parsed {
        Value::Array(batch) if batch.is_empty() => Some(
            error_object(
                Value::Null,
                &RpcError::new(
                    code::INVALID_REQUEST,
                    "empty batch: send at least one request",
                ),
            )
            .to_string(),
        ),
        Value::Array(batch) if batch.len() > MAX_BATCH => Some(
            error_object(
                Value::Null,
                &RpcError::new(
                    code::BATCH_TOO_LARGE,
                    format!(
                        "batch of {} requests exceeds {MAX_BATCH}: split it",
                        batch.len()
                    ),
                ),
            )
            .to_string(),
        ),
        Value::Array(batch) => {
            let mut submitted = submit_batch(context, &batch);
            let mut out = String::from("[");
            for (request, submitted) in batch.iter().zip(&mut submitted) {
                let mark = out.len();
                if mark > 1 {
                    out.push(',');
                }
                if !handle_request(
                    context,
                    request,
                    session.as_deref_mut(),
                    submitted.take(),
                    &mut out,
                ) {
                    out.truncate(mark);
                }
            }
            out.push(']');
            (out.len() > 2).then_some(out)
        }
        request => {
            let mut out = String::new();
            handle_request(context, &request, session, None, &mut out).then_some(out)
        }
    }
}

/// Submits every well-formed `tao_submitTransaction` of a batch at once (their signatures
/// verified in one batch): one entry per request, `Some` for those submitted here.
fn submit_batch(context: &RpcContext, batch: &[Value]) -> Vec<Option<Result<Hash, MempoolError>>> {
    let mut results: Vec<Option<Result<Hash, MempoolError>>> = batch.iter().map(|_| None).collect();
    let transactions: Vec<(usize, Vec<u8>)> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, request)| {
            let object = request.as_object()?;
            let well_formed = object.get("jsonrpc").and_then(Value::as_str) == Some("2.0")
                && object.get("method").and_then(Value::as_str) == Some("tao_submitTransaction");
            let text = object.get("params")?.as_array()?.first()?.as_str()?;
            well_formed
                .then(|| decode_hex(text))
                .flatten()
                .map(|bytes| (i, bytes))
        })
        .collect();
    if transactions.len() < 2 {
        return results;
    }
    let started = Instant::now();
    let (indexes, transactions): (Vec<usize>, Vec<Vec<u8>>) = transactions.into_iter().unzip();
    let answers = context.executor.submit_many(transactions);
    let share = started.elapsed() / u32::try_from(answers.len()).unwrap_or(u32::MAX);
    for (i, answer) in indexes.into_iter().zip(answers) {
        context.metrics.rpc_call("tao_submitTransaction", share);
        if let Some(slot) = results.get_mut(i) {
            *slot = Some(answer);
        }
    }
    results
}

fn error_object(id: Value, err: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": err.code, "message": err.message}})
}

/// A method's result: a JSON value, or JSON text serialized earlier (the metagraph cache).
enum Answer {
    Value(Value),
    Text(Arc<str>),
}

/// Answers one request object by appending its response to `out`; false (nothing appended)
/// for a notification (no `id`). `submitted` is the outcome of a transaction this request
/// carried that [`submit_batch`] already submitted.
fn handle_request(
    context: &RpcContext,
    request: &Value,
    session: Option<&mut Session>,
    submitted: Option<Result<Hash, MempoolError>>,
    out: &mut String,
) -> bool {
    let fail = |out: &mut String, id: &Value, err: RpcError| {
        out.push_str(&error_object(id.clone(), &err).to_string());
        true
    };
    let Some(object) = request.as_object() else {
        return fail(
            out,
            &Value::Null,
            RpcError::new(
                code::INVALID_REQUEST,
                "invalid request: expected a JSON object",
            ),
        );
    };
    let id = object.get("id");
    let reply_id = id.unwrap_or(&Value::Null);
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return fail(
            out,
            reply_id,
            RpcError::new(
                code::INVALID_REQUEST,
                "invalid request: \"jsonrpc\" must be \"2.0\"",
            ),
        );
    }
    let Some(method) = object.get("method").and_then(Value::as_str) else {
        return fail(
            out,
            reply_id,
            RpcError::new(
                code::INVALID_REQUEST,
                "invalid request: \"method\" must be a string",
            ),
        );
    };
    let params: &[Value] = match object.get("params") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(params)) => params,
        Some(_) => {
            return fail(
                out,
                reply_id,
                RpcError::params("\"params\" must be an array (positional parameters)"),
            );
        }
    };
    let started = Instant::now();
    // A batch's submissions were timed by `submit_batch`.
    let timed = submitted.is_none() && KNOWN_METHODS.contains(&method);
    let result = match (method, submitted) {
        (_, Some(submitted)) => submitted
            .map(|hash| Answer::Value(json!(format!("0x{}", hex::encode(hash)))))
            .map_err(RpcError::from),
        ("tao_metagraph", None) => {
            netuid_param(params).and_then(|n| context.metagraph(n).map(Answer::Text))
        }
        (_, None) => dispatch(context, method, params, session).map(Answer::Value),
    };
    if timed {
        context.metrics.rpc_call(method, started.elapsed());
    }
    if id.is_none() {
        return false;
    }
    match result {
        Ok(answer) => {
            out.push_str("{\"jsonrpc\":\"2.0\",\"id\":");
            out.push_str(&reply_id.to_string());
            out.push_str(",\"result\":");
            match answer {
                Answer::Value(value) => out.push_str(&value.to_string()),
                Answer::Text(text) => out.push_str(&text),
            }
            out.push('}');
            true
        }
        Err(err) => fail(out, reply_id, err),
    }
}

/// Every method served, in the order of docs/RPC.md.
pub const KNOWN_METHODS: &[&str] = &[
    "tao_head",
    "tao_finalizedHead",
    "tao_genesisHash",
    "tao_getBlockByNumber",
    "tao_getBlockByHash",
    "tao_getTransaction",
    "tao_getEvents",
    "tao_account",
    "tao_subnets",
    "tao_subnetInfo",
    "tao_hyperparameters",
    "tao_globalParameters",
    "tao_pool",
    "tao_metagraph",
    "tao_stakes",
    "tao_delegate",
    "tao_networkLockCost",
    "tao_submitTransaction",
    "tao_subscribe",
    "tao_unsubscribe",
    "rpc.discover",
];

fn dispatch(
    context: &RpcContext,
    method: &str,
    params: &[Value],
    session: Option<&mut Session>,
) -> Result<Value, RpcError> {
    let node = &context.executor;
    match method {
        "tao_head" => {
            no_params(params)?;
            let tip = tip(node)?;
            Ok(json!({
                "number": tip.block.header.height,
                "hash": hex_digest(&tip.digest),
                "finalized_number": tip.block.header.height,
            }))
        }
        "tao_finalizedHead" => {
            no_params(params)?;
            Ok(head_json(&tip(node)?))
        }
        "tao_genesisHash" => {
            no_params(params)?;
            Ok(json!(format!("0x{}", hex::encode(node.genesis_hash()))))
        }
        "tao_getBlockByNumber" => {
            let number = u64_param(params, 0, "number")?;
            let full = optional_bool(params, 1, "full")?;
            Ok(node
                .block_by_height(number)
                .map_or(Value::Null, |b| block_json(&b, full)))
        }
        "tao_getBlockByHash" => {
            let hash = hash_param(params, 0, "hash")?;
            let full = optional_bool(params, 1, "full")?;
            Ok(node
                .block_by_digest(&Digest(hash))
                .map_or(Value::Null, |b| block_json(&b, full)))
        }
        "tao_getTransaction" => {
            let hash = hash_param(params, 0, "hash")?;
            if let Some((location, block)) = node.transaction(&hash) {
                let receipt = usize::try_from(location.index)
                    .ok()
                    .and_then(|i| block.receipts.get(i));
                let mut value = receipt.map_or(Value::Null, receipt_json);
                if let Some(object) = value.as_object_mut() {
                    object.insert("status".into(), json!("finalized"));
                    object.insert("block_number".into(), json!(location.height));
                    object.insert("block_hash".into(), json!(hex_digest(&block.digest)));
                    object.insert("index".into(), json!(location.index));
                }
                return Ok(value);
            }
            if node.is_pending(&hash) {
                return Ok(
                    json!({"hash": format!("0x{}", hex::encode(hash)), "status": "pending"}),
                );
            }
            Ok(Value::Null)
        }
        "tao_getEvents" => {
            let number = u64_param(params, 0, "number")?;
            Ok(node
                .block_by_height(number)
                .map_or(Value::Null, |b| json!(*b.events)))
        }
        "tao_account" => {
            let who = account_param(params, 0)?;
            let info = node.read(|s| read::account(s, &who)).map_err(internal)?;
            Ok(json!({
                "free": info.free,
                "nonce": info.nonce,
                "next_nonce": node.next_nonce(&who),
            }))
        }
        "tao_subnets" => {
            no_params(params)?;
            node.read(|s| read::subnets(s))
                .map_err(internal)
                .map(|v| json!(v))
        }
        "tao_subnetInfo" => {
            let netuid = netuid_param(params)?;
            let subnets = node.read(|s| read::subnets(s)).map_err(internal)?;
            Ok(subnets
                .into_iter()
                .find(|s| s.netuid == netuid)
                .map_or(Value::Null, |s| json!(s)))
        }
        "tao_hyperparameters" => {
            let netuid = netuid_param(params)?;
            node.read(|s| read::hyperparameters(s, netuid))
                .map(|v| json!(v))
                .map_err(|e| RpcError::params(format!("subnet {netuid}: {e}")))
        }
        "tao_globalParameters" => {
            no_params(params)?;
            node.read(|s| read::global_parameters(s))
                .map_err(internal)
                .map(|v| json!(v))
        }
        "tao_pool" => {
            let netuid = netuid_param(params)?;
            let subnets = node.read(|s| read::subnets(s)).map_err(internal)?;
            Ok(subnets.into_iter().find(|s| s.netuid == netuid).map_or(
                Value::Null,
                |s| json!({"netuid": s.netuid, "tao_in": s.tao_in, "alpha_in": s.alpha_in, "alpha_out": s.alpha_out}),
            ))
        }
        "tao_stakes" => {
            let coldkey = account_param(params, 0)?;
            node.read(|s| read::stakes(s, &coldkey))
                .map_err(internal)
                .map(|v| json!(v))
        }
        "tao_delegate" => {
            let hotkey = account_param(params, 0)?;
            node.read(|s| read::delegate(s, &hotkey))
                .map_err(internal)
                .map(|v| json!(v))
        }
        "tao_networkLockCost" => {
            no_params(params)?;
            node.read(|s| read::network_lock_cost(s))
                .map_err(internal)
                .map(|v| json!(v))
        }
        "tao_submitTransaction" => {
            let text = str_param(params, 0, "transaction")?;
            let bytes = decode_hex(text).ok_or_else(|| {
                RpcError::params(
                    "transaction must be 0x-prefixed hex of the encoded signed transaction",
                )
            })?;
            let hash = node.submit(bytes)?;
            Ok(json!(format!("0x{}", hex::encode(hash))))
        }
        "tao_subscribe" => subscribe(context, params, session),
        "tao_unsubscribe" => {
            let id = u64_param(params, 0, "subscription")?;
            let session = session.ok_or_else(|| {
                RpcError::new(
                    code::SUBSCRIPTION_UNAVAILABLE,
                    "subscriptions need a WebSocket connection",
                )
            })?;
            Ok(json!(
                session
                    .subscriptions
                    .remove(&id)
                    .map(|h| h.abort())
                    .is_some()
            ))
        }
        "rpc.discover" => serde_json::from_str(OPENRPC).map_err(internal),
        other => Err(RpcError::new(
            code::METHOD_NOT_FOUND,
            format!("method `{other}` not found: rpc.discover lists every method"),
        )),
    }
}

/// The OpenRPC document `rpc.discover` returns.
pub const OPENRPC: &str = include_str!("openrpc.json");

fn subscribe(
    context: &RpcContext,
    params: &[Value],
    session: Option<&mut Session>,
) -> Result<Value, RpcError> {
    let kind = str_param(params, 0, "kind")?;
    if !matches!(kind, "newHeads" | "finalizedHeads" | "events") {
        return Err(RpcError::params(format!(
            "unknown subscription `{kind}`: use newHeads, finalizedHeads or events"
        )));
    }
    let session = session.ok_or_else(|| {
        RpcError::new(
            code::SUBSCRIPTION_UNAVAILABLE,
            "subscriptions need a WebSocket connection: connect with ws:// to the same address",
        )
    })?;
    if session.subscriptions.len() >= MAX_SUBSCRIPTIONS {
        return Err(RpcError::new(
            code::SUBSCRIPTION_UNAVAILABLE,
            format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection: unsubscribe first"),
        ));
    }
    let id = session.next_id;
    session.next_id += 1;
    let events = kind == "events";
    let outgoing = session.outgoing.clone();
    let mut receiver = context.executor.subscribe();
    let task = tokio::spawn(async move {
        loop {
            let block = match receiver.recv().await {
                Ok(block) => block,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            };
            let result = if events {
                json!({"block_number": block.block.header.height, "events": *block.events})
            } else {
                head_json(&block)
            };
            let notification = json!({
                "jsonrpc": "2.0",
                "method": "tao_subscription",
                "params": {"subscription": id, "result": result},
            });
            if outgoing.send(notification.to_string()).is_err() {
                return;
            }
        }
    });
    session.subscriptions.insert(id, task.abort_handle());
    Ok(json!(id))
}

fn internal(err: impl std::fmt::Display) -> RpcError {
    RpcError::new(code::INTERNAL_ERROR, format!("internal error: {err}"))
}

fn tip(node: &RuntimeExecutor) -> Result<FinalizedBlock, RpcError> {
    node.finalized_tip()
        .ok_or_else(|| internal("the node has not loaded its genesis yet: retry in a moment"))
}

fn hex_digest(digest: &Digest) -> String {
    format!("0x{}", hex::encode(digest.as_ref()))
}

fn head_json(block: &FinalizedBlock) -> Value {
    let h = &block.block.header;
    json!({
        "number": h.height,
        "hash": hex_digest(&block.digest),
        "parent": hex_digest(&h.parent),
        "timestamp": h.timestamp,
        "state_root": hex_digest(&h.state_root),
        "transactions": block.block.transactions.len(),
    })
}

fn block_json(block: &FinalizedBlock, full: bool) -> Value {
    let h = &block.block.header;
    let transactions: Vec<Value> = if full {
        block
            .block
            .transactions
            .iter()
            .map(|t| json!(format!("0x{}", hex::encode(t))))
            .collect()
    } else {
        block
            .receipts
            .iter()
            .map(|r| {
                r.hash
                    .map_or(Value::Null, |h| json!(format!("0x{}", hex::encode(h))))
            })
            .collect()
    };
    json!({
        "number": h.height,
        "hash": hex_digest(&block.digest),
        "parent": hex_digest(&h.parent),
        "timestamp": h.timestamp,
        "transactions_root": hex_digest(&h.transactions_root),
        "state_root": hex_digest(&h.state_root),
        "proposer": format!("0x{}", hex::encode(h.proposer.as_ref())),
        "transactions": transactions,
    })
}

fn receipt_json(receipt: &Receipt) -> Value {
    let (result, error) = match &receipt.status {
        TxStatus::Applied => ("applied", Value::Null),
        TxStatus::Failed(err) => ("failed", json!(err.to_string())),
        TxStatus::Rejected(err) => ("rejected", json!(err.to_string())),
    };
    json!({
        "hash": receipt.hash.map(|h| format!("0x{}", hex::encode(h))),
        "result": result,
        "error": error,
        "fee": receipt.fee,
        "tip": receipt.tip,
        "events": receipt.events,
    })
}

fn no_params(params: &[Value]) -> Result<(), RpcError> {
    if params.is_empty() {
        Ok(())
    } else {
        Err(RpcError::params(format!(
            "expected no parameters, got {}",
            params.len()
        )))
    }
}

fn str_param<'a>(params: &'a [Value], index: usize, name: &str) -> Result<&'a str, RpcError> {
    params
        .get(index)
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::params(format!("parameter {index} `{name}` must be a string")))
}

fn u64_param(params: &[Value], index: usize, name: &str) -> Result<u64, RpcError> {
    params.get(index).and_then(Value::as_u64).ok_or_else(|| {
        RpcError::params(format!(
            "parameter {index} `{name}` must be a non-negative integer"
        ))
    })
}

fn optional_bool(params: &[Value], index: usize, name: &str) -> Result<bool, RpcError> {
    match params.get(index) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(RpcError::params(format!(
            "parameter {index} `{name}` must be a boolean"
        ))),
    }
}

fn netuid_param(params: &[Value]) -> Result<u16, RpcError> {
    params
        .first()
        .and_then(Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| RpcError::params("parameter 0 `netuid` must be an integer 0..=65535"))
}

fn hash_param(params: &[Value], index: usize, name: &str) -> Result<[u8; 32], RpcError> {
    let text = str_param(params, index, name)?;
    decode_hex(text)
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| {
            RpcError::params(format!(
                "parameter {index} `{name}` must be 0x-prefixed hex of 32 bytes"
            ))
        })
}

fn account_param(params: &[Value], index: usize) -> Result<PublicKey, RpcError> {
    let text = str_param(params, index, "account")?;
    PublicKey::from_ss58(text).map_err(|e| {
        RpcError::params(format!(
            "parameter {index} `account` is not an SS58 address: {e}"
        ))
    })
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    hex::decode(text.strip_prefix("0x")?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tao_crypto::Pair;
    use tao_runtime::{Call, Transaction, codec::Encode as _};

    fn signed(executor: &RuntimeExecutor, nonce: u64) -> String {
        let alice = Pair::from_uri("//Alice").unwrap();
        let call = Call::TransferKeepAlive {
            dest: Pair::from_uri("//Bob").unwrap().public(),
            value: 1_000_000,
        };
        let tx = Transaction::sign(&alice, executor.genesis_hash(), nonce, 0, call);
        format!("0x{}", hex::encode(tx.encode()))
    }

    #[test]
    fn a_batch_admits_its_submissions_together_and_answers_each_in_order() {
        let executor = RuntimeExecutor::dev().unwrap();
        let context = RpcContext::new(executor.clone(), Arc::new(Metrics::default()));
        let mut tampered = hex::decode(&signed(&executor, 2)[2..]).unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let bad = format!("0x{}", hex::encode(tampered));
        let batch = json!([
            {"jsonrpc": "2.0", "id": 0, "method": "tao_submitTransaction", "params": [signed(&executor, 1)]},
            {"jsonrpc": "2.0", "id": 1, "method": "tao_submitTransaction", "params": [bad]},
            {"jsonrpc": "2.0", "method": "tao_submitTransaction", "params": [signed(&executor, 0)]},
            {"jsonrpc": "2.0", "id": "x", "method": "tao_genesisHash"},
            {"jsonrpc": "2.0", "id": 3, "method": "tao_submitTransaction", "params": ["0xzz"]},
        ]);
        let text = handle_message(&context, batch.to_string().as_bytes(), None).unwrap();
        let answers: Vec<Value> = serde_json::from_str(&text).unwrap();
        let ids: Vec<&Value> = answers.iter().map(|a| &a["id"]).collect();
        assert_eq!(ids, [&json!(0), &json!(1), &json!("x"), &json!(3)]);
        assert!(answers[0]["result"].as_str().unwrap().starts_with("0x"));
        assert_eq!(answers[1]["error"]["code"], code::INVALID_TRANSACTION);
        assert!(
            answers[1]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("signature")
        );
        assert_eq!(
            answers[2]["result"],
            json!(format!("0x{}", hex::encode(executor.genesis_hash())))
        );
        assert_eq!(answers[3]["error"]["code"], code::INVALID_PARAMS);
        assert_eq!(
            executor.mempool_len(),
            2,
            "the notification was admitted too"
        );

        let single = handle_message(
            &context,
            br#"{"jsonrpc":"2.0","id":7,"method":"tao_genesisHash"}"#,
            None,
        )
        .unwrap();
        let single: Value = serde_json::from_str(&single).unwrap();
        assert_eq!(
            (&single["jsonrpc"], &single["id"]),
            (&json!("2.0"), &json!(7))
        );
        let notifications = json!([{"jsonrpc": "2.0", "method": "tao_genesisHash"}]);
        assert_eq!(
            handle_message(&context, notifications.to_string().as_bytes(), None),
            None
        );
    }

    #[test]
    fn metagraph_of_an_unknown_subnet_is_an_invalid_params_error() {
        let executor = RuntimeExecutor::dev().unwrap();
        let context = RpcContext::new(executor, Arc::new(Metrics::default()));
        let request = br#"{"jsonrpc":"2.0","id":1,"method":"tao_metagraph","params":[999]}"#;
        let answer: Value =
            serde_json::from_str(&handle_message(&context, request, None).unwrap()).unwrap();
        assert_eq!(answer["error"]["code"], code::INVALID_PARAMS);
    }

    #[test]
    fn openrpc_document_lists_exactly_the_served_methods() {
        let doc: serde_json::Value = serde_json::from_str(OPENRPC).unwrap();
        let mut listed: Vec<&str> = doc["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        let mut served: Vec<&str> = KNOWN_METHODS.to_vec();
        listed.sort_unstable();
        served.sort_unstable();
        assert_eq!(listed, served);
    }
}
