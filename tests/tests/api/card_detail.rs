//! One card with everything on it (`GET /api/cards/{id}`) and its comments page by page.

use std::collections::HashSet;

use corkboard_protocol::{CardDetail, Checklist, ChecklistItem, Comment, CommentsPage, ErrorCode, Role};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

async fn detail(app: &TestApp, user: &TestUser, card_id: Uuid) -> CardDetail {
    let (status, body) = app.call(Method::GET, &format!("/api/cards/{card_id}"), Some(user), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).expect("a card detail")
}

async fn page(app: &TestApp, user: &TestUser, card_id: Uuid, query: &str) -> CommentsPage {
    let (status, body) =
        app.call(Method::GET, &format!("/api/cards/{card_id}/comments{query}"), Some(user), None).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    serde_json::from_value(body).expect("a comments page")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_detail_has_the_card_its_rendered_description_checklists_items_and_newest_comments() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let vic = app.register("vic").await;
    let sam = app.register("sam").await;
    let (board, _, cards) = app.board_with(&ann, 1, 2).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let card = &cards[0][0];
    let path = format!("/api/cards/{}", card.id);
    let description = "# Plan\n\n- [x] think\n- [ ] do\n\n<script>alert(1)</script> www.example.com";
    let (status, _) = app.call(Method::PATCH, &path, Some(&ann), Some(json!({"description": description}))).await;
    assert_eq!(status, StatusCode::OK);

    let mut checklists = Vec::new();
    let mut items = Vec::new();
    for title in ["First", "Second"] {
        let checklist: Checklist = app
            .expect(StatusCode::CREATED, Method::POST, &format!("{path}/checklists"), &ann, json!({"title": title}))
            .await;
        for text in ["b", "a"] {
            // Each new item goes first: the order is the items' positions, not when they were made.
            let item: ChecklistItem = app
                .expect(
                    StatusCode::CREATED,
                    Method::POST,
                    &format!("/api/checklists/{}/items", checklist.id),
                    &ann,
                    json!({"text": format!("{title} {text}"), "after_id": null}),
                )
                .await;
            items.push(item);
        }
        checklists.push(checklist);
    }
    let mut comments = Vec::new();
    for body in ["one", "two", "three"] {
        let comment: Comment = app
            .expect(StatusCode::CREATED, Method::POST, &format!("{path}/comments"), &ann, json!({"body": body}))
            .await;
        comments.push(comment);
    }
    // Another card's things are not this one's.
    let other = &cards[0][1];
    app.expect::<Comment>(
        StatusCode::CREATED,
        Method::POST,
        &format!("/api/cards/{}/comments", other.id),
        &ann,
        json!({"body": "elsewhere"}),
    )
    .await;

    let got = detail(&app, &vic, card.id).await;

    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(Some(&got.card), snapshot.cards.iter().find(|c| c.id == card.id));
    assert_eq!((got.card.checklist.total, got.card.comment_count), (4, 3));
    assert_eq!(got.checklists, checklists);
    let texts: Vec<&str> = got.items.iter().map(|item| item.text.as_str()).collect();
    assert_eq!(texts, ["First a", "First b", "Second a", "Second b"]);
    comments.reverse();
    assert_eq!(got.comments, comments, "newest first");
    assert!(!got.more_comments);
    let html = &got.description_html;
    assert!(html.contains("<h1>Plan</h1>"), "{html}");
    assert!(html.contains("<input disabled=\"\" type=\"checkbox\" checked=\"\">"), "{html}");
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script"), "{html}");
    assert!(html.contains("<a href=\"http://www.example.com\" rel=\"noopener noreferrer nofollow\">"), "{html}");

    // Strangers do not learn the card exists; an unknown card is the same answer.
    for id in [card.id, Uuid::now_v7()] {
        let hidden = app.call(Method::GET, &format!("/api/cards/{id}"), Some(&sam), None).await;
        assert_error(&hidden, StatusCode::NOT_FOUND, ErrorCode::CardNotFound);
        let hidden = app.call(Method::GET, &format!("/api/cards/{id}/comments"), Some(&sam), None).await;
        assert_error(&hidden, StatusCode::NOT_FOUND, ErrorCode::CardNotFound);
    }

    // An archived card is read all the same, with its archive time.
    sqlx::query("update cards set archived_at = now() where id = $1")
        .bind(card.id)
        .execute(&app.db)
        .await
        .expect("archive");
    let archived = detail(&app, &ann, card.id).await;
    assert!(archived.card.archived_at.is_some());
    assert_eq!(archived.items, got.items);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_come_page_by_page_newest_first_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (_, _, cards) = app.board_with(&ann, 1, 2).await;
    let card = &cards[0][0];
    // 130 comments; groups of five share a timestamp, so the id decides among them.
    sqlx::query(
        "insert into comments (id, card_id, board_id, author_id, body, body_html, created_at)
         select gen_random_uuid(), c.id, c.board_id, $2, 'c' || g, '<p>c' || g || '</p>',
                timestamptz '2026-01-01 00:00:00+00' + (g / 5) * interval '1 minute'
         from cards c, generate_series(1, 130) as g where c.id = $1",
    )
    .bind(card.id)
    .bind(ann.id)
    .execute(&app.db)
    .await
    .expect("seed comments");
    let expected: Vec<Uuid> =
        sqlx::query_scalar("select id from comments where card_id = $1 order by created_at desc, id desc")
            .bind(card.id)
            .fetch_all(&app.db)
            .await
            .expect("the order");

    let first = detail(&app, &ann, card.id).await;
    assert_eq!(first.comments.len(), 50);
    assert!(first.more_comments);
    let mut seen: Vec<Uuid> = first.comments.iter().map(|c| c.id).collect();
    let mut pages = 0;
    loop {
        let before = *seen.last().expect("some seen");
        let next = page(&app, &ann, card.id, &format!("?before={before}&limit=30")).await;
        pages += 1;
        assert!(next.comments.len() <= 30);
        seen.extend(next.comments.iter().map(|c| c.id));
        if !next.more {
            break;
        }
        assert!(pages < 10, "paging ends");
    }
    assert_eq!(pages, 3, "80 more comments: 30 + 30 + 20");
    assert_eq!(seen, expected, "every comment once, in order");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 130);

    let newest = page(&app, &ann, card.id, "").await;
    assert_eq!(newest.comments, first.comments, "without before: the newest 50");
    let all = page(&app, &ann, card.id, "?limit=100").await;
    assert_eq!((all.comments.len(), all.more), (100, true));
    let last = page(&app, &ann, card.id, &format!("?before={}", expected[129])).await;
    assert_eq!((last.comments.len(), last.more), (0, false));

    for limit in ["0", "101", "-1"] {
        let refused =
            app.call(Method::GET, &format!("/api/cards/{}/comments?limit={limit}", card.id), Some(&ann), None).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
        assert!(refused.1["error"]["fields"]["limit"].is_string(), "{}", refused.1);
    }
    let bad = app.call(Method::GET, &format!("/api/cards/{}/comments?before=nope", card.id), Some(&ann), None).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, ErrorCode::InvalidQuery);
    let elsewhere: Comment = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/api/cards/{}/comments", cards[0][1].id),
            &ann,
            json!({"body": "x"}),
        )
        .await;
    for before in [elsewhere.id, Uuid::now_v7()] {
        let refused =
            app.call(Method::GET, &format!("/api/cards/{}/comments?before={before}", card.id), Some(&ann), None).await;
        assert_error(&refused, StatusCode::NOT_FOUND, ErrorCode::CommentNotFound);
    }
}
