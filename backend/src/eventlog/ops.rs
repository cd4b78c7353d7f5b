//! Exactly-once for every change (API.md, "Every change is exactly-once"): what became of a `client_op_id` this
//! user already sent on the board, read under the board's lock before anything is done, and the refusals
//! remembered for good. Every changing handler goes the same way:
//!
//! ```text
//! let mut btx = BoardTx::begin(..).await?;
//! if let Some(prior) = btx.prior(op).await? { return prior.replay(..) }
//! let result = apply(&mut btx, ..).await;
//! btx.finish(op, result).await
//! ```
//!
//! The card move reads the same two records in its own one statement (`http::cards::moves`).

use axum::http::StatusCode;
use corkboard_protocol::{ErrorCode, ErrorDetail, EventKind, validate_client_op_id};
use sqlx::PgPool;
use uuid::Uuid;

use super::{BoardTx, OpOutcome};
use crate::error::{AppError, AppResult};

/// An operation that was seen before.
#[derive(Debug)]
pub enum Prior {
    /// Applied as the event with this seq and kind (the last event of its transaction).
    Applied { seq: i64, kind: Box<EventKind> },
    /// Refused for good: answer with this again.
    Refused(AppError),
}

impl Prior {
    /// The first answer again: `Refused` as the error, `Applied` through `answer`, which rebuilds the response
    /// from the event. A kind it does not expect means the client spent one id on two different operations:
    /// that is the client's mistake, answered 422 `fields.client_op_id`, and nothing is applied.
    pub fn replay<T>(self, answer: impl FnOnce(EventKind) -> Option<T>) -> AppResult<T> {
        match self {
            Prior::Refused(refusal) => Err(refusal),
            Prior::Applied { kind, seq } => {
                let name = kind.name();
                answer(*kind).ok_or_else(|| {
                    AppError::Validation(std::collections::BTreeMap::from([(
                        "client_op_id".to_owned(),
                        format!("was already used for another operation ({name}, seq {seq})"),
                    )]))
                })
            }
        }
    }
}

/// The board on which this user sent `client_op_id` before (applied or refused), for a repeat whose target is
/// gone since (a deleted checklist, say): its board can no longer be found through it, but the first answer is
/// still owed (`BoardTx::prior`). `None` for a new operation.
pub async fn board_of_op(db: &PgPool, actor_id: Uuid, client_op_id: Option<&str>) -> AppResult<Option<Uuid>> {
    let Some(op) = client_op_id else { return Ok(None) };
    Ok(sqlx::query_scalar!(
        // Through the actor's boards, so each lookup is an index probe per board they are on (the log's
        // index leads with the board), never a scan of the whole log.
        r#"select e.board_id as "board_id!" from board_members m
           join events e on e.board_id = m.board_id and e.actor_id = m.user_id and e.client_op_id = $2
           where m.user_id = $1
           union all
           select r.board_id from board_members m
           join refused_ops r on r.board_id = m.board_id and r.actor_id = m.user_id and r.client_op_id = $2
           where m.user_id = $1
           limit 1"#,
        actor_id,
        op,
    )
    .fetch_optional(db)
    .await?)
}

/// Checks a `client_op_id` before anything else (a bad one is a 422 that is never remembered).
pub fn check_op(client_op_id: Option<&str>) -> AppResult<()> {
    match client_op_id {
        Some(op) => validate_client_op_id(op).map_err(|problem| AppError::validation("client_op_id", problem)),
        None => Ok(()),
    }
}

impl BoardTx {
    /// What became of `client_op_id` when this user sent it on this board before; `None` for a new operation
    /// (or none given). Read under the board's lock, so it is ordered against every other copy of the operation.
    pub async fn prior(&mut self, client_op_id: Option<&str>) -> AppResult<Option<Prior>> {
        let Some(op) = client_op_id else { return Ok(None) };
        let row = sqlx::query!(
            r#"select seq as "seq?", kind as "kind?", data as "data?", null::text as "code?", null::jsonb as "detail?"
               from events where board_id = $1 and actor_id = $2 and client_op_id = $3
               union all
               select null, null, null, code, detail
               from refused_ops where board_id = $1 and actor_id = $2 and client_op_id = $3
               limit 1"#,
            self.board_id,
            self.actor_id,
            op,
        )
        .fetch_optional(self.conn())
        .await?;
        let Some(row) = row else { return Ok(None) };
        if let (Some(seq), Some(kind), Some(data)) = (row.seq, row.kind, row.data) {
            let kind = EventKind::from_parts(&kind, data)
                .map_err(|e| AppError::internal(format!("event {}:{seq} does not parse: {e}", self.board_id)))?;
            return Ok(Some(Prior::Applied { seq, kind: Box::new(kind) }));
        }
        let refusal = match row.detail.and_then(|detail| serde_json::from_value::<StoredRefusal>(detail).ok()) {
            Some(stored) => AppError::Replayed(
                StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CONFLICT),
                Box::new(stored.error),
            ),
            // Stored by a card move, which keeps the code alone.
            None => match OpOutcome::from_log(None, row.code.as_deref()) {
                Some(OpOutcome::Refused(code)) => refusal_of_code(code),
                _ => AppError::internal("a refused operation without a code"),
            },
        };
        Ok(Some(Prior::Refused(refusal)))
    }

    /// Ends a change: commits when `result` is a success; remembers a final refusal under `client_op_id` (and
    /// commits that alone); otherwise drops the transaction, which rolls everything back.
    pub async fn finish<T>(self, client_op_id: Option<&str>, result: AppResult<T>) -> AppResult<T> {
        match result {
            Ok(value) => {
                self.commit().await?;
                Ok(value)
            }
            Err(refusal) => {
                if let Some(op) = client_op_id
                    && refusal.is_final_refusal()
                    && self.pending.is_empty()
                {
                    let stored = StoredRefusal { status: refusal.status().as_u16(), error: refusal.body().error };
                    let detail = serde_json::to_value(&stored).map_err(AppError::internal)?;
                    self.commit_refusal_with(op, stored.error.code, Some(detail)).await?;
                }
                Err(refusal)
            }
        }
    }
}

/// A refusal as `refused_ops.detail` keeps it: the status and the body it was answered with.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRefusal {
    status: u16,
    error: ErrorDetail,
}

/// The answer to a refusal of which only the code was kept.
fn refusal_of_code(code: ErrorCode) -> AppError {
    let status = match code {
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        code if code.as_str().ends_with("_not_found") => StatusCode::NOT_FOUND,
        _ => StatusCode::CONFLICT,
    };
    AppError::Replayed(
        status,
        Box::new(ErrorDetail { code, message: "This operation was refused before.".into(), fields: None, card: None }),
    )
}
