//! `corkboard-bench`: the load generator behind `scripts/bench`. It opens real sockets for crowds of distinct
//! users (at most two sockets each, like people with a tab or two) against a (release) Corkboard server on
//! loopback, and reports distributions (p50/p99/p99.9/max), next to a bare tokio-tungstenite broadcast server
//! measured by the same code in the same run.
//!
//! Every loop here is bounded in count and time, and every address is on loopback.

mod accounts;
mod baseline;
mod client;
mod scenario;
mod setup;
mod stats;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::accounts::Accounts;
use crate::client::{Api, Dialer};
use crate::scenario::fanout;

#[derive(Parser)]
#[command(name = "corkboard-bench", about = "Load generator and baseline for Corkboard's realtime path")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub struct Common {
    /// The Corkboard server (loopback only).
    #[arg(long, global = true, env = "BENCH_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The server's database (crowds of accounts and setup inserts, statement counts for `storm`).
    #[arg(long, global = true, env = "BENCH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The server's CORKBOARD_JWT_SECRET: signs the tokens of the accounts inserted into the database.
    #[arg(long, global = true, env = "BENCH_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// The server's process id (RSS for `idle`, `login-flood` and `join-storm`).
    #[arg(long, global = true, env = "BENCH_SERVER_PID")]
    pub server_pid: Option<u32>,
    /// Append one JSON record per result to this file.
    #[arg(long, global = true)]
    pub out: Option<PathBuf>,
    /// Spread client sockets over 127.0.0.1..=127.0.0.N.
    #[arg(long, global = true, default_value_t = 8)]
    pub sources: usize,
    /// Prefix of the users this run registers (unique per run).
    #[arg(long, global = true, env = "BENCH_RUN_ID")]
    pub run_id: Option<String>,
}

impl Common {
    pub fn run_id(&self) -> String {
        self.run_id.clone().unwrap_or_else(|| {
            let secs =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            format!("b{}", secs % 10_000_000)
        })
    }
}

#[derive(Args, Clone)]
pub struct FanoutArgs {
    #[arg(long, default_value_t = 1000)]
    pub watchers: usize,
    /// Moves per second, all movers together.
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Mover sockets (the server allows 20 frames/s per socket: use rate/10 or more).
    #[arg(long, default_value_t = 1)]
    pub movers: usize,
    /// Watcher sockets per user account (each watcher's account is inserted into the database).
    #[arg(long, default_value_t = 2)]
    pub sockets_per_user: usize,
    #[arg(long, default_value_t = 128)]
    pub connect_concurrency: usize,
    /// Label for the result record.
    #[arg(long)]
    pub label: Option<String>,
}

impl FanoutArgs {
    fn plan(&self) -> fanout::Plan {
        fanout::Plan {
            watchers: self.watchers,
            rate: self.rate,
            seconds: self.seconds,
            movers: self.movers,
            warmup_seconds: self.warmup,
            connect_concurrency: self.connect_concurrency,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// W watchers on one board, movers at R moves/s: receipt and ack latency.
    Fanout(FanoutArgs),
    /// The same fan-out against a bare tokio-tungstenite broadcast server (spawned as a child process).
    Baseline(FanoutArgs),
    /// Many boards, many movers: committed moves/s and ack latency at stepped offered rates.
    Throughput(scenario::throughput::ThroughputArgs),
    /// N idle authenticated sockets: server RSS per socket.
    Idle(scenario::idle::IdleArgs),
    /// N sockets dropped at once and resumed with `since`: time to live and caught up, log queries.
    Storm(scenario::storm::StormArgs),
    /// Concurrent sign-ups then sign-ins over HTTP: statuses, latency, and the server's RSS during and after.
    LoginFlood(scenario::login_flood::LoginFloodArgs),
    /// A crowd of distinct users joining one board while a mover moves: fan-out and ack latency, RSS.
    JoinStorm(scenario::join_storm::JoinStormArgs),
    /// One client moving at a steady rate through a Postgres outage: closes, answers, duplicates.
    Outage(scenario::outage::OutageArgs),
    /// GET of a board with many cards.
    Snapshot(scenario::snapshot::SnapshotArgs),
    /// Prints a markdown table of a results file.
    Report { file: PathBuf },
    /// (internal) The bare broadcast server.
    #[command(hide = true)]
    ServeBaseline {
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
}

/// A benchmark that lost an event or got an error frame measured something broken: fail loudly.
fn check_delivery(results: &serde_json::Value) -> anyhow::Result<()> {
    let missing = results["missing_events"].as_u64().unwrap_or(0);
    let errors = results["errors"].as_u64().unwrap_or(0);
    if missing > 0 || errors > 0 {
        anyhow::bail!("{missing} events never arrived and {errors} moves were refused");
    }
    Ok(())
}

fn raise_nofile() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let nofile = raise_nofile();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::ServeBaseline { port } => baseline::serve(port).await,
            Command::Report { file } => scenario::report::print(&file),
            Command::Fanout(args) => {
                eprintln!("open-file limit {nofile}");
                let api = Api::new(&cli.common.server)?;
                let accounts = Accounts::connect(&cli.common).await?;
                let (run_id, per_user) = (cli.common.run_id(), args.sockets_per_user);
                let setup = setup::fanout_board(&api, &accounts, &run_id, args.watchers, per_user, args.movers).await?;
                let dialer = Arc::new(Dialer::new(&cli.common.server, cli.common.sources)?);
                let target = setup.target(dialer);
                let results = fanout::run(&target, &args.plan()).await?;
                let mut params = args.plan().params();
                params["label"] = json!(args.label);
                params["sockets_per_user"] = json!(args.sockets_per_user);
                params["users"] = json!(setup.watcher_tokens.len());
                stats::emit(cli.common.out.as_deref(), "fanout", "corkboard", params, results.clone());
                check_delivery(&results)
            }
            Command::Baseline(args) => {
                eprintln!("open-file limit {nofile}");
                let server = baseline::spawn().await?;
                let dialer = Arc::new(Dialer::new(&server.addr, cli.common.sources)?);
                let target = fanout::Target {
                    name: "baseline",
                    dialer,
                    path: "/ws".into(),
                    watcher_tokens: Vec::new(),
                    mover_tokens: Vec::new(),
                    frame: Box::new(|_, _, op| baseline::event_frame(op, 1_000_000)),
                };
                let results = fanout::run(&target, &args.plan()).await.context("baseline fan-out")?;
                let mut params = args.plan().params();
                params["label"] = json!(args.label);
                stats::emit(cli.common.out.as_deref(), "fanout", "baseline", params, results.clone());
                drop(server);
                check_delivery(&results)
            }
            Command::Throughput(args) => scenario::throughput::run(&cli.common, &args).await,
            Command::Idle(args) => scenario::idle::run(&cli.common, &args).await,
            Command::Storm(args) => scenario::storm::run(&cli.common, &args).await,
            Command::LoginFlood(args) => scenario::login_flood::run(&cli.common, &args).await,
            Command::JoinStorm(args) => scenario::join_storm::run(&cli.common, &args).await,
            Command::Outage(args) => scenario::outage::run(&cli.common, &args).await,
            Command::Snapshot(args) => scenario::snapshot::run(&cli.common, &args).await,
        }
    })
}
