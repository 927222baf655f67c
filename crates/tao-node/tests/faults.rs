//! Fault tolerance of a 4-validator network on the deterministic runtime (seeded scheduler,
//! virtual time, in-memory storage) and the simulated p2p network, one scenario per test, each
//! over many seeds: a validator crashing, a partition that heals, message loss and delay, and
//! a validator equivocating (conflicting proposals as leader, or double votes). Every run
//! checks safety (no two different blocks are ever finalized at one height, by any honest
//! validator) and liveness (the honest validators keep finalizing once at most one validator
//! is faulty and the network is connected).
//!
//! Seeds per scenario: `TAO_SIM_SEEDS` (default 200), starting at `TAO_SIM_SEED_START`
//! (default 0). `scripts/sim.sh` runs more. A failing run names its scenario and seed.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use commonware_consensus::{
    simplex::{
        elector::RoundRobin,
        mocks::{conflicter, equivocator, relay::Relay},
        scheme::ed25519::Scheme,
    },
    types::Epoch,
};
use commonware_cryptography::{Digestible as _, Sha256};
use commonware_p2p::simulated::Link;
use commonware_runtime::{Clock as _, Runner as _, Supervisor as _, deterministic};
use commonware_utils::{Probability, ordered::Set};
use futures::{StreamExt as _, channel::mpsc};
use rand::{RngExt as _, SeedableRng as _, rngs::StdRng};
use tao_node::{
    Digest, Finalized,
    sim::{self, HashExecutor, LINK, Simulation},
};

const VALIDATORS: u64 = 4;
const BLOCK_TIME: Duration = Duration::from_millis(250);
/// Virtual time after which a run counts as not live.
const VIRTUAL_LIMIT: Duration = Duration::from_secs(900);

fn seeds() -> std::ops::Range<u64> {
    let read = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let start = read("TAO_SIM_SEED_START", 0);
    start..start + read("TAO_SIM_SEEDS", 200)
}

/// Follows what every validator finalizes and fails the run on the first safety violation.
struct Observer {
    receiver: mpsc::UnboundedReceiver<(u64, Finalized)>,
    heights: Vec<u64>,
    chain: BTreeMap<u64, Digest>,
    proposers: BTreeMap<u64, u64>,
}

impl Observer {
    fn new(receiver: mpsc::UnboundedReceiver<(u64, Finalized)>) -> Self {
        Self {
            receiver,
            heights: vec![0; VALIDATORS as usize],
            chain: BTreeMap::new(),
            proposers: BTreeMap::new(),
        }
    }

    fn record(&mut self, index: u64, finalized: Finalized) {
        let height = finalized.block.header.height;
        let digest = finalized.block.digest();
        let known = *self.chain.entry(height).or_insert(digest);
        assert_eq!(
            known, digest,
            "safety violation: validator {index} finalized another block at height {height}"
        );
        if height > 0 {
            let parent = self.chain.get(&(height - 1)).copied();
            if let Some(parent) = parent {
                assert_eq!(finalized.block.header.parent, parent, "height {height}");
            }
        }
        let proposer = sim_index(&finalized.block.header.proposer);
        self.proposers.insert(height, proposer);
        let top = &mut self.heights[index as usize];
        *top = (*top).max(height);
    }

    /// Receives until every validator in `indices` finalized `height`.
    async fn until(&mut self, indices: &[u64], height: u64) {
        while indices.iter().any(|&i| self.heights[i as usize] < height) {
            let (index, finalized) = self.receiver.next().await.expect("network stopped");
            self.record(index, finalized);
        }
    }

    /// Records whatever has arrived without waiting.
    fn drain(&mut self) {
        while let Ok((index, finalized)) = self.receiver.try_recv() {
            self.record(index, finalized);
        }
    }

    fn top(&self, indices: &[u64]) -> u64 {
        indices
            .iter()
            .map(|&i| self.heights[i as usize])
            .max()
            .unwrap_or(0)
    }
}

fn sim_index(key: &tao_node::ed25519::PublicKey) -> u64 {
    (0..VALIDATORS)
        .find(|&i| {
            use commonware_cryptography::Signer as _;
            sim::validator_key(i).public_key() == *key
        })
        .expect("proposer outside the validator set")
}

/// Runs `scenario` for every seed, naming the seed of a failure.
fn run_seeds<F, Fut>(name: &str, scenario: F)
where
    F: Fn(deterministic::Context, u64) -> Fut + Copy + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    for seed in seeds() {
        let config = deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(VIRTUAL_LIMIT));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            deterministic::Runner::new(config).start(move |context| scenario(context, seed))
        }));
        if let Err(panic) = result {
            eprintln!("scenario {name} failed with seed {seed}");
            std::panic::resume_unwind(panic);
        }
    }
}

fn all() -> Vec<u64> {
    (0..VALIDATORS).collect()
}

fn others(faulty: u64) -> Vec<u64> {
    all().into_iter().filter(|&i| i != faulty).collect()
}

