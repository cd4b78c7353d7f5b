//! Cards: create, edit (with optimistic versions), move (the one move path of REST and WebSocket), delete.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use corkboard_protocol::{
    Card, CreateCardRequest, ErrorCode, EventKind, MoveCardRequest, MoveCardResponse, Placement, Role,
    UpdateCardRequest, validate_client_op_id, validate_description, validate_title,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, FieldErrors, Resource};
use crate::events::{BoardTx, OpOutcome};
use crate::extract::{Json, Path};
use crate::lists::list_tx;
use crate::placement::{Siblings, place};
use crate::positions::{MAX_KEY_LEN, key_between};
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
    btx.emit(&EventKind::CardCreated { card: card.clone() }, None);
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
    btx.emit(&EventKind::CardUpdated { card: card.clone() }, None);
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
    btx.emit(&EventKind::CardDeleted { card_id, list_id }, None);
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
/// A `client_op_id` that this user already sent on the board gets its first outcome again: the first
/// application's seq, or the same refusal. With `within_board`, a card of any other board is `card_not_found`.
///
/// Round trips, because the board's lock is held from the second to the last: BEGIN, lock, one read of
/// everything the move depends on, one write (card, event, seq, NOTIFY), COMMIT.
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
    let mut btx = BoardTx::begin_for_card(&state.db, card_id, actor_id).await?;
    if within_board.is_some_and(|board_id| board_id != btx.board_id) {
        return Err(AppError::NotFound(Resource::Card));
    }
    let view = MoveView::read(&mut btx, card_id, &req).await?;
    match &view.outcome {
        // Already applied (a resend after a reconnect): report the first result, change nothing.
        Some(OpOutcome::Applied(seq)) => {
            let card = fetch_card(btx.conn(), card_id).await?;
            return Ok(MoveCardResponse { card, seq: *seq });
        }
        // Already refused: the client rolled it back, so a late copy must not apply it now.
        Some(OpOutcome::Refused(code)) => return Err(move_refusal(code)),
        None => {}
    }
    match apply_move(&mut btx, card_id, &req, view).await {
        Ok(moved) => {
            let response = match moved {
                Moved::Written(response) => {
                    btx.commit().await?;
                    response
                }
                Moved::Pending(event) => {
                    let (card, seq) = btx.commit_card_move(card_id, &event, req.client_op_id.as_deref()).await?;
                    MoveCardResponse { card, seq }
                }
            };
            metrics::histogram!(MOVE_COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
            Ok(response)
        }
        Err(refusal) => {
            // A final refusal is remembered under the board lock, ordered against every other copy of the op.
            // These errors come from checks, never from a failed statement, so the transaction is still usable.
            if let (Some(op), Some(code)) = (&req.client_op_id, final_refusal_code(&refusal)) {
                btx.commit_refusal(op, code.as_str()).await?;
            }
            Err(refusal)
        }
    }
}

/// Everything a move depends on, read in one statement once the board is locked.
struct MoveView {
    outcome: Option<OpOutcome>,
    /// The card's list and version now; `None` when the card is gone.
    from_list_id: Option<Uuid>,
    version: Option<i64>,
    target_in_board: bool,
    /// The neighbours' keys at the target place: the key goes between them.
    before: Option<String>,
    after: Option<String>,
    /// For `after_id`: whether that card is (still) in the target list.
    anchor_found: bool,
}

