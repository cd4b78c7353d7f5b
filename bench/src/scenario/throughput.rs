//! Throughput: many boards, several movers per board, open-loop at stepped offered rates; committed moves/s
//! (acks, and the boards' seq in the database when it is given) and the ack latency at each step.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Args;
use corkboard_protocol::Role;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::Common;
use crate::accounts::Accounts;
use crate::client::{Api, Dialer, Kind, Probe, kind, read_frames};
use crate::scenario::fanout::dial_many;
use crate::setup;
use crate::stats::{self, Dist};

#[derive(Args, Clone)]
pub struct ThroughputArgs {
    #[arg(long, default_value_t = 50)]
    pub boards: usize,
    /// Mover sockets per board (each sends at most rate/(boards×movers) per second; the server allows 20).
    #[arg(long, default_value_t = 3)]
    pub movers_per_board: usize,
    /// Offered rates (moves/s over all boards), one step each.
    #[arg(long, value_delimiter = ',', default_value = "500,1000,1500")]
    pub rates: Vec<f64>,
    #[arg(long, default_value_t = 15.0)]
    pub seconds: f64,
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
}

async fn committed(db: Option<&sqlx::PgPool>, boards: &[uuid::Uuid]) -> Option<i64> {
    let db = db?;
    sqlx::query_scalar::<_, i64>("select coalesce(sum(seq), 0)::bigint from boards where id = any($1)")
        .bind(boards)
        .fetch_one(db)
        .await
        .ok()
}

pub async fn run(common: &Common, args: &ThroughputArgs) -> anyhow::Result<()> {
    let api = Api::new(&common.server)?;
    let dialer = Dialer::new(&common.server, common.sources)?;
    let db = match &common.database_url {
        Some(url) => Some(sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(url).await?),
        None => None,
    };
    let owner = api.register_many(&format!("{}_t", common.run_id()), 1).await?.remove(0);
    eprintln!("creating {} boards…", args.boards);
    let mut boards = Vec::with_capacity(args.boards);
    for b in 0..args.boards {
        boards.push(setup::board(&api, &owner, &[], &format!("Throughput {b}"), args.movers_per_board).await?);
    }
    let board_ids: Vec<_> = boards.iter().map(|b| b.board).collect();
    let movers_total = args.boards * args.movers_per_board;
    // Every mover is a person of their own, an editor of its board: one socket per account.
    let accounts = Accounts::connect(common).await?;
    let movers = accounts.create_users(&format!("{}_tm", common.run_id()), movers_total).await?;
    let mut tokens_by_board = Vec::with_capacity(args.boards);
    for (board, mine) in boards.iter().zip(movers.chunks(args.movers_per_board)) {
        accounts.add_members(board.board, mine, Role::Editor).await?;
        tokens_by_board.push(mine.iter().map(|user| user.token.clone()).collect::<Vec<_>>());
    }

    for (step, &rate) in args.rates.iter().enumerate() {
        let per_mover = ((args.seconds + args.warmup) * rate / movers_total as f64).ceil() as usize;
        let total = per_mover * movers_total;
        let warm = (args.warmup * rate).ceil() as usize;
        let probe = Probe::new(&format!("t{step}x"), total, warm);
        let mut sockets = Vec::with_capacity(movers_total);
        for (board, tokens) in boards.iter().zip(&tokens_by_board) {
            let (mut ws, _) = dial_many(&dialer, &board.ws_path(), tokens, args.movers_per_board, 16).await?;
            sockets.append(&mut ws);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = committed(db.as_ref(), &board_ids).await;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let start = tokio::time::Instant::now() + Duration::from_millis(100);
        let started = Instant::now();
        let interval = Duration::from_secs_f64(1.0 / rate);
        let mut readers = Vec::new();
        let mut sends = Vec::new();
        for (g, ws) in sockets.into_iter().enumerate() {
            let (mut sink, mut stream) = ws.split();
            let probe_r = Arc::clone(&probe);
            let mut stop = stop_rx.clone();
            readers.push(tokio::spawn(async move {
                read_frames(&mut stream, &mut stop, |text, now| match kind(text) {
                    Kind::Ack => probe_r.on_ack(g, text, now),
                    Kind::Error if probe_r.errors.fetch_add(1, Ordering::Relaxed) < 3 => {
                        eprintln!("mover {g}: {text}");
                    }
                    _ => {}
                })
                .await;
            }));
            let board = boards[g / args.movers_per_board].clone();
            let m = g % args.movers_per_board;
            let probe = Arc::clone(&probe);
            sends.push(async move {
                for n in 0..per_mover {
                    let index = n * movers_total + g;
                    tokio::time::sleep_until(start + interval * index as u32).await;
                    let op = probe.op_id(index);
                    let text = board.move_frame(m, n, &op);
                    probe.mark_sent(index);
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                sink
            });
        }
        eprintln!(
            "step {step}: offering {rate} moves/s over {} boards by {movers_total} movers for {:.0} s",
            args.boards,
            args.seconds + args.warmup
        );
        let sinks = futures_util::future::join_all(sends).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline
            && probe.acked.load(Ordering::Relaxed) + probe.errors.load(Ordering::Relaxed) < total as u64
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let elapsed = started.elapsed().as_secs_f64() - 0.1;
        let after = committed(db.as_ref(), &board_ids).await;
        let _ = stop_tx.send(true);
        for reader in readers {
            let _ = reader.await;
        }
        for mut sink in sinks {
            let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
        }
        let acks = Dist::of(&probe.acks.merged());
        let acked = probe.acked.load(Ordering::Relaxed);
        let committed_db = before.zip(after).map(|(b, a)| a - b);
        let achieved = acked as f64 / elapsed;
        eprintln!(
            "step {step}: {acked}/{total} acked ({achieved:.0}/s), db committed {committed_db:?}, errors {}; ack {acks}",
            probe.errors.load(Ordering::Relaxed)
        );
        stats::emit(
            common.out.as_deref(),
            "throughput",
            "corkboard",
            json!({"boards": args.boards, "movers_per_board": args.movers_per_board, "offered_rate": rate,
                   "seconds": args.seconds, "warmup_seconds": args.warmup}),
            json!({"ack": acks, "moves": total, "acked": acked, "errors": probe.errors.load(Ordering::Relaxed),
                   "committed_db": committed_db, "elapsed_seconds": elapsed, "committed_per_second": achieved}),
        );
        if probe.errors.load(Ordering::Relaxed) > 0 {
            anyhow::bail!("moves were refused with error frames");
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Ok(())
}
