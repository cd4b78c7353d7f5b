//! Checklists on cards and their items: create, rename, tick, move, delete; the card's progress in every event and
//! in the snapshot; who may change them; the limits; exactly-once; and order keys that rebalance like cards'.

use corkboard_protocol::{
    Card, Checklist, ChecklistCounts, ChecklistItem, ErrorBody, ErrorCode, EventKind, Role, Snapshot,
};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

async fn add_checklist(app: &TestApp, user: &TestUser, card_id: Uuid, title: &str) -> Checklist {
    let path = format!("/api/cards/{card_id}/checklists");
    app.expect(StatusCode::CREATED, Method::POST, &path, user, json!({"title": title})).await
}

async fn add_item(app: &TestApp, user: &TestUser, checklist_id: Uuid, body: Value) -> ChecklistItem {
    let path = format!("/api/checklists/{checklist_id}/items");
    app.expect(StatusCode::CREATED, Method::POST, &path, user, body).await
}

async fn items_in_order(app: &TestApp, user: &TestUser, card_id: Uuid) -> Vec<(Uuid, String)> {
    let detail: Value =
        app.expect(StatusCode::OK, Method::GET, &format!("/api/cards/{card_id}"), user, json!(null)).await;
    let items: Vec<ChecklistItem> = serde_json::from_value(detail["items"].clone()).expect("items");
    items.into_iter().map(|item| (item.checklist_id, item.text)).collect()
}

fn snapshot_card(snapshot: &Snapshot, card_id: Uuid) -> &Card {
    snapshot.cards.iter().find(|card| card.id == card_id).expect("the card is on the board")
}

fn counts(done: i64, total: i64) -> ChecklistCounts {
    ChecklistCounts { done, total }
}

