//! The instance's Postgres listener: LISTENs on `board_events` (doorbells → the hub's pumps) and
//! `session_revoked` (logouts → close `SESSION_REVOKED`) and `user_boards` (→ the "my boards" streams). It
//! reconnects by itself, and after every (re)connect it wakes every watched board, tells every "my boards" stream
//! to refetch, and re-checks every open session, so nothing committed while it was away is missed.

use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgListener};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::hub::Hub;
use super::user_stream::UserStreams;
use crate::auth::SESSION_REVOKED_CHANNEL;
use crate::db_health::DbHealth;
use crate::eventlog::{BOARD_EVENTS_CHANNEL, USER_BOARDS_CHANNEL, parse_doorbell, parse_user_boards};

/// Between reconnect attempts. Brisk on purpose: while they fail, Postgres counts as down and changes are
/// refused, and an attempt against a stopped server is cheap (a refused connection).
const RETRY_EVERY: Duration = Duration::from_millis(250);
/// Between attempts to LISTEN while Postgres answers but listening fails (each is logged).
const LISTEN_RETRY: Duration = Duration::from_secs(2);
/// A connection that drops sooner than this after it was made is retried after `RETRY_EVERY`, not at once.
const SHORT_LIVED: Duration = Duration::from_secs(1);

pub(super) async fn run(hub: Hub, users: UserStreams, database_url: String, shutdown: CancellationToken) {
    let mut connected_before = false;
    loop {
        let connecting = connect(&database_url, hub.db_health());
        let mut listener = tokio::select! {
            () = shutdown.cancelled() => return,
            listener = connecting => match listener {
                Ok(listener) => listener,
                Err(failure) => {
                    let retry_in = match failure {
                        // The first failure starts an outage (logged once, by `db_health`); retries stay quiet.
                        ConnectError::Unreachable(err) => {
                            hub.db_health().mark_down(&err);
                            tracing::debug!(error = %err, "Postgres is still unreachable");
                            RETRY_EVERY
                        }
                        // Postgres answers but LISTEN fails (a pooler that does not support it, say): changes
                        // still work, live updates do not. Worth a WARN, not an outage.
                        ConnectError::Listen(err) => {
                            tracing::warn!(error = %err, "cannot listen for board events; retrying");
                            LISTEN_RETRY
                        }
                    };
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(retry_in) => {}
                    }
                    continue;
                }
            },
        };
        let connected_at = std::time::Instant::now();
        if connected_before {
            tracing::info!("listening for board events again; catching up from the log");
        }
        connected_before = true;
        // Now that we listen, read what committed before: every watched board from its last pushed seq, every
        // "my boards" list (its doorbells rang for nobody here), and every open session (a logout while we were
        // away rang no bell here either).
        hub.ring_all();
        users.refetch_all();
        if let Err(err) = hub.recheck_sessions().await {
            tracing::warn!(error = %err, "cannot re-check the open sessions");
        }
        if let Err(err) = users.recheck_sessions(hub.db()).await {
            tracing::warn!(error = %err, "cannot re-check the sessions of the my-boards streams");
        }
        loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => return,
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(notification)) => dispatch(&hub, &users, notification.channel(), notification.payload()),
                // The connection was lost. Start over on a fresh one, so the catch-up above runs after LISTEN.
                // Logged at INFO: if Postgres is really gone, the reconnect below fails and `db_health` says so.
                Ok(None) => {
                    tracing::info!("lost the Postgres listener connection");
                    break;
                }
                Err(err) => {
                    tracing::info!(error = %err, "the Postgres listener failed");
                    break;
                }
            }
        }
        drop(listener);
        // Reconnect at once, so an outage is noticed (and moves fail fast) within moments; a connection that
        // keeps dropping right after it was made is retried more slowly.
        if connected_at.elapsed() < SHORT_LIVED {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RETRY_EVERY) => {}
            }
        }
    }
}

/// How long a (re)connect may take before Postgres counts as unreachable: as long as the pool waits for a
/// connection, so a busy server is not mistaken for a dead one. (A refused connection fails at once, through the
/// probe in `connect`; sqlx alone would retry it quietly until its own 30 s acquire timeout.)
const CONNECT_PATIENCE: Duration = Duration::from_secs(5);

/// Why a (re)connect failed.
enum ConnectError {
    /// Postgres cannot be reached (refused, shutting down, or no answer within `CONNECT_PATIENCE`): an outage.
    Unreachable(sqlx::Error),
    /// Postgres answers, but listening failed.
    Listen(sqlx::Error),
}

/// Probes Postgres with a plain connection (telling `health` the answer), then listens on a connection of its own.
async fn connect(database_url: &str, health: &DbHealth) -> Result<PgListener, ConnectError> {
    // A plain connection fails at once when Postgres refuses (sqlx's pool behind `PgListener` would keep
    // retrying quietly), so an outage is noticed within moments, and its end too.
    let probe = async { PgConnection::connect(database_url).await?.close().await };
    match tokio::time::timeout(CONNECT_PATIENCE, probe).await {
        Ok(Ok(())) => health.mark_up(),
        Ok(Err(err)) => return Err(ConnectError::Unreachable(err)),
        Err(_) => return Err(ConnectError::Unreachable(sqlx::Error::PoolTimedOut)),
    }
    let listening = async {
        let mut listener = PgListener::connect(database_url).await?;
        // A lost connection must come back to us at once, not be re-made inside `try_recv` (which would wait
        // out sqlx's acquire timeout there, and miss the catch-up and the outage bookkeeping of `run`).
        listener.eager_reconnect(false);
        listener.listen_all([BOARD_EVENTS_CHANNEL, SESSION_REVOKED_CHANNEL, USER_BOARDS_CHANNEL]).await?;
        Ok(listener)
    };
    let listened = tokio::time::timeout(CONNECT_PATIENCE, listening).await;
    listened.unwrap_or(Err(sqlx::Error::PoolTimedOut)).map_err(ConnectError::Listen)
}

fn dispatch(hub: &Hub, users: &UserStreams, channel: &str, payload: &str) {
    if channel == BOARD_EVENTS_CHANNEL {
        match parse_doorbell(payload) {
            Some((board_id, seq)) => hub.ring(board_id, seq),
            None => tracing::warn!(payload, "a board_events doorbell that does not parse"),
        }
    } else if channel == SESSION_REVOKED_CHANNEL {
        match payload.parse::<Uuid>() {
            Ok(session_id) => {
                hub.revoke_session(session_id);
                users.revoke_session(session_id);
            }
            Err(_) => tracing::warn!(payload, "a session_revoked notification that does not parse"),
        }
    } else if channel == USER_BOARDS_CHANNEL {
        match parse_user_boards(payload) {
            Some((board_id, change, user_ids)) => users.notify(&user_ids, board_id, change),
            None => tracing::warn!(payload, "a user_boards doorbell that does not parse"),
        }
    }
}
