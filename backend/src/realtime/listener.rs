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
use crate::eventlog::{BOARD_EVENTS_CHANNEL, USER_BOARDS_CHANNEL, parse_doorbell, parse_user_boards};

/// Between reconnect attempts. Brisk on purpose: while they fail, Postgres counts as down and changes are
/// refused, and an attempt against a stopped server is cheap (a refused connection).
const RETRY_EVERY: Duration = Duration::from_millis(250);
/// A connection that drops sooner than this after it was made is retried after `RETRY_EVERY`, not at once.
const SHORT_LIVED: Duration = Duration::from_secs(1);

pub(super) async fn run(hub: Hub, users: UserStreams, database_url: String, shutdown: CancellationToken) {
    let mut connected_before = false;
    loop {
        let connecting = connect(&database_url);
        let mut listener = tokio::select! {
            () = shutdown.cancelled() => return,
            listener = connecting => match listener {
                Ok(listener) => listener,
                Err(err) => {
                    // The first failure starts an outage (logged once, by `db_health`); retries stay quiet.
                    hub.db_health().mark_down(&err);
                    tracing::debug!(error = %err, retry_in = ?RETRY_EVERY, "cannot listen for board events");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(RETRY_EVERY) => {}
                    }
                    continue;
                }
            },
        };
        hub.db_health().mark_up();
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

async fn connect(database_url: &str) -> Result<PgListener, sqlx::Error> {
    let connecting = async {
        // A plain connection first: it fails at once when Postgres refuses (sqlx's pool behind `PgListener`
        // would keep retrying quietly), so an outage is noticed within moments.
        PgConnection::connect(database_url).await?.close().await?;
        let mut listener = PgListener::connect(database_url).await?;
        // A lost connection must come back to us at once, not be re-made inside `try_recv` (which would wait
        // out sqlx's acquire timeout there, and miss the catch-up and the outage bookkeeping of `run`).
        listener.eager_reconnect(false);
        listener.listen_all([BOARD_EVENTS_CHANNEL, SESSION_REVOKED_CHANNEL, USER_BOARDS_CHANNEL]).await?;
        Ok(listener)
    };
    tokio::time::timeout(CONNECT_PATIENCE, connecting).await.unwrap_or(Err(sqlx::Error::PoolTimedOut))
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
