//! Comments on cards: add, edit (its author only), delete (its author or an admin); the comment count in every
//! event and in the snapshot; the limits; exactly-once; and Markdown that comes back inert.

use corkboard_protocol::{Comment, ErrorCode, EventKind, Role};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

async fn add_comment(app: &TestApp, user: &TestUser, card_id: Uuid, body: &str) -> Comment {
    let path = format!("/api/cards/{card_id}/comments");
    app.expect(StatusCode::CREATED, Method::POST, &path, user, json!({"body": body})).await
}

async fn comment_count(app: &TestApp, user: &TestUser, board_id: Uuid, card_id: Uuid) -> i64 {
    let snapshot = app.snapshot(user, board_id).await;
    snapshot.cards.iter().find(|card| card.id == card_id).expect("the card is on the board").comment_count
}

async fn events_after(app: &TestApp, board_id: Uuid, seq: i64) -> Vec<EventKind> {
    app.events(board_id).await.into_iter().filter(|event| event.seq > seq).map(|event| event.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_is_added_edited_and_deleted_with_the_cards_comment_count() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let seq = app.board_seq(board.id).await;

    let source = "  Looks **good**, see https://example.com\n";
    let comment = add_comment(&app, &ann, card.id, source).await;
    assert_eq!((comment.card_id, comment.author_id, comment.body.as_str()), (card.id, Some(ann.id), source));
    assert!(comment.body_html.contains("<strong>good</strong>"), "{}", comment.body_html);
    assert!(
        comment
            .body_html
            .contains("<a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">https://example.com</a>"),
        "{}",
        comment.body_html
    );
    assert_eq!(comment.edited_at, None);
    let second = add_comment(&app, &ann, card.id, "Second").await;
    assert_eq!(comment_count(&app, &ann, board.id, card.id).await, 2);

    let path = format!("/api/comments/{}", comment.id);
    let edited: Comment =
        app.expect(StatusCode::OK, Method::PATCH, &path, &ann, json!({"body": "~~Looks good~~"})).await;
    assert_eq!(
        (edited.id, edited.created_at, edited.body.as_str()),
        (comment.id, comment.created_at, "~~Looks good~~")
    );
    assert_eq!(edited.body_html, "<p><del>Looks good</del></p>\n");
    assert!(edited.edited_at.is_some_and(|at| at >= comment.created_at));

    let (status, body) = app.call(Method::DELETE, &path, Some(&ann), None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(comment_count(&app, &ann, board.id, card.id).await, 1);
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(snapshot.cards[0].version, card.version, "comments do not raise the card's version");

    assert_eq!(
        events_after(&app, board.id, seq).await,
        [
            EventKind::CommentAdded { comment: comment.clone(), comment_count: 1 },
            EventKind::CommentAdded { comment: second, comment_count: 2 },
            EventKind::CommentEdited { comment: edited, comment_count: 2 },
            EventKind::CommentDeleted { comment_id: comment.id, card_id: card.id, comment_count: 1 },
        ]
    );
    let gone = app.call(Method::PATCH, &path, Some(&ann), Some(json!({"body": "again"}))).await;
    assert_error(&gone, StatusCode::NOT_FOUND, ErrorCode::CommentNotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_editors_comment_only_authors_edit_and_authors_or_admins_delete() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let adam = app.register("adam").await;
    let eve = app.register("eve").await;
    let ed = app.register("eddie").await;
    let vic = app.register("vic").await;
    let sam = app.register("sam").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    app.add_member(&ann, board.id, &adam, Role::Admin).await;
    app.add_member(&ann, board.id, &eve, Role::Editor).await;
    app.add_member(&ann, board.id, &ed, Role::Editor).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let card = &cards[0][0];
    let add_path = format!("/api/cards/{}/comments", card.id);

    let viewer = app.call(Method::POST, &add_path, Some(&vic), Some(json!({"body": "hi"}))).await;
    assert_error(&viewer, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    let stranger = app.call(Method::POST, &add_path, Some(&sam), Some(json!({"body": "hi"}))).await;
    assert_error(&stranger, StatusCode::NOT_FOUND, ErrorCode::CardNotFound);

    let eves = add_comment(&app, &eve, card.id, "Eve's").await;
    let path = format!("/api/comments/{}", eves.id);
    for other in [&ed, &adam, &ann, &vic] {
        let edit = app.call(Method::PATCH, &path, Some(other), Some(json!({"body": "not yours"}))).await;
        assert_error(&edit, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    }
    for other in [&ed, &vic] {
        let delete = app.call(Method::DELETE, &path, Some(other), None).await;
        assert_error(&delete, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    }
    for (method, body) in [(Method::PATCH, Some(json!({"body": "x"}))), (Method::DELETE, None)] {
        let hidden = app.call(method, &path, Some(&sam), body).await;
        assert_error(&hidden, StatusCode::NOT_FOUND, ErrorCode::CommentNotFound);
    }
    let unknown = app.call(Method::DELETE, &format!("/api/comments/{}", Uuid::now_v7()), Some(&ann), None).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, ErrorCode::CommentNotFound);

    let edited: Comment =
        app.expect(StatusCode::OK, Method::PATCH, &path, &eve, json!({"body": "Eve's, edited"})).await;
    assert_eq!(edited.body, "Eve's, edited");
    let (status, _) = app.call(Method::DELETE, &path, Some(&adam), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "an admin deletes anyone's comment");
    let eds = add_comment(&app, &ed, card.id, "Ed's").await;
    let (status, _) = app.call(Method::DELETE, &format!("/api/comments/{}", eds.id), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "so does the owner");
    let own = add_comment(&app, &ed, card.id, "Mine").await;
    let (status, _) = app.call(Method::DELETE, &format!("/api/comments/{}", own.id), Some(&ed), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "and an author their own");

    // An author who is a viewer now may no longer edit or delete.
    let kept = add_comment(&app, &eve, card.id, "Before the demotion").await;
    let member_path = format!("/api/boards/{}/members/{}", board.id, eve.id);
    let (status, _) = app.call(Method::PATCH, &member_path, Some(&ann), Some(json!({"role": "viewer"}))).await;
    assert_eq!(status, StatusCode::OK);
    let kept_path = format!("/api/comments/{}", kept.id);
    let edit = app.call(Method::PATCH, &kept_path, Some(&eve), Some(json!({"body": "after"}))).await;
    assert_error(&edit, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    let delete = app.call(Method::DELETE, &kept_path, Some(&eve), None).await;
    assert_error(&delete, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_eq!(comment_count(&app, &ann, board.id, card.id).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_is_1_to_10000_characters_and_not_blank() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let path = format!("/api/cards/{}/comments", card.id);

    for body in ["x".repeat(10_001), String::new(), " \n\t ".into()] {
        let refused = app.call(Method::POST, &path, Some(&ann), Some(json!({"body": body}))).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
        assert!(refused.1["error"]["fields"]["body"].is_string(), "{}", refused.1);
    }
    let longest = add_comment(&app, &ann, card.id, &"é".repeat(10_000)).await;
    assert_eq!(longest.body.chars().count(), 10_000);
    let edit = app
        .call(Method::PATCH, &format!("/api/comments/{}", longest.id), Some(&ann), Some(json!({"body": "  "})))
        .await;
    assert!(edit.1["error"]["fields"]["body"].is_string(), "{}", edit.1);
    let missing = app.call(Method::POST, &path, Some(&ann), Some(json!({}))).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, ErrorCode::InvalidBody);
    assert_eq!(comment_count(&app, &ann, board.id, card.id).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_and_script_urls_in_a_comment_come_back_inert() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let source = "<img src=x onerror=alert(1)> and [x](javascript:alert(1)) and <script>alert(2)</script>";

    let comment = add_comment(&app, &ann, cards[0][0].id, source).await;

    let html = comment.body_html.to_ascii_lowercase();
    assert_eq!(comment.body, source, "the source is kept as typed");
    assert!(!html.contains("<img") && !html.contains("<script"), "{html}");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "raw HTML shows as text: {html}");
    assert!(!html.contains("href=\"javascript") && !html.contains("href='javascript"), "{html}");
    assert!(html.contains(">x</a>"), "the link keeps its text: {html}");
    let events = app.events(board.id).await;
    let Some(EventKind::CommentAdded { comment: carried, .. }) = events.last().map(|e| e.kind.clone()) else {
        panic!("no comment_added")
    };
    assert_eq!(carried.body_html, comment.body_html, "the event carries the same rendering");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_comment_change_sent_twice_is_applied_once_and_answered_the_same() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let ed = app.register("eddie").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    app.add_member(&ann, board.id, &ed, Role::Editor).await;
    let card = &cards[0][0];

    async fn twice(
        app: &TestApp,
        user: &TestUser,
        board_id: Uuid,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let seq = app.board_seq(board_id).await;
        let first = app.call(method.clone(), path, Some(user), body.clone()).await;
        let again = app.call(method.clone(), path, Some(user), body).await;
        assert_eq!(first, again, "{method} {path}: the same answer again");
        assert_eq!(app.board_seq(board_id).await, seq + 1, "{method} {path}: exactly one event");
        first
    }

    let add_path = format!("/api/cards/{}/comments", card.id);
    let (status, added) =
        twice(&app, &ann, board.id, Method::POST, &add_path, Some(json!({"body": "Hi", "client_op_id": "op-add"})))
            .await;
    assert_eq!(status, StatusCode::CREATED);
    let added: Comment = serde_json::from_value(added).expect("comment");
    let path = format!("/api/comments/{}", added.id);
    let (status, edited) =
        twice(&app, &ann, board.id, Method::PATCH, &path, Some(json!({"body": "Hello", "client_op_id": "op-edit"})))
            .await;
    assert_eq!((status, edited["body"].as_str()), (StatusCode::OK, Some("Hello")));
    let deleted = twice(&app, &ann, board.id, Method::DELETE, &format!("{path}?client_op_id=op-del"), None).await;
    assert_eq!(deleted, (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(comment_count(&app, &ann, board.id, card.id).await, 0);

    // A refusal is final: Ed may not edit Ann's comment, and the same operation stays refused.
    let anns = add_comment(&app, &ann, card.id, "Ann's").await;
    let body = json!({"body": "Ed's now", "client_op_id": "op-steal"});
    let anns_path = format!("/api/comments/{}", anns.id);
    let refused = app.call(Method::PATCH, &anns_path, Some(&ed), Some(body.clone())).await;
    assert_error(&refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_eq!(app.call(Method::PATCH, &anns_path, Some(&ed), Some(body)).await, refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_comments_of_an_archived_card_cannot_change_but_can_be_read() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, _, cards) = app.board_with(&ann, 1, 1).await;
    let card = &cards[0][0];
    let comment = add_comment(&app, &ann, card.id, "Before").await;
    sqlx::query("update cards set archived_at = now() where id = $1")
        .bind(card.id)
        .execute(&app.db)
        .await
        .expect("archive");
    let before = app.event_log(board.id).await;

    let path = format!("/api/comments/{}", comment.id);
    for (method, path, body) in [
        (Method::POST, format!("/api/cards/{}/comments", card.id), Some(json!({"body": "After"}))),
        (Method::PATCH, path.clone(), Some(json!({"body": "After"}))),
        (Method::DELETE, path.clone(), None),
    ] {
        let refused = app.call(method, &path, Some(&ann), body).await;
        assert_error(&refused, StatusCode::NOT_FOUND, ErrorCode::CardNotFound);
    }
    assert_eq!(app.event_log(board.id).await, before);
    let page: Value =
        app.expect(StatusCode::OK, Method::GET, &format!("/api/cards/{}/comments", card.id), &ann, json!(null)).await;
    assert_eq!(page["comments"][0]["id"].as_str(), Some(comment.id.to_string().as_str()));
}
