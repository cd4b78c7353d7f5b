//! Crowds at the door: password hashing runs on a bounded pool (503 `server_busy` past it), and sign-ups are
//! limited per client address, which behind a trusted proxy is the forwarded one.

use corkboard_protocol::ErrorCode;
use corkboard_tests::{PASSWORD, TestApp, assert_error, read, spawn_app, spawn_app_with};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn sign_up(app: &TestApp, username: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request =
        app.client.post(app.url("/api/auth/register")).json(&json!({"username": username, "password": PASSWORD}));
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.expect("sign-up request")
}

async fn sign_in(app: &TestApp, username: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("sign-in request")
}

/// Status, body and `Retry-After` of an answer.
async fn answer(response: reqwest::Response) -> (StatusCode, Value, Option<u64>) {
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    let (status, body) = read(response).await;
    (status, body, retry_after)
}

/// `count` sign-ups (or, for odd `n` when `mixed`, sign-ins as `ann`) sent all at once.
async fn crowd(app: &TestApp, count: usize, mixed: bool) -> Vec<(StatusCode, Value, Option<u64>)> {
    join_all((0..count).map(|n| async move {
        let response = if mixed && n % 2 == 1 {
            sign_in(app, "ann").await
        } else {
            sign_up(app, &format!("crowd{n}"), None).await
        };
        answer(response).await
    }))
    .await
}

fn assert_busy_answers_say_so(answers: &[(StatusCode, Value, Option<u64>)]) {
    for (status, body, retry_after) in answers {
        match *status {
            StatusCode::CREATED | StatusCode::OK | StatusCode::TOO_MANY_REQUESTS => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_error(&(*status, body.clone()), StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServerBusy);
                assert_eq!(*retry_after, Some(1), "{body}");
            }
            other => panic!("unexpected answer {other}: {body}"),
        }
    }
}

async fn users_stored(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from users").fetch_one(&app.db).await.expect("count users")
}

/// The value of an unlabelled gauge in the `/metrics` text.
async fn gauge(app: &TestApp, name: &str) -> Option<f64> {
    let text = app.client.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("metrics text");
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_signing_up_and_in_never_runs_more_hashes_at_once_than_there_are_workers() {
    let app = spawn_app_with(|config| {
        config.hash_workers = Some(2);
        config.signup_burst = 0;
    })
    .await;
    app.register("ann").await;

    let answers = crowd(&app, 40, true).await;

    assert_busy_answers_say_so(&answers);
    let served = answers.iter().filter(|(status, ..)| status.is_success()).count();
    assert!(served > 0, "some of the crowd got in: {answers:?}");
    let running_max = app.hasher().in_flight().running_max();
    assert!((1..=2).contains(&running_max), "at most 2 hashes ran at once on 2 workers, saw {running_max}");
    // `/metrics` counts every server of this process (the other tests' too), so it shows the gauges, and at
    // least this server's most, rather than this server's figure exactly.
    let exported_max = gauge(&app, "corkboard_password_hashes_running_max").await.expect("the gauge is exported");
    assert!(exported_max >= 1.0, "{exported_max}");
    assert!(gauge(&app, "corkboard_password_hashes_running").await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_waiting_line_a_sign_up_gets_server_busy_and_nothing_is_stored() {
    // One worker and no room to wait: while it hashes, everyone else is turned away at once.
    let app = spawn_app_with(|config| {
        config.hash_workers = Some(1);
        config.hash_queue_per_worker = 0;
        config.signup_burst = 0;
    })
    .await;

    let answers = crowd(&app, 24, false).await;

    assert_busy_answers_say_so(&answers);
    let busy = answers.iter().filter(|(status, ..)| *status == StatusCode::SERVICE_UNAVAILABLE).count();
    let created = answers.iter().filter(|(status, ..)| *status == StatusCode::CREATED).count();
    assert!(busy > 0, "24 sign-ups at once on one worker with no waiting line: some are turned away");
    assert_eq!(busy + created, 24, "{answers:?}");
    assert_eq!(users_stored(&app).await, created as i64, "a refused sign-up stored nothing");
    assert!(app.hasher().in_flight().running_max() <= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_up_that_waits_too_long_for_a_worker_gets_server_busy() {
    let app = spawn_app_with(|config| {
        config.hash_workers = Some(1);
        // Room for everyone in the waiting line: whoever is turned away waited in vain, not found it full.
        config.hash_queue_per_worker = 64;
        config.hash_wait_ms = 1;
        config.signup_burst = 0;
    })
    .await;

    let answers = crowd(&app, 16, false).await;

    assert_busy_answers_say_so(&answers);
    let busy = answers.iter().filter(|(status, ..)| *status == StatusCode::SERVICE_UNAVAILABLE).count();
    assert!(busy > 0, "16 sign-ups at once, one worker, a 1 ms wait: some wait in vain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_past_the_burst_are_rate_limited_per_client_address() {
    let app = spawn_app().await;
    for n in 0..10 {
        assert_eq!(sign_up(&app, &format!("early{n}"), None).await.status(), StatusCode::CREATED);
    }

    let (status, body, retry_after) = answer(sign_up(&app, "late", None).await).await;

    assert_error(&(status, body), StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    let retry_after = retry_after.expect("a Retry-After header");
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    // A failed sign-up counts too: the next, invalid one is refused by the limit, not by validation.
    let (status, body, _) = answer(sign_up(&app, "x", None).await).await;
    assert_error(&(status, body), StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    // Behind the loopback proxy (trusted by default), another person has an allowance of their own.
    let (status, body, _) = answer(sign_up(&app, "neighbour", Some("198.51.100.7")).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_peer_cannot_escape_the_limit_with_x_forwarded_for() {
    let app = spawn_app_with(|config| config.trusted_proxies = vec!["192.0.2.1".to_owned()]).await;
    for n in 0..10 {
        let forged = format!("198.51.100.{n}");
        assert_eq!(sign_up(&app, &format!("early{n}"), Some(&forged)).await.status(), StatusCode::CREATED);
    }

    let (status, body, _) = answer(sign_up(&app, "late", Some("203.0.113.99")).await).await;

    assert_error(&(status, body), StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_limit_off_a_test_rig_signs_up_many_users_from_one_address() {
    let app = spawn_app_with(|config| config.signup_burst = 0).await;
    for n in 0..15 {
        app.register(&format!("rig{n}")).await;
    }
    assert_eq!(users_stored(&app).await, 15);
}
