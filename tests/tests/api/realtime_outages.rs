//! The realtime data path when Postgres goes away under open sockets (a restart, every connection terminated,
//! the listener's connection lost): nothing committed is missed, and moves flow again after.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use corkboard_tests::pg::PrivatePostgres;
use corkboard_tests::{TestApp, TestUser, spawn_app, spawn_app_on};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::realtime_fanout::read_through;

async fn move_when_possible(app: &TestApp, addr: SocketAddr, user: &TestUser, card_id: Uuid, list_id: Uuid, op: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = app
            .client
            .post(format!("http://{addr}/api/cards/{card_id}/move"))
            .bearer_auth(&user.token)
            .json(&json!({"list_id": list_id, "after_id": null, "client_op_id": op}))
            .send()
            .await
            .expect("move sent");
        if response.status() == StatusCode::OK {
            return;
        }
        assert!(Instant::now() < deadline, "the database did not come back: {}", response.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens sockets on two instances, lets `outage` take the database away, then moves through both instances
/// (the first while listeners may still be reconnecting) and checks every socket got every event, in order.
async fn moves_flow_again_after(app: &TestApp, outage: impl AsyncFnOnce()) {
    let other = app.start_instance().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 3).await;
    let mut sockets = vec![
        app.ws_at(app.addr, &ann.token, board.id, None).await,
        app.ws_at(other.addr, &ann.token, board.id, None).await,
    ];
    let seq = sockets[0].hello_seq;

    outage().await;
    move_when_possible(app, app.addr, &ann, cards[0][0].id, lists[1].id, "after-1").await;
    move_when_possible(app, other.addr, &ann, cards[0][1].id, lists[1].id, "after-2").await;
    move_when_possible(app, app.addr, &ann, cards[0][2].id, lists[1].id, "after-3").await;

    for socket in &mut sockets {
        let events = read_through(socket, seq, seq + 3).await;
        let ops: Vec<_> = events.iter().map(|e| e.client_op_id.clone().unwrap_or_default()).collect();
        assert_eq!(ops, ["after-1", "after-2", "after-3"]);
    }
    // And the doorbell rings again, quickly, on both.
    let started = Instant::now();
    app.create_list(&ann, board.id, "Live again").await;
    for socket in &mut sockets {
        assert_eq!(socket.next_event().await.seq, seq + 4);
    }
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    other.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_miss_nothing_when_postgres_restarts_under_them() {
    // A private cluster: restarting the shared server would break every other test running at the time.
    let pg = PrivatePostgres::start();
    let app = spawn_app_on(&pg.url(), |_| {}).await;
    moves_flow_again_after(&app, async || {
        tokio::task::block_in_place(|| {
            pg.stop();
            pg.start_again();
        });
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_miss_nothing_when_every_database_connection_is_terminated() {
    let app = spawn_app().await;
    let db = app.db.clone();
    moves_flow_again_after(&app, async || {
        // What a restart does to the server's connections (the listener's among them), for this database only.
        corkboard_tests::terminate_connections(&db).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_while_the_listener_is_away_still_closes_the_socket_with_4001() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let mut socket = app.ws(&ann.token, board.id, None).await;

    // Every connection of this database goes (the listener's too), and the logout follows at once: its
    // NOTIFY may find no listener, so the re-check after reconnecting has to catch it.
    app.terminate_database_connections().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, _) = app.call(reqwest::Method::POST, "/api/auth/logout", Some(&ann), None).await;
        if status == StatusCode::NO_CONTENT {
            break;
        }
        assert!(Instant::now() < deadline, "logout kept failing: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_eq!(socket.until_close().await.1, Some(corkboard_protocol::close_code::SESSION_REVOKED));
}
