//! Many model clients at work on one board: how each behaves (`ClientConfig`) and the phase the run is in, the
//! size and pace of a run (`SwarmConfig`, from `CHAOS_*`), the board they share, and the `Swarm` that starts
//! them, lets them settle and hands them back for checking.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corkboard_protocol::Role;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use uuid::Uuid;

use super::client::ModelClient;
use crate::{TestApp, TestUser};

/// Where the swarm is: moving and dropping, settling (no new moves, no drops), or finishing at a seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Chaos,
    Settle,
    Finish(i64),
}

/// How a client behaves.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    /// Time between two moves.
    pub move_every: (Duration, Duration),
    /// Time between two deliberate disconnects; `None`: never.
    pub drop_every: Option<(Duration, Duration)>,
    /// Chance that a move picks one of the few "hot" cards, so clients fight over the same cards.
    pub hot: f64,
}

/// The size and pace of a chaos run; `from_env` lets CI shrink or grow it.
#[derive(Debug, Clone, Copy)]
pub struct SwarmConfig {
    pub clients: usize,
    pub lists: usize,
    pub cards_per_list: usize,
    /// How long clients move and drop before they settle.
    pub chaos: Duration,
    pub seed: u64,
    pub client: ClientConfig,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

impl SwarmConfig {
    /// Defaults (20 clients, 4 lists of 5 cards, 10 s of chaos), overridden by `CHAOS_CLIENTS`, `CHAOS_LISTS`,
    /// `CHAOS_CARDS`, `CHAOS_SECS`, `CHAOS_SEED` (random when unset; printed, to replay a failure).
    pub fn from_env() -> Self {
        let seed = env_or("CHAOS_SEED", rand_seed());
        eprintln!("chaos seed: {seed} (set CHAOS_SEED to replay)");
        Self {
            clients: env_or("CHAOS_CLIENTS", 20),
            lists: env_or("CHAOS_LISTS", 4),
            cards_per_list: env_or("CHAOS_CARDS", 5),
            chaos: Duration::from_secs_f64(env_or("CHAOS_SECS", 10.0)),
            seed,
            client: ClientConfig {
                move_every: (Duration::from_millis(100), Duration::from_millis(500)),
                drop_every: Some((Duration::from_millis(500), Duration::from_millis(3000))),
                hot: 0.3,
            },
        }
    }
}

fn rand_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    nanos as u64 ^ u64::from(std::process::id())
}

/// A board for a chaos run: an owner, `lists` lists of `cards_per_list` cards, and one editor per client.
pub async fn chaos_board(app: &TestApp, config: &SwarmConfig) -> (TestUser, Uuid, Vec<TestUser>) {
    let owner = app.register("owner").await;
    let (board, _, _) = app.board_with(&owner, config.lists, config.cards_per_list).await;
    let mut users = Vec::new();
    for i in 0..config.clients {
        let user = app.register(&format!("client{i}")).await;
        app.add_member(&owner, board.id, &user, Role::Editor).await;
        users.push(user);
    }
    (owner, board.id, users)
}

/// Clients at work on one board.
pub struct Swarm {
    phase: watch::Sender<Phase>,
    settled: Arc<AtomicUsize>,
    tasks: Vec<JoinHandle<ModelClient>>,
    started: Instant,
}

impl Swarm {
    /// One client per user, spread over the instances at `addrs`; each loads the snapshot before it starts.
    pub async fn start(users: &[TestUser], board_id: Uuid, addrs: &[SocketAddr], config: &SwarmConfig) -> Self {
        let (phase, phase_rx) = watch::channel(Phase::Chaos);
        let settled = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for (i, user) in users.iter().enumerate() {
            let seed = config.seed.wrapping_add(i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D);
            let mut client = ModelClient::new(format!("c{i}"), user.clone(), board_id, addrs.to_vec(), i, seed);
            client.load_snapshot().await;
            tasks.push(tokio::spawn(client.run(phase_rx.clone(), Arc::clone(&settled), config.client)));
        }
        Self { phase, settled, tasks, started: Instant::now() }
    }

    /// Time since the clients started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Sleeps until `at` after the start.
    pub async fn until(&self, at: Duration) {
        tokio::time::sleep_until(self.started + at).await;
    }

    /// Stops the chaos, lets every pending move settle, then waits until every client has caught up with the
    /// board's final seq (read from `db`). Panics after `limit`.
    pub async fn finish(self, db: &PgPool, board_id: Uuid, limit: Duration) -> Vec<ModelClient> {
        let deadline = Instant::now() + limit;
        self.phase.send_replace(Phase::Settle);
        while self.settled.load(Ordering::SeqCst) < self.tasks.len() {
            assert!(
                Instant::now() < deadline,
                "only {} of {} clients settled their moves within {limit:?}",
                self.settled.load(Ordering::SeqCst),
                self.tasks.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seq: i64 = sqlx::query_scalar("select seq from boards where id = $1")
            .bind(board_id)
            .fetch_one(db)
            .await
            .expect("the board's final seq");
        self.phase.send_replace(Phase::Finish(seq));
        let mut clients = Vec::new();
        for task in self.tasks {
            let left = deadline.saturating_duration_since(Instant::now());
            let client = tokio::time::timeout(left, task)
                .await
                .unwrap_or_else(|_| panic!("a client did not reach seq {seq} within {limit:?}"))
                .expect("a client task panicked");
            clients.push(client);
        }
        clients
    }
}
