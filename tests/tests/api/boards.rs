//! Boards: the caller's list, create, the snapshot, rename, delete; and who may see and change a board.

use corkboard_protocol::{Board, BoardsResponse, ErrorCode, Role};
use corkboard_tests::{TestApp, TestUser, assert_error, columns, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

async fn my_boards(app: &TestApp, user: &TestUser) -> BoardsResponse {
    let (status, body) = app.call(Method::GET, "/api/boards", Some(user), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_board_makes_the_caller_its_owner() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;

    let board = app.create_board(&ann, "  Plans  ").await;

    assert_eq!((board.title.as_str(), board.seq), ("Plans", 0));
    let boards = my_boards(&app, &ann).await.boards;
    assert_eq!(boards.len(), 1);
    assert_eq!((boards[0].id, boards[0].role), (board.id, Role::Owner));
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(snapshot.members.len(), 1);
    assert_eq!((snapshot.members[0].user.id, snapshot.members[0].role), (ann.id, Role::Owner));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_list_shows_only_the_callers_boards_with_their_roles() {
    let app = spawn_app().await;
    let (ann, bob, carl) = (app.register("ann").await, app.register("bob").await, app.register("carl").await);
    let anns = app.create_board(&ann, "Ann's").await;
    let bobs = app.create_board(&bob, "Bob's").await;
    app.add_member(&ann, anns.id, &bob, Role::Editor).await;

    let for_bob = my_boards(&app, &bob).await.boards;
    let for_carl = my_boards(&app, &carl).await.boards;

    let mut roles: Vec<(Uuid, Role)> = for_bob.iter().map(|b| (b.id, b.role)).collect();
    roles.sort();
    let mut expected = vec![(anns.id, Role::Editor), (bobs.id, Role::Owner)];
    expected.sort();
    assert_eq!(roles, expected);
    assert!(for_carl.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snapshot_holds_lists_cards_and_members_in_display_order_as_of_its_seq() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let (board, lists, _) = app.board_with(&ann, 2, 2).await;
    app.create_list_after(&ann, board.id, "First", None).await;
    app.create_card_after(&ann, lists[1].id, "Top", None).await;
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;

    let snapshot = app.snapshot(&bob, board.id).await;

    assert_eq!((snapshot.board.id, snapshot.board.title.as_str()), (board.id, "Test board"));
    assert_eq!(snapshot.board.seq, app.board_seq(board.id).await);
    assert_eq!(snapshot.board.seq, app.event_log(board.id).await.len() as i64);
    assert_eq!(
        columns(&snapshot),
        vec![
            ("First".into(), vec![]),
            ("L0".into(), vec!["L0C0".into(), "L0C1".into()]),
            ("L1".into(), vec!["Top".into(), "L1C0".into(), "L1C1".into()]),
        ]
    );
    let members: Vec<(String, Role)> = snapshot.members.iter().map(|m| (m.user.username.clone(), m.role)).collect();
    assert_eq!(members, vec![("ann".into(), Role::Owner), ("bob".into(), Role::Viewer)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_renames_the_board() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &bob, Role::Admin).await;

    let renamed: Board = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/api/boards/{}", board.id),
            &bob,
            json!({"title": " Roadmap "}),
        )
        .await;

    assert_eq!(renamed.title, "Roadmap");
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(snapshot.board.title, "Roadmap");
    assert_eq!(renamed.seq, snapshot.board.seq, "the answer is the board as of its own event");
    assert_eq!(my_boards(&app, &ann).await.boards[0].title, "Roadmap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_deletes_the_board_and_it_is_gone_for_everyone() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let (board, lists, cards) = app.board_with(&ann, 1, 1).await;
    app.add_member(&ann, board.id, &bob, Role::Admin).await;
    let path = format!("/api/boards/{}", board.id);

    let (status, body) = app.call(Method::DELETE, &path, Some(&ann), None).await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(body, serde_json::Value::Null);
    for user in [&ann, &bob] {
        assert_error(
            &app.call(Method::GET, &path, Some(user), None).await,
            StatusCode::NOT_FOUND,
            ErrorCode::BoardNotFound,
        );
        assert!(my_boards(&app, user).await.boards.is_empty());
    }
    assert_error(
        &app.call(Method::PATCH, &path, Some(&ann), Some(json!({"title": "x"}))).await,
        StatusCode::NOT_FOUND,
        ErrorCode::BoardNotFound,
    );
    assert_error(
        &app.call(Method::POST, &format!("/api/lists/{}/cards", lists[0].id), Some(&ann), Some(json!({"title": "x"})))
            .await,
        StatusCode::NOT_FOUND,
        ErrorCode::ListNotFound,
    );
    assert_error(
        &app.call(Method::DELETE, &format!("/api/cards/{}", cards[0][0].id), Some(&ann), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_may_delete_the_board_and_only_admins_rename_it() {
    let app = spawn_app().await;
    let (ann, admin, editor) = (app.register("ann").await, app.register("adam").await, app.register("edie").await);
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &admin, Role::Admin).await;
    app.add_member(&ann, board.id, &editor, Role::Editor).await;
    let path = format!("/api/boards/{}", board.id);
    let before = app.board_state(&ann, board.id).await;

    let admin_delete = app.call(Method::DELETE, &path, Some(&admin), None).await;
    let editor_rename = app.call(Method::PATCH, &path, Some(&editor), Some(json!({"title": "Mine"}))).await;

    assert_error(&admin_delete, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_error(&editor_rename, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_eq!(app.board_state(&ann, board.id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_gets_404_for_every_board_resource() {
    let app = spawn_app().await;
    let (ann, eve) = (app.register("ann").await, app.register("eve").await);
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    let (b, l, c) = (board.id, lists[0].id, cards[0][0].id);
    let before = app.board_state(&ann, b).await;

    let calls = [
        (Method::GET, format!("/api/boards/{b}"), None, ErrorCode::BoardNotFound),
        (Method::PATCH, format!("/api/boards/{b}"), Some(json!({"title": "x"})), ErrorCode::BoardNotFound),
        (Method::DELETE, format!("/api/boards/{b}"), None, ErrorCode::BoardNotFound),
        (Method::GET, format!("/api/boards/{b}/members"), None, ErrorCode::BoardNotFound),
        (
            Method::POST,
            format!("/api/boards/{b}/members"),
            Some(json!({"username": "eve", "role": "admin"})),
            ErrorCode::BoardNotFound,
        ),
        (
            Method::PATCH,
            format!("/api/boards/{b}/members/{}", ann.id),
            Some(json!({"role": "viewer"})),
            ErrorCode::BoardNotFound,
        ),
        (Method::DELETE, format!("/api/boards/{b}/members/{}", ann.id), None, ErrorCode::BoardNotFound),
        (Method::POST, format!("/api/boards/{b}/lists"), Some(json!({"title": "x"})), ErrorCode::BoardNotFound),
        (Method::PATCH, format!("/api/lists/{l}"), Some(json!({"title": "x"})), ErrorCode::ListNotFound),
        (Method::POST, format!("/api/lists/{l}/move"), Some(json!({"after_id": null})), ErrorCode::ListNotFound),
        (Method::DELETE, format!("/api/lists/{l}"), None, ErrorCode::ListNotFound),
        (Method::POST, format!("/api/lists/{l}/cards"), Some(json!({"title": "x"})), ErrorCode::ListNotFound),
        (Method::PATCH, format!("/api/cards/{c}"), Some(json!({"title": "x"})), ErrorCode::CardNotFound),
        (
            Method::POST,
            format!("/api/cards/{c}/move"),
            Some(json!({"list_id": l, "after_id": null})),
            ErrorCode::CardNotFound,
        ),
        (Method::DELETE, format!("/api/cards/{c}"), None, ErrorCode::CardNotFound),
    ];

    for (method, path, body, code) in calls {
        let got = app.call(method.clone(), &path, Some(&eve), body).await;
        assert_eq!(got.0, StatusCode::NOT_FOUND, "{method} {path}: {}", got.1);
        assert_error(&got, StatusCode::NOT_FOUND, code);
    }
    assert_eq!(app.board_state(&ann, b).await, before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_that_does_not_exist_is_not_found() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let path = format!("/api/boards/{}", Uuid::new_v4());

    assert_error(
        &app.call(Method::GET, &path, Some(&ann), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::BoardNotFound,
    );
    assert_error(
        &app.call(Method::DELETE, &path, Some(&ann), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::BoardNotFound,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_is_forbidden_every_kind_of_change_and_nothing_changes() {
    let app = spawn_app().await;
    let (ann, vic) = (app.register("ann").await, app.register("vic").await);
    app.register("bob").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let (b, l, c) = (board.id, lists[0].id, cards[0][0].id);
    let before = app.board_state(&ann, b).await;

    let changes = [
        (Method::PATCH, format!("/api/boards/{b}"), Some(json!({"title": "x"}))),
        (Method::DELETE, format!("/api/boards/{b}"), None),
        (Method::POST, format!("/api/boards/{b}/members"), Some(json!({"username": "bob", "role": "viewer"}))),
        (Method::PATCH, format!("/api/boards/{b}/members/{}", ann.id), Some(json!({"role": "viewer"}))),
        (Method::POST, format!("/api/boards/{b}/lists"), Some(json!({"title": "x"}))),
        (Method::PATCH, format!("/api/lists/{l}"), Some(json!({"title": "x"}))),
        (Method::POST, format!("/api/lists/{l}/move"), Some(json!({"after_id": lists[1].id}))),
        (Method::DELETE, format!("/api/lists/{l}"), None),
        (Method::POST, format!("/api/lists/{l}/cards"), Some(json!({"title": "x"}))),
        (Method::PATCH, format!("/api/cards/{c}"), Some(json!({"title": "x"}))),
        (Method::POST, format!("/api/cards/{c}/move"), Some(json!({"list_id": lists[1].id, "after_id": null}))),
        (Method::DELETE, format!("/api/cards/{c}"), None),
    ];

    for (method, path, body) in changes {
        let got = app.call(method.clone(), &path, Some(&vic), body).await;
        assert_eq!(got.0, StatusCode::FORBIDDEN, "{method} {path}: {}", got.1);
        assert_error(&got, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    }
    assert_eq!(app.board_state(&ann, b).await, before, "nothing changed");
    // What a viewer may do: read.
    assert_eq!(app.snapshot(&vic, b).await, before.0);
    assert_eq!(app.call(Method::GET, &format!("/api/boards/{b}/members"), Some(&vic), None).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_changes_lists_and_cards() {
    let app = spawn_app().await;
    let (ann, edie) = (app.register("ann").await, app.register("edie").await);
    let (board, lists, cards) = app.board_with(&ann, 2, 1).await;
    app.add_member(&ann, board.id, &edie, Role::Editor).await;

    let list = app.create_list(&edie, board.id, "Edie's").await;
    let card = app.create_card(&edie, list.id, "Task").await;
    app.move_card(&edie, cards[0][0].id, list.id, Some(card.id)).await;
    let renamed = app
        .call(Method::PATCH, &format!("/api/lists/{}", lists[1].id), Some(&edie), Some(json!({"title": "Done"})))
        .await;
    let archived = app.call(Method::POST, &format!("/api/cards/{}/archive", cards[1][0].id), Some(&edie), None).await;

    assert_eq!(renamed.0, StatusCode::OK, "{}", renamed.1);
    assert_eq!(archived.0, StatusCode::OK, "{}", archived.1);
    assert_eq!(
        columns(&app.snapshot(&ann, board.id).await),
        vec![("L0".into(), vec![]), ("Done".into(), vec![]), ("Edie's".into(), vec!["Task".into(), "L0C0".into()])]
    );
}
