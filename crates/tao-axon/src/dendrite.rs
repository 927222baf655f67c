//! The dendrite: a pooled keep-alive HTTP client that signs synapses and fans them out.
//!
//! Per request (spec §3, §5.1, §7, §8):
//!
//! ```text
//! nonce   = max(now_ns, last_nonce + 1)            (strictly increasing per dendrite)
//! message = "{nonce}.{dendrite hotkey}.{axon hotkey}.{uuid}.{body_hash}"
//! POST http://{axon ip}:{port}/{Name}  headers + JSON body, signature "0x" + hex(sr25519)
//! 200     -> the server's synapse, then non-null bt_header_* values overlaid
//! other   -> axon.status_code = HTTP status, axon.status_message = body "message"
//! always  -> dendrite.status_code/message = axon's; dendrite.process_time = elapsed seconds
//! client-side failures -> 408 timeout, 503 unavailable/disconnected, 422 unparsable
//! ```
//!
//! Connections are HTTP/1.1 keep-alive, pooled per axon address and driven by the task making
//! the call (no connection task and no cross-task hand-over per request); a request that a
//! stale pooled connection could not send is retried on another.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tao_crypto::Pair;
use tokio::net::TcpStream;

use crate::axon::signature_hex;
use crate::synapse::{Envelope, Synapse, TerminalInfo, VERSION_AS_INT, py_float};
use crate::wire::{HeaderRef, HeaderSynapse};

/// Where to reach an axon: the reference's on-chain `AxonInfo` fields the dendrite uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxonInfo {
    /// IP address (v4 or v6).
    pub ip: String,
    /// TCP port.
    pub port: u16,
    /// The axon's SS58 hotkey; requests are signed for it.
    pub hotkey: String,
}

/// Request headers reserved up front (about 16 are sent), so the map never grows mid-request.
const HEADER_CAPACITY: usize = 24;
/// Request body buffer reserved up front: a small synapse's JSON is about 700 bytes.
const BODY_CAPACITY: usize = 1024;

/// Idle keep-alive connections older than this are closed instead of reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per axon address; more are closed when they come back.
const MAX_IDLE_PER_AXON: usize = 256;

type Driver = http1::Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// One keep-alive HTTP/1.1 connection. The task that has it checked out drives it (no
/// connection task, no hand-over between tasks per request).
struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: Pin<Box<Driver>>,
    /// False once the driver finished (the connection closed); it is never polled again.
    open: bool,
    idle_since: Instant,
    reused: bool,
}

/// Why a connection failed while in use.
enum ConnError {
    /// The request was never sent (a stale keep-alive connection): safe to retry.
    NotSent(Box<Request<Full<Bytes>>>),
    /// Anything else, as text for the 503 message.
    Broken(String),
}

impl Conn {
    async fn connect(host: &str, port: u16) -> std::io::Result<Conn> {
        let stream = TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        let (sender, driver) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        Ok(Conn {
            sender,
            driver: Box::pin(driver),
            open: true,
            idle_since: Instant::now(),
            reused: false,
        })
    }

    /// Polls `fut` to completion while driving the connection. `Err` when the connection
    /// ended and `fut` could not finish without it.
    async fn drive<F: Future>(&mut self, fut: F) -> Result<F::Output, String> {
        let mut fut = pin!(fut);
        let mut ended = None;
        poll_fn(|cx| {
            if self.open
                && let Poll::Ready(r) = self.driver.as_mut().poll(cx)
            {
                self.open = false;
                ended = Some(r.map_or_else(|e| e.to_string(), |()| "connection closed".into()));
            }
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return Poll::Ready(Ok(out));
            }
            match ended.take() {
                Some(reason) => Poll::Ready(Err(reason)),
                None if self.open => Poll::Pending,
                None => Poll::Ready(Err("connection closed".into())),
            }
        })
        .await
    }

    /// Sends `req` and waits for the response head.
    async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<Response<Incoming>, ConnError> {
        let fut = self.sender.try_send_request(req);
        match self.drive(fut).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(mut e)) => match e.take_message() {
                Some(req) => Err(ConnError::NotSent(Box::new(req))),
                None => Err(ConnError::Broken(e.into_error().to_string())),
            },
            Err(reason) => Err(ConnError::Broken(reason)),
        }
    }

    /// True when the connection is open and has no request in flight, after noticing a close
    /// by the server that arrived while it was idle.
    async fn usable(&mut self) -> bool {
        if self.open {
            let closed = poll_fn(|cx| Poll::Ready(self.driver.as_mut().poll(cx).is_ready())).await;
            self.open = !closed;
        }
        self.open && self.sender.is_ready()
    }
}

