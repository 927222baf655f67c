//! Interop with the real Python bittensor 10.5.0 (venv from `bash scripts/test.sh`): a Python
//! dendrite against a tao axon, a tao dendrite against a Python axon, and the same answers from
//! both axons to bad requests.

mod common;

use std::time::Duration;

use common::*;
use tao_axon::dummy::{Dummy, DummyStream};
use tao_axon::{AxonConfig, AxonInfo, Dendrite};

const BOB: &str = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";

#[test]
fn python_dendrite_queries_tao_axon() {
    let rt = runtime();
    let axon = rt.block_on(start_axon("//Bob", AxonConfig::default()));
    let port = axon.local_addr().port().to_string();
    let out = py_dendrite(&["query", &port, BOB, "//Alice"]);

    assert_eq!(out["dummy"]["output"], 42, "{out}");
    assert_eq!(out["dummy"]["dendrite"]["status_code"], 200, "{out}");
    assert_eq!(out["dummy"]["dendrite"]["status_message"], "Success");
    // HashedEcho has a required field (input_obj header) and hashed fields: the tao axon
    // recomputed the Python body hash and verified the signature over it.
    assert_eq!(out["hashed"]["output"], "hello:5", "{out}");
    assert_eq!(out["hashed"]["axon"]["status_code"], 200);
    assert_eq!(out["stream"]["text"], "tok0 tok1 tok2 ", "{out}");
    assert_eq!(out["stream"]["dendrite"]["status_code"], 200, "{out}");

    // Signed for another hotkey (the Python dendrite thinks the axon is Alice): 401.
    let alice = pair("//Alice").public().to_ss58();
    let out = py_dendrite(&["query", &port, &alice, "//Alice"]);
    assert_eq!(out["dummy"]["dendrite"]["status_code"], 401, "{out}");
    assert!(
        out["dummy"]["dendrite"]["status_message"]
            .as_str()
            .unwrap_or("")
            .starts_with("Not Verified with error: Signature mismatch with "),
        "{out}"
    );
    rt.block_on(axon.shutdown());
}

#[test]
fn tao_dendrite_queries_python_axon() {
    let py = PyAxon::start("//Bob");
    let rt = runtime();
    let info = AxonInfo {
        ip: "127.0.0.1".into(),
        port: py.port,
        hotkey: BOB.into(),
    };
    rt.block_on(async {
        let d = Dendrite::with_external_ip(pair("//Alice"), "127.0.0.2");
        let r = d
            .call(
                &info,
                Dummy {
                    input: 21,
                    output: None,
                },
                Duration::from_secs(12),
            )
            .await;
        assert_eq!(r.dendrite.status_code, Some(200), "{:?}", r.dendrite);
        assert_eq!(r.dendrite.status_message.as_deref(), Some("Success"));
        assert_eq!(r.fields.output, Some(42));
        assert!(r.axon.process_time.is_some());
        assert!(r.dendrite.process_time.is_some());

        // Required field + hashed fields: the Python axon verified our body hash and signature.
        let r = d
            .call(
                &info,
                HashedEcho {
                    text: "hello".into(),
                    input: 5,
                    output: None,
                },
                Duration::from_secs(12),
            )
            .await;
        assert_eq!(r.dendrite.status_code, Some(200), "{:?}", r.dendrite);
        assert_eq!(r.fields.output.as_deref(), Some("hello:5"));

        let mut call = d
            .call_stream(&info, DummyStream { n: 3 }, Duration::from_secs(12))
            .await;
        assert_eq!(
            call.synapse.dendrite.status_code,
            Some(200),
            "{:?}",
            call.synapse.dendrite
        );
        let mut text = Vec::new();
        while let Some(chunk) = call.next_chunk().await {
            text.extend_from_slice(&chunk);
        }
        assert_eq!(String::from_utf8_lossy(&text), "tok0 tok1 tok2 ");
        assert_eq!(call.synapse.dendrite.status_code, Some(200));

        // Fan-out to the same axon twice plus a closed port.
        let closed = AxonInfo {
            ip: "127.0.0.1".into(),
            port: free_port(),
            hotkey: BOB.into(),
        };
        let rs = d
            .forward(
                &[info.clone(), closed.clone()],
                Dummy {
                    input: 2,
                    output: None,
                },
                Duration::from_secs(12),
            )
            .await;
        assert_eq!(rs[0].fields.output, Some(4));
        assert_eq!(rs[1].dendrite.status_code, Some(503));
        assert_eq!(
            rs[1].dendrite.status_message.as_deref(),
            Some(format!("Service unavailable at 127.0.0.1:{}/Dummy", closed.port).as_str())
        );

        // Blacklisted caller.
        let charlie = Dendrite::new(pair("//Charlie"));
        let r = charlie
            .call(
                &info,
                Dummy {
                    input: 1,
                    output: None,
                },
                Duration::from_secs(12),
            )
            .await;
        assert_eq!(r.dendrite.status_code, Some(403));
        assert_eq!(
            r.dendrite.status_message.as_deref(),
            Some("Forbidden. Key is blacklisted: test.")
        );
    });
}

