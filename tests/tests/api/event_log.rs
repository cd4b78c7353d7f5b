//! The event log: one event per change with the board's next seq, written with the change or not at all.

use corkboard_protocol::{ErrorCode, EventKind, MoveCardResponse, Role};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Runs one change and checks that it appended exactly one event of `kind` with the next seq.
async fn expect_one_event(
    app: &TestApp,
    board_id: Uuid,
    kind: &str,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let before = app.event_log(board_id).await;
    let (status, answer) = app.call(method.clone(), path, Some(user), body).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    let mut expected = before.clone();
    expected.push((before.len() as i64 + 1, kind.to_owned()));
    assert_eq!(app.event_log(board_id).await, expected, "{method} {path}");
    assert_eq!(app.board_seq(board_id).await, expected.len() as i64);
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_change_appends_exactly_one_event_with_the_next_seq() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let board = app.create_board(&ann, "Plans").await;
    let b = board.id;
    assert!(app.event_log(b).await.is_empty(), "a new board starts at seq 0");
    assert_eq!(board.seq, 0);

    let list = expect_one_event(
        &app,
        b,
        "list_created",
        &ann,
        Method::POST,
        &format!("/api/boards/{b}/lists"),
        Some(json!({"title": "A"})),
    )
    .await;
    let l1 = list["id"].as_str().unwrap().to_owned();
    expect_one_event(
        &app,
        b,
        "list_updated",
        &ann,
        Method::PATCH,
        &format!("/api/lists/{l1}"),
        Some(json!({"title": "A2"})),
    )
    .await;
    let list = expect_one_event(
        &app,
        b,
        "list_created",
        &ann,
        Method::POST,
        &format!("/api/boards/{b}/lists"),
        Some(json!({"title": "B"})),
    )
    .await;
    let l2 = list["id"].as_str().unwrap().to_owned();
    expect_one_event(
        &app,
        b,
        "list_moved",
        &ann,
        Method::POST,
        &format!("/api/lists/{l2}/move"),
        Some(json!({"after_id": null})),
    )
    .await;
    let card = expect_one_event(
        &app,
        b,
        "card_created",
        &ann,
        Method::POST,
        &format!("/api/lists/{l1}/cards"),
        Some(json!({"title": "C"})),
    )
    .await;
    let c = card["id"].as_str().unwrap().to_owned();
    expect_one_event(
        &app,
        b,
        "card_updated",
        &ann,
        Method::PATCH,
        &format!("/api/cards/{c}"),
        Some(json!({"description": "D"})),
    )
    .await;
    let moved = expect_one_event(
        &app,
        b,
        "card_moved",
        &ann,
        Method::POST,
        &format!("/api/cards/{c}/move"),
        Some(json!({"list_id": l2, "after_id": null, "client_op_id": "op-1"})),
    )
    .await;
    expect_one_event(
        &app,
        b,
        "member_added",
        &ann,
        Method::POST,
        &format!("/api/boards/{b}/members"),
        Some(json!({"username": "bob", "role": "viewer"})),
    )
    .await;
    expect_one_event(
        &app,
        b,
        "member_updated",
        &ann,
        Method::PATCH,
        &format!("/api/boards/{b}/members/{}", bob.id),
        Some(json!({"role": "editor"})),
    )
    .await;
    expect_one_event(
        &app,
        b,
        "member_removed",
        &bob,
        Method::DELETE,
        &format!("/api/boards/{b}/members/{}", bob.id),
        None,
    )
    .await;
    let renamed = expect_one_event(
        &app,
        b,
        "board_updated",
        &ann,
        Method::PATCH,
        &format!("/api/boards/{b}"),
        Some(json!({"title": "Roadmap"})),
    )
    .await;
    expect_one_event(&app, b, "card_archived", &ann, Method::POST, &format!("/api/cards/{c}/archive"), None).await;
    expect_one_event(&app, b, "card_deleted", &ann, Method::DELETE, &format!("/api/cards/{c}"), None).await;
    expect_one_event(&app, b, "list_archived", &ann, Method::POST, &format!("/api/lists/{l1}/archive"), None).await;
    expect_one_event(&app, b, "list_deleted", &ann, Method::DELETE, &format!("/api/lists/{l1}"), None).await;
    expect_one_event(&app, b, "board_deleted", &ann, Method::DELETE, &format!("/api/boards/{b}"), None).await;

    let events = app.events(b).await;
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=16).collect::<Vec<i64>>());
    let actors: Vec<Option<Uuid>> = events.iter().map(|e| e.actor_id).collect();
    let mut expected_actors = vec![Some(ann.id); 16];
    expected_actors[9] = Some(bob.id);
    assert_eq!(actors, expected_actors, "each event names who made the change");
    assert_eq!(moved["seq"], json!(7));
    assert_eq!(events[6].client_op_id.as_deref(), Some("op-1"));
    assert!(events.iter().enumerate().all(|(i, e)| i == 6 || e.client_op_id.is_none()));
    match &events[6].kind {
        EventKind::CardMoved { card_id, from_list_id, to_list_id, version, .. } => {
            assert_eq!(
                (card_id.to_string(), from_list_id.to_string(), to_list_id.to_string()),
                (c.clone(), l1.clone(), l2.clone())
            );
            assert_eq!(*version, 3);
        }
        other => panic!("event 7 is {other:?}"),
    }
    match &events[10].kind {
        EventKind::BoardUpdated { board } => assert_eq!((board.title.as_str(), board.seq), ("Roadmap", 11)),
        other => panic!("event 11 is {other:?}"),
    }
    assert_eq!(renamed["seq"], json!(11));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_change_leaves_neither_a_change_nor_an_event() {
    let app = spawn_app().await;
    let (ann, vic, eve) = (app.register("ann").await, app.register("vic").await, app.register("eve").await);
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let c = cards[0][0].id;
    let before = app.board_state(&ann, board.id).await;

    let failures = [
        (
            &ann,
            Method::POST,
            format!("/api/cards/{c}/move"),
            Some(json!({"list_id": Uuid::now_v7(), "position": "end"})),
            StatusCode::NOT_FOUND,
        ),
        (
            &ann,
            Method::PATCH,
            format!("/api/cards/{c}"),
            Some(json!({"title": "x", "expected_version": 9})),
            StatusCode::CONFLICT,
        ),
        (&ann, Method::PATCH, format!("/api/cards/{c}"), Some(json!({"title": " "})), StatusCode::UNPROCESSABLE_ENTITY),
        (
            &ann,
            Method::POST,
            format!("/api/boards/{}/members", board.id),
            Some(json!({"username": "vic", "role": "admin"})),
            StatusCode::CONFLICT,
        ),
        (&ann, Method::DELETE, format!("/api/boards/{}/members/{}", board.id, ann.id), None, StatusCode::FORBIDDEN),
        (
            &vic,
            Method::POST,
            format!("/api/cards/{c}/move"),
            Some(json!({"list_id": lists[1].id, "after_id": null})),
            StatusCode::FORBIDDEN,
        ),
        (&vic, Method::DELETE, format!("/api/lists/{}", lists[0].id), None, StatusCode::FORBIDDEN),
        (&eve, Method::DELETE, format!("/api/cards/{c}"), None, StatusCode::NOT_FOUND),
    ];

    for (user, method, path, body, status) in failures {
        let got = app.call(method.clone(), &path, Some(user), body).await;
        assert_eq!(got.0, status, "{method} {path} as {}: {}", user.username, got.1);
    }
    assert_eq!(app.board_state(&ann, board.id).await, before, "no change and no event");
    assert_eq!(app.board_seq(board.id).await, before.1.len() as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_on_one_board_get_gapless_seqs() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 4, 4).await;
    let setup_events = app.board_seq(board.id).await;
    let (writers, ops_per_writer) = (8, 25);

    let writer = |w: usize| {
        let (app, ann, lists, cards) = (&app, &ann, &lists, &cards);
        async move {
            let mut seqs = Vec::new();
            for i in 0..ops_per_writer {
                let list = &lists[(w + i) % lists.len()];
                if i % 2 == 0 {
                    // To the top of some list: never stale, whatever the others did meanwhile.
                    let card = cards[w % cards.len()][(w / cards.len() + i) % cards[0].len()].id;
                    let path = format!("/api/cards/{card}/move");
                    let body = json!({"list_id": list.id, "after_id": null});
                    let moved: MoveCardResponse = app.expect(StatusCode::OK, Method::POST, &path, ann, body).await;
                    seqs.push(moved.seq);
                } else {
                    app.create_card(ann, list.id, &format!("W{w}-{i}")).await;
                }
            }
            seqs
        }
    };
    let move_seqs: Vec<i64> = join_all((0..writers).map(writer)).await.into_iter().flatten().collect();

    let log = app.event_log(board.id).await;
    let n = setup_events + (writers * ops_per_writer) as i64;
    assert_eq!(log.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), (1..=n).collect::<Vec<_>>(), "gapless seqs 1..N");
    assert_eq!(app.board_seq(board.id).await, n);
    assert_eq!(app.snapshot(&ann, board.id).await.board.seq, n);
    let mut distinct = move_seqs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), move_seqs.len(), "every move got a seq of its own");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_client_op_id_returns_the_first_seq_and_adds_no_event() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    let path = format!("/api/cards/{}/move", cards[0][0].id);
    let first: MoveCardResponse = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &path,
            &ann,
            json!({"list_id": lists[1].id, "after_id": null, "client_op_id": "op-42"}),
        )
        .await;
    let after_first = app.board_state(&ann, board.id).await;

    let resent: MoveCardResponse = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &path,
            &ann,
            json!({"list_id": lists[1].id, "after_id": null, "client_op_id": "op-42"}),
        )
        .await;
    let elsewhere: MoveCardResponse = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &path,
            &ann,
            json!({"list_id": lists[0].id, "after_id": null, "client_op_id": "op-42"}),
        )
        .await;

    assert_eq!((resent.seq, elsewhere.seq), (first.seq, first.seq));
    assert_eq!(resent.card, first.card);
    assert_eq!(app.board_state(&ann, board.id).await, after_first, "applied once");
    // Operation ids are per user: the same id from someone else is a new operation.
    let bobs: MoveCardResponse = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &path,
            &bob,
            json!({"list_id": lists[0].id, "after_id": null, "client_op_id": "op-42"}),
        )
        .await;
    assert_eq!(bobs.seq, first.seq + 1);
    assert_error(
        &app.call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"list_id": lists[0].id, "after_id": cards[0][0].id, "client_op_id": "op-43"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    );
}

