//! Card members: the board's people on its cards, put on and taken off by editors, exactly once per
//! `client_op_id`, live, and gone from every card when they leave the board.

use corkboard_protocol::{Card, ErrorCode, EventKind, Role};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

fn card_members_path(card_id: Uuid) -> String {
    format!("/api/cards/{card_id}/members")
}

fn card_member_path(card_id: Uuid, user_id: Uuid) -> String {
    format!("/api/cards/{card_id}/members/{user_id}")
}

async fn put_on(app: &TestApp, editor: &TestUser, card_id: Uuid, user_id: Uuid) -> Card {
    app.expect(StatusCode::OK, Method::POST, &card_members_path(card_id), editor, json!({"user_id": user_id})).await
}

async fn take_off(app: &TestApp, editor: &TestUser, card_id: Uuid, user_id: Uuid) -> Card {
    app.expect(StatusCode::OK, Method::DELETE, &card_member_path(card_id, user_id), editor, Value::Null).await
}

/// The members of a card as the snapshot shows them.
async fn card_members(app: &TestApp, user: &TestUser, board_id: Uuid, card_id: Uuid) -> Vec<Uuid> {
    let snapshot = app.snapshot(user, board_id).await;
    snapshot.cards.into_iter().find(|c| c.id == card_id).expect("the card is on the board").member_ids
}

fn event_kinds(log: &[(i64, String)]) -> Vec<&str> {
    log.iter().map(|(_, kind)| kind.as_str()).collect()
}

