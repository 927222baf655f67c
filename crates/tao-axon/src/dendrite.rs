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

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tao_crypto::Pair;

use crate::synapse::{Envelope, Synapse, TerminalInfo, VERSION_AS_INT, py_float};
use crate::wire::HeaderSynapse;

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

struct Inner {
    pair: Pair,
    hotkey: String,
    uuid: String,
    external_ip: String,
    client: Client<HttpConnector, Full<Bytes>>,
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
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_keepalive(Some(Duration::from_secs(60)));
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Dendrite {
            inner: Arc::new(Inner {
                hotkey: pair.public().to_ss58(),
                pair,
                uuid: uuid::Uuid::new_v4().to_string(),
                external_ip: external_ip.to_owned(),
                client,
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

    /// Fills the terminal fields, signs, and builds the HTTP request.
    fn prepare<S: Synapse>(
        &self,
        axon: &AxonInfo,
        fields: S,
        timeout: Duration,
    ) -> (Envelope<S>, Request<Full<Bytes>>) {
        let inner = &self.inner;
        let mut env = Envelope::new(fields);
        env.timeout = timeout.as_secs_f64();
        let nonce = self.next_nonce();
        let body_hash = env.fields.body_hash();
        let message = format!(
            "{nonce}.{}.{}.{}.{body_hash}",
            inner.hotkey, axon.hotkey, inner.uuid
        );
        let signature = format!("0x{}", hex::encode(inner.pair.sign(message.as_bytes()).0));
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
        let body = serde_json::to_vec(&env).unwrap_or_default();
        let host = if axon.ip == inner.external_ip {
            "0.0.0.0".to_owned()
        } else if axon.ip.contains(':') {
            format!("[{}]", axon.ip)
        } else {
            axon.ip.clone()
        };
        let mut req = Request::new(Full::new(Bytes::from(body)));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = format!("http://{host}:{}/{}", axon.port, S::NAME)
            .parse()
            .unwrap_or_default();
        let map = req.headers_mut();
        let inputs: Vec<(&str, String)> = S::required_fields()
            .iter()
            .filter_map(|f| S::empty_field_json(f).map(|j| (*f, j)))
            .collect();
        HeaderSynapse {
            name: S::NAME.to_owned(),
            timeout: env.timeout,
            axon: env.axon.clone(),
            dendrite: env.dendrite.clone(),
            computed_body_hash: body_hash,
        }
        .write(map, &inputs, 0);
        map.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        (env, req)
    }

    async fn send(
        &self,
        req: Request<Full<Bytes>>,
        deadline: tokio::time::Instant,
    ) -> Result<Response<Incoming>, Failure> {
        match tokio::time::timeout_at(deadline, self.inner.client.request(req)).await {
            Err(_) => Err(Failure::Timeout),
            Ok(Err(e)) if e.is_connect() => Err(Failure::Connect),
            Ok(Err(e)) => Err(Failure::Disconnected(e.to_string())),
            Ok(Ok(resp)) => Ok(resp),
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
        let (mut env, req) = self.prepare(axon, fields, timeout);
        let outcome = match self.send(req, deadline).await {
            Ok(resp) => {
                let (parts, body) = resp.into_parts();
                match tokio::time::timeout_at(deadline, body.collect()).await {
                    Ok(Ok(bytes)) => Ok((parts, bytes.to_bytes())),
                    Ok(Err(e)) => Err(Failure::Disconnected(e.to_string())),
                    Err(_) => Err(Failure::Timeout),
                }
            }
            Err(f) => Err(f),
        };
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
        let (mut env, req) = self.prepare(axon, fields, timeout);
        let mut body = None;
        match self.send(req, deadline).await {
            Ok(resp) if resp.status() == StatusCode::OK => {
                let (parts, incoming) = resp.into_parts();
                let _ = merge_response(&mut env, parts.status, &parts.headers, None);
                body = Some(incoming);
            }
            Ok(resp) => {
                let (parts, incoming) = resp.into_parts();
                let bytes = tokio::time::timeout_at(deadline, incoming.collect()).await;
                let bytes = match bytes {
                    Ok(Ok(b)) => b.to_bytes(),
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
            deadline,
            start,
        }
    }
}

/// An answer of a streaming synapse being received.
pub struct StreamCall<S> {
    /// The synapse with the terminal fields known so far (final once the stream ended).
    pub synapse: Envelope<S>,
    body: Option<Incoming>,
    deadline: tokio::time::Instant,
    start: Instant,
}

impl<S: Synapse> StreamCall<S> {
    /// The next chunk exactly as the miner sent it; `None` at the end of the stream, after a
    /// failure (then the synapse says 408/503) or when the answer was not a stream.
    pub async fn next_chunk(&mut self) -> Option<Bytes> {
        let body = self.body.as_mut()?;
        loop {
            match tokio::time::timeout_at(self.deadline, body.frame()).await {
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        return Some(data);
                    }
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
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
        self.body = None;
        self.synapse.dendrite.process_time = Some(self.start.elapsed().as_secs_f64());
        None
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
