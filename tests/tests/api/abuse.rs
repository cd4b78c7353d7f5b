//! Abuse: guessing passwords is throttled per account and per address.

use corkboard_protocol::ErrorCode;
use corkboard_tests::{PASSWORD, assert_error, read, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn login(app: &corkboard_tests::TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_one_accounts_password_is_refused_with_429_and_retry_after() {
    let app = spawn_app().await;
    app.register("ann").await;
    for _ in 0..5 {
        assert_eq!(login(&app, "ann", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
    }

    let refused = login(&app, "ann", PASSWORD).await;

    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(&read(refused).await, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    // Another account is not affected by Ann's attacker.
    app.register("bob").await;
    assert_eq!(login(&app, "bob", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spraying_many_accounts_from_one_address_is_refused_too() {
    let app = spawn_app().await;
    // The address may fail 30 times at once, then once every 2 s. Each failed login takes a while (the password
    // hash), so a few failures come back during the run: keep spraying until the refusal, as an attacker would.
    let mut failures = 0;
    let refused = loop {
        let response = login(&app, &format!("nobody{failures}"), "wrong password").await;
        if response.status() != StatusCode::UNAUTHORIZED {
            break response;
        }
        failures += 1;
        assert!(failures < 200, "200 failed logins from one address and still no refusal");
    };

    assert!(failures >= 30, "refused after only {failures} failures");
    assert!(refused.headers().contains_key("retry-after"));
    assert_error(&read(refused).await, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_typos_then_the_right_password_signs_in() {
    let app = spawn_app().await;
    app.register("ann").await;
    for _ in 0..3 {
        assert_eq!(login(&app, "ann", "typo typo typo").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(&app, "ann", PASSWORD).await.status(), StatusCode::OK);
    // The success forgot the account's failures.
    for _ in 0..4 {
        assert_eq!(login(&app, "ann", "typo typo typo").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(&app, "ann", PASSWORD).await.status(), StatusCode::OK);
}
