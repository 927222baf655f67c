//! The axon: an HTTP/1.1 server answering signed synapse requests, one route per synapse name.
//!
//! Each request goes through the reference's checks in the reference's order (spec §6):
//!
//! ```text
//! 1 route      first path segment names an attached synapse      else 404
//! 2 headers    parse bt_header_* / timeout / input_obj headers    else 500 (generic)
//!              fill axon version/uuid/nonce, dendrite ip/port = TCP peer
//! 3 blacklist  user function on the unverified header synapse     else 403
//! 4 verify     ss58 hotkey, nonce rule per hotkey:uuid, sr25519   else 401
//!              (keys prepared once, signatures batched: verifier.rs)
//! 5 priority   stake-ordered bounded queue                        else 503 busy / 408
//! 6 route      method, body size, JSON, body hash, forward        405/413/422/500/408
//! ```
//!
//! Beyond the reference (which enforces none of these) the axon bounds connections, header read
//! time, body size, queue length and forward time, so that it keeps serving under overload.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tao_crypto::{Pair, Signature};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::queue::{Permit, Rejected, Scheduler};
use crate::synapse::{Envelope, Ping, Synapse, VERSION_AS_INT, py_float};
use crate::verifier::Verifier;
use crate::wire::{HeaderRef, HeaderSynapse, INPUT_OBJ_PREFIX, py_list};

/// First version whose nonces must also be fresh (7.2.0).
const V_7_2_0: u64 = 7_002_000;
/// Headers of a success answer (about 25), reserved so that the map never grows mid-answer.
const RESPONSE_HEADERS: usize = 32;
/// Freshness slack for a first nonce, on top of the request's timeout (4 s).
const ALLOWED_DELTA_NS: i128 = 4_000_000_000;

/// Limits of one axon. The defaults suit a miner on a small machine.
#[derive(Clone, Debug)]
pub struct AxonConfig {
    /// Largest accepted request body; larger gets 413.
    pub max_body_bytes: usize,
    /// Requests that run their forward at the same time.
    pub workers: usize,
    /// Verified requests that may wait for a worker; beyond that 503 busy.
    pub queue: usize,
    /// Open connections; further connections wait in the kernel's accept backlog.
    pub max_connections: usize,
    /// Time a client has to send its request headers.
    pub header_read_timeout: Duration,
    /// Upper bound on a request's own `timeout` (it is unsigned and caller-chosen): caps the
    /// time a request may hold a worker and the first-nonce freshness window.
    pub max_timeout: Duration,
    /// Remembered `hotkey:uuid` nonces before stale ones are dropped.
    pub nonce_capacity: usize,
    /// Callers' public keys kept decompressed for signature checks (each saves the SS58
    /// decoding and a point decompression on that caller's later requests).
    pub key_capacity: usize,
}

impl Default for AxonConfig {
    fn default() -> Self {
        AxonConfig {
            max_body_bytes: 16 * 1024 * 1024,
            workers: 256,
            queue: 1024,
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
            max_timeout: Duration::from_secs(3600),
            nonce_capacity: 100_000,
            key_capacity: 4096,
        }
    }
}

/// Options of one attached synapse.
#[derive(Clone, Debug, Default)]
pub struct RouteOptions {
    /// Longest a forward of this synapse may run (the request's own timeout also applies).
    pub timeout: Option<Duration>,
}

/// A forward function failed; the client sees a generic 500, the text stays in the axon.
#[derive(Debug, thiserror::Error)]
#[error("forward failed: {0}")]
pub struct ForwardError(pub String);

/// Errors starting an axon.
#[derive(Debug, thiserror::Error)]
pub enum AxonError {
    /// The listening socket could not be bound.
    #[error("cannot bind axon to {addr}: {source}")]
    Bind {
        /// Requested address.
        addr: SocketAddr,
        /// OS error.
        source: std::io::Error,
    },
}

/// Sends the chunks of a streaming response; each `send` becomes exactly one HTTP chunk.
pub struct ChunkSender {
    tx: mpsc::Sender<Bytes>,
}

/// The client went away while streaming.
#[derive(Debug, thiserror::Error)]
#[error("stream closed by the client")]
pub struct StreamClosed;

impl ChunkSender {
    /// Sends one chunk, waiting while the client is slower than the producer.
    pub async fn send(&self, chunk: impl Into<Bytes>) -> Result<(), StreamClosed> {
        let chunk = chunk.into();
        if chunk.is_empty() {
            return Ok(());
        }
        self.tx.send(chunk).await.map_err(|_| StreamClosed)
    }
}

