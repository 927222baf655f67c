//! Minimal JSON-RPC 2.0 over HTTP/1.1: `tao_head` → `{number, hash, finalized_number}`.
//!
//! One request per connection (`Connection: close`), served on a plain thread beside the
//! consensus runtime, which it only reads through [`SharedHead`]. The full RPC (WebSocket,
//! subscriptions, `tao_*`/`eth_*` methods) replaces this later.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    thread::JoinHandle,
    time::Duration,
};

use serde_json::{Value, json};

use crate::Digest;

/// Largest request accepted, in bytes (headers and body each).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// How long a client may take to send its request or read the answer.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The chain head as RPC reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Height of the best block.
    pub number: u64,
    /// Digest of the best block.
    pub hash: Digest,
    /// Height of the latest finalized block.
    pub finalized_number: u64,
}

/// Head shared between the node (writer) and the RPC server (reader).
pub type SharedHead = Arc<Mutex<Head>>;

/// Serves JSON-RPC on `listener` until the process exits.
pub fn serve(listener: TcpListener, head: SharedHead) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // A failing client only loses its own connection.
            let _ = handle(stream, &head);
        }
    })
}

fn handle(stream: TcpStream, head: &SharedHead) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut content_length = None;
    let mut header_bytes = 0usize;
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        header_bytes += n;
        if n == 0 || header_bytes > MAX_REQUEST_BYTES {
            return respond(
                &mut writer,
                400,
                &json!({"error": "request headers too large or cut"}),
            );
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse::<usize>().ok();
        }
    }
    if !request_line.starts_with("POST ") {
        return respond(
            &mut writer,
            405,
            &json!({"error": "send JSON-RPC 2.0 requests with POST"}),
        );
    }
    let Some(length) = content_length.filter(|&n| n <= MAX_REQUEST_BYTES) else {
        return respond(
            &mut writer,
            411,
            &json!({"error": format!("Content-Length required, at most {MAX_REQUEST_BYTES} bytes")}),
        );
    };
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let response = match serde_json::from_slice::<Value>(&body) {
        Ok(request) => answer(&request, head),
        Err(err) => error(Value::Null, -32700, &format!("parse error: {err}")),
    };
    respond(&mut writer, 200, &response)
}

/// The JSON-RPC response to one request object.
fn answer(request: &Value, head: &SharedHead) -> Value {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    if request.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return error(id, -32600, "invalid request: \"jsonrpc\" must be \"2.0\"");
    }
    match request.get("method").and_then(Value::as_str) {
        Some("tao_head") => {
            let head = match head.lock() {
                Ok(head) => *head,
                Err(poisoned) => *poisoned.into_inner(),
            };
            json!({
                "jsonrpc": "2.0",
                "id": id,
                "result": {
                    "number": head.number,
                    "hash": format!("0x{}", hex(&head.hash)),
                    "finalized_number": head.finalized_number,
                },
            })
        }
        Some(method) => error(
            id,
            -32601,
            &format!("method `{method}` not found (try tao_head)"),
        ),
        None => error(id, -32600, "invalid request: \"method\" must be a string"),
    }
}

fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn hex(digest: &Digest) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn respond(writer: &mut TcpStream, status: u16, body: &Value) -> std::io::Result<()> {
    let body = body.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        _ => "Length Required",
    };
    write!(
        writer,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    writer.flush()
}
