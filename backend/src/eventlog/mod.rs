//! The event log: owns `events`, `refused_ops`, the boards' `seq` and the `board_events` doorbell. Every change to
//! a board runs in a `BoardTx`: it locks the board row (which orders all writes of one board), checks the
//! caller's membership, appends one event per change with the board's next seq, and on commit rings the
//! doorbell. This is the one place where "an event was committed" is announced; the card move writes its event
//! in a statement of its own, with a seq taken here (`seq_for_own_statement`). A change that alters someone's list
//! of boards also rings the `user_boards` doorbell (`user_boards`), asked for with `ring_users`.

mod ops;
mod user_boards;

pub use ops::{Prior, board_of_op, check_op};

pub use user_boards::{Audience, USER_BOARDS_CHANNEL, parse as parse_user_boards};

use corkboard_protocol::{BoardChange, ErrorCode, Event, EventKind, Role};
use serde::Deserialize;
use serde::de::value::StrDeserializer;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::{AppError, AppResult, Resource};

/// Postgres channel rung on every commit with `<board_id>:<seq>`: a doorbell, never the data.
pub const BOARD_EVENTS_CHANNEL: &str = "board_events";

/// The `board_events` payload: the board, and the newest seq committed on it.
pub fn doorbell(board_id: Uuid, seq: i64) -> String {
    format!("{board_id}:{seq}")
}

/// The board and seq of a `board_events` payload; `None` when it is not one.
pub fn parse_doorbell(payload: &str) -> Option<(Uuid, i64)> {
    let (board, seq) = payload.split_once(':')?;
    Some((board.parse().ok()?, seq.parse().ok()?))
}

/// A transaction on one board, holding its row lock, on behalf of one member.
pub struct BoardTx {
    tx: Transaction<'static, Postgres>,
    pub board_id: Uuid,
    pub actor_id: Uuid,
    pub role: Role,
    /// The board's seq when the transaction began.
    base_seq: i64,
    /// The seq of the newest event appended so far (== `base_seq` when none).
    seq: i64,
    /// Events appended so far, written by `commit` in the statement that advances the seq.
    pending: Vec<PendingEvent>,
    /// `user_boards` doorbells to ring at commit.
    user_doorbells: Vec<(BoardChange, Audience)>,
}

/// The locked board row and the actor's role on it (`None` for a stranger).
struct Locked {
    board_id: Uuid,
    seq: i64,
    role: Option<Role>,
}

struct PendingEvent {
    seq: i64,
    kind: &'static str,
    data: serde_json::Value,
    client_op_id: Option<String>,
}