/// Idle connections by axon `(host, port)`.
#[derive(Default)]
struct Pool {
    idle: Mutex<HashMap<(String, u16), Vec<Conn>>>,
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u16), Vec<Conn>>> {
        // A poisoned lock only means a panic elsewhere mid-push/pop; the map is still sound.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An open idle connection to `host:port`, or a new one.
    async fn checkout(&self, host: &str, port: u16) -> std::io::Result<Conn> {
        loop {
            let conn = self
                .lock()
                .get_mut(&(host.to_owned(), port))
                .and_then(Vec::pop);
            let Some(mut conn) = conn else { break };
            if conn.idle_since.elapsed() < IDLE_TIMEOUT && conn.usable().await {
                conn.reused = true;
                return Ok(conn);
            }
        }
        Conn::connect(host, port).await
    }

    /// Returns a connection for reuse if it can carry another request.
    async fn checkin(&self, host: &str, port: u16, mut conn: Conn) {
        if !conn.usable().await {
            return;
        }
        conn.idle_since = Instant::now();
        let mut idle = self.lock();
        let list = idle.entry((host.to_owned(), port)).or_default();
        if list.len() < MAX_IDLE_PER_AXON {
            list.push(conn);
        }
    }
}

struct Inner {
    pair: Pair,
    hotkey: String,
    uuid: String,
    external_ip: String,
    pool: Pool,
    last_nonce: AtomicU64,
}

/// A validator's client. Cheap to clone; clones share the connection pool and nonce counter.
#[derive(Clone)]
pub struct Dendrite {
    inner: Arc<Inner>,
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// What happened to a request before an HTTP answer arrived.
enum Failure {
    Timeout,
    Connect,
    Disconnected(String),
}

impl Dendrite {
    /// A dendrite signing with `pair` that reports `127.0.0.1` as its IP (the reference looks
    /// its external IP up on the internet; see [`Dendrite::with_external_ip`]).
    pub fn new(pair: Pair) -> Dendrite {
        Dendrite::with_external_ip(pair, "127.0.0.1")
    }

    /// A dendrite reporting `external_ip` in `bt_header_dendrite_ip`; axons at that IP are
    /// reached through `0.0.0.0`, as the reference does.
    pub fn with_external_ip(pair: Pair, external_ip: &str) -> Dendrite {
        Dendrite {
            inner: Arc::new(Inner {
                hotkey: pair.public().to_ss58(),
                pair,
                uuid: uuid::Uuid::new_v4().to_string(),
                external_ip: external_ip.to_owned(),
                pool: Pool::default(),
                last_nonce: AtomicU64::new(0),
            }),
        }
    }

    /// SS58 hotkey this dendrite signs with.
    pub fn hotkey(&self) -> &str {
        &self.inner.hotkey
    }

    /// The per-object UUID sent as `bt_header_dendrite_uuid`.
    pub fn uuid(&self) -> &str {
        &self.inner.uuid
    }

    fn next_nonce(&self) -> u64 {
        let now = now_ns();
        let prev = self
            .inner
            .last_nonce
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| {
                Some(now.max(last.saturating_add(1)))
            })
            .unwrap_or(0);
        now.max(prev.saturating_add(1))
    }

