//! Convergence under chaos with the real `corkboard` binary: `kill -9` of a server process while 20 model
//! clients move cards and drop their connections. A crash is not a graceful stop: no close frames, no
//! drained requests, so only what Postgres committed survives, and that must be everything anyone was told
//! (every acknowledged move is in the log exactly once), and every client must converge on it.
//! Sizes come from `CHAOS_*` (see `corkboard_tests::model::SwarmConfig::from_env`); the seed is printed.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use corkboard_protocol::Snapshot;
use corkboard_tests::model::{ModelClient, Swarm, SwarmConfig, chaos_board, check_convergence, summary};
use corkboard_tests::{JWT_SECRET, TestUser, spawn_app};
use uuid::Uuid;

const SETTLE_LIMIT: Duration = Duration::from_secs(60);

/// A `corkboard` process on a fixed address, killed (-9) when dropped.
struct Server {
    child: Child,
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port")
}

impl Server {
    async fn start(db_url: &str, addr: SocketAddr) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_corkboard"))
            .env("DATABASE_URL", db_url)
            .env("CORKBOARD_BIND", addr.to_string())
            .env("CORKBOARD_PUBLIC_URL", format!("http://{addr}"))
            // The harness's secret: tokens issued by the in-process server that set the board up stay valid.
            .env("CORKBOARD_JWT_SECRET", JWT_SECRET)
            .env("CORKBOARD_DB_MAX_CONNECTIONS", "10")
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .spawn()
            .expect("start corkboard");
        let server = Self { child };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !client.get(format!("http://{addr}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "the server at {addr} did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// SIGKILL: the process ends at once, mid-request, mid-transaction, without a close frame.
    fn kill9(&mut self) {
        let status = Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success(), "kill -9 failed");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn snapshot_at(addr: SocketAddr, user: &TestUser, board_id: Uuid) -> Snapshot {
    let response = reqwest::Client::new()
        .get(format!("http://{addr}/api/boards/{board_id}"))
        .bearer_auth(&user.token)
        .send()
        .await
        .expect("snapshot request");
    assert!(response.status().is_success(), "snapshot: {}", response.status());
    response.json().await.expect("snapshot shape")
}

fn assert_only_stale_positions(clients: &[ModelClient]) {
    for client in clients {
        for (op, code) in &client.log.refused {
            assert_eq!(code, "stale_position", "{op} refused with {code}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_with_sigkill_mid_run_and_restarted_loses_no_acknowledged_move() {
    let config = SwarmConfig::from_env();
    // The in-process server only sets the board up; the chaos runs against the binary.
    let mut app = spawn_app().await;
    let (owner, board_id, users) = chaos_board(&app, &config).await;
    app.stop_server().await;
    let addr = free_addr();
    let mut server = Server::start(&app.db_url, addr).await;

    let swarm = Swarm::start(&users, board_id, &[addr], &config).await;
    swarm.until(config.chaos * 2 / 5).await;
    let applied_before_kill: i64 = board_seq(&app, board_id).await;
    server.kill9();
    // Down for a moment: clients find nobody there and keep trying; then the same address comes back.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _server = Server::start(&app.db_url, addr).await;
    swarm.until(config.chaos).await;
    let clients = swarm.finish(&app.db, board_id, SETTLE_LIMIT).await;

    eprintln!("{} (killed at seq {applied_before_kill})", summary(&clients));
    assert!(applied_before_kill > 0, "moves were applied before the kill");
    check_convergence(&app.db, &snapshot_at(addr, &owner, board_id).await, &clients, false).await;
    assert_only_stale_positions(&clients);
    assert!(clients.iter().all(|c| c.log.connects >= 2), "every client reconnected after the kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_fail_over_to_the_other_instance_when_one_is_killed_with_sigkill() {
    let config = SwarmConfig::from_env();
    let mut app = spawn_app().await;
    let (owner, board_id, users) = chaos_board(&app, &config).await;
    app.stop_server().await;
    let (first, second) = (free_addr(), free_addr());
    let mut doomed = Server::start(&app.db_url, first).await;
    let _survivor = Server::start(&app.db_url, second).await;

    // Half the clients start on each instance; the first one dies for good.
    let swarm = Swarm::start(&users, board_id, &[first, second], &config).await;
    swarm.until(config.chaos / 3).await;
    doomed.kill9();
    swarm.until(config.chaos).await;
    let clients = swarm.finish(&app.db, board_id, SETTLE_LIMIT).await;

    eprintln!("{}", summary(&clients));
    check_convergence(&app.db, &snapshot_at(second, &owner, board_id).await, &clients, false).await;
    assert_only_stale_positions(&clients);
}

async fn board_seq(app: &corkboard_tests::TestApp, board_id: Uuid) -> i64 {
    app.board_seq(board_id).await
}

/// Resident memory of a process, in KiB: (now, peak).
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Abuse measured where it counts, in the server's own process: a flood of 10 MB bodies
/// and of deeply nested 1 MiB ones is refused with 4xx while the server's peak memory stays near where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_huge_and_deeply_nested_bodies_is_refused_without_the_server_growing() {
    let mut app = spawn_app().await;
    let ann = app.register("ann").await;
    let (_, lists, _) = app.board_with(&ann, 1, 0).await;
    app.stop_server().await;
    let addr = free_addr();
    let server = Server::start(&app.db_url, addr).await;
    let url = format!("http://{addr}/api/lists/{}/cards", lists[0].id);
    let client = reqwest::Client::new();
    let (_, peak_before) = memory_kib(server.child.id());

    let huge = format!(r#"{{"title": "x", "description": "{}"}}"#, "d".repeat(10_000_000)).into_bytes();
    let nested = format!(r#"{{"title": {}"#, "[".repeat(corkboard_protocol::MAX_BODY_BYTES - 20)).into_bytes();
    let mut sends = Vec::new();
    for round in 0..32 {
        let body = if round % 2 == 0 { huge.clone() } else { nested.clone() };
        let request = client.post(&url).bearer_auth(&ann.token).header("content-type", "application/json").body(body);
        sends.push(tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) }));
    }
    let mut answered = Vec::new();
    for send in sends {
        // A server that answers 413 before the upload ends may close under the upload: that is fine too.
        if let Ok(status) = send.await.expect("send task") {
            answered.push(status);
        }
    }

    let (_, peak_after) = memory_kib(server.child.id());
    assert!(!answered.is_empty(), "some refusals were read");
    assert!(answered.iter().all(|s| *s == 413 || *s == 400), "only 413 and 400: {answered:?}");
    let grown_mib = peak_after.saturating_sub(peak_before) / 1024;
    eprintln!("peak RSS {} MiB → {} MiB for {} bodies", peak_before / 1024, peak_after / 1024, 32);
    // 32 bodies of up to 1 MiB read at most, plus buffers: far below what buffering 32 × 10 MB would take.
    assert!(grown_mib < 96, "the server's peak memory grew by {grown_mib} MiB");
    let status = client.get(format!("http://{addr}/api/boards")).bearer_auth(&ann.token).send().await.unwrap().status();
    assert!(status.is_success(), "still serving: {status}");
}
