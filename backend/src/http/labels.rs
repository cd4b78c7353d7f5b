//! Labels: the board's label set (admins) and the labels on cards (editors). Owns the `labels` and `card_labels`
//! rows.
//!
//! The labels on a card are a set: adding and removing one are `insert .. on conflict do nothing` and a plain
//! delete under the board's lock, so two people adding two labels at once both stay, and every change is
//! answered with the card's labels after it (`card_labels_changed`).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, patch, post};
use corkboard_protocol::{
    Card, CardLabelRequest, CreateLabelRequest, EventKind, Label, LabelColor, MAX_LABELS_PER_BOARD, OpQuery, Role,
    UpdateLabelRequest, validate_label_name,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::cards;
use super::extract::{Json, Path, Query};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, FieldErrors, Resource};
use crate::eventlog::{BoardTx, check_op};
use crate::ordering::positions::{key_between, spread};
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(create_label, update_label, delete_label, add_card_label, remove_card_label))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/boards/{board_id}/labels", post(create_label))
        .route("/api/labels/{label_id}", patch(update_label).delete(delete_label))
        .route("/api/cards/{card_id}/labels", post(add_card_label))
        .route("/api/cards/{card_id}/labels/{label_id}", delete(remove_card_label))
}

#[utoipa::path(
    post,
    path = "/api/boards/{board_id}/labels",
    tag = "labels",
    params(("board_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::CreateLabelRequest,
    responses(
        (status = 201, description = "Created, last of the board's labels", body = corkboard_protocol::Label),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn create_label(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(board_id): Path<Uuid>,
    Json(req): Json<CreateLabelRequest>,
) -> AppResult<(StatusCode, Json<Label>)> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let name = validate_label_name(req.name.as_deref().unwrap_or("")).map_err(|p| AppError::validation("name", p))?;

    let mut btx = BoardTx::begin(&state.db, board_id, auth.user_id, Resource::Board).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::LabelCreated { label } => Some((StatusCode::CREATED, Json(label))),
            _ => None,
        });
    }
    let result = create(&mut btx, &name, req.color, op).await;
    btx.finish(op, result).await.map(|label| (StatusCode::CREATED, Json(label)))
}

async fn create(btx: &mut BoardTx, name: &str, color: LabelColor, op: Option<&str>) -> AppResult<Label> {
    btx.require(Role::Admin)?;
    let board_id = btx.board_id;
    let set = sqlx::query!(
        r#"select count(*) as "count!", max(position) as last from labels where board_id = $1"#,
        board_id,
    )
    .fetch_one(btx.conn())
    .await?;
    if set.count >= MAX_LABELS_PER_BOARD {
        return Err(AppError::validation("labels", format!("a board has at most {MAX_LABELS_PER_BOARD} labels")));
    }
    // Appending steps the integer part of the last key, so label keys stay short without a rebalance.
    let position = key_between(set.last.as_deref(), None).map_err(AppError::internal)?;
    let label = sqlx::query_as!(
        Label,
        r#"insert into labels (id, board_id, name, color, position) values ($1, $2, $3, $4, $5)
           returning id, board_id, name, color as "color: LabelColor", position"#,
        Uuid::now_v7(),
        board_id,
        name,
        color.as_str(),
        position,
    )
    .fetch_one(btx.conn())
    .await?;
    btx.emit(&EventKind::LabelCreated { label: label.clone() }, op);
    Ok(label)
}

#[utoipa::path(
    patch,
    path = "/api/labels/{label_id}",
    tag = "labels",
    params(("label_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::UpdateLabelRequest,
    responses(
        (status = 200, description = "Changed", body = corkboard_protocol::Label),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn update_label(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(label_id): Path<Uuid>,
    Json(req): Json<UpdateLabelRequest>,
) -> AppResult<Json<Label>> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    let mut problems = FieldErrors::default();
    let name = req.name.as_deref().map(|n| problems.check("name", validate_label_name(n)));
    if name.is_none() && req.color.is_none() {
        problems.check::<()>("name", Err("give a name or a color to change".into()));
    }
    problems.finish()?;

    let mut btx = label_tx(&state.db, auth.user_id, label_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::LabelUpdated { label } if label.id == label_id => Some(Json(label)),
            _ => None,
        });
    }
    let result = update(&mut btx, label_id, name.as_deref(), req.color, op).await;
    btx.finish(op, result).await.map(Json)
}

