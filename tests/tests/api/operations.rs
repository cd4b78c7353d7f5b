//! Health, readiness and metrics: what an operator and a load balancer rely on.

use std::time::Duration;

use corkboard_protocol::ErrorCode;
use corkboard_tests::pg::PrivatePostgres;
use corkboard_tests::{spawn_app, spawn_app_on};
use reqwest::StatusCode;

async fn status_of(app: &corkboard_tests::TestApp, path: &str) -> StatusCode {
    app.client.get(app.url(path)).send().await.expect("request").status()
}

/// Polls `path` until it answers `want`, for at most `limit`.
async fn wait_for_status(app: &corkboard_tests::TestApp, path: &str, want: StatusCode, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let got = status_of(app, path).await;
        if got == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{path} still {got}, wanted {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_while_postgres_is_down_and_200_again_after_it_returns() {
    let pg = PrivatePostgres::start();
    let app = spawn_app_on(&pg.url(), |_| {}).await;
    assert_eq!(status_of(&app, "/readyz").await, StatusCode::OK);

    pg.stop();
    wait_for_status(&app, "/readyz", StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(10)).await;
    assert_eq!(status_of(&app, "/healthz").await, StatusCode::OK, "the process itself is alive");

    pg.start_again();
    wait_for_status(&app, "/readyz", StatusCode::OK, Duration::from_secs(15)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_while_postgres_is_down_get_a_clean_503_in_our_error_shape() {
    let pg = PrivatePostgres::start();
    let app = spawn_app_on(&pg.url(), |_| {}).await;
    let ann = app.register("ann").await;
    let (_, lists, cards) = app.board_with(&ann, 1, 2).await;

    pg.stop();
    let got = app
        .call(
            reqwest::Method::POST,
            &format!("/api/cards/{}/move", cards[0][0].id),
            Some(&ann),
            Some(serde_json::json!({"list_id": lists[0].id, "after_id": cards[0][1].id})),
        )
        .await;
    corkboard_tests::assert_error(&got, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServiceUnavailable);

    pg.start_again();
    wait_for_status(&app, "/readyz", StatusCode::OK, Duration::from_secs(15)).await;
    let moved = app.move_card(&ann, cards[0][0].id, lists[0].id, Some(cards[0][1].id)).await;
    assert_eq!(moved.card.version, 2, "the refused move changed nothing; this one did");
}

/// The value of a sample line `name{labels} value` (labels matched as a substring), or 0 when absent.
fn sample(text: &str, name: &str, labels: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with(name) && line[name.len()..].starts_with(['{', ' ']) && line.contains(labels))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Every line is a comment, blank, or `metric_name{label="value",…} number`.
fn assert_prometheus_text(text: &str) {
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        assert!(value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value), "bad value: {line}");
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "bad metric name: {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unclosed labels: {line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text_and_move_when_cards_move() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 1).await;
    let metrics = || async { app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap() };
    let before = metrics().await;
    assert_prometheus_text(&before);
    let mut socket = app.ws(&ann.token, board.id, None).await;

    app.move_card(&ann, cards[0][0].id, lists[1].id, None).await;
    socket.next_event().await;

    let after = metrics().await;
    assert_prometheus_text(&after);
    // Other tests share this process's recorder, so counters only ever grow by at least what we did.
    let events = |t: &str| sample(t, "corkboard_events_committed_total", "");
    assert!(events(&after) >= events(&before) + 1.0, "events counter moved");
    let moves = |t: &str| sample(t, "corkboard_move_commit_duration_seconds_count", "");
    assert!(moves(&after) >= moves(&before) + 1.0, "move latency histogram counted the move");
    // The socket is open, its event was queued for it and written to it.
    assert!(sample(&after, "corkboard_open_sockets", "") >= 1.0, "open sockets gauge: {after}");
    let pushed = |t: &str| sample(t, "corkboard_events_pushed_total", "");
    assert!(pushed(&after) >= pushed(&before) + 1.0, "events pushed counter moved");
    let fanout = |t: &str| sample(t, "corkboard_fanout_duration_seconds_count", "");
    assert!(fanout(&after) >= fanout(&before) + 1.0, "fan-out latency histogram counted the event");
    let route = r#"route="/api/cards/{card_id}/move""#;
    assert!(sample(&after, "corkboard_http_request_duration_seconds_count", route) >= 1.0, "{after}");
}