    /// Fills the terminal fields, signs, and builds the HTTP request; also returns the host to
    /// connect to.
    fn prepare<S: Synapse>(
        &self,
        axon: &AxonInfo,
        fields: S,
        timeout: Duration,
    ) -> (Envelope<S>, Request<Full<Bytes>>, String) {
        let inner = &self.inner;
        let mut env = Envelope::new(fields);
        env.timeout = timeout.as_secs_f64();
        let nonce = self.next_nonce();
        let body_hash = env.fields.body_hash();
        let message = format!(
            "{nonce}.{}.{}.{}.{body_hash}",
            inner.hotkey, axon.hotkey, inner.uuid
        );
        let signature = signature_hex(&inner.pair.sign(message.as_bytes()));
        env.dendrite = TerminalInfo {
            ip: Some(inner.external_ip.clone()),
            version: Some(VERSION_AS_INT),
            nonce: Some(nonce),
            uuid: Some(inner.uuid.clone()),
            hotkey: Some(inner.hotkey.clone()),
            signature: Some(signature),
            ..TerminalInfo::default()
        };
        env.axon = TerminalInfo {
            ip: Some(axon.ip.clone()),
            port: Some(axon.port),
            hotkey: Some(axon.hotkey.clone()),
            ..TerminalInfo::default()
        };
        let mut body = Vec::with_capacity(BODY_CAPACITY);
        if serde_json::to_writer(&mut body, &env).is_err() {
            body.clear();
        }
        let host = if axon.ip == inner.external_ip {
            "0.0.0.0".to_owned()
        } else {
            axon.ip.clone()
        };
        let mut req = Request::new(Full::new(Bytes::from(body)));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = format!("/{}", S::NAME).parse().unwrap_or_default();
        let map = req.headers_mut();
        map.reserve(HEADER_CAPACITY);
        // As an HTTP client library writes it: port omitted when it is 80, IPv6 in brackets.
        let authority = match (host.contains(':'), axon.port) {
            (true, 80) => format!("[{host}]"),
            (true, port) => format!("[{host}]:{port}"),
            (false, 80) => host.clone(),
            (false, port) => format!("{host}:{port}"),
        };
        if let Ok(v) = HeaderValue::try_from(authority) {
            map.insert(header::HOST, v);
        }
        let inputs: Vec<(&str, String)> = S::required_fields()
            .iter()
            .filter_map(|f| S::empty_field_json(f).map(|j| (*f, j)))
            .collect();
        HeaderRef {
            name: S::NAME,
            timeout: env.timeout,
            axon: &env.axon,
            dendrite: &env.dendrite,
            computed_body_hash: &body_hash,
        }
        .write(map, &inputs, 0);
        map.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        (env, req, host)
    }

    /// Sends `req` on a pooled or new connection and waits for the response head. A request a
    /// stale keep-alive connection could not send is retried on the next one.
    async fn exchange(
        &self,
        host: &str,
        port: u16,
        mut req: Request<Full<Bytes>>,
    ) -> Result<(Conn, Response<Incoming>), Failure> {
        loop {
            let mut conn = self
                .inner
                .pool
                .checkout(host, port)
                .await
                .map_err(|_| Failure::Connect)?;
            match conn.send(req).await {
                Ok(resp) => return Ok((conn, resp)),
                // Each retry drops one pooled connection, so this ends.
                Err(ConnError::NotSent(back)) if conn.reused => req = *back,
                Err(ConnError::NotSent(_)) => {
                    let msg = "connection closed before the request was sent";
                    return Err(Failure::Disconnected(msg.into()));
                }
                Err(ConnError::Broken(e)) => return Err(Failure::Disconnected(e)),
            }
        }
    }

