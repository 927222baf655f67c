//! Bad input and overload against a tao axon on 127.0.0.1: oversized bodies, missing headers,
//! malformed JSON, slow clients, a connection flood and 10x more concurrent requests than the
//! axon admits. Every case is bounded in count and time, and the axon must keep serving. Also
//! the dendrite's side: a pooled connection the axon closed is replaced, not reported as 503.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use tao_axon::dummy::Dummy;
use tao_axon::{Axon, AxonConfig, AxonInfo, Dendrite, Envelope, ForwardError};

fn bob() -> String {
    pair("//Bob").public().to_ss58()
}

fn info(port: u16) -> AxonInfo {
    AxonInfo {
        ip: "127.0.0.1".into(),
        port,
        hotkey: bob(),
    }
}

fn small_config() -> AxonConfig {
    AxonConfig {
        max_body_bytes: 1024,
        header_read_timeout: Duration::from_millis(300),
        ..AxonConfig::default()
    }
}

/// The axon still answers a normal query.
fn still_serving(rt: &tokio::runtime::Runtime, port: u16) {
    let r = rt.block_on(Dendrite::new(pair("//Alice")).call(
        &info(port),
        Dummy {
            input: 4,
            output: None,
        },
        Duration::from_secs(10),
    ));
    assert_eq!(r.dendrite.status_code, Some(200), "{:?}", r.dendrite);
    assert_eq!(r.fields.output, Some(8));
}

#[test]
fn oversized_body_is_refused_with_413() {
    let rt = runtime();
    let axon = rt.block_on(start_axon("//Bob", small_config()));
    let port = axon.local_addr().port();
    let mut raw = dummy_request(&pair("//Alice"), None, &bob(), now_ns(), "big", 1);
    raw.body.extend(std::iter::repeat_n(b' ', 4096));
    let r = send(port, &raw);
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(r.header("bt_header_axon_status_code"), Some("413"));
    assert_eq!(
        r.message().as_deref(),
        Some(
            format!(
                "Request body too large: {} bytes exceeds the limit of 1024 bytes",
                raw.body.len()
            )
            .as_str()
        )
    );

    // The same without Content-Length (chunked): cut off while reading.
    let mut raw = dummy_request(&pair("//Alice"), None, &bob(), now_ns(), "big2", 1);
    raw.body.extend(std::iter::repeat_n(b' ', 4096));
    let bytes = raw.bytes();
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&bytes[..head_end]).replace(
        &format!("Content-Length: {}", raw.body.len()),
        "Transfer-Encoding: chunked",
    );
    let mut chunked = format!("{head}\r\n\r\n{:x}\r\n", raw.body.len()).into_bytes();
    chunked.extend_from_slice(&raw.body);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let r = send_bytes(port, &chunked);
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(
        r.message().as_deref(),
        Some("Request body too large: exceeds the limit of 1024 bytes")
    );
    still_serving(&rt, port);
}

#[test]
fn missing_headers_and_malformed_json() {
    let rt = runtime();
    let axon = rt.block_on(start_axon("//Bob", small_config()));
    let port = axon.local_addr().port();

    let bare = Raw {
        method: "POST",
        path: "/Dummy".into(),
        headers: vec![],
        body: b"{}".to_vec(),
    };
    let r = send(port, &bare);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.message().as_deref(),
        Some("Not Verified with error: No SS58 formatted address or public key provided.")
    );

    let r = send(
        port,
        &dummy_request(&pair("//Alice"), None, &bob(), now_ns(), "x", 1)
            .without("bt_header_dendrite_nonce"),
    );
    assert_eq!(
        r.message().as_deref(),
        Some("Not Verified with error: Missing Nonce")
    );

    let bad = Raw {
        body: b"{\"input\": 1,".to_vec(),
        ..dummy_request(&pair("//Alice"), None, &bob(), now_ns(), "y", 1)
    };
    let r = send(port, &bad);
    assert_eq!(r.status, 422, "{r:?}");
    assert!(r.body.contains("\"type\":\"json_invalid\""), "{}", r.body);

    let wrong_type = Raw {
        body: br#"{"input": "not a number"}"#.to_vec(),
        ..dummy_request(&pair("//Alice"), None, &bob(), now_ns(), "z", 1)
    };
    let r = send(port, &wrong_type);
    assert_eq!(r.status, 500);
    assert!(r.message().unwrap().starts_with("Internal Server Error #"));

    let r = send_bytes(port, b"GARBAGE\r\n\r\n");
    assert_eq!(r.status, 400, "{r:?}");
    still_serving(&rt, port);
}