/// Response body of the axon: one buffer, or chunks from a streaming forward.
pub enum AxonBody {
    /// A complete body (taken when sent).
    Full(Option<Bytes>),
    /// Chunks as the streaming forward sends them.
    Stream(mpsc::Receiver<Bytes>),
}

impl Body for AxonBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            AxonBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            AxonBody::Stream(rx) => rx.poll_recv(cx).map(|c| c.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, AxonBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            AxonBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            AxonBody::Full(None) => SizeHint::with_exact(0),
            AxonBody::Stream(_) => SizeHint::default(),
        }
    }
}

type BoxFut = Pin<Box<dyn Future<Output = Response<AxonBody>> + Send>>;
type BlacklistFn = dyn Fn(&HeaderSynapse) -> Option<String> + Send + Sync;
type PriorityFn = dyn Fn(&HeaderSynapse) -> u64 + Send + Sync;

/// A verified request ready for its route.
struct Call {
    shared: Arc<Shared>,
    header: HeaderSynapse,
    body: Bytes,
    deadline: tokio::time::Instant,
    permit: Permit,
    start: Instant,
}

trait Route: Send + Sync {
    fn required_fields(&self) -> &'static [&'static str];
    fn run(&self, call: Call) -> BoxFut;
}

/// Parses and checks the body of a call (spec §6 step 6); on failure, the error response.
fn parse_body<S: Synapse>(call: &Call) -> Result<Envelope<S>, Box<Response<AxonBody>>> {
    let env: Envelope<S> = match serde_json::from_slice(&call.body) {
        Ok(env) => env,
        Err(e) if e.is_syntax() || e.is_eof() => return Err(Box::new(json_invalid(&e))),
        Err(_) => {
            return Err(Box::new(
                call.error(StatusCode::INTERNAL_SERVER_ERROR, internal_error()),
            ));
        }
    };
    if env.fields.body_hash() != call.header.computed_body_hash {
        return Err(Box::new(
            call.error(StatusCode::INTERNAL_SERVER_ERROR, internal_error()),
        ));
    }
    Ok(env)
}

fn success_headers<S: Synapse>(env: &Envelope<S>, map: &mut HeaderMap) {
    HeaderRef {
        name: S::NAME,
        timeout: env.timeout,
        axon: &env.axon,
        dendrite: &env.dendrite,
        computed_body_hash: &env.fields.body_hash(),
    }
    .write(map, &[], env.total_size);
}

fn mark_success<S>(env: &mut Envelope<S>, start: Instant) {
    env.axon.status_code = Some(200);
    env.axon.status_message = Some("Success".to_owned());
    env.axon.process_time = Some(start.elapsed().as_secs_f64());
}

struct UnaryRoute<S, F> {
    forward: Arc<F>,
    timeout: Option<Duration>,
    _synapse: PhantomData<fn() -> S>,
}

impl<S, F, Fut> Route for UnaryRoute<S, F>
where
    S: Synapse,
    F: Fn(Envelope<S>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Envelope<S>, ForwardError>> + Send + 'static,
{
    fn required_fields(&self) -> &'static [&'static str] {
        S::required_fields()
    }

    fn run(&self, call: Call) -> BoxFut {
        let forward = Arc::clone(&self.forward);
        let cap = self.timeout;
        Box::pin(async move {
            let env = match parse_body::<S>(&call) {
                Ok(env) => env,
                Err(resp) => return *resp,
            };
            let deadline = cap_deadline(call.deadline, cap);
            let mut out = match tokio::time::timeout_at(deadline, forward(env)).await {
                Ok(Ok(out)) => out,
                Ok(Err(_)) => {
                    return call.error(StatusCode::INTERNAL_SERVER_ERROR, internal_error());
                }
                Err(_) => return call.timeout_error(),
            };
            drop(call.permit);
            out.name = S::NAME.to_owned();
            mark_success(&mut out, call.start);
            let mut body = Vec::with_capacity(call.body.len() + 256);
            if serde_json::to_writer(&mut body, &out).is_err() {
                body.clear();
            }
            let mut resp = Response::new(AxonBody::Full(Some(Bytes::from(body))));
            let map = resp.headers_mut();
            map.reserve(RESPONSE_HEADERS);
            map.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            success_headers(&out, map);
            resp
        })
    }
}

struct StreamRoute<S, F> {
    forward: Arc<F>,
    timeout: Option<Duration>,
    _synapse: PhantomData<fn() -> S>,
}

