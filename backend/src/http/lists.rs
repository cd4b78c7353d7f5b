//! Lists (the board's columns): create, rename, move, delete (their cards go with them). Owns the `lists` rows.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{patch, post};
use corkboard_protocol::{
    CreateListRequest, EventKind, List, MoveListRequest, Placement, Role, UpdateListRequest, validate_title,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource};
use crate::eventlog::BoardTx;
use crate::ordering::placement::{Siblings, place};
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(create_list, update_list, move_list, delete_list))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/boards/{board_id}/lists", post(create_list))
        .route("/api/lists/{list_id}", patch(update_list).delete(delete_list))
        .route("/api/lists/{list_id}/move", post(move_list))
}

#[utoipa::path(
    post,
    path = "/api/boards/{board_id}/lists",
    tag = "lists",
    params(("board_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::CreateListRequest,
    responses(
        (status = 201, description = "Created", body = corkboard_protocol::List),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn create_list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(board_id): Path<Uuid>,
    Json(req): Json<CreateListRequest>,
) -> AppResult<(StatusCode, Json<List>)> {
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;
    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    btx.require(Role::Editor)?;
    let position = place(&mut btx, Siblings::Lists, req.after_id, None).await?;
    let list = sqlx::query_as!(
        List,
        "insert into lists (id, board_id, title, position) values ($1, $2, $3, $4)
         returning id, board_id, title, position, archived_at",
        Uuid::now_v7(),
        board_id,
        title,
        position,
    )
    .fetch_one(btx.conn())
    .await?;
    btx.emit(&EventKind::ListCreated { list: list.clone() }, None);
    btx.commit().await?;
    Ok((StatusCode::CREATED, Json(list)))
}

#[utoipa::path(
    patch,
    path = "/api/lists/{list_id}",
    tag = "lists",
    params(("list_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::UpdateListRequest,
    responses(
        (status = 200, description = "Renamed", body = corkboard_protocol::List),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn update_list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(list_id): Path<Uuid>,
    Json(req): Json<UpdateListRequest>,
) -> AppResult<Json<List>> {
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;
    let mut btx = list_tx(&state.db, auth.user_id, list_id).await?;
    btx.require(Role::Editor)?;
    let list = sqlx::query_as!(
        List,
        "update lists set title = $2, updated_at = now() where id = $1 returning id, board_id, title, position, archived_at",
        list_id,
        title,
    )
    .fetch_optional(btx.conn())
    .await?
    .ok_or(AppError::NotFound(Resource::List))?;
    btx.emit(&EventKind::ListUpdated { list: list.clone() }, None);
    btx.commit().await?;
    Ok(Json(list))
}

#[utoipa::path(
    post,
    path = "/api/lists/{list_id}/move",
    tag = "lists",
    params(("list_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::MoveListRequest,
    responses(
        (status = 200, description = "Moved", body = corkboard_protocol::List),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn move_list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(list_id): Path<Uuid>,
    Json(req): Json<MoveListRequest>,
) -> AppResult<Json<List>> {
    let mut btx = list_tx(&state.db, auth.user_id, list_id).await?;
    btx.require(Role::Editor)?;
    let position = place(&mut btx, Siblings::Lists, Placement::from_after_id(req.after_id), Some(list_id)).await?;
    let list = sqlx::query_as!(
        List,
        "update lists set position = $2, updated_at = now() where id = $1 returning id, board_id, title, position, archived_at",
        list_id,
        position,
    )
    .fetch_optional(btx.conn())
    .await?
    .ok_or(AppError::NotFound(Resource::List))?;
    btx.emit(&EventKind::ListMoved { list_id, position: list.position.clone() }, None);
    btx.commit().await?;
    Ok(Json(list))
}

#[utoipa::path(
    delete,
    path = "/api/lists/{list_id}",
    tag = "lists",
    params(("list_id" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Deleted with its cards"),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn delete_list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(list_id): Path<Uuid>,
) -> AppResult<StatusCode> {
    let mut btx = list_tx(&state.db, auth.user_id, list_id).await?;
    btx.require(Role::Editor)?;
    // The list's cards go with it (foreign key cascade); the one `list_deleted` event says so to clients.
    let deleted = sqlx::query!("delete from lists where id = $1", list_id).execute(btx.conn()).await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound(Resource::List));
    }
    btx.emit(&EventKind::ListDeleted { list_id }, None);
    btx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A transaction on the board of `list_id`; strangers (and a list that is gone) get `list_not_found`.
pub async fn list_tx(db: &PgPool, actor_id: Uuid, list_id: Uuid) -> AppResult<BoardTx> {
    let board_id = sqlx::query_scalar!("select board_id from lists where id = $1", list_id)
        .fetch_optional(db)
        .await?
        .ok_or(AppError::NotFound(Resource::List))?;
    let mut btx = BoardTx::begin(db, board_id, actor_id, Resource::List).await?;
    // It may have been deleted between the lookup and the lock.
    sqlx::query_scalar!("select 1 as one from lists where id = $1", list_id)
        .fetch_optional(btx.conn())
        .await?
        .ok_or(AppError::NotFound(Resource::List))?;
    Ok(btx)
}

/// Gives a list a new order key and nothing else (a rebalance; its caller emits the event).
pub async fn set_position(conn: &mut PgConnection, list_id: Uuid, position: &str) -> AppResult<()> {
    sqlx::query!("update lists set position = $2 where id = $1", list_id, position).execute(conn).await?;
    Ok(())
}
