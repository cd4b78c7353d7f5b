//! Lists (the board's columns): create, rename, move, archive and restore (with their cards), and delete for good
//! once archived. Owns the `lists` rows.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{patch, post};
use corkboard_protocol::{
    CreateListRequest, EventKind, List, MoveListRequest, OpQuery, Placement, Role, UpdateListRequest, validate_title,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::cards;
use super::extract::{Json, Path, Query};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource};
use crate::eventlog::{BoardTx, board_of_op, check_op};
use crate::ordering::placement::{Siblings, place};
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(create_list, update_list, move_list, delete_list, archive_list, restore_list))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/boards/{board_id}/lists", post(create_list))
        .route("/api/lists/{list_id}", patch(update_list).delete(delete_list))
        .route("/api/lists/{list_id}/move", post(move_list))
        .route("/api/lists/{list_id}/archive", post(archive_list))
        .route("/api/lists/{list_id}/restore", post(restore_list))
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
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;
    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::ListCreated { list } => Some((StatusCode::CREATED, Json(list))),
            _ => None,
        });
    }
    let result = create(&mut btx, title, req.after_id, op).await;
    btx.finish(op, result).await
}

async fn create(
    btx: &mut BoardTx,
    title: String,
    after_id: Placement,
    op: Option<&str>,
) -> AppResult<(StatusCode, Json<List>)> {
    let board_id = btx.board_id;
    btx.require(Role::Editor)?;
    let position = place(btx, Siblings::Lists, after_id, None).await?;
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
    btx.emit(&EventKind::ListCreated { list: list.clone() }, op);
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
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;
    let mut btx = list_tx(&state.db, auth.user_id, list_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::ListUpdated { list } => Some(Json(list)),
            _ => None,
        });
    }
    let result = rename(&mut btx, list_id, title, op).await;
    btx.finish(op, result).await
}

async fn rename(btx: &mut BoardTx, list_id: Uuid, title: String, op: Option<&str>) -> AppResult<Json<List>> {
    btx.require(Role::Editor)?;
    require_on_board(btx.conn(), list_id).await?;
    let list = sqlx::query_as!(
        List,
        "update lists set title = $2, updated_at = now() where id = $1 returning id, board_id, title, position, archived_at",
        list_id,
        title,
    )
    .fetch_optional(btx.conn())
    .await?
    .ok_or(AppError::NotFound(Resource::List))?;
    btx.emit(&EventKind::ListUpdated { list: list.clone() }, op);
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
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = list_tx(&state.db, auth.user_id, list_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        prior.replay(|kind| matches!(kind, EventKind::ListMoved { .. }).then_some(()))?;
        let list = fetch_list(btx.conn(), list_id).await?;
        return Ok(Json(list));
    }
    let result = relocate(&mut btx, list_id, req.after_id, op).await;
    btx.finish(op, result).await
}

async fn relocate(btx: &mut BoardTx, list_id: Uuid, after_id: Option<Uuid>, op: Option<&str>) -> AppResult<Json<List>> {
    btx.require(Role::Editor)?;
    require_on_board(btx.conn(), list_id).await?;
    let position = place(btx, Siblings::Lists, Placement::from_after_id(after_id), Some(list_id)).await?;
    let list = sqlx::query_as!(
        List,
        "update lists set position = $2, updated_at = now() where id = $1 returning id, board_id, title, position, archived_at",
        list_id,
        position,
    )
    .fetch_optional(btx.conn())
    .await?
    .ok_or(AppError::NotFound(Resource::List))?;
    btx.emit(&EventKind::ListMoved { list_id, position: list.position.clone() }, op);
    Ok(Json(list))
}

#[utoipa::path(
    delete,
    path = "/api/lists/{list_id}",
    tag = "lists",
    params(("list_id" = uuid::Uuid, Path), OpQuery),
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
    Query(query): Query<OpQuery>,
) -> AppResult<StatusCode> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = match list_tx(&state.db, auth.user_id, list_id).await {
        // A repeat of a deletion finds the list gone: its board is found through the operation instead.
        Err(AppError::NotFound(Resource::List)) => match board_of_op(&state.db, auth.user_id, op).await? {
            Some(board_id) => BoardTx::begin(&state.db, board_id, auth.user_id, Resource::List).await?,
            None => return Err(AppError::NotFound(Resource::List)),
        },
        other => other?,
    };
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| matches!(kind, EventKind::ListDeleted { .. }).then_some(StatusCode::NO_CONTENT));
    }
    let result = delete(&mut btx, list_id, op).await;
    btx.finish(op, result).await
}

