//! One card with everything on it (`GET /api/cards/{id}`), and its older comments page by page. Only reads:
//! archived cards too, for every member, viewers included (API.md, "The snapshot and one card").

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use corkboard_protocol::{COMMENTS_PAGE, COMMENTS_PAGE_MAX, CardDetail, CommentsPage, CommentsQuery};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use super::extract::{Json, Path, Query};
use super::members::member_role;
use super::{cards, checklists, comments};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource};
use crate::markdown;
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(card_detail, card_comments))]
pub struct Api;

pub fn router() -> Router<AppState> {
    // The PATCH and DELETE of the same path are the cards module's; axum merges the methods of one path.
    Router::new()
        .route("/api/cards/{card_id}", get(card_detail))
        .route("/api/cards/{card_id}/comments", get(card_comments))
}

#[utoipa::path(
    get,
    path = "/api/cards/{card_id}",
    tag = "cards",
    params(("card_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The card, its rendered description, checklists, items and newest comments", body = corkboard_protocol::CardDetail),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn card_detail(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
) -> AppResult<Json<CardDetail>> {
    let mut tx = read_tx(&state).await?;
    let card = cards::fetch_card(&mut tx, card_id).await?;
    require_member(&mut tx, card.board_id, auth.user_id).await?;
    let checklists = checklists::card_checklists(&mut tx, card_id).await?;
    let items = checklists::card_items(&mut tx, card_id).await?;
    let (comments, more_comments) = comments::comments_page(&mut tx, card_id, None, COMMENTS_PAGE).await?;
    tx.commit().await?;
    let description_html = markdown::render(&card.description);
    Ok(Json(CardDetail { card, description_html, checklists, items, comments, more_comments }))
}

#[utoipa::path(
    get,
    path = "/api/cards/{card_id}/comments",
    tag = "comments",
    params(("card_id" = uuid::Uuid, Path), CommentsQuery),
    responses(
        (status = 200, description = "The comments older than `before`, newest first", body = corkboard_protocol::CommentsPage),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn card_comments(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Query(query): Query<CommentsQuery>,
) -> AppResult<Json<CommentsPage>> {
    let limit = query.limit.unwrap_or(COMMENTS_PAGE);
    if !(1..=COMMENTS_PAGE_MAX).contains(&limit) {
        return Err(AppError::validation("limit", format!("must be 1 to {COMMENTS_PAGE_MAX}")));
    }
    let mut tx = read_tx(&state).await?;
    let board_id = sqlx::query_scalar!("select board_id from cards where id = $1", card_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound(Resource::Card))?;
    require_member(&mut tx, board_id, auth.user_id).await?;
    let before = match query.before {
        Some(comment_id) => Some(comments::comment_cursor(&mut tx, card_id, comment_id).await?),
        None => None,
    };
    let (comments, more) = comments::comments_page(&mut tx, card_id, before, limit).await?;
    tx.commit().await?;
    Ok(Json(CommentsPage { comments, more }))
}

/// One consistent view of the card and everything on it.
async fn read_tx(state: &AppState) -> AppResult<Transaction<'static, Postgres>> {
    let mut tx = state.db.begin().await?;
    sqlx::query!("set transaction isolation level repeatable read, read only").execute(&mut *tx).await?;
    Ok(tx)
}

/// Members of the card's board read it; for anyone else the card does not exist.
async fn require_member(conn: &mut PgConnection, board_id: Uuid, user_id: Uuid) -> AppResult<()> {
    member_role(conn, board_id, user_id).await?.map(|_| ()).ok_or(AppError::NotFound(Resource::Card))
}