    /// Sends `fields` to one axon and waits at most `timeout`. Never fails: the outcome is in
    /// the returned synapse's `dendrite.status_code` / `status_message`, as in the reference.
    pub async fn call<S: Synapse>(
        &self,
        axon: &AxonInfo,
        fields: S,
        timeout: Duration,
    ) -> Envelope<S> {
        let start = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        let (mut env, req, host) = self.prepare(axon, fields, timeout);
        let exchange = async {
            let (mut conn, resp) = self.exchange(&host, axon.port, req).await?;
            let (parts, body) = resp.into_parts();
            let bytes = collect(&mut conn, body).await?;
            self.inner.pool.checkin(&host, axon.port, conn).await;
            Ok((parts, bytes))
        };
        let outcome = tokio::time::timeout_at(deadline, exchange)
            .await
            .unwrap_or(Err(Failure::Timeout));
        match outcome {
            Ok((parts, bytes)) => {
                if let Err(e) = merge_response(&mut env, parts.status, &parts.headers, Some(&bytes))
                {
                    set_status(&mut env, 422, format!("Failed to parse response: {e}"));
                }
            }
            Err(f) => failure_status(&mut env, f, axon),
        }
        env.dendrite.process_time = Some(start.elapsed().as_secs_f64());
        env
    }

    /// Sends `fields` to every axon concurrently (one task each), each with `timeout`; the
    /// results are in the order of `axons`.
    pub async fn forward<S: Synapse>(
        &self,
        axons: &[AxonInfo],
        fields: S,
        timeout: Duration,
    ) -> Vec<Envelope<S>> {
        let mut set = tokio::task::JoinSet::new();
        for (i, axon) in axons.iter().enumerate() {
            let this = self.clone();
            let axon = axon.clone();
            let fields = fields.clone();
            set.spawn(async move { (i, this.call(&axon, fields, timeout).await) });
        }
        let mut out: Vec<Option<Envelope<S>>> = vec![None; axons.len()];
        while let Some(joined) = set.join_next().await {
            if let Ok((i, env)) = joined {
                out[i] = Some(env);
            }
        }
        out.into_iter()
            .zip(axons)
            .map(|(env, axon)| {
                env.unwrap_or_else(|| {
                    let mut env = Envelope::new(fields.clone());
                    failure_status(&mut env, Failure::Disconnected("task failed".into()), axon);
                    env
                })
            })
            .collect()
    }

    /// Calls a streaming synapse. The returned [`StreamCall`] carries the synapse with the
    /// terminal fields from the response headers, then yields the raw chunks.
    pub async fn call_stream<S: Synapse>(
        &self,
        axon: &AxonInfo,
        fields: S,
        timeout: Duration,
    ) -> StreamCall<S> {
        let start = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        let (mut env, req, host) = self.prepare(axon, fields, timeout);
        let mut body = None;
        let exchange = tokio::time::timeout_at(deadline, self.exchange(&host, axon.port, req));
        match exchange.await.unwrap_or(Err(Failure::Timeout)) {
            Ok((conn, resp)) if resp.status() == StatusCode::OK => {
                let (parts, incoming) = resp.into_parts();
                let _ = merge_response(&mut env, parts.status, &parts.headers, None);
                body = Some((incoming, conn));
            }
            Ok((mut conn, resp)) => {
                let (parts, incoming) = resp.into_parts();
                let bytes = tokio::time::timeout_at(deadline, collect(&mut conn, incoming)).await;
                let bytes = match bytes {
                    Ok(Ok(b)) => b,
                    _ => Bytes::new(),
                };
                if let Err(e) = merge_response(&mut env, parts.status, &parts.headers, Some(&bytes))
                {
                    set_status(&mut env, 422, format!("Failed to parse response: {e}"));
                }
            }
            Err(f) => failure_status(&mut env, f, axon),
        }
        env.dendrite.process_time = Some(start.elapsed().as_secs_f64());
        StreamCall {
            synapse: env,
            body,
            home: (self.clone(), host, axon.port),
            deadline,
            start,
        }
    }
}

