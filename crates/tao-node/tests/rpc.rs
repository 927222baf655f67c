//! The minimal JSON-RPC server, over a real socket on 127.0.0.1.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{Arc, Mutex},
};

use serde_json::{Value, json};
use tao_node::{
    Digest,
    rpc::{self, Head},
};

fn start() -> (SocketAddr, rpc::SharedHead) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let head = Arc::new(Mutex::new(Head {
        number: 0,
        hash: Digest([0; 32]),
        finalized_number: 0,
    }));
    rpc::serve(listener, head.clone());
    (addr, head)
}

/// Sends one raw HTTP request and returns (status, body as JSON).
fn send(addr: SocketAddr, request: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap())
}

fn post(addr: SocketAddr, body: &str) -> (u16, Value) {
    send(
        addr,
        &format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn tao_head_reports_the_shared_head() {
    let (addr, head) = start();
    *head.lock().unwrap() = Head {
        number: 12,
        hash: Digest([0xab; 32]),
        finalized_number: 11,
    };
    let (status, body) = post(addr, r#"{"jsonrpc":"2.0","id":7,"method":"tao_head"}"#);
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"jsonrpc": "2.0", "id": 7, "result": {
            "number": 12,
            "hash": format!("0x{}", "ab".repeat(32)),
            "finalized_number": 11,
        }})
    );
}

#[test]
fn errors_follow_json_rpc() {
    let (addr, _) = start();
    let (_, body) = post(addr, r#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#);
    assert_eq!(body["error"]["code"], -32601);
    assert_eq!(body["id"], 1);
    let (_, body) = post(addr, "{not json");
    assert_eq!(body["error"]["code"], -32700);
    let (_, body) = post(addr, r#"{"id":2,"method":"tao_head"}"#);
    assert_eq!(body["error"]["code"], -32600);
    let (status, _) = send(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 405);
    let (status, _) = send(addr, "POST / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 411);
}
