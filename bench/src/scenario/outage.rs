//! Outage: one client (one account) sends `move_card` frames at a steady R frames/s on its board's WebSocket;
//! after a few seconds Postgres is stopped for some seconds and started again, and the client keeps sending for
//! a while after. A client that keeps to the documented rate should stay connected and get an answer (ack, or an
//! error frame) for every move, and no operation may be applied twice or applied after a refusal that said
//! nothing was stored. Postgres is stopped and started by the shell commands in BENCH_PG_STOP / BENCH_PG_START
//! (scripts/bench gives them for its private cluster: never a shared server).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::Common;
use crate::client::{Api, Dialer, Kind, ReadEnd, kind, read_frames, str_field};
use crate::setup;
use crate::stats;

#[derive(Args, Clone)]
pub struct OutageArgs {
    /// Moves per second (the server allows 20 frames a second per socket).
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Sending before Postgres stops.
    #[arg(long, default_value_t = 3.0)]
    pub before_seconds: f64,
    /// How long Postgres stays down.
    #[arg(long, default_value_t = 8.0)]
    pub outage_seconds: f64,
    /// Sending after Postgres is started again.
    #[arg(long, default_value_t = 10.0)]
    pub after_seconds: f64,
    /// How long unanswered moves may still be answered after the last send.
    #[arg(long, default_value_t = 15.0)]
    pub grace_seconds: f64,
    /// Shell command that stops the server's Postgres (run with `sh -c`).
    #[arg(long, env = "BENCH_PG_STOP")]
    pub pg_stop: Option<String>,
    /// Shell command that starts it again.
    #[arg(long, env = "BENCH_PG_START")]
    pub pg_start: Option<String>,
}

/// The answers each operation got, by index.
#[derive(Default)]
struct Answers {
    acks: Vec<u32>,
    errors: Vec<u32>,
    codes: BTreeMap<String, u64>,
}

async fn shell(what: &str, command: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    let status = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new("sh").arg("-c").arg(command).kill_on_drop(true).status(),
    )
    .await
    .with_context(|| format!("{what} took over 60 s"))??;
    anyhow::ensure!(status.success(), "{what} failed ({status}): {command}");
    Ok(started.elapsed().as_secs_f64())
}

