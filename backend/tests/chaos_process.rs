//! Convergence under chaos with the real `corkboard` binary: `kill -9` of a server process while 20
//! model clients move cards and drop their connections. A crash is not a graceful stop: no close frames, no
//! drained requests, so only what Postgres committed survives, and that must be everything anyone was told
//! (every acknowledged move is in the log exactly once), and every client must converge on it.
//! Sizes come from `CHAOS_*` (see `corkboard_tests::chaos::SwarmConfig::from_env`); the seed is printed.

use std::time::Duration;

use corkboard_tests::chaos::{Swarm, SwarmConfig, assert_no_refusals, chaos_board, check_convergence, summary};
use corkboard_tests::process::{ServerProcess, free_addr};
use corkboard_tests::{no_signup_limit, spawn_app_with};

const CORKBOARD: &str = env!("CARGO_BIN_EXE_corkboard");
const SETTLE_LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_with_sigkill_mid_run_and_restarted_loses_no_acknowledged_move() {
    let config = SwarmConfig::from_env();
    // The in-process server only sets the board up; the chaos runs against the binary.
    let mut app = spawn_app_with(no_signup_limit).await;
    let (owner, board_id, users) = chaos_board(&app, &config).await;
    app.stop_server().await;
    let addr = free_addr();
    let mut server = ServerProcess::start(CORKBOARD, &app.db_url, addr).await;

    let swarm = Swarm::start(&users, board_id, &[addr], &config).await;
    swarm.until(config.chaos * 2 / 5).await;
    let applied_before_kill = app.board_seq(board_id).await;
    server.kill9();
    // Down for a moment: clients find nobody there and keep trying; then the same address comes back.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _server = ServerProcess::start(CORKBOARD, &app.db_url, addr).await;
    swarm.until(config.chaos).await;
    let clients = swarm.finish(&app.db, board_id, SETTLE_LIMIT).await;

    eprintln!("{} (killed at seq {applied_before_kill})", summary(&clients));
    assert!(applied_before_kill > 0, "moves were applied before the kill");
    check_convergence(&app.db, &app.snapshot_at(addr, &owner, board_id).await, &clients, false).await;
    assert_no_refusals(&clients);
    assert!(clients.iter().all(|c| c.log.connects >= 2), "every client reconnected after the kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_fail_over_to_the_other_instance_when_one_is_killed_with_sigkill() {
    let config = SwarmConfig::from_env();
    let mut app = spawn_app_with(no_signup_limit).await;
    let (owner, board_id, users) = chaos_board(&app, &config).await;
    app.stop_server().await;
    let (first, second) = (free_addr(), free_addr());
    let mut doomed = ServerProcess::start(CORKBOARD, &app.db_url, first).await;
    let _survivor = ServerProcess::start(CORKBOARD, &app.db_url, second).await;

    // Half the clients start on each instance; the first one dies for good.
    let swarm = Swarm::start(&users, board_id, &[first, second], &config).await;
    swarm.until(config.chaos / 3).await;
    doomed.kill9();
    swarm.until(config.chaos).await;
    let clients = swarm.finish(&app.db, board_id, SETTLE_LIMIT).await;

    eprintln!("{}", summary(&clients));
    check_convergence(&app.db, &app.snapshot_at(second, &owner, board_id).await, &clients, false).await;
    assert_no_refusals(&clients);
}