impl MoveView {
    async fn read(btx: &mut BoardTx, card_id: Uuid, req: &MoveCardRequest) -> AppResult<Self> {
        let placement = Placement::from_after_id(req.after_id);
        let (mode, anchor) = match placement {
            Placement::End => ("end", None),
            Placement::First => ("first", None),
            Placement::After(after) => ("after", Some(after)),
        };
        let board_id = btx.board_id;
        let actor_id = btx.actor_id;
        let row = sqlx::query!(
            r#"with op as (
                   select seq, null::text as code from events
                     where board_id = $1 and actor_id = $2 and client_op_id = $3
                   union all
                   select null, code from refused_ops where board_id = $1 and actor_id = $2 and client_op_id = $3
                   limit 1
               ),
               card as (select list_id, version from cards where id = $4),
               anchor as (
                   select case $7::text
                       when 'end' then (select max(position) from cards where list_id = $5 and id <> $4)
                       when 'after' then (select position from cards where id = $6 and list_id = $5)
                   end as position
               )
               select
                   (select seq from op) as "applied_seq?",
                   (select code from op) as "refused_code?",
                   (select list_id from card) as "from_list_id?",
                   (select version from card) as "version?",
                   exists(select 1 from lists where id = $5 and board_id = $1) as "target_in_board!",
                   (select position from anchor) as "before?",
                   case when $7::text = 'end' then null else (
                       select min(position) from cards
                       where list_id = $5 and id <> $4 and position > coalesce((select position from anchor), '')
                   ) end as "after?""#,
            board_id,
            actor_id,
            req.client_op_id.as_deref(),
            card_id,
            req.list_id,
            anchor,
            mode,
        )
        .fetch_one(btx.conn())
        .await?;
        let outcome = match (row.applied_seq, row.refused_code) {
            (Some(seq), _) => Some(OpOutcome::Applied(seq)),
            (None, Some(code)) => Some(OpOutcome::Refused(code)),
            (None, None) => None,
        };
        Ok(Self {
            outcome,
            from_list_id: row.from_list_id,
            version: row.version,
            target_in_board: row.target_in_board,
            anchor_found: anchor.is_none() || row.before.is_some(),
            before: row.before,
            after: row.after,
        })
    }
}

/// The move itself, inside the board's transaction: checks, the new key, and the update with its event (or, in
/// the common case, what the commit statement is to write).
async fn apply_move(btx: &mut BoardTx, card_id: Uuid, req: &MoveCardRequest, view: MoveView) -> AppResult<Moved> {
    btx.require(Role::Editor)?;
    let (Some(from_list_id), Some(version)) = (view.from_list_id, view.version) else {
        return Err(AppError::NotFound(Resource::Card));
    };
    let placement = Placement::from_after_id(req.after_id);
    if placement == Placement::After(card_id) {
        return Err(AppError::validation("after_id", "must not be the item being moved"));
    }
    if !view.target_in_board || !view.anchor_found {
        return Err(AppError::StalePosition);
    }
    let key = key_between(view.before.as_deref(), view.after.as_deref()).map_err(AppError::internal)?;
    if key.len() > MAX_KEY_LEN {
        // Rare: the keys here grew long. The general path rebalances the list (its events come first) and places
        // again.
        let position = place(btx, Siblings::CardsOf(req.list_id), placement, Some(card_id)).await?;
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
        let seq = btx.emit(&moved, req.client_op_id.as_deref());
        return Ok(Moved::Written(MoveCardResponse { card, seq }));
    }
    // The common case: the update is written by the commit statement, with the event and the seq (one round trip
    // fewer while the board is locked).
    let moved =
        EventKind::CardMoved { card_id, from_list_id, to_list_id: req.list_id, position: key, version: version + 1 };
    Ok(Moved::Pending(moved))
}

/// A move ready to commit.
enum Moved {
    /// Written already (after a rebalance); `commit` writes its events.
    Written(MoveCardResponse),
    /// To be written by `BoardTx::commit_card_move`, card update and event in one statement.
    Pending(EventKind),
}

/// The code under which a refused move is remembered; `None` for errors that are not final (the database was
/// unavailable, a bug): the client retries those with the same `client_op_id`.
fn final_refusal_code(err: &AppError) -> Option<ErrorCode> {
    match err {
        AppError::StalePosition => Some(ErrorCode::StalePosition),
        AppError::Forbidden(_) => Some(ErrorCode::Forbidden),
        AppError::NotFound(Resource::Card) => Some(ErrorCode::CardNotFound),
        _ => None,
    }
}

/// The error a remembered refusal is answered with again.
fn move_refusal(code: &str) -> AppError {
    match serde_json::from_value(serde_json::Value::from(code)) {
        Ok(ErrorCode::Forbidden) => AppError::Forbidden("Viewers cannot change this board."),
        Ok(ErrorCode::CardNotFound) => AppError::NotFound(Resource::Card),
        _ => AppError::StalePosition,
    }
}

/// A transaction on the board of `card_id`; strangers get `card_not_found`.
async fn card_tx(db: &PgPool, actor_id: Uuid, card_id: Uuid) -> AppResult<BoardTx> {
    BoardTx::begin_for_card(db, card_id, actor_id).await
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
