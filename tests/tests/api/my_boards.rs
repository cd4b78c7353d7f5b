//! "My boards" live: `GET /api/me/events` tells a user when they are added to, removed from, or lose a board, or
//! one of theirs is renamed, on every instance and to nobody else; and `GET /api/auth/session` answers
//! anonymous callers without an error.

use std::time::Duration;

use corkboard_protocol::{BoardChange, MY_BOARDS_EVENT, MY_BOARDS_REFETCH, MyBoardsChange, Role, SessionResponse};
use corkboard_tests::ws::SseReader;
use corkboard_tests::{TestApp, TestUser, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::net::SocketAddr;
use uuid::Uuid;

/// How long a stream must stay quiet to count as "told nothing".
const QUIET: Duration = Duration::from_millis(700);

/// `user`'s boards stream on the instance at `addr`, read past its opening `refetch` (it is registered then).
async fn boards_stream(app: &TestApp, addr: SocketAddr, user: &TestUser) -> SseReader {
    let response =
        app.client.get(format!("http://{addr}/api/me/events")).bearer_auth(&user.token).send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = SseReader::new(response);
    assert_eq!(stream.next().await.expect("an opening").event.as_deref(), Some(MY_BOARDS_REFETCH));
    stream
}

/// The next change; a `refetch` (the listener connecting as the instance starts) says nothing and is skipped.
async fn next_change(stream: &mut SseReader) -> MyBoardsChange {
    loop {
        let message = stream.next().await.expect("the stream goes on");
        if message.event.as_deref() != Some(MY_BOARDS_REFETCH) {
            assert_eq!(message.event.as_deref(), Some(MY_BOARDS_EVENT), "{message:?}");
            return serde_json::from_str(&message.data).expect("a change");
        }
    }
}

/// No change for `QUIET` (a `refetch` tells nothing about anyone's boards).
async fn assert_quiet(stream: &mut SseReader) {
    while let Some(message) = stream.next_within(QUIET).await {
        let message = message.expect("the stream goes on");
        assert_eq!(message.event.as_deref(), Some(MY_BOARDS_REFETCH), "expected no change, got {message:?}");
    }
}

async fn rename(app: &TestApp, user: &TestUser, board_id: Uuid, title: &str) {
    let (status, _) =
        app.call(Method::PATCH, &format!("/api/boards/{board_id}"), Some(user), Some(json!({"title": title}))).await;
    assert_eq!(status, StatusCode::OK);
}

async fn remove(app: &TestApp, admin: &TestUser, board_id: Uuid, user: &TestUser) {
    let path = format!("/api/boards/{board_id}/members/{}", user.id);
    assert_eq!(app.call(Method::DELETE, &path, Some(admin), None).await.0, StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_stream_hears_of_being_added_renamed_removed_and_deleted_and_a_stranger_hears_nothing() {
    let app = spawn_app().await;
    let (ann, bob, carol) = (app.register("ann").await, app.register("bob").await, app.register("carol").await);
    let mut bobs = boards_stream(&app, app.addr, &bob).await;
    let mut carols = boards_stream(&app, app.addr, &carol).await;
    let board = app.create_board(&ann, "Launch").await;
    let change = |change| MyBoardsChange { board_id: board.id, change };

    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    assert_eq!(next_change(&mut bobs).await, change(BoardChange::Added));
    rename(&app, &ann, board.id, "Launch day").await;
    assert_eq!(next_change(&mut bobs).await, change(BoardChange::Updated));
    remove(&app, &ann, board.id, &bob).await;
    assert_eq!(next_change(&mut bobs).await, change(BoardChange::Removed));
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;
    assert_eq!(next_change(&mut bobs).await, change(BoardChange::Added));
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/boards/{}", board.id), Some(&ann), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(next_change(&mut bobs).await, change(BoardChange::Deleted));

    assert_quiet(&mut carols).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_instance_reaches_the_boards_stream_on_another() {
    let app = spawn_app().await;
    let other = app.start_instance().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let mut bobs = boards_stream(&app, other.addr, &bob).await;
    let mut anns = boards_stream(&app, other.addr, &ann).await;
    let board = app.create_board(&ann, "Launch").await;

    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    assert_eq!(next_change(&mut bobs).await, MyBoardsChange { board_id: board.id, change: BoardChange::Added });
    // Ann's own list did not change when Bob joined.
    assert_quiet(&mut anns).await;
    rename(&app, &ann, board.id, "Launch day").await;
    for stream in [&mut bobs, &mut anns] {
        assert_eq!(next_change(stream).await, MyBoardsChange { board_id: board.id, change: BoardChange::Updated });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_boards_stream_is_told_to_refetch_after_the_listener_reconnects() {
    let app = spawn_app().await;
    let bob = app.register("bob").await;
    let mut bobs = boards_stream(&app, app.addr, &bob).await;

    // Every connection of this database goes, the listener's too: doorbells rung meanwhile are lost.
    app.terminate_database_connections().await;

    assert_eq!(bobs.next().await.expect("the stream goes on").event.as_deref(), Some(MY_BOARDS_REFETCH));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_boards_stream_is_refused_like_the_board_streams_and_ends_at_logout() {
    let app = spawn_app_with(|config| config.max_streams_per_user = 1).await;
    let bob = app.register("bob").await;

    let (status, body) = app.call(Method::GET, "/api/me/events", None, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (status, body) =
        app.call_with_cookie(Method::GET, "/api/me/events", &bob.token, Some("https://evil.example"), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("origin_not_allowed")));

    let mut bobs = boards_stream(&app, app.addr, &bob).await;
    let (status, body) = app.call(Method::GET, "/api/me/events", Some(&bob), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_connections")));

    assert_eq!(app.call(Method::POST, "/api/auth/logout", Some(&bob), None).await.0, StatusCode::NO_CONTENT);
    // A `refetch` may come first (the listener's first connect can land after the stream opened).
    let mut next = bobs.next().await;
    while next.as_ref().is_some_and(|message| message.event.as_deref() == Some(MY_BOARDS_REFETCH)) {
        next = bobs.next().await;
    }
    assert_eq!(next, None, "the stream ends with its session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_check_answers_200_with_the_user_or_null() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;

    let (status, body) = app.call(Method::GET, "/api/auth/session", None, None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"user": null})));
    let (status, body) = app.call_with_cookie(Method::GET, "/api/auth/session", "not-a-token", None, None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"user": null})));

    let (status, body) = app.call_with_cookie(Method::GET, "/api/auth/session", &ann.token, None, None).await;
    assert_eq!(status, StatusCode::OK);
    let session: SessionResponse = serde_json::from_value(body).expect("a session response");
    assert_eq!(session.user.map(|u| u.id), Some(ann.id));

    assert_eq!(app.call(Method::POST, "/api/auth/logout", Some(&ann), None).await.0, StatusCode::NO_CONTENT);
    let (status, body) = app.call(Method::GET, "/api/auth/session", Some(&ann), None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"user": null})), "a revoked session is nobody");
}