async fn delete(btx: &mut BoardTx, list_id: Uuid, op: Option<&str>) -> AppResult<StatusCode> {
    btx.require(Role::Admin)?;
    if fetch_list(btx.conn(), list_id).await?.archived_at.is_none() {
        return Err(AppError::NotArchived);
    }
    // The list's cards go with it (foreign key cascade); the one `list_deleted` event says so to clients.
    sqlx::query!("delete from lists where id = $1", list_id).execute(btx.conn()).await?;
    btx.emit(&EventKind::ListDeleted { list_id }, op);
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/lists/{list_id}/archive",
    tag = "lists",
    params(("list_id" = uuid::Uuid, Path), OpQuery),
    responses(
        (status = 200, description = "Archived with its cards", body = corkboard_protocol::List),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn archive_list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(list_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<Json<List>> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = list_tx(&state.db, auth.user_id, list_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        prior.replay(|kind| matches!(kind, EventKind::ListArchived { .. }).then_some(()))?;
        return Ok(Json(fetch_list(btx.conn(), list_id).await?));
    }
    let result = archive(&mut btx, list_id, op).await;
    btx.finish(op, result).await
}

async fn archive(btx: &mut BoardTx, list_id: Uuid, op: Option<&str>) -> AppResult<Json<List>> {
    btx.require(Role::Admin)?;
    require_on_board(btx.conn(), list_id).await?;
    // Its cards stay as they are: they leave the board with the list and come back with it.
    let list = sqlx::query_as!(
        List,
        "update lists set archived_at = now(), updated_at = now() where id = $1
         returning id, board_id, title, position, archived_at",
        list_id,
    )
    .fetch_one(btx.conn())
    .await?;
    btx.emit(&EventKind::ListArchived { list_id }, op);
    Ok(Json(list))
}

#[utoipa::path(
    post,
    path = "/api/lists/{list_id}/restore",
    tag = "lists",
    params(("list_id" = uuid::Uuid, Path), OpQuery),
    responses(
        (status = 200, description = "Back at its place, with its cards", body = corkboard_protocol::List),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn restore_list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(list_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<Json<List>> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = list_tx(&state.db, auth.user_id, list_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        prior.replay(|kind| matches!(kind, EventKind::ListRestored { .. }).then_some(()))?;
        return Ok(Json(fetch_list(btx.conn(), list_id).await?));
    }
    let result = restore(&mut btx, list_id, op).await;
    btx.finish(op, result).await
}

async fn restore(btx: &mut BoardTx, list_id: Uuid, op: Option<&str>) -> AppResult<Json<List>> {
    btx.require(Role::Admin)?;
    if fetch_list(btx.conn(), list_id).await?.archived_at.is_none() {
        return Err(AppError::NotArchived);
    }
    // Its key was kept while it was archived, so its place is still its own.
    let list = sqlx::query_as!(
        List,
        "update lists set archived_at = null, updated_at = now() where id = $1
         returning id, board_id, title, position, archived_at",
        list_id,
    )
    .fetch_one(btx.conn())
    .await?;
    let board_id = btx.board_id;
    let cards = cards::read::board_cards(btx.conn(), board_id).await?.into_iter().filter(|c| c.list_id == list_id);
    btx.emit(&EventKind::ListRestored { list: list.clone(), cards: cards.collect() }, op);
    Ok(Json(list))
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

/// The list as it is now, archived or not; 404 when it is gone.
pub async fn fetch_list(conn: &mut PgConnection, list_id: Uuid) -> AppResult<List> {
    sqlx::query_as!(List, "select id, board_id, title, position, archived_at from lists where id = $1", list_id)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound(Resource::List))
}

/// Refuses a change to a list that is archived as if it were gone (only restore and delete reach those).
pub async fn require_on_board(conn: &mut PgConnection, list_id: Uuid) -> AppResult<()> {
    match fetch_list(conn, list_id).await?.archived_at {
        None => Ok(()),
        Some(_) => Err(AppError::NotFound(Resource::List)),
    }
}

/// Gives a list a new order key and nothing else (a rebalance; its caller emits the event).
pub async fn set_position(conn: &mut PgConnection, list_id: Uuid, position: &str) -> AppResult<()> {
    sqlx::query!("update lists set position = $2 where id = $1", list_id, position).execute(conn).await?;
    Ok(())
}