#[test]
fn bad_requests_get_the_same_answers_from_both_axons() {
    let py = PyAxon::start("//Bob");
    let rt = runtime();
    let axon = rt.block_on(start_axon("//Bob", AxonConfig::default()));
    let tao_port = axon.local_addr().port();
    let alice = pair("//Alice");
    let dave = pair("//Dave");
    let charlie = pair("//Charlie");
    let base = now_ns();
    let uuid = "a2c4aeca-e901-11f1-83a1-02fc00000001";

    let valid = dummy_request(&alice, None, BOB, base, uuid, 21);
    let mut cases: Vec<(&str, Vec<Raw>)> = vec![
        ("valid then replayed", vec![valid.clone(), valid]),
        (
            "unknown synapse",
            vec![Raw {
                path: "/Nope".into(),
                ..dummy_request(&alice, None, BOB, base + 1, uuid, 1)
            }],
        ),
        (
            "bad signature",
            vec![dummy_request(
                &dave,
                Some(&alice.public().to_ss58()),
                BOB,
                base + 2,
                uuid,
                1,
            )],
        ),
        (
            "signed for another axon",
            vec![dummy_request(
                &alice,
                None,
                &alice.public().to_ss58(),
                base + 3,
                uuid,
                1,
            )],
        ),
        (
            "blacklisted",
            vec![dummy_request(&charlie, None, BOB, base + 4, uuid, 1)],
        ),
        (
            "missing signature",
            vec![
                dummy_request(&alice, None, BOB, base + 5, "u2", 1)
                    .without("bt_header_dendrite_signature"),
            ],
        ),
        (
            "signature without 0x",
            vec![{
                let r = dummy_request(&alice, None, BOB, base + 6, "u3", 1);
                let sig = r
                    .headers
                    .iter()
                    .find(|(k, _)| k == "bt_header_dendrite_signature")
                    .unwrap()
                    .1
                    .clone();
                r.with("bt_header_dendrite_signature", &sig[2..])
            }],
        ),
        (
            "missing hotkey",
            vec![
                dummy_request(&alice, None, BOB, base + 7, "u4", 1)
                    .without("bt_header_dendrite_hotkey"),
            ],
        ),
        (
            "missing nonce",
            vec![
                dummy_request(&alice, None, BOB, base + 8, "u5", 1)
                    .without("bt_header_dendrite_nonce"),
            ],
        ),
        (
            "non-numeric nonce",
            vec![
                dummy_request(&alice, None, BOB, base + 9, "u6", 1)
                    .with("bt_header_dendrite_nonce", "abc"),
            ],
        ),
        (
            "body not JSON",
            vec![Raw {
                body: b"{not json".to_vec(),
                ..dummy_request(&alice, None, BOB, base + 10, "u7", 1)
            }],
        ),
        (
            "body hash mismatch",
            vec![
                dummy_request(&alice, None, BOB, base + 11, "u8", 1)
                    .with("computed_body_hash", &"0".repeat(64)),
            ],
        ),
    ];
    // A stale first nonce: 100 s old, so the reported age differs at most in the last digit.
    cases.push((
        "stale first nonce",
        vec![dummy_request(
            &alice,
            None,
            BOB,
            base - 100_000_000_000,
            "u9",
            1,
        )],
    ));

    for (case, requests) in cases {
        let mut last = None;
        for raw in &requests {
            let a = send(py.port, raw);
            let b = send(tao_port, raw);
            last = Some((a, b));
        }
        let (py_r, tao_r) = last.unwrap();
        assert_eq!(
            py_r.status, tao_r.status,
            "{case}: python {py_r:?}\ntao {tao_r:?}"
        );
        assert_eq!(
            py_r.header("bt_header_axon_status_code"),
            tao_r.header("bt_header_axon_status_code"),
            "{case}"
        );
        let (pm, tm) = (py_r.message(), tao_r.message());
        match py_r.status {
            // The error id is a fresh uuid4 on each side.
            500 => assert!(
                pm.unwrap().starts_with("Internal Server Error #")
                    && tm.unwrap().starts_with("Internal Server Error #"),
                "{case}"
            ),
            401 if case == "stale first nonce" => {
                let (pm, tm) = (pm.unwrap(), tm.unwrap());
                assert!(pm.starts_with("Not Verified with error: Nonce is too old: acceptable delta is 16.00 seconds but request was 10"), "{pm}");
                assert_eq!(pm[..pm.len() - 14], tm[..tm.len() - 14], "{case}");
            }
            422 => assert!(
                py_r.body.contains("json_invalid") && tao_r.body.contains("json_invalid"),
                "{case}"
            ),
            _ => assert_eq!(pm, tm, "{case}"),
        }
        if py_r.status != 422 && py_r.status != 200 {
            assert_eq!(
                py_r.bt_header_names(),
                tao_r.bt_header_names(),
                "{case}: bt headers differ"
            );
        }
    }
    rt.block_on(axon.shutdown());
}
