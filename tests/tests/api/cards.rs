//! Cards: create, edit with optimistic versions, move (where a move lands: moves_fallback.rs), delete.

use corkboard_protocol::{Card, ErrorBody, ErrorCode};
use corkboard_tests::{assert_error, columns, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_card_is_appended_at_version_1() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 1, 1).await;

    let card: Card = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/api/lists/{}/cards", lists[0].id),
            &ann,
            json!({"title": " Write tests ", "description": "  all of them\n"}),
        )
        .await;

    assert_eq!((card.board_id, card.list_id, card.version), (board.id, lists[0].id, 1));
    assert_eq!((card.title.as_str(), card.description.as_str()), ("Write tests", "  all of them\n"));
    assert_eq!(card.created_at, card.updated_at);
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(snapshot.cards.last(), Some(&card));
    assert_eq!(app.create_card(&ann, lists[0].id, "Plain").await.description, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_with_a_null_after_id_goes_first_and_with_an_id_right_after_it() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 2).await;

    app.create_card_after(&ann, lists[0].id, "First", None).await;
    app.create_card_after(&ann, lists[0].id, "Middle", Some(cards[0][0].id)).await;

    assert_eq!(
        columns(&app.snapshot(&ann, board.id).await),
        vec![("L0".into(), vec!["First".into(), "L0C0".into(), "Middle".into(), "L0C1".into()])]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_card_changes_what_is_given_and_bumps_its_version() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let path = format!("/api/cards/{}", card.id);

    let titled: Card = app.expect(StatusCode::OK, Method::PATCH, &path, &ann, json!({"title": "Renamed"})).await;
    let described: Card = app
        .expect(StatusCode::OK, Method::PATCH, &path, &ann, json!({"description": "Details", "expected_version": 2}))
        .await;
    let both: Card =
        app.expect(StatusCode::OK, Method::PATCH, &path, &ann, json!({"title": "Both", "description": ""})).await;

    assert_eq!((titled.title.as_str(), titled.description.as_str(), titled.version), ("Renamed", "", 2));
    assert_eq!(
        (described.title.as_str(), described.description.as_str(), described.version),
        ("Renamed", "Details", 3)
    );
    assert_eq!((both.title.as_str(), both.description.as_str(), both.version), ("Both", "", 4));
    assert_eq!((both.position.as_str(), both.list_id), (card.position.as_str(), card.list_id));
    assert!(both.updated_at >= card.updated_at);
    assert_eq!(app.snapshot(&ann, board.id).await.cards, vec![both]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_expected_version_is_a_conflict_carrying_the_current_card() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let path = format!("/api/cards/{}", cards[0][0].id);
    let current: Card = app.expect(StatusCode::OK, Method::PATCH, &path, &ann, json!({"title": "Theirs"})).await;
    let before = app.board_state(&ann, board.id).await;

    let got = app.call(Method::PATCH, &path, Some(&ann), Some(json!({"title": "Mine", "expected_version": 1}))).await;

    assert_error(&got, StatusCode::CONFLICT, ErrorCode::VersionConflict);
    let error: ErrorBody = serde_json::from_value(got.1).unwrap();
    assert_eq!(error.error.card, Some(current));
    assert_eq!(app.board_state(&ann, board.id).await, before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_card_within_a_list_across_lists_and_to_the_top() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 3).await;

    let within = app.move_card(&ann, cards[0][0].id, lists[0].id, Some(cards[0][2].id)).await;
    let across = app.move_card(&ann, cards[0][1].id, lists[1].id, Some(cards[1][0].id)).await;
    let top = app.move_card(&ann, cards[1][2].id, lists[1].id, None).await;

    assert_eq!((within.card.list_id, within.card.version), (lists[0].id, 2));
    assert_eq!((across.card.list_id, across.card.version), (lists[1].id, 2));
    assert_eq!(top.seq, across.seq + 1);
    assert_eq!(within.seq + 1, across.seq);
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(snapshot.board.seq, top.seq);
    assert_eq!(
        columns(&snapshot),
        vec![
            ("L0".into(), vec!["L0C2".into(), "L0C0".into()]),
            ("L1".into(), vec!["L1C2".into(), "L1C0".into(), "L0C1".into(), "L1C1".into()]),
        ]
    );
    assert!(snapshot.cards.contains(&top.card));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_card_after_itself_is_refused() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 2).await;
    let before = app.board_state(&ann, board.id).await;

    let got = app
        .call(
            Method::POST,
            &format!("/api/cards/{}/move", cards[0][0].id),
            Some(&ann),
            Some(json!({"list_id": lists[0].id, "after_id": cards[0][0].id})),
        )
        .await;

    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert_eq!(app.board_state(&ann, board.id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_archived_card_removes_it() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 2).await;
    let path = format!("/api/cards/{}", cards[0][0].id);
    app.archive_card(&ann, cards[0][0].id).await;

    let (status, body) = app.call(Method::DELETE, &path, Some(&ann), None).await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(columns(&app.snapshot(&ann, board.id).await), vec![("L0".into(), vec!["L0C1".into()])]);
    assert_error(
        &app.call(Method::DELETE, &path, Some(&ann), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_that_does_not_exist_is_not_found() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (_, lists, _) = app.board_with(&ann, 1, 0).await;
    let id = Uuid::new_v4();

    let calls = [
        (Method::PATCH, format!("/api/cards/{id}"), Some(json!({"title": "x"}))),
        (Method::POST, format!("/api/cards/{id}/move"), Some(json!({"list_id": lists[0].id, "after_id": null}))),
        (Method::DELETE, format!("/api/cards/{id}"), None),
    ];

    for (method, path, body) in calls {
        assert_error(&app.call(method, &path, Some(&ann), body).await, StatusCode::NOT_FOUND, ErrorCode::CardNotFound);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_takes_a_start_and_a_due_date_in_utc_and_a_complete_mark() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let path = format!("/api/cards/{}", cards[0][0].id);

    // Any offset is accepted and stored as the same instant.
    let dated: Card = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &path,
            &ann,
            json!({"start_at": "2027-03-01T09:00:00+02:00", "due_at": "2027-03-02T17:30:00Z"}),
        )
        .await;
    assert_eq!(dated.start_at, Some(time::macros::datetime!(2027-03-01 07:00 UTC)));
    assert_eq!(dated.due_at, Some(time::macros::datetime!(2027-03-02 17:30 UTC)));
    assert_eq!((dated.completed, dated.version), (false, 2));

    let done: Card = app.expect(StatusCode::OK, Method::PATCH, &path, &ann, json!({"completed": true})).await;
    assert_eq!((done.completed, done.due_at, done.version), (true, dated.due_at, 3));
    let cleared: Card = app.expect(StatusCode::OK, Method::PATCH, &path, &ann, json!({"start_at": null})).await;
    assert_eq!((cleared.start_at, cleared.due_at), (None, dated.due_at));
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(snapshot.cards[0], cleared);
    let (_, raw) = app.call(Method::GET, &format!("/api/boards/{}", board.id), Some(&ann), None).await;
    assert_eq!(raw["cards"][0]["due_at"], json!("2027-03-02T17:30:00Z"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_that_do_not_parse_or_start_after_the_due_date_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let path = format!("/api/cards/{}", cards[0][0].id);

    for body in [json!({"due_at": "tomorrow"}), json!({"due_at": 12}), json!({"start_at": "2027-02-30T00:00:00Z"})] {
        let got = app.call(Method::PATCH, &path, Some(&ann), Some(body.clone())).await;
        assert_error(&got, StatusCode::BAD_REQUEST, ErrorCode::InvalidBody);
        let field = body.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default();
        assert!(got.1["error"]["message"].as_str().unwrap_or("").contains(&field), "{body}: {}", got.1);
    }
    let late_start = json!({"start_at": "2027-03-03T00:00:00Z", "due_at": "2027-03-02T00:00:00Z"});
    let got = app.call(Method::PATCH, &path, Some(&ann), Some(late_start)).await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert!(got.1["error"]["fields"]["start_at"].is_string());
    // Against the stored due date too.
    app.call(Method::PATCH, &path, Some(&ann), Some(json!({"due_at": "2027-03-02T00:00:00Z"}))).await;
    let got = app.call(Method::PATCH, &path, Some(&ann), Some(json!({"start_at": "2027-04-01T00:00:00Z"}))).await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert_eq!(app.snapshot(&ann, board.id).await.cards[0].start_at, None);
}
