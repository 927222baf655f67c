//! The axon's request-signature check with prepared keys: each caller's public key is parsed
//! from SS58 and decompressed to a curve point once, then reused for its later requests.
//!
//! A verification is `decompress(A)`, a double-base scalar multiplication and a compression;
//! validators call the same axon again and again, so keeping `A` decompressed per hotkey saves
//! one field square root, the SS58 decoding and its checksum on every request after the first.
//! The Substrate signing context (a transcript initialisation) is likewise built once.
//!
//! Signatures of requests that arrive in the same scheduler turn are checked together
//! ([`Verifier::check`]): one batch verification shares the curve doublings of a multi-scalar
//! multiplication among all of them, and costs well under one single check per signature.
//!
//! ```text
//! check(key, message, sig):
//!   cool-down counter > 0      -> count down, check alone (plain, then <Bytes>-wrapped)
//!   else queue the job; the first job of a turn spawns the batch task, which yields once
//!   batch task: take the queued jobs (at most MAX_BATCH at a time)
//!     1 job                    -> check alone
//!     batch equation holds     -> all valid
//!     batch fails              -> check each alone; cool-down = COOLDOWN checks
//! ```
//!
//! The cool-down bounds what bad signatures can cost: a failing batch is paid once, then the
//! next `COOLDOWN` checks are single ones, exactly as without batching.
//!
//! The check is the one `tao_crypto::PublicKey::verify` makes (same context, same
//! acceptance); this module only keeps its intermediate values. It must not sign anything.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use schnorrkel::context::SigningContext;
use tao_crypto::{PublicKey, SIGNING_CONTEXT, Signature};
use tokio::sync::oneshot;

/// Most signatures in one batch verification; more queued jobs make several batches.
const MAX_BATCH: usize = 128;
/// Single checks after a failed batch before batching resumes.
const COOLDOWN: usize = 1024;

/// A caller's key as far as it could be prepared.
#[derive(Clone)]
pub(crate) enum Prepared {
    /// A valid curve point.
    Key(schnorrkel::PublicKey),
    /// A well-formed SS58 address whose 32 bytes are not a curve point: no signature verifies.
    NotAPoint,
}

/// One queued signature check.
struct Job {
    key: schnorrkel::PublicKey,
    message: String,
    signature: schnorrkel::Signature,
    done: oneshot::Sender<bool>,
}

/// Checks waiting for the batch task of this turn.
#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    /// A batch task has been spawned and has not taken the jobs yet.
    scheduled: bool,
    /// Single checks left before batching resumes (after a failed batch).
    cooldown: usize,
}

/// Prepared keys by SS58 hotkey, bounded: when full, the map starts over (a validator's next
/// request simply prepares its key again); and the queue of the current batch.
pub(crate) struct Verifier {
    context: SigningContext,
    keys: Mutex<HashMap<String, schnorrkel::PublicKey>>,
    capacity: usize,
    queue: Mutex<Queue>,
}

