//! Storm: N sockets over B boards, all dropped at once (TCP closed without a WebSocket close, like a network
//! blip); while they are away each board gets a few moves; then all reconnect at once with `?since=<last seq
//! they saw>`. Measures the time until every socket is live and caught up, the statements that cost (from
//! pg_stat_statements when the server has it, else pg_stat_database), and a live move afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::Common;
use crate::accounts::{Accounts, Seating};
use crate::client::{Api, Dialer, Kind, Probe, Ws, int_field, kind, read_frames, watch as watch_socket};
use crate::scenario::fanout::dial_many;
use crate::setup::{self, BoardSetup};
use crate::stats::{self, Dist, Sharded};

#[derive(Args, Clone)]
pub struct StormArgs {
    #[arg(long, default_value_t = 5000)]
    pub sockets: usize,
    #[arg(long, default_value_t = 50)]
    pub boards: usize,
    /// Sockets per user account (the accounts are inserted into the database).
    #[arg(long, default_value_t = 2)]
    pub sockets_per_user: usize,
    /// Moves per board while the sockets are away (what they must catch up on).
    #[arg(long, default_value_t = 3)]
    pub offline_moves: usize,
    /// Reconnects in flight at once (the rest wait for a slot: the storm is as fast as the server admits).
    #[arg(long, default_value_t = 1000)]
    pub connect_concurrency: usize,
    #[arg(long, default_value_t = 60)]
    pub timeout_seconds: u64,
}

/// Statement counts by what they do.
async fn statement_counts(db: &sqlx::PgPool) -> Option<Value> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "select query, calls from pg_stat_statements s join pg_database d on d.oid = s.dbid
         where d.datname = current_database()",
    )
    .fetch_all(db)
    .await
    .ok()?;
    let (mut log, mut sessions, mut admission, mut total) = (0, 0, 0, 0);
    for (query, calls) in &rows {
        let q = query.to_lowercase();
        if q.contains("pg_stat_statements") || q.contains("pg_stat_database") {
            continue;
        }
        total += calls;
        if q.contains("from events") && q.contains("seq >") {
            log += calls;
        } else if q.contains("from sessions") {
            sessions += calls;
        } else if q.contains("left join board_members") {
            admission += calls;
        }
    }
    Some(json!({"log_reads": log, "session_checks": sessions, "admission_queries": admission, "all_statements": total}))
}

async fn xact_commit(db: &sqlx::PgPool) -> Option<i64> {
    sqlx::query_scalar::<_, i64>("select xact_commit from pg_stat_database where datname = current_database()")
        .fetch_one(db)
        .await
        .ok()
}

struct Resumed {
    caught_up: Option<Duration>,
    resets: u32,
    closed: Option<String>,
}

/// Reads a resumed socket: caught up once it has the events up to `target`; then live until `stop`.
async fn resume(
    mut ws: Ws,
    target: i64,
    t0: Instant,
    live: Arc<Probe>,
    key: usize,
    mut stop: watch::Receiver<bool>,
    done: Arc<AtomicUsize>,
) -> Resumed {
    let mut out = Resumed { caught_up: None, resets: 0, closed: None };
    let mut seq = -1;
    let how = read_frames(&mut ws, &mut stop, |text, now| {
        match kind(text) {
            Kind::Event => {
                seq = int_field(text, "seq").unwrap_or(seq);
                live.on_event(key, text, now);
            }
            Kind::Hello if seq < 0 => seq = 0,
            Kind::Reset => out.resets += 1,
            _ => {}
        }
        if out.caught_up.is_none() && (seq >= target || out.resets > 0) {
            out.caught_up = Some(now - t0);
            done.fetch_add(1, Ordering::Relaxed);
        }
    })
    .await;
    out.closed = how.by_server();
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    out
}

