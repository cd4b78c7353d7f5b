//! The card move: THE move path of REST and the WebSocket, and the one exception to "one owner per table".
//!
//! Moves are the hot path (every drag of every user), and the board's row lock is held from the lock to the
//! COMMIT, so every round trip under it caps the moves per board. A move therefore reads everything it depends
//! on in one statement (the operation's earlier outcome in `events`/`refused_ops`, the card, the target list,
//! where its intended place lands now and the neighbours' keys there) and writes in one statement the card (a `cards` row, owned by `cards`), its
//! `card_moved` event, the board's seq and the doorbell (owned by `eventlog`), taking the seq from
//! `BoardTx::seq_for_own_statement`. Five round trips per move, three under the lock: BEGIN, lock, read,
//! write, COMMIT. Splitting either statement along table owners would add a round trip under the lock. A move
//! that needs a rebalance is rare and goes the general way (`placement`, `cards::relocate`, `BoardTx::emit`).

use axum::extract::State;
use corkboard_protocol::{
    Card, ErrorCode, EventKind, MoveCardRequest, MoveCardResponse, MoveTarget, Placement, Role, validate_client_op_id,
};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult, Resource};
use crate::eventlog::{BOARD_EVENTS_CHANNEL, BoardTx, OpOutcome, doorbell};
use crate::http::cards;
use crate::http::extract::{Json, Path};
use crate::ordering::placement::{Siblings, place};
use crate::ordering::positions::{MAX_KEY_LEN, key_between};
use crate::state::AppState;
use crate::telemetry::MOVE_COMMIT_SECONDS;

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
pub(super) async fn move_card_handler(
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
    // Fields that name no place are a body of the wrong shape, like a missing field.
    let target = req.target().map_err(|(field, problem)| {
        AppError::bad_request(ErrorCode::InvalidBody, format!("The request body does not fit: `{field}` {problem}."))
    })?;
    // Waiting for a connection is given up as soon as Postgres is known to be down: nothing is written yet.
    let mut btx = state.db_health.unless_down(BoardTx::begin_for_card(&state.db, card_id, actor_id)).await?;
    if within_board.is_some_and(|board_id| board_id != btx.board_id) {
        return Err(AppError::NotFound(Resource::Card));
    }
    let view = MoveView::read(&mut btx, card_id, &req, target).await?;
    match &view.outcome {
        // Already applied (a resend after a reconnect): report the first result, change nothing.
        Some(OpOutcome::Applied(seq)) => {
            let card = cards::fetch_card(btx.conn(), card_id).await?;
            return Ok(MoveCardResponse { card, seq: *seq });
        }
        // Already refused: the client rolled it back, so a late copy must not apply it now.
        Some(OpOutcome::Refused(code)) => return Err(move_refusal(*code)),
        None => {}
    }
    match apply_move(&mut btx, card_id, &req, target, view).await {
        Ok(moved) => {
            let response = match moved {
                Moved::Written(response) => {
                    btx.commit().await?;
                    response
                }
                Moved::Pending(event) => commit_move(btx, card_id, &event, req.client_op_id.as_deref()).await?,
            };
            metrics::histogram!(MOVE_COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
            Ok(response)
        }
        Err(refusal) => {
            // A final refusal is remembered under the board lock, ordered against every other copy of the op.
            // These errors come from checks, never from a failed statement, so the transaction is still usable.
            if let (Some(op), Some(code)) = (&req.client_op_id, final_refusal_code(&refusal)) {
                btx.commit_refusal(op, code).await?;
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
    /// Where the intent lands now: the card the moved one will sit right below (`None`: first), and the keys
    /// of its two neighbours there. The new key goes between them.
    above_id: Option<Uuid>,
    above: Option<String>,
    below: Option<String>,
}

impl MoveView {
    /// Also resolves the intent by the rule of API.md ("Card moves"), against the list as it is under the lock:
    /// right after `after_id` if it is still in the list, else right before `before_id` if that is, else last.
    async fn read(btx: &mut BoardTx, card_id: Uuid, req: &MoveCardRequest, target: MoveTarget) -> AppResult<Self> {
        let (mode, after_id, before_id) = match target {
            MoveTarget::First => ("first", None, None),
            MoveTarget::End => ("end", None, None),
            MoveTarget::After { after_id, before_id } => ("between", Some(after_id), before_id),
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
               card as (
                   select c.list_id, c.version from cards c join lists l on l.id = c.list_id
                   where c.id = $4 and c.archived_at is null and l.archived_at is null
               ),
               resolved as (
                   select case
                       when $7::text <> 'between' then $7::text
                       when exists(select 1 from cards where id = $6 and list_id = $5 and id <> $4) then 'after'
                       when exists(select 1 from cards where id = $8 and list_id = $5 and id <> $4) then 'before'
                       else 'end'
                   end as how
               ),
               above as (
                   select id, position from cards where (select how from resolved) = 'after' and id = $6
                   union all
                   (select id, position from cards
                    where (select how from resolved) in ('end', 'before') and list_id = $5 and id <> $4
                      and ((select how from resolved) = 'end' or position < (select position from cards where id = $8))
                    order by position desc
                    limit 1)
               )
               select
                   (select seq from op) as "applied_seq?",
                   (select code from op) as "refused_code?",
                   (select list_id from card) as "from_list_id?",
                   (select version from card) as "version?",
                   exists(select 1 from lists where id = $5 and board_id = $1 and archived_at is null) as "target_in_board!",
                   (select id from above) as "above_id?",
                   (select position from above) as "above?",
                   (select min(position) from cards
                      where list_id = $5 and id <> $4 and position > coalesce((select position from above), '')
                   ) as "below?""#,
            board_id,
            actor_id,
            req.client_op_id.as_deref(),
            card_id,
            req.list_id,
            after_id,
            mode,
            before_id,
        )
        .fetch_one(btx.conn())
        .await?;
        Ok(Self {
            outcome: OpOutcome::from_log(row.applied_seq, row.refused_code.as_deref()),
            from_list_id: row.from_list_id,
            version: row.version,
            target_in_board: row.target_in_board,
            above_id: row.above_id,
            above: row.above,
            below: row.below,
        })
    }
}

/// The move itself, inside the board's transaction: checks, the new key, and the update with its event (or, in
/// the common case, what the commit statement is to write). A place never goes stale (the read resolved it);
/// only a card or list that is gone, or a role too weak, refuses the move.
async fn apply_move(
    btx: &mut BoardTx,
    card_id: Uuid,
    req: &MoveCardRequest,
    target: MoveTarget,
    view: MoveView,
) -> AppResult<Moved> {
    btx.require(Role::Editor)?;
    let (Some(from_list_id), Some(version)) = (view.from_list_id, view.version) else {
        return Err(AppError::NotFound(Resource::Card));
    };
    if let MoveTarget::After { after_id, before_id } = target {
        if after_id == card_id {
            return Err(AppError::validation("after_id", "must not be the item being moved"));
        }
        if before_id == Some(card_id) {
            return Err(AppError::validation("before_id", "must not be the item being moved"));
        }
    }
    if !view.target_in_board {
        return Err(AppError::NotFound(Resource::List));
    }
    let key = key_between(view.above.as_deref(), view.below.as_deref()).map_err(AppError::internal)?;
    if key.len() > MAX_KEY_LEN {
        // Rare: the keys here grew long. The general path rebalances the list (its events come first) and places
        // again, at the place the read resolved.
        let placement = view.above_id.map_or(Placement::First, Placement::After);
        let position = place(btx, Siblings::CardsOf(req.list_id), placement, Some(card_id)).await?;
        let card = cards::relocate(btx.conn(), card_id, req.list_id, &position).await?;
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
    /// To be written by `commit_move`, card update and event in one statement.
    Pending(EventKind),
}

/// The code under which a refused move is remembered; `None` for errors that are not final (the database was
/// unavailable, a bug): the client retries those with the same `client_op_id`.
fn final_refusal_code(err: &AppError) -> Option<ErrorCode> {
    match err {
        AppError::Forbidden(_) => Some(ErrorCode::Forbidden),
        AppError::NotFound(Resource::Card) => Some(ErrorCode::CardNotFound),
        AppError::NotFound(Resource::List) => Some(ErrorCode::ListNotFound),
        _ => None,
    }
}

/// The error a remembered refusal is answered with again.
fn move_refusal(code: ErrorCode) -> AppError {
    match code {
        ErrorCode::Forbidden => AppError::Forbidden("Viewers cannot change this board."),
        ErrorCode::CardNotFound => AppError::NotFound(Resource::Card),
        ErrorCode::ListNotFound => AppError::NotFound(Resource::List),
        // Refused by an older server, whose moves could go stale: the same answer again.
        _ => AppError::StalePosition,
    }
}

/// Writes a move in one statement: the card update, its `card_moved` event (`moved`, whose position, list and
/// version are what the update writes), the seq bump and NOTIFY; then `COMMIT`. Only for a transaction that has
/// appended no other event (a move that needed a rebalance goes through `BoardTx::commit`).
async fn commit_move(
    mut btx: BoardTx,
    card_id: Uuid,
    moved: &EventKind,
    client_op_id: Option<&str>,
) -> AppResult<MoveCardResponse> {
    let EventKind::CardMoved { to_list_id, position, version, .. } = moved else {
        return Err(AppError::internal("commit_move takes a card_moved event"));
    };
    let seq = btx.seq_for_own_statement()?;
    let (board_id, actor_id) = (btx.board_id, btx.actor_id);
    let row = sqlx::query!(
        r#"with moved as (
                   update cards set list_id = $2, position = $3, version = $4::int8, updated_at = now()
                   where id = $1 and version = $4::int8 - 1
                   returning id, board_id, list_id, title, description, position, version, created_at, updated_at,
                             start_at, due_at, completed, archived_at
               ),
               appended as (
                   insert into events (board_id, seq, kind, data, actor_id, client_op_id)
                   select $5, $6, $7, $8, $9, $10 from moved
               ),
               bumped as (update boards set seq = $6, updated_at = now() where id = $5 and exists (select 1 from moved))
               select moved.id, moved.board_id, moved.list_id, moved.title, moved.description, moved.position,
                      moved.version, moved.created_at, moved.updated_at, moved.start_at, moved.due_at,
                      moved.completed, moved.archived_at,
                      array(select cl.label_id from card_labels cl join labels l on l.id = cl.label_id
                            where cl.card_id = moved.id order by l.position) as "label_ids!",
                      array(select cm.user_id from card_members cm where cm.card_id = moved.id
                            order by cm.added_at, cm.user_id) as "member_ids!",
                      (select count(*) from checklist_items i where i.card_id = moved.id and i.done) as "items_done!",
                      (select count(*) from checklist_items i where i.card_id = moved.id) as "items_total!",
                      (select count(*) from comments m where m.card_id = moved.id) as "comment_count!",
                      pg_notify($11, $12)::text as "notified"
               from moved"#,
        card_id,
        to_list_id,
        position,
        version,
        board_id,
        seq,
        moved.name(),
        moved.data(),
        actor_id,
        client_op_id,
        BOARD_EVENTS_CHANNEL,
        doorbell(board_id, seq),
    )
    .fetch_optional(btx.conn())
    .await?
    // Under the board's lock the card cannot have changed since it was read; if it did, that is a bug.
    .ok_or_else(|| AppError::internal("the moved card changed under the board lock"))?;
    btx.commit().await?;
    let card = Card::from(cards::read::CardRow {
        id: row.id,
        board_id: row.board_id,
        list_id: row.list_id,
        title: row.title,
        description: row.description,
        position: row.position,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        start_at: row.start_at,
        due_at: row.due_at,
        completed: row.completed,
        archived_at: row.archived_at,
        label_ids: row.label_ids,
        member_ids: row.member_ids,
        items_done: row.items_done,
        items_total: row.items_total,
        comment_count: row.comment_count,
    });
    Ok(MoveCardResponse { card, seq })
}
