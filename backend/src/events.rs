//! The event log. Every change to a board runs in a `BoardTx`: it locks the board row (which orders all writes of
//! one board), checks the caller's membership, appends one event per change with the board's next seq, and on
//! commit rings the `board_events` doorbell. This is the one place where "an event was committed" is announced.

use corkboard_protocol::{Event, EventKind, Role};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::{AppError, AppResult, Resource};

/// Postgres channel rung on every commit with `<board_id>:<seq>`: a doorbell, never the data.
pub const BOARD_EVENTS_CHANNEL: &str = "board_events";

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
}

impl BoardTx {
    /// Begins a transaction on `board_id` for `actor_id`, who must be a member. A board that is missing, deleted,
    /// or not the actor's answers 404 naming `missing` (no existence leak).
    pub async fn begin(db: &PgPool, board_id: Uuid, actor_id: Uuid, missing: Resource) -> AppResult<Self> {
        let mut tx = db.begin().await?;
        // One round trip: lock the board row and read the actor's role (NULL for a stranger).
        let row = sqlx::query!(
            r#"select b.seq, m.role as "role?: Role"
               from boards b left join board_members m on m.board_id = b.id and m.user_id = $2
               where b.id = $1 and b.deleted_at is null
               for update of b"#,
            board_id,
            actor_id,
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound(missing))?;
        let role = row.role.ok_or(AppError::NotFound(missing))?;
        Ok(Self { tx, board_id, actor_id, role, base_seq: row.seq, seq: row.seq })
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

    /// Appends one event with the board's next seq, and returns that seq.
    pub async fn emit(&mut self, kind: &EventKind, client_op_id: Option<&str>) -> AppResult<i64> {
        let seq = self.seq + 1;
        sqlx::query!(
            "insert into events (board_id, seq, kind, data, actor_id, client_op_id) values ($1, $2, $3, $4, $5, $6)",
            self.board_id,
            seq,
            kind.name(),
            kind.data(),
            self.actor_id,
            client_op_id,
        )
        .execute(&mut *self.tx)
        .await?;
        self.seq = seq;
        Ok(seq)
    }

    /// The seq the next appended event will get.
    pub fn next_seq(&self) -> i64 {
        self.seq + 1
    }

    /// Commits; when events were appended, advances the board's seq and rings the doorbell (delivered on commit).
    pub async fn commit(mut self) -> AppResult<i64> {
        if self.seq > self.base_seq {
            // The seq advances and the doorbell rings in one statement; NOTIFY is delivered only on commit.
            sqlx::query!(
                "with bumped as (update boards set seq = $2, updated_at = now() where id = $1)
                 select pg_notify($3, $4)",
                self.board_id,
                self.seq,
                BOARD_EVENTS_CHANNEL,
                format!("{}:{}", self.board_id, self.seq),
            )
            .execute(&mut *self.tx)
            .await?;
        }
        self.tx.commit().await?;
        metrics::counter!(crate::telemetry::EVENTS_COMMITTED).increment((self.seq - self.base_seq) as u64);
        Ok(self.seq)
    }
}

/// The seq of the event that a user's earlier operation produced on this board, if it was applied already.
pub async fn applied_op_seq(
    conn: &mut PgConnection,
    board_id: Uuid,
    actor_id: Uuid,
    client_op_id: &str,
) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar!(
        "select seq from events where board_id = $1 and actor_id = $2 and client_op_id = $3",
        board_id,
        actor_id,
        client_op_id,
    )
    .fetch_optional(conn)
    .await?)
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