/// The change events of a board after `seq`: kind and data.
async fn events_after(app: &TestApp, board_id: Uuid, seq: i64) -> Vec<EventKind> {
    app.events(board_id).await.into_iter().filter(|event| event.seq > seq).map(|event| event.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklists_and_items_carry_the_cards_progress_in_every_event_and_in_the_snapshot() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let start = app.board_seq(board.id).await;

    let checklist = add_checklist(&app, &ann, card.id, "  Launch  ").await;
    assert_eq!((checklist.card_id, checklist.title.as_str()), (card.id, "Launch"));
    let tests = add_item(&app, &ann, checklist.id, json!({"text": " Write tests "})).await;
    let ship = add_item(&app, &ann, checklist.id, json!({"text": "Ship"})).await;
    let plan = add_item(&app, &ann, checklist.id, json!({"text": "Plan", "after_id": null})).await;
    let review = add_item(&app, &ann, checklist.id, json!({"text": "Review", "after_id": tests.id})).await;
    assert_eq!(
        (tests.text.as_str(), tests.done, tests.card_id, tests.checklist_id),
        ("Write tests", false, card.id, checklist.id)
    );

    let ticked: ChecklistItem = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/api/checklist-items/{}", tests.id),
            &ann,
            json!({"done": true}),
        )
        .await;
    assert!(ticked.done);
    assert_eq!((ticked.text.as_str(), ticked.position.as_str()), ("Write tests", tests.position.as_str()));
    let renamed_item: ChecklistItem = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/api/checklist-items/{}", ship.id),
            &ann,
            json!({"text": "Ship it"}),
        )
        .await;
    assert_eq!((renamed_item.text.as_str(), renamed_item.done), ("Ship it", false));
    let renamed: Checklist = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/api/checklists/{}", checklist.id),
            &ann,
            json!({"title": "Go live"}),
        )
        .await;
    assert_eq!((renamed.title.as_str(), renamed.position.as_str()), ("Go live", checklist.position.as_str()));

    let texts: Vec<String> = items_in_order(&app, &ann, card.id).await.into_iter().map(|(_, text)| text).collect();
    assert_eq!(texts, ["Plan", "Write tests", "Review", "Ship it"]);
    let snapshot = app.snapshot(&ann, board.id).await;
    let face = snapshot_card(&snapshot, card.id);
    assert_eq!(face.checklist, counts(1, 4));
    assert_eq!(face.version, card.version, "checklists do not raise the card's version");

    let (status, body) = app.call(Method::DELETE, &format!("/api/checklist-items/{}", plan.id), Some(&ann), None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(snapshot_card(&app.snapshot(&ann, board.id).await, card.id).checklist, counts(1, 3));

    let events = events_after(&app, board.id, start).await;
    let progress: Vec<(&str, ChecklistCounts)> = events
        .iter()
        .map(|kind| match kind {
            EventKind::ChecklistCreated { card_id, counts, .. }
            | EventKind::ChecklistUpdated { card_id, counts, .. }
            | EventKind::ChecklistItemCreated { card_id, counts, .. }
            | EventKind::ChecklistItemUpdated { card_id, counts, .. }
            | EventKind::ChecklistItemDeleted { card_id, counts, .. } => {
                assert_eq!(*card_id, card.id);
                (kind.name(), *counts)
            }
            other => panic!("unexpected event {other:?}"),
        })
        .collect();
    assert_eq!(
        progress,
        [
            ("checklist_created", counts(0, 0)),
            ("checklist_item_created", counts(0, 1)),
            ("checklist_item_created", counts(0, 2)),
            ("checklist_item_created", counts(0, 3)),
            ("checklist_item_created", counts(0, 4)),
            ("checklist_item_updated", counts(1, 4)),
            ("checklist_item_updated", counts(1, 4)),
            ("checklist_updated", counts(1, 4)),
            ("checklist_item_deleted", counts(1, 3)),
        ]
    );
    match events.last() {
        Some(EventKind::ChecklistItemDeleted { item_id, checklist_id, .. }) => {
            assert_eq!((*item_id, *checklist_id), (plan.id, checklist.id))
        }
        other => panic!("expected checklist_item_deleted, got {other:?}"),
    }
    let _ = review;

    // A second checklist goes last; deleting the first takes its items with it.
    let second = add_checklist(&app, &ann, card.id, "Afterwards").await;
    assert!(second.position > checklist.position);
    add_item(&app, &ann, second.id, json!({"text": "Celebrate"})).await;
    let seq = app.board_seq(board.id).await;
    let (status, _) = app.call(Method::DELETE, &format!("/api/checklists/{}", checklist.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        events_after(&app, board.id, seq).await,
        [EventKind::ChecklistDeleted { checklist_id: checklist.id, card_id: card.id, counts: counts(0, 1) }]
    );
    assert_eq!(items_in_order(&app, &ann, card.id).await, [(second.id, "Celebrate".to_owned())]);
    assert_eq!(snapshot_card(&app.snapshot(&ann, board.id).await, card.id).checklist, counts(0, 1));
    let gone = app
        .call(Method::PATCH, &format!("/api/checklist-items/{}", tests.id), Some(&ann), Some(json!({"done": false})))
        .await;
    assert_error(&gone, StatusCode::NOT_FOUND, ErrorCode::ChecklistItemNotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_move_within_and_between_the_checklists_of_one_card() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 2).await;
    let card = &cards[0][0];
    let todo = add_checklist(&app, &ann, card.id, "Todo").await;
    let later = add_checklist(&app, &ann, card.id, "Later").await;
    let elsewhere = add_checklist(&app, &ann, cards[0][1].id, "Other card").await;
    let a = add_item(&app, &ann, todo.id, json!({"text": "A"})).await;
    let b = add_item(&app, &ann, todo.id, json!({"text": "B"})).await;
    let c = add_item(&app, &ann, todo.id, json!({"text": "C"})).await;
    let x = add_item(&app, &ann, later.id, json!({"text": "X"})).await;
    let move_path = |id: Uuid| format!("/api/checklist-items/{id}/move");

    let first: ChecklistItem =
        app.expect(StatusCode::OK, Method::POST, &move_path(c.id), &ann, json!({"after_id": null})).await;
    assert!(first.position < a.position);
    app.expect::<ChecklistItem>(StatusCode::OK, Method::POST, &move_path(a.id), &ann, json!({"after_id": b.id})).await;
    let texts =
        |items: Vec<(Uuid, String)>| items.into_iter().map(|(list, text)| (list == todo.id, text)).collect::<Vec<_>>();
    assert_eq!(
        texts(items_in_order(&app, &ann, card.id).await),
        [(true, "C".into()), (true, "B".into()), (true, "A".into()), (false, "X".into())]
    );

    // To the other checklist of the card, after X; then with a neighbour that is not there: last.
    let moved: ChecklistItem = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &move_path(b.id),
            &ann,
            json!({"after_id": x.id, "checklist_id": later.id}),
        )
        .await;
    assert_eq!((moved.checklist_id, moved.card_id), (later.id, card.id));
    let seq = app.board_seq(board.id).await;
    let last: ChecklistItem = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &move_path(c.id),
            &ann,
            json!({"after_id": Uuid::now_v7(), "checklist_id": later.id}),
        )
        .await;
    assert_eq!(
        texts(items_in_order(&app, &ann, card.id).await),
        [(true, "A".into()), (false, "X".into()), (false, "B".into()), (false, "C".into())]
    );
    assert_eq!(
        events_after(&app, board.id, seq).await,
        [EventKind::ChecklistItemMoved { item: last, card_id: card.id, counts: counts(0, 4) }]
    );

    // Another card's checklist is not a place for it; nor is the item itself a neighbour; after_id is required.
    let foreign = app
        .call(Method::POST, &move_path(a.id), Some(&ann), Some(json!({"after_id": null, "checklist_id": elsewhere.id})))
        .await;
    assert_error(&foreign, StatusCode::NOT_FOUND, ErrorCode::ChecklistNotFound);
    let itself = app.call(Method::POST, &move_path(a.id), Some(&ann), Some(json!({"after_id": a.id}))).await;
    assert_error(&itself, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert_eq!(itself.1["error"]["fields"]["after_id"].as_str().map(|s| !s.is_empty()), Some(true));
    let missing = app.call(Method::POST, &move_path(a.id), Some(&ann), Some(json!({"checklist_id": later.id}))).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, ErrorCode::InvalidBody);
    assert_eq!(texts(items_in_order(&app, &ann, card.id).await)[0], (true, "A".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_cannot_change_checklists_editors_can_and_strangers_do_not_learn_they_exist() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let eve = app.register("eve").await;
    let vic = app.register("vic").await;
    let sam = app.register("sam").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    app.add_member(&ann, board.id, &eve, Role::Editor).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let card = &cards[0][0];
    let checklist = add_checklist(&app, &ann, card.id, "Todo").await;
    let item = add_item(&app, &ann, checklist.id, json!({"text": "One"})).await;

    let changes = [
        (
            Method::POST,
            format!("/api/cards/{}/checklists", card.id),
            Some(json!({"title": "T"})),
            ErrorCode::CardNotFound,
        ),
        (
            Method::PATCH,
            format!("/api/checklists/{}", checklist.id),
            Some(json!({"title": "T"})),
            ErrorCode::ChecklistNotFound,
        ),
        (
            Method::POST,
            format!("/api/checklists/{}/items", checklist.id),
            Some(json!({"text": "T"})),
            ErrorCode::ChecklistNotFound,
        ),
        (
            Method::PATCH,
            format!("/api/checklist-items/{}", item.id),
            Some(json!({"done": true})),
            ErrorCode::ChecklistItemNotFound,
        ),
        (
            Method::POST,
            format!("/api/checklist-items/{}/move", item.id),
            Some(json!({"after_id": null})),
            ErrorCode::ChecklistItemNotFound,
        ),
        (Method::DELETE, format!("/api/checklist-items/{}", item.id), None, ErrorCode::ChecklistItemNotFound),
        (Method::DELETE, format!("/api/checklists/{}", checklist.id), None, ErrorCode::ChecklistNotFound),
    ];
    let before = app.board_state(&ann, board.id).await;
    for (method, path, body, stranger_code) in &changes {
        let viewer = app.call(method.clone(), path, Some(&vic), body.clone()).await;
        assert_error(&viewer, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
        let stranger = app.call(method.clone(), path, Some(&sam), body.clone()).await;
        assert_error(&stranger, StatusCode::NOT_FOUND, *stranger_code);
    }
    assert_eq!(app.board_state(&ann, board.id).await, before, "nothing changed");
    let unknown = app
        .call(Method::PATCH, &format!("/api/checklists/{}", Uuid::now_v7()), Some(&ann), Some(json!({"title": "T"})))
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, ErrorCode::ChecklistNotFound);

    // An editor does every one of them.
    let mut statuses = Vec::new();
    for (method, path, body, _) in &changes {
        statuses.push(app.call(method.clone(), path, Some(&eve), body.clone()).await.0);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::OK,
            StatusCode::CREATED,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::NO_CONTENT,
            StatusCode::NO_CONTENT
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_holds_20_checklists_a_checklist_200_items_and_texts_are_checked() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let path = format!("/api/cards/{}/checklists", card.id);
    for i in 0..20 {
        add_checklist(&app, &ann, card.id, &format!("C{i}")).await;
    }
    let over = app.call(Method::POST, &path, Some(&ann), Some(json!({"title": "C20"}))).await;
    assert_error(&over, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    let body: ErrorBody = serde_json::from_value(over.1).expect("error body");
    assert!(body.error.fields.expect("fields").contains_key("checklists"));

    // 199 items written directly (the limit, not the way there, is what is tested), the 200th through the API.
    let (_, _, more) = app.board_with(&ann, 1, 1).await;
    let roomy = add_checklist(&app, &ann, more[0][0].id, "Big").await;
    let keys: Vec<String> = corkboard_server::positions::spread().take(199).collect();
    sqlx::query(
        "insert into checklist_items (id, checklist_id, card_id, board_id, text, position)
         select gen_random_uuid(), $1, c.card_id, c.board_id, 'item', k
         from checklists c, unnest($2::text[]) as k where c.id = $1",
    )
    .bind(roomy.id)
    .bind(&keys)
    .execute(&app.db)
    .await
    .expect("seed items");
    add_item(&app, &ann, roomy.id, json!({"text": "200th"})).await;
    let items_path = format!("/api/checklists/{}/items", roomy.id);
    let over = app.call(Method::POST, &items_path, Some(&ann), Some(json!({"text": "201st"}))).await;
    assert_error(&over, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert!(over.1["error"]["fields"]["items"].is_string(), "{}", over.1);

    // Moving an item into a full checklist is the same refusal.
    let small = add_checklist(&app, &ann, more[0][0].id, "Small").await;
    let lone = add_item(&app, &ann, small.id, json!({"text": "lone"})).await;
    let into_full = app
        .call(
            Method::POST,
            &format!("/api/checklist-items/{}/move", lone.id),
            Some(&ann),
            Some(json!({"after_id": null, "checklist_id": roomy.id})),
        )
        .await;
    assert_error(&into_full, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert!(into_full.1["error"]["fields"]["items"].is_string(), "{}", into_full.1);

    // Texts: 1..=512 characters after trimming.
    let item_path = format!("/api/checklists/{}/items", small.id);
    let long = app.call(Method::POST, &item_path, Some(&ann), Some(json!({"text": "x".repeat(513)}))).await;
    assert_error(&long, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert!(long.1["error"]["fields"]["text"].is_string(), "{}", long.1);
    let blank = app.call(Method::POST, &item_path, Some(&ann), Some(json!({"text": "  "}))).await;
    assert!(blank.1["error"]["fields"]["text"].is_string(), "{}", blank.1);
    let longest = add_item(&app, &ann, small.id, json!({"text": format!(" {} ", "é".repeat(512))})).await;
    assert_eq!(longest.text.chars().count(), 512);
    let patch_long = app
        .call(
            Method::PATCH,
            &format!("/api/checklist-items/{}", lone.id),
            Some(&ann),
            Some(json!({"text": "y".repeat(513)})),
        )
        .await;
    assert!(patch_long.1["error"]["fields"]["text"].is_string(), "{}", patch_long.1);
    let nothing =
        app.call(Method::PATCH, &format!("/api/checklist-items/{}", lone.id), Some(&ann), Some(json!({}))).await;
    assert_error(&nothing, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    let title = app.call(Method::POST, &path, Some(&ann), Some(json!({"title": "t".repeat(513)}))).await;
    assert!(title.1["error"]["fields"]["title"].is_string(), "{}", title.1);
    let untitled = app
        .call(Method::PATCH, &format!("/api/checklists/{}", small.id), Some(&ann), Some(json!({"title": " "})))
        .await;
    assert!(untitled.1["error"]["fields"]["title"].is_string(), "{}", untitled.1);
    let _ = board;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_checklist_change_sent_twice_is_applied_once_and_answered_the_same() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let checklist = add_checklist(&app, &ann, card.id, "Todo").await;
    let other = add_item(&app, &ann, checklist.id, json!({"text": "Other"})).await;

    async fn twice(
        app: &TestApp,
        user: &TestUser,
        board_id: Uuid,
        method: Method,
        path: String,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let seq = app.board_seq(board_id).await;
        let first = app.call(method.clone(), &path, Some(user), body.clone()).await;
        let again = app.call(method.clone(), &path, Some(user), body).await;
        assert_eq!(first, again, "{method} {path}: the same answer again");
        assert_eq!(app.board_seq(board_id).await, seq + 1, "{method} {path}: exactly one event");
        first
    }

    let (status, created) = twice(
        &app,
        &ann,
        board.id,
        Method::POST,
        format!("/api/cards/{}/checklists", card.id),
        Some(json!({"title": "Again", "client_op_id": "op-checklist"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let again: Checklist = serde_json::from_value(created).expect("checklist");
    let renamed = twice(
        &app,
        &ann,
        board.id,
        Method::PATCH,
        format!("/api/checklists/{}", again.id),
        Some(json!({"title": "Renamed", "client_op_id": "op-rename"})),
    )
    .await;
    assert_eq!((renamed.0, renamed.1["title"].as_str()), (StatusCode::OK, Some("Renamed")));
    let (status, item) = twice(
        &app,
        &ann,
        board.id,
        Method::POST,
        format!("/api/checklists/{}/items", again.id),
        Some(json!({"text": "Item", "client_op_id": "op-item"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let item: ChecklistItem = serde_json::from_value(item).expect("item");
    let ticked = twice(
        &app,
        &ann,
        board.id,
        Method::PATCH,
        format!("/api/checklist-items/{}", item.id),
        Some(json!({"done": true, "client_op_id": "op-tick"})),
    )
    .await;
    assert_eq!((ticked.0, ticked.1["done"].as_bool()), (StatusCode::OK, Some(true)));
    let moved = twice(
        &app,
        &ann,
        board.id,
        Method::POST,
        format!("/api/checklist-items/{}/move", item.id),
        Some(json!({"after_id": other.id, "checklist_id": checklist.id, "client_op_id": "op-move"})),
    )
    .await;
    assert_eq!((moved.0, moved.1["checklist_id"].as_str()), (StatusCode::OK, Some(checklist.id.to_string().as_str())));
    let deleted_item = twice(
        &app,
        &ann,
        board.id,
        Method::DELETE,
        format!("/api/checklist-items/{}?client_op_id=op-del-item", item.id),
        None,
    )
    .await;
    assert_eq!(deleted_item, (StatusCode::NO_CONTENT, Value::Null));
    let deleted = twice(
        &app,
        &ann,
        board.id,
        Method::DELETE,
        format!("/api/checklists/{}?client_op_id=op-del-list", again.id),
        None,
    )
    .await;
    assert_eq!(deleted, (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(snapshot_card(&app.snapshot(&ann, board.id).await, card.id).checklist, counts(0, 1));

    // A refusal after the board was locked is final: the 21st checklist stays refused once there is room.
    for i in 0..19 {
        add_checklist(&app, &ann, card.id, &format!("C{i}")).await;
    }
    let path = format!("/api/cards/{}/checklists", card.id);
    let body = json!({"title": "One too many", "client_op_id": "op-full"});
    let refused = app.call(Method::POST, &path, Some(&ann), Some(body.clone())).await;
    assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    let (_, delete_body) =
        app.call(Method::DELETE, &format!("/api/checklists/{}", checklist.id), Some(&ann), None).await;
    assert_eq!(delete_body, Value::Null);
    assert_eq!(app.call(Method::POST, &path, Some(&ann), Some(body)).await, refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checklists_of_an_archived_card_cannot_change() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let checklist = add_checklist(&app, &ann, card.id, "Todo").await;
    let item = add_item(&app, &ann, checklist.id, json!({"text": "One"})).await;
    sqlx::query("update cards set archived_at = now() where id = $1")
        .bind(card.id)
        .execute(&app.db)
        .await
        .expect("archive");

    let before = app.event_log(board.id).await;
    let changes = [
        (Method::POST, format!("/api/cards/{}/checklists", card.id), Some(json!({"title": "T"}))),
        (Method::PATCH, format!("/api/checklists/{}", checklist.id), Some(json!({"title": "T"}))),
        (Method::POST, format!("/api/checklists/{}/items", checklist.id), Some(json!({"text": "T"}))),
        (Method::PATCH, format!("/api/checklist-items/{}", item.id), Some(json!({"done": true}))),
        (Method::POST, format!("/api/checklist-items/{}/move", item.id), Some(json!({"after_id": null}))),
        (Method::DELETE, format!("/api/checklist-items/{}", item.id), None),
        (Method::DELETE, format!("/api/checklists/{}", checklist.id), None),
    ];
    for (method, path, body) in changes {
        let refused = app.call(method, &path, Some(&ann), body).await;
        assert_error(&refused, StatusCode::NOT_FOUND, ErrorCode::CardNotFound);
    }
    assert_eq!(app.event_log(board.id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_item_keys_are_rebalanced_in_the_same_transaction_with_an_event_each() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let checklist = add_checklist(&app, &ann, card.id, "Todo").await;
    let left = add_item(&app, &ann, checklist.id, json!({"text": "left"})).await;
    let right = add_item(&app, &ann, checklist.id, json!({"text": "right"})).await;
    // Two neighbours whose keys are as long as keys get: anything between them would be longer.
    let (left_key, right_key) = (format!("a0{}", "V".repeat(30)), format!("a0{}W", "V".repeat(29)));
    for (id, key) in [(left.id, &left_key), (right.id, &right_key)] {
        sqlx::query("update checklist_items set position = $2 where id = $1")
            .bind(id)
            .bind(key)
            .execute(&app.db)
            .await
            .expect("long key");
    }
    let seq = app.board_seq(board.id).await;

    let middle = add_item(&app, &ann, checklist.id, json!({"text": "middle", "after_id": left.id})).await;

    let texts: Vec<String> = items_in_order(&app, &ann, card.id).await.into_iter().map(|(_, text)| text).collect();
    assert_eq!(texts, ["left", "middle", "right"]);
    assert!(middle.position.len() <= 32, "{}", middle.position);
    let events = events_after(&app, board.id, seq).await;
    let names: Vec<&str> = events.iter().map(EventKind::name).collect();
    assert_eq!(names, ["checklist_item_moved", "checklist_item_moved", "checklist_item_created"]);
    for event in &events[..2] {
        let EventKind::ChecklistItemMoved { item, counts: c, .. } = event else { unreachable!() };
        assert!(item.position.len() < 32, "rebalanced to a short key: {}", item.position);
        assert_eq!(*c, counts(0, 2), "before the new item");
    }
}
