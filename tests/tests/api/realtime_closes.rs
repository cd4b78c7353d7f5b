//! The board WebSocket's limits and closes: who may move, frame size and rate, logout, removal, deletion,
//! shutdown, heartbeat, and presence as sockets join and leave. Real sockets against the real server.

use std::time::{Duration, Instant};

use corkboard_protocol::{ErrorCode, EventKind, Role, ServerMsg, close_code};
use corkboard_tests::spawn_app;
use corkboard_tests::ws::{Auth, Frame};
use reqwest::{Method, StatusCode};

use super::realtime::{login_again, refused};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_cannot_move_over_the_socket() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let vic = app.register("vic").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 1).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let mut socket = app.ws(&vic.token, board.id, None).await;
    socket.move_card("op-v", cards[0][0].id, lists[1].id, None).await;
    assert!(matches!(socket.next_msg().await, ServerMsg::Error { code, .. } if code == ErrorCode::Forbidden));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_64_kib_closes_the_socket_with_1009_and_64_kib_is_fine() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let mut socket = app.ws(&ann.token, board.id, None).await;

    // Exactly 64 KiB: read, and answered as the bad frame it is.
    socket.send_text(" ".repeat(64 * 1024)).await;
    assert!(matches!(socket.next_msg().await, ServerMsg::Error { code, .. } if code == ErrorCode::MalformedJson));
    socket.send_text("x".repeat(65 * 1024)).await;
    assert_eq!(socket.until_close().await.1, Some(close_code::MESSAGE_TOO_BIG));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_message_rate_is_closed_with_1008() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let mut socket = app.ws(&ann.token, board.id, None).await;

    for _ in 0..200 {
        socket.send_text(r#"{"type":"ping"}"#).await;
    }
    let (seen, code) = socket.until_close().await;
    assert_eq!(code, Some(close_code::POLICY_VIOLATION));
    let pongs = seen.iter().filter(|m| **m == ServerMsg::Pong).count();
    assert!((50..200).contains(&pongs), "the burst is served, then the socket closes ({pongs} pongs)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_closes_that_sessions_sockets_with_4001_within_a_second() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let other_session = login_again(&app, &ann).await;
    let mut doomed = app.ws(&ann.token, board.id, None).await;
    let mut also_doomed = app.ws(&ann.token, board.id, None).await;
    let mut survivor = app.ws(&other_session, board.id, None).await;

    let started = Instant::now();
    let (status, _) = app.call(Method::POST, "/api/auth/logout", Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    assert_eq!(doomed.until_close().await.1, Some(close_code::SESSION_REVOKED));
    assert_eq!(also_doomed.until_close().await.1, Some(close_code::SESSION_REVOKED));
    assert!(started.elapsed() < Duration::from_secs(1), "closed after {:?}", started.elapsed());
    assert_eq!(survivor.ping_pong().await, vec![]);
    assert_eq!(refused(&app, board.id, Auth::Bearer(&ann.token), None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_is_closed_with_4003_within_a_second_and_cannot_upgrade_again() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let board = app.create_board(&ann, "Plans").await;
    let elsewhere = app.create_board(&ann, "Elsewhere").await;
    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    app.add_member(&ann, elsewhere.id, &bob, Role::Editor).await;
    let mut bobs = app.ws(&bob.token, board.id, None).await;
    let mut bobs_elsewhere = app.ws(&bob.token, elsewhere.id, None).await;
    let mut anns = app.ws(&ann.token, board.id, None).await;

    let started = Instant::now();
    let path = format!("/api/boards/{}/members/{}", board.id, bob.id);
    let (status, body) = app.call(Method::DELETE, &path, Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (seen, code) = bobs.until_close().await;
    assert!(started.elapsed() < Duration::from_secs(1), "closed after {:?}", started.elapsed());
    assert_eq!(code, Some(close_code::MEMBERSHIP_REVOKED));
    assert!(matches!(seen.last(), Some(ServerMsg::Event(e)) if e.kind == EventKind::MemberRemoved { user_id: bob.id }));
    assert_eq!(anns.next_event().await.kind, EventKind::MemberRemoved { user_id: bob.id });
    assert_eq!(bobs_elsewhere.ping_pong().await, vec![], "other boards are not affected");
    assert_eq!(
        refused(&app, board.id, Auth::Bearer(&bob.token), None).await,
        (StatusCode::FORBIDDEN, ErrorCode::NotAMember)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_board_sends_board_deleted_then_closes_every_socket_with_4004() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;
    let mut sockets = vec![app.ws(&ann.token, board.id, None).await, app.ws(&bob.token, board.id, None).await];

    let (status, _) = app.call(Method::DELETE, &format!("/api/boards/{}", board.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    for socket in &mut sockets {
        let (seen, code) = socket.until_close().await;
        assert_eq!(code, Some(close_code::BOARD_DELETED));
        assert!(matches!(seen.last(), Some(ServerMsg::Event(e)) if e.kind == EventKind::BoardDeleted {}), "{seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_lists_each_watching_user_once_and_follows_joins_and_leaves() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;

    let mut first = app.ws(&ann.token, board.id, None).await;
    assert_eq!(first.next_presence().await, vec![(ann.id, "ann".to_owned())]);
    let mut second = app.ws(&ann.token, board.id, None).await;
    assert_eq!(second.next_presence().await, vec![(ann.id, "ann".to_owned())], "de-duplicated per user");
    let bobs = app.ws(&bob.token, board.id, None).await;
    let both = vec![(ann.id, "ann".to_owned()), (bob.id, "bob".to_owned())];
    assert_eq!(first.next_presence().await, both);
    assert_eq!(second.next_presence().await, both);
    drop(bobs);
    assert_eq!(first.next_presence().await, vec![(ann.id, "ann".to_owned())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_the_server_down_closes_sockets_with_1001() {
    let mut app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let mut socket = app.ws(&ann.token, board.id, None).await;

    let stopping = tokio::spawn(async move {
        app.stop_server().await;
        app
    });

    assert_eq!(socket.until_close().await.1, Some(close_code::GOING_AWAY));
    let _app = stopping.await.expect("the server stops");
}

/// Heartbeats, at test speed: the same code runs with a 25 s ping and a 60 s silence limit by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_pings_and_drops_a_peer_that_stays_silent() {
    let app = corkboard_tests::spawn_app_with(|config| {
        config.ws_ping_ms = 300;
        config.ws_idle_ms = 1_000;
    })
    .await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let mut silent = app.ws(&ann.token, board.id, None).await;
    let started = Instant::now();

    // The peer stays silent: it does not even read, because the client library answers pings as it reads. The
    // silence is the input of this test, so it is a pause, not a wait for a condition.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let (pings, _) = silent.pings_until_end(Duration::from_secs(5)).await;

    assert!((2..=4).contains(&pings), "one ping per 300 ms until the drop at 1 s, got {pings}");
    assert!(started.elapsed() < Duration::from_secs(5), "the silent peer was not dropped");
    // A peer that answers stays: pings are answered while reading.
    let mut lively = app.ws(&ann.token, board.id, None).await;
    let until = Instant::now() + Duration::from_millis(2_500);
    while let Some(frame) = lively.recv_within(until.saturating_duration_since(Instant::now())).await {
        assert!(!matches!(frame, Frame::Close(_)), "a peer that answers pings was dropped");
    }
}
