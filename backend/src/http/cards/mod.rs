//! Cards: create, edit (with optimistic versions, dates included), archive and restore (`archive`), delete for
//! good once archived, and the move (`moves`). Owns the `cards` rows: every statement that writes one is here,
//! but for the move's own (see `moves`). `read` reads cards with what their faces show.

pub mod archive;
pub mod moves;
pub mod read;

pub use read::fetch_card;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use corkboard_protocol::{
    Card, CreateCardRequest, EventKind, OpQuery, Placement, Role, UpdateCardRequest, validate_client_op_id,
    validate_description, validate_title,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::extract::{Json, Path, Query};
use super::lists::{self, list_tx};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, FieldErrors, Resource};
use crate::eventlog::{BoardTx, board_of_op, check_op};
use crate::ordering::placement::{Siblings, place};
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_card,
    update_card,
    delete_card,
    moves::move_card_handler,
    archive::archive_card,
    archive::restore_card,
    archive::archived_items
))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/lists/{list_id}/cards", post(create_card))
        .route("/api/cards/{card_id}", axum::routing::patch(update_card).delete(delete_card))
        .route("/api/cards/{card_id}/move", post(moves::move_card_handler))
        .route("/api/cards/{card_id}/archive", post(archive::archive_card))
        .route("/api/cards/{card_id}/restore", post(archive::restore_card))
        .route("/api/boards/{board_id}/archive", axum::routing::get(archive::archived_items))
}

#[utoipa::path(
    post,
    path = "/api/lists/{list_id}/cards",
    tag = "cards",
    params(("list_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::CreateCardRequest,
    responses(
        (status = 201, description = "Created", body = corkboard_protocol::Card),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn create_card(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(list_id): Path<Uuid>,
    Json(req): Json<CreateCardRequest>,
) -> AppResult<(StatusCode, Json<Card>)> {
    let mut problems = FieldErrors::default();
    let title = problems.check("title", validate_title(&req.title));
    let description = problems.check("description", validate_description(req.description.as_deref().unwrap_or("")));
    let op = req.client_op_id.as_deref();
    if let Some(op) = op {
        problems.check("client_op_id", validate_client_op_id(op));
    }
    problems.finish()?;

    let mut btx = list_tx(&state.db, auth.user_id, list_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::CardCreated { card } => Some((StatusCode::CREATED, Json(card))),
            _ => None,
        });
    }
    let result = create(&mut btx, list_id, title, description, req.after_id, op).await;
    btx.finish(op, result).await
}

async fn create(
    btx: &mut BoardTx,
    list_id: Uuid,
    title: String,
    description: String,
    after_id: Placement,
    op: Option<&str>,
) -> AppResult<(StatusCode, Json<Card>)> {
    btx.require(Role::Editor)?;
    lists::require_on_board(btx.conn(), list_id).await?;
    let position = place(btx, Siblings::CardsOf(list_id), after_id, None).await?;
    // A new card has nothing on it yet: its face data are empty.
    let card = sqlx::query_as!(
        read::CardRow,
        r#"insert into cards (id, board_id, list_id, title, description, position) values ($1, $2, $3, $4, $5, $6)
           returning id, board_id, list_id, title, description, position, version, created_at, updated_at, start_at,
                     due_at, completed, archived_at, '{}'::uuid[] as "label_ids!", '{}'::uuid[] as "member_ids!",
                     0::int8 as "items_done!", 0::int8 as "items_total!", 0::int8 as "comment_count!""#,
        Uuid::now_v7(),
        btx.board_id,
        list_id,
        title,
        description,
        position,
    )
    .fetch_one(btx.conn())
    .await
    .map(Card::from)?;
    btx.emit(&EventKind::CardCreated { card: card.clone() }, op);
    Ok((StatusCode::CREATED, Json(card)))
}

#[utoipa::path(
    patch,
    path = "/api/cards/{card_id}",
    tag = "cards",
    params(("card_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::UpdateCardRequest,
    responses(
        (status = 200, description = "Changed", body = corkboard_protocol::Card),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn update_card(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Json(req): Json<UpdateCardRequest>,
) -> AppResult<Json<Card>> {
    let mut problems = FieldErrors::default();
    let title = req.title.as_deref().map(|t| problems.check("title", validate_title(t)));
    let description = req.description.as_deref().map(|d| problems.check("description", validate_description(d)));
    if title.is_none()
        && description.is_none()
        && req.start_at.is_none()
        && req.due_at.is_none()
        && req.completed.is_none()
    {
        problems.check::<()>("title", Err("give a title, description, start_at, due_at or completed to change".into()));
    }
    let op = req.client_op_id.as_deref();
    if let Some(op) = op {
        problems.check("client_op_id", validate_client_op_id(op));
    }
    problems.finish()?;

    let mut btx = card_tx(&state.db, auth.user_id, card_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::CardUpdated { card } => Some(Json(card)),
            _ => None,
        });
    }
    let result = update(&mut btx, card_id, &req, title, description).await;
    btx.finish(op, result).await
}

async fn update(
    btx: &mut BoardTx,
    card_id: Uuid,
    req: &UpdateCardRequest,
    title: Option<String>,
    description: Option<String>,
) -> AppResult<Json<Card>> {
    btx.require(Role::Editor)?;
    require_on_board(btx.conn(), card_id).await?;
    let current = fetch_card(btx.conn(), card_id).await?;
    if req.expected_version.is_some_and(|expected| expected != current.version) {
        return Err(AppError::VersionConflict(Box::new(current)));
    }
    let start_at = req.start_at.unwrap_or(current.start_at);
    let due_at = req.due_at.unwrap_or(current.due_at);
    if let (Some(start), Some(due)) = (start_at, due_at)
        && start > due
    {
        return Err(AppError::validation("start_at", "must not be after the due date"));
    }
    sqlx::query!(
        "update cards set title = coalesce($2, title), description = coalesce($3, description),
                          start_at = $4, due_at = $5, completed = coalesce($6, completed),
                          version = version + 1, updated_at = now()
         where id = $1",
        card_id,
        title,
        description,
        start_at,
        due_at,
        req.completed,
    )
    .execute(btx.conn())
    .await?;
    let card = fetch_card(btx.conn(), card_id).await?;
    btx.emit(&EventKind::CardUpdated { card: card.clone() }, req.client_op_id.as_deref());
    Ok(Json(card))
}

#[utoipa::path(
    delete,
    path = "/api/cards/{card_id}",
    tag = "cards",
    params(("card_id" = uuid::Uuid, Path), OpQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn delete_card(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<StatusCode> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = match card_tx(&state.db, auth.user_id, card_id).await {
        // A repeat of a deletion finds the card gone: its board is found through the operation instead.
        Err(AppError::NotFound(Resource::Card)) => match board_of_op(&state.db, auth.user_id, op).await? {
            Some(board_id) => BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Card).await?,
            None => return Err(AppError::NotFound(Resource::Card)),
        },
        other => other?,
    };
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| matches!(kind, EventKind::CardDeleted { .. }).then_some(StatusCode::NO_CONTENT));
    }
    let result = delete(&mut btx, card_id, op).await;
    btx.finish(op, result).await
}