/// A refusal is final too: once a move was refused (and the client rolled it back), a late copy of the same
/// operation, say a request still in flight from a dropped connection, is refused again even when the board has
/// changed so that it would now succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_op_id_stays_refused_when_the_board_changes() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    // Bob may only view, so his move is refused.
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;
    let path = format!("/api/cards/{}/move", cards[0][0].id);
    let op = json!({"list_id": lists[1].id, "after_id": cards[1][0].id, "client_op_id": "op-late"});
    let refused = app.call(Method::POST, &path, Some(&bob), Some(op.clone())).await;
    assert_error(&refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden);

    // Bob becomes an editor: the same request with a new id would now succeed.
    let member = format!("/api/boards/{}/members/{}", board.id, bob.id);
    let (status, _) = app.call(Method::PATCH, &member, Some(&ann), Some(json!({"role": "editor"}))).await;
    assert_eq!(status, StatusCode::OK);
    let before = app.board_state(&ann, board.id).await;
    let late = app.call(Method::POST, &path, Some(&bob), Some(op)).await;
    assert_error(&late, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_eq!(app.board_state(&ann, board.id).await, before, "the late copy changed nothing");

    let fresh = json!({"list_id": lists[1].id, "after_id": cards[1][0].id, "client_op_id": "op-new"});
    let moved: MoveCardResponse = app.expect(StatusCode::OK, Method::POST, &path, &bob, fresh).await;
    assert_eq!(moved.card.list_id, lists[1].id);
}
