//! Latency distributions (hdrhistogram, microseconds) and the result records every scenario writes.

use std::io::Write;
use std::sync::{Mutex, PoisonError};

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{Value, json};

/// Microseconds, from 1 µs to 10 minutes, 3 significant digits.
pub fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// Histograms sharded by a key (a socket's index), so thousands of receiving tasks rarely contend.
pub struct Sharded {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl Sharded {
    pub fn new(shards: usize) -> Self {
        Self { shards: (0..shards.max(1)).map(|_| Mutex::new(new_hist())).collect() }
    }

    pub fn record(&self, key: usize, micros: u64) {
        let shard = &self.shards[key % self.shards.len()];
        shard.lock().unwrap_or_else(PoisonError::into_inner).saturating_record(micros.max(1));
    }

    pub fn merged(&self) -> Histogram<u64> {
        let mut all = new_hist();
        for shard in &self.shards {
            let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            all.add(&*shard).expect("same bounds");
        }
        all
    }
}

/// A distribution in milliseconds: what the report shows (never a mean alone).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Dist {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Dist {
    pub fn of(hist: &Histogram<u64>) -> Self {
        let ms = |micros: u64| (micros as f64) / 1000.0;
        if hist.is_empty() {
            return Self { count: 0, p50_ms: 0.0, p99_ms: 0.0, p999_ms: 0.0, max_ms: 0.0 };
        }
        Self {
            count: hist.len(),
            p50_ms: ms(hist.value_at_quantile(0.50)),
            p99_ms: ms(hist.value_at_quantile(0.99)),
            p999_ms: ms(hist.value_at_quantile(0.999)),
            max_ms: ms(hist.max()),
        }
    }
}

impl std::fmt::Display for Dist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "n={:<8} p50 {:>8.2} ms  p99 {:>8.2} ms  p99.9 {:>8.2} ms  max {:>8.2} ms",
            self.count, self.p50_ms, self.p99_ms, self.p999_ms, self.max_ms
        )
    }
}

/// The 1, 5 and 15 minute load averages, from /proc/loadavg.
pub fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
    [it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN)]
}

/// VmRSS of a process in KiB, from /proc/<pid>/status.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/{pid}/status"))
}

/// Appends one result record (JSON, one line) to `out` and prints it for a person.
pub fn emit(out: Option<&std::path::Path>, scenario: &str, target: &str, params: Value, results: Value) {
    let record = json!({
        "scenario": scenario,
        "target": target,
        "at": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "load_average": load_average(),
        "params": params,
        "results": results,
    });
    println!("RESULT {record}");
    if let Some(path) = out {
        let line = format!("{record}\n");
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(err) = written {
            eprintln!("cannot append to {}: {err}", path.display());
        }
    }
}