pub async fn run(common: &Common, args: &StormArgs) -> anyhow::Result<()> {
    let api = Api::new(&common.server)?;
    let dialer = Arc::new(Dialer::new(&common.server, common.sources)?);
    let db = match &common.database_url {
        Some(url) => Some(sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(url).await?),
        None => None,
    };
    let has_pgss = match &db {
        Some(db) => {
            sqlx::query("create extension if not exists pg_stat_statements").execute(db).await.is_ok()
                && sqlx::query("select pg_stat_statements_reset()").execute(db).await.is_ok()
        }
        None => false,
    };
    let accounts = Accounts::connect(common).await?;
    let owner = api.register_many(&format!("{}_so", common.run_id()), 1).await?.remove(0);
    eprintln!("creating {} boards…", args.boards);
    let mut boards: Vec<BoardSetup> = Vec::with_capacity(args.boards);
    for b in 0..args.boards.max(1) {
        boards.push(setup::board(&api, &owner, &[], &format!("Storm {b}"), 1).await?);
    }
    let nb = boards.len();
    let seating = Seating::new(args.sockets, args.sockets_per_user, nb);
    let ids: Vec<_> = boards.iter().map(|b| b.board).collect();
    // Each board's watchers, by board.
    let tokens = accounts.seat_crowd(&format!("{}_s", common.run_id()), &seating, &ids).await?;

    // 1. Everyone connected.
    let (stop1_tx, stop1_rx) = watch::channel(false);
    let mut first = Vec::with_capacity(args.sockets);
    for (b, board) in boards.iter().enumerate() {
        let n = seating.sockets_on(b, args.sockets);
        let (sockets, _) = dial_many(&dialer, &board.ws_path(), &tokens[b], n, 256).await?;
        for (j, ws) in sockets.into_iter().enumerate() {
            first.push((b, j, tokio::spawn(watch_socket(ws, None, 0, stop1_rx.clone(), false))));
        }
    }
    eprintln!("{} sockets open on {nb} boards", first.len());
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 2. Dropped at once (no close handshake), then the boards move on without them.
    let _ = stop1_tx.send(true);
    let mut resume_from = Vec::with_capacity(first.len());
    for (b, j, task) in first {
        resume_from.push((b, j, task.await.map(|end| end.last_seq).unwrap_or(0)));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut targets = vec![0i64; nb];
    for (b, board) in boards.iter().enumerate() {
        for k in 0..args.offline_moves.max(1) {
            targets[b] =
                api.move_card(&owner.token, board.cards[0], board.lists[(k + 1) % 2], &format!("off{b}x{k}")).await?;
        }
    }
    let live = Probe::new("live", nb, 0);
    if let Some(db) = &db
        && has_pgss
    {
        let _ = sqlx::query("select pg_stat_statements_reset()").execute(db).await;
    }
    let xact0 = match &db {
        Some(db) => xact_commit(db).await,
        None => None,
    };

    // 3. The storm: everyone back at once with `since`.
    eprintln!("storm: {} sockets reconnecting with since…", resume_from.len());
    let (stop2_tx, stop2_rx) = watch::channel(false);
    let done = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let dial_results: Vec<anyhow::Result<(tokio::task::JoinHandle<Resumed>, u32)>> =
        futures_util::stream::iter(resume_from.iter().enumerate())
            .map(|(i, &(b, j, since))| {
                let dialer = Arc::clone(&dialer);
                let path = format!("{}?since={since}", boards[b].ws_path());
                let token = tokens[b][j % tokens[b].len()].clone();
                let (live, stop, done, target) = (Arc::clone(&live), stop2_rx.clone(), Arc::clone(&done), targets[b]);
                async move {
                    let (ws, tries) = dialer.dial_retry(&path, Some(&token), 8).await?;
                    // Read at once: the caught-up instant is when this socket has its last missed event.
                    Ok((tokio::spawn(resume(ws, target, t0, live, i, stop, done)), tries))
                }
            })
            .buffer_unordered(args.connect_concurrency.max(1))
            .collect()
            .await;
    let connected_at = t0.elapsed();
    let mut tasks = Vec::with_capacity(dial_results.len());
    let mut failed = 0;
    let mut retries = 0;
    for result in dial_results {
        match result {
            Ok((task, tries)) => {
                retries += tries;
                tasks.push(task);
            }
            Err(err) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("reconnect failed: {err:#}");
                }
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds);
    while done.load(Ordering::Relaxed) < tasks.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let all_caught_up = t0.elapsed();
    let caught = done.load(Ordering::Relaxed);
    eprintln!(
        "storm: {caught}/{} caught up after {:.2} s (all dialed after {:.2} s, {failed} failed, {retries} retries)",
        resume_from.len(),
        all_caught_up.as_secs_f64(),
        connected_at.as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let statements = match &db {
        Some(db) if has_pgss => statement_counts(db).await,
        _ => None,
    };
    let xact1 = match &db {
        Some(db) => xact_commit(db).await,
        None => None,
    };

    // 4. Live afterwards: one move per board reaches every socket.
    for (b, board) in boards.iter().enumerate() {
        live.mark_sent(b);
        api.move_card(&owner.token, board.cards[0], board.lists[(args.offline_moves + b) % 2], &live.op_id(b)).await?;
    }
    let live_deadline = Instant::now() + Duration::from_secs(10);
    while (live.received.load(Ordering::Relaxed) as usize) < tasks.len() && Instant::now() < live_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop2_tx.send(true);
    let per_socket = Sharded::new(1);
    let (mut resets, mut closed) = (0, 0);
    for task in tasks {
        if let Ok(r) = task.await {
            if let Some(t) = r.caught_up {
                per_socket.record(0, t.as_micros() as u64);
            }
            resets += r.resets;
            closed += usize::from(r.closed.is_some());
        }
    }
    let caught_dist = Dist::of(&per_socket.merged());
    let live_dist = Dist::of(&live.events.merged());
    eprintln!("storm: per-socket caught-up {caught_dist}");
    eprintln!("storm: statements {statements:?}, xact_commit delta {:?}", xact0.zip(xact1).map(|(a, b)| b - a));
    eprintln!(
        "storm: live move afterwards {live_dist} ({} of {})",
        live.received.load(Ordering::Relaxed),
        resume_from.len()
    );
    let log_reads_per_board = statements.as_ref().and_then(|s| s["log_reads"].as_i64()).map(|r| r as f64 / nb as f64);
    stats::emit(
        common.out.as_deref(),
        "storm",
        "corkboard",
        json!({"sockets": args.sockets, "boards": nb, "users": seating.users, "sockets_per_user": args.sockets_per_user,
               "offline_moves": args.offline_moves,
               "connect_concurrency": args.connect_concurrency}),
        json!({"all_caught_up_seconds": all_caught_up.as_secs_f64(), "all_dialed_seconds": connected_at.as_secs_f64(),
               "caught_up": caught, "failed": failed, "retries": retries, "resets": resets, "closed_early": closed,
               "per_socket": caught_dist, "statements": statements, "log_reads_per_board": log_reads_per_board,
               "xact_commit_delta": xact0.zip(xact1).map(|(a, b)| b - a), "pg_stat_statements": has_pgss,
               "live_after": live_dist, "live_received": live.received.load(Ordering::Relaxed)}),
    );
    if caught < resume_from.len() || failed > 0 {
        anyhow::bail!("only {caught} of {} sockets were caught up ({failed} could not reconnect)", resume_from.len());
    }
    Ok(())
}
