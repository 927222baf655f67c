//! Four real `tao node --chain localnet` validator processes and one follower on 127.0.0.1,
//! talking over authenticated p2p: they agree on one chain and apply a transfer (also one
//! submitted to the follower, which reaches the validators by gossip); one validator
//! is killed with SIGKILL and the other three keep finalizing; restarted on its data directory
//! it catches up to the head through block sync; the follower, which never votes, keeps up and
//! every node agrees block for block.

use std::{
    net::{SocketAddr, TcpListener},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use tao_client::Client;
use tao_crypto::Pair;
use tao_runtime::{Call, Transaction, codec::Encode as _};

const VALIDATORS: u64 = 4;
const FOLLOWERS: u64 = 1;
const BLOCK_TIME: &str = "200ms";
const TAO: u64 = 1_000_000_000;

/// A localnet node process, killed when dropped.
struct Validator {
    child: Child,
    rpc: SocketAddr,
}

impl Validator {
    /// Node `slot`: validators first, then followers.
    fn start(slot: u64, p2p_port: u16, rpc: SocketAddr, dir: &Path) -> Validator {
        let log = std::fs::File::create(dir.join(format!("node-{slot}.log"))).unwrap();
        let (flag, index) = if slot < VALIDATORS {
            ("--validator", slot)
        } else {
            ("--follower", slot - VALIDATORS)
        };
        let child = Command::new(env!("CARGO_BIN_EXE_tao"))
            .args(["node", "--chain", "localnet", "--json", "--block-time"])
            .arg(BLOCK_TIME)
            .arg(flag)
            .arg(index.to_string())
            .arg("--validators")
            .arg(VALIDATORS.to_string())
            .arg("--followers")
            .arg(FOLLOWERS.to_string())
            .arg("--p2p-port")
            .arg(p2p_port.to_string())
            .arg("--rpc-addr")
            .arg(rpc.to_string())
            .arg("--data-dir")
            .arg(dir.join(format!("node-{slot}")))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Validator { child, rpc }
    }

    fn client(&self) -> Client {
        Client::new(&self.rpc.to_string())
            .unwrap()
            .with_timeout(Duration::from_secs(5))
    }

    /// SIGKILL, no chance to flush anything.
    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Validator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A base port whose next `VALIDATORS + FOLLOWERS` ports are free right now.
fn free_port_range() -> u16 {
    let nodes = (VALIDATORS + FOLLOWERS) as u16;
    let start = 20_000 + (std::process::id() % 20_000) as u16;
    (0..200u16)
        .map(|step| start + step * 16)
        .find(|&base| {
            let held: Vec<_> = (0..nodes)
                .map_while(|i| TcpListener::bind(("127.0.0.1", base + i)).ok())
                .collect();
            held.len() == nodes as usize
        })
        .expect("no free port range")
}

/// Finalized height a validator reports, or 0 while it does not answer.
async fn finalized(client: &Client) -> u64 {
    client.head().await.map_or(0, |head| head.finalized_number)
}

/// Waits (bounded) until every client reports a finalized height of at least `height`.
async fn wait_all(clients: &[Client], height: u64, limit: Duration, what: &str) {
    let deadline = Instant::now() + limit;
    loop {
        let mut lowest = u64::MAX;
        for client in clients {
            lowest = lowest.min(finalized(client).await);
        }
        if lowest >= height {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still at {lowest} < {height} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Block hash and state root at `height` on each client; all must be equal.
async fn assert_same_block(clients: &[Client], height: u64) {
    let mut seen = None;
    for client in clients {
        let block = client
            .block_by_number(height, false)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no block {height}"));
        let id = (block.hash, block.state_root);
        match &seen {
            None => seen = Some(id),
            Some(first) => assert_eq!(first, &id, "validators disagree at height {height}"),
        }
    }
}

#[test]
fn validators_and_a_follower_survive_a_sigkill_and_the_restarted_validator_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let p2p_port = free_port_range();
    let rpcs: Vec<SocketAddr> = (0..VALIDATORS + FOLLOWERS).map(|_| free_addr()).collect();
    let mut validators: Vec<Validator> = (0..VALIDATORS + FOLLOWERS)
        .map(|i| Validator::start(i, p2p_port, rpcs[i as usize], dir.path()))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let clients: Vec<Client> = validators.iter().map(Validator::client).collect();
        wait_all(&clients, 3, Duration::from_secs(60), "start").await;

        // A transfer submitted to one validator is finalized and seen by all.
        let (alice, bob) = (
            Pair::from_uri("//Alice").unwrap(),
            Pair::from_uri("//Bob").unwrap(),
        );
        let genesis = clients[0].genesis_hash().await.unwrap();
        let nonce = clients[0]
            .account(&alice.public().to_ss58())
            .await
            .unwrap()
            .next_nonce;
        // Alice pays Bob through `client`, and the transfer must be applied in a finalized block.
        let transfer = async |client: &Client, nonce: u64, value: u64| {
            let call = Call::TransferKeepAlive {
                dest: bob.public(),
                value,
            };
            let bytes = Transaction::sign(&alice, genesis, nonce, 0, call).encode();
            let hash = client.submit_transaction(&bytes).await.unwrap();
            let info = client
                .wait_finalized(&hash, Duration::from_secs(30))
                .await
                .unwrap();
            assert_eq!(info.result.as_deref(), Some("applied"), "{:?}", info.error);
            info.block_number.unwrap()
        };
        let included = transfer(&clients[0], nonce, 7 * TAO).await;
        wait_all(&clients, included, Duration::from_secs(30), "transfer").await;
        assert_same_block(&clients, included).await;

        // A transfer submitted to the follower, which never proposes, reaches the validators
        // by gossip and is finalized.
        transfer(&clients[4], nonce + 1, TAO).await;

        // SIGKILL validator 3: the other three are still a quorum and keep finalizing (the
        // follower, index 4, keeps following them).
        validators[3].kill9();
        let survivors = &[
            clients[0].clone(),
            clients[1].clone(),
            clients[2].clone(),
            clients[4].clone(),
        ];
        let mut at_kill = 0;
        for client in &survivors[..3] {
            at_kill = at_kill.max(finalized(client).await);
        }
        wait_all(
            survivors,
            at_kill + 10,
            Duration::from_secs(60),
            "after kill",
        )
        .await;

        // Restart it on the same data: it replays its store, then syncs the blocks it missed.
        let mut head = 0;
        for client in &survivors[..3] {
            head = head.max(finalized(client).await);
        }
        let restarted = Instant::now();
        validators[3] = Validator::start(3, p2p_port, rpcs[3], dir.path());
        wait_all(&clients[3..4], head, Duration::from_secs(60), "catch-up").await;
        eprintln!(
            "validator 3 reached height {head} (the head when it restarted) {} ms after restart",
            restarted.elapsed().as_millis()
        );
        // And it follows the chain from there on, agreeing block for block.
        wait_all(
            &clients,
            head + 5,
            Duration::from_secs(60),
            "after catch-up",
        )
        .await;
        for height in [1, included, at_kill, head, head + 5] {
            assert_same_block(&clients, height).await;
        }
    });
}
