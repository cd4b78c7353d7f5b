//! Realtime: the board's event stream over WebSocket and SSE. Owns admission (auth, origin, membership before
//! any stream starts), the per-instance hub (fan-out), frame encoding, per-user stream caps, the feeds, and the
//! Postgres listener that wakes the hub.
//!
//! The data path: a commit rings `board_events` → the listener rings the board's hub entry → its pump reads the
//! new events from the log once and hands the same bytes to every subscriber's bounded queue → each subscriber's
//! feed sends them in seq order, filling any gap (a full queue, a late join) from the log by its last sent seq.
//!
//! Policies (the numbers live next to the code that uses them, under these names; close codes are
//! `corkboard_protocol::close_code`):
//! - `reset` ([`MAX_REPLAY`]): a `since` ahead of the board's seq, or more than `MAX_REPLAY` events behind, or a
//!   subscriber that has fallen more than `MAX_REPLAY` events behind, gets `reset`; the stream then goes on with
//!   the events after the reset point (SSE: `event: reset` with `id: <that seq>`). A client reloads the snapshot
//!   and applies only events after the snapshot's seq. Below the cap, everything is replayed from the log.
//! - Queues ([`QUEUE_CAPACITY`] events per subscriber): overflowing marks a subscriber lagging; it then catches
//!   up from the log in batches of `hub::READ_BATCH` by its last sent seq. The pump never waits for a subscriber.
//! - WebSocket limits (`ws.rs`): `RATE_PER_SEC` client frames a second with bursts of `RATE_BURST`, then
//!   `POLICY_VIOLATION`, judged on the client's sending (time spent answering a frame is excused, so frames
//!   that queued behind a slow database are no burst); frames over `corkboard_protocol::MAX_FRAME_BYTES` close
//!   with `MESSAGE_TOO_BIG`; a ping every `CORKBOARD_WS_PING_MS`, a peer silent for `CORKBOARD_WS_IDLE_MS` is
//!   dropped; a small read buffer and unbuffered writes.
//! - Outages: the listener tells `db_health` when Postgres is unreachable and when it is back; meanwhile moves
//!   are refused with `service_unavailable` at once, and log reads that fail keep quiet (one WARN per outage).
//! - Presence (`frame::presence_frame`, `feed.rs`): a count and the first `PRESENCE_NAMES` names, rebuilt per
//!   join or leave at a cost that does not grow with the crowd; each socket gets one after `hello`, then at most
//!   one per `PRESENCE_INTERVAL_MS` with the latest state. Per instance: each instance tells its own sockets who
//!   watches through it (known limitation).
//! - Closes: logout → `SESSION_REVOKED` (NOTIFY `session_revoked`, and a re-check of every open session after
//!   the listener reconnects), `member_removed` → `MEMBERSHIP_REVOKED` after that event, `board_deleted` →
//!   `BOARD_DELETED` after that event, shutdown → `GOING_AWAY`. An SSE stream just ends in those cases.
//! - "My boards" (`user_stream.rs`, `GET /api/me/events`): one SSE stream per open boards page, told by the
//!   `user_boards` doorbell that the user's list of boards changed; `refetch` after a listener reconnect.

mod admission;
mod feed;
mod frame;
mod hub;
mod listener;
mod metrics;
mod slots;
mod sse;
mod subscription;
mod user_stream;
mod ws;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::task::JoinHandle;

pub use feed::MAX_REPLAY;
pub use hub::{Hub, QUEUE_CAPACITY};
pub use metrics::HubStats;
pub use subscription::Subscriber;
pub use user_stream::UserStreams;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/boards/{board_id}/ws", get(ws::upgrade))
        .route("/api/boards/{board_id}/events", get(sse::stream))
        .route("/api/me/events", get(user_stream::stream))
}

/// Starts the background work of an instance: the Postgres listener. It stops when `state.shutdown` is
/// cancelled.
pub fn start(state: &AppState) -> JoinHandle<()> {
    tokio::spawn(listener::run(
        state.hub.clone(),
        state.user_streams.clone(),
        state.config.database_url.clone(),
        state.shutdown.clone(),
    ))
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
