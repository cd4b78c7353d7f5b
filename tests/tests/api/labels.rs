//! Labels: the board's label set (admins), labels on cards (editors), as a set that two people change at once,
//! exactly once per `client_op_id`, and live.

use corkboard_protocol::{Card, ErrorCode, EventKind, Label, LabelColor, Role};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

fn labels_path(board_id: Uuid) -> String {
    format!("/api/boards/{board_id}/labels")
}

fn label_path(label_id: Uuid) -> String {
    format!("/api/labels/{label_id}")
}

fn card_labels_path(card_id: Uuid) -> String {
    format!("/api/cards/{card_id}/labels")
}

fn card_label_path(card_id: Uuid, label_id: Uuid) -> String {
    format!("/api/cards/{card_id}/labels/{label_id}")
}

async fn create_label(app: &TestApp, admin: &TestUser, board_id: Uuid, color: &str, name: &str) -> Label {
    app.expect(StatusCode::CREATED, Method::POST, &labels_path(board_id), admin, json!({"color": color, "name": name}))
        .await
}

async fn label_card(app: &TestApp, editor: &TestUser, card_id: Uuid, label_id: Uuid) -> Card {
    app.expect(StatusCode::OK, Method::POST, &card_labels_path(card_id), editor, json!({"label_id": label_id})).await
}

/// The board's labels as the snapshot shows them.
async fn board_labels(app: &TestApp, user: &TestUser, board_id: Uuid) -> Vec<Label> {
    app.snapshot(user, board_id).await.labels
}

