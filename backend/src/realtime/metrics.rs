//! What the realtime side counts: open sockets and SSE streams (Prometheus gauges), the fan-out latency
//! histogram, and the hub's own counters that tests read.

use std::sync::atomic::AtomicU64;

use crate::telemetry::{FANOUT_SECONDS, OPEN_SOCKETS, OPEN_STREAMS, recorder};

/// Counters the Prometheus endpoint does not export; tests read them to prove how often the log is read.
#[derive(Debug, Default)]
pub struct HubStats {
    /// Log reads by single subscribers catching up (joins with `since`, lagging queues, gaps).
    pub catch_up_reads: AtomicU64,
}

/// The fan-out latency histogram, looked up once per hub: every event delivered to every socket records into it.
pub fn fanout_histogram() -> metrics::Histogram {
    // The recorder first: a handle taken before it is installed would record into nothing.
    recorder();
    metrics::histogram!(FANOUT_SECONDS)
}

/// What an `OpenGuard` counts.
#[derive(Debug, Clone, Copy)]
pub enum Transport {
    WebSocket,
    Sse,
}

impl Transport {
    fn metric(self) -> &'static str {
        match self {
            Transport::WebSocket => OPEN_SOCKETS,
            Transport::Sse => OPEN_STREAMS,
        }
    }
}

/// Counts an open socket or stream for as long as it lives.
pub struct OpenGuard {
    transport: Transport,
}

impl OpenGuard {
    pub fn new(transport: Transport) -> Self {
        metrics::gauge!(transport.metric()).increment(1.0);
        Self { transport }
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        metrics::gauge!(self.transport.metric()).decrement(1.0);
    }
}