async fn update(
    btx: &mut BoardTx,
    label_id: Uuid,
    name: Option<&str>,
    color: Option<LabelColor>,
    op: Option<&str>,
) -> AppResult<Label> {
    btx.require(Role::Admin)?;
    let board_id = btx.board_id;
    let label = sqlx::query_as!(
        Label,
        r#"update labels set name = coalesce($3, name), color = coalesce($4, color)
           where id = $1 and board_id = $2
           returning id, board_id, name, color as "color: LabelColor", position"#,
        label_id,
        board_id,
        name,
        color.map(LabelColor::as_str),
    )
    .fetch_optional(btx.conn())
    .await?
    .ok_or(AppError::NotFound(Resource::Label))?;
    btx.emit(&EventKind::LabelUpdated { label: label.clone() }, op);
    Ok(label)
}

#[utoipa::path(
    delete,
    path = "/api/labels/{label_id}",
    tag = "labels",
    params(
        ("label_id" = uuid::Uuid, Path),
        ("client_op_id" = Option<String>, Query, description = "Makes the deletion exactly-once"),
    ),
    responses(
        (status = 204, description = "Deleted, and taken off every card"),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn delete_label(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(label_id): Path<Uuid>,
    Query(query): Query<OpQuery>,
) -> AppResult<StatusCode> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    let mut btx = label_tx(&state.db, auth.user_id, label_id, op).await?;
    if let Some(prior) = btx.prior(op).await? {
        return prior.replay(|kind| match kind {
            EventKind::LabelDeleted { label_id: deleted } if deleted == label_id => Some(StatusCode::NO_CONTENT),
            _ => None,
        });
    }
    let result = remove(&mut btx, label_id, op).await;
    btx.finish(op, result).await.map(|()| StatusCode::NO_CONTENT)
}

async fn remove(btx: &mut BoardTx, label_id: Uuid, op: Option<&str>) -> AppResult<()> {
    btx.require(Role::Admin)?;
    let board_id = btx.board_id;
    // The foreign key of `card_labels` takes it off every card in this statement: one change, one event.
    sqlx::query_scalar!("delete from labels where id = $1 and board_id = $2 returning id", label_id, board_id)
        .fetch_optional(btx.conn())
        .await?
        .ok_or(AppError::NotFound(Resource::Label))?;
    btx.emit(&EventKind::LabelDeleted { label_id }, op);
    Ok(())
}

