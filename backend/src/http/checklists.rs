//! Checklists on cards and their items (API.md, "Checklists"). Owns the `checklists` and `checklist_items` rows.
//!
//! Every change is one board transaction with one event that carries the card and the card's checklist
//! progress after it (`counts`), so that clients keep the card face right without reading the items.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{patch, post};
use corkboard_protocol::{
    Checklist, ChecklistCounts, ChecklistItem, ChecklistRequest, CreateItemRequest, EventKind, MAX_CHECKLISTS_PER_CARD,
    MAX_ITEMS_PER_CHECKLIST, MoveItemRequest, OpQuery, Placement, Role, UpdateItemRequest, validate_item_text,
    validate_title,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::cards;
use super::extract::{Json, Path, Query};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, FieldErrors, Resource};
use crate::eventlog::{BoardTx, board_of_op, check_op};
use crate::ordering::placement::{Siblings, place};
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_checklist,
    update_checklist,
    delete_checklist,
    create_item,
    update_item,
    move_item,
    delete_item
))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/cards/{card_id}/checklists", post(create_checklist))
        .route("/api/checklists/{checklist_id}", patch(update_checklist).delete(delete_checklist))
        .route("/api/checklists/{checklist_id}/items", post(create_item))
        .route("/api/checklist-items/{item_id}", patch(update_item).delete(delete_item))
        .route("/api/checklist-items/{item_id}/move", post(move_item))
}