/// An answer of a streaming synapse being received.
pub struct StreamCall<S> {
    /// The synapse with the terminal fields known so far (final once the stream ended).
    pub synapse: Envelope<S>,
    /// The response body and the connection carrying it, until the stream ends.
    body: Option<(Incoming, Conn)>,
    /// Where the connection goes back to when the stream ended cleanly.
    home: (Dendrite, String, u16),
    deadline: tokio::time::Instant,
    start: Instant,
}

impl<S: Synapse> StreamCall<S> {
    /// The next chunk exactly as the miner sent it; `None` at the end of the stream, after a
    /// failure (then the synapse says 408/503) or when the answer was not a stream.
    pub async fn next_chunk(&mut self) -> Option<Bytes> {
        let (body, conn) = self.body.as_mut()?;
        let mut ended_cleanly = false;
        loop {
            match tokio::time::timeout_at(self.deadline, conn.drive(body.frame())).await {
                Ok(Ok(Some(Ok(frame)))) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        return Some(data);
                    }
                }
                Ok(Ok(None)) => {
                    ended_cleanly = true;
                    break;
                }
                Ok(Ok(Some(Err(e)))) => {
                    set_status(&mut self.synapse, 503, format!("Service disconnected: {e}"));
                    break;
                }
                Ok(Err(e)) => {
                    set_status(&mut self.synapse, 503, format!("Service disconnected: {e}"));
                    break;
                }
                Err(_) => {
                    let msg = format!(
                        "Request timeout after {} seconds",
                        py_float(self.synapse.timeout)
                    );
                    set_status(&mut self.synapse, 408, msg);
                    break;
                }
            }
        }
        if let Some((_, conn)) = self.body.take()
            && ended_cleanly
        {
            let (dendrite, host, port) = &self.home;
            dendrite.inner.pool.checkin(host, *port, conn).await;
        }
        self.synapse.dendrite.process_time = Some(self.start.elapsed().as_secs_f64());
        None
    }
}

/// Reads a whole response body while driving its connection.
async fn collect(conn: &mut Conn, body: Incoming) -> Result<Bytes, Failure> {
    match conn.drive(body.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) => Err(Failure::Disconnected(e.to_string())),
        Err(e) => Err(Failure::Disconnected(e)),
    }
}

fn set_status<S>(env: &mut Envelope<S>, code: u16, message: String) {
    env.dendrite.status_code = Some(code);
    env.dendrite.status_message = Some(message);
}

fn failure_status<S: Synapse>(env: &mut Envelope<S>, failure: Failure, axon: &AxonInfo) {
    let (code, msg) = match failure {
        Failure::Timeout => (
            408,
            format!("Request timeout after {} seconds", py_float(env.timeout)),
        ),
        Failure::Connect => (
            503,
            format!(
                "Service unavailable at {}:{}/{}",
                axon.ip,
                axon.port,
                S::NAME
            ),
        ),
        Failure::Disconnected(e) => (503, format!("Service disconnected: {e}")),
    };
    set_status(env, code, msg);
}

/// The reference's `process_server_response`: body (if given), header overlay, status copy.
fn merge_response<S: Synapse>(
    env: &mut Envelope<S>,
    status: StatusCode,
    headers: &HeaderMap,
    body: Option<&Bytes>,
) -> Result<(), serde_json::Error> {
    match body {
        Some(bytes) if status == StatusCode::OK => {
            let server: Envelope<S> = serde_json::from_slice(bytes)?;
            *env = server;
        }
        Some(bytes) => {
            let value: serde_json::Value = serde_json::from_slice(bytes)?;
            env.axon.status_code = Some(status.as_u16());
            env.axon.status_message = value
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_owned);
        }
        None => {}
    }
    if let Ok(hs) = HeaderSynapse::parse(headers) {
        env.dendrite.overlay(&hs.dendrite);
        env.axon.overlay(&hs.axon);
    }
    if body.is_none() && env.axon.status_code.is_none() {
        env.axon.status_code = Some(status.as_u16());
    }
    env.dendrite.status_code = env.axon.status_code;
    env.dendrite.status_message = env.axon.status_message.clone();
    Ok(())
}
