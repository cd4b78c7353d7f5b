//! Fan-out: W watchers on one board, movers at R moves/s in total; latency from each move's send to every
//! watcher's receipt of the matching event, and to the mover's ack. The same code drives the real server and
//! the bare baseline; only how a socket is dialed and what a mover sends differ.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::bail;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{Dialer, Kind, Probe, ReadEnd, Ws, kind, read_frames, watch as watch_socket};
use crate::stats::Dist;

/// Builds mover `m`'s `n`-th frame for operation id `op`.
pub type FrameFn = Box<dyn Fn(usize, usize, &str) -> String + Send + Sync>;

/// Where the sockets go and what movers send.
pub struct Target {
    pub name: &'static str,
    pub dialer: Arc<Dialer>,
    /// Path (and query) of the board socket.
    pub path: String,
    /// Tokens for the watchers, used in turn; none for the baseline.
    pub watcher_tokens: Vec<String>,
    /// Tokens for the movers, one each; none for the baseline.
    pub mover_tokens: Vec<String>,
    pub frame: FrameFn,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub watchers: usize,
    pub rate: f64,
    pub seconds: f64,
    pub movers: usize,
    pub warmup_seconds: f64,
    pub connect_concurrency: usize,
}

impl Plan {
    pub fn params(&self) -> Value {
        json!({"watchers": self.watchers, "rate": self.rate, "seconds": self.seconds, "movers": self.movers,
               "warmup_seconds": self.warmup_seconds})
    }
}

/// Dials `n` sockets to `path`, `concurrency` at a time, with `tokens` in turn (none for the baseline); fails if
/// any cannot be opened after retries.
pub async fn dial_many(
    dialer: &Dialer,
    path: &str,
    tokens: &[String],
    n: usize,
    concurrency: usize,
) -> anyhow::Result<(Vec<Ws>, u32)> {
    dial_each(dialer, n, concurrency, |i| {
        (path.to_owned(), (!tokens.is_empty()).then(|| tokens[i % tokens.len()].clone()))
    })
    .await
}

