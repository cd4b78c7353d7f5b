//! Archive instead of delete: a card leaves the board keeping its list, its place (its position key stays taken)
//! and everything on it, and comes back there; the "Archived items" listing, lists included.

use axum::extract::State;
use corkboard_protocol::{
    ARCHIVE_PAGE, ArchiveQuery, ArchiveResponse, ArchivedList, Card, EventKind, List, OpQuery, Role, TITLE_MAX_CHARS,
};
use uuid::Uuid;

use super::{card_tx, fetch_card, require_on_board};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource};
use crate::eventlog::{BoardTx, check_op};
use crate::http::extract::{Json, Path, Query};
use crate::http::members::member_role;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/api/cards/{card_id}/archive",
    tag = "cards",
    params(("card_id" = uuid::Uuid, Path), OpQuery),
    responses(
        (status = 200, description = "Archived", body = corkboard_protocol::Card),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
pub(super) async fn archive_card(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<Json<Card>> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = card_tx(&state.db, auth.user_id, card_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        prior.replay(|kind| matches!(kind, EventKind::CardArchived { .. }).then_some(()))?;
        return Ok(Json(fetch_card(btx.conn(), card_id).await?));
    }
    let result = archive(&mut btx, card_id, op).await;
    btx.finish(op, result).await
}

async fn archive(btx: &mut BoardTx, card_id: Uuid, op: Option<&str>) -> AppResult<Json<Card>> {
    btx.require(Role::Editor)?;
    require_on_board(btx.conn(), card_id).await?;
    sqlx::query!(
        "update cards set archived_at = now(), version = version + 1, updated_at = now() where id = $1",
        card_id,
    )
    .execute(btx.conn())
    .await?;
    let card = fetch_card(btx.conn(), card_id).await?;
    btx.emit(&EventKind::CardArchived { card_id, list_id: card.list_id, version: card.version }, op);
    Ok(Json(card))
}

#[utoipa::path(
    post,
    path = "/api/cards/{card_id}/restore",
    tag = "cards",
    params(("card_id" = uuid::Uuid, Path), OpQuery),
    responses(
        (status = 200, description = "Back in its list at its place", body = corkboard_protocol::Card),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
pub(super) async fn restore_card(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<Json<Card>> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = card_tx(&state.db, auth.user_id, card_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        prior.replay(|kind| matches!(kind, EventKind::CardRestored { .. }).then_some(()))?;
        return Ok(Json(fetch_card(btx.conn(), card_id).await?));
    }
    let result = restore(&mut btx, card_id, op).await;
    btx.finish(op, result).await
}

async fn restore(btx: &mut BoardTx, card_id: Uuid, op: Option<&str>) -> AppResult<Json<Card>> {
    btx.require(Role::Editor)?;
    let state = sqlx::query!(
        "select c.archived_at is not null as \"card_archived!\", l.archived_at is not null as \"list_archived!\"
         from cards c join lists l on l.id = c.list_id where c.id = $1",
        card_id,
    )
    .fetch_optional(btx.conn())
    .await?
    .ok_or(AppError::NotFound(Resource::Card))?;
    if !state.card_archived {
        return Err(AppError::NotArchived);
    }
    if state.list_archived {
        return Err(AppError::ListArchived);
    }
    // Its key was kept while it was archived: it comes back between whatever cards sort around it now.
    sqlx::query!(
        "update cards set archived_at = null, version = version + 1, updated_at = now() where id = $1",
        card_id,
    )
    .execute(btx.conn())
    .await?;
    let card = fetch_card(btx.conn(), card_id).await?;
    btx.emit(&EventKind::CardRestored { card: card.clone() }, op);
    Ok(Json(card))
}

#[utoipa::path(
    get,
    path = "/api/boards/{board_id}/archive",
    tag = "cards",
    params(("board_id" = uuid::Uuid, Path), ArchiveQuery),
    responses(
        (status = 200, description = "Archived lists and cards, most recently archived first", body = corkboard_protocol::ArchiveResponse),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
pub(super) async fn archived_items(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(board_id): Path<Uuid>,
    Query(query): Query<ArchiveQuery>,
) -> AppResult<Json<ArchiveResponse>> {
    let q = query.q.as_deref().unwrap_or("").trim();
    if q.chars().count() > TITLE_MAX_CHARS {
        return Err(AppError::validation("q", format!("must be at most {TITLE_MAX_CHARS} characters")));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query!("set transaction isolation level repeatable read, read only").execute(&mut *tx).await?;
    member_role(&mut tx, board_id, auth.user_id).await?.ok_or(AppError::NotFound(Resource::Board))?;
    let lists = sqlx::query!(
        r#"select l.id, l.board_id, l.title, l.position, l.archived_at,
                  (select count(*) from cards c where c.list_id = l.id and c.archived_at is null) as "card_count!"
           from lists l
           where l.board_id = $1 and l.archived_at is not null and strpos(lower(l.title), lower($2)) > 0
           order by l.archived_at desc, l.id
           limit $3"#,
        board_id,
        q,
        ARCHIVE_PAGE,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| ArchivedList {
        list: List {
            id: row.id,
            board_id: row.board_id,
            title: row.title,
            position: row.position,
            archived_at: row.archived_at,
        },
        card_count: row.card_count,
    })
    .collect();
    let cards = super::read::archived_cards(&mut tx, board_id, q, ARCHIVE_PAGE).await?;
    tx.commit().await?;
    Ok(Json(ArchiveResponse { lists, cards }))
}
