//! Liveness and readiness for orchestrators and load balancers.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use std::time::Duration;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// 200 while the process runs.
async fn healthz() -> &'static str {
    "ok"
}

/// 200 when Postgres answers, 503 otherwise; bounded so a hung database cannot hang the probe.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let probe = sqlx::query_scalar!("select 1 as \"one!\"").fetch_one(&state.db);
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => {
            // Postgres answers: if the listener has not reconnected yet, changes need not wait for it.
            state.db_health.mark_up();
            (StatusCode::OK, "ready")
        }
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
