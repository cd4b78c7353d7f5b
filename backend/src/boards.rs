//! Boards: the caller's list, create, the snapshot a client starts from, rename, delete.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use corkboard_protocol::{
    Board, BoardSummary, BoardsResponse, Card, CreateBoardRequest, EventKind, List, Member, Role, Snapshot,
    UpdateBoardRequest, User, validate_title,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource};
use crate::events::BoardTx;
use crate::extract::{Json, Path};
use crate::state::AppState;

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
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;
    let mut tx = state.db.begin().await?;
    // A new board starts at seq 0: its creation and its owner are the state before the first event.
    let board = sqlx::query_as!(
        Board,
        "insert into boards (id, title) values ($1, $2) returning id, title, seq, created_at, updated_at",
        Uuid::now_v7(),
        title,
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into board_members (board_id, user_id, role) values ($1, $2, 'owner')",
        board.id,
        auth.user_id
    )
    .execute(&mut *tx)
    .await?;
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
        "select id, board_id, title, position from lists where board_id = $1 order by position",
        board_id,
    )
    .fetch_all(&mut *tx)
    .await?;
    let cards = sqlx::query_as!(
        Card,
        "select c.id, c.board_id, c.list_id, c.title, c.description, c.position, c.version, c.created_at, c.updated_at
         from cards c join lists l on l.id = c.list_id
         where c.board_id = $1
         order by l.position, c.position",
        board_id,
    )
    .fetch_all(&mut *tx)
    .await?;
    let members = load_members(&mut tx, board_id).await?;
    tx.commit().await?;
    Ok(Json(Snapshot { board, lists, cards, members }))
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
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;
    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    btx.require(Role::Admin)?;
    sqlx::query!("update boards set title = $2 where id = $1", board_id, title).execute(btx.conn()).await?;
    let mut board = load_board(btx.conn(), board_id).await?;
    // The event carries the board as it is after this event: its own seq, and now as the update time.
    board.seq = btx.next_seq();
    board.updated_at = time::OffsetDateTime::now_utc();
    btx.emit(&EventKind::BoardUpdated { board: board.clone() }, None);
    btx.commit().await?;
    Ok(Json(board))
}

#[utoipa::path(
    delete,
    path = "/api/boards/{board_id}",
    tag = "boards",
    params(("board_id" = uuid::Uuid, Path)),
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
) -> AppResult<StatusCode> {
    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    btx.require(Role::Owner)?;
    // Soft delete: the board disappears for everyone, but its log keeps `board_deleted` for the open sockets.
    sqlx::query!("update boards set deleted_at = now() where id = $1", board_id).execute(btx.conn()).await?;
    btx.emit(&EventKind::BoardDeleted {}, None);
    btx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's role on a live board, `None` when the board is missing, deleted, or not theirs.
pub async fn member_role(conn: &mut PgConnection, board_id: Uuid, user_id: Uuid) -> AppResult<Option<Role>> {
    Ok(sqlx::query_scalar!(
        r#"select m.role as "role: Role"
           from board_members m join boards b on b.id = m.board_id
           where m.board_id = $1 and m.user_id = $2 and b.deleted_at is null"#,
        board_id,
        user_id,
    )
    .fetch_optional(conn)
    .await?)
}

async fn load_board(conn: &mut PgConnection, board_id: Uuid) -> AppResult<Board> {
    sqlx::query_as!(Board, "select id, title, seq, created_at, updated_at from boards where id = $1", board_id)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound(Resource::Board))
}

/// A board's members, strongest role first, then by username.
pub async fn load_members(conn: &mut PgConnection, board_id: Uuid) -> AppResult<Vec<Member>> {
    let rows = sqlx::query!(
        r#"select u.id, u.username, u.display_name, m.role as "role: Role"
           from board_members m join users u on u.id = m.user_id
           where m.board_id = $1
           order by array_position(array['owner', 'admin', 'editor', 'viewer'], m.role), u.username"#,
        board_id,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Member { user: User { id: r.id, username: r.username, display_name: r.display_name }, role: r.role })
        .collect())
}