/// `app.call` with a path of its own, so a closure can make the request again and again.
async fn send(
    app: &TestApp,
    method: Method,
    path: String,
    user: &TestUser,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.call(method, &path, Some(user), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_put_board_members_on_a_card_in_the_order_they_were_added() {
    let app = spawn_app().await;
    let (ann, bob, vic) = (app.register("ann").await, app.register("bob").await, app.register("vic").await);
    let (board, _, cards) = app.board_with(&ann, 1, 2).await;
    let (card, other) = (&cards[0][0], &cards[0][1]);
    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let seq = app.board_seq(board.id).await;

    assert_eq!(put_on(&app, &bob, card.id, vic.id).await.member_ids, [vic.id], "a viewer is a member of the board");
    assert_eq!(put_on(&app, &bob, card.id, ann.id).await.member_ids, [vic.id, ann.id]);
    let again = put_on(&app, &ann, card.id, vic.id).await;
    assert_eq!(again.member_ids, [vic.id, ann.id], "someone already on the card stays where they were");
    assert_eq!(again.version, card.version, "members do not raise the card's version");
    assert_eq!(card_members(&app, &vic, board.id, card.id).await, [vic.id, ann.id]);
    assert!(card_members(&app, &vic, board.id, other.id).await.is_empty());

    assert_eq!(take_off(&app, &bob, card.id, vic.id).await.member_ids, [ann.id]);
    assert_eq!(take_off(&app, &bob, card.id, vic.id).await.member_ids, [ann.id], "someone not on the card is fine");
    assert_eq!(put_on(&app, &bob, card.id, vic.id).await.member_ids, [ann.id, vic.id], "added again: last");
    assert_eq!(card_members(&app, &ann, board.id, card.id).await, [ann.id, vic.id]);

    let changes: Vec<EventKind> =
        app.ws(&ann.token, board.id, Some(seq)).await.events(6).await.into_iter().map(|e| e.kind).collect();
    let changed = |member_ids: Vec<Uuid>| EventKind::CardMembersChanged { card_id: card.id, member_ids };
    assert_eq!(
        changes,
        [
            changed(vec![vic.id]),
            changed(vec![vic.id, ann.id]),
            changed(vec![vic.id, ann.id]),
            changed(vec![ann.id]),
            changed(vec![ann.id]),
            changed(vec![ann.id, vic.id]),
        ],
        "every change is its event, also one that changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_read_card_members_strangers_see_no_card_and_only_board_members_go_on_cards() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (adam, ed, vic, sam) =
        (app.register("adam").await, app.register("eddie").await, app.register("vic").await, app.register("sam").await);
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    app.add_member(&ann, board.id, &adam, Role::Admin).await;
    app.add_member(&ann, board.id, &ed, Role::Editor).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let body = |user: &TestUser| Some(json!({"user_id": user.id}));

    assert_error(
        &app.call(Method::POST, &card_members_path(card.id), Some(&vic), body(&vic)).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    );
    assert_error(
        &app.call(Method::POST, &card_members_path(card.id), Some(&sam), body(&sam)).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
    assert_eq!(put_on(&app, &ed, card.id, ed.id).await.member_ids, [ed.id]);
    assert_eq!(put_on(&app, &adam, card.id, vic.id).await.member_ids, [ed.id, vic.id]);
    assert_error(
        &app.call(Method::DELETE, &card_member_path(card.id, ed.id), Some(&vic), None).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    );
    assert_error(
        &app.call(Method::DELETE, &card_member_path(card.id, ed.id), Some(&sam), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
    assert_eq!(take_off(&app, &ed, card.id, vic.id).await.member_ids, [ed.id]);
    assert_eq!(card_members(&app, &vic, board.id, card.id).await, [ed.id], "viewers read them");

    // Someone who is not on the board names no one here: no account, or an account that is not a member.
    for stranger in [sam.id, Uuid::now_v7()] {
        assert_error(
            &app.call(Method::POST, &card_members_path(card.id), Some(&ed), Some(json!({"user_id": stranger}))).await,
            StatusCode::NOT_FOUND,
            ErrorCode::MemberNotFound,
        );
        assert_error(
            &app.call(Method::DELETE, &card_member_path(card.id, stranger), Some(&ed), None).await,
            StatusCode::NOT_FOUND,
            ErrorCode::MemberNotFound,
        );
    }
    assert_error(
        &app.call(Method::POST, &card_members_path(Uuid::now_v7()), Some(&ed), body(&ed)).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
    assert_error(
        &app.call(Method::POST, &card_members_path(card.id), Some(&ed), Some(json!({"user_id": "ed"}))).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidBody,
    );
    assert_error(
        &app.call(Method::POST, &card_members_path(card.id), Some(&ed), Some(json!({}))).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidBody,
    );
    assert_eq!(card_members(&app, &ann, board.id, card.id).await, [ed.id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_member_change_sent_twice_is_applied_once_and_a_refusal_stays_a_refusal() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;
    let before = app.event_log(board.id).await.len();

    let add = || {
        send(
            &app,
            Method::POST,
            card_members_path(card.id),
            &ann,
            Some(json!({"user_id": bob.id, "client_op_id": "add-bob"})),
        )
    };
    let first = add().await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    assert_eq!(add().await, first);
    let remove_path = format!("{}?client_op_id=remove-bob", card_member_path(card.id, bob.id));
    let remove = || app.call(Method::DELETE, &remove_path, Some(&ann), None);
    let first = remove().await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    assert_eq!(first.1["member_ids"], json!([]));
    assert_eq!(remove().await, first);
    assert_eq!(event_kinds(&app.event_log(board.id).await[before..]), ["card_members_changed", "card_members_changed"]);

    // Bob, a viewer, is refused; promoted to editor, the same operation is refused again: it was decided.
    let by_bob = || {
        send(
            &app,
            Method::POST,
            card_members_path(card.id),
            &bob,
            Some(json!({"user_id": bob.id, "client_op_id": "bob-joins"})),
        )
    };
    let refused = by_bob().await;
    assert_error(&refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    let _: Value = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/api/boards/{}/members/{}", board.id, bob.id),
            &ann,
            json!({"role": "editor"}),
        )
        .await;
    assert_eq!(by_bob().await, refused);
    let new_op_path = format!("{}?client_op_id=bob-takes-ann-off", card_member_path(card.id, ann.id));
    assert_eq!(app.call(Method::DELETE, &new_op_path, Some(&bob), None).await.0, StatusCode::OK);
    assert!(card_members(&app, &ann, board.id, card.id).await.is_empty(), "the refused operation was not applied");
    assert_eq!(
        event_kinds(&app.event_log(board.id).await[before..]),
        ["card_members_changed", "card_members_changed", "member_updated", "card_members_changed"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_removed_from_the_board_leaves_every_card_with_the_one_member_removed_event() {
    let app = spawn_app().await;
    let (ann, bob, cat) = (app.register("ann").await, app.register("bob").await, app.register("cat").await);
    let (board, _, cards) = app.board_with(&ann, 2, 2).await;
    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    app.add_member(&ann, board.id, &cat, Role::Editor).await;
    let with_bob = [&cards[0][0], &cards[0][1], &cards[1][0]];
    for card in with_bob {
        put_on(&app, &ann, card.id, bob.id).await;
        put_on(&app, &ann, card.id, cat.id).await;
    }
    let mut watcher = app.ws(&ann.token, board.id, None).await;
    let before = app.event_log(board.id).await;

    let (status, body) =
        app.call(Method::DELETE, &format!("/api/boards/{}/members/{}", board.id, bob.id), Some(&ann), None).await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(watcher.next_event().await.kind, EventKind::MemberRemoved { user_id: bob.id });
    let snapshot = app.snapshot(&ann, board.id).await;
    assert!(snapshot.cards.iter().all(|c| !c.member_ids.contains(&bob.id)), "{:?}", snapshot.cards);
    for card in with_bob {
        assert_eq!(card_members(&app, &ann, board.id, card.id).await, [cat.id]);
    }
    let after = app.event_log(board.id).await;
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(event_kinds(&after[before.len()..]), ["member_removed"]);
    // No longer a member, Bob cannot be put back on a card.
    assert_error(
        &app.call(Method::POST, &card_members_path(cards[0][0].id), Some(&ann), Some(json!({"user_id": bob.id}))).await,
        StatusCode::NOT_FOUND,
        ErrorCode::MemberNotFound,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_card_has_its_members_changed_by_no_one() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (_, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    sqlx::query("update cards set archived_at = now() where id = $1")
        .bind(card.id)
        .execute(&app.db)
        .await
        .expect("archive");

    assert_error(
        &app.call(Method::POST, &card_members_path(card.id), Some(&ann), Some(json!({"user_id": ann.id}))).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
    assert_error(
        &app.call(Method::DELETE, &card_member_path(card.id, ann.id), Some(&ann), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_sees_card_member_changes_live() {
    let app = spawn_app().await;
    let (ann, vic) = (app.register("ann").await, app.register("vic").await);
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let mut watcher = app.ws(&vic.token, board.id, None).await;

    let (status, body) = app
        .call(
            Method::POST,
            &card_members_path(card.id),
            Some(&ann),
            Some(json!({"user_id": vic.id, "client_op_id": "vic-on"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let event = watcher.next_event().await;
    assert_eq!(event.kind, EventKind::CardMembersChanged { card_id: card.id, member_ids: vec![vic.id] });
    assert_eq!((event.actor_id, event.client_op_id.as_deref()), (Some(ann.id), Some("vic-on")));

    take_off(&app, &ann, card.id, vic.id).await;
    assert_eq!(watcher.next_event().await.kind, EventKind::CardMembersChanged { card_id: card.id, member_ids: vec![] });
}
