//! Real `tao node --dev` processes on 127.0.0.1, driven only through tao-client (raw HTTP
//! only where the point is to send what a client would never send): a chain scenario from a
//! transfer to an epoch's emissions, a SIGKILL under load followed by a restart, and bad
//! input answered with JSON-RPC errors while the node keeps running.

use std::{
    io::{Read as _, Write as _},
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tao_client::{Client, ClientError, HeadInfo, TransactionInfo};
use tao_crypto::Pair;
use tao_runtime::{Call, Hyperparam, Transaction, codec::Encode as _};

const TAO: u64 = 1_000_000_000;

/// A dev node process, killed when dropped.
struct Node {
    child: Child,
    addr: SocketAddr,
}

impl Node {
    fn start(dir: &Path, addr: SocketAddr) -> Node {
        let child = Command::new(env!("CARGO_BIN_EXE_tao"))
            .args([
                "node",
                "--dev",
                "--block-time",
                "100ms",
                "--json",
                "--data-dir",
            ])
            .arg(dir)
            .arg("--rpc-addr")
            .arg(addr.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Node { child, addr }
    }

    fn client(&self) -> Client {
        Client::new(&self.addr.to_string())
            .unwrap()
            .with_timeout(Duration::from_secs(10))
    }

    /// SIGKILL, no chance to flush anything.
    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Waits (bounded) until the node answers and has finalized at least one block.
async fn ready(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(head) = client.head().await
            && head.finalized_number >= 1
        {
            return;
        }
        assert!(Instant::now() < deadline, "node did not start within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn pair(uri: &str) -> Pair {
    Pair::from_uri(uri).unwrap()
}

async fn signed(client: &Client, signer: &Pair, call: Call) -> Vec<u8> {
    let genesis = client.genesis_hash().await.unwrap();
    let nonce = client
        .account(&signer.public().to_ss58())
        .await
        .unwrap()
        .next_nonce;
    Transaction::sign(signer, genesis, nonce, 0, call).encode()
}

/// Submits, waits for finality and insists the call was applied.
async fn apply(client: &Client, signer: &Pair, call: Call) -> TransactionInfo {
    let what = format!("{call:?}");
    let bytes = signed(client, signer, call).await;
    let hash = client.submit_transaction(&bytes).await.unwrap();
    let info = client
        .wait_finalized(&hash, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(
        info.result.as_deref(),
        Some("applied"),
        "{what}: {:?}",
        info.error
    );
    info
}

fn event_field(info: &TransactionInfo, event: &str, field: &str) -> u64 {
    info.events
        .iter()
        .filter(|e| e["event"] == event)
        .find_map(|e| e.get(field)?.as_u64())
        .unwrap_or_else(|| panic!("no {event}.{field} in {:?}", info.events))
}

async fn wait_for_height(client: &Client, height: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.head().await.unwrap().finalized_number < height {
        assert!(Instant::now() < deadline, "chain stalled below {height}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn transfer_subnet_register_weights_and_epoch_emissions() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(dir.path(), free_addr());
    let client = node.client();
    runtime().block_on(async {
        ready(&client).await;
        let mut heads = client.subscribe("finalizedHeads").await.unwrap();

        // Transfer.
        let (alice, bob) = (pair("//Alice"), pair("//Bob"));
        let bob_before = client.account(&bob.public().to_ss58()).await.unwrap().free;
        apply(
            &client,
            &alice,
            Call::TransferKeepAlive {
                dest: bob.public(),
                value: 10 * TAO,
            },
        )
        .await;
        let bob_after = client.account(&bob.public().to_ss58()).await.unwrap().free;
        assert_eq!(bob_after, bob_before + 10 * TAO);

        // Subnet, owned by Bob.
        let owner_hot = pair("//Bob/owner");
        let created = apply(
            &client,
            &bob,
            Call::RegisterNetwork {
                hotkey: owner_hot.public(),
            },
        )
        .await;
        let netuid = u16::try_from(event_field(&created, "NetworkAdded", "netuid")).unwrap();
        let subnet = client.subnet(netuid).await.unwrap().expect("subnet listed");
        assert_eq!(subnet.owner_hotkey, Some(owner_hot.public().to_ss58()));
        apply(&client, &bob, Call::StartCall { netuid }).await;
        for (param, value) in [
            (Hyperparam::SubnetEmissionEnabled, 1),
            (Hyperparam::CommitRevealWeightsEnabled, 0),
            (Hyperparam::WeightsSetRateLimit, 0),
        ] {
            apply(
                &client,
                &alice,
                Call::SudoSetHyperparameter {
                    netuid,
                    param,
                    value,
                },
            )
            .await;
        }

        // A validator (Charlie) and two miners (Eve's hotkeys).
        let (charlie, eve) = (pair("//Charlie"), pair("//Eve"));
        let validator = pair("//Charlie/validator");
        let miners = [pair("//Eve/miner0"), pair("//Eve/miner1")];
        apply(
            &client,
            &charlie,
            Call::BurnedRegister {
                netuid,
                hotkey: validator.public(),
            },
        )
        .await;
        let mut miner_uids = Vec::new();
        for miner in &miners {
            let info = apply(
                &client,
                &eve,
                Call::BurnedRegister {
                    netuid,
                    hotkey: miner.public(),
                },
            )
            .await;
            miner_uids.push(u16::try_from(event_field(&info, "NeuronRegistered", "uid")).unwrap());
        }
        apply(
            &client,
            &charlie,
            Call::AddStake {
                hotkey: validator.public(),
                netuid,
                amount: 100 * TAO,
            },
        )
        .await;
        let metagraph = client.metagraph(netuid).await.unwrap();
        assert_eq!(metagraph.neurons.len(), 4, "owner, validator, two miners");

        // One epoch hands out validator permits; then the validator sets weights.
        let tempo = subnet.tempo;
        let now = client.head().await.unwrap().finalized_number;
        wait_for_height(&client, now + tempo + 2).await;
        apply(
            &client,
            &validator,
            Call::SetWeights {
                netuid,
                dests: miner_uids.clone(),
                weights: vec![1, 3],
                version_key: 0,
            },
        )
        .await;
        let now = client.head().await.unwrap().finalized_number;
        wait_for_height(&client, now + 2 * tempo + 2).await;
        let metagraph = client.metagraph(netuid).await.unwrap();
        let emission = |uid: u16| {
            metagraph
                .neurons
                .iter()
                .find(|n| n.uid == uid)
                .map(|n| n.emission)
                .unwrap()
        };
        assert!(
            emission(miner_uids[1]) > emission(miner_uids[0]) && emission(miner_uids[0]) > 0,
            "miner emissions after an epoch: {:?}",
            metagraph.neurons
        );
        let miner1 = metagraph
            .neurons
            .iter()
            .find(|n| n.uid == miner_uids[1])
            .unwrap();
        assert!(miner1.incentive > 0 && miner1.stake > 0, "{miner1:?}");

        // Stakes and delegates: the validator's stake grew with its dividends.
        let stakes = client.stakes(&charlie.public().to_ss58()).await.unwrap();
        let on_validator = stakes
            .iter()
            .find(|s| s.hotkey == validator.public().to_ss58() && s.netuid == netuid)
            .expect("Charlie's stake is listed");
        let delegate = client
            .delegate(&validator.public().to_ss58())
            .await
            .unwrap();
        assert_eq!(delegate.owner, Some(charlie.public().to_ss58()));
        assert_eq!(delegate.take, 11_796);
        assert!(delegate.stake.contains(&(netuid, on_validator.alpha)));

        // The subscription delivered consecutive finalized heads.
        let first: HeadInfo = heads.next_as().await.unwrap().unwrap();
        let second: HeadInfo = heads.next_as().await.unwrap().unwrap();
        assert_eq!(second.number, first.number + 1);
        assert_eq!(second.parent, first.hash);
    });
}

#[test]
fn sigkill_under_load_keeps_every_finalized_transaction_and_root() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut node = Node::start(dir.path(), addr);
    let client = node.client();
    let rt = runtime();
    let recorded = rt.block_on(async {
        ready(&client).await;
        let genesis = client.genesis_hash().await.unwrap();
        let dest = pair("//Ferdie").public();
        // Load: Alice, Bob, Charlie and Dave each submit 400 transfers in batches of 50.
        let senders = ["//Alice", "//Bob", "//Charlie", "//Dave"].map(pair);
        let mut load = Vec::new();
        for sender in senders {
            let client = client.clone();
            load.push(tokio::spawn(async move {
                for chunk in 0..8u64 {
                    let calls: Vec<(&str, Value)> = (0..50u64)
                        .map(|i| {
                            let tx = Transaction::sign(
                                &sender,
                                genesis,
                                chunk * 50 + i,
                                0,
                                Call::TransferKeepAlive { dest, value: 1 },
                            );
                            (
                                "tao_submitTransaction",
                                json!([format!("0x{}", hex::encode(tx.encode()))]),
                            )
                        })
                        .collect();
                    if client.batch(&calls).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }));
        }
        // Let transactions finalize, then record the finalized chain and kill mid-load.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let head = client.head().await.unwrap().finalized_number;
            let mut txs = 0;
            for h in 1..=head {
                txs += client
                    .block_by_number(h, false)
                    .await
                    .unwrap()
                    .unwrap()
                    .transactions
                    .len();
            }
            if txs >= 200 {
                break;
            }
            assert!(Instant::now() < deadline, "transactions did not finalize");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let head = client.head().await.unwrap().finalized_number;
        let mut blocks = Vec::new();
        for h in 1..=head {
            blocks.push(client.block_by_number(h, false).await.unwrap().unwrap());
        }
        for task in load {
            task.abort();
        }
        blocks
    });
    node.kill9();

    let node = Node::start(dir.path(), addr);
    let client = node.client();
    rt.block_on(async {
        ready(&client).await;
        let mut finalized_txs = 0;
        for before in &recorded {
            let after = client
                .block_by_number(before.number, false)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                &after, before,
                "block {} changed across the crash",
                before.number
            );
            for hash in before.transactions.iter().flatten() {
                let info = client.transaction(hash).await.unwrap().unwrap();
                assert_eq!(info.status, "finalized");
                assert_eq!(info.block_number, Some(before.number));
                finalized_txs += 1;
            }
        }
        assert!(
            finalized_txs >= 200,
            "only {finalized_txs} transactions checked"
        );
        // It resumes: new blocks, and a new transaction finalizes.
        let last = recorded.last().map_or(0, |b| b.number);
        wait_for_height(&client, last + 3).await;
        apply(
            &client,
            &pair("//Eve"),
            Call::TransferKeepAlive {
                dest: pair("//Ferdie").public(),
                value: TAO,
            },
        )
        .await;
    });
}

/// One raw HTTP/1.1 POST; returns (status, body).
fn raw_post(addr: SocketAddr, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading the whole body and close.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap())
}

fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"].as_i64().unwrap()
}

fn rpc_code(err: ClientError) -> i64 {
    match err {
        ClientError::Rpc { code, message, .. } => {
            assert!(!message.is_empty());
            code
        }
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

#[test]
fn bad_input_gets_json_rpc_errors_and_the_node_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(dir.path(), free_addr());
    let client = node.client();
    let addr = node.addr;
    runtime().block_on(async {
        ready(&client).await;

        // Malformed JSON, wrong version, empty and oversized batches, oversized body.
        let (status, answer) = raw_post(addr, b"{\"jsonrpc\": \"2.0\", \"id\": 1, ");
        assert_eq!((status, error_code(&answer)), (200, -32700));
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("parse error")
        );
        let (_, answer) = raw_post(addr, br#"{"jsonrpc":"1.0","id":1,"method":"tao_head"}"#);
        assert_eq!(error_code(&answer), -32600);
        assert_eq!(answer["id"], 1);
        let (_, answer) = raw_post(addr, b"[]");
        assert_eq!(error_code(&answer), -32600);
        let (_, answer) = raw_post(addr, b"[1]");
        assert_eq!(error_code(&answer[0]), -32600);
        let batch: Vec<Value> = (0..1_001)
            .map(|id| json!({"jsonrpc": "2.0", "id": id, "method": "tao_head"}))
            .collect();
        let (_, answer) = raw_post(addr, Value::Array(batch).to_string().as_bytes());
        assert_eq!(error_code(&answer), -32002);
        let huge = vec![b' '; 5 * 1024 * 1024];
        let (status, answer) = raw_post(addr, &huge);
        assert_eq!((status, error_code(&answer)), (413, -32001));

        // Unknown method, bad parameters, subscriptions over HTTP.
        let err = client
            .call::<Value>("tao_nope", json!([]))
            .await
            .unwrap_err();
        assert_eq!(rpc_code(err), -32601);
        let err = client.account("not-an-address").await.unwrap_err();
        assert_eq!(rpc_code(err), -32602);
        let err = client
            .call::<Value>("tao_head", json!([1]))
            .await
            .unwrap_err();
        assert_eq!(rpc_code(err), -32602);
        let err = client
            .call::<Value>("tao_subscribe", json!(["newHeads"]))
            .await
            .unwrap_err();
        assert_eq!(rpc_code(err), -32003);

        // Invalid transactions: garbage, bad signature, stale nonce, wrong chain; duplicate.
        let err = client.submit_transaction(&[1, 2, 3]).await.unwrap_err();
        assert_eq!(rpc_code(err), -32010);
        let alice = pair("//Alice");
        let call = || Call::TransferKeepAlive {
            dest: pair("//Bob").public(),
            value: TAO,
        };
        let mut tampered = signed(&client, &alice, call()).await;
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let err = client.submit_transaction(&tampered).await.unwrap_err();
        assert!(
            matches!(&err, ClientError::Rpc { message, .. } if message.contains("signature")),
            "{err}"
        );
        assert_eq!(rpc_code(err), -32010);
        let foreign = Transaction::sign(&alice, [7; 32], 0, 0, call()).encode();
        assert_eq!(
            rpc_code(client.submit_transaction(&foreign).await.unwrap_err()),
            -32010
        );
        let good = signed(&client, &alice, call()).await;
        let hash = client.submit_transaction(&good).await.unwrap();
        assert_eq!(
            rpc_code(client.submit_transaction(&good).await.unwrap_err()),
            -32011
        );
        client
            .wait_finalized(&hash, Duration::from_secs(20))
            .await
            .unwrap();
        let genesis = client.genesis_hash().await.unwrap();
        let stale = Transaction::sign(&alice, genesis, 0, 0, call()).encode();
        let err = client.submit_transaction(&stale).await.unwrap_err();
        assert!(
            matches!(&err, ClientError::Rpc { message, .. } if message.contains("nonce")),
            "{err}"
        );
        assert_eq!(rpc_code(err), -32010);

        // Still running and producing blocks.
        let before = client.head().await.unwrap().finalized_number;
        wait_for_height(&client, before + 2).await;
        let methods: Value = client.call("rpc.discover", json!([])).await.unwrap();
        assert!(methods["methods"].as_array().unwrap().len() >= 19);

        // Prometheus metrics on the same port.
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        for metric in [
            "tao_block_height ",
            "tao_finality_lag_milliseconds ",
            "tao_mempool_transactions ",
            "tao_transactions_per_second ",
            "tao_rpc_request_duration_seconds_count{method=\"tao_head\"}",
        ] {
            assert!(text.contains(metric), "{metric} missing from {text}");
        }
    });
}
