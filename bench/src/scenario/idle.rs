//! Idle: N authenticated sockets that only answer pings; the server's RSS (VmRSS) at 0 and at each step, and
//! (RSS_N − RSS_0)/N. With `--baseline`, the same against the bare broadcast server.

use std::time::Duration;

use anyhow::anyhow;
use clap::Args;
use serde_json::json;

use crate::Common;
use crate::baseline;
use crate::client::{Api, Dialer, watch};
use crate::scenario::fanout::dial_many;
use crate::setup;
use crate::stats::{self, rss_kib};

#[derive(Args, Clone)]
pub struct IdleArgs {
    /// Sockets open at each step (the last is N).
    #[arg(long, value_delimiter = ',', default_value = "1000,5000,10000")]
    pub steps: Vec<usize>,
    #[arg(long, default_value_t = 10)]
    pub boards: usize,
    #[arg(long, default_value_t = 10)]
    pub users: usize,
    #[arg(long, default_value_t = 3)]
    pub settle_seconds: u64,
    #[arg(long, default_value_t = 128)]
    pub connect_concurrency: usize,
    /// Measure the bare baseline server instead.
    #[arg(long)]
    pub baseline: bool,
}

pub async fn run(common: &Common, args: &IdleArgs) -> anyhow::Result<()> {
    // (pid, dialer, paths, tokens)
    let mut _child = None;
    let (pid, dialer, paths, tokens) = if args.baseline {
        let server = baseline::spawn().await?;
        let pid = server.pid().ok_or_else(|| anyhow!("baseline has no pid"))?;
        let dialer = Dialer::new(&server.addr, common.sources)?;
        _child = Some(server);
        (pid, dialer, vec!["/ws".to_owned()], Vec::new())
    } else {
        let pid = common.server_pid.ok_or_else(|| anyhow!("idle needs --server-pid (or BENCH_SERVER_PID)"))?;
        let api = Api::new(&common.server)?;
        let mut users = api.register_many(&format!("{}_i", common.run_id()), args.users.max(1) + 1).await?;
        let owner = users.remove(0);
        let mut paths = Vec::new();
        for b in 0..args.boards.max(1) {
            paths.push(setup::board(&api, &owner, &users, &format!("Idle {b}"), 1).await?.ws_path());
        }
        let tokens = users.iter().map(|u| u.token.clone()).collect();
        (pid, Dialer::new(&common.server, common.sources)?, paths, tokens)
    };
    let target = if args.baseline { "baseline" } else { "corkboard" };

    // Warm-up: a few hundred sockets open and closed, so pools and allocator arenas exist before RSS_0.
    let (warm, _) = dial_many(&dialer, &paths[0], &tokens, 200, 64).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(warm);
    tokio::time::sleep(Duration::from_secs(args.settle_seconds)).await;
    let rss0 = rss_kib(pid)?;
    eprintln!("[{target}] RSS_0 = {rss0} KiB");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let mut open = 0usize;
    let mut points = Vec::new();
    for &step in &args.steps {
        while open < step {
            let path = &paths[open % paths.len()];
            let batch = (step - open).min(1000);
            // Tokens in turn: rotate the list so each batch continues where the last stopped.
            let rotated: Vec<String> = (0..tokens.len()).map(|k| tokens[(open + k) % tokens.len()].clone()).collect();
            let (sockets, _) = dial_many(&dialer, path, &rotated, batch, args.connect_concurrency).await?;
            for ws in sockets {
                tasks.push(tokio::spawn(watch(ws, None, 0, stop_rx.clone(), false)));
            }
            open += batch;
        }
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
        json!({"steps": args.steps, "boards": paths.len(), "users": tokens.len()}),
        json!({"rss0_kib": rss0, "points": points, "per_socket_bytes": last["per_socket_bytes"],
               "sockets": last["sockets"], "rss_after_close_kib": rss_after, "closed_early": closed_early}),
    );
    Ok(())
}