impl<S, F, Fut> Route for StreamRoute<S, F>
where
    S: Synapse,
    F: Fn(Envelope<S>, ChunkSender) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), ForwardError>> + Send + 'static,
{
    fn required_fields(&self) -> &'static [&'static str] {
        S::required_fields()
    }

    fn run(&self, call: Call) -> BoxFut {
        let forward = Arc::clone(&self.forward);
        let cap = self.timeout;
        Box::pin(async move {
            let mut env = match parse_body::<S>(&call) {
                Ok(env) => env,
                Err(resp) => return *resp,
            };
            let deadline = cap_deadline(call.deadline, cap);
            let (tx, rx) = mpsc::channel(16);
            mark_success(&mut env, call.start);
            let mut resp = Response::new(AxonBody::Stream(rx));
            let map = resp.headers_mut();
            map.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            success_headers(&env, map);
            let permit = call.permit;
            tokio::spawn(async move {
                // Errors and timeouts end the stream; the status line has already been sent.
                let _ = tokio::time::timeout_at(deadline, forward(env, ChunkSender { tx })).await;
                drop(permit);
            });
            resp
        })
    }
}

fn cap_deadline(deadline: tokio::time::Instant, cap: Option<Duration>) -> tokio::time::Instant {
    match cap {
        Some(cap) => deadline.min(tokio::time::Instant::now() + cap),
        None => deadline,
    }
}

fn internal_error() -> String {
    format!("Internal Server Error #{}", uuid::Uuid::new_v4())
}

/// FastAPI's answer to a body that is not JSON (no bittensor headers).
fn json_invalid(e: &serde_json::Error) -> Response<AxonBody> {
    let body = serde_json::json!({"detail": [{
        "type": "json_invalid",
        "loc": ["body", e.column().saturating_sub(1)],
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": e.to_string()},
    }]});
    plain_json(StatusCode::UNPROCESSABLE_ENTITY, &body)
}