pub async fn run(common: &Common, args: &OutageArgs) -> anyhow::Result<()> {
    let (Some(stop_cmd), Some(start_cmd)) = (args.pg_stop.clone(), args.pg_start.clone()) else {
        anyhow::bail!("outage needs BENCH_PG_STOP and BENCH_PG_START (scripts/bench sets them for its own cluster)");
    };
    let api = Api::new(&common.server)?;
    let user = api.register_many(&format!("{}_o", common.run_id()), 1).await?.remove(0);
    let board = setup::board(&api, &user, &[], "Outage", 1).await?;
    let dialer = Dialer::new(&common.server, common.sources)?;
    let (ws, _) = dialer.dial_retry(&board.ws_path(), Some(&user.token), 3).await?;
    let (mut sink, mut stream) = ws.split();

    let total = ((args.before_seconds + args.outage_seconds + args.after_seconds) * args.rate).ceil() as usize;
    let answers = Arc::new(Mutex::new(Answers { acks: vec![0; total], errors: vec![0; total], ..Default::default() }));
    let prefix = "out";
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let reader = {
        let answers = Arc::clone(&answers);
        tokio::spawn(async move {
            let end = read_frames(&mut stream, &mut stop_rx, |text, _| {
                let kind = kind(text);
                if !matches!(kind, Kind::Ack | Kind::Error) {
                    return;
                }
                let index = str_field(text, "client_op_id")
                    .and_then(|op| op.strip_prefix(prefix))
                    .and_then(|i| i.parse::<usize>().ok());
                let mut a = answers.lock().unwrap_or_else(PoisonError::into_inner);
                match (kind, index) {
                    (Kind::Ack, Some(i)) if i < a.acks.len() => a.acks[i] += 1,
                    (Kind::Error, index) => {
                        *a.codes.entry(str_field(text, "code").unwrap_or("?").to_owned()).or_default() += 1;
                        if let Some(i) = index.filter(|&i| i < a.errors.len()) {
                            a.errors[i] += 1;
                        }
                    }
                    _ => {}
                }
            })
            .await;
            match end {
                ReadEnd::Stopped => None,
                other => other.by_server(),
            }
        })
    };

    // Postgres goes away after `before_seconds` and comes back `outage_seconds` later.
    let t0 = Instant::now();
    let outage = {
        let (before, down) = (args.before_seconds, args.outage_seconds);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(before)).await;
            eprintln!("outage: stopping Postgres");
            let stopped = shell("BENCH_PG_STOP", &stop_cmd).await;
            let stopped_at = t0.elapsed().as_secs_f64();
            tokio::time::sleep(Duration::from_secs_f64(down)).await;
            eprintln!("outage: starting Postgres");
            // Started again whatever the stop said: a half-stopped cluster must not stay down.
            let started = shell("BENCH_PG_START", &start_cmd).await;
            let started_at = t0.elapsed().as_secs_f64();
            (stopped.and(started), stopped_at, started_at)
        })
    };

    eprintln!(
        "outage: {total} moves at {}/s; Postgres down from {:.0} s for {:.0} s",
        args.rate, args.before_seconds, args.outage_seconds
    );
    let start = tokio::time::Instant::now();
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let mut sent = 0;
    for n in 0..total {
        tokio::time::sleep_until(start + interval * n as u32).await;
        let frame = board.move_frame(0, n, &format!("{prefix}{n}"));
        if sink.send(Message::Text(frame.into())).await.is_err() {
            eprintln!("outage: the socket is gone after {n} moves");
            break;
        }
        sent = n + 1;
    }
    let (pg, stopped_at, started_at) = outage.await?;
    pg?;

    // Grace: every move sent should get its answer.
    let unanswered = |a: &Answers| (0..sent).filter(|&i| a.acks[i] + a.errors[i] == 0).count();
    let grace = Instant::now() + Duration::from_secs_f64(args.grace_seconds);
    while Instant::now() < grace && !reader.is_finished() {
        if unanswered(&answers.lock().unwrap_or_else(PoisonError::into_inner)) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    let closed = reader.await.ok().flatten();
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;

    // What the log says was applied, by operation.
    let db_url = common.database_url.as_deref().ok_or_else(|| anyhow!("outage needs --database-url"))?;
    let db = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(db_url).await?;
    let applied: Vec<(String, i64)> = sqlx::query_as(
        "select client_op_id, count(*) from events where board_id = $1 and client_op_id like 'out%' group by 1",
    )
    .bind(board.board)
    .fetch_all(&db)
    .await?;
    let a = answers.lock().unwrap_or_else(PoisonError::into_inner);
    let index_of = |op: &str| op.strip_prefix(prefix).and_then(|i| i.parse::<usize>().ok()).filter(|&i| i < sent);
    let applied_twice = applied.iter().filter(|(_, n)| *n > 1).count();
    // Refused with "nothing was stored" (and never acked), yet in the log.
    let applied_after_refusal =
        applied.iter().filter_map(|(op, _)| index_of(op)).filter(|&i| a.errors[i] > 0 && a.acks[i] == 0).count();
    let acked_twice = (0..sent).filter(|&i| a.acks[i] > 1).count();
    let acked = (0..sent).filter(|&i| a.acks[i] > 0).count();
    let refused = (0..sent).filter(|&i| a.errors[i] > 0 && a.acks[i] == 0).count();
    let unanswered = unanswered(&a);
    let connected = closed.is_none();
    let passed = connected && unanswered == 0 && applied_twice == 0 && applied_after_refusal == 0 && acked_twice == 0;
    eprintln!(
        "outage: {} ; sent {sent}, acked {acked}, refused {refused} {:?}, unanswered {unanswered}, applied {} (twice {applied_twice}, \
         after a refusal {applied_after_refusal}), acked twice {acked_twice}: {}",
        closed.as_deref().map_or("connected throughout".to_owned(), |c| format!("closed: {c}")),
        a.codes,
        applied.len(),
        if passed { "passed" } else { "FAILED" }
    );
    stats::emit(
        common.out.as_deref(),
        "outage",
        "corkboard",
        json!({"rate": args.rate, "before_seconds": args.before_seconds, "outage_seconds": args.outage_seconds,
               "after_seconds": args.after_seconds, "grace_seconds": args.grace_seconds}),
        json!({"connected_throughout": connected, "closed": closed, "planned": total, "sent": sent,
               "acked": acked, "refused": refused, "error_codes": a.codes, "unanswered": unanswered,
               "applied": applied.len(), "applied_twice": applied_twice,
               "applied_after_refusal": applied_after_refusal, "acked_twice": acked_twice,
               "postgres_stopped_at_seconds": stopped_at, "postgres_started_at_seconds": started_at,
               "passed": passed}),
    );
    Ok(())
}