#[test]
fn slow_clients_are_cut_off() {
    let rt = runtime();
    let axon = rt.block_on(start_axon("//Bob", small_config()));
    let port = axon.local_addr().port();

    // Headers never finished: the connection is closed after the header read timeout.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    slow.write_all(b"POST /Dummy HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    still_serving(&rt, port);
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "slow header client kept for {:?}",
        started.elapsed()
    );

    // Body never finished: 408 once the request's own timeout (0.5 s, unsigned) runs out.
    let raw =
        dummy_request(&pair("//Alice"), None, &bob(), now_ns(), "slow", 1).with("timeout", "0.5");
    let bytes = raw.bytes();
    let cut = bytes.len() - raw.body.len() + 5;
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&bytes[..cut]).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let r = parse_response(&buf);
    assert_eq!(r.status, 408, "{r:?}");
    assert_eq!(r.message().as_deref(), Some("Response timeout after: 0.5s"));
    still_serving(&rt, port);
}

#[test]
fn overload_gets_busy_answers_and_the_axon_keeps_serving() {
    let rt = runtime();
    // 2 workers + 4 queued = 6 admitted at once; 60 concurrent requests is 10x that.
    let config = AxonConfig {
        workers: 2,
        queue: 4,
        ..small_config()
    };
    let axon = rt.block_on(async {
        Axon::new(pair("//Bob"))
            .config(config)
            .attach(|mut s: Envelope<Dummy>| async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                s.fields.output = Some(s.fields.input * 2);
                Ok::<_, ForwardError>(s)
            })
            .serve("127.0.0.1:0".parse::<SocketAddr>().unwrap())
            .await
            .unwrap()
    });
    let port = axon.local_addr().port();
    // One dendrite per caller, as 60 validators would be; all start together.
    let callers: Vec<Dendrite> = (0..60)
        .map(|i| Dendrite::new(pair(&format!("//Caller{i}"))))
        .collect();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(60));
    let results = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, d) in (0..).zip(callers) {
            let target = info(port);
            let start = std::sync::Arc::clone(&start);
            set.spawn(async move {
                start.wait().await;
                let t = Instant::now();
                let r = d
                    .call(
                        &target,
                        Dummy {
                            input: i,
                            output: None,
                        },
                        Duration::from_secs(10),
                    )
                    .await;
                (r, t.elapsed())
            });
        }
        set.join_all().await
    });
    let ok = results
        .iter()
        .filter(|(r, _)| r.dendrite.status_code == Some(200))
        .count();
    let busy: Vec<_> = results
        .iter()
        .filter(|(r, _)| r.dendrite.status_code == Some(503))
        .collect();
    assert_eq!(
        ok + busy.len(),
        60,
        "unexpected statuses: {:?}",
        results.iter().map(|(r, _)| &r.dendrite).collect::<Vec<_>>()
    );
    assert!(ok >= 6, "only {ok} served");
    assert!(!busy.is_empty(), "no busy answers under 10x overload");
    for (r, took) in &busy {
        assert!(
            r.dendrite
                .status_message
                .as_deref()
                .unwrap_or("")
                .starts_with("Service busy: "),
            "{:?}",
            r.dendrite
        );
        assert!(*took < Duration::from_secs(5), "busy answer took {took:?}");
    }
    still_serving(&rt, port);
}

#[test]
fn connection_flood_does_not_lock_out_callers() {
    let rt = runtime();
    let config = AxonConfig {
        max_connections: 8,
        ..small_config()
    };
    let axon = rt.block_on(start_axon("//Bob", config));
    let port = axon.local_addr().port();
    // 80 idle connections, 10x the limit; they are dropped after the header read timeout.
    let idle: Vec<TcpStream> = (0..80)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(!idle.is_empty());
    still_serving(&rt, port);
    drop(idle);
    still_serving(&rt, port);
}

#[test]
fn pooled_connection_closed_by_the_axon_is_replaced() {
    let rt = runtime();
    let serve = |addr: SocketAddr| {
        Axon::new(pair("//Bob"))
            .config(small_config())
            .attach(tao_axon::dummy::forward_dummy)
            .serve(addr)
    };
    let axon = rt
        .block_on(serve(SocketAddr::from(([127, 0, 0, 1], 0))))
        .unwrap();
    let port = axon.local_addr().port();
    let dendrite = Dendrite::new(pair("//Alice"));
    let call = |input: i64| {
        rt.block_on(dendrite.call(
            &info(port),
            Dummy {
                input,
                output: None,
            },
            Duration::from_secs(10),
        ))
    };
    assert_eq!(call(1).fields.output, Some(2));
    // Shutting down closes the idle keep-alive connection the dendrite pooled; a new axon on
    // the same port must be reached on a fresh connection, not answered with 503.
    rt.block_on(axon.shutdown());
    let _axon = rt
        .block_on(serve(SocketAddr::from(([127, 0, 0, 1], port))))
        .unwrap();
    for input in 2..5 {
        let r = call(input);
        assert_eq!(r.dendrite.status_code, Some(200), "{:?}", r.dendrite);
        assert_eq!(r.fields.output, Some(2 * input));
    }
}
