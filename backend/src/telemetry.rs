//! Prometheus metrics: the recorder, `GET /metrics`, and the HTTP latency middleware. Other modules record with
//! the `metrics` macros under the names below, so every metric name is written once.

use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

pub const HTTP_REQUEST_SECONDS: &str = "corkboard_http_request_duration_seconds";
pub const MOVE_COMMIT_SECONDS: &str = "corkboard_move_commit_duration_seconds";
pub const EVENTS_COMMITTED: &str = "corkboard_events_committed_total";
pub const FANOUT_SECONDS: &str = "corkboard_fanout_duration_seconds";
pub const EVENTS_PUSHED: &str = "corkboard_events_pushed_total";
pub const OPEN_SOCKETS: &str = "corkboard_open_sockets";
pub const OPEN_STREAMS: &str = "corkboard_open_sse_streams";
/// Password hashes (sign-ups, sign-ins) running right now; never more than the hashing workers.
pub const PASSWORD_HASHES_RUNNING: &str = "corkboard_password_hashes_running";
/// The most password hashes ever running at once in this process.
pub const PASSWORD_HASHES_RUNNING_MAX: &str = "corkboard_password_hashes_running_max";
/// Sign-ups and sign-ins answered `server_busy`, by `reason`: `queue_full` or `wait_elapsed`.
pub const PASSWORD_HASHES_REFUSED: &str = "corkboard_password_hashes_refused_total";

/// Latency buckets from 0.5 ms to 10 s: moves commit in about a millisecond, so the low end needs detail.
const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process-wide recorder. `metrics` has one global recorder, so every server in a process (tests run
/// several) shares it; installing once keeps that true.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; then ours still renders (empty) output.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

async fn render() -> Response {
    let body = recorder().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// Records every request's latency by method, matched route (not the raw path: ids would explode the label
/// set) and status.
pub async fn track_http(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(HTTP_REQUEST_SECONDS, "method" => method, "route" => route, "status" => status)
        .record(started.elapsed().as_secs_f64());
    response
}
