//! Bad input: every way a request can be wrong gets a 4xx in our error shape, never a 500, never a partial write.

use corkboard_protocol::{Board, Card, DESCRIPTION_MAX_BYTES, ErrorCode, MAX_BODY_BYTES, TITLE_MAX_CHARS};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// A board with one list and one card, and the paths that take a title.
async fn titled_things(app: &TestApp, user: &TestUser) -> (Uuid, Vec<(Method, String)>) {
    let (board, lists, cards) = app.board_with(user, 1, 1).await;
    let paths = vec![
        (Method::POST, "/api/boards".to_owned()),
        (Method::PATCH, format!("/api/boards/{}", board.id)),
        (Method::POST, format!("/api/boards/{}/lists", board.id)),
        (Method::PATCH, format!("/api/lists/{}", lists[0].id)),
        (Method::POST, format!("/api/lists/{}/cards", lists[0].id)),
        (Method::PATCH, format!("/api/cards/{}", cards[0][0].id)),
    ];
    (board.id, paths)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_1_mib_is_payload_too_large() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 1, 0).await;
    let before = app.board_state(&ann, board.id).await;
    let huge = json!({"title": "x", "description": "d".repeat(MAX_BODY_BYTES)}).to_string();

    let got = app
        .call_raw(Method::POST, &format!("/api/lists/{}/cards", lists[0].id), &ann, Some("application/json"), huge)
        .await;

    assert_error(&got, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge);
    assert_eq!(app.board_state(&ann, board.id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_blank_and_overlong_titles_are_refused_everywhere() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board_id, paths) = titled_things(&app, &ann).await;
    let before = app.board_state(&ann, board_id).await;

    for (method, path) in paths {
        for title in [String::new(), " \t\n ".to_owned(), "x".repeat(TITLE_MAX_CHARS + 1)] {
            let got = app.call(method.clone(), &path, Some(&ann), Some(json!({"title": title}))).await;
            assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path} {:?}: {}", title.len(), got.1);
            assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
            assert!(got.1["error"]["fields"]["title"].is_string(), "{method} {path}: {}", got.1);
        }
    }
    assert_eq!(app.board_state(&ann, board_id).await, before);
    assert_eq!(app.call(Method::GET, "/api/boards", Some(&ann), None).await.1["boards"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_title_of_512_multibyte_characters_is_accepted() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (_, paths) = titled_things(&app, &ann).await;
    let title = "é🦀".repeat(TITLE_MAX_CHARS / 2);
    assert_eq!(title.chars().count(), TITLE_MAX_CHARS);

    for (method, path) in paths {
        let (status, body) = app.call(method.clone(), &path, Some(&ann), Some(json!({"title": title}))).await;
        assert!(status.is_success(), "{method} {path}: {status} {body}");
        assert_eq!(body["title"], json!(title));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_description_over_64_kib_is_refused_and_64_kib_is_accepted() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 1).await;
    let create = format!("/api/lists/{}/cards", lists[0].id);
    let edit = format!("/api/cards/{}", cards[0][0].id);
    let before = app.board_state(&ann, board.id).await;

    let too_long = "d".repeat(DESCRIPTION_MAX_BYTES + 1);
    for (method, path) in [(Method::POST, &create), (Method::PATCH, &edit)] {
        let got =
            app.call(method.clone(), path, Some(&ann), Some(json!({"title": "x", "description": too_long}))).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
        assert!(got.1["error"]["fields"]["description"].is_string(), "{method} {path}: {}", got.1);
    }
    assert_eq!(app.board_state(&ann, board.id).await, before);

    let just_fits = "é".repeat(DESCRIPTION_MAX_BYTES / 2);
    let card: Card = app
        .expect(StatusCode::CREATED, Method::POST, &create, &ann, json!({"title": "x", "description": just_fits}))
        .await;
    assert_eq!(card.description.len(), DESCRIPTION_MAX_BYTES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;

    for body in ["{", "{\"title\": }", "not json", "{\"title\": \"x\"} trailing", ""] {
        let got = app.call_raw(Method::POST, "/api/boards", &ann, Some("application/json"), body).await;
        assert_eq!(got.0, StatusCode::BAD_REQUEST, "{body:?}: {}", got.1);
        assert_error(&got, StatusCode::BAD_REQUEST, ErrorCode::MalformedJson);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_and_missing_fields_are_an_invalid_body() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 1).await;
    let before = app.board_state(&ann, board.id).await;
    let card_move = format!("/api/cards/{}/move", cards[0][0].id);
    let list_move = format!("/api/lists/{}/move", lists[0].id);

    let bad: [(Method, String, Value); 10] = [
        (Method::POST, "/api/boards".into(), json!({})),
        (Method::POST, "/api/boards".into(), json!({"title": 42})),
        (Method::POST, "/api/boards".into(), json!(["title"])),
        (Method::POST, "/api/auth/register".into(), json!({"username": "bob"})),
        (Method::POST, format!("/api/boards/{}/members", board.id), json!({"username": "ann", "role": "king"})),
        (Method::POST, card_move.clone(), json!({"list_id": lists[0].id})),
        (Method::POST, card_move.clone(), json!({"list_id": "not-a-uuid", "after_id": null})),
        (Method::POST, list_move, json!({})),
        (Method::PATCH, format!("/api/cards/{}", cards[0][0].id), json!({"title": "x", "expected_version": "one"})),
        (Method::POST, format!("/api/lists/{}/cards", lists[0].id), json!({"title": "x", "after_id": 7})),
    ];

    for (method, path, body) in bad {
        let got = app.call(method.clone(), &path, Some(&ann), Some(body.clone())).await;
        assert_eq!(got.0, StatusCode::BAD_REQUEST, "{method} {path} {body}: {}", got.1);
        assert_error(&got, StatusCode::BAD_REQUEST, ErrorCode::InvalidBody);
    }
    assert_eq!(app.board_state(&ann, board.id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_without_a_json_content_type_is_unsupported() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;

    let missing = app.call_raw(Method::POST, "/api/boards", &ann, None, r#"{"title": "x"}"#).await;
    let text = app.call_raw(Method::POST, "/api/boards", &ann, Some("text/plain"), r#"{"title": "x"}"#).await;

    assert_error(&missing, StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType);
    assert_error(&text, StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType);
    assert_eq!(app.call(Method::GET, "/api/boards", Some(&ann), None).await.1, json!({"boards": []}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_in_the_path_that_is_not_a_uuid_is_a_bad_request() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;

    let calls = [
        (Method::GET, "/api/boards/not-a-uuid".to_owned(), None),
        (Method::PATCH, "/api/boards/123".to_owned(), Some(json!({"title": "x"}))),
        (Method::GET, "/api/boards/xyz/members".to_owned(), None),
        (Method::DELETE, format!("/api/boards/{}/members/nobody", board.id), None),
        (Method::POST, "/api/boards/zzz/lists".to_owned(), Some(json!({"title": "x"}))),
        (Method::PATCH, "/api/lists/zzz".to_owned(), Some(json!({"title": "x"}))),
        (Method::POST, "/api/lists/zzz/cards".to_owned(), Some(json!({"title": "x"}))),
        (Method::DELETE, "/api/cards/zzz".to_owned(), None),
        (Method::POST, "/api/cards/zzz/move".to_owned(), Some(json!({"list_id": board.id, "after_id": null}))),
    ];

    for (method, path, body) in calls {
        let got = app.call(method.clone(), &path, Some(&ann), body).await;
        assert_eq!(got.0, StatusCode::BAD_REQUEST, "{method} {path}: {}", got.1);
        assert_error(&got, StatusCode::BAD_REQUEST, ErrorCode::InvalidPath);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_api_path_is_a_json_404() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;

    for path in ["/api", "/api/nope", "/api/boards/x/y/z", &format!("/api/boards/{}/nope", board.id)] {
        let got = app.call(Method::GET, path, Some(&ann), None).await;
        assert_error(&got, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    }
    let anonymous = app.call(Method::POST, "/api/nope", None, Some(json!({}))).await;
    assert_error(&anonymous, StatusCode::NOT_FOUND, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_an_endpoint_does_not_take_is_405_with_allow() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;

    let path = format!("/api/boards/{}", board.id);
    let resp = app.request(Method::PUT, &path, Some(&ann.token), Some(&json!({}))).send().await.expect("sent");
    let allow = resp.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let got = corkboard_tests::read(resp).await;

    assert_error(&got, StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed);
    for method in ["GET", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "Allow: {allow:?} lacks {method}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_that_postgres_cannot_store_is_refused_not_a_server_error() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 1).await;
    let before = app.board_state(&ann, board.id).await;

    let calls = [
        (Method::POST, "/api/boards".to_owned(), json!({"title": "nul\u{0}byte"})),
        (Method::PATCH, format!("/api/boards/{}", board.id), json!({"title": "nul\u{0}byte"})),
        (Method::POST, format!("/api/lists/{}/cards", lists[0].id), json!({"title": "x", "description": "a\u{0}b"})),
        (Method::PATCH, format!("/api/cards/{}", cards[0][0].id), json!({"title": "a\u{0}"})),
        (
            Method::POST,
            "/api/auth/register".to_owned(),
            json!({"username": "nul", "password": "p\u{0}ssword1", "display_name": "N\u{0}"}),
        ),
    ];

    for (method, path, body) in calls {
        let got = app.call(method.clone(), &path, Some(&ann), Some(body)).await;
        assert_eq!(got.0, StatusCode::BAD_REQUEST, "{method} {path}: {}", got.1);
        assert_error(&got, StatusCode::BAD_REQUEST, ErrorCode::InvalidText);
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&app.db).await.unwrap();
    assert_eq!(users, 1, "nobody was registered");
    assert_eq!(app.board_state(&ann, board.id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_but_well_formed_values_are_refused_without_a_server_error() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 1).await;
    let card_path = format!("/api/cards/{}", cards[0][0].id);
    let before = app.board_state(&ann, board.id).await;

    let nothing_to_change = app.call(Method::PATCH, &card_path, Some(&ann), Some(json!({}))).await;
    let bad_op_id = app
        .call(
            Method::POST,
            &format!("{card_path}/move"),
            Some(&ann),
            Some(json!({"list_id": lists[0].id, "after_id": null, "client_op_id": "no spaces allowed"})),
        )
        .await;
    let long_op_id = app
        .call(
            Method::POST,
            &format!("{card_path}/move"),
            Some(&ann),
            Some(json!({"list_id": lists[0].id, "after_id": null, "client_op_id": "x".repeat(65)})),
        )
        .await;
    let huge_version =
        app.call(Method::PATCH, &card_path, Some(&ann), Some(json!({"title": "x", "expected_version": 1e30}))).await;

    assert_error(&nothing_to_change, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert_error(&bad_op_id, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert!(bad_op_id.1["error"]["fields"]["client_op_id"].is_string());
    assert_error(&long_op_id, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert_error(&huge_version, StatusCode::BAD_REQUEST, ErrorCode::InvalidBody);
    assert_eq!(app.board_state(&ann, board.id).await, before);
    let _: Board = app.create_board(&ann, "Still fine").await;
}
