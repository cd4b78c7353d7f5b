//! Join storm: a mover moves a card at R moves/s on one board while a crowd of N distinct users (at most two
//! sockets each) opens the board's WebSocket, spread evenly over a few seconds, and stays. Measures what the
//! crowd costs everyone else: the fan-out latency of the moves (send → each watcher's receipt) from the first
//! join until some seconds after the last, the mover's ack latency, and the server's RSS above idle. Watchers
//! read everything they get; `presence` frames are counted and weighed per socket. With `--baseline`, the same
//! storm against the bare broadcast server (which sends no presence).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::Common;
use crate::accounts::{Accounts, Seating};
use crate::baseline;
use crate::client::{Api, Dialer, Kind, Probe, Ws, kind, read_frames};
use crate::scenario::fanout::FrameFn;
use crate::setup;
use crate::stats::{self, Dist, Sharded, rss_kib};

#[derive(Args, Clone)]
pub struct JoinStormArgs {
    /// Distinct users joining.
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Sockets each user opens (one after the other in the storm's order).
    #[arg(long, default_value_t = 1)]
    pub sockets_per_user: usize,
    /// The joins are spread evenly over this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub join_seconds: f64,
    /// Moves keep being measured this long after the last join.
    #[arg(long, default_value_t = 10.0)]
    pub after_seconds: f64,
    /// Moves before the first join (not measured).
    #[arg(long, default_value_t = 2.0)]
    pub before_seconds: f64,
    /// Moves per second.
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Target: RSS above idle after the joins (MiB).
    #[arg(long, default_value_t = 64)]
    pub rss_target_mib: u64,
    /// Measure the bare baseline server instead.
    #[arg(long)]
    pub baseline: bool,
}

/// Where the storm goes: the socket path, who the watchers are, what the mover sends.
struct Stage {
    pid: u32,
    dialer: Arc<Dialer>,
    path: String,
    watcher_tokens: Vec<String>,
    mover_token: Option<String>,
    frame: FrameFn,
    _baseline: Option<baseline::Server>,
}

async fn stage(common: &Common, args: &JoinStormArgs, sockets: usize) -> anyhow::Result<Stage> {
    if args.baseline {
        let server = baseline::spawn().await?;
        return Ok(Stage {
            pid: server.pid().ok_or_else(|| anyhow!("baseline has no pid"))?,
            dialer: Arc::new(Dialer::new(&server.addr, common.sources)?),
            path: "/ws".into(),
            watcher_tokens: Vec::new(),
            mover_token: None,
            frame: Box::new(|_, _, op| baseline::event_frame(op, 1_000_000)),
            _baseline: Some(server),
        });
    }
    let pid = common.server_pid.ok_or_else(|| anyhow!("join-storm needs --server-pid (or BENCH_SERVER_PID)"))?;
    let api = Api::new(&common.server)?;
    let accounts = Accounts::connect(common).await?;
    let owner = api.register_many(&format!("{}_jo", common.run_id()), 1).await?.remove(0);
    let board = setup::board(&api, &owner, &[], "Join storm", 1).await?;
    let seating = Seating::new(sockets, args.sockets_per_user, 1);
    let watcher_tokens = accounts.seat_crowd(&format!("{}_j", common.run_id()), &seating, &[board.board]).await?;
    let path = board.ws_path();
    Ok(Stage {
        pid,
        dialer: Arc::new(Dialer::new(&common.server, common.sources)?),
        path,
        watcher_tokens: watcher_tokens.into_iter().next().unwrap_or_default(),
        mover_token: Some(owner.token),
        frame: Box::new(move |m, n, op| board.move_frame(m, n, op)),
        _baseline: None,
    })
}

/// What one watcher saw.
#[derive(Default)]
struct Watched {
    joined: bool,
    hello_at: Option<u64>,
    events: u64,
    presence_frames: u64,
    presence_bytes: u64,
    closed_by_server: bool,
}

/// Joins at `at`, then reads everything until `stop`.
async fn watcher(
    stage: Arc<Stage>,
    key: usize,
    at: tokio::time::Instant,
    probe: Arc<Probe>,
    join_times: Arc<Sharded>,
    joins_done: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
) -> Watched {
    tokio::time::sleep_until(at).await;
    let token =
        (!stage.watcher_tokens.is_empty()).then(|| stage.watcher_tokens[key % stage.watcher_tokens.len()].as_str());
    let dialed = Instant::now();
    let dial = stage.dialer.dial_retry(&stage.path, token, 3).await;
    joins_done.fetch_add(1, Ordering::Relaxed);
    let mut seen = Watched::default();
    let Ok((mut ws, _)) = dial else { return seen };
    seen.joined = true;
    join_times.record(key, dialed.elapsed().as_micros() as u64);
    let how = read_frames(&mut ws, &mut stop, |text, now| match kind(text) {
        Kind::Event => seen.events += u64::from(probe.on_event(key, text, now)),
        Kind::Hello => seen.hello_at = Some(probe.nanos(now)),
        Kind::Presence => {
            seen.presence_frames += 1;
            seen.presence_bytes += text.len() as u64;
        }
        _ => {}
    })
    .await;
    seen.closed_by_server = how.by_server().is_some();
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    seen
}

/// The mover: reads its acks (and drains everything else) until `stop`.
fn mover_reader(
    stream: futures_util::stream::SplitStream<Ws>,
    probe: Arc<Probe>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<Option<String>> {
    let mut stream = stream;
    tokio::spawn(async move {
        let how = read_frames(&mut stream, &mut stop, |text, now| match kind(text) {
            Kind::Ack => probe.on_ack(0, text, now),
            Kind::Error if probe.errors.fetch_add(1, Ordering::Relaxed) < 3 => eprintln!("mover: {text}"),
            _ => {}
        })
        .await;
        how.by_server()
    })
}

pub async fn run(common: &Common, args: &JoinStormArgs) -> anyhow::Result<()> {
    let sockets = args.users.max(1) * args.sockets_per_user.max(1);
    let stage = Arc::new(stage(common, args, sockets).await?);
    let name = if args.baseline { "baseline" } else { "corkboard" };
    // Room for every move the longest storm could take (joins that take a minute to be admitted).
    let max_seconds = args.before_seconds + args.join_seconds + 60.0 + args.after_seconds;
    let max_moves = (max_seconds * args.rate).ceil() as usize;
    let before_moves = (args.before_seconds * args.rate).ceil() as usize;
    let probe = Probe::new("j", max_moves, before_moves);

    let (mover, _) = stage.dialer.dial_retry(&stage.path, stage.mover_token.as_deref(), 3).await?;
    let (mut sink, stream) = mover.split();
    let (stop_tx, stop_rx) = watch::channel(false);
    let reader = mover_reader(stream, Arc::clone(&probe), stop_rx.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = rss_kib(stage.pid)?;

    // The mover, open loop, until told to stop.
    let moving = Arc::new(AtomicBool::new(true));
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let mover = {
        let (probe, moving, stage) = (Arc::clone(&probe), Arc::clone(&moving), Arc::clone(&stage));
        tokio::spawn(async move {
            let mut sent = 0;
            while sent < max_moves && moving.load(Ordering::Relaxed) {
                tokio::time::sleep_until(start + interval * sent as u32).await;
                let op = probe.op_id(sent);
                let text = (stage.frame)(0, sent, &op);
                probe.mark_sent(sent);
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
                sent += 1;
            }
            (sink, sent)
        })
    };

    // The crowd, each at its own instant.
    let first_join = start + Duration::from_secs_f64(args.before_seconds);
    let spread = Duration::from_secs_f64(args.join_seconds);
    let join_times = Arc::new(Sharded::new(16));
    let joins_done = Arc::new(AtomicUsize::new(0));
    eprintln!(
        "[{name}] {sockets} sockets of {} users joining over {:.0} s, {} moves/s…",
        args.users, args.join_seconds, args.rate
    );
    let watchers: Vec<_> = (0..sockets)
        .map(|k| {
            let at = first_join + spread.mul_f64(k as f64 / sockets as f64);
            let (stage, probe, times, done) =
                (Arc::clone(&stage), Arc::clone(&probe), Arc::clone(&join_times), Arc::clone(&joins_done));
            tokio::spawn(watcher(stage, k, at, probe, times, done, stop_rx.clone()))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs_f64(args.before_seconds + args.join_seconds + 60.0);
    while joins_done.load(Ordering::Relaxed) < sockets && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let joins_seconds = (Instant::now() - first_join.into_std()).as_secs_f64();
    eprintln!("[{name}] joins done {joins_seconds:.1} s after the first; measuring {:.0} s more…", args.after_seconds);
    tokio::time::sleep(Duration::from_secs_f64(args.after_seconds)).await;
    moving.store(false, Ordering::Relaxed);
    let (mut sink, sent) = mover.await?;
    let drain = Instant::now() + Duration::from_secs(10);
    while probe.acked.load(Ordering::Relaxed) + probe.errors.load(Ordering::Relaxed) < sent as u64
        && Instant::now() < drain
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A moment for the last fan-out to land before RSS is read with everyone still connected.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = rss_kib(stage.pid)?;

    let _ = stop_tx.send(true);
    let mover_closed = reader.await.ok().flatten();
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    let (mut joined, mut closed, mut received, mut missing) = (0u64, 0u64, 0u64, 0u64);
    let (mut frames, mut bytes) = (Vec::new(), Vec::new());
    for task in watchers {
        let Ok(seen) = task.await else { continue };
        if !seen.joined {
            continue;
        }
        joined += 1;
        closed += u64::from(seen.closed_by_server);
        received += seen.events;
        // Every move sent after a watcher's hello must reach it.
        let expected = seen.hello_at.map_or(0, |at| probe.sent_after(at));
        missing += expected.saturating_sub(seen.events);
        frames.push(seen.presence_frames);
        bytes.push(seen.presence_bytes);
    }
    let mean = |v: &[u64]| if v.is_empty() { 0.0 } else { v.iter().sum::<u64>() as f64 / v.len() as f64 };
    let events = Dist::of(&probe.events.merged());
    let acks = Dist::of(&probe.acks.merged());
    let joins = Dist::of(&join_times.merged());
    let over_idle = rss_after.saturating_sub(rss_idle);
    // The bare baseline keeps tungstenite's default buffers (≈ 130 KiB a socket): its RSS is shown, not judged.
    let rss_met = (!args.baseline).then_some(over_idle <= args.rss_target_mib * 1024);
    eprintln!("[{name}] fan-out {events}");
    eprintln!("[{name}] mover ack {acks}");
    eprintln!("[{name}] join (dial to open) {joins}");
    eprintln!(
        "[{name}] {joined}/{sockets} joined, {closed} closed by the server, {missing} events missing; presence frames per \
         socket max {} mean {:.1}, bytes max {} mean {:.0}; RSS {rss_idle} → {rss_after} KiB (+{over_idle} KiB, {})",
        frames.iter().max().unwrap_or(&0),
        mean(&frames),
        bytes.iter().max().unwrap_or(&0),
        mean(&bytes),
        match rss_met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not judged",
        }
    );
    stats::emit(
        common.out.as_deref(),
        "join-storm",
        name,
        json!({"users": args.users, "sockets_per_user": args.sockets_per_user, "sockets": sockets,
               "join_seconds": args.join_seconds, "after_seconds": args.after_seconds, "rate": args.rate,
               "rss_target_mib": args.rss_target_mib}),
        json!({"event": events, "ack": acks, "join": joins, "joined": joined, "failed_joins": sockets as u64 - joined,
               "joins_seconds": joins_seconds, "closed_early": closed, "mover_closed": mover_closed,
               "moves": sent, "acks": probe.acked.load(Ordering::Relaxed), "errors": probe.errors.load(Ordering::Relaxed),
               "received_events": received, "missing_events": missing,
               "presence": {"frames_max": frames.iter().max(), "frames_mean": mean(&frames),
                            "bytes_max": bytes.iter().max(), "bytes_mean": mean(&bytes)},
               "rss_idle_kib": rss_idle, "rss_after_kib": rss_after, "rss_over_idle_kib": over_idle, "rss_met": rss_met}),
    );
    Ok(())
}
