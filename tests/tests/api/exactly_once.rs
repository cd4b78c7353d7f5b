//! Every change is exactly-once: the same `client_op_id` sent again by the same user is answered as the first time
//! and applied once; a refusal is remembered and given again even when the board changed so that it would now
//! succeed. Moves have their own tests (event_log.rs); this walks every other operation of boards, lists, cards and
//! members.

use corkboard_protocol::{Board, ErrorCode, Role};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Sends `body` (with `op` in it, or in the query string for bodiless requests) twice and checks that both answers
/// are the same and that the board's log grew by exactly `events` events.
async fn twice(
    app: &TestApp,
    user: &TestUser,
    board_id: Uuid,
    method: Method,
    path: &str,
    body: Option<Value>,
    events: usize,
) -> (StatusCode, Value) {
    let op = Uuid::now_v7().to_string();
    let (path, body) = match body {
        Some(mut body) => {
            body["client_op_id"] = json!(op);
            (path.to_owned(), Some(body))
        }
        None => (format!("{path}?client_op_id={op}"), None),
    };
    let before = app.event_log(board_id).await.len();
    let first = app.call(method.clone(), &path, Some(user), body.clone()).await;
    let second = app.call(method.clone(), &path, Some(user), body).await;
    assert_eq!(first, second, "{method} {path}: a repeat must be answered like the first");
    assert_eq!(app.event_log(board_id).await.len(), before + events, "{method} {path}: applied once");
    first
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_board_list_card_and_member_change_is_applied_once_and_answered_the_same() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    let b = board.id;
    let card = cards[0][0].id;
    let ok = StatusCode::OK;

    let steps: Vec<(Method, String, Option<Value>, StatusCode)> = vec![
        (Method::PATCH, format!("/api/boards/{b}"), Some(json!({"title": "Renamed"})), ok),
        (Method::POST, format!("/api/boards/{b}/lists"), Some(json!({"title": "New list"})), StatusCode::CREATED),
        (Method::PATCH, format!("/api/lists/{}", lists[0].id), Some(json!({"title": "Todo"})), ok),
        (Method::POST, format!("/api/lists/{}/move", lists[1].id), Some(json!({"after_id": null})), ok),
        (
            Method::POST,
            format!("/api/lists/{}/cards", lists[0].id),
            Some(json!({"title": "Card"})),
            StatusCode::CREATED,
        ),
        (
            Method::PATCH,
            format!("/api/cards/{card}"),
            Some(json!({"title": "Dated", "due_at": "2027-01-02T03:04:05Z", "completed": true})),
            ok,
        ),
        (Method::POST, format!("/api/cards/{card}/archive"), None, ok),
        (Method::POST, format!("/api/cards/{card}/restore"), None, ok),
        (Method::POST, format!("/api/lists/{}/archive", lists[1].id), None, ok),
        (Method::POST, format!("/api/lists/{}/restore", lists[1].id), None, ok),
        (
            Method::POST,
            format!("/api/boards/{b}/members"),
            Some(json!({"username": "bob", "role": "viewer"})),
            StatusCode::CREATED,
        ),
        (Method::PATCH, format!("/api/boards/{b}/members/{}", bob.id), Some(json!({"role": "editor"})), ok),
        (Method::DELETE, format!("/api/boards/{b}/members/{}", bob.id), None, StatusCode::NO_CONTENT),
    ];
    for (method, path, body, status) in steps {
        let (got, answer) = twice(&app, &ann, b, method.clone(), &path, body, 1).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
    }

    // Deletions for good are applied once and answered 204 again, though the card or list is gone by then.
    app.archive_card(&ann, cards[1][1].id).await;
    let (status, _) = twice(&app, &ann, b, Method::DELETE, &format!("/api/cards/{}", cards[1][1].id), None, 1).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    app.archive_list(&ann, lists[1].id).await;
    let (status, _) = twice(&app, &ann, b, Method::DELETE, &format!("/api/lists/{}", lists[1].id), None, 1).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Without an operation id there is nothing to find: the card is simply gone.
    assert_error(
        &app.call(Method::DELETE, &format!("/api/cards/{}", cards[1][1].id), Some(&ann), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_board_creation_answers_with_the_board_made_the_first_time() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let body = json!({"title": "Plans", "client_op_id": "create-plans-1"});

    let first: Board = app.expect(StatusCode::CREATED, Method::POST, "/api/boards", &ann, &body).await;
    let (second, third) = tokio::join!(
        app.expect::<Board>(StatusCode::CREATED, Method::POST, "/api/boards", &ann, &body),
        app.expect::<Board>(StatusCode::CREATED, Method::POST, "/api/boards", &ann, &body),
    );
    assert_eq!((second.id, third.id), (first.id, first.id));
    // Another user's operation with the same id is another operation.
    let bobs: Board = app.expect(StatusCode::CREATED, Method::POST, "/api/boards", &bob, &body).await;
    assert_ne!(bobs.id, first.id);
    let (_, mine) = app.call(Method::GET, "/api/boards", Some(&ann), None).await;
    assert_eq!(mine["boards"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_is_refused_again_even_after_it_would_succeed() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let vic = app.register("vic").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 1).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let rename = json!({"title": "Mine now", "client_op_id": "vic-rename"});
    let path = format!("/api/cards/{}", cards[0][0].id);

    let first = app.call(Method::PATCH, &path, Some(&vic), Some(rename.clone())).await;
    assert_error(&first, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    let path_member = format!("/api/boards/{}/members/{}", board.id, vic.id);
    let (status, _) = app.call(Method::PATCH, &path_member, Some(&ann), Some(json!({"role": "editor"}))).await;
    assert_eq!(status, StatusCode::OK);
    let seq = app.board_seq(board.id).await;

    let again = app.call(Method::PATCH, &path, Some(&vic), Some(rename)).await;
    assert_eq!(again, first);
    assert_eq!(app.board_seq(board.id).await, seq);
    // A new operation of the same change goes through.
    let (status, _) = app.call(Method::PATCH, &path, Some(&vic), Some(json!({"title": "Mine now"}))).await;
    assert_eq!(status, StatusCode::OK);
    // A bad id is a 422 before anything, never remembered.
    let bad = app
        .call(
            Method::POST,
            &format!("/api/lists/{}/cards", lists[0].id),
            Some(&vic),
            Some(json!({"title": "x", "client_op_id": "no spaces"})),
        )
        .await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert!(bad.1["error"]["fields"]["client_op_id"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_id_cannot_be_spent_on_two_different_changes() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 1, 0).await;
    let op = json!("same-id");
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/lists/{}/cards", lists[0].id),
            Some(&ann),
            Some(json!({"title": "A", "client_op_id": op})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let seq = app.board_seq(board.id).await;
    let other = app
        .call(
            Method::PATCH,
            &format!("/api/boards/{}", board.id),
            Some(&ann),
            Some(json!({"title": "B", "client_op_id": op})),
        )
        .await;
    assert_error(&other, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert_eq!(app.board_seq(board.id).await, seq);
}
