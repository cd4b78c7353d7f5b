//! Cards: create, edit (with optimistic versions), move (the one move path of REST and WebSocket), delete.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use corkboard_protocol::{
    Card, CreateCardRequest, EventKind, MoveCardRequest, MoveCardResponse, Placement, Role, UpdateCardRequest,
    validate_client_op_id, validate_description, validate_title,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, FieldErrors, Resource};
use crate::events::{BoardTx, applied_op_seq};
use crate::extract::{Json, Path};
use crate::lists::list_tx;
use crate::placement::{Siblings, place};
use crate::state::AppState;
use crate::telemetry::MOVE_COMMIT_SECONDS;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/lists/{list_id}/cards", post(create_card))
        .route("/api/cards/{card_id}", axum::routing::patch(update_card).delete(delete_card))
        .route("/api/cards/{card_id}/move", post(move_card_handler))
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
    problems.finish()?;

    let mut btx = list_tx(&state.db, auth.user_id, list_id).await?;
    btx.require(Role::Editor)?;
    let position = place(&mut btx, Siblings::CardsOf(list_id), req.after_id, None).await?;
    let card = sqlx::query_as!(
        Card,
        "insert into cards (id, board_id, list_id, title, description, position) values ($1, $2, $3, $4, $5, $6)
         returning id, board_id, list_id, title, description, position, version, created_at, updated_at",
        Uuid::now_v7(),
        btx.board_id,
        list_id,
        title,
        description,
        position,
    )
    .fetch_one(btx.conn())
    .await?;
    btx.emit(&EventKind::CardCreated { card: card.clone() }, None).await?;
    btx.commit().await?;
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
    if title.is_none() && description.is_none() {
        problems.check::<()>("title", Err("give a title or a description to change".into()));
    }
    problems.finish()?;

    let mut btx = card_tx(&state.db, auth.user_id, card_id).await?;
    btx.require(Role::Editor)?;
    let current = fetch_card(btx.conn(), card_id).await?;
    if req.expected_version.is_some_and(|expected| expected != current.version) {
        return Err(AppError::VersionConflict(Box::new(current)));
    }
    let card = sqlx::query_as!(
        Card,
        "update cards set title = coalesce($2, title), description = coalesce($3, description),
                          version = version + 1, updated_at = now()
         where id = $1
         returning id, board_id, list_id, title, description, position, version, created_at, updated_at",
        card_id,
        title,
        description,
    )
    .fetch_one(btx.conn())
    .await?;
    btx.emit(&EventKind::CardUpdated { card: card.clone() }, None).await?;
    btx.commit().await?;
    Ok(Json(card))
}

#[utoipa::path(
    delete,
    path = "/api/cards/{card_id}",
    tag = "cards",
    params(("card_id" = uuid::Uuid, Path)),
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
) -> AppResult<StatusCode> {
    let mut btx = card_tx(&state.db, auth.user_id, card_id).await?;
    btx.require(Role::Editor)?;
    let list_id = sqlx::query_scalar!("delete from cards where id = $1 returning list_id", card_id)
        .fetch_optional(btx.conn())
        .await?
        .ok_or(AppError::NotFound(Resource::Card))?;
    btx.emit(&EventKind::CardDeleted { card_id, list_id }, None).await?;
    btx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/cards/{card_id}/move",
    tag = "cards",
    params(("card_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::MoveCardRequest,
    responses(
        (status = 200, description = "Moved (or, for a repeated client_op_id, the first result)", body = corkboard_protocol::MoveCardResponse),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn move_card_handler(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Json(req): Json<MoveCardRequest>,
) -> AppResult<Json<MoveCardResponse>> {
    move_card(&state, auth.user_id, card_id, req, None).await.map(Json)
}

/// Moves a card: THE move path, shared by `POST /api/cards/{id}/move` and the WebSocket `move_card` frame.
///
/// A `client_op_id` that this user already applied on the board is not applied again: the answer carries the
/// first application's seq. With `within_board`, a card of any other board is `card_not_found`.
pub async fn move_card(
    state: &AppState,
    actor_id: Uuid,
    card_id: Uuid,
    req: MoveCardRequest,
    within_board: Option<Uuid>,
) -> AppResult<MoveCardResponse> {
    let started = std::time::Instant::now();
    if let Some(op) = &req.client_op_id {
        validate_client_op_id(op).map_err(|problem| AppError::validation("client_op_id", problem))?;
    }
    let board_id = board_of_card(&state.db, card_id).await?;
    if within_board.is_some_and(|b| b != board_id) {
        return Err(AppError::NotFound(Resource::Card));
    }
    let mut btx = BoardTx::begin(&state.db, board_id, actor_id, Resource::Card).await?;
    btx.require(Role::Editor)?;
    if let Some(op) = &req.client_op_id
        && let Some(seq) = applied_op_seq(btx.conn(), board_id, actor_id, op).await?
    {
        // Already applied (a resend after a reconnect): report the first result, change nothing.
        let card = fetch_card(btx.conn(), card_id).await?;
        return Ok(MoveCardResponse { card, seq });
    }
    let from_list_id = sqlx::query_scalar!("select list_id from cards where id = $1", card_id)
        .fetch_optional(btx.conn())
        .await?
        .ok_or(AppError::NotFound(Resource::Card))?;
    let target_in_board =
        sqlx::query_scalar!("select 1 as one from lists where id = $1 and board_id = $2", req.list_id, board_id)
            .fetch_optional(btx.conn())
            .await?
            .is_some();
    if !target_in_board {
        return Err(AppError::StalePosition);
    }
    let placement = Placement::from_after_id(req.after_id);
    let position = place(&mut btx, Siblings::CardsOf(req.list_id), placement, Some(card_id)).await?;
    let card = sqlx::query_as!(
        Card,
        "update cards set list_id = $2, position = $3, version = version + 1, updated_at = now()
         where id = $1
         returning id, board_id, list_id, title, description, position, version, created_at, updated_at",
        card_id,
        req.list_id,
        position,
    )
    .fetch_one(btx.conn())
    .await?;
    let moved = EventKind::CardMoved {
        card_id,
        from_list_id,
        to_list_id: card.list_id,
        position: card.position.clone(),
        version: card.version,
    };
    let seq = btx.emit(&moved, req.client_op_id.as_deref()).await?;
    btx.commit().await?;
    metrics::histogram!(MOVE_COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
    Ok(MoveCardResponse { card, seq })
}

/// The board a card belongs to; 404 when there is no such card.
async fn board_of_card(db: &PgPool, card_id: Uuid) -> AppResult<Uuid> {
    sqlx::query_scalar!("select board_id from cards where id = $1", card_id)
        .fetch_optional(db)
        .await?
        .ok_or(AppError::NotFound(Resource::Card))
}

/// A transaction on the board of `card_id`; strangers get `card_not_found`.
async fn card_tx(db: &PgPool, actor_id: Uuid, card_id: Uuid) -> AppResult<BoardTx> {
    let board_id = board_of_card(db, card_id).await?;
    BoardTx::begin(db, board_id, actor_id, Resource::Card).await
}

/// A card as it is now in the caller's transaction; 404 when it is gone.
async fn fetch_card(conn: &mut PgConnection, card_id: Uuid) -> AppResult<Card> {
    sqlx::query_as!(
        Card,
        "select id, board_id, list_id, title, description, position, version, created_at, updated_at
         from cards where id = $1",
        card_id,
    )
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound(Resource::Card))
}