fn plain_json(status: StatusCode, body: &serde_json::Value) -> Response<AxonBody> {
    let mut resp = Response::new(AxonBody::Full(Some(Bytes::from(body.to_string()))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

impl Call {
    fn error(&self, status: StatusCode, message: String) -> Response<AxonBody> {
        self.shared
            .error_response(self.header.clone(), status, message, self.start)
    }

    fn timeout_error(&self) -> Response<AxonBody> {
        let msg = format!("Response timeout after: {}s", py_float(self.header.timeout));
        self.error(StatusCode::REQUEST_TIMEOUT, msg)
    }
}

struct Shared {
    pair: Pair,
    hotkey: String,
    uuid: String,
    routes: HashMap<String, Arc<dyn Route>>,
    route_list: String,
    blacklist: Option<Arc<BlacklistFn>>,
    priority: Option<Arc<PriorityFn>>,
    nonces: Mutex<HashMap<String, u64>>,
    verifier: Arc<Verifier>,
    scheduler: Arc<Scheduler>,
    config: AxonConfig,
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl Shared {
    /// Error response built from the header synapse (spec §8).
    fn error_response(
        &self,
        mut hs: HeaderSynapse,
        status: StatusCode,
        message: String,
        start: Instant,
    ) -> Response<AxonBody> {
        hs.axon.status_code = Some(status.as_u16());
        hs.axon.status_message = Some(message.clone());
        hs.axon.process_time = Some(start.elapsed().as_secs_f64());
        if let Some(nonce) = hs.axon.nonce {
            // The reference signs every request in preprocessing; the signature is only ever
            // visible here, so it is computed only for error responses.
            let msg = format!(
                "{nonce}.{}.{}.{}",
                opt(&hs.dendrite.hotkey),
                opt(&hs.axon.hotkey),
                self.uuid
            );
            hs.axon.signature = Some(signature_hex(&self.pair.sign(msg.as_bytes())));
        }
        let body = serde_json::json!({ "message": message });
        let mut resp = plain_json(status, &body);
        hs.write(resp.headers_mut(), &[], 0);
        resp
    }

    /// Error before the synapse is known: the reference answers with a bare base `Synapse`.
    fn base_error(
        &self,
        status: StatusCode,
        message: String,
        start: Instant,
    ) -> Response<AxonBody> {
        let hs = HeaderSynapse {
            name: Ping::NAME.to_owned(),
            timeout: crate::synapse::DEFAULT_TIMEOUT,
            computed_body_hash: crate::synapse::EMPTY_BODY_HASH.to_owned(),
            ..Default::default()
        };
        self.error_response(hs, status, message, start)
    }

    /// The reference's default verification (spec §6 step 4); `Err` is the error text.
    async fn verify(&self, hs: &HeaderSynapse) -> Result<(), String> {
        let d = &hs.dendrite;
        let hotkey = d
            .hotkey
            .as_deref()
            .ok_or("No SS58 formatted address or public key provided.")?;
        let public = self
            .verifier
            .key(hotkey)
            .map_err(|e| format!("Invalid SS58 address: {e}"))?;
        let nonce = d.nonce.ok_or("Missing Nonce")?;
        let endpoint_key = format!("{hotkey}:{}", opt(&d.uuid));
        let timeout_s = hs.timeout.min(self.config.max_timeout.as_secs_f64());
        let fresh_rule = d.version.is_some_and(|v| v >= V_7_2_0);
        self.check_nonce(&endpoint_key, nonce, fresh_rule, timeout_s)?;

        let signature = d
            .signature
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or("Missing Signature")?;
        let sig = parse_signature(signature)?;
        let message = format!(
            "{nonce}.{hotkey}.{}.{}.{}",
            self.hotkey,
            opt(&d.uuid),
            hs.computed_body_hash
        );
        if !self.verifier.check(&public, message.clone(), &sig).await {
            return Err(format!("Signature mismatch with {message} and {signature}"));
        }
        // Store only on success; re-check so that two concurrent requests cannot both pass.
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        if nonces.get(&endpoint_key).is_some_and(|last| nonce <= *last) {
            return Err("Nonce is too old, a newer one was last processed".to_owned());
        }
        if nonces.len() >= self.config.nonce_capacity && !nonces.contains_key(&endpoint_key) {
            let horizon = i128::from(now_ns())
                - ALLOWED_DELTA_NS
                - self.config.max_timeout.as_nanos() as i128;
            nonces.retain(|_, last| i128::from(*last) > horizon);
        }
        nonces.insert(endpoint_key, nonce);
        Ok(())
    }

    fn check_nonce(
        &self,
        key: &str,
        nonce: u64,
        fresh_rule: bool,
        timeout_s: f64,
    ) -> Result<(), String> {
        let last = self
            .nonces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .copied();
        match last {
            Some(last) if nonce <= last => {
                Err("Nonce is too old, a newer one was last processed".to_owned())
            }
            None if fresh_rule => {
                let now = i128::from(now_ns());
                let timeout_ns = (timeout_s.max(0.0) * 1e9) as i128;
                let window = now - ALLOWED_DELTA_NS - timeout_ns;
                if i128::from(nonce) <= window {
                    let diff = (now - i128::from(nonce)) as f64 / 1e9;
                    let allowed = (ALLOWED_DELTA_NS + timeout_ns) as f64 / 1e9;
                    return Err(format!(
                        "Nonce is too old: acceptable delta is {allowed:.2} seconds but request was {diff:.2} seconds old"
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<AxonBody> {
        let start = Instant::now();
        let name = req.uri().path().split('/').nth(1).unwrap_or("");
        let Some(route) = self.routes.get(name).cloned() else {
            let msg = format!(
                "Synapse name '{name}' not found. Available synapses {}",
                self.route_list
            );
            return self.base_error(StatusCode::NOT_FOUND, msg, start);
        };
        let mut hs = match HeaderSynapse::parse(req.headers()) {
            Ok(hs) => hs,
            Err(_) => {
                return self.base_error(StatusCode::INTERNAL_SERVER_ERROR, internal_error(), start);
            }
        };
        let has_inputs = route.required_fields().iter().all(|f| {
            req.headers()
                .contains_key(format!("{INPUT_OBJ_PREFIX}{f}").as_str())
        });
        if !has_inputs {
            return self.base_error(StatusCode::INTERNAL_SERVER_ERROR, internal_error(), start);
        }
        hs.name = name.to_owned();
        hs.axon.version = Some(VERSION_AS_INT);
        hs.axon.uuid = Some(self.uuid.clone());
        hs.axon.nonce = Some(now_ns());
        hs.axon.status_code = Some(100);
        hs.dendrite.ip = Some(peer.ip().to_string());
        hs.dendrite.port = Some(peer.port());

        if let Some(blacklist) = &self.blacklist
            && let Some(reason) = blacklist(&hs)
        {
            let msg = format!("Forbidden. Key is blacklisted: {reason}.");
            return self.error_response(hs, StatusCode::FORBIDDEN, msg, start);
        }
        if let Err(e) = self.verify(&hs).await {
            let msg = format!("Not Verified with error: {e}");
            return self.error_response(hs, StatusCode::UNAUTHORIZED, msg, start);
        }

        let priority = self.priority.as_ref().map_or(0, |p| p(&hs));
        let timeout = Duration::try_from_secs_f64(hs.timeout.max(0.0))
            .unwrap_or(self.config.max_timeout)
            .min(self.config.max_timeout);
        let deadline = tokio::time::Instant::now() + timeout;
        let permit = match self.scheduler.acquire(priority, timeout).await {
            Ok(p) => p,
            Err(Rejected::Busy) => {
                let msg = format!(
                    "Service busy: {} requests already queued, retry later",
                    self.scheduler.queued()
                );
                return self.error_response(hs, StatusCode::SERVICE_UNAVAILABLE, msg, start);
            }
            Err(Rejected::Timeout) => {
                let msg = format!("Response timeout after: {}s", py_float(hs.timeout));
                return self.error_response(hs, StatusCode::REQUEST_TIMEOUT, msg, start);
            }
        };

        if req.method() != Method::POST && req.method() != Method::GET {
            let body = serde_json::json!({"detail": "Method Not Allowed"});
            return plain_json(StatusCode::METHOD_NOT_ALLOWED, &body);
        }
        let limit = self.config.max_body_bytes;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(len) = declared.filter(|len| *len > limit as u64) {
            let msg =
                format!("Request body too large: {len} bytes exceeds the limit of {limit} bytes");
            return self.error_response(hs, StatusCode::PAYLOAD_TOO_LARGE, msg, start);
        }
        let body =
            match tokio::time::timeout_at(deadline, Limited::new(req.into_body(), limit).collect())
                .await
            {
                Ok(Ok(b)) => b.to_bytes(),
                Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                    let msg = format!("Request body too large: exceeds the limit of {limit} bytes");
                    return self.error_response(hs, StatusCode::PAYLOAD_TOO_LARGE, msg, start);
                }
                Ok(Err(e)) => {
                    let msg = format!("Payload error: {e}");
                    return self.error_response(hs, StatusCode::BAD_REQUEST, msg, start);
                }
                Err(_) => {
                    let msg = format!("Response timeout after: {}s", py_float(hs.timeout));
                    return self.error_response(hs, StatusCode::REQUEST_TIMEOUT, msg, start);
                }
            };
        let call = Call {
            shared: Arc::clone(&self),
            header: hs,
            body,
            deadline,
            permit,
            start,
        };
        route.run(call).await
    }
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("None")
}

/// `0x` followed by the lower-case hex of `sig`, as the reference sends signatures.
pub(crate) fn signature_hex(sig: &Signature) -> String {
    let mut out = [0u8; 130];
    out[..2].copy_from_slice(b"0x");
    // 64 bytes always fit 128 hex digits, so this cannot fail.
    let _ = hex::encode_to_slice(sig.0, &mut out[2..]);
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_signature(s: &str) -> Result<Signature, String> {
    let bad = || "Invalid signature format. Expected hex string.".to_owned();
    let hex_part = s.strip_prefix("0x").ok_or_else(bad)?;
    let mut arr = [0u8; 64];
    hex::decode_to_slice(hex_part, &mut arr).map_err(|_| bad())?;
    Ok(Signature(arr))
}

/// Builder of an axon: attach synapses, optional blacklist and priority, then [`Axon::serve`].
pub struct Axon {
    pair: Pair,
    config: AxonConfig,
    routes: Vec<(&'static str, Arc<dyn Route>)>,
    blacklist: Option<Arc<BlacklistFn>>,
    priority: Option<Arc<PriorityFn>>,
}

impl Axon {
    /// An axon signing as `pair`'s hotkey, with the built-in `/Synapse` ping route.
    pub fn new(pair: Pair) -> Axon {
        let axon = Axon {
            pair,
            config: AxonConfig::default(),
            routes: Vec::new(),
            blacklist: None,
            priority: None,
        };
        axon.attach::<Ping, _, _>(|s| async move { Ok(s) })
    }

    /// Replaces the limits.
    pub fn config(mut self, config: AxonConfig) -> Axon {
        self.config = config;
        self
    }

    fn add_route(mut self, name: &'static str, route: Arc<dyn Route>) -> Axon {
        self.routes.retain(|(n, _)| *n != name);
        self.routes.push((name, route));
        self
    }

    /// Serves `POST /<S::NAME>` with `forward`, which gets the body synapse and returns the
    /// answer (its `axon` status is filled in by the axon).
    pub fn attach<S, F, Fut>(self, forward: F) -> Axon
    where
        S: Synapse,
        F: Fn(Envelope<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Envelope<S>, ForwardError>> + Send + 'static,
    {
        self.attach_with(RouteOptions::default(), forward)
    }

    /// [`Axon::attach`] with per-synapse options (e.g. a forward timeout).
    pub fn attach_with<S, F, Fut>(self, options: RouteOptions, forward: F) -> Axon
    where
        S: Synapse,
        F: Fn(Envelope<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Envelope<S>, ForwardError>> + Send + 'static,
    {
        let route = UnaryRoute {
            forward: Arc::new(forward),
            timeout: options.timeout,
            _synapse: PhantomData::<fn() -> S>,
        };
        self.add_route(S::NAME, Arc::new(route))
    }

    /// Serves a streaming synapse: `forward` sends chunks (each one HTTP chunk, no framing
    /// added) and returns when done; the response is `200 text/event-stream`.
    pub fn attach_stream<S, F, Fut>(self, options: RouteOptions, forward: F) -> Axon
    where
        S: Synapse,
        F: Fn(Envelope<S>, ChunkSender) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ForwardError>> + Send + 'static,
    {
        let route = StreamRoute {
            forward: Arc::new(forward),
            timeout: options.timeout,
            _synapse: PhantomData::<fn() -> S>,
        };
        self.add_route(S::NAME, Arc::new(route))
    }

    /// Refuses callers before verification: return `Some(reason)` to answer 403.
    pub fn blacklist(
        mut self,
        f: impl Fn(&HeaderSynapse) -> Option<String> + Send + Sync + 'static,
    ) -> Axon {
        self.blacklist = Some(Arc::new(f));
        self
    }

    /// Orders queued requests: higher first (conventionally the caller's stake in RAO).
    pub fn priority(mut self, f: impl Fn(&HeaderSynapse) -> u64 + Send + Sync + 'static) -> Axon {
        self.priority = Some(Arc::new(f));
        self
    }

    /// Binds `addr` (port 0 picks a free port) and serves in the background.
    pub async fn serve(self, addr: SocketAddr) -> Result<AxonHandle, AxonError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| AxonError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| AxonError::Bind { addr, source })?;
        let names: Vec<&str> = self.routes.iter().map(|(n, _)| *n).collect();
        let shared = Arc::new(Shared {
            hotkey: self.pair.public().to_ss58(),
            pair: self.pair,
            uuid: uuid::Uuid::new_v4().to_string(),
            route_list: py_list(&names),
            routes: self
                .routes
                .into_iter()
                .map(|(n, r)| (n.to_owned(), r))
                .collect(),
            blacklist: self.blacklist,
            priority: self.priority,
            nonces: Mutex::new(HashMap::new()),
            verifier: Arc::new(Verifier::new(self.config.key_capacity)),
            scheduler: Scheduler::new(self.config.workers, self.config.queue),
            config: self.config,
        });
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, shared, rx));
        Ok(AxonHandle {
            local_addr,
            shutdown,
            task,
        })
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(shared.config.max_connections.max(1)));
    loop {
        let slot = tokio::select! {
            s = Arc::clone(&slots).acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => return,
            },
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(conn) => conn,
                Err(_) => {
                    // Out of file descriptors or a reset before accept: back off briefly.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let header_timeout = shared.config.header_read_timeout;
            let service = hyper::service::service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(shared.handle(req, peer).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(slot);
        });
    }
}

/// A running axon. Dropping the handle stops it, like [`AxonHandle::shutdown`] without waiting.
pub struct AxonHandle {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl AxonHandle {
    /// The bound address (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets open connections finish their current request, and returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_format_rules() {
        assert!(parse_signature("abcd").is_err());
        assert!(parse_signature("0xzz").is_err());
        let ok = format!("0x{}", "AB".repeat(64));
        assert_eq!(parse_signature(&ok).unwrap().0, [0xab; 64]);
        assert!(parse_signature(&format!("0x{}", "ab".repeat(63))).is_err());
        assert!(parse_signature(&format!("0x{}", "ab".repeat(65))).is_err());
        let sig = Signature(std::array::from_fn(|i| i as u8));
        assert_eq!(signature_hex(&sig), format!("0x{}", hex::encode(sig.0)));
        assert_eq!(parse_signature(&signature_hex(&sig)).unwrap().0, sig.0);
    }
}
