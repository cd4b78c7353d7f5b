//! The event log. Every change to a board runs in a `BoardTx`: it locks the board row (which orders all writes of
//! one board), checks the caller's membership, appends one event per change with the board's next seq, and on
//! commit rings the `board_events` doorbell. This is the one place where "an event was committed" is announced.

use corkboard_protocol::{Card, Event, EventKind, Role};
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
    /// Events appended so far, written by `commit` in the statement that advances the seq.
    pending: Vec<PendingEvent>,
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
        Ok(Self { tx, board_id, actor_id, role, base_seq: seq, seq, pending: Vec::new() })
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

/// What became of an operation a user sent earlier on this board (read by the move path under the board lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpOutcome {
    /// Applied as the event with this seq.
    Applied(i64),
    /// Refused for good with this error code (see `BoardTx::commit_refusal`).
    Refused(String),
}

impl BoardTx {
    /// Commits a card move in one statement: the card update, its `card_moved` event (`moved`, whose position,
    /// list and version are what the update writes), the seq bump and NOTIFY; then `COMMIT`. Only for a
    /// transaction that has appended no other event (a move that needed a rebalance goes through `commit`).
    pub async fn commit_card_move(
        mut self,
        card_id: Uuid,
        moved: &EventKind,
        client_op_id: Option<&str>,
    ) -> AppResult<(Card, i64)> {
        let EventKind::CardMoved { to_list_id, position, version, .. } = moved else {
            return Err(AppError::internal("commit_card_move takes a card_moved event"));
        };
        if !self.pending.is_empty() {
            return Err(AppError::internal("commit_card_move after other events"));
        }
        let seq = self.seq + 1;
        let row = sqlx::query!(
            r#"with moved as (
                   update cards set list_id = $2, position = $3, version = $4::int8, updated_at = now()
                   where id = $1 and version = $4::int8 - 1
                   returning id, board_id, list_id, title, description, position, version, created_at, updated_at
               ),
               appended as (
                   insert into events (board_id, seq, kind, data, actor_id, client_op_id)
                   select $5, $6, $7, $8, $9, $10 from moved
               ),
               bumped as (update boards set seq = $6, updated_at = now() where id = $5 and exists (select 1 from moved))
               select moved.id, moved.board_id, moved.list_id, moved.title, moved.description, moved.position,
                      moved.version, moved.created_at, moved.updated_at, pg_notify($11, $12)::text as "notified"
               from moved"#,
            card_id,
            to_list_id,
            position,
            version,
            self.board_id,
            seq,
            moved.name(),
            moved.data(),
            self.actor_id,
            client_op_id,
            BOARD_EVENTS_CHANNEL,
            format!("{}:{seq}", self.board_id),
        )
        .fetch_optional(&mut *self.tx)
        .await?
        // Under the board's lock the card cannot have changed since it was read; if it did, that is a bug.
        .ok_or_else(|| AppError::internal("the moved card changed under the board lock"))?;
        self.tx.commit().await?;
        metrics::counter!(crate::telemetry::EVENTS_COMMITTED).increment(1);
        let card = Card {
            id: row.id,
            board_id: row.board_id,
            list_id: row.list_id,
            title: row.title,
            description: row.description,
            position: row.position,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        };
        Ok((card, seq))
    }

    /// Remembers that `client_op_id` was refused for good with `code`, and commits (the transaction made no other
    /// change). A later copy of the same operation gets the same refusal.
    pub async fn commit_refusal(mut self, client_op_id: &str, code: &str) -> AppResult<()> {
        if !self.pending.is_empty() {
            // A refusal after an event was appended would commit half a change; drop the transaction instead.
            return Err(AppError::internal("a refusal was recorded after events were appended"));
        }
        sqlx::query!(
            "insert into refused_ops (board_id, actor_id, client_op_id, code) values ($1, $2, $3, $4)
             on conflict do nothing",
            self.board_id,
            self.actor_id,
            client_op_id,
            code,
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(())
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
