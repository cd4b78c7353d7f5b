//! Board members and their roles: owns the `board_members` rows. Admins and the owner manage members; anyone but
//! the owner may leave.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use corkboard_protocol::{
    AddMemberRequest, BoardChange, EventKind, Member, MembersResponse, OpQuery, Role, UpdateMemberRequest, User,
    validate_username,
};
use sqlx::PgConnection;
use uuid::Uuid;

use super::extract::{Json, Path, Query};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource, unique_violation};
use crate::eventlog::{Audience, BoardTx, check_op};
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_members, add_member, update_member, remove_member))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/boards/{board_id}/members", get(list_members).post(add_member))
        .route("/api/boards/{board_id}/members/{user_id}", patch(update_member).delete(remove_member))
}

#[utoipa::path(
    get,
    path = "/api/boards/{board_id}/members",
    tag = "members",
    params(("board_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The members, strongest role first", body = corkboard_protocol::MembersResponse),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
async fn list_members(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(board_id): Path<Uuid>,
) -> AppResult<Json<MembersResponse>> {
    let mut conn = state.db.acquire().await?;
    member_role(&mut conn, board_id, auth.user_id).await?.ok_or(AppError::NotFound(Resource::Board))?;
    Ok(Json(MembersResponse { members: load_members(&mut conn, board_id).await? }))
}

#[utoipa::path(
    post,
    path = "/api/boards/{board_id}/members",
    tag = "members",
    params(("board_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::AddMemberRequest,
    responses(
        (status = 201, description = "Added", body = corkboard_protocol::Member),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn add_member(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(board_id): Path<Uuid>,
    Json(req): Json<AddMemberRequest>,
) -> AppResult<(StatusCode, Json<Member>)> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    // Written as the member list shows it (`@bob`) is accepted too: one leading `@` is dropped.
    let typed = req.username.trim();
    let typed = typed.strip_prefix('@').unwrap_or(typed);
    let username = validate_username(typed).map_err(|_| AppError::NotFound(Resource::User))?;
    refuse_owner_role(req.role)?;
    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::MemberAdded { member } => Some((StatusCode::CREATED, Json(member))),
            _ => None,
        });
    }
    let result = add(&mut btx, username, req.role, op).await;
    btx.finish(op, result).await
}

async fn add(
    btx: &mut BoardTx,
    username: String,
    role: Role,
    op: Option<&str>,
) -> AppResult<(StatusCode, Json<Member>)> {
    let board_id = btx.board_id;
    btx.require(Role::Admin)?;
    let user =
        sqlx::query_as!(User, "select id, username, display_name from users where lower(username) = $1", username)
            .fetch_optional(btx.conn())
            .await?
            .ok_or(AppError::NotFound(Resource::User))?;
    let inserted = sqlx::query!(
        "insert into board_members (board_id, user_id, role) values ($1, $2, $3)",
        board_id,
        user.id,
        role.as_str(),
    )
    .execute(btx.conn())
    .await;
    if let Err(err) = inserted {
        return Err(match unique_violation(&err).as_deref() {
            Some("board_members_pkey") => AppError::AlreadyMember,
            _ => err.into(),
        });
    }
    let member = Member { user, role };
    btx.emit(&EventKind::MemberAdded { member: member.clone() }, op);
    btx.ring_users(BoardChange::Added, Audience::User(member.user.id));
    Ok((StatusCode::CREATED, Json(member)))
}

#[utoipa::path(
    patch,
    path = "/api/boards/{board_id}/members/{user_id}",
    tag = "members",
    params(("board_id" = uuid::Uuid, Path), ("user_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::UpdateMemberRequest,
    responses(
        (status = 200, description = "Role changed", body = corkboard_protocol::Member),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn update_member(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((board_id, user_id)): Path<(Uuid, Uuid)>,
    Json(req): Json<UpdateMemberRequest>,
) -> AppResult<Json<Member>> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    refuse_owner_role(req.role)?;
    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::MemberUpdated { member } => Some(Json(member)),
            _ => None,
        });
    }
    let result = update(&mut btx, user_id, req.role, op).await;
    btx.finish(op, result).await
}