impl Verifier {
    /// A verifier remembering at most `capacity` keys.
    pub(crate) fn new(capacity: usize) -> Verifier {
        Verifier {
            context: schnorrkel::signing_context(SIGNING_CONTEXT),
            keys: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            queue: Mutex::new(Queue::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, schnorrkel::PublicKey>> {
        // A poisoned lock only means a panic elsewhere mid-insert; the map is still sound.
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        // As above: a push or a take cannot leave the queue half-changed.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The prepared key of `hotkey`; `Err` is the SS58 decoding error.
    pub(crate) fn key(&self, hotkey: &str) -> Result<Prepared, tao_crypto::Error> {
        if let Some(key) = self.lock().get(hotkey) {
            return Ok(Prepared::Key(*key));
        }
        let public = PublicKey::from_ss58(hotkey)?;
        let Ok(key) = schnorrkel::PublicKey::from_bytes(&public.0) else {
            return Ok(Prepared::NotAPoint);
        };
        let mut keys = self.lock();
        if keys.len() >= self.capacity {
            keys.clear();
        }
        keys.insert(hotkey.to_owned(), key);
        Ok(Prepared::Key(key))
    }

    /// True when `signature` is `key`'s signature of `message`, or of `<Bytes>message</Bytes>`
    /// (how polkadot.js signs), under the Substrate context; batched with the other checks of
    /// this scheduler turn. Must run inside the axon's tokio runtime.
    pub(crate) async fn check(
        self: &Arc<Self>,
        key: &Prepared,
        message: String,
        signature: &Signature,
    ) -> bool {
        let Prepared::Key(key) = key else {
            return false;
        };
        let Ok(signature) = schnorrkel::Signature::from_bytes(&signature.0) else {
            return false;
        };
        let (done, result) = oneshot::channel();
        let spawn = {
            let mut queue = self.lock_queue();
            if queue.cooldown > 0 {
                queue.cooldown -= 1;
                drop(queue);
                return self.check_one(key, &message, &signature);
            }
            queue.jobs.push(Job {
                key: *key,
                message,
                signature,
                done,
            });
            !std::mem::replace(&mut queue.scheduled, true)
        };
        if spawn {
            let this = Arc::clone(self);
            tokio::spawn(async move {
                // Let the other requests of this turn queue their checks first.
                tokio::task::yield_now().await;
                this.run_batches();
            });
        }
        // The batch task always answers; a dropped sender would mean it panicked.
        result.await.unwrap_or(false)
    }

    /// One check without batching: the plain message, then the `<Bytes>`-wrapped one.
    fn check_one(
        &self,
        key: &schnorrkel::PublicKey,
        message: &str,
        signature: &schnorrkel::Signature,
    ) -> bool {
        key.verify(self.context.bytes(message.as_bytes()), signature)
            .is_ok()
            || key
                .verify(
                    self.context
                        .bytes(format!("<Bytes>{message}</Bytes>").as_bytes()),
                    signature,
                )
                .is_ok()
    }

    /// Checks every queued job, `MAX_BATCH` at a time, and answers each.
    fn run_batches(&self) {
        let mut jobs = {
            let mut queue = self.lock_queue();
            queue.scheduled = false;
            std::mem::take(&mut queue.jobs)
        };
        while !jobs.is_empty() {
            let rest = jobs.split_off(jobs.len().min(MAX_BATCH));
            let results = self.check_batch(&jobs);
            for (job, ok) in jobs.into_iter().zip(results) {
                // The request may have gone away meanwhile; then nobody needs the answer.
                let _ = job.done.send(ok);
            }
            jobs = rest;
        }
    }

    /// The validity of each job's signature.
    fn check_batch(&self, jobs: &[Job]) -> Vec<bool> {
        if let [job] = jobs {
            return vec![self.check_one(&job.key, &job.message, &job.signature)];
        }
        let transcripts = jobs
            .iter()
            .map(|j| self.context.bytes(j.message.as_bytes()));
        let signatures: Vec<schnorrkel::Signature> = jobs.iter().map(|j| j.signature).collect();
        let keys: Vec<schnorrkel::PublicKey> = jobs.iter().map(|j| j.key).collect();
        if schnorrkel::verify_batch(transcripts, &signatures, &keys, false).is_ok() {
            return vec![true; jobs.len()];
        }
        self.lock_queue().cooldown = COOLDOWN;
        jobs.iter()
            .map(|j| self.check_one(&j.key, &j.message, &j.signature))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tao_crypto::Pair;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    /// Runs `checks` concurrently on one runtime, so that they share batches.
    fn check_all(
        verifier: &Arc<Verifier>,
        checks: Vec<(Prepared, String, Signature)>,
    ) -> Vec<bool> {
        runtime().block_on(async {
            let mut handles = Vec::new();
            for (key, message, sig) in checks {
                let v = Arc::clone(verifier);
                handles.push(tokio::spawn(
                    async move { v.check(&key, message, &sig).await },
                ));
            }
            let mut out = Vec::new();
            for h in handles {
                out.push(h.await.unwrap());
            }
            out
        })
    }

    #[test]
    fn agrees_with_tao_crypto() {
        let verifier = Arc::new(Verifier::new(2));
        let pairs: Vec<Pair> = ["//Alice", "//Bob", "//Charlie"]
            .iter()
            .map(|u| Pair::from_uri(u).unwrap())
            .collect();
        for round in 0..2 {
            for (i, pair) in pairs.iter().enumerate() {
                let msg = format!("{round}.{i}.message");
                let sig = pair.sign(msg.as_bytes());
                let key = verifier.key(&pair.public().to_ss58()).unwrap();
                let other = pairs[(i + 1) % pairs.len()].public().to_ss58();
                let other = verifier.key(&other).unwrap();
                let mut bad = sig;
                bad.0[10] ^= 1;
                let wrapped = pair.sign(format!("<Bytes>{msg}</Bytes>").as_bytes());
                assert!(pair.public().verify(msg.as_bytes(), &sig));
                let checks = vec![
                    (key.clone(), msg.clone(), sig),
                    (key.clone(), "other".to_owned(), sig),
                    (other, msg.clone(), sig),
                    (key.clone(), msg.clone(), bad),
                    (key, msg, wrapped),
                ];
                // Alone (no batch) and all together (a failing batch, then single checks).
                let expect = [true, false, false, false, true];
                for (check, want) in checks.iter().cloned().zip(expect) {
                    assert_eq!(check_all(&verifier, vec![check]), vec![want]);
                }
                assert_eq!(check_all(&verifier, checks), expect);
            }
        }
        assert!(verifier.lock().len() <= 2, "the cache stays bounded");
    }

    #[test]
    fn valid_batches_pass_and_a_bad_signature_is_found() {
        let verifier = Arc::new(Verifier::new(64));
        let pairs: Vec<Pair> = (0..40)
            .map(|i| Pair::from_seed(&[i as u8 + 1; 32]))
            .collect();
        let checks = |bad: Option<usize>| -> Vec<(Prepared, String, Signature)> {
            pairs
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let msg = format!("{i}.request");
                    let mut sig = p.sign(msg.as_bytes());
                    if bad == Some(i) {
                        sig.0[0] ^= 1;
                    }
                    (verifier.key(&p.public().to_ss58()).unwrap(), msg, sig)
                })
                .collect()
        };
        assert_eq!(check_all(&verifier, checks(None)), vec![true; 40]);
        assert_eq!(
            verifier.lock_queue().cooldown,
            0,
            "a valid batch starts no cool-down"
        );
        let got = check_all(&verifier, checks(Some(17)));
        let want: Vec<bool> = (0..40).map(|i| i != 17).collect();
        assert_eq!(got, want);
        assert!(
            verifier.lock_queue().cooldown > 0,
            "a failed batch starts the cool-down"
        );
    }

    #[test]
    fn bad_addresses() {
        let verifier = Verifier::new(8);
        assert!(verifier.key("not-an-address").is_err());
        assert!(verifier.lock().is_empty());
        // A valid SS58 encoding of bytes that are not a Ristretto point.
        let not_point = PublicKey([0xff; 32]).to_ss58();
        let key = verifier.key(&not_point).unwrap();
        assert!(matches!(key, Prepared::NotAPoint));
        let sig = Pair::from_uri("//Alice").unwrap().sign(b"m");
        let verifier = Arc::new(verifier);
        assert_eq!(
            check_all(&verifier, vec![(key, "m".into(), sig)]),
            vec![false]
        );
        assert!(verifier.lock().is_empty());
    }
}
