//! Turning a placement intent ("first", "after X", "at the end") into an order key among the siblings as they
//! are inside the caller's transaction, rebalancing the siblings when keys grow long. Lists are ordered within a
//! board, cards within a list, checklists within a card and items within a checklist; all go through here so
//! they follow one rule. It reads the siblings' keys; the new keys of a rebalance are written by the modules that
//! own the rows (`lists`, `cards`, `checklists`).

use corkboard_protocol::{EventKind, Placement};
use uuid::Uuid;

use super::positions::{MAX_KEY_LEN, key_between, spread};
use crate::error::{AppError, AppResult};
use crate::eventlog::BoardTx;
use crate::http::{cards, checklists, lists};

/// Whose order a key is made in.
#[derive(Debug, Clone, Copy)]
pub enum Siblings {
    /// The lists of the transaction's board.
    Lists,
    /// The cards of one list.
    CardsOf(Uuid),
    /// The checklists of one card.
    ChecklistsOf(Uuid),
    /// The items of one checklist.
    ItemsOf(Uuid),
}

/// The key for an item placed at `placement` among `siblings`. `moving` is the item itself when it already
/// exists (a move), so it is not its own neighbour. `after` naming something that is not (any longer) a
/// sibling is `stale_position`.
pub async fn place(
    btx: &mut BoardTx,
    siblings: Siblings,
    placement: Placement,
    moving: Option<Uuid>,
) -> AppResult<String> {
    if let (Placement::After(after), Some(moving)) = (placement, moving)
        && after == moving
    {
        return Err(AppError::validation("after_id", "must not be the item being moved"));
    }
    let key = key_at(btx, siblings, placement, moving).await?;
    if key.len() <= MAX_KEY_LEN {
        return Ok(key);
    }
    rebalance(btx, siblings, moving).await?;
    key_at(btx, siblings, placement, moving).await
}

