//! Comments on cards (API.md, "Comments"). Owns the `comments` rows.
//!
//! A comment is rendered once, when it is written: `body_html` is stored with it and carried by its events, so
//! readers never pay for Markdown and every client shows the same sanitised HTML.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{patch, post};
use corkboard_protocol::{Comment, CommentRequest, EventKind, OpQuery, Role, validate_comment_body};
use sqlx::PgConnection;
use uuid::Uuid;

use super::cards;
use super::checklists::begin_on;
use super::extract::{Json, Path, Query};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource};
use crate::eventlog::{BoardTx, check_op};
use crate::markdown;
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(add_comment, edit_comment, delete_comment))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/cards/{card_id}/comments", post(add_comment))
        .route("/api/comments/{comment_id}", patch(edit_comment).delete(delete_comment))
}

#[utoipa::path(
    post,
    path = "/api/cards/{card_id}/comments",
    tag = "comments",
    params(("card_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::CommentRequest,
    responses(
        (status = 201, description = "Added", body = corkboard_protocol::Comment),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn add_comment(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Json(req): Json<CommentRequest>,
) -> AppResult<(StatusCode, Json<Comment>)> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let body = validate_comment_body(&req.body).map_err(|problem| AppError::validation("body", problem))?;
    // Rendered before the board is locked: nobody waits on Markdown.
    let body_html = markdown::render(&body);

    let board_id =
        sqlx::query_scalar!("select board_id from cards where id = $1", card_id).fetch_optional(&state.db).await?;
    let mut btx = begin_on(&state.db, auth.user_id, board_id, op, Resource::Card).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::CommentAdded { comment, .. } => Some((StatusCode::CREATED, Json(comment))),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        cards::require_on_board(btx.conn(), card_id).await?;
        let comment = sqlx::query_as!(
            Comment,
            // The clock, not the transaction's start: comments are paged by when they were written.
            "insert into comments (id, card_id, board_id, author_id, body, body_html, created_at)
             values ($1, $2, $3, $4, $5, $6, clock_timestamp())
             returning id, card_id, author_id, body, body_html, created_at, edited_at",
            Uuid::now_v7(),
            card_id,
            btx.board_id,
            auth.user_id,
            body,
            body_html,
        )
        .fetch_one(btx.conn())
        .await?;
        let comment_count = comment_count(btx.conn(), card_id).await?;
        btx.emit(&EventKind::CommentAdded { comment: comment.clone(), comment_count }, op);
        Ok::<_, AppError>((StatusCode::CREATED, Json(comment)))
    }
    .await;
    btx.finish(op, result).await
}

#[utoipa::path(
    patch,
    path = "/api/comments/{comment_id}",
    tag = "comments",
    params(("comment_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::CommentRequest,
    responses(
        (status = 200, description = "Edited (by its author)", body = corkboard_protocol::Comment),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn edit_comment(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(comment_id): Path<Uuid>,
    Json(req): Json<CommentRequest>,
) -> AppResult<Json<Comment>> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let body = validate_comment_body(&req.body).map_err(|problem| AppError::validation("body", problem))?;
    let body_html = markdown::render(&body);

    let mut btx = comment_tx(&state, auth.user_id, comment_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::CommentEdited { comment, .. } => Some(Json(comment)),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        let written = written_by(&mut btx, comment_id).await?;
        if written.author_id != Some(btx.actor_id) {
            return Err(AppError::Forbidden("Only its author can edit a comment."));
        }
        cards::require_on_board(btx.conn(), written.card_id).await?;
        let comment = sqlx::query_as!(
            Comment,
            "update comments set body = $2, body_html = $3, edited_at = clock_timestamp() where id = $1
             returning id, card_id, author_id, body, body_html, created_at, edited_at",
            comment_id,
            body,
            body_html,
        )
        .fetch_one(btx.conn())
        .await?;
        let comment_count = comment_count(btx.conn(), written.card_id).await?;
        btx.emit(&EventKind::CommentEdited { comment: comment.clone(), comment_count }, op);
        Ok::<_, AppError>(Json(comment))
    }
    .await;
    btx.finish(op, result).await
}

#[utoipa::path(
    delete,
    path = "/api/comments/{comment_id}",
    tag = "comments",
    params(("comment_id" = uuid::Uuid, Path), OpQuery),
    responses(
        (status = 204, description = "Deleted (by its author or an admin)"),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn delete_comment(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(comment_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<StatusCode> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = comment_tx(&state, auth.user_id, comment_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::CommentDeleted { .. } => Some(StatusCode::NO_CONTENT),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        let written = written_by(&mut btx, comment_id).await?;
        // Admins moderate; everyone else only takes back their own words.
        if written.author_id != Some(btx.actor_id) && !btx.role.can_admin() {
            return Err(AppError::Forbidden("Only its author or an admin can delete a comment."));
        }
        cards::require_on_board(btx.conn(), written.card_id).await?;
        sqlx::query!("delete from comments where id = $1", comment_id).execute(btx.conn()).await?;
        let card_id = written.card_id;
        let comment_count = comment_count(btx.conn(), card_id).await?;
        btx.emit(&EventKind::CommentDeleted { comment_id, card_id, comment_count }, op);
        Ok::<_, AppError>(StatusCode::NO_CONTENT)
    }
    .await;
    btx.finish(op, result).await
}

async fn comment_tx(state: &AppState, actor_id: Uuid, comment_id: Uuid, op: Option<&str>) -> AppResult<BoardTx> {
    let board_id = sqlx::query_scalar!("select board_id from comments where id = $1", comment_id)
        .fetch_optional(&state.db)
        .await?;
    begin_on(&state.db, actor_id, board_id, op, Resource::Comment).await
}

/// Whose a comment of the transaction's board is, and on which card.
struct Written {
    card_id: Uuid,
    author_id: Option<Uuid>,
}

async fn written_by(btx: &mut BoardTx, comment_id: Uuid) -> AppResult<Written> {
    let board_id = btx.board_id;
    sqlx::query_as!(
        Written,
        "select card_id, author_id from comments where id = $1 and board_id = $2",
        comment_id,
        board_id,
    )
    .fetch_optional(btx.conn())
    .await?
    .ok_or(AppError::NotFound(Resource::Comment))
}

async fn comment_count(conn: &mut PgConnection, card_id: Uuid) -> AppResult<i64> {
    Ok(sqlx::query_scalar!(r#"select count(*) as "n!" from comments where card_id = $1"#, card_id)
        .fetch_one(conn)
        .await?)
}

/// A page of a card's comments, newest first: those older than `before` (a `(created_at, id)` of the card's, or
/// the newest when `None`), at most `limit`, and whether older ones remain.
pub async fn comments_page(
    conn: &mut PgConnection,
    card_id: Uuid,
    before: Option<(time::OffsetDateTime, Uuid)>,
    limit: i64,
) -> AppResult<(Vec<Comment>, bool)> {
    let (before_at, before_id) = before.unzip();
    let mut comments = sqlx::query_as!(
        Comment,
        // One more than asked for says whether there are more.
        r#"select id, card_id, author_id, body, body_html, created_at, edited_at from comments
           where card_id = $1 and ($2::timestamptz is null or (created_at, id) < ($2::timestamptz, $3::uuid))
           order by created_at desc, id desc limit $4"#,
        card_id,
        before_at,
        before_id,
        limit + 1,
    )
    .fetch_all(conn)
    .await?;
    let more = comments.len() as i64 > limit;
    comments.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((comments, more))
}

/// Where a comment of `card_id` stands in the card's order, to page from; 404 when it is not one of the card's.
pub async fn comment_cursor(
    conn: &mut PgConnection,
    card_id: Uuid,
    comment_id: Uuid,
) -> AppResult<(time::OffsetDateTime, Uuid)> {
    let row = sqlx::query!("select created_at, id from comments where id = $1 and card_id = $2", comment_id, card_id)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound(Resource::Comment))?;
    Ok((row.created_at, row.id))
}
