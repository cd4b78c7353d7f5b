//! Realtime: the board's event stream over WebSocket and SSE. Owns admission (auth, origin, membership before
//! any stream starts), the per-instance hub, the feeds, and the Postgres listener that wakes the hub.
//!
//! The data path: a commit rings `board_events` → the listener rings the board's hub entry → its pump reads the
//! new events from the log once and hands the same bytes to every subscriber's bounded queue → each subscriber's
//! feed sends them in seq order, filling any gap (a full queue, a late join) from the log by its last sent seq.
//!
//! Policies (the numbers live next to the code that uses them):
//! - `reset` ([`MAX_REPLAY`]): a `since` ahead of the board's seq, or more than 10,000 events behind, or a
//!   subscriber that has fallen more than 10,000 events behind, gets `reset`; the stream then goes on with the
//!   events after the reset point (SSE: `event: reset` with `id: <that seq>`). A client reloads the snapshot and
//!   applies only events after the snapshot's seq. Below the cap, everything is replayed from the log.
//! - Queues ([`QUEUE_CAPACITY`]): 256 events per subscriber; overflowing marks it lagging, it then catches up
//!   from the log in batches of 1,000 by its last sent seq. The pump never waits for a subscriber.
//! - WebSocket limits: 20 client frames a second, bursts of 50, then close 1008; frames over 64 KiB close
//!   with 1009; a ping every 25 s, a peer silent for 60 s is dropped; 4 KiB read buffer, unbuffered writes.
//! - Presence is per instance: each instance tells its own sockets who watches through it (known limitation).
//! - Closes: logout → 4001 (NOTIFY `session_revoked`, and a re-check of every open session after the
//!   listener reconnects), `member_removed` → 4003 after that event, `board_deleted` → 4004 after that event,
//!   shutdown → 1001. An SSE stream just ends in those cases.

mod feed;
mod hub;
mod listener;
mod sse;
mod ws;

use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use corkboard_protocol::ErrorCode;
use serde::Deserialize;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use feed::MAX_REPLAY;
pub use hub::{Hub, HubStats, QUEUE_CAPACITY, Viewer};

use crate::auth::{authenticate, check_origin, credential};
use crate::error::{AppError, AppResult, Resource};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/boards/{board_id}/ws", get(ws::upgrade))
        .route("/api/boards/{board_id}/events", get(sse::stream))
}

/// Starts the background work of an instance: the Postgres listener. It stops when `state.shutdown` is
/// cancelled.
pub fn start(state: &AppState) -> JoinHandle<()> {
    tokio::spawn(listener::run(state.hub.clone(), state.config.database_url.clone(), state.shutdown.clone()))
}

/// After `state.shutdown` was cancelled: waits (at most `grace`) until every socket has sent its close 1001.
pub async fn drain(state: &AppState, grace: Duration) {
    state.hub.close();
    let tasks = state.hub.tasks();
    tasks.close();
    if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
        tracing::warn!(open = tasks.len(), "sockets still open after the shutdown grace period");
    }
}

/// `?since=<seq>`: where the client's copy of the board is.
#[derive(Debug, Deserialize)]
pub(crate) struct StreamQuery {
    since: Option<i64>,
}

impl StreamQuery {
    fn since(&self) -> AppResult<Option<i64>> {
        parse_since(self.since)
    }
}

fn parse_since(since: Option<i64>) -> AppResult<Option<i64>> {
    match since {
        Some(seq) if seq < 0 => {
            Err(AppError::bad_request(ErrorCode::InvalidQuery, "`since` must be a seq, 0 or more."))
        }
        other => Ok(other),
    }
}

/// Everything a stream is refused for, checked before it starts (before the upgrade for a WebSocket): the
/// Origin (always, when present), the credential, and membership of a live board.
async fn admit(state: &AppState, headers: &HeaderMap, board_id: Uuid) -> AppResult<Viewer> {
    check_origin(state, headers)?;
    let (token, via_cookie) = credential(headers).ok_or(AppError::Unauthorized)?;
    let auth = authenticate(state, token, via_cookie).await?;
    let row = sqlx::query!(
        r#"select b.seq, u.display_name as "display_name?"
           from boards b
           left join board_members m on m.board_id = b.id and m.user_id = $2
           left join users u on u.id = m.user_id
           where b.id = $1 and b.deleted_at is null"#,
        board_id,
        auth.user_id,
    )
    .fetch_optional(&state.db)
    .await?
    .ok_or(AppError::NotFound(Resource::Board))?;
    let display_name = row.display_name.ok_or(AppError::NotAMember)?;
    Ok(Viewer { board_id, user_id: auth.user_id, session_id: auth.session_id, display_name, seq: row.seq })
}

/// Whether a session is still live. Checked once more after registering with the hub: a logout between
/// admission and registration rang its doorbell before anyone here listened for it.
async fn session_live(state: &AppState, session_id: Uuid) -> AppResult<bool> {
    Ok(sqlx::query_scalar!(
        r#"select exists(select 1 from sessions where id = $1 and revoked_at is null and expires_at > now()) as "live!""#,
        session_id,
    )
    .fetch_one(&state.db)
    .await?)
}

/// `Last-Event-ID` of an SSE reconnect; it wins over `?since=` (a browser reconnects to the same URL).
fn last_event_id(headers: &HeaderMap) -> AppResult<Option<i64>> {
    let Some(value) = headers.get("last-event-id") else { return Ok(None) };
    let seq = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| AppError::bad_request(ErrorCode::InvalidLastEventId, "Last-Event-ID must be a seq."))?;
    parse_since(Some(seq))
}
