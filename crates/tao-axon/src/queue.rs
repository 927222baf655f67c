//! Bounded priority admission: at most `workers` requests run at once, at most `queue` wait.
//!
//! The reference submits each verified request to a priority thread pool (priority = the
//! subnet's priority function, conventionally the caller's stake). Here:
//!
//! ```text
//! acquire(priority):
//!   a worker slot is free            -> run now
//!   queue has room                   -> wait, highest priority first (FIFO among equals)
//!   queue full, priority > lowest    -> the lowest waiter is told Busy, this one waits
//!   otherwise                        -> Busy
//! release: hand the slot to the best waiter, else free it
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;

/// Why a request was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// The waiting queue is full of requests with at least this priority.
    Busy,
    /// The request waited longer than its timeout.
    Timeout,
}

/// Waiters ordered by (priority, reverse arrival): the last key is the next to run.
type WaitKey = (u64, std::cmp::Reverse<u64>);

struct State {
    running: usize,
    next_seq: u64,
    waiting: BTreeMap<WaitKey, oneshot::Sender<()>>,
}

/// The admission gate shared by all connections of one axon.
pub struct Scheduler {
    workers: usize,
    queue: usize,
    state: Mutex<State>,
}

/// A running slot; dropping it admits the next waiter.
pub struct Permit {
    scheduler: Arc<Scheduler>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.scheduler.release();
    }
}

impl Scheduler {
    /// A gate with `workers` concurrent slots and room for `queue` waiters.
    pub fn new(workers: usize, queue: usize) -> Arc<Scheduler> {
        Arc::new(Scheduler {
            workers: workers.max(1),
            queue,
            state: Mutex::new(State {
                running: 0,
                next_seq: 0,
                waiting: BTreeMap::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another request panicked mid-update of plain counters.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of requests waiting for a slot.
    pub fn queued(&self) -> usize {
        self.lock().waiting.len()
    }

    /// Waits for a slot for at most `wait`.
    pub async fn acquire(
        self: &Arc<Self>,
        priority: u64,
        wait: Duration,
    ) -> Result<Permit, Rejected> {
        let (key, mut rx) = {
            let mut st = self.lock();
            if st.running < self.workers {
                st.running += 1;
                return Ok(Permit {
                    scheduler: Arc::clone(self),
                });
            }
            if st.waiting.len() >= self.queue {
                match st.waiting.keys().next().copied() {
                    Some(lowest) if lowest.0 < priority => {
                        // Dropping the sender tells the evicted waiter it is Busy.
                        st.waiting.remove(&lowest);
                    }
                    _ => return Err(Rejected::Busy),
                }
            }
            let seq = st.next_seq;
            st.next_seq += 1;
            let key = (priority, std::cmp::Reverse(seq));
            let (tx, rx) = oneshot::channel();
            st.waiting.insert(key, tx);
            (key, rx)
        };
        match tokio::time::timeout(wait, &mut rx).await {
            Ok(Ok(())) => Ok(Permit {
                scheduler: Arc::clone(self),
            }),
            Ok(Err(_)) => Err(Rejected::Busy),
            Err(_) => {
                let removed = self.lock().waiting.remove(&key).is_some();
                if !removed && rx.try_recv().is_ok() {
                    // The slot was handed over just as the wait expired: give it back.
                    drop(Permit {
                        scheduler: Arc::clone(self),
                    });
                }
                Err(Rejected::Timeout)
            }
        }
    }

    fn release(&self) {
        let mut st = self.lock();
        while let Some((_, tx)) = st.waiting.pop_last() {
            if tx.send(()).is_ok() {
                return;
            }
        }
        st.running = st.running.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    }

    #[test]
    fn admits_up_to_workers_then_queues_then_busy() {
        rt().block_on(async {
            let s = Scheduler::new(1, 1);
            let p1 = s.acquire(0, Duration::from_secs(1)).await.unwrap();
            let s2 = Arc::clone(&s);
            let waiter = tokio::spawn(async move { s2.acquire(5, Duration::from_secs(5)).await });
            while s.queued() == 0 {
                tokio::task::yield_now().await;
            }
            // Queue full with a priority-5 waiter: a priority-1 request is Busy.
            assert_eq!(
                s.acquire(1, Duration::from_secs(1)).await.err(),
                Some(Rejected::Busy)
            );
            drop(p1);
            let p2 = waiter.await.unwrap().unwrap();
            drop(p2);
            assert_eq!(s.lock().running, 0);
        });
    }

    #[test]
    fn higher_priority_evicts_lowest_waiter() {
        rt().block_on(async {
            let s = Scheduler::new(1, 1);
            let p1 = s.acquire(0, Duration::from_secs(1)).await.unwrap();
            let s2 = Arc::clone(&s);
            let low = tokio::spawn(async move { s2.acquire(1, Duration::from_secs(5)).await });
            while s.queued() == 0 {
                tokio::task::yield_now().await;
            }
            let s3 = Arc::clone(&s);
            let high = tokio::spawn(async move { s3.acquire(9, Duration::from_secs(5)).await });
            assert_eq!(low.await.unwrap().err(), Some(Rejected::Busy));
            drop(p1);
            assert!(high.await.unwrap().is_ok());
        });
    }

    #[test]
    fn waiting_times_out_and_frees_its_place() {
        rt().block_on(async {
            let s = Scheduler::new(1, 1);
            let _p = s.acquire(0, Duration::from_secs(1)).await.unwrap();
            assert_eq!(
                s.acquire(3, Duration::from_millis(10)).await.err(),
                Some(Rejected::Timeout)
            );
            assert_eq!(s.queued(), 0);
        });
    }
}