/// Dials `n` sockets, socket `i` to the (path, token) that `seat(i)` names, `concurrency` at a time; fails if
/// any cannot be opened after retries.
pub async fn dial_each(
    dialer: &Dialer,
    n: usize,
    concurrency: usize,
    seat: impl Fn(usize) -> (String, Option<String>),
) -> anyhow::Result<(Vec<Ws>, u32)> {
    let results: Vec<anyhow::Result<(Ws, u32)>> = futures_util::stream::iter(0..n)
        .map(|i| {
            let (path, token) = seat(i);
            async move { dialer.dial_retry(&path, token.as_deref(), 5).await }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut sockets = Vec::with_capacity(n);
    let mut retries = 0;
    for result in results {
        let (ws, tries) = result?;
        retries += tries;
        sockets.push(ws);
    }
    Ok((sockets, retries))
}

pub async fn run(target: &Target, plan: &Plan) -> anyhow::Result<Value> {
    if plan.movers == 0 || plan.rate <= 0.0 {
        bail!("need at least one mover and a positive rate");
    }
    let total_moves = ((plan.seconds + plan.warmup_seconds) * plan.rate).ceil() as usize;
    let per_mover = total_moves.div_ceil(plan.movers);
    let total_moves = per_mover * plan.movers;
    let warmup_moves = (plan.warmup_seconds * plan.rate).ceil() as usize;
    let probe = Probe::new("b", total_moves, warmup_moves);

    eprintln!("[{}] dialing {} watchers…", target.name, plan.watchers);
    let dial_started = Instant::now();
    let (watchers, retries) =
        dial_many(&target.dialer, &target.path, &target.watcher_tokens, plan.watchers, plan.connect_concurrency)
            .await?;
    let connect_seconds = dial_started.elapsed().as_secs_f64();
    eprintln!("[{}] {} watchers open in {connect_seconds:.1} s ({retries} retries)", target.name, watchers.len());

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut watch_tasks = Vec::with_capacity(watchers.len());
    for (key, ws) in watchers.into_iter().enumerate() {
        watch_tasks.push(tokio::spawn(watch_socket(ws, Some(Arc::clone(&probe)), key, stop_rx.clone(), true)));
    }

    let (movers, _) = dial_many(&target.dialer, &target.path, &target.mover_tokens, plan.movers, 16).await?;
    // Let every socket get past hello/presence and the server finish registering them.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let frame = Arc::new(&target.frame);
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let interval = Duration::from_secs_f64(1.0 / plan.rate);
    let mut readers = Vec::new();
    let sends = movers.into_iter().enumerate().map(|(m, ws)| {
        let (mut sink, mut stream) = ws.split();
        let probe_r = Arc::clone(&probe);
        let mut stop = stop_rx.clone();
        readers.push(tokio::spawn(async move {
            let mut shown = 0;
            let end = read_frames(&mut stream, &mut stop, |text, now| match kind(text) {
                Kind::Ack => probe_r.on_ack(m, text, now),
                Kind::Error => {
                    probe_r.errors.fetch_add(1, Ordering::Relaxed);
                    if shown < 3 {
                        shown += 1;
                        eprintln!("mover {m}: {text}");
                    }
                }
                _ => {}
            })
            .await;
            if let ReadEnd::Failed(err) = end {
                eprintln!("mover {m} socket failed: {err}");
            }
        }));
        let probe = Arc::clone(&probe);
        let frame = Arc::clone(&frame);
        let movers = plan.movers;
        async move {
            for n in 0..per_mover {
                let index = n * movers + m;
                tokio::time::sleep_until(start + interval * index as u32).await;
                let op = probe.op_id(index);
                let text = frame(m, n, &op);
                probe.mark_sent(index);
                if let Err(err) = sink.send(Message::Text(text.into())).await {
                    eprintln!("mover {m} cannot send: {err}");
                    break;
                }
            }
            sink
        }
    });
    eprintln!("[{}] moving: {total_moves} moves at {}/s by {} movers", target.name, plan.rate, plan.movers);
    let sinks = futures_util::future::join_all(sends).await;

    // Drain: wait (bounded) until every watcher has every event and every move its ack.
    let expected = (plan.watchers * total_moves) as u64;
    let drain_deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < drain_deadline
        && (probe.received.load(Ordering::Relaxed) < expected
            || probe.acked.load(Ordering::Relaxed) + probe.errors.load(Ordering::Relaxed) < total_moves as u64)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    let mut closed_early = 0;
    for task in watch_tasks {
        if let Ok(end) = task.await
            && end.closed_by_server.is_some()
        {
            closed_early += 1;
        }
    }
    for reader in readers {
        let _ = reader.await;
    }
    for mut sink in sinks {
        let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    }

    let events = Dist::of(&probe.events.merged());
    let acks = Dist::of(&probe.acks.merged());
    let received = probe.received.load(Ordering::Relaxed);
    eprintln!("[{}] watcher receipt: {events}", target.name);
    eprintln!("[{}] mover ack:       {acks}", target.name);
    eprintln!(
        "[{}] received {received}/{expected} events, {} acks, {} errors, frame {} B",
        target.name,
        probe.acked.load(Ordering::Relaxed),
        probe.errors.load(Ordering::Relaxed),
        probe.frame_len.load(Ordering::Relaxed)
    );
    Ok(json!({
        "event": events,
        "ack": acks,
        "moves": total_moves,
        "measured_moves": total_moves - warmup_moves.min(total_moves),
        "expected_events": expected,
        "received_events": received,
        "missing_events": expected.saturating_sub(received),
        "acks": probe.acked.load(Ordering::Relaxed),
        "errors": probe.errors.load(Ordering::Relaxed),
        "frame_bytes": probe.frame_len.load(Ordering::Relaxed),
        "connect_seconds": connect_seconds,
        "connect_retries": retries,
        "closed_early": closed_early,
    }))
}