async fn key_at(
    btx: &mut BoardTx,
    siblings: Siblings,
    placement: Placement,
    moving: Option<Uuid>,
) -> AppResult<String> {
    let moving = moving.unwrap_or(Uuid::nil());
    let board_id = btx.board_id;
    let conn = btx.conn();
    let before: Option<String> = match (placement, siblings) {
        (Placement::First, _) => None,
        (Placement::End, Siblings::Lists) => {
            sqlx::query_scalar!("select max(position) from lists where board_id = $1 and id <> $2", board_id, moving)
                .fetch_one(&mut *conn)
                .await?
        }
        (Placement::End, Siblings::CardsOf(list_id)) => {
            sqlx::query_scalar!("select max(position) from cards where list_id = $1 and id <> $2", list_id, moving)
                .fetch_one(&mut *conn)
                .await?
        }
        (Placement::End, Siblings::ChecklistsOf(card_id)) => {
            sqlx::query_scalar!("select max(position) from checklists where card_id = $1 and id <> $2", card_id, moving)
                .fetch_one(&mut *conn)
                .await?
        }
        (Placement::End, Siblings::ItemsOf(checklist_id)) => {
            sqlx::query_scalar!(
                "select max(position) from checklist_items where checklist_id = $1 and id <> $2",
                checklist_id,
                moving,
            )
            .fetch_one(&mut *conn)
            .await?
        }
        (Placement::After(after), Siblings::Lists) => Some(
            sqlx::query_scalar!("select position from lists where id = $1 and board_id = $2", after, board_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(AppError::StalePosition)?,
        ),
        (Placement::After(after), Siblings::CardsOf(list_id)) => Some(
            sqlx::query_scalar!("select position from cards where id = $1 and list_id = $2", after, list_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(AppError::StalePosition)?,
        ),
        (Placement::After(after), Siblings::ChecklistsOf(card_id)) => Some(
            sqlx::query_scalar!("select position from checklists where id = $1 and card_id = $2", after, card_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(AppError::StalePosition)?,
        ),
        (Placement::After(after), Siblings::ItemsOf(checklist_id)) => Some(
            sqlx::query_scalar!(
                "select position from checklist_items where id = $1 and checklist_id = $2",
                after,
                checklist_id,
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::StalePosition)?,
        ),
    };
    let after: Option<String> = match placement {
        Placement::End => None,
        _ => {
            let floor = before.as_deref().unwrap_or("");
            match siblings {
                Siblings::Lists => {
                    sqlx::query_scalar!(
                        "select min(position) from lists where board_id = $1 and position > $2 and id <> $3",
                        board_id,
                        floor,
                        moving,
                    )
                    .fetch_one(&mut *conn)
                    .await?
                }
                Siblings::CardsOf(list_id) => {
                    sqlx::query_scalar!(
                        "select min(position) from cards where list_id = $1 and position > $2 and id <> $3",
                        list_id,
                        floor,
                        moving,
                    )
                    .fetch_one(&mut *conn)
                    .await?
                }
                Siblings::ChecklistsOf(card_id) => {
                    sqlx::query_scalar!(
                        "select min(position) from checklists where card_id = $1 and position > $2 and id <> $3",
                        card_id,
                        floor,
                        moving,
                    )
                    .fetch_one(&mut *conn)
                    .await?
                }
                Siblings::ItemsOf(checklist_id) => {
                    sqlx::query_scalar!(
                        "select min(position) from checklist_items
                         where checklist_id = $1 and position > $2 and id <> $3",
                        checklist_id,
                        floor,
                        moving,
                    )
                    .fetch_one(&mut *conn)
                    .await?
                }
            }
        }
    };
    key_between(before.as_deref(), after.as_deref()).map_err(AppError::internal)
}

/// Gives every sibling but `moving` a fresh short key, in order, each as an event so clients stay in step.
async fn rebalance(btx: &mut BoardTx, siblings: Siblings, moving: Option<Uuid>) -> AppResult<()> {
    let moving = moving.unwrap_or(Uuid::nil());
    let board_id = btx.board_id;
    match siblings {
        Siblings::Lists => {
            let ids = sqlx::query_scalar!(
                "select id from lists where board_id = $1 and id <> $2 order by position",
                board_id,
                moving,
            )
            .fetch_all(btx.conn())
            .await?;
            tracing::info!(%board_id, lists = ids.len(), "rebalancing list positions");
            for (list_id, position) in ids.into_iter().zip(spread()) {
                lists::set_position(btx.conn(), list_id, &position).await?;
                btx.emit(&EventKind::ListMoved { list_id, position }, None);
            }
        }
        Siblings::CardsOf(list_id) => {
            let ids = sqlx::query_scalar!(
                "select id from cards where list_id = $1 and id <> $2 order by position",
                list_id,
                moving,
            )
            .fetch_all(btx.conn())
            .await?;
            tracing::info!(%board_id, %list_id, cards = ids.len(), "rebalancing card positions");
            for (card_id, position) in ids.into_iter().zip(spread()) {
                let version = cards::set_position(btx.conn(), card_id, &position).await?;
                let moved =
                    EventKind::CardMoved { card_id, from_list_id: list_id, to_list_id: list_id, position, version };
                btx.emit(&moved, None);
            }
        }
        Siblings::ChecklistsOf(card_id) => {
            let ids = sqlx::query_scalar!(
                "select id from checklists where card_id = $1 and id <> $2 order by position",
                card_id,
                moving,
            )
            .fetch_all(btx.conn())
            .await?;
            tracing::info!(%board_id, %card_id, checklists = ids.len(), "rebalancing checklist positions");
            for (checklist_id, position) in ids.into_iter().zip(spread()) {
                let rekeyed = checklists::rekey_checklist(btx.conn(), checklist_id, &position).await?;
                btx.emit(&rekeyed, None);
            }
        }
        Siblings::ItemsOf(checklist_id) => {
            let ids = sqlx::query_scalar!(
                "select id from checklist_items where checklist_id = $1 and id <> $2 order by position",
                checklist_id,
                moving,
            )
            .fetch_all(btx.conn())
            .await?;
            tracing::info!(%board_id, %checklist_id, items = ids.len(), "rebalancing checklist item positions");
            for (item_id, position) in ids.into_iter().zip(spread()) {
                let rekeyed = checklists::rekey_item(btx.conn(), item_id, &position).await?;
                btx.emit(&rekeyed, None);
            }
        }
    }
    Ok(())
}
