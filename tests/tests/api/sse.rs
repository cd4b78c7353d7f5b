//! The SSE fallback: the same admission as the socket, `id:`/`event:`/`data:` per event, resume from
//! `Last-Event-ID` (or `?since=`), `reset` when the log cannot serve it, and the end of the stream on removal.

use corkboard_protocol::{EventKind, Role};
use corkboard_tests::spawn_app;
use corkboard_tests::ws::SseReader;
use reqwest::{Method, StatusCode};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_resumes_with_exactly_the_missed_events_in_order() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    let seen_up_to = app.board_seq(board.id).await;
    for card in &cards[0] {
        app.move_card(&ann, card.id, lists[1].id, None).await;
    }
    app.create_list(&ann, board.id, "Third").await;

    // `?since=` is older, as when a browser reconnects to the URL it started with: Last-Event-ID wins.
    let response = app.sse(&ann.token, board.id, Some(seen_up_to), Some(0)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = SseReader::new(response);
    let mut replayed = Vec::new();
    for _ in 0..3 {
        replayed.push(stream.next_event().await);
    }
    let stored = app.events(board.id).await;
    assert_eq!(replayed[..], stored[seen_up_to as usize..]);

    app.create_list(&ann, board.id, "Live").await;
    let live = stream.next_event().await;
    assert_eq!((live.seq, live.kind.name()), (seen_up_to + 4, "list_created"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_in_the_query_resumes_too_and_an_unservable_one_gets_reset() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, _) = app.board_with(&ann, 1, 2).await;
    let seq = app.board_seq(board.id).await;

    let mut from_one = SseReader::new(app.sse(&ann.token, board.id, None, Some(1)).await);
    assert_eq!(from_one.next_event().await.seq, 2);
    assert_eq!(from_one.next_event().await.seq, 3);

    let mut ahead = SseReader::new(app.sse(&ann.token, board.id, Some(seq + 50), None).await);
    let reset = ahead.next().await.expect("a message");
    assert_eq!(reset.event.as_deref(), Some("reset"));
    assert_eq!(reset.id, Some(seq.to_string()), "a reconnect resumes after the reset point");
    app.create_list(&ann, board.id, "Live").await;
    assert_eq!(ahead.next_event().await.seq, seq + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_refused_like_the_socket() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let board = app.create_board(&ann, "Plans").await;
    let path = format!("/api/boards/{}/events", board.id);

    let (status, body) = app.call(Method::GET, &path, None, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (status, body) = app.call(Method::GET, &path, Some(&bob), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_a_member")));
    let (status, body) =
        app.call(Method::GET, &format!("/api/boards/{}/events", Uuid::now_v7()), Some(&ann), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("board_not_found")));
    let (status, body) = app.call_with_cookie(Method::GET, &path, &ann.token, Some("https://evil.example"), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("origin_not_allowed")));
    let response =
        app.client.get(app.url(&path)).bearer_auth(&ann.token).header("last-event-id", "soon").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_of_a_removed_member_ends_after_the_removal() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    let mut stream = SseReader::new(app.sse(&bob.token, board.id, None, None).await);

    let (status, _) =
        app.call(Method::DELETE, &format!("/api/boards/{}/members/{}", board.id, bob.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    assert_eq!(stream.next_event().await.kind, EventKind::MemberRemoved { user_id: bob.id });
    assert_eq!(stream.next().await, None, "the stream ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_the_server_down_ends_the_stream_instead_of_waiting_for_it() {
    let mut app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let mut stream = SseReader::new(app.sse(&ann.token, board.id, None, None).await);

    let started = std::time::Instant::now();
    app.stop_server().await;

    assert!(started.elapsed() < std::time::Duration::from_secs(5), "stopping took {:?}", started.elapsed());
    assert_eq!(stream.next().await, None, "the stream ends");
}