async fn update(btx: &mut BoardTx, user_id: Uuid, role: Role, op: Option<&str>) -> AppResult<Json<Member>> {
    let board_id = btx.board_id;
    btx.require(Role::Admin)?;
    let current = target_role(btx, user_id).await?;
    if current == Role::Owner {
        return Err(AppError::Forbidden("The owner's role cannot be changed."));
    }
    let row = sqlx::query!(
        "update board_members m set role = $3 from users u
         where m.board_id = $1 and m.user_id = $2 and u.id = m.user_id
         returning u.id, u.username, u.display_name",
        board_id,
        user_id,
        role.as_str(),
    )
    .fetch_one(btx.conn())
    .await?;
    let member = Member { user: User { id: row.id, username: row.username, display_name: row.display_name }, role };
    btx.emit(&EventKind::MemberUpdated { member: member.clone() }, op);
    btx.ring_users(BoardChange::Updated, Audience::User(user_id));
    Ok(Json(member))
}

#[utoipa::path(
    delete,
    path = "/api/boards/{board_id}/members/{user_id}",
    tag = "members",
    params(("board_id" = uuid::Uuid, Path), ("user_id" = uuid::Uuid, Path), corkboard_protocol::OpQuery),
    responses(
        (status = 204, description = "Removed"),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn remove_member(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((board_id, user_id)): Path<(Uuid, Uuid)>,
    Query(query): Query<OpQuery>,
) -> AppResult<StatusCode> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| matches!(kind, EventKind::MemberRemoved { .. }).then_some(StatusCode::NO_CONTENT));
    }
    let result = remove(&mut btx, user_id, op).await;
    btx.finish(op, result).await
}

async fn remove(btx: &mut BoardTx, user_id: Uuid, op: Option<&str>) -> AppResult<StatusCode> {
    let board_id = btx.board_id;
    // Members may always leave; removing someone else takes an admin.
    if user_id != btx.actor_id {
        btx.require(Role::Admin)?;
    }
    if target_role(btx, user_id).await? == Role::Owner {
        return Err(AppError::Forbidden("The owner cannot be removed from the board."));
    }
    // Their place on the board's cards goes with them (`card_members` cascades); `member_removed` says so.
    sqlx::query!("delete from board_members where board_id = $1 and user_id = $2", board_id, user_id)
        .execute(btx.conn())
        .await?;
    // Sockets of the removed member on this board are closed (4003) when this event reaches them.
    btx.emit(&EventKind::MemberRemoved { user_id }, op);
    btx.ring_users(BoardChange::Removed, Audience::User(user_id));
    Ok(StatusCode::NO_CONTENT)
}

/// There is exactly one owner, made when the board is created; no request makes another.
fn refuse_owner_role(role: Role) -> AppResult<()> {
    if role == Role::Owner {
        Err(AppError::validation("role", "must be admin, editor or viewer (a board has exactly one owner)"))
    } else {
        Ok(())
    }
}

async fn target_role(btx: &mut BoardTx, user_id: Uuid) -> AppResult<Role> {
    let board_id = btx.board_id;
    sqlx::query_scalar!(
        r#"select role as "role: Role" from board_members where board_id = $1 and user_id = $2"#,
        board_id,
        user_id,
    )
    .fetch_optional(btx.conn())
    .await?
    .ok_or(AppError::NotFound(Resource::Member))
}

/// Makes `user_id` the owner of the board being created in `conn`'s transaction.
pub async fn insert_owner(conn: &mut PgConnection, board_id: Uuid, user_id: Uuid) -> AppResult<()> {
    sqlx::query!("insert into board_members (board_id, user_id, role) values ($1, $2, 'owner')", board_id, user_id)
        .execute(conn)
        .await?;
    Ok(())
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
