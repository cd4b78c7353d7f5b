//! Boards: the caller's list, create, the snapshot a client starts from, rename, delete. Owns the `boards` rows
//! (their title and soft delete); their `seq` is the event log's.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use corkboard_protocol::{
    Board, BoardChange, BoardSummary, BoardsResponse, CreateBoardRequest, EventKind, List, OpQuery, Role, Snapshot,
    UpdateBoardRequest, validate_title,
};
use sqlx::PgConnection;
use uuid::Uuid;

use super::extract::{Json, Path, Query};
use super::members::{self, load_members, member_role};
use super::{cards, labels};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource};
use crate::eventlog::{Audience, BoardTx, check_op};
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_boards, create_board, snapshot, update_board, delete_board))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/boards", get(list_boards).post(create_board))
        .route("/api/boards/{board_id}", get(snapshot).patch(update_board).delete(delete_board))
}

#[utoipa::path(
    get,
    path = "/api/boards",
    tag = "boards",
    responses(
        (status = 200, description = "The caller's boards, most recently changed first", body = corkboard_protocol::BoardsResponse),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
async fn list_boards(State(state): State<AppState>, auth: AuthUser) -> AppResult<Json<BoardsResponse>> {
    let boards = sqlx::query_as!(
        BoardSummary,
        r#"select b.id, b.title, m.role as "role: Role", b.updated_at
           from boards b join board_members m on m.board_id = b.id
           where m.user_id = $1 and b.deleted_at is null
           order by b.updated_at desc, b.id"#,
        auth.user_id,
    )
    .fetch_all(&state.db)
    .await?;
    Ok(Json(BoardsResponse { boards }))
}

#[utoipa::path(
    post,
    path = "/api/boards",
    tag = "boards",
    request_body = corkboard_protocol::CreateBoardRequest,
    responses(
        (status = 201, description = "Created; the caller is its owner", body = corkboard_protocol::Board),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn create_board(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateBoardRequest>,
) -> AppResult<(StatusCode, Json<Board>)> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;
    let mut tx = state.db.begin().await?;
    // A new board starts at seq 0: its creation and its owner are the state before the first event. So the
    // operation's id is kept on the board itself: a repeat finds it there (a concurrent repeat waits on the
    // unique index for the first to commit, then finds it too).
    let created = sqlx::query_as!(
        Board,
        "insert into boards (id, title, created_by, created_op) values ($1, $2, $3, $4)
         on conflict (created_by, created_op) where created_op is not null do nothing
         returning id, title, seq, created_at, updated_at",
        Uuid::now_v7(),
        title,
        auth.user_id,
        op,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(board) = created else {
        let first = sqlx::query_as!(
            Board,
            "select id, title, seq, created_at, updated_at from boards where created_by = $1 and created_op = $2",
            auth.user_id,
            op,
        )
        .fetch_one(&mut *tx)
        .await?;
        return Ok((StatusCode::CREATED, Json(first)));
    };
    members::insert_owner(&mut tx, board.id, auth.user_id).await?;
    labels::insert_defaults(&mut tx, board.id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(board)))
}

/// Everything on a board, read in one repeatable-read transaction so that `board.seq` is exactly the last event
/// the snapshot contains.
#[utoipa::path(
    get,
    path = "/api/boards/{board_id}",
    tag = "boards",
    params(("board_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "Everything on the board, as of board.seq", body = corkboard_protocol::Snapshot),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
async fn snapshot(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(board_id): Path<Uuid>,
) -> AppResult<Json<Snapshot>> {
    let mut tx = state.db.begin().await?;
    sqlx::query!("set transaction isolation level repeatable read, read only").execute(&mut *tx).await?;
    member_role(&mut tx, board_id, auth.user_id).await?.ok_or(AppError::NotFound(Resource::Board))?;
    let board = load_board(&mut tx, board_id).await?;
    let lists = sqlx::query_as!(
        List,
        "select id, board_id, title, position, archived_at from lists
         where board_id = $1 and archived_at is null order by position",
        board_id,
    )
    .fetch_all(&mut *tx)
    .await?;
    let cards = cards::read::board_cards(&mut tx, board_id).await?;
    let members = load_members(&mut tx, board_id).await?;
    let labels = labels::board_labels(&mut tx, board_id).await?;
    tx.commit().await?;
    Ok(Json(Snapshot { board, lists, cards, members, labels }))
}

#[utoipa::path(
    patch,
    path = "/api/boards/{board_id}",
    tag = "boards",
    params(("board_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::UpdateBoardRequest,
    responses(
        (status = 200, description = "Renamed", body = corkboard_protocol::Board),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn update_board(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(board_id): Path<Uuid>,
    Json(req): Json<UpdateBoardRequest>,
) -> AppResult<Json<Board>> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;
    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::BoardUpdated { board } => Some(Json(board)),
            _ => None,
        });
    }
    let result = rename(&mut btx, title, op).await;
    btx.finish(op, result).await
}

async fn rename(btx: &mut BoardTx, title: String, op: Option<&str>) -> AppResult<Json<Board>> {
    let board_id = btx.board_id;
    btx.require(Role::Admin)?;
    sqlx::query!("update boards set title = $2 where id = $1", board_id, title).execute(btx.conn()).await?;
    let mut board = load_board(btx.conn(), board_id).await?;
    // The event carries the board as it is after this event: its own seq, and now as the update time.
    board.seq = btx.next_seq();
    board.updated_at = time::OffsetDateTime::now_utc();
    btx.emit(&EventKind::BoardUpdated { board: board.clone() }, op);
    btx.ring_users(BoardChange::Updated, Audience::Members);
    Ok(Json(board))
}

#[utoipa::path(
    delete,
    path = "/api/boards/{board_id}",
    tag = "boards",
    params(("board_id" = uuid::Uuid, Path), corkboard_protocol::OpQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn delete_board(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(board_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<StatusCode> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    // A deleted board answers 404 to everyone, so a repeat of its deletion does too: that is the documented
    // "every later request about it is 404", and the client already saw it gone.
    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| matches!(kind, EventKind::BoardDeleted {}).then_some(StatusCode::NO_CONTENT));
    }
    if let Err(refusal) = btx.require(Role::Owner) {
        return btx.finish(op, Err(refusal)).await;
    }
    // Soft delete: the board disappears for everyone, but its log keeps `board_deleted` for the open sockets.
    sqlx::query!("update boards set deleted_at = now() where id = $1", board_id).execute(btx.conn()).await?;
    btx.emit(&EventKind::BoardDeleted {}, op);
    btx.ring_users(BoardChange::Deleted, Audience::Members);
    btx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn load_board(conn: &mut PgConnection, board_id: Uuid) -> AppResult<Board> {
    sqlx::query_as!(Board, "select id, title, seq, created_at, updated_at from boards where id = $1", board_id)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound(Resource::Board))
}
