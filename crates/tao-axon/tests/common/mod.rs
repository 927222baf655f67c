//! Helpers shared by the integration tests: the Python interpreter, free ports, a Python axon
//! child process, the test axon, and a raw HTTP/1.1 client for hand-made requests.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tao_axon::dummy::{Dummy, DummyStream, forward_dummy, forward_dummy_stream};
use tao_axon::synapse::EMPTY_BODY_HASH;
use tao_axon::{
    Axon, AxonConfig, AxonHandle, Envelope, ForwardError, HeaderSynapse, RouteOptions, TerminalInfo,
};
use tao_crypto::Pair;

tao_axon::synapse! {
    /// A synapse with a required field and hashed fields in non-declaration order.
    pub struct HashedEcho {
        pub text: String,
        pub input: i64 = 0,
        pub output: Option<String> = None,
    }
    hash = [text, input]
}

/// `output = "{text}:{input}"`, as the Python helper axon does.
pub async fn forward_hashed(
    mut s: Envelope<HashedEcho>,
) -> Result<Envelope<HashedEcho>, ForwardError> {
    s.fields.output = Some(format!("{}:{}", s.fields.text, s.fields.input));
    Ok(s)
}

pub fn pair(uri: &str) -> Pair {
    Pair::from_uri(uri).unwrap()
}

/// The interpreter with bittensor 10.5.0: $TAO_PYTHON, else <workspace>/.venv/bin/python3.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("TAO_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python3");
    assert!(
        venv.exists(),
        "no Python interpreter for the interop tests: set TAO_PYTHON or run `bash scripts/test.sh` \
         (it creates {} with scripts/requirements-interop.txt)",
        venv.display()
    );
    venv
}

pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls until something accepts on 127.0.0.1:port (bounded: 600 tries, 50 ms apart).
pub fn wait_port(port: u16) {
    for _ in 0..600 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listening on 127.0.0.1:{port} after 30 s");
}

/// A Python axon child process, killed on drop.
pub struct PyAxon {
    pub port: u16,
    child: Child,
}

impl PyAxon {
    pub fn start(uri: &str) -> PyAxon {
        let port = free_port();
        let child = Command::new(python())
            .arg(script("py_axon.py"))
            .arg(port.to_string())
            .arg(uri)
            .current_dir(script(""))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the Python axon");
        let axon = PyAxon { port, child };
        wait_port(port);
        axon
    }
}

impl Drop for PyAxon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the Python dendrite helper and parses its JSON output.
pub fn py_dendrite(args: &[&str]) -> serde_json::Value {
    let out = Command::new(python())
        .arg(script("py_dendrite.py"))
        .args(args)
        .current_dir(script(""))
        .output()
        .expect("run the Python dendrite");
    assert!(
        out.status.success(),
        "python dendrite failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or("");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("bad output {stdout:?}: {e}"))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The tao counterpart of py_axon.py: same synapses, //Charlie blacklisted with reason "test".
pub async fn start_axon(uri: &str, config: AxonConfig) -> AxonHandle {
    let charlie = pair("//Charlie").public().to_ss58();
    Axon::new(pair(uri))
        .config(config)
        .attach(forward_dummy)
        .attach(forward_hashed)
        .attach_stream::<DummyStream, _, _>(RouteOptions::default(), forward_dummy_stream)
        .blacklist(move |h: &HeaderSynapse| {
            (h.dendrite.hotkey.as_deref() == Some(charlie.as_str())).then(|| "test".to_owned())
        })
        .serve("127.0.0.1:0".parse::<SocketAddr>().unwrap())
        .await
        .unwrap()
}

pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// A hand-made request.
#[derive(Clone, Debug)]
pub struct Raw {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A `Dummy(input)` request signed by `signer`, claiming `claimed` as dendrite hotkey (the
/// signer's own when None), for the axon hotkey `axon_hotkey`.
pub fn dummy_request(
    signer: &Pair,
    claimed: Option<&str>,
    axon_hotkey: &str,
    nonce: u64,
    uuid: &str,
    input: i64,
) -> Raw {
    let hotkey = claimed.map_or_else(|| signer.public().to_ss58(), str::to_owned);
    let message = format!("{nonce}.{hotkey}.{axon_hotkey}.{uuid}.{EMPTY_BODY_HASH}");
    let signature = format!("0x{}", hex::encode(signer.sign(message.as_bytes()).0));
    let mut env = Envelope::new(Dummy {
        input,
        output: None,
    });
    env.dendrite = TerminalInfo {
        ip: Some("127.0.0.2".into()),
        version: Some(tao_axon::VERSION_AS_INT),
        nonce: Some(nonce),
        uuid: Some(uuid.into()),
        hotkey: Some(hotkey),
        signature: Some(signature),
        ..Default::default()
    };
    env.axon = TerminalInfo {
        ip: Some("127.0.0.1".into()),
        port: Some(8091),
        hotkey: Some(axon_hotkey.into()),
        ..Default::default()
    };
    let hs = HeaderSynapse {
        name: "Dummy".into(),
        timeout: 12.0,
        axon: env.axon.clone(),
        dendrite: env.dendrite.clone(),
        computed_body_hash: EMPTY_BODY_HASH.into(),
    };
    let mut map = http::HeaderMap::new();
    hs.write(&mut map, &[], 0);
    Raw {
        method: "POST",
        path: "/Dummy".into(),
        headers: map
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect(),
        body: serde_json::to_vec(&env).unwrap(),
    }
}

impl Raw {
    pub fn without(mut self, header: &str) -> Raw {
        self.headers.retain(|(k, _)| k != header);
        self
    }

    pub fn with(mut self, header: &str, value: &str) -> Raw {
        self.headers.retain(|(k, _)| k != header);
        self.headers.push((header.into(), value.into()));
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
            self.method, self.path
        );
        for (k, v) in &self.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn message(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        v.get("message")?.as_str().map(str::to_owned)
    }

    pub fn bt_header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .filter(|(k, _)| k.starts_with("bt_header_"))
            .map(|(k, _)| k.clone())
            .collect();
        names.sort();
        names
    }
}

/// Sends raw bytes on a fresh connection and reads the answer until the server closes it.
pub fn send_bytes(port: u16, bytes: &[u8]) -> RawResponse {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(bytes).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    parse_response(&buf)
}

pub fn send(port: u16, raw: &Raw) -> RawResponse {
    send_bytes(port, &raw.bytes())
}

pub fn parse_response(buf: &[u8]) -> RawResponse {
    let text = String::from_utf8_lossy(buf);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Waits (bounded) until `f` holds, polling every 10 ms for at most `limit`.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}