#[utoipa::path(
    post,
    path = "/api/cards/{card_id}/checklists",
    tag = "checklists",
    params(("card_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::ChecklistRequest,
    responses(
        (status = 201, description = "Created, last on the card", body = corkboard_protocol::Checklist),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn create_checklist(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Json(req): Json<ChecklistRequest>,
) -> AppResult<(StatusCode, Json<Checklist>)> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;

    let board_id =
        sqlx::query_scalar!("select board_id from cards where id = $1", card_id).fetch_optional(&state.db).await?;
    let mut btx = begin_on(&state.db, auth.user_id, board_id, op, Resource::Card).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::ChecklistCreated { checklist, .. } => Some((StatusCode::CREATED, Json(checklist))),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        cards::require_on_board(btx.conn(), card_id).await?;
        let existing = sqlx::query_scalar!(r#"select count(*) as "n!" from checklists where card_id = $1"#, card_id)
            .fetch_one(btx.conn())
            .await?;
        if existing >= MAX_CHECKLISTS_PER_CARD {
            return Err(AppError::validation(
                "checklists",
                format!("a card has at most {MAX_CHECKLISTS_PER_CARD} checklists"),
            ));
        }
        let position = place(&mut btx, Siblings::ChecklistsOf(card_id), Placement::End, None).await?;
        let checklist = sqlx::query_as!(
            Checklist,
            "insert into checklists (id, card_id, board_id, title, position) values ($1, $2, $3, $4, $5)
             returning id, card_id, title, position",
            Uuid::now_v7(),
            card_id,
            btx.board_id,
            title,
            position,
        )
        .fetch_one(btx.conn())
        .await?;
        let counts = card_counts(btx.conn(), card_id).await?;
        btx.emit(&EventKind::ChecklistCreated { checklist: checklist.clone(), card_id, counts }, op);
        Ok::<_, AppError>((StatusCode::CREATED, Json(checklist)))
    }
    .await;
    btx.finish(op, result).await
}

#[utoipa::path(
    patch,
    path = "/api/checklists/{checklist_id}",
    tag = "checklists",
    params(("checklist_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::ChecklistRequest,
    responses(
        (status = 200, description = "Renamed", body = corkboard_protocol::Checklist),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn update_checklist(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(checklist_id): Path<Uuid>,
    Json(req): Json<ChecklistRequest>,
) -> AppResult<Json<Checklist>> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let title = validate_title(&req.title).map_err(|problem| AppError::validation("title", problem))?;

    let mut btx = checklist_tx(&state.db, auth.user_id, checklist_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::ChecklistUpdated { checklist, .. } => Some(Json(checklist)),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        let card_id = checklist_card(&mut btx, checklist_id).await?;
        let checklist = sqlx::query_as!(
            Checklist,
            "update checklists set title = $2 where id = $1 returning id, card_id, title, position",
            checklist_id,
            title,
        )
        .fetch_one(btx.conn())
        .await?;
        let counts = card_counts(btx.conn(), card_id).await?;
        btx.emit(&EventKind::ChecklistUpdated { checklist: checklist.clone(), card_id, counts }, op);
        Ok::<_, AppError>(Json(checklist))
    }
    .await;
    btx.finish(op, result).await
}

#[utoipa::path(
    delete,
    path = "/api/checklists/{checklist_id}",
    tag = "checklists",
    params(("checklist_id" = uuid::Uuid, Path), OpQuery),
    responses(
        (status = 204, description = "Deleted, with its items"),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn delete_checklist(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(checklist_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<StatusCode> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = checklist_tx(&state.db, auth.user_id, checklist_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::ChecklistDeleted { .. } => Some(StatusCode::NO_CONTENT),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        let card_id = checklist_card(&mut btx, checklist_id).await?;
        // Its items go with it (foreign key cascade); the one event says so to clients.
        sqlx::query!("delete from checklists where id = $1", checklist_id).execute(btx.conn()).await?;
        let counts = card_counts(btx.conn(), card_id).await?;
        btx.emit(&EventKind::ChecklistDeleted { checklist_id, card_id, counts }, op);
        Ok::<_, AppError>(StatusCode::NO_CONTENT)
    }
    .await;
    btx.finish(op, result).await
}

#[utoipa::path(
    post,
    path = "/api/checklists/{checklist_id}/items",
    tag = "checklists",
    params(("checklist_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::CreateItemRequest,
    responses(
        (status = 201, description = "Created where after_id says (last when absent)", body = corkboard_protocol::ChecklistItem),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn create_item(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(checklist_id): Path<Uuid>,
    Json(req): Json<CreateItemRequest>,
) -> AppResult<(StatusCode, Json<ChecklistItem>)> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let text = validate_item_text(&req.text).map_err(|problem| AppError::validation("text", problem))?;

    let mut btx = checklist_tx(&state.db, auth.user_id, checklist_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::ChecklistItemCreated { item, .. } => Some((StatusCode::CREATED, Json(item))),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        let card_id = checklist_card(&mut btx, checklist_id).await?;
        require_room_for_item(btx.conn(), checklist_id).await?;
        let position = place(&mut btx, Siblings::ItemsOf(checklist_id), req.after_id, None).await?;
        let item = sqlx::query_as!(
            ChecklistItem,
            "insert into checklist_items (id, checklist_id, card_id, board_id, text, position)
             values ($1, $2, $3, $4, $5, $6)
             returning id, checklist_id, card_id, text, done, position",
            Uuid::now_v7(),
            checklist_id,
            card_id,
            btx.board_id,
            text,
            position,
        )
        .fetch_one(btx.conn())
        .await?;
        let counts = card_counts(btx.conn(), card_id).await?;
        btx.emit(&EventKind::ChecklistItemCreated { item: item.clone(), card_id, counts }, op);
        Ok::<_, AppError>((StatusCode::CREATED, Json(item)))
    }
    .await;
    btx.finish(op, result).await
}

#[utoipa::path(
    patch,
    path = "/api/checklist-items/{item_id}",
    tag = "checklists",
    params(("item_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::UpdateItemRequest,
    responses(
        (status = 200, description = "Changed", body = corkboard_protocol::ChecklistItem),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn update_item(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(item_id): Path<Uuid>,
    Json(req): Json<UpdateItemRequest>,
) -> AppResult<Json<ChecklistItem>> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let mut problems = FieldErrors::default();
    let text = req.text.as_deref().map(|t| problems.check("text", validate_item_text(t)));
    if text.is_none() && req.done.is_none() {
        problems.check::<()>("text", Err("give a text or done to change".into()));
    }
    problems.finish()?;

    let mut btx = item_tx(&state.db, auth.user_id, item_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::ChecklistItemUpdated { item, .. } => Some(Json(item)),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        let (_, card_id) = item_place(&mut btx, item_id).await?;
        let item = sqlx::query_as!(
            ChecklistItem,
            "update checklist_items set text = coalesce($2, text), done = coalesce($3, done) where id = $1
             returning id, checklist_id, card_id, text, done, position",
            item_id,
            text,
            req.done,
        )
        .fetch_one(btx.conn())
        .await?;
        let counts = card_counts(btx.conn(), card_id).await?;
        btx.emit(&EventKind::ChecklistItemUpdated { item: item.clone(), card_id, counts }, op);
        Ok::<_, AppError>(Json(item))
    }
    .await;
    btx.finish(op, result).await
}

#[utoipa::path(
    post,
    path = "/api/checklist-items/{item_id}/move",
    tag = "checklists",
    params(("item_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::MoveItemRequest,
    responses(
        (status = 200, description = "Moved", body = corkboard_protocol::ChecklistItem),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn move_item(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(item_id): Path<Uuid>,
    Json(req): Json<MoveItemRequest>,
) -> AppResult<Json<ChecklistItem>> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    if req.after_id == Some(item_id) {
        return Err(AppError::validation("after_id", "must not be the item being moved"));
    }

    let mut btx = item_tx(&state.db, auth.user_id, item_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::ChecklistItemMoved { item, .. } => Some(Json(item)),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        let (from, card_id) = item_place(&mut btx, item_id).await?;
        let to = req.checklist_id.unwrap_or(from);
        if to != from {
            // Only to another checklist of the same card; any other is not there as far as this item goes.
            sqlx::query_scalar!("select 1 as one from checklists where id = $1 and card_id = $2", to, card_id)
                .fetch_optional(btx.conn())
                .await?
                .ok_or(AppError::NotFound(Resource::Checklist))?;
            require_room_for_item(btx.conn(), to).await?;
        }
        // A neighbour that is no longer an item of the target checklist puts the item last, never a refusal.
        let placement = match req.after_id {
            None => Placement::First,
            Some(after) => {
                let there = sqlx::query_scalar!(
                    "select 1 as one from checklist_items where id = $1 and checklist_id = $2",
                    after,
                    to,
                )
                .fetch_optional(btx.conn())
                .await?;
                if there.is_some() { Placement::After(after) } else { Placement::End }
            }
        };
        let position = place(&mut btx, Siblings::ItemsOf(to), placement, Some(item_id)).await?;
        let item = sqlx::query_as!(
            ChecklistItem,
            "update checklist_items set checklist_id = $2, position = $3 where id = $1
             returning id, checklist_id, card_id, text, done, position",
            item_id,
            to,
            position,
        )
        .fetch_one(btx.conn())
        .await?;
        let counts = card_counts(btx.conn(), card_id).await?;
        btx.emit(&EventKind::ChecklistItemMoved { item: item.clone(), card_id, counts }, op);
        Ok::<_, AppError>(Json(item))
    }
    .await;
    btx.finish(op, result).await
}

#[utoipa::path(
    delete,
    path = "/api/checklist-items/{item_id}",
    tag = "checklists",
    params(("item_id" = uuid::Uuid, Path), OpQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn delete_item(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(item_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<StatusCode> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = item_tx(&state.db, auth.user_id, item_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::ChecklistItemDeleted { .. } => Some(StatusCode::NO_CONTENT),
            _ => None,
        });
    }
    let result = async {
        btx.require(Role::Editor)?;
        let (checklist_id, card_id) = item_place(&mut btx, item_id).await?;
        sqlx::query!("delete from checklist_items where id = $1", item_id).execute(btx.conn()).await?;
        let counts = card_counts(btx.conn(), card_id).await?;
        btx.emit(&EventKind::ChecklistItemDeleted { item_id, checklist_id, card_id, counts }, op);
        Ok::<_, AppError>(StatusCode::NO_CONTENT)
    }
    .await;
    btx.finish(op, result).await
}

/// A transaction on `board_id`, the board of the thing a request names (`None` when that is gone). A repeat of an
/// operation whose thing is gone since (deleted by it, or after it) is found through its `client_op_id`, so that
/// it still gets its first answer; anything else about a missing thing is 404 naming `missing`, like strangers.
pub(super) async fn begin_on(
    db: &PgPool,
    actor_id: Uuid,
    board_id: Option<Uuid>,
    client_op_id: Option<&str>,
    missing: Resource,
) -> AppResult<BoardTx> {
    let board_id = match board_id {
        Some(board_id) => board_id,
        None => board_of_op(db, actor_id, client_op_id).await?.ok_or(AppError::NotFound(missing))?,
    };
    BoardTx::begin(db, board_id, actor_id, missing).await
}

async fn checklist_tx(db: &PgPool, actor_id: Uuid, checklist_id: Uuid, op: Option<&str>) -> AppResult<BoardTx> {
    let board_id =
        sqlx::query_scalar!("select board_id from checklists where id = $1", checklist_id).fetch_optional(db).await?;
    begin_on(db, actor_id, board_id, op, Resource::Checklist).await
}

async fn item_tx(db: &PgPool, actor_id: Uuid, item_id: Uuid, op: Option<&str>) -> AppResult<BoardTx> {
    let board_id =
        sqlx::query_scalar!("select board_id from checklist_items where id = $1", item_id).fetch_optional(db).await?;
    begin_on(db, actor_id, board_id, op, Resource::ChecklistItem).await
}

/// The card of a checklist of the transaction's board, which must be on the board (not archived) to change.
async fn checklist_card(btx: &mut BoardTx, checklist_id: Uuid) -> AppResult<Uuid> {
    let board_id = btx.board_id;
    let card_id =
        sqlx::query_scalar!("select card_id from checklists where id = $1 and board_id = $2", checklist_id, board_id)
            .fetch_optional(btx.conn())
            .await?
            .ok_or(AppError::NotFound(Resource::Checklist))?;
    cards::require_on_board(btx.conn(), card_id).await?;
    Ok(card_id)
}

/// The checklist and card of an item of the transaction's board, whose card must be on the board to change.
async fn item_place(btx: &mut BoardTx, item_id: Uuid) -> AppResult<(Uuid, Uuid)> {
    let board_id = btx.board_id;
    let row = sqlx::query!(
        "select checklist_id, card_id from checklist_items where id = $1 and board_id = $2",
        item_id,
        board_id,
    )
    .fetch_optional(btx.conn())
    .await?
    .ok_or(AppError::NotFound(Resource::ChecklistItem))?;
    cards::require_on_board(btx.conn(), row.card_id).await?;
    Ok((row.checklist_id, row.card_id))
}

async fn require_room_for_item(conn: &mut PgConnection, checklist_id: Uuid) -> AppResult<()> {
    let items =
        sqlx::query_scalar!(r#"select count(*) as "n!" from checklist_items where checklist_id = $1"#, checklist_id)
            .fetch_one(conn)
            .await?;
    if items >= MAX_ITEMS_PER_CHECKLIST {
        return Err(AppError::validation("items", format!("a checklist has at most {MAX_ITEMS_PER_CHECKLIST} items")));
    }
    Ok(())
}

/// The card's checklist progress: items done and items in all, over every checklist of the card.
pub async fn card_counts(conn: &mut PgConnection, card_id: Uuid) -> AppResult<ChecklistCounts> {
    let row = sqlx::query!(
        r#"select count(*) filter (where done) as "done!", count(*) as "total!"
           from checklist_items where card_id = $1"#,
        card_id,
    )
    .fetch_one(conn)
    .await?;
    Ok(ChecklistCounts { done: row.done, total: row.total })
}

/// A card's checklists in order.
pub async fn card_checklists(conn: &mut PgConnection, card_id: Uuid) -> AppResult<Vec<Checklist>> {
    Ok(sqlx::query_as!(
        Checklist,
        "select id, card_id, title, position from checklists where card_id = $1 order by position",
        card_id,
    )
    .fetch_all(conn)
    .await?)
}

/// Every item of a card's checklists: by checklist (in the checklists' order), then position.
pub async fn card_items(conn: &mut PgConnection, card_id: Uuid) -> AppResult<Vec<ChecklistItem>> {
    Ok(sqlx::query_as!(
        ChecklistItem,
        "select i.id, i.checklist_id, i.card_id, i.text, i.done, i.position
         from checklist_items i join checklists c on c.id = i.checklist_id
         where i.card_id = $1 order by c.position, i.position",
        card_id,
    )
    .fetch_all(conn)
    .await?)
}

/// Gives a checklist a new order key (a rebalance), and returns the event that tells clients.
pub async fn rekey_checklist(conn: &mut PgConnection, checklist_id: Uuid, position: &str) -> AppResult<EventKind> {
    let checklist = sqlx::query_as!(
        Checklist,
        "update checklists set position = $2 where id = $1 returning id, card_id, title, position",
        checklist_id,
        position,
    )
    .fetch_one(&mut *conn)
    .await?;
    let card_id = checklist.card_id;
    let counts = card_counts(conn, card_id).await?;
    Ok(EventKind::ChecklistUpdated { checklist, card_id, counts })
}

/// Gives an item a new order key (a rebalance), and returns the event that tells clients.
pub async fn rekey_item(conn: &mut PgConnection, item_id: Uuid, position: &str) -> AppResult<EventKind> {
    let item = sqlx::query_as!(
        ChecklistItem,
        "update checklist_items set position = $2 where id = $1
         returning id, checklist_id, card_id, text, done, position",
        item_id,
        position,
    )
    .fetch_one(&mut *conn)
    .await?;
    let card_id = item.card_id;
    let counts = card_counts(conn, card_id).await?;
    Ok(EventKind::ChecklistItemMoved { item, card_id, counts })
}