/// The labels on each card of the snapshot, by card id.
async fn card_labels(app: &TestApp, user: &TestUser, board_id: Uuid, card_id: Uuid) -> Vec<Uuid> {
    let snapshot = app.snapshot(user, board_id).await;
    snapshot.cards.into_iter().find(|c| c.id == card_id).expect("the card is on the board").label_ids
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
async fn a_new_board_starts_with_six_unnamed_labels_in_order_before_any_event() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;

    let snapshot = app.snapshot(&ann, board.id).await;

    let colors: Vec<LabelColor> = snapshot.labels.iter().map(|l| l.color).collect();
    assert_eq!(
        colors,
        [
            LabelColor::Green,
            LabelColor::Yellow,
            LabelColor::Orange,
            LabelColor::Red,
            LabelColor::Purple,
            LabelColor::Blue
        ]
    );
    assert!(snapshot.labels.iter().all(|l| l.name.is_empty() && l.board_id == board.id), "{:?}", snapshot.labels);
    assert!(snapshot.labels.windows(2).all(|w| w[0].position < w[1].position), "in position order");
    assert_eq!(snapshot.board.seq, 0, "the default labels are the board's state before its first event");
    assert!(app.event_log(board.id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_renames_recolors_and_deletes_labels() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;

    let label = create_label(&app, &ann, board.id, "pink", "  Needs design  ").await;
    assert_eq!((label.name.as_str(), label.color, label.board_id), ("Needs design", LabelColor::Pink, board.id));
    let labels = board_labels(&app, &ann, board.id).await;
    assert_eq!(labels.len(), 7);
    assert_eq!(labels.last(), Some(&label), "a new label comes last");
    let unnamed: Label =
        app.expect(StatusCode::CREATED, Method::POST, &labels_path(board.id), &ann, json!({"color": "gray"})).await;
    assert_eq!(unnamed.name, "", "a label without a name is an unnamed color");
    assert!(unnamed.position > label.position);

    let renamed: Label =
        app.expect(StatusCode::OK, Method::PATCH, &label_path(label.id), &ann, json!({"name": "Design"})).await;
    assert_eq!((renamed.name.as_str(), renamed.color), ("Design", LabelColor::Pink));
    let recolored: Label =
        app.expect(StatusCode::OK, Method::PATCH, &label_path(label.id), &ann, json!({"color": "sky"})).await;
    assert_eq!(
        (recolored.name.as_str(), recolored.color, &recolored.position),
        ("Design", LabelColor::Sky, &label.position)
    );
    let cleared: Label =
        app.expect(StatusCode::OK, Method::PATCH, &label_path(label.id), &ann, json!({"name": "   "})).await;
    assert_eq!(cleared.name, "", "an empty name makes it an unnamed color again");

    let (status, body) = app.call(Method::DELETE, &label_path(unnamed.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let labels = board_labels(&app, &ann, board.id).await;
    assert_eq!(labels.last(), Some(&cleared));
    assert!(labels.iter().all(|l| l.id != unnamed.id));
    assert_error(
        &app.call(Method::DELETE, &label_path(unnamed.id), Some(&ann), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::LabelNotFound,
    );
    assert_eq!(
        event_kinds(&app.event_log(board.id).await),
        ["label_created", "label_created", "label_updated", "label_updated", "label_updated", "label_deleted"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_go_on_and_off_a_card_as_a_set_in_the_boards_label_order() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 2).await;
    let (card, other) = (&cards[0][0], &cards[0][1]);
    let labels = board_labels(&app, &ann, board.id).await;
    let (green, red) = (labels[0].id, labels[3].id);
    let version = card.version;
    let seq = app.board_seq(board.id).await;

    let after_red = label_card(&app, &ann, card.id, red).await;
    assert_eq!(after_red.label_ids, [red]);
    let after_green = label_card(&app, &ann, card.id, green).await;
    assert_eq!(after_green.label_ids, [green, red], "in the board's label order, not the order they were added");
    let again = label_card(&app, &ann, card.id, green).await;
    assert_eq!(again.label_ids, [green, red], "a label already on the card is fine, and stays once");
    assert_eq!(again.version, version, "labels do not raise the card's version");

    assert_eq!(card_labels(&app, &ann, board.id, card.id).await, [green, red]);
    assert_eq!(card_labels(&app, &ann, board.id, other.id).await, Vec::<Uuid>::new());

    let off: Card = app.expect(StatusCode::OK, Method::DELETE, &card_label_path(card.id, red), &ann, Value::Null).await;
    assert_eq!(off.label_ids, [green]);
    let off_again: Card =
        app.expect(StatusCode::OK, Method::DELETE, &card_label_path(card.id, red), &ann, Value::Null).await;
    assert_eq!(off_again.label_ids, [green], "a label already off is fine");
    assert_eq!(card_labels(&app, &ann, board.id, card.id).await, [green]);

    // Every change is its event, with the card's labels after it.
    let events = app.ws(&ann.token, board.id, Some(seq)).await.events(5).await;
    let changes: Vec<(Uuid, Vec<Uuid>)> = events
        .into_iter()
        .map(|e| match e.kind {
            EventKind::CardLabelsChanged { card_id, label_ids } => (card_id, label_ids),
            other => panic!("only label changes happened, not {other:?}"),
        })
        .collect();
    assert_eq!(
        changes,
        [
            (card.id, vec![red]),
            (card.id, vec![green, red]),
            (card.id, vec![green, red]),
            (card.id, vec![green]),
            (card.id, vec![green]),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_manage_the_label_set_editors_label_cards_viewers_read_and_strangers_see_nothing() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (adam, ed, vic, sam) =
        (app.register("adam").await, app.register("eddie").await, app.register("vic").await, app.register("sam").await);
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    app.add_member(&ann, board.id, &adam, Role::Admin).await;
    app.add_member(&ann, board.id, &ed, Role::Editor).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let label = board_labels(&app, &ann, board.id).await[0].clone();
    let create = || Some(json!({"color": "lime", "name": "Later"}));
    let rename = || Some(json!({"name": "Now"}));
    let put_on = || Some(json!({"label_id": label.id}));

    // The label set: admins and the owner.
    for weak in [&ed, &vic] {
        let forbidden = (StatusCode::FORBIDDEN, ErrorCode::Forbidden);
        let (status, code) = forbidden;
        assert_error(&app.call(Method::POST, &labels_path(board.id), Some(weak), create()).await, status, code);
        assert_error(&app.call(Method::PATCH, &label_path(label.id), Some(weak), rename()).await, status, code);
        assert_error(&app.call(Method::DELETE, &label_path(label.id), Some(weak), None).await, status, code);
    }
    let not_found = StatusCode::NOT_FOUND;
    assert_error(
        &app.call(Method::POST, &labels_path(board.id), Some(&sam), create()).await,
        not_found,
        ErrorCode::BoardNotFound,
    );
    assert_error(
        &app.call(Method::PATCH, &label_path(label.id), Some(&sam), rename()).await,
        not_found,
        ErrorCode::LabelNotFound,
    );
    assert_error(
        &app.call(Method::DELETE, &label_path(label.id), Some(&sam), None).await,
        not_found,
        ErrorCode::LabelNotFound,
    );
    create_label(&app, &adam, board.id, "lime", "By the admin").await;
    create_label(&app, &ann, board.id, "lime", "By the owner").await;
    let _: Label = app.expect(StatusCode::OK, Method::PATCH, &label_path(label.id), &adam, json!({"name": "A"})).await;

    // Labels on cards: editors and up.
    assert_error(
        &app.call(Method::POST, &card_labels_path(card.id), Some(&vic), put_on()).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    );
    assert_error(
        &app.call(Method::DELETE, &card_label_path(card.id, label.id), Some(&vic), None).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    );
    assert_error(
        &app.call(Method::POST, &card_labels_path(card.id), Some(&sam), put_on()).await,
        not_found,
        ErrorCode::CardNotFound,
    );
    assert_error(
        &app.call(Method::DELETE, &card_label_path(card.id, label.id), Some(&sam), None).await,
        not_found,
        ErrorCode::CardNotFound,
    );
    assert_eq!(label_card(&app, &ed, card.id, label.id).await.label_ids, [label.id]);
    let off: Card =
        app.expect(StatusCode::OK, Method::DELETE, &card_label_path(card.id, label.id), &adam, Value::Null).await;
    assert!(off.label_ids.is_empty());
    assert_eq!(label_card(&app, &adam, card.id, label.id).await.label_ids, [label.id]);
    assert_eq!(card_labels(&app, &vic, board.id, card.id).await, [label.id], "viewers read the labels");

    // A label of another board is no label of this one, even to someone who may see both.
    let elsewhere = app.create_board(&ed, "Elsewhere").await;
    let foreign = board_labels(&app, &ed, elsewhere.id).await[0].id;
    assert_error(
        &app.call(Method::POST, &card_labels_path(card.id), Some(&ed), Some(json!({"label_id": foreign}))).await,
        not_found,
        ErrorCode::LabelNotFound,
    );
    assert_error(
        &app.call(Method::DELETE, &card_label_path(card.id, foreign), Some(&ed), None).await,
        not_found,
        ErrorCode::LabelNotFound,
    );
    assert_error(
        &app.call(Method::POST, &card_labels_path(Uuid::now_v7()), Some(&ed), put_on()).await,
        not_found,
        ErrorCode::CardNotFound,
    );
    assert_eq!(card_labels(&app, &ann, board.id, card.id).await, [label.id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_names_colors_and_the_size_of_the_set_are_checked() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let label = board_labels(&app, &ann, board.id).await[0].clone();
    let create = |body: Value| send(&app, Method::POST, labels_path(board.id), &ann, Some(body));
    let fields = |got: &(StatusCode, Value)| -> Vec<String> {
        assert_error(got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
        got.1["error"]["fields"].as_object().expect("fields").keys().cloned().collect()
    };

    let long = "x".repeat(65);
    assert_eq!(fields(&create(json!({"color": "red", "name": long})).await), ["name"]);
    let patched = app.call(Method::PATCH, &label_path(label.id), Some(&ann), Some(json!({"name": long}))).await;
    assert_eq!(fields(&patched), ["name"]);
    let nothing = app.call(Method::PATCH, &label_path(label.id), Some(&ann), Some(json!({}))).await;
    assert_eq!(fields(&nothing), ["name"], "a change names a name or a color");
    let bad_op = create(json!({"color": "red", "client_op_id": "not an id!"})).await;
    assert_eq!(fields(&bad_op), ["client_op_id"]);
    assert_error(&create(json!({"color": "mauve"})).await, StatusCode::BAD_REQUEST, ErrorCode::InvalidBody);
    assert_error(&create(json!({"name": "No color"})).await, StatusCode::BAD_REQUEST, ErrorCode::InvalidBody);
    assert_error(
        &app.call(Method::PATCH, &label_path(label.id), Some(&ann), Some(json!({"color": "RED"}))).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidBody,
    );
    assert_error(
        &app.call(Method::POST, &card_labels_path(cards[0][0].id), Some(&ann), Some(json!({"label_id": "green"})))
            .await,
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidBody,
    );
    assert_error(
        &app.call(Method::PATCH, "/api/labels/not-a-uuid", Some(&ann), Some(json!({"name": "x"}))).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidPath,
    );
    let longest = create_label(&app, &ann, board.id, "red", &format!("  {}  ", "y".repeat(64))).await;
    assert_eq!(longest.name.chars().count(), 64, "64 characters after trimming fit");
    assert_eq!(board_labels(&app, &ann, board.id).await.len(), 7, "nothing refused was written");

    for i in 7..50 {
        create_label(&app, &ann, board.id, "gray", &format!("L{i}")).await;
    }
    let labels = board_labels(&app, &ann, board.id).await;
    assert_eq!(labels.len(), 50);
    assert!(labels.windows(2).all(|w| w[0].position < w[1].position), "each appended after the last");
    assert_eq!(labels.last().map(|l| l.name.as_str()), Some("L49"));
    assert_eq!(fields(&create(json!({"color": "gray", "name": "The 51st"})).await), ["labels"]);
    assert_eq!(board_labels(&app, &ann, board.id).await.len(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_label_operation_sent_twice_is_applied_once_and_answered_the_same() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let before = app.event_log(board.id).await.len();

    let create = || {
        send(
            &app,
            Method::POST,
            labels_path(board.id),
            &ann,
            Some(json!({"color": "sky", "name": "Ops", "client_op_id": "create-1"})),
        )
    };
    let first = create().await;
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
    assert_eq!(create().await, first);
    let label: Label = serde_json::from_value(first.1.clone()).expect("a label");
    assert_eq!(board_labels(&app, &ann, board.id).await.iter().filter(|l| l.name == "Ops").count(), 1);

    let rename = || {
        send(&app, Method::PATCH, label_path(label.id), &ann, Some(json!({"name": "Ops!", "client_op_id": "rename-1"})))
    };
    let first = rename().await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    assert_eq!(rename().await, first);

    let put_on = || {
        send(
            &app,
            Method::POST,
            card_labels_path(card.id),
            &ann,
            Some(json!({"label_id": label.id, "client_op_id": "on-1"})),
        )
    };
    let first = put_on().await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    assert_eq!(put_on().await, first);

    let take_off_path = format!("{}?client_op_id=off-1", card_label_path(card.id, label.id));
    let take_off = || app.call(Method::DELETE, &take_off_path, Some(&ann), None);
    let first = take_off().await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    assert_eq!(take_off().await, first);
    // Put on again under a new id: a repeat of the old removal must not take it off again.
    let on_again = app
        .call(
            Method::POST,
            &card_labels_path(card.id),
            Some(&ann),
            Some(json!({"label_id": label.id, "client_op_id": "on-2"})),
        )
        .await;
    assert_eq!(on_again.0, StatusCode::OK);
    let repeat = take_off().await;
    assert_eq!(repeat.0, StatusCode::OK);
    assert_eq!(repeat.1["label_ids"], json!([label.id]), "the repeat answers the card as it is now: {}", repeat.1);

    let delete_path = format!("{}?client_op_id=delete-1", label_path(label.id));
    let delete = || app.call(Method::DELETE, &delete_path, Some(&ann), None);
    let first = delete().await;
    assert_eq!(first.0, StatusCode::NO_CONTENT, "{}", first.1);
    assert_eq!(delete().await, first, "the label is gone, and the repeat still gets its first answer");
    // And an edit sent before the deletion, repeated after it, gets its first answer too.
    assert_eq!(rename().await.0, StatusCode::OK);

    let log = app.event_log(board.id).await;
    assert_eq!(
        event_kinds(&log[before..]),
        [
            "label_created",
            "label_updated",
            "card_labels_changed",
            "card_labels_changed",
            "card_labels_changed",
            "label_deleted"
        ],
        "one event per operation, however often it was sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_label_operation_stays_refused_even_once_it_would_succeed() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;
    let label = board_labels(&app, &ann, board.id).await[0].clone();

    let put_on = || {
        send(
            &app,
            Method::POST,
            card_labels_path(card.id),
            &bob,
            Some(json!({"label_id": label.id, "client_op_id": "viewer-on"})),
        )
    };
    let create = || {
        send(
            &app,
            Method::POST,
            labels_path(board.id),
            &bob,
            Some(json!({"color": "red", "client_op_id": "editor-create"})),
        )
    };
    let refused = put_on().await;
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
    let refused_create = create().await;
    assert_error(&refused_create, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    let _: Value = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/api/boards/{}/members/{}", board.id, bob.id),
            &ann,
            json!({"role": "admin"}),
        )
        .await;

    assert_eq!(put_on().await, refused, "refused as a viewer, refused again though he is an admin now");
    assert_eq!(create().await, refused_create, "refused as an editor, refused again as an admin");
    assert!(card_labels(&app, &ann, board.id, card.id).await.is_empty());
    assert_eq!(board_labels(&app, &ann, board.id).await.len(), 6);
    // A new operation is a new decision.
    assert_eq!(label_card(&app, &bob, card.id, label.id).await.label_ids, [label.id]);

    // The 51st label, refused under the board's lock, is remembered too.
    for i in 6..50 {
        create_label(&app, &ann, board.id, "gray", &format!("L{i}")).await;
    }
    let the_51st = || {
        send(&app, Method::POST, labels_path(board.id), &ann, Some(json!({"color": "red", "client_op_id": "the-51st"})))
    };
    let refused_51st = the_51st().await;
    assert_error(&refused_51st, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    let (status, _) = app.call(Method::DELETE, &label_path(label.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(the_51st().await, refused_51st);
    assert_eq!(board_labels(&app, &ann, board.id).await.len(), 49);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_labelling_one_card_at_the_same_time_both_keep_their_label() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let (board, lists, _) = app.board_with(&ann, 1, 0).await;
    app.add_member(&ann, board.id, &bob, Role::Editor).await;
    let labels = board_labels(&app, &ann, board.id).await;
    let (a, b) = (labels[1].id, labels[4].id);

    for round in 0..20 {
        let card = app.create_card(&ann, lists[0].id, &format!("Card {round}")).await;
        let path = card_labels_path(card.id);
        let (by_ann, by_bob) = tokio::join!(
            app.call(Method::POST, &path, Some(&ann), Some(json!({"label_id": a}))),
            app.call(Method::POST, &path, Some(&bob), Some(json!({"label_id": b}))),
        );
        assert_eq!((by_ann.0, by_bob.0), (StatusCode::OK, StatusCode::OK), "round {round}: {} {}", by_ann.1, by_bob.1);
        assert_eq!(card_labels(&app, &ann, board.id, card.id).await, [a, b], "round {round}: both stay");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_label_takes_it_off_every_card_with_one_event() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 2, 2).await;
    let labels = board_labels(&app, &ann, board.id).await;
    let (doomed, kept) = (labels[2].id, labels[5].id);
    let labelled = [&cards[0][0], &cards[0][1], &cards[1][1]];
    for card in labelled {
        label_card(&app, &ann, card.id, doomed).await;
        label_card(&app, &ann, card.id, kept).await;
    }
    let before = app.event_log(board.id).await;

    let (status, body) = app.call(Method::DELETE, &label_path(doomed), Some(&ann), None).await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let snapshot = app.snapshot(&ann, board.id).await;
    assert!(snapshot.labels.iter().all(|l| l.id != doomed));
    assert!(snapshot.cards.iter().all(|c| !c.label_ids.contains(&doomed)), "{:?}", snapshot.cards);
    for card in labelled {
        assert_eq!(snapshot.cards.iter().find(|c| c.id == card.id).map(|c| c.label_ids.clone()), Some(vec![kept]));
    }
    let after = app.event_log(board.id).await;
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(event_kinds(&after[before.len()..]), ["label_deleted"]);
    let left: i64 = sqlx::query_scalar("select count(*) from card_labels where label_id = $1")
        .bind(doomed)
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_card_has_its_labels_changed_by_no_one() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let label = board_labels(&app, &ann, board.id).await[0].id;
    sqlx::query("update cards set archived_at = now() where id = $1")
        .bind(card.id)
        .execute(&app.db)
        .await
        .expect("archive");

    assert_error(
        &app.call(Method::POST, &card_labels_path(card.id), Some(&ann), Some(json!({"label_id": label}))).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
    assert_error(
        &app.call(Method::DELETE, &card_label_path(card.id, label), Some(&ann), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::CardNotFound,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_sees_every_label_change_live() {
    let app = spawn_app().await;
    let (ann, vic) = (app.register("ann").await, app.register("vic").await);
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let mut watcher = app.ws(&vic.token, board.id, None).await;

    let (status, body) = app
        .call(
            Method::POST,
            &labels_path(board.id),
            Some(&ann),
            Some(json!({"color": "purple", "name": "Live", "client_op_id": "live-1"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let label: Label = serde_json::from_value(body).expect("a label");
    let event = watcher.next_event().await;
    assert_eq!(
        (event.kind, event.client_op_id.as_deref()),
        (EventKind::LabelCreated { label: label.clone() }, Some("live-1"))
    );

    label_card(&app, &ann, card.id, label.id).await;
    let event = watcher.next_event().await;
    assert_eq!(event.kind, EventKind::CardLabelsChanged { card_id: card.id, label_ids: vec![label.id] });
    assert_eq!(event.actor_id, Some(ann.id));

    let renamed: Label =
        app.expect(StatusCode::OK, Method::PATCH, &label_path(label.id), &ann, json!({"color": "blue"})).await;
    assert_eq!(watcher.next_event().await.kind, EventKind::LabelUpdated { label: renamed });

    let (status, _) = app.call(Method::DELETE, &label_path(label.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(watcher.next_event().await.kind, EventKind::LabelDeleted { label_id: label.id });
}
