//! Card moves as intents (API.md, "Card moves"): the edges never go stale, a drop between two cards falls back
//! to the other neighbour and then to the end, and only a card or list that is gone, or a role too weak,
//! refuses a move, for good.

use corkboard_protocol::{ErrorCode, MoveCardResponse, Role, ServerMsg};
use corkboard_tests::{TestApp, TestUser, assert_error, columns, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Moves a card with `body` and expects 200.
async fn moved(app: &TestApp, user: &TestUser, card_id: Uuid, body: Value) -> MoveCardResponse {
    app.expect(StatusCode::OK, Method::POST, &format!("/api/cards/{card_id}/move"), user, body).await
}

async fn try_move(app: &TestApp, user: &TestUser, card_id: Uuid, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, &format!("/api/cards/{card_id}/move"), Some(user), Some(body)).await
}

fn column(app_columns: &[(String, Vec<String>)], list: &str) -> Vec<String> {
    app_columns.iter().find(|(name, _)| name == list).map(|(_, cards)| cards.clone()).unwrap_or_default()
}

/// The card titles of list `list` as the server has them now.
async fn column_now(app: &TestApp, user: &TestUser, board_id: Uuid, list: &str) -> Vec<String> {
    column(&columns(&app.snapshot(user, board_id).await), list)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_at_the_end_or_the_top_lands_there_however_the_list_changed() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 3).await;
    // While someone was offline, the last two cards of L0 left it: "after L0C2" would no longer exist.
    app.move_card(&ann, cards[0][1].id, lists[1].id, None).await;
    app.move_card(&ann, cards[0][2].id, lists[1].id, None).await;

    let end = moved(&app, &ann, cards[1][0].id, json!({"list_id": lists[0].id, "position": "end"})).await;
    assert_eq!(end.card.list_id, lists[0].id);
    let first = moved(&app, &ann, cards[1][2].id, json!({"list_id": lists[0].id, "position": "first"})).await;
    assert_eq!(first.seq, end.seq + 1);
    // To the end of its own list.
    moved(&app, &ann, cards[0][2].id, json!({"list_id": lists[1].id, "position": "end"})).await;

    let now = columns(&app.snapshot(&ann, board.id).await);
    assert_eq!(column(&now, "L0"), ["L1C2", "L0C0", "L1C0"]);
    assert_eq!(column(&now, "L1"), ["L0C1", "L1C1", "L0C2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_between_two_cards_lands_after_the_upper_else_before_the_lower_else_last() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 4).await;
    let (l0, l1) = (lists[0].id, lists[1].id);
    let [c0, c1, c2, c3] = [0, 1, 2, 3].map(|i| cards[0][i].id);
    let d = |i: usize| cards[1][i].id;

    // Both neighbours there: right after the upper one.
    moved(&app, &ann, d(0), json!({"list_id": l0, "after_id": c0, "before_id": c1})).await;
    assert_eq!(column_now(&app, &ann, board.id, "L0").await, ["L0C0", "L1C0", "L0C1", "L0C2", "L0C3"]);

    // The upper neighbour left the list meanwhile: right before the lower one.
    app.move_card(&ann, c2, l1, None).await;
    moved(&app, &ann, d(1), json!({"list_id": l0, "after_id": c2, "before_id": c3})).await;
    assert_eq!(column_now(&app, &ann, board.id, "L0").await, ["L0C0", "L1C0", "L0C1", "L1C1", "L0C3"]);

    // Both left (or never were there): last.
    moved(&app, &ann, d(2), json!({"list_id": l0, "after_id": c2, "before_id": Uuid::now_v7()})).await;
    assert_eq!(column_now(&app, &ann, board.id, "L0").await, ["L0C0", "L1C0", "L0C1", "L1C1", "L0C3", "L1C2"]);

    // An old client's body: only `after_id`, gone from the list → last instead of 409 stale_position.
    moved(&app, &ann, d(3), json!({"list_id": l0, "after_id": c2})).await;
    assert_eq!(column_now(&app, &ann, board.id, "L0").await, ["L0C0", "L1C0", "L0C1", "L1C1", "L0C3", "L1C2", "L1C3"]);

    // `after_id: null` is the top, whatever `before_id` says.
    moved(&app, &ann, c3, json!({"list_id": l0, "after_id": null, "before_id": c1})).await;
    assert_eq!(column_now(&app, &ann, board.id, "L0").await, ["L0C3", "L0C0", "L1C0", "L0C1", "L1C1", "L1C2", "L1C3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_is_refused_only_when_its_card_or_list_is_gone_or_the_mover_may_not_edit() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let vic = app.register("vic").await;
    let (board, lists, cards) = app.board_with(&ann, 3, 2).await;
    let (_, other_lists, _) = app.board_with(&ann, 1, 0).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let gone_card = app.create_card(&ann, lists[0].id, "Gone").await;
    app.archive_card(&ann, gone_card.id).await;
    app.archive_list(&ann, lists[2].id).await;
    let (status, _) = app.call(Method::DELETE, &format!("/api/cards/{}", gone_card.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::DELETE, &format!("/api/lists/{}", lists[2].id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let before = app.board_state(&ann, board.id).await;
    let card = cards[0][0].id;

    let cases = [
        (
            &ann,
            gone_card.id,
            json!({"list_id": lists[1].id, "position": "end"}),
            StatusCode::NOT_FOUND,
            ErrorCode::CardNotFound,
        ),
        (
            &ann,
            card,
            json!({"list_id": lists[2].id, "position": "end"}),
            StatusCode::NOT_FOUND,
            ErrorCode::ListNotFound,
        ),
        (
            &ann,
            card,
            json!({"list_id": other_lists[0].id, "after_id": null}),
            StatusCode::NOT_FOUND,
            ErrorCode::ListNotFound,
        ),
        (
            &ann,
            card,
            json!({"list_id": Uuid::now_v7(), "position": "first"}),
            StatusCode::NOT_FOUND,
            ErrorCode::ListNotFound,
        ),
        (&vic, card, json!({"list_id": lists[1].id, "position": "end"}), StatusCode::FORBIDDEN, ErrorCode::Forbidden),
    ];
    for (user, card_id, body, status, code) in cases {
        let got = try_move(&app, user, card_id, body.clone()).await;
        assert_error(&got, status, code);
    }
    assert_eq!(app.board_state(&ann, board.id).await, before, "nothing changed, no event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_name_no_place_or_the_card_itself_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 2).await;
    let (list, card, other) = (lists[0].id, cards[0][0].id, cards[0][1].id);
    let before = app.board_state(&ann, board.id).await;

    // No place, or two: the body has the wrong shape, like a missing field.
    let shapes = [
        (json!({"list_id": list}), "after_id"),
        (json!({"list_id": list, "before_id": other}), "after_id"),
        (json!({"list_id": list, "position": "end", "after_id": other}), "position"),
        (json!({"list_id": list, "position": "first", "after_id": null}), "position"),
        (json!({"list_id": list, "position": "end", "before_id": other}), "position"),
        (json!({"list_id": list, "position": "middle"}), "position"),
    ];
    for (body, field) in shapes {
        let got = try_move(&app, &ann, card, body.clone()).await;
        assert_error(&got, StatusCode::BAD_REQUEST, ErrorCode::InvalidBody);
        assert!(got.1["error"]["message"].as_str().unwrap_or_default().contains(field), "{body}: {}", got.1);
    }
    // A place next to the card itself.
    for (body, field) in [
        (json!({"list_id": list, "after_id": card}), "after_id"),
        (json!({"list_id": list, "after_id": other, "before_id": card}), "before_id"),
    ] {
        let got = try_move(&app, &ann, card, body.clone()).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
        assert!(got.1["error"]["fields"][field].is_string(), "{body}: {}", got.1);
    }
    assert_eq!(app.board_state(&ann, board.id).await, before);
}

/// Exactly once, with fallbacks: a copy of an applied move answers its first seq even when the board has changed
/// so that the same intent would now land elsewhere, and a refused one stays refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_client_op_id_gets_its_first_outcome() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;
    let (l0, l1) = (lists[0].id, lists[1].id);
    let neighbour = cards[1][0].id;
    app.move_card(&ann, neighbour, l0, None).await;

    // Applied by falling back to the end of L1; the neighbour comes back; the copy changes nothing.
    let op = json!({"list_id": l1, "after_id": neighbour, "client_op_id": "op-fallback"});
    let first = moved(&app, &ann, cards[0][0].id, op.clone()).await;
    app.move_card(&ann, neighbour, l1, None).await;
    let state = app.board_state(&ann, board.id).await;
    let again = moved(&app, &ann, cards[0][0].id, op).await;
    assert_eq!(again.seq, first.seq);
    assert_eq!(app.board_state(&ann, board.id).await, state, "the copy moved nothing");

    // Refused (the list is gone) and refused again.
    let doomed = app.create_list(&ann, board.id, "Doomed").await;
    app.archive_list(&ann, doomed.id).await;
    let (status, _) = app.call(Method::DELETE, &format!("/api/lists/{}", doomed.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let op = json!({"list_id": doomed.id, "position": "end", "client_op_id": "op-list-gone"});
    for _ in 0..2 {
        assert_error(
            &try_move(&app, &ann, cards[0][1].id, op.clone()).await,
            StatusCode::NOT_FOUND,
            ErrorCode::ListNotFound,
        );
    }

    // Refused to a viewer; promoted, the same op is still refused, a new one goes through.
    let op = json!({"list_id": l1, "position": "first", "client_op_id": "op-viewer"});
    assert_error(&try_move(&app, &bob, cards[0][1].id, op.clone()).await, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    let path = format!("/api/boards/{}/members/{}", board.id, bob.id);
    let (status, _) = app.call(Method::PATCH, &path, Some(&ann), Some(json!({"role": "editor"}))).await;
    assert_eq!(status, StatusCode::OK);
    let state = app.board_state(&ann, board.id).await;
    assert_error(&try_move(&app, &bob, cards[0][1].id, op).await, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_eq!(app.board_state(&ann, board.id).await, state, "the late copy changed nothing");
    let fresh = json!({"list_id": l1, "position": "first", "client_op_id": "op-viewer-2"});
    assert_eq!(moved(&app, &bob, cards[0][1].id, fresh).await.card.list_id, l1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_move_to_the_end_whose_list_changed_is_acked_and_lands_last() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    let mut socket = app.ws(&ann.token, board.id, None).await;
    // The card it was dropped after leaves the list before the frame arrives.
    app.move_card(&ann, cards[0][1].id, lists[1].id, None).await;

    let frame = json!({"type": "move_card", "client_op_id": "op-ws", "card_id": cards[1][1].id, "list_id": lists[0].id,
                       "after_id": cards[0][1].id, "before_id": null});
    socket.send_json(&frame).await;
    loop {
        match socket.next_msg().await {
            ServerMsg::Ack { client_op_id, .. } if client_op_id == "op-ws" => break,
            ServerMsg::Event(_) => continue,
            other => panic!("expected the ack, got {other:?}"),
        }
    }
    let now = columns(&app.snapshot(&ann, board.id).await);
    assert_eq!(column(&now, "L0"), ["L0C0", "L1C1"]);
}

/// The fallback place goes through the rebalance like any other: a hundred drops right above one card, whose upper
/// neighbour is gone each time, land in order and keep the keys short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_drops_above_the_same_card_after_a_vanished_neighbour_keep_their_order() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    let (top, bottom) = (cards[0][0].id, cards[0][1].id);
    let mut pool = Vec::new();
    for i in 0..100 {
        pool.push(app.create_card(&ann, lists[1].id, &format!("M{i}")).await.id);
    }

    for &card in &pool {
        moved(&app, &ann, card, json!({"list_id": lists[0].id, "after_id": Uuid::now_v7(), "before_id": bottom})).await;
    }

    let snapshot = app.snapshot(&ann, board.id).await;
    let shown: Vec<Uuid> = snapshot.cards.iter().filter(|c| c.list_id == lists[0].id).map(|c| c.id).collect();
    let expected: Vec<Uuid> = std::iter::once(top).chain(pool.iter().copied()).chain(std::iter::once(bottom)).collect();
    assert_eq!(shown, expected);
    assert!(snapshot.cards.iter().all(|c| c.position.len() <= 32), "keys were rebalanced");
}
