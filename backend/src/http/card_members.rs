//! Card members: the board's people put on a card (editors). Owns the `card_members` rows.
//!
//! A card's members are a set, in the order they were added: adding and removing are `insert .. on conflict do
//! nothing` and a plain delete under the board's lock, and every change is answered with the members after it
//! (`card_members_changed`). Only members of the board can be on its cards: the foreign key to `board_members`
//! takes someone off every card of a board in the statement that removes them from it (`members`), whose one
//! `member_removed` event says so.

use axum::Router;
use axum::extract::State;
use axum::routing::{delete, post};
use corkboard_protocol::{Card, CardMemberRequest, EventKind, OpQuery, Role};
use sqlx::PgPool;
use uuid::Uuid;

use super::cards;
use super::extract::{Json, Path, Query};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource};
use crate::eventlog::{BoardTx, check_op};
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(add_card_member, remove_card_member))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/cards/{card_id}/members", post(add_card_member))
        .route("/api/cards/{card_id}/members/{user_id}", delete(remove_card_member))
}

#[utoipa::path(
    post,
    path = "/api/cards/{card_id}/members",
    tag = "cards",
    params(("card_id" = uuid::Uuid, Path)),
    request_body = corkboard_protocol::CardMemberRequest,
    responses(
        (status = 200, description = "The person is on the card: the card", body = corkboard_protocol::Card),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn add_card_member(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(card_id): Path<Uuid>,
    Json(req): Json<CardMemberRequest>,
) -> AppResult<Json<Card>> {
    let op = req.client_op_id.as_deref();
    check_op(op)?;
    change_card_members(&state.db, auth.user_id, card_id, req.user_id, Change::Add, op).await.map(Json)
}

#[utoipa::path(
    delete,
    path = "/api/cards/{card_id}/members/{user_id}",
    tag = "cards",
    params(
        ("card_id" = uuid::Uuid, Path),
        ("user_id" = uuid::Uuid, Path),
        ("client_op_id" = Option<String>, Query, description = "Makes the change exactly-once"),
    ),
    responses(
        (status = 200, description = "The person is off the card: the card", body = corkboard_protocol::Card),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn remove_card_member(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((card_id, user_id)): Path<(Uuid, Uuid)>,
    Query(query): Query<OpQuery>,
) -> AppResult<Json<Card>> {
    let op = query.client_op_id.as_deref();
    check_op(op)?;
    change_card_members(&state.db, auth.user_id, card_id, user_id, Change::Remove, op).await.map(Json)
}

/// Whether someone goes on a card or comes off it.
#[derive(Debug, Clone, Copy)]
enum Change {
    Add,
    Remove,
}

/// One change of a card's members, exactly once: the card as it is after it (also when the change is repeated).
async fn change_card_members(
    db: &PgPool,
    actor_id: Uuid,
    card_id: Uuid,
    user_id: Uuid,
    change: Change,
    op: Option<&str>,
) -> AppResult<Card> {
    let mut btx = BoardTx::begin_for_card(db, card_id, actor_id).await?;
    if let Some(prior) = btx.prior(op).await? {
        // The event holds only the card's members: the answer is the card as it is now.
        prior.replay(|kind| match kind {
            EventKind::CardMembersChanged { card_id: changed, .. } if changed == card_id => Some(()),
            _ => None,
        })?;
        return cards::fetch_card(btx.conn(), card_id).await;
    }
    let result = apply(&mut btx, card_id, user_id, change, op).await;
    btx.finish(op, result).await
}

async fn apply(btx: &mut BoardTx, card_id: Uuid, user_id: Uuid, change: Change, op: Option<&str>) -> AppResult<Card> {
    btx.require(Role::Editor)?;
    cards::require_on_board(btx.conn(), card_id).await?;
    let board_id = btx.board_id;
    // Someone who is not on the board cannot be on its cards, nor be taken off them: the id names no one here.
    sqlx::query_scalar!("select 1 as one from board_members where board_id = $1 and user_id = $2", board_id, user_id)
        .fetch_optional(btx.conn())
        .await?
        .ok_or(AppError::NotFound(Resource::Member))?;
    match change {
        Change::Add => sqlx::query!(
            "insert into card_members (card_id, user_id, board_id) values ($1, $2, $3) on conflict do nothing",
            card_id,
            user_id,
            board_id,
        ),
        Change::Remove => {
            sqlx::query!("delete from card_members where card_id = $1 and user_id = $2", card_id, user_id)
        }
    }
    .execute(btx.conn())
    .await?;
    let card = cards::fetch_card(btx.conn(), card_id).await?;
    // Sent even when the set did not change: the operation is recorded, and a client gets the set as it is.
    btx.emit(&EventKind::CardMembersChanged { card_id, member_ids: card.member_ids.clone() }, op);
    Ok(card)
}