impl BoardTx {
    /// Begins a transaction on `board_id` for `actor_id`, who must be a member. A board that is missing, deleted,
    /// or not the actor's answers 404 naming `missing` (no existence leak).
    pub async fn begin(db: &PgPool, board_id: Uuid, actor_id: Uuid, missing: Resource) -> AppResult<Self> {
        let mut tx = db.begin().await?;
        // One round trip: lock the board row and read the actor's role (NULL for a stranger).
        let locked = sqlx::query_as!(
            Locked,
            r#"select b.id as board_id, b.seq, m.role as "role?: Role"
               from boards b left join board_members m on m.board_id = b.id and m.user_id = $2
               where b.id = $1 and b.deleted_at is null
               for update of b"#,
            board_id,
            actor_id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        Self::locked(tx, actor_id, locked, missing)
    }

    /// Like `begin`, on the board of `card_id`, found in the same statement that locks it (a card never changes
    /// boards). A missing card, or one the actor may not know of, is `card_not_found`. The card itself is not
    /// locked: read it after this returns.
    pub async fn begin_for_card(db: &PgPool, card_id: Uuid, actor_id: Uuid) -> AppResult<Self> {
        let mut tx = db.begin().await?;
        let locked = sqlx::query_as!(
            Locked,
            r#"select b.id as board_id, b.seq, m.role as "role?: Role"
               from cards c
               join boards b on b.id = c.board_id
               left join board_members m on m.board_id = b.id and m.user_id = $2
               where c.id = $1 and b.deleted_at is null
               for update of b"#,
            card_id,
            actor_id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        Self::locked(tx, actor_id, locked, Resource::Card)
    }

    /// The transaction once its board row is locked; no row, or no role on it, is 404 naming `missing`.
    fn locked(
        tx: Transaction<'static, Postgres>,
        actor_id: Uuid,
        locked: Option<Locked>,
        missing: Resource,
    ) -> AppResult<Self> {
        let locked = locked.ok_or(AppError::NotFound(missing))?;
        let role = locked.role.ok_or(AppError::NotFound(missing))?;
        let (board_id, seq) = (locked.board_id, locked.seq);
        Ok(Self { tx, board_id, actor_id, role, base_seq: seq, seq, pending: Vec::new(), user_doorbells: Vec::new() })
    }

    /// Refuses the change unless the actor's role is at least `min`.
    pub fn require(&self, min: Role) -> AppResult<()> {
        if self.role >= min {
            Ok(())
        } else if min == Role::Editor {
            Err(AppError::Forbidden("Viewers cannot change this board."))
        } else if min == Role::Admin {
            Err(AppError::Forbidden("Only admins and the owner can do this."))
        } else {
            Err(AppError::Forbidden("Only the board's owner can do this."))
        }
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Appends one event with the board's next seq, and returns that seq. It is written at `commit`, together
    /// with the seq it advances: one statement for every event of the transaction.
    pub fn emit(&mut self, kind: &EventKind, client_op_id: Option<&str>) -> i64 {
        self.seq += 1;
        self.pending.push(PendingEvent {
            seq: self.seq,
            kind: kind.name(),
            data: kind.data(),
            client_op_id: client_op_id.map(str::to_owned),
        });
        self.seq
    }

    /// Rings the `user_boards` doorbell for `audience` when this transaction commits: their list of boards changed.
    pub fn ring_users(&mut self, change: BoardChange, audience: Audience) {
        self.user_doorbells.push((change, audience));
    }

    /// The seq the next appended event will get.
    pub fn next_seq(&self) -> i64 {
        self.seq + 1
    }

    /// Commits; when events were appended, writes them, advances the board's seq and rings the doorbell, all in
    /// one statement (NOTIFY is delivered only on commit, so listeners never read ahead of the log).
    pub async fn commit(mut self) -> AppResult<i64> {
        if !self.pending.is_empty() {
            let mut seqs = Vec::with_capacity(self.pending.len());
            let mut kinds = Vec::with_capacity(self.pending.len());
            let mut data = Vec::with_capacity(self.pending.len());
            let mut ops = Vec::with_capacity(self.pending.len());
            for event in self.pending.drain(..) {
                seqs.push(event.seq);
                kinds.push(event.kind.to_owned());
                data.push(event.data);
                ops.push(event.client_op_id);
            }
            sqlx::query!(
                r#"with appended as (
                       insert into events (board_id, seq, kind, data, actor_id, client_op_id)
                       select $1, e.seq, e.kind, e.data, $2, e.client_op_id
                       from unnest($3::int8[], $4::text[], $5::jsonb[], $6::text[]) as e(seq, kind, data, client_op_id)
                   ),
                   bumped as (update boards set seq = $7, updated_at = now() where id = $1)
                   select pg_notify($8, $9)"#,
                self.board_id,
                self.actor_id,
                &seqs,
                &kinds,
                &data,
                &ops as &[Option<String>],
                self.seq,
                BOARD_EVENTS_CHANNEL,
                doorbell(self.board_id, self.seq),
            )
            .execute(&mut *self.tx)
            .await?;
        }
        for (change, audience) in std::mem::take(&mut self.user_doorbells) {
            user_boards::ring(&mut self.tx, self.board_id, change, audience).await?;
        }
        self.tx.commit().await?;
        metrics::counter!(crate::telemetry::EVENTS_COMMITTED).increment((self.seq - self.base_seq) as u64);
        Ok(self.seq)
    }

    /// For the card move alone, whose one statement writes the card, its event, the seq and the doorbell
    /// together (`http::cards::moves` says why): the seq that statement must give its event, taken here so that
    /// `commit` counts it. Only for a transaction that has appended no other event.
    pub fn seq_for_own_statement(&mut self) -> AppResult<i64> {
        if !self.pending.is_empty() {
            return Err(AppError::internal("a statement of its own after events were appended"));
        }
        self.seq += 1;
        Ok(self.seq)
    }

    /// Remembers that `client_op_id` was refused for good with `code`, and commits (the transaction made no other
    /// change). A later copy of the same operation gets the same refusal.
    pub async fn commit_refusal(self, client_op_id: &str, code: ErrorCode) -> AppResult<()> {
        self.commit_refusal_with(client_op_id, code, None).await
    }

    /// `commit_refusal`, keeping also the whole answer (`detail`) to give it again word for word.
    async fn commit_refusal_with(
        mut self,
        client_op_id: &str,
        code: ErrorCode,
        detail: Option<serde_json::Value>,
    ) -> AppResult<()> {
        if !self.pending.is_empty() {
            // A refusal after an event was appended would commit half a change; drop the transaction instead.
            return Err(AppError::internal("a refusal was recorded after events were appended"));
        }
        sqlx::query!(
            "insert into refused_ops (board_id, actor_id, client_op_id, code, detail) values ($1, $2, $3, $4, $5)
             on conflict do nothing",
            self.board_id,
            self.actor_id,
            client_op_id,
            code.as_str(),
            detail,
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// What became of an operation a user sent earlier on this board (read by the move path under the board lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpOutcome {
    /// Applied as the event with this seq.
    Applied(i64),
    /// Refused for good with this error code (see `BoardTx::commit_refusal`).
    Refused(ErrorCode),
}

impl OpOutcome {
    /// The outcome from the log's two records of an operation: the seq of the event that carries its id, or the
    /// code `refused_ops` holds for it. A code this build does not know reads as `ErrorCode::Unknown`.
    pub fn from_log(applied_seq: Option<i64>, refused_code: Option<&str>) -> Option<Self> {
        match (applied_seq, refused_code) {
            (Some(seq), _) => Some(OpOutcome::Applied(seq)),
            (None, Some(code)) => {
                let code = ErrorCode::deserialize(StrDeserializer::<serde::de::value::Error>::new(code))
                    .unwrap_or(ErrorCode::Unknown);
                Some(OpOutcome::Refused(code))
            }
            (None, None) => None,
        }
    }
}

/// The events of a board after `since`, oldest first, at most `limit` of them.
pub async fn read_since(conn: &mut PgConnection, board_id: Uuid, since: i64, limit: i64) -> AppResult<Vec<Event>> {
    let rows = sqlx::query!(
        "select seq, kind, data, actor_id, client_op_id, at from events
         where board_id = $1 and seq > $2 order by seq limit $3",
        board_id,
        since,
        limit,
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let kind = EventKind::from_parts(&row.kind, row.data)
                .map_err(|e| AppError::internal(format!("event {board_id}:{} does not parse: {e}", row.seq)))?;
            Ok(Event { seq: row.seq, at: row.at, actor_id: row.actor_id, client_op_id: row.client_op_id, kind })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_refusal_reads_back_as_its_code_and_an_applied_op_wins() {
        let code = ErrorCode::StalePosition;
        assert_eq!(OpOutcome::from_log(None, Some(code.as_str())), Some(OpOutcome::Refused(code)));
        assert_eq!(OpOutcome::from_log(Some(7), Some(code.as_str())), Some(OpOutcome::Applied(7)));
        assert_eq!(
            OpOutcome::from_log(None, Some("from_a_newer_server")),
            Some(OpOutcome::Refused(ErrorCode::Unknown))
        );
        assert_eq!(OpOutcome::from_log(None, None), None);
    }

    #[test]
    fn a_doorbell_reads_back_as_its_board_and_seq() {
        let board_id = Uuid::now_v7();
        assert_eq!(parse_doorbell(&doorbell(board_id, 42)), Some((board_id, 42)));
        assert_eq!(parse_doorbell("not-a-board:42"), None);
        assert_eq!(parse_doorbell(&board_id.to_string()), None);
    }
}