#[utoipa::path(
    post,
    path = "/api/cards/{card_id}/labels",
    tag = "labels",
    params(("card_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::CardLabelRequest,
    responses(
        (status = 200, description = "The label is on the card: the card", body = corkboard_protocol::Card),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn add_card_label(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Json(req): Json<CardLabelRequest>,
) -> AppResult<Json<Card>> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    change_card_labels(&state.db, auth.user_id, card_id, req.label_id, Change::Add, op).await.map(Json)
}

#[utoipa::path(
    delete,
    path = "/api/cards/{card_id}/labels/{label_id}",
    tag = "labels",
    params(
        ("card_id" = uuid::Uuid, Path),
        ("label_id" = uuid::Uuid, Path),
        ("client_op_id" = Option<String>, Query, description = "Makes the change exactly-once"),
    ),
    responses(
        (status = 200, description = "The label is off the card: the card", body = corkboard_protocol::Card),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn remove_card_label(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((card_id, label_id)): Path<(Uuid, Uuid)>,
    Query(query): Query<OpQuery>,
) -> AppResult<Json<Card>> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    change_card_labels(&state.db, auth.user_id, card_id, label_id, Change::Remove, op).await.map(Json)
}

/// Whether a label goes on a card or comes off it.
#[derive(Debug, Clone, Copy)]
enum Change {
    Add,
    Remove,
}

/// One change of a card's labels, exactly once: the card as it is after it (also when the change is repeated).
async fn change_card_labels(
    db: &PgPool,
    actor_id: Uuid,
    card_id: Uuid,
    label_id: Uuid,
    change: Change,
    op: Option<&str>,
) -> AppResult<Card> {
    let mut btx = BoardTx::begin_for_card(db, card_id, actor_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        // The event holds only the card's labels: the answer is the card as it is now.
        prior.replay(|kind| match kind {
            EventKind::CardLabelsChanged { card_id: changed, .. } if changed == card_id => Some(()),
            _ => None,
        })?;
        return cards::fetch_card(btx.conn(), card_id).await;
    }
    let result = apply_card_label(&mut btx, card_id, label_id, change, op).await;
    btx.finish(op, result).await
}

async fn apply_card_label(
    btx: &mut BoardTx,
    card_id: Uuid,
    label_id: Uuid,
    change: Change,
    op: Option<&str>,
) -> AppResult<Card> {
    btx.require(Role::Editor)?;
    cards::require_on_board(btx.conn(), card_id).await?;
    let board_id = btx.board_id;
    sqlx::query_scalar!("select 1 as one from labels where id = $1 and board_id = $2", label_id, board_id)
        .fetch_optional(btx.conn())
        .await?
        .ok_or(AppError::NotFound(Resource::Label))?;
    match change {
        Change::Add => sqlx::query!(
            "insert into card_labels (card_id, label_id, board_id) values ($1, $2, $3) on conflict do nothing",
            card_id,
            label_id,
            board_id,
        ),
        Change::Remove => {
            sqlx::query!("delete from card_labels where card_id = $1 and label_id = $2", card_id, label_id)
        }
    }
    .execute(btx.conn())
    .await?;
    let card = cards::fetch_card(btx.conn(), card_id).await?;
    // Sent even when the set did not change: the operation is recorded, and a client gets the set as it is.
    btx.emit(&EventKind::CardLabelsChanged { card_id, label_ids: card.label_ids.clone() }, op);
    Ok(card)
}

/// A transaction on the board of `label_id`; strangers get `label_not_found`. When the label is gone, a repeat of
/// an operation this user sent about it (the deletion itself, say) finds its board through the log, so that it
/// gets its first answer again.
async fn label_tx(db: &PgPool, actor_id: Uuid, label_id: Uuid, op: Option<&str>) -> AppResult<BoardTx> {
    let board_id =
        match sqlx::query_scalar!("select board_id from labels where id = $1", label_id).fetch_optional(db).await? {
            Some(board_id) => Some(board_id),
            None => match op {
                Some(op) => board_of_label_op(db, actor_id, label_id, op).await?,
                None => None,
            },
        };
    let board_id = board_id.ok_or(AppError::NotFound(Resource::Label))?;
    BoardTx::begin(db, board_id, actor_id, Resource::Label).await
}

/// The board, among the actor's, where they sent `op` about `label_id` (applied) or had it refused.
async fn board_of_label_op(db: &PgPool, actor_id: Uuid, label_id: Uuid, op: &str) -> AppResult<Option<Uuid>> {
    Ok(sqlx::query_scalar!(
        r#"select e.board_id as "board_id!" from board_members m
           join events e on e.board_id = m.board_id and e.actor_id = m.user_id and e.client_op_id = $2
           where m.user_id = $1 and e.kind in ('label_updated', 'label_deleted')
             and coalesce(e.data ->> 'label_id', e.data -> 'label' ->> 'id') = $3
           union all
           select r.board_id from board_members m
           join refused_ops r on r.board_id = m.board_id and r.actor_id = m.user_id and r.client_op_id = $2
           where m.user_id = $1
           limit 1"#,
        actor_id,
        op,
        label_id.to_string(),
    )
    .fetch_optional(db)
    .await?)
}

/// The board's labels in position order.
pub async fn board_labels(conn: &mut PgConnection, board_id: Uuid) -> AppResult<Vec<Label>> {
    Ok(sqlx::query_as!(
        Label,
        r#"select id, board_id, name, color as "color: LabelColor", position from labels
           where board_id = $1 order by position"#,
        board_id,
    )
    .fetch_all(conn)
    .await?)
}

/// The unnamed labels a new board starts with (part of its state before the first event, like its owner).
pub async fn insert_defaults(conn: &mut PgConnection, board_id: Uuid) -> AppResult<()> {
    let colors: Vec<String> = LabelColor::NEW_BOARD.iter().map(|c| c.as_str().to_owned()).collect();
    let positions: Vec<String> = spread().take(colors.len()).collect();
    let ids: Vec<Uuid> = colors.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query!(
        "insert into labels (id, board_id, color, position)
         select id, $1, color, position from unnest($2::uuid[], $3::text[], $4::text[]) as l(id, color, position)",
        board_id,
        &ids,
        &colors,
        &positions,
    )
    .execute(conn)
    .await?;
    Ok(())
}
