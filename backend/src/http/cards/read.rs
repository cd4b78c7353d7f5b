//! Reading cards as clients see them: the row and what the card face shows from the tables around it (labels,
//! members, checklist progress, comment count), for one card or for a whole board in one statement.

use std::collections::HashMap;

use corkboard_protocol::{Card, ChecklistCounts};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{AppError, AppResult, Resource};

/// A card row with its face data, as the statements below select it.
pub struct CardRow {
    pub id: Uuid,
    pub board_id: Uuid,
    pub list_id: Uuid,
    pub title: String,
    pub description: String,
    pub position: String,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub start_at: Option<OffsetDateTime>,
    pub due_at: Option<OffsetDateTime>,
    pub completed: bool,
    pub archived_at: Option<OffsetDateTime>,
    pub label_ids: Vec<Uuid>,
    pub member_ids: Vec<Uuid>,
    pub items_done: i64,
    pub items_total: i64,
    pub comment_count: i64,
}

impl From<CardRow> for Card {
    fn from(row: CardRow) -> Self {
        Card {
            id: row.id,
            board_id: row.board_id,
            list_id: row.list_id,
            title: row.title,
            description: row.description,
            position: row.position,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
            start_at: row.start_at,
            due_at: row.due_at,
            completed: row.completed,
            archived_at: row.archived_at,
            label_ids: row.label_ids,
            member_ids: row.member_ids,
            checklist: ChecklistCounts { done: row.items_done, total: row.items_total },
            comment_count: row.comment_count,
        }
    }
}

/// A card as it is now in the caller's transaction, archived or not; 404 when it is gone.
pub async fn fetch_card(conn: &mut PgConnection, card_id: Uuid) -> AppResult<Card> {
    sqlx::query_as!(
        CardRow,
        r#"select c.id, c.board_id, c.list_id, c.title, c.description, c.position, c.version, c.created_at,
                  c.updated_at, c.start_at, c.due_at, c.completed, c.archived_at,
                  array(select cl.label_id from card_labels cl join labels l on l.id = cl.label_id
                        where cl.card_id = c.id order by l.position) as "label_ids!",
                  array(select cm.user_id from card_members cm where cm.card_id = c.id
                        order by cm.added_at, cm.user_id) as "member_ids!",
                  (select count(*) from checklist_items i where i.card_id = c.id and i.done) as "items_done!",
                  (select count(*) from checklist_items i where i.card_id = c.id) as "items_total!",
                  (select count(*) from comments m where m.card_id = c.id) as "comment_count!"
           from cards c where c.id = $1"#,
        card_id,
    )
    .fetch_optional(conn)
    .await?
    .map(Card::from)
    .ok_or(AppError::NotFound(Resource::Card))
}

/// The cards on a board (not archived, in lists that are not archived), in display order, with their faces.
///
/// The snapshot's budget is a few tens of milliseconds for 5,000 cards, so the face data are read as plain rows
/// (one statement per table around the cards, each a scan of that board's rows) and put on the cards here:
/// grouping and ordering them per card inside Postgres (`array_agg(... order by ...)` per card) cost several times
/// the whole read. Call it inside one repeatable-read transaction, like the snapshot does, so the reads agree.
pub async fn board_cards(conn: &mut PgConnection, board_id: Uuid) -> AppResult<Vec<Card>> {
    let rows = sqlx::query!(
        r#"select c.id, c.board_id, c.list_id, c.title, c.description, c.position, c.version, c.created_at,
                  c.updated_at, c.start_at, c.due_at, c.completed, c.archived_at
           from cards c join lists l on l.id = c.list_id
           where c.board_id = $1 and c.archived_at is null and l.archived_at is null
           order by l.position, c.position"#,
        board_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut cards: Vec<Card> = rows
        .into_iter()
        .map(|row| {
            Card::from(CardRow {
                id: row.id,
                board_id: row.board_id,
                list_id: row.list_id,
                title: row.title,
                description: row.description,
                position: row.position,
                version: row.version,
                created_at: row.created_at,
                updated_at: row.updated_at,
                start_at: row.start_at,
                due_at: row.due_at,
                completed: row.completed,
                archived_at: row.archived_at,
                label_ids: Vec::new(),
                member_ids: Vec::new(),
                items_done: 0,
                items_total: 0,
                comment_count: 0,
            })
        })
        .collect();
    let at: HashMap<Uuid, usize> = cards.iter().enumerate().map(|(i, c)| (c.id, i)).collect();

    // In the board's label order overall, so each card's labels come out in that order too.
    let labels = sqlx::query!(
        "select cl.card_id, cl.label_id from card_labels cl join labels l on l.id = cl.label_id
         where cl.board_id = $1 order by l.position, l.id",
        board_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in labels {
        if let Some(&i) = at.get(&row.card_id) {
            cards[i].label_ids.push(row.label_id);
        }
    }
    let members = sqlx::query!(
        "select card_id, user_id from card_members where board_id = $1 order by added_at, user_id",
        board_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in members {
        if let Some(&i) = at.get(&row.card_id) {
            cards[i].member_ids.push(row.user_id);
        }
    }
    let progress = sqlx::query!(
        r#"select card_id, count(*) filter (where done) as "done!", count(*) as "total!"
           from checklist_items where board_id = $1 group by card_id"#,
        board_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in progress {
        if let Some(&i) = at.get(&row.card_id) {
            cards[i].checklist = ChecklistCounts { done: row.done, total: row.total };
        }
    }
    let talk = sqlx::query!(
        r#"select card_id, count(*) as "n!" from comments where board_id = $1 group by card_id"#,
        board_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in talk {
        if let Some(&i) = at.get(&row.card_id) {
            cards[i].comment_count = row.n;
        }
    }
    Ok(cards)
}

/// The board's cards archived on their own whose title contains `q` (case-insensitive, as plain text), most
/// recently archived first, at most `limit`.
pub async fn archived_cards(conn: &mut PgConnection, board_id: Uuid, q: &str, limit: i64) -> AppResult<Vec<Card>> {
    let rows = sqlx::query_as!(
        CardRow,
        r#"select c.id, c.board_id, c.list_id, c.title, c.description, c.position, c.version, c.created_at,
                  c.updated_at, c.start_at, c.due_at, c.completed, c.archived_at,
                  array(select cl.label_id from card_labels cl join labels l on l.id = cl.label_id
                        where cl.card_id = c.id order by l.position) as "label_ids!",
                  array(select cm.user_id from card_members cm where cm.card_id = c.id
                        order by cm.added_at, cm.user_id) as "member_ids!",
                  (select count(*) from checklist_items i where i.card_id = c.id and i.done) as "items_done!",
                  (select count(*) from checklist_items i where i.card_id = c.id) as "items_total!",
                  (select count(*) from comments m where m.card_id = c.id) as "comment_count!"
           from cards c
           where c.board_id = $1 and c.archived_at is not null and strpos(lower(c.title), lower($2)) > 0
           order by c.archived_at desc, c.id
           limit $3"#,
        board_id,
        q,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Card::from).collect())
}
