//! Convergence under chaos: model clients that behave like the web app make random, conflicting
//! moves on one board while their connections drop, an instance stops or Postgres restarts; at the end every
//! client's board is the database's, every move took effect exactly once or not at all, and every client saw
//! one gapless run of seqs. Sizes come from `CHAOS_*` (see `SwarmConfig::from_env`); the seed is printed.
//! The `kill -9` runs are in backend/tests/chaos_process.rs (they need the real binary).

use std::time::Duration;

use corkboard_protocol::ErrorCode;
use corkboard_tests::chaos::{
    ModelClient, Swarm, SwarmConfig, assert_no_refusals, chaos_board, check_convergence, summary,
};
use corkboard_tests::pg::PrivatePostgres;
use corkboard_tests::{no_signup_limit, spawn_app_on, spawn_app_with};

/// Settling after the chaos: every pending move answered and every client caught up.
const SETTLE_LIMIT: Duration = Duration::from_secs(60);

fn total(clients: &[ModelClient], count: fn(&ModelClient) -> usize) -> usize {
    clients.iter().map(count).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_moving_cards_while_their_connections_drop_converge_on_the_database() {
    let config = SwarmConfig::from_env();
    let app = spawn_app_with(no_signup_limit).await;
    let (owner, board_id, users) = chaos_board(&app, &config).await;

    let swarm = Swarm::start(&users, board_id, &[app.addr], &config).await;
    swarm.until(config.chaos).await;
    let clients = swarm.finish(&app.db, board_id, SETTLE_LIMIT).await;

    eprintln!("{}", summary(&clients));
    check_convergence(&app.db, &app.snapshot(&owner, board_id).await, &clients, false).await;
    assert_no_refusals(&clients);
    assert!(total(&clients, |c| c.log.acked.len()) > 0, "moves were applied");
    assert!(total(&clients, |c| c.log.drops) > 0, "connections were dropped");
    assert!(clients.iter().all(|c| c.log.retried.is_empty()), "no move needed a retry on a healthy server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_fail_over_to_the_other_instance_when_one_stops() {
    let config = SwarmConfig::from_env();
    let mut app = spawn_app_with(no_signup_limit).await;
    let other = app.start_instance().await;
    let (owner, board_id, users) = chaos_board(&app, &config).await;

    // Half the clients start on each instance; then the first instance goes away for good.
    let swarm = Swarm::start(&users, board_id, &[app.addr, other.addr], &config).await;
    swarm.until(config.chaos / 3).await;
    app.stop_server().await;
    swarm.until(config.chaos).await;
    let clients = swarm.finish(&app.db, board_id, SETTLE_LIMIT).await;

    eprintln!("{}", summary(&clients));
    check_convergence(&app.db, &app.snapshot_at(other.addr, &owner, board_id).await, &clients, false).await;
    assert_no_refusals(&clients);
    assert!(
        clients.iter().filter(|c| c.log.closes.contains(&Some(1001))).count() > 0,
        "the stopped instance said 1001 to its sockets"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_are_refused_cleanly_while_postgres_is_down_and_everything_converges_after() {
    let config = SwarmConfig::from_env();
    let down_for =
        Duration::from_secs_f64(std::env::var("CHAOS_PG_DOWN_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(6.0));
    let pg = PrivatePostgres::start();
    let app = spawn_app_on(&pg.url(), no_signup_limit).await;
    let (owner, board_id, users) = chaos_board(&app, &config).await;

    let swarm = Swarm::start(&users, board_id, &[app.addr], &config).await;
    swarm.until(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| pg.stop());
    let stopped_at = swarm.elapsed();
    tokio::time::sleep(down_for).await;
    tokio::task::block_in_place(|| pg.start_again());
    // Some chaos after the return too, on the same server process.
    swarm.until(config.chaos.max(swarm.elapsed() + Duration::from_secs(3))).await;
    let clients = swarm.finish(&app.db, board_id, SETTLE_LIMIT).await;

    eprintln!("{} (Postgres down from {stopped_at:?} for {down_for:?})", summary(&clients));
    check_convergence(&app.db, &app.snapshot(&owner, board_id).await, &clients, false).await;
    assert_no_refusals(&clients);
    // While it was down: moves got `service_unavailable` error frames, upgrades and loads 503 with our body.
    for client in &clients {
        for (op, code) in &client.log.retried {
            assert_eq!(
                *code,
                ErrorCode::ServiceUnavailable,
                "{}: {op} got {code} while Postgres was away",
                client.name
            );
        }
        for (status, body) in &client.log.refusals {
            assert_eq!(*status, 503, "{}: {body}", client.name);
            assert_eq!(body["error"]["code"], "service_unavailable", "{}: {body}", client.name);
        }
    }
    let felt = total(&clients, |c| c.log.retried.len() + c.log.refusals.len());
    assert!(felt > 0, "the outage was noticed by no client");
    drop(app);
    drop(pg);
}
