//! What this instance knows about reaching Postgres. The realtime listener holds one connection open at all
//! times, so it is the first to notice an outage (its connection drops the moment Postgres stops) and the first
//! to see it end (it tries to reconnect every 250 ms; a `/readyz` that reaches Postgres ends it too). While it says "down":
//! - changes are refused at once with 503 `service_unavailable` instead of each waiting out the pool's acquire
//!   timeout, and a change already waiting for a connection gets the same answer the moment the outage is
//!   noticed (nothing was written: it never had a connection);
//! - the outage is logged once at WARN when it starts and once at INFO when it ends, with how many requests
//!   were refused meanwhile, not once per request or per retry.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Debug, Default)]
pub struct DbHealth {
    down: AtomicBool,
    /// When the current outage was noticed.
    since: Mutex<Option<Instant>>,
    /// Requests refused during the current outage, for the line that ends it.
    refused: AtomicU64,
    went_down: Notify,
}

impl DbHealth {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Postgres cannot be reached (the listener lost its connection and could not get one back).
    pub fn mark_down(&self, why: &dyn std::fmt::Display) {
        if self.down.swap(true, Ordering::AcqRel) {
            return;
        }
        *self.since.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
        self.refused.store(0, Ordering::Relaxed);
        tracing::warn!(error = %why, "Postgres is unreachable: changes are refused with 503 until it is back");
        self.went_down.notify_waiters();
    }

    /// Postgres answers again.
    pub fn mark_up(&self) {
        if !self.down.swap(false, Ordering::AcqRel) {
            return;
        }
        let since = self.since.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        let outage = since.map_or(Duration::ZERO, |since| since.elapsed());
        let refused = self.refused.load(Ordering::Relaxed);
        tracing::info!(outage_ms = outage.as_millis() as u64, refused, "Postgres is reachable again");
    }

    /// `Err(503)` at once while Postgres is known to be down.
    pub fn check(&self) -> AppResult<()> {
        if self.is_down() { Err(self.refusal()) } else { Ok(()) }
    }

    /// Runs `waiting` (a step that waits for a connection and has written nothing) unless Postgres is known to
    /// be down, and gives it up with 503 the moment it is noticed to be.
    pub async fn unless_down<T>(&self, waiting: impl Future<Output = AppResult<T>>) -> AppResult<T> {
        let went_down = self.went_down.notified();
        tokio::pin!(went_down);
        // Registered before the check: an outage noticed in between still wakes us.
        went_down.as_mut().enable();
        self.check()?;
        tokio::select! {
            biased;
            result = waiting => result,
            () = went_down => Err(self.refusal()),
        }
    }

    /// A failed read of a board's log: worth a WARN, unless it is part of an outage that was logged already.
    pub fn log_read_failure(&self, board_id: uuid::Uuid, err: &AppError, what: &'static str) {
        if self.is_down() {
            tracing::debug!(%board_id, error = %err, what);
        } else {
            tracing::warn!(%board_id, error = %err, what);
        }
    }

    fn refusal(&self) -> AppError {
        self.refused.fetch_add(1, Ordering::Relaxed);
        AppError::DatabaseDown
    }
}

/// Middleware: a change under `/api` (any method but GET, HEAD, OPTIONS) is refused at once while Postgres is
/// known to be down. Reads go on and fail on their own (a snapshot may still come from a connection in hand).
pub async fn refuse_changes_while_down(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_change = !request.method().is_safe() && request.uri().path().starts_with("/api/");
    if is_change && let Err(refusal) = state.db_health.check() {
        return refusal.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_step_waiting_for_a_connection_is_given_up_when_the_outage_is_noticed() {
        let health = std::sync::Arc::new(DbHealth::default());
        let waiting = {
            let health = std::sync::Arc::clone(&health);
            tokio::spawn(async move { health.unless_down(std::future::pending::<AppResult<()>>()).await })
        };
        tokio::task::yield_now().await;
        health.mark_down(&"connection refused");
        let answer = waiting.await.expect("joins");
        assert!(matches!(answer, Err(AppError::DatabaseDown)), "{answer:?}");
        assert!(matches!(health.check(), Err(AppError::DatabaseDown)));
        health.mark_up();
        assert!(health.check().is_ok());
        assert_eq!(health.unless_down(async { Ok(7) }).await.ok(), Some(7));
    }
}
