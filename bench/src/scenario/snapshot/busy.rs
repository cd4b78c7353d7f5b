//! A busy board's card faces, inserted straight into the database (setup, not the measured path): every card
//! gets two of the board's labels, one member (the owner), a due date (a few complete), one checklist of four
//! items with two done, and two comments. A few batched `unnest` statements, like the bench's bulk accounts,
//! because what the snapshot costs with faces is what is measured, not what making them through REST costs.

use anyhow::{Context, bail};
use corkboard_protocol::Snapshot;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// What each card carries on a busy board.
pub const LABELS_PER_CARD: usize = 2;
pub const ITEMS_PER_CARD: usize = 4;
pub const ITEMS_DONE_PER_CARD: usize = 2;
pub const COMMENTS_PER_CARD: usize = 2;

/// Puts the faces on every card of `cards`, with `member` (a member of the board) as card member and author.
pub async fn fill(db: &PgPool, board: Uuid, member: Uuid, cards: &[Uuid]) -> anyhow::Result<()> {
    let labels: Vec<Uuid> = sqlx::query_scalar("select id from labels where board_id = $1 order by position")
        .bind(board)
        .fetch_all(db)
        .await?;
    if labels.len() < LABELS_PER_CARD * 2 {
        bail!("the board has {} labels, expected a new board's six", labels.len());
    }
    let mut tx = db.begin().await?;

    // Two labels each, spread over the board's labels so every label is on many cards.
    let (mut label_cards, mut label_ids) = (Vec::new(), Vec::new());
    for (i, card) in cards.iter().enumerate() {
        for k in 0..LABELS_PER_CARD {
            label_cards.push(*card);
            label_ids.push(labels[(i + k * 3) % labels.len()]);
        }
    }
    sqlx::query(
        "insert into card_labels (card_id, label_id, board_id)
         select card_id, label_id, $1 from unnest($2::uuid[], $3::uuid[]) as t (card_id, label_id)",
    )
    .bind(board)
    .bind(&label_cards)
    .bind(&label_ids)
    .execute(&mut *tx)
    .await
    .context("insert card_labels")?;

    sqlx::query(
        "insert into card_members (card_id, user_id, board_id) select card_id, $2, $1 from unnest($3::uuid[]) as t (card_id)",
    )
    .bind(board)
    .bind(member)
    .bind(cards)
    .execute(&mut *tx)
    .await
    .context("insert card_members")?;

    // Due dates from three days ago to ten days ahead (some overdue, some soon, most plain); every fifth complete.
    let now = OffsetDateTime::now_utc();
    let dues: Vec<OffsetDateTime> = (0..cards.len()).map(|i| now + Duration::hours((i % 312) as i64 - 72)).collect();
    let completed: Vec<bool> = (0..cards.len()).map(|i| i % 5 == 0).collect();
    sqlx::query(
        "update cards c set due_at = t.due_at, completed = t.completed
         from unnest($1::uuid[], $2::timestamptz[], $3::bool[]) as t (id, due_at, completed) where c.id = t.id",
    )
    .bind(cards)
    .bind(&dues)
    .bind(&completed)
    .execute(&mut *tx)
    .await
    .context("set due dates")?;

    let checklists: Vec<Uuid> = cards.iter().map(|_| Uuid::new_v4()).collect();
    sqlx::query(
        "insert into checklists (id, card_id, board_id, title, position)
         select id, card_id, $1, 'Steps', 'a0' from unnest($2::uuid[], $3::uuid[]) as t (id, card_id)",
    )
    .bind(board)
    .bind(&checklists)
    .bind(cards)
    .execute(&mut *tx)
    .await
    .context("insert checklists")?;

    let (mut item_ids, mut item_lists, mut item_cards, mut item_done, mut item_pos) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (card, checklist) in cards.iter().zip(&checklists) {
        for k in 0..ITEMS_PER_CARD {
            item_ids.push(Uuid::new_v4());
            item_lists.push(*checklist);
            item_cards.push(*card);
            item_done.push(k < ITEMS_DONE_PER_CARD);
            item_pos.push(format!("a{k}"));
        }
    }
    sqlx::query(
        "insert into checklist_items (id, checklist_id, card_id, board_id, text, done, position)
         select id, checklist_id, card_id, $1, 'Check the numbers with finance', done, position
         from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::bool[], $6::text[])
              as t (id, checklist_id, card_id, done, position)",
    )
    .bind(board)
    .bind(&item_ids)
    .bind(&item_lists)
    .bind(&item_cards)
    .bind(&item_done)
    .bind(&item_pos)
    .execute(&mut *tx)
    .await
    .context("insert checklist_items")?;

    let (mut comment_ids, mut comment_cards) = (Vec::new(), Vec::new());
    for card in cards {
        for _ in 0..COMMENTS_PER_CARD {
            comment_ids.push(Uuid::new_v4());
            comment_cards.push(*card);
        }
    }
    sqlx::query(
        "insert into comments (id, card_id, board_id, author_id, body, body_html)
         select id, card_id, $1, $2, 'Looks good, see the **notes**.', '<p>Looks good, see the <strong>notes</strong>.</p>'
         from unnest($3::uuid[], $4::uuid[]) as t (id, card_id)",
    )
    .bind(board)
    .bind(member)
    .bind(&comment_ids)
    .bind(&comment_cards)
    .execute(&mut *tx)
    .await
    .context("insert comments")?;
    tx.commit().await?;

    sqlx::query("analyze cards, card_labels, card_members, checklists, checklist_items, comments, labels")
        .execute(db)
        .await?;
    Ok(())
}

/// Fails unless every card of the snapshot shows the faces `fill` gave it.
pub fn check(snapshot: &Snapshot) -> anyhow::Result<()> {
    for card in &snapshot.cards {
        let faces = (
            card.label_ids.len(),
            card.member_ids.len(),
            card.due_at.is_some(),
            card.checklist.done,
            card.checklist.total,
            card.comment_count,
        );
        let expected =
            (LABELS_PER_CARD, 1, true, ITEMS_DONE_PER_CARD as i64, ITEMS_PER_CARD as i64, COMMENTS_PER_CARD as i64);
        if faces != expected {
            bail!(
                "card {} shows (labels, members, due, done, total, comments) {faces:?}, expected {expected:?}",
                card.id
            );
        }
    }
    Ok(())
}