/// Deleting for good is for admins, of an archived card (or one in an archived list) only: everything else is
/// archived first, so nothing is lost by a slip.
async fn delete(btx: &mut BoardTx, card_id: Uuid, op: Option<&str>) -> AppResult<StatusCode> {
    btx.require(Role::Admin)?;
    if require_on_board(btx.conn(), card_id).await.is_ok() {
        return Err(AppError::NotArchived);
    }
    let list_id = sqlx::query_scalar!("delete from cards where id = $1 returning list_id", card_id)
        .fetch_optional(btx.conn())
        .await?
        .ok_or(AppError::NotFound(Resource::Card))?;
    btx.emit(&EventKind::CardDeleted { card_id, list_id }, op);
    Ok(StatusCode::NO_CONTENT)
}

/// A transaction on the board of `card_id`; strangers get `card_not_found`.
async fn card_tx(db: &PgPool, actor_id: Uuid, card_id: Uuid) -> AppResult<BoardTx> {
    BoardTx::begin_for_card(db, card_id, actor_id).await
}

/// Puts a card at `position` in `list_id` (a move that needed a rebalance), a new version of it.
pub async fn relocate(conn: &mut PgConnection, card_id: Uuid, list_id: Uuid, position: &str) -> AppResult<Card> {
    sqlx::query!(
        "update cards set list_id = $2, position = $3, version = version + 1, updated_at = now() where id = $1",
        card_id,
        list_id,
        position,
    )
    .execute(&mut *conn)
    .await?;
    fetch_card(conn, card_id).await
}

/// Gives a card a new order key in its list (a rebalance; its caller emits the event), and returns its new
/// version.
pub async fn set_position(conn: &mut PgConnection, card_id: Uuid, position: &str) -> AppResult<i64> {
    Ok(sqlx::query_scalar!(
        "update cards set position = $2, version = version + 1, updated_at = now()
                     where id = $1 returning version",
        card_id,
        position,
    )
    .fetch_one(conn)
    .await?)
}

/// Refuses a change to a card that is not on the board (archived, or in an archived list) as if it did not exist:
/// only reads reach those. Call it after `BoardTx::prior`, so a repeat of an operation applied before the card
/// was archived still gets its first answer.
pub async fn require_on_board(conn: &mut PgConnection, card_id: Uuid) -> AppResult<()> {
    sqlx::query_scalar!(
        "select 1 as one from cards c join lists l on l.id = c.list_id
         where c.id = $1 and c.archived_at is null and l.archived_at is null",
        card_id,
    )
    .fetch_optional(conn)
    .await?
    .map(|_| ())
    .ok_or(AppError::NotFound(Resource::Card))
}
