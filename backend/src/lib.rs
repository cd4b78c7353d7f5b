//! Corkboard's server as a library: `router(state)` and `serve(listener, state, shutdown)` are what `main` and
//! the integration tests both call, so tests run the real app on a real port.
//!
//! The layers, each a folder: `http` (one module per REST feature), `auth` (accounts, sessions, the caller),
//! `eventlog` (the board transaction and the log it appends to), `ordering` (order keys and placement), and
//! `realtime` (the streams that carry the log to browsers).

pub mod auth;
pub mod config;
pub mod db_health;
pub mod error;
pub mod eventlog;
pub mod http;
pub mod markdown;
pub mod ordering;
pub mod realtime;
pub mod state;
pub mod telemetry;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::serve::ListenerExt;
use corkboard_protocol::MAX_BODY_BYTES;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::net::TcpListener;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::trace::{DefaultOnFailure, TraceLayer};

pub use config::Config;
pub use error::{AppError, AppResult};
/// Order keys keep their short path: the tests and the benchmarks model positions with them.
pub use ordering::positions;
pub use state::AppState;

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    telemetry::recorder();
    Router::new()
        .merge(http::api())
        .merge(http::health::router())
        .merge(telemetry::router())
        .merge(http::web::router(&state))
        .layer(axum::middleware::from_fn_with_state(state.clone(), db_health::refuse_changes_while_down))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(telemetry::track_http))
        // Fastest: a 5,000-card board is 2 MB of JSON; the default quality took longer to compress than to
        // build it, for a few percent smaller output.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    // The matched route, not the raw path: ids stay out of span names and metrics stay bounded.
                    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str());
                    tracing::info_span!("http", method = %req.method(), route)
                })
                // `AppError` logs what deserves it (a 500 at ERROR, an outage once at WARN); a line per 5xx here
                // would turn every 503 of an outage into an ERROR.
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
        .with_state(state)
}

/// Opens the Postgres pool; connections are checked before use so a restarted database heals by itself.
pub async fn connect(config: &Config) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(true)
        .connect(&config.database_url)
        .await
}

pub async fn migrate(db: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../migrations").run(db).await
}

/// How long, at shutdown, the open sockets get to send their close 1001.
const SOCKET_CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests finish. Also runs the
/// instance's Postgres listener; at shutdown every WebSocket is closed with 1001 and every SSE stream ends.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let realtime_listener = realtime::start(&state);
    let stop_realtime = state.shutdown.clone();
    // Connect info gives the login limiter the peer address.
    let app = router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // No Nagle delay: an ack and the mover's own event frame go out at once, not after the peer's ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
    });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Before the graceful wait: SSE bodies end and sockets say 1001 instead of holding it up.
            stop_realtime.cancel();
        })
        .await;
    state.shutdown.cancel();
    realtime::drain(&state, SOCKET_CLOSE_GRACE).await;
    let _ = realtime_listener.await;
    served
}
