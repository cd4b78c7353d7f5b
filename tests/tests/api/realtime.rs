//! The board WebSocket: admission, fan-out, exactly-once moves, resume and reset, bad frames. Real sockets
//! against the real server and Postgres; limits and closes are in realtime_closes.rs.

use corkboard_protocol::{ErrorBody, ErrorCode, EventKind, Role, ServerMsg};
use corkboard_tests::ws::{Auth, try_connect, ws_request};
use corkboard_tests::{TestApp, TestUser, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) async fn refused(
    app: &TestApp,
    board_id: Uuid,
    auth: Auth<'_>,
    origin: Option<&str>,
) -> (StatusCode, ErrorCode) {
    match try_connect(ws_request(app.addr, board_id, None, auth, origin)).await {
        Ok(_) => panic!("the upgrade was accepted"),
        Err((status, body)) => {
            let error: ErrorBody = serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{body}: {e}"));
            (status, error.error.code)
        }
    }
}

/// A second session of `user` (logged in again), with its own token.
pub(crate) async fn login_again(app: &TestApp, user: &TestUser) -> String {
    let (status, body) = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": user.username, "password": corkboard_tests::PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().expect("token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_upgrade_is_a_plain_http_error_and_cookie_and_bearer_both_upgrade() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let board = app.create_board(&ann, "Plans").await;
    let gone = app.create_board(&ann, "Gone").await;
    let (status, _) = app.call(Method::DELETE, &format!("/api/boards/{}", gone.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let revoked = login_again(&app, &ann).await;
    let (status, _) = app.call_with_cookie(Method::POST, "/api/auth/logout", &revoked, Some(&app.base_url), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let unauthorized = (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    assert_eq!(refused(&app, board.id, Auth::None, None).await, unauthorized);
    assert_eq!(refused(&app, board.id, Auth::Bearer("not-a-token"), None).await, unauthorized);
    assert_eq!(refused(&app, board.id, Auth::Cookie("not-a-token"), None).await, unauthorized);
    assert_eq!(refused(&app, board.id, Auth::Bearer(&revoked), None).await, unauthorized);
    assert_eq!(
        refused(&app, board.id, Auth::Cookie(&ann.token), Some("https://evil.example")).await,
        (StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed)
    );
    assert_eq!(
        refused(&app, board.id, Auth::Bearer(&ann.token), Some("https://evil.example")).await,
        (StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed)
    );
    assert_eq!(
        refused(&app, board.id, Auth::Bearer(&bob.token), None).await,
        (StatusCode::FORBIDDEN, ErrorCode::NotAMember)
    );
    assert_eq!(
        refused(&app, Uuid::now_v7(), Auth::Bearer(&ann.token), None).await,
        (StatusCode::NOT_FOUND, ErrorCode::BoardNotFound)
    );
    assert_eq!(
        refused(&app, gone.id, Auth::Bearer(&ann.token), None).await,
        (StatusCode::NOT_FOUND, ErrorCode::BoardNotFound)
    );
    // An authorized request that is not an upgrade is refused in our shape too.
    let (status, body) = app.call(Method::GET, &format!("/api/boards/{}/ws", board.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "websocket_upgrade_required");

    let by_cookie = try_connect(ws_request(app.addr, board.id, None, Auth::Cookie(&ann.token), Some(&app.base_url)))
        .await
        .expect("cookie upgrades from the app's origin");
    let by_bearer = try_connect(ws_request(app.addr, board.id, None, Auth::Bearer(&ann.token), None))
        .await
        .expect("bearer upgrades");
    assert_eq!(by_cookie.hello_seq, app.board_seq(board.id).await);
    assert_eq!(by_bearer.hello_seq, by_cookie.hello_seq);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_frame_is_hello_with_the_board_the_seq_and_the_user() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, _) = app.board_with(&ann, 1, 2).await;
    let request = ws_request(app.addr, board.id, None, Auth::Bearer(&ann.token), None);
    let (mut raw, _) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
    use futures_util::StreamExt;
    let first = tokio::time::timeout(corkboard_tests::ws::WAIT, raw.next()).await.expect("hello in time");
    let text = first.expect("a frame").expect("a frame").into_text().expect("text");
    let hello: Value = serde_json::from_str(text.as_str()).expect("json");
    assert_eq!(hello, json!({"type": "hello", "board_id": board.id, "seq": 3, "user_id": ann.id}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_move_reaches_every_members_socket_once_with_the_next_seq() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cat = app.register("cat").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    app.add_member(&ann, board.id, &cat, Role::Viewer).await;
    let mut sockets = vec![
        app.ws(&ann.token, board.id, None).await,
        app.ws(&ann.token, board.id, None).await,
        app.ws(&bob.token, board.id, None).await,
        app.ws(&cat.token, board.id, None).await,
    ];
    let seq = app.board_seq(board.id).await;

    let path = format!("/api/cards/{}/move", cards[0][0].id);
    let body = json!({"list_id": lists[1].id, "after_id": null, "client_op_id": "op-rest-1"});
    let (status, moved) = app.call(Method::POST, &path, Some(&bob), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    // A second change is the fence: whatever comes before it is all the first one produced.
    app.create_list(&ann, board.id, "Fence").await;

    for socket in &mut sockets {
        assert_eq!(socket.hello_seq, seq);
        let event = socket.next_event().await;
        assert_eq!(event.seq, seq + 1);
        assert_eq!(event.actor_id, Some(bob.id));
        assert_eq!(event.client_op_id.as_deref(), Some("op-rest-1"));
        match event.kind {
            EventKind::CardMoved { card_id, from_list_id, to_list_id, version, .. } => {
                assert_eq!((card_id, from_list_id, to_list_id, version), (cards[0][0].id, lists[0].id, lists[1].id, 2));
            }
            other => panic!("expected card_moved, got {other:?}"),
        }
        let fence = socket.next_event().await;
        assert_eq!((fence.seq, fence.kind.name()), (seq + 2, "list_created"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_move_is_acked_to_the_mover_and_reaches_the_others() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    let mut mover = app.ws(&ann.token, board.id, None).await;
    let mut watcher = app.ws(&bob.token, board.id, None).await;
    let seq = app.board_seq(board.id).await;

    mover.move_card("op-ws-1", cards[0][1].id, lists[1].id, Some(cards[1][0].id)).await;

    let mut ack = None;
    let mut event = None;
    while ack.is_none() || event.is_none() {
        match mover.next_msg().await {
            ServerMsg::Ack { client_op_id, seq } => ack = Some((client_op_id, seq)),
            ServerMsg::Event(e) => event = Some(e),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ack, Some(("op-ws-1".to_owned(), seq + 1)));
    let seen = watcher.next_event().await;
    assert_eq!(Some(&seen), event.as_ref());
    assert_eq!((seen.seq, seen.actor_id, seen.client_op_id.as_deref()), (seq + 1, Some(ann.id), Some("op-ws-1")));
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(corkboard_tests::card_ids(&snapshot)[1], vec![cards[1][0].id, cards[0][1].id, cards[1][1].id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_client_op_id_moves_nothing_and_produces_no_event() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;
    let mut watcher = app.ws(&bob.token, board.id, None).await;
    let mut mover = app.ws(&ann.token, board.id, None).await;
    let seq = app.board_seq(board.id).await;

    mover.move_card("op-1", cards[0][0].id, lists[1].id, None).await;
    let first = mover.ping_pong().await;
    let (state_after_first, log_after_first) = app.board_state(&ann, board.id).await;
    // The resend, as after a reconnect: on a new socket, even with another target.
    drop(mover);
    let mut again = app.ws(&ann.token, board.id, None).await;
    again.move_card("op-1", cards[0][0].id, lists[0].id, Some(cards[0][1].id)).await;
    let second = again.ping_pong().await;
    // And over REST, the same code path.
    let path = format!("/api/cards/{}/move", cards[0][0].id);
    let (status, body) = app
        .call(
            Method::POST,
            &path,
            Some(&ann),
            Some(json!({"list_id": lists[0].id, "after_id": null, "client_op_id": "op-1"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["seq"], seq + 1);

    assert!(first.contains(&ServerMsg::Ack { client_op_id: "op-1".into(), seq: seq + 1 }), "{first:?}");
    assert_eq!(second, vec![ServerMsg::Ack { client_op_id: "op-1".into(), seq: seq + 1 }]);
    assert_eq!(app.board_state(&ann, board.id).await, (state_after_first, log_after_first));
    app.create_list(&ann, board.id, "Fence").await;
    assert_eq!(watcher.next_event().await.seq, seq + 1);
    assert_eq!(watcher.next_event().await.kind.name(), "list_created", "no second event for the resent op");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_with_since_replays_exactly_the_missed_events_in_order() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 3).await;
    let socket = app.ws(&ann.token, board.id, None).await;
    let last_applied = socket.hello_seq;
    drop(socket);

    for (i, card) in cards[0].iter().enumerate() {
        app.move_card(&ann, card.id, lists[1].id, None).await;
        app.create_card(&ann, lists[0].id, &format!("new {i}")).await;
    }
    let mut resumed = app.ws(&ann.token, board.id, Some(last_applied)).await;
    app.create_list(&ann, board.id, "Live").await;

    assert_eq!(resumed.hello_seq, last_applied + 6);
    let replayed = resumed.events(7).await;
    let seqs: Vec<i64> = replayed.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (last_applied + 1..=last_applied + 7).collect::<Vec<_>>());
    let stored = app.events(board.id).await;
    assert_eq!(replayed[..], stored[last_applied as usize..], "the replay is the log, byte for byte");
    assert_eq!(replayed[6].kind.name(), "list_created");
}

/// A network blip drops every socket of a board at once. They come back to the board's entry, which outlived
/// them and kept reading the log: each resumes from memory, and no socket reads the log on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_dropped_together_resume_from_memory_without_reading_the_log_each() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 3).await;
    let mut sockets = Vec::new();
    for _ in 0..10 {
        sockets.push(app.ws(&ann.token, board.id, None).await);
    }
    let seen = sockets[0].hello_seq;
    let stats = app.hub().stats();
    drop(sockets);

    for card in &cards[0] {
        app.move_card(&ann, card.id, lists[1].id, None).await;
    }
    let reads_before = stats.catch_up_reads.load(std::sync::atomic::Ordering::Relaxed);
    let mut resumed = Vec::new();
    for _ in 0..10 {
        resumed.push(app.ws(&ann.token, board.id, Some(seen)).await);
    }
    for socket in &mut resumed {
        let seqs: Vec<i64> = socket.events(3).await.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [seen + 1, seen + 2, seen + 3]);
    }
    let reads = stats.catch_up_reads.load(std::sync::atomic::Ordering::Relaxed) - reads_before;
    assert_eq!(reads, 0, "the resumed sockets were served from the board's recent events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_since_the_log_cannot_serve_gets_reset_and_then_live_events() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, _) = app.board_with(&ann, 1, 1).await;
    let seq = app.board_seq(board.id).await;

    // A seq this board never had (a client that kept state from a restored backup, say).
    let mut socket = app.ws(&ann.token, board.id, Some(seq + 100)).await;
    assert_eq!(socket.next_msg().await, ServerMsg::Reset);
    app.create_list(&ann, board.id, "After the reset").await;
    assert_eq!(socket.next_event().await.seq, seq + 1);

    // A negative seq is a bad request, not a stream.
    let (status, _) = app.call(Method::GET, &format!("/api/boards/{}/ws?since=-1", board.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_get_error_frames_and_the_socket_stays_open() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 1).await;
    let (other, other_lists, other_cards) = app.board_with(&ann, 1, 1).await;
    let other_log = app.event_log(other.id).await;
    let mut socket = app.ws(&ann.token, board.id, None).await;

    let cases: Vec<(String, Option<&str>, ErrorCode)> = vec![
        ("this is not json".into(), None, ErrorCode::MalformedJson),
        (json!({"type": "dance"}).to_string(), None, ErrorCode::InvalidFrame),
        (json!(["move_card"]).to_string(), None, ErrorCode::InvalidFrame),
        (json!({"type": "move_card", "client_op_id": "op-a"}).to_string(), Some("op-a"), ErrorCode::InvalidFrame),
        (
            json!({"type": "move_card", "client_op_id": "op-b", "card_id": "nope", "list_id": lists[0].id, "after_id": null})
                .to_string(),
            Some("op-b"),
            ErrorCode::InvalidFrame,
        ),
        // Another board's card, a card that does not exist, another board's list, a place named twice, a bad op id.
        (move_frame("op-c", other_cards[0][0].id, other_lists[0].id, None), Some("op-c"), ErrorCode::CardNotFound),
        (move_frame("op-d", Uuid::now_v7(), lists[0].id, None), Some("op-d"), ErrorCode::CardNotFound),
        (move_frame("op-e", cards[0][0].id, other_lists[0].id, None), Some("op-e"), ErrorCode::ListNotFound),
        (
            json!({"type": "move_card", "client_op_id": "op-f", "card_id": cards[0][0].id, "list_id": lists[1].id,
                   "position": "end", "after_id": other_cards[0][0].id})
            .to_string(),
            Some("op-f"),
            ErrorCode::InvalidFrame,
        ),
        (move_frame("not an op id!", cards[0][0].id, lists[1].id, None), Some("not an op id!"), ErrorCode::ValidationFailed),
    ];
    for (text, op, code) in cases {
        socket.send_text(text.clone()).await;
        match socket.next_msg().await {
            ServerMsg::Error { client_op_id, code: got, message } => {
                assert_eq!((client_op_id.as_deref(), got), (op, code), "for {text}");
                assert!(!message.is_empty());
            }
            other => panic!("for {text}: expected an error frame, got {other:?}"),
        }
    }
    socket.send_binary(vec![1, 2, 3]).await;
    assert!(matches!(socket.next_msg().await, ServerMsg::Error { code, .. } if code == ErrorCode::UnsupportedFrame));

    assert_eq!(socket.ping_pong().await, vec![], "still open, and nothing was changed");
    assert_eq!(app.event_log(other.id).await, other_log);
    assert_eq!(app.board_seq(board.id).await, socket.hello_seq);
}

fn move_frame(op: &str, card_id: Uuid, list_id: Uuid, after_id: Option<Uuid>) -> String {
    json!({"type": "move_card", "client_op_id": op, "card_id": card_id, "list_id": list_id, "after_id": after_id})
        .to_string()
}
