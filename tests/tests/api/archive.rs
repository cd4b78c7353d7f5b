//! Archive instead of delete: cards and lists leave the board with everything on them, come back to their place,
//! are listed (and filtered) in the archive, and only admins delete them for good, from there.

use corkboard_protocol::{ArchiveResponse, Card, ErrorCode, EventKind, List, Role};
use corkboard_tests::{assert_error, card_ids, columns, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_card_leaves_the_board_and_comes_back_to_the_same_place() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 3).await;
    let middle = &cards[0][1];
    let before = app.snapshot(&ann, board.id).await;

    let archived = app.archive_card(&ann, middle.id).await;
    assert!(archived.archived_at.is_some());
    assert_eq!((archived.list_id, archived.position.as_str()), (lists[0].id, middle.position.as_str()));
    assert_eq!(archived.version, middle.version + 1);
    assert_eq!(columns(&app.snapshot(&ann, board.id).await), vec![("L0".into(), vec!["L0C0".into(), "L0C2".into()])]);

    // A card placed meanwhile right after the first one sorts around the archived card's kept key.
    let newcomer = app.create_card_after(&ann, lists[0].id, "New", Some(cards[0][0].id)).await;
    let restored: Card =
        app.expect(StatusCode::OK, Method::POST, &format!("/api/cards/{}/restore", middle.id), &ann, json!(null)).await;
    assert_eq!(restored.archived_at, None);
    assert_eq!(restored.position, middle.position);
    let after = app.snapshot(&ann, board.id).await;
    assert_eq!(card_ids(&after)[0].len(), 4);
    assert!(card_ids(&after)[0].contains(&newcomer.id));
    let order: Vec<_> = card_ids(&after)[0].iter().filter(|id| **id != newcomer.id).copied().collect();
    assert_eq!(order, card_ids(&before)[0]);
    assert_eq!(
        app.event_log(board.id).await.iter().rev().take(3).map(|(_, k)| k.as_str()).collect::<Vec<_>>(),
        vec!["card_restored", "card_created", "card_archived"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_card_keeps_everything_and_cannot_be_changed_until_restored() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 1).await;
    let card = &cards[0][0];
    let label = app.snapshot(&ann, board.id).await.labels[0].id;
    let path = format!("/api/cards/{}", card.id);
    app.call(Method::PATCH, &path, Some(&ann), Some(json!({"description": "keep me"}))).await;
    let (status, _) =
        app.call(Method::POST, &format!("{path}/labels"), Some(&ann), Some(json!({"label_id": label}))).await;
    assert_eq!(status, StatusCode::OK);
    app.archive_card(&ann, card.id).await;

    for (method, p, body) in [
        (Method::PATCH, path.clone(), Some(json!({"title": "x"}))),
        (Method::POST, format!("{path}/move"), Some(json!({"list_id": lists[1].id, "position": "end"}))),
        (Method::POST, format!("{path}/archive"), None),
    ] {
        assert_error(&app.call(method, &p, Some(&ann), body).await, StatusCode::NOT_FOUND, ErrorCode::CardNotFound);
    }
    // Reads keep working.
    let (status, _) = app.call(Method::GET, &path, Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK);

    let restored: Card = app.expect(StatusCode::OK, Method::POST, &format!("{path}/restore"), &ann, json!(null)).await;
    assert_eq!((restored.description.as_str(), restored.label_ids.clone()), ("keep me", vec![label]));
    assert_error(
        &app.call(Method::POST, &format!("{path}/restore"), Some(&ann), None).await,
        StatusCode::CONFLICT,
        ErrorCode::NotArchived,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archiving_a_list_takes_its_cards_and_restoring_it_brings_them_back() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 3, 2).await;
    // A card archived on its own before its list stays archived when the list comes back.
    app.archive_card(&ann, cards[1][0].id).await;

    let archived = app.archive_list(&ann, lists[1].id).await;
    assert!(archived.archived_at.is_some());
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(snapshot.lists.iter().map(|l| l.id).collect::<Vec<_>>(), vec![lists[0].id, lists[2].id]);
    assert!(snapshot.cards.iter().all(|c| c.list_id != lists[1].id));
    // Its cards are not on the board: no new card, no move into it, no edit of its cards.
    assert_error(
        &app.call(Method::POST, &format!("/api/lists/{}/cards", lists[1].id), Some(&ann), Some(json!({"title": "x"})))
            .await,
        StatusCode::NOT_FOUND,
        ErrorCode::ListNotFound,
    );
    assert_error(
        &app.call(
            Method::POST,
            &format!("/api/cards/{}/move", cards[0][0].id),
            Some(&ann),
            Some(json!({"list_id": lists[1].id, "position": "end"})),
        )
        .await,
        StatusCode::NOT_FOUND,
        ErrorCode::ListNotFound,
    );
    assert_error(
        &app.call(Method::POST, &format!("/api/cards/{}/restore", cards[1][0].id), Some(&ann), None).await,
        StatusCode::CONFLICT,
        ErrorCode::ListArchived,
    );

    let restored: List = app
        .expect(StatusCode::OK, Method::POST, &format!("/api/lists/{}/restore", lists[1].id), &ann, json!(null))
        .await;
    assert_eq!((restored.archived_at, restored.position.as_str()), (None, lists[1].position.as_str()));
    assert_eq!(
        columns(&app.snapshot(&ann, board.id).await),
        vec![
            ("L0".into(), vec!["L0C0".into(), "L0C1".into()]),
            ("L1".into(), vec!["L1C1".into()]),
            ("L2".into(), vec!["L2C0".into(), "L2C1".into()]),
        ]
    );
    // One event brings the list back with the cards that left with it.
    let events = app.events(board.id).await;
    match &events.last().expect("events").kind {
        EventKind::ListRestored { list, cards: back } => {
            assert_eq!(list.id, lists[1].id);
            assert_eq!(back.iter().map(|c| c.id).collect::<Vec<_>>(), vec![cards[1][1].id]);
        }
        other => panic!("expected list_restored, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_lists_what_was_archived_newest_first_and_filters_by_title() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 3).await;
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;
    app.call(Method::PATCH, &format!("/api/cards/{}", cards[0][0].id), Some(&ann), Some(json!({"title": "50% done_"})))
        .await;
    app.archive_card(&ann, cards[0][0].id).await;
    app.archive_card(&ann, cards[0][1].id).await;
    app.archive_list(&ann, lists[1].id).await;

    let path = format!("/api/boards/{}/archive", board.id);
    // Viewers may look; strangers may not know it exists.
    let all: ArchiveResponse = app.expect(StatusCode::OK, Method::GET, &path, &bob, json!(null)).await;
    assert_eq!(all.cards.iter().map(|c| c.id).collect::<Vec<_>>(), vec![cards[0][1].id, cards[0][0].id]);
    assert_eq!(all.lists.len(), 1);
    assert_eq!((all.lists[0].list.id, all.lists[0].card_count), (lists[1].id, 3));

    // `%` and `_` are plain characters.
    let found: ArchiveResponse =
        app.expect(StatusCode::OK, Method::GET, &format!("{path}?q=%25%20DONE_"), &ann, json!(null)).await;
    assert_eq!(found.cards.iter().map(|c| c.id).collect::<Vec<_>>(), vec![cards[0][0].id]);
    assert!(found.lists.is_empty());
    let none: ArchiveResponse =
        app.expect(StatusCode::OK, Method::GET, &format!("{path}?q=%25_"), &ann, json!(null)).await;
    assert!(none.cards.is_empty());

    let eve = app.register("eve").await;
    assert_error(
        &app.call(Method::GET, &path, Some(&eve), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::BoardNotFound,
    );
    let long = "x".repeat(513);
    assert_error(
        &app.call(Method::GET, &format!("{path}?q={long}"), Some(&ann), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_delete_for_good_and_only_what_is_archived() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let edie = app.register("edie").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 1).await;
    app.add_member(&ann, board.id, &edie, Role::Editor).await;
    let card_path = format!("/api/cards/{}", cards[0][0].id);
    let list_path = format!("/api/lists/{}", lists[1].id);

    assert_error(
        &app.call(Method::DELETE, &card_path, Some(&ann), None).await,
        StatusCode::CONFLICT,
        ErrorCode::NotArchived,
    );
    assert_error(
        &app.call(Method::DELETE, &list_path, Some(&ann), None).await,
        StatusCode::CONFLICT,
        ErrorCode::NotArchived,
    );
    // Editors archive cards but do not delete them, and do not archive lists.
    app.archive_card(&edie, cards[0][0].id).await;
    assert_error(
        &app.call(Method::DELETE, &card_path, Some(&edie), None).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    );
    assert_error(
        &app.call(Method::POST, &format!("{list_path}/archive"), Some(&edie), None).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    );

    let seq = app.board_seq(board.id).await;
    assert_eq!(app.call(Method::DELETE, &card_path, Some(&ann), None).await.0, StatusCode::NO_CONTENT);
    app.archive_list(&ann, lists[1].id).await;
    assert_eq!(app.call(Method::DELETE, &list_path, Some(&ann), None).await.0, StatusCode::NO_CONTENT);
    let kinds: Vec<String> =
        app.event_log(board.id).await.into_iter().filter(|(s, _)| *s > seq).map(|(_, k)| k).collect();
    assert_eq!(kinds, vec!["card_deleted", "list_archived", "list_deleted"]);
    // Gone for good: not even in the archive.
    let archive: ArchiveResponse =
        app.expect(StatusCode::OK, Method::GET, &format!("/api/boards/{}/archive", board.id), &ann, json!(null)).await;
    assert!(archive.cards.is_empty() && archive.lists.is_empty());
}