#[test]
fn one_crashed_validator_does_not_stop_finalization() {
    run_seeds("crash", |context, seed| async move {
        let mut rng = StdRng::seed_from_u64(seed);
        let crashed = rng.random_range(0..VALIDATORS);
        let crash_at = rng.random_range(1..=5);
        let (simulation, receiver) = Simulation::new(&context, VALIDATORS, BLOCK_TIME, LINK)
            .await
            .unwrap();
        let mut handles = Vec::new();
        for index in 0..VALIDATORS {
            handles.push(simulation.start(index, HashExecutor).await.unwrap());
        }
        let mut observer = Observer::new(receiver);
        observer.until(&[crashed], crash_at).await;
        handles[crashed as usize].abort();
        observer.drain();
        let honest = others(crashed);
        let target = observer.top(&all()) + 6;
        observer.until(&honest, target).await;
    });
}

#[test]
fn a_healed_partition_resumes_finalization() {
    run_seeds("partition", |context, seed| async move {
        let mut rng = StdRng::seed_from_u64(seed);
        let (simulation, receiver) = Simulation::new(&context, VALIDATORS, BLOCK_TIME, LINK)
            .await
            .unwrap();
        for index in 0..VALIDATORS {
            simulation.start(index, HashExecutor).await.unwrap();
        }
        let mut observer = Observer::new(receiver);
        observer.until(&all(), rng.random_range(1..=4)).await;
        // Even seeds split 2|2 (no side has a quorum); odd seeds cut one validator off
        // (the other three keep finalizing).
        let lone = rng.random_range(0..VALIDATORS);
        let (a, b): (Vec<u64>, Vec<u64>) = if seed % 2 == 0 {
            let partner = (lone + rng.random_range(1..VALIDATORS)) % VALIDATORS;
            all().into_iter().partition(|&i| i == lone || i == partner)
        } else {
            all().into_iter().partition(|&i| i == lone)
        };
        simulation.connect(&[&a, &b], LINK).await.unwrap();
        let before = observer.top(&all());
        if b.len() == 3 {
            // The majority side is live on its own.
            observer.until(&b, before + 3).await;
        } else {
            context
                .sleep(Duration::from_millis(rng.random_range(500..5_000)))
                .await;
        }
        simulation.connect(&[&all()], LINK).await.unwrap();
        observer.drain();
        // Everyone, the cut-off side included, reaches a height finalized after the heal.
        let target = observer.top(&all()) + 4;
        observer.until(&all(), target).await;
    });
}

#[test]
fn message_loss_and_delay_do_not_stop_finalization() {
    run_seeds("loss", |context, seed| async move {
        let mut rng = StdRng::seed_from_u64(seed);
        let latency = rng.random_range(10..=300u64);
        let link = Link {
            latency: Duration::from_millis(latency),
            jitter: Duration::from_millis(rng.random_range(0..=latency / 2)),
            success_rate: Probability::new(rng.random_range(70..=95), 100).unwrap(),
        };
        let (simulation, receiver) = Simulation::new(&context, VALIDATORS, BLOCK_TIME, link)
            .await
            .unwrap();
        for index in 0..VALIDATORS {
            simulation.start(index, HashExecutor).await.unwrap();
        }
        let mut observer = Observer::new(receiver);
        observer.until(&all(), 8).await;
    });
}

#[test]
fn an_equivocating_validator_cannot_split_the_chain() {
    run_seeds("equivocation", |context, seed| async move {
        let mut rng = StdRng::seed_from_u64(seed);
        let byzantine = rng.random_range(0..VALIDATORS);
        let (simulation, receiver) = Simulation::new(&context, VALIDATORS, BLOCK_TIME, LINK)
            .await
            .unwrap();
        for index in others(byzantine) {
            simulation.start(index, HashExecutor).await.unwrap();
        }
        // The byzantine validator signs with its real key. Even seeds: as leader it notarizes
        // two different proposals, one sent to a single victim and the other to the rest.
        // Odd seeds: it answers every vote it sees with a notarize or finalize of a random
        // block as well as of the one voted on (double votes in every view).
        let channels = simulation.channels(byzantine).await.unwrap();
        let validators = Set::from_iter_dedup(simulation.validators().to_vec());
        let scheme = Scheme::signer(sim::NAMESPACE, validators, sim::validator_key(byzantine))
            .expect("a validator");
        if seed % 2 == 0 {
            let equivocator = equivocator::Equivocator::<_, _, RoundRobin<Sha256>, Sha256>::new(
                context.child("byzantine"),
                equivocator::Config {
                    scheme,
                    elector: RoundRobin::<Sha256>::default(),
                    epoch: Epoch::zero(),
                    relay: Arc::new(Relay::new()),
                },
            );
            equivocator.start(channels.votes, channels.certificates);
        } else {
            let conflicter = conflicter::Conflicter::<_, _, Sha256>::new(
                context.child("byzantine"),
                conflicter::Config { scheme },
            );
            conflicter.start(channels.votes);
        }
        let honest = others(byzantine);
        let mut observer = Observer::new(receiver);
        observer.until(&honest, 8).await;
        // Its equivocating proposals never reach a finalized block.
        assert!(observer.proposers.range(1..).all(|(_, &p)| p != byzantine));
    });
}
