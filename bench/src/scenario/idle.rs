//! Idle: N authenticated sockets of distinct users (at most two each) that only answer pings; the server's RSS
//! (VmRSS) at 0 and at each step, and (RSS_N − RSS_0)/N. With `--baseline`, the same against the bare broadcast
//! server.

use std::time::Duration;

use anyhow::anyhow;
use clap::Args;
use serde_json::json;

use crate::Common;
use crate::accounts::{Accounts, Seating};
use crate::baseline;
use crate::client::{Api, Dialer, watch};
use crate::scenario::fanout::{dial_each, dial_many};
use crate::setup;
use crate::stats::{self, rss_kib};

#[derive(Args, Clone)]
pub struct IdleArgs {
    /// Sockets open at each step (the last is N).
    #[arg(long, value_delimiter = ',', default_value = "1000,5000,10000")]
    pub steps: Vec<usize>,
    #[arg(long, default_value_t = 10)]
    pub boards: usize,
    /// Sockets per user account (the accounts are inserted into the database).
    #[arg(long, default_value_t = 2)]
    pub sockets_per_user: usize,
    #[arg(long, default_value_t = 3)]
    pub settle_seconds: u64,
    #[arg(long, default_value_t = 128)]
    pub connect_concurrency: usize,
    /// Measure the bare baseline server instead.
    #[arg(long)]
    pub baseline: bool,
}

pub async fn run(common: &Common, args: &IdleArgs) -> anyhow::Result<()> {
    // Per board: its socket path and the tokens of its users (none for the baseline).
    let mut _child = None;
    let last = args.steps.iter().copied().max().unwrap_or(0);
    let (pid, dialer, boards) = if args.baseline {
        let server = baseline::spawn().await?;
        let pid = server.pid().ok_or_else(|| anyhow!("baseline has no pid"))?;
        let dialer = Dialer::new(&server.addr, common.sources)?;
        _child = Some(server);
        (pid, dialer, vec![("/ws".to_owned(), Vec::new())])
    } else {
        let pid = common.server_pid.ok_or_else(|| anyhow!("idle needs --server-pid (or BENCH_SERVER_PID)"))?;
        let api = Api::new(&common.server)?;
        let accounts = Accounts::connect(common).await?;
        let owner = api.register_many(&format!("{}_io", common.run_id()), 1).await?.remove(0);
        let mut ids = Vec::new();
        let mut paths = Vec::new();
        for b in 0..args.boards.max(1) {
            let board = setup::board(&api, &owner, &[], &format!("Idle {b}"), 1).await?;
            ids.push(board.board);
            paths.push(board.ws_path());
        }
        let seating = Seating::new(last.max(200), args.sockets_per_user, ids.len());
        let tokens = accounts.seat_crowd(&format!("{}_i", common.run_id()), &seating, &ids).await?;
        (pid, Dialer::new(&common.server, common.sources)?, paths.into_iter().zip(tokens).collect())
    };
    let users: usize = boards.iter().map(|(_, tokens)| tokens.len()).sum();
    let target = if args.baseline { "baseline" } else { "corkboard" };

    // Warm-up: a few hundred sockets open and closed, so pools and allocator arenas exist before RSS_0.
    let (warm, _) = dial_many(&dialer, &boards[0].0, &boards[0].1, 200, 64).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(warm);
    tokio::time::sleep(Duration::from_secs(args.settle_seconds)).await;
    let rss0 = rss_kib(pid)?;
    eprintln!("[{target}] RSS_0 = {rss0} KiB");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let mut open_on = vec![0usize; boards.len()];
    let mut points = Vec::new();
    for &step in &args.steps {
        // Each board's share of the step, its users' tokens in turn from where the last step stopped.
        for (b, (path, tokens)) in boards.iter().enumerate() {
            let want = step / boards.len() + usize::from(b < step % boards.len());
            while open_on[b] < want {
                let batch = (want - open_on[b]).min(1000);
                let from = open_on[b];
                let seat =
                    |i: usize| (path.clone(), (!tokens.is_empty()).then(|| tokens[(from + i) % tokens.len()].clone()));
                let (sockets, _) = dial_each(&dialer, batch, args.connect_concurrency, seat).await?;
                for ws in sockets {
                    tasks.push(tokio::spawn(watch(ws, None, 0, stop_rx.clone(), false)));
                }
                open_on[b] += batch;
            }
        }
        let open: usize = open_on.iter().sum();
        tokio::time::sleep(Duration::from_secs(args.settle_seconds)).await;
        let rss = rss_kib(pid)?;
        let per_socket = (rss.saturating_sub(rss0) as f64) * 1024.0 / open as f64;
        eprintln!("[{target}] {open} sockets: RSS {rss} KiB, {per_socket:.0} B/socket");
        points.push(json!({"sockets": open, "rss_kib": rss, "per_socket_bytes": per_socket}));
    }
    let _ = stop_tx.send(true);
    let mut closed_early = 0;
    for task in tasks {
        if let Ok(end) = task.await
            && end.closed_by_server.is_some()
        {
            closed_early += 1;
        }
    }
    tokio::time::sleep(Duration::from_secs(args.settle_seconds)).await;
    let rss_after = rss_kib(pid)?;
    let last = points.last().cloned().unwrap_or_default();
    stats::emit(
        common.out.as_deref(),
        "idle",
        target,
        json!({"steps": args.steps, "boards": boards.len(), "users": users, "sockets_per_user": args.sockets_per_user}),
        json!({"rss0_kib": rss0, "points": points, "per_socket_bytes": last["per_socket_bytes"],
               "sockets": last["sockets"], "rss_after_close_kib": rss_after, "closed_early": closed_early}),
    );
    Ok(())
}
