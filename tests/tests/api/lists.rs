//! Lists: create (append, first, after another), rename, move, delete with their cards.

use corkboard_protocol::{ErrorCode, List};
use corkboard_tests::{assert_error, columns, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_appended_by_default() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;

    let todo = app.create_list(&ann, board.id, " To do ").await;
    app.create_list(&ann, board.id, "Doing").await;
    app.create_list(&ann, board.id, "Done").await;

    assert_eq!((todo.board_id, todo.title.as_str()), (board.id, "To do"));
    let titles: Vec<String> = app.snapshot(&ann, board.id).await.lists.into_iter().map(|l| l.title).collect();
    assert_eq!(titles, ["To do", "Doing", "Done"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_with_a_null_after_id_goes_first_and_with_an_id_right_after_it() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let a = app.create_list(&ann, board.id, "A").await;
    app.create_list(&ann, board.id, "B").await;

    app.create_list_after(&ann, board.id, "First", None).await;
    app.create_list_after(&ann, board.id, "After A", Some(a.id)).await;

    let snapshot = app.snapshot(&ann, board.id).await;
    let titles: Vec<&str> = snapshot.lists.iter().map(|l| l.title.as_str()).collect();
    assert_eq!(titles, ["First", "A", "After A", "B"]);
    assert!(snapshot.lists.windows(2).all(|w| w[0].position < w[1].position), "positions sort byte-wise");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_after_a_list_of_another_board_is_a_stale_position() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let other = app.create_board(&ann, "Other").await;
    let elsewhere = app.create_list(&ann, other.id, "Elsewhere").await;
    let before = app.board_state(&ann, board.id).await;

    let got = app
        .call(
            Method::POST,
            &format!("/api/boards/{}/lists", board.id),
            Some(&ann),
            Some(json!({"title": "X", "after_id": elsewhere.id})),
        )
        .await;

    assert_error(&got, StatusCode::CONFLICT, ErrorCode::StalePosition);
    assert_eq!(app.board_state(&ann, board.id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_a_list_keeps_its_place() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 2, 0).await;

    let renamed: List = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/api/lists/{}", lists[0].id),
            &ann,
            json!({"title": "Backlog"}),
        )
        .await;

    assert_eq!(renamed, List { title: "Backlog".into(), ..lists[0].clone() });
    assert_eq!(app.snapshot(&ann, board.id).await.lists[0], renamed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_list_puts_it_first_or_right_after_another() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 3, 1).await;
    let path = |list: &List| format!("/api/lists/{}/move", list.id);

    let first: List = app.expect(StatusCode::OK, Method::POST, &path(&lists[2]), &ann, json!({"after_id": null})).await;
    assert_eq!(first.id, lists[2].id);
    let after: List =
        app.expect(StatusCode::OK, Method::POST, &path(&lists[0]), &ann, json!({"after_id": lists[1].id})).await;

    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(
        columns(&snapshot),
        vec![
            ("L2".into(), vec!["L2C0".into()]),
            ("L1".into(), vec!["L1C0".into()]),
            ("L0".into(), vec!["L0C0".into()]),
        ]
    );
    assert_eq!(snapshot.lists[2].position, after.position);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_list_after_a_missing_list_or_itself_changes_nothing() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 2, 0).await;
    let path = format!("/api/lists/{}/move", lists[0].id);
    let before = app.board_state(&ann, board.id).await;

    let missing = app.call(Method::POST, &path, Some(&ann), Some(json!({"after_id": Uuid::new_v4()}))).await;
    let itself = app.call(Method::POST, &path, Some(&ann), Some(json!({"after_id": lists[0].id}))).await;

    assert_error(&missing, StatusCode::CONFLICT, ErrorCode::StalePosition);
    assert_error(&itself, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert_eq!(app.board_state(&ann, board.id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_list_deletes_its_cards_with_one_event() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 3).await;
    app.archive_list(&ann, lists[0].id).await;
    let seq_before = app.board_seq(board.id).await;

    let (status, body) = app.call(Method::DELETE, &format!("/api/lists/{}", lists[0].id), Some(&ann), None).await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        columns(&app.snapshot(&ann, board.id).await),
        vec![("L1".into(), vec!["L1C0".into(), "L1C1".into(), "L1C2".into()])]
    );
    let orphans: i64 = sqlx::query_scalar("select count(*) from cards where list_id = $1")
        .bind(lists[0].id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(orphans, 0);
    let log = app.event_log(board.id).await;
    assert_eq!(log.last(), Some(&(seq_before + 1, "list_deleted".to_owned())));
    assert_eq!(log.len() as i64, seq_before + 1);
    assert_error(
        &app.call(Method::PATCH, &format!("/api/cards/{}", cards[0][0].id), Some(&ann), Some(json!({"title": "x"})))
            .await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_that_does_not_exist_is_not_found() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let id = Uuid::new_v4();

    let calls = [
        (Method::PATCH, format!("/api/lists/{id}"), Some(json!({"title": "x"}))),
        (Method::POST, format!("/api/lists/{id}/move"), Some(json!({"after_id": null}))),
        (Method::DELETE, format!("/api/lists/{id}"), None),
        (Method::POST, format!("/api/lists/{id}/cards"), Some(json!({"title": "x"}))),
    ];

    for (method, path, body) in calls {
        assert_error(&app.call(method, &path, Some(&ann), body).await, StatusCode::NOT_FOUND, ErrorCode::ListNotFound);
    }
}
