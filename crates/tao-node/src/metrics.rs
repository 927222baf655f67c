//! Node metrics in the Prometheus text format, served at `/metrics` on the RPC port.
//!
//! Operational only (wall clock, never consensus): finalized height, finality lag (wall time
//! from a block's timestamp to its finalization here), mempool size, finalized transactions
//! (a counter, and a rate over the last blocks), RPC request latencies per method.

use std::{
    collections::{BTreeMap, VecDeque},
    fmt::Write as _,
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Upper bounds (seconds) of the RPC latency histogram buckets.
const LATENCY_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Blocks over which the transaction rate is averaged.
const RATE_WINDOW: usize = 20;

#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    height: u64,
    finality_lag_ms: u64,
    transactions: u64,
    recent: VecDeque<(u64, u64)>,
    rpc: BTreeMap<String, Histogram>,
}

/// The node's metrics registry (shared by the finalization hook and the RPC server).
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a finalized block of `transactions` transactions with timestamp `timestamp_ms`.
    pub fn block_finalized(&self, height: u64, timestamp_ms: u64, transactions: u64) {
        let mut inner = self.lock();
        inner.height = height;
        inner.finality_lag_ms = now_ms().saturating_sub(timestamp_ms);
        inner.transactions = inner.transactions.saturating_add(transactions);
        inner.recent.push_back((timestamp_ms, transactions));
        if inner.recent.len() > RATE_WINDOW {
            inner.recent.pop_front();
        }
    }

    /// Records one RPC call of `method` that took `elapsed`.
    pub fn rpc_call(&self, method: &str, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut inner = self.lock();
        let histogram = match inner.rpc.get_mut(method) {
            Some(h) => h,
            None => inner.rpc.entry(method.to_string()).or_default(),
        };
        for (bucket, bound) in histogram.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// Finalized transactions per second over the last blocks (by block timestamps).
    fn rate(inner: &Inner) -> f64 {
        let (Some(first), Some(last)) = (inner.recent.front(), inner.recent.back()) else {
            return 0.0;
        };
        let span_ms = last.0.saturating_sub(first.0);
        if span_ms == 0 {
            return 0.0;
        }
        let txs: u64 = inner.recent.iter().skip(1).map(|(_, n)| n).sum();
        txs as f64 * 1000.0 / span_ms as f64
    }

    /// The Prometheus text exposition, with the current `mempool` size.
    pub fn render(&self, mempool: usize) -> String {
        let inner = self.lock();
        let mut out = String::new();
        let mut gauge = |name: &str, help: &str, kind: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        gauge(
            "tao_block_height",
            "Height of the latest finalized block.",
            "gauge",
            inner.height.to_string(),
        );
        gauge(
            "tao_finality_lag_milliseconds",
            "Wall time from the latest finalized block's timestamp to its finalization here.",
            "gauge",
            inner.finality_lag_ms.to_string(),
        );
        gauge(
            "tao_mempool_transactions",
            "Transactions waiting in the mempool.",
            "gauge",
            mempool.to_string(),
        );
        gauge(
            "tao_transactions_finalized_total",
            "Transactions in finalized blocks since the node started (replay included).",
            "counter",
            inner.transactions.to_string(),
        );
        gauge(
            "tao_transactions_per_second",
            "Finalized transactions per second over the last 20 blocks.",
            "gauge",
            format!("{:.1}", Self::rate(&inner)),
        );
        let name = "tao_rpc_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} JSON-RPC request latency by method.\n# TYPE {name} histogram"
        );
        for (method, h) in &inner.rpc {
            for (count, bound) in h.buckets.iter().zip(LATENCY_BUCKETS) {
                let _ = writeln!(
                    out,
                    "{name}_bucket{{method=\"{method}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "{name}_bucket{{method=\"{method}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "{name}_sum{{method=\"{method}\"}} {}", h.sum);
            let _ = writeln!(out, "{name}_count{{method=\"{method}\"}} {}", h.count);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_rate_and_histograms() {
        let m = Metrics::default();
        m.block_finalized(1, 1_000, 10);
        m.block_finalized(2, 2_000, 30);
        m.rpc_call("tao_head", Duration::from_micros(700));
        let text = m.render(5);
        assert!(text.contains("tao_block_height 2\n"));
        assert!(text.contains("tao_mempool_transactions 5\n"));
        assert!(text.contains("tao_transactions_finalized_total 40\n"));
        assert!(text.contains("tao_transactions_per_second 30.0\n"));
        assert!(text.contains("_bucket{method=\"tao_head\",le=\"0.0005\"} 0\n"));
        assert!(text.contains("_bucket{method=\"tao_head\",le=\"0.001\"} 1\n"));
        assert!(text.contains("_count{method=\"tao_head\"} 1\n"));
    }
}
