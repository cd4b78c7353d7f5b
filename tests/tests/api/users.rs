//! Finding people to invite: `GET /api/users?q=` suggests usernames and display names as someone types.

use corkboard_protocol::{ErrorCode, UsersResponse};
use corkboard_tests::{TestApp, TestUser, assert_error, no_signup_limit, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};

async fn found(app: &TestApp, user: &TestUser, q: &str) -> Vec<String> {
    let path = format!("/api/users?q={}", urlencode(q));
    let (status, body) = app.call(Method::GET, &path, Some(user), None).await;
    assert_eq!(status, StatusCode::OK, "{q}: {body}");
    let found: UsersResponse = serde_json::from_value(body).unwrap();
    found.users.into_iter().map(|u| u.username).collect()
}

fn urlencode(q: &str) -> String {
    q.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_suggested_by_the_start_of_their_username_or_display_name() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    for name in ["bob", "bobby", "rob", "b_b"] {
        app.register(name).await;
    }

    sqlx::query("update users set display_name = 'Bobcat' where username = 'rob'").execute(&app.db).await.unwrap();

    assert_eq!(found(&app, &ann, "bo").await, ["bob", "bobby", "rob"], "by username or display name, by username");
    assert_eq!(found(&app, &ann, "@BOB").await, ["bob", "bobby", "rob"], "as member lists show it, in any case");
    assert_eq!(found(&app, &ann, "rob").await, ["rob"]);
    assert_eq!(found(&app, &ann, "b_").await, ["b_b"], "`_` is a plain character, not any character");
    assert_eq!(found(&app, &ann, "%").await, Vec::<String>::new(), "`%` is a plain character, not anything");
    assert_eq!(found(&app, &ann, "ob").await, Vec::<String>::new(), "the start, not the middle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_eight_people_are_suggested() {
    let app = spawn_app_with(no_signup_limit).await;
    let ann = app.register("ann").await;
    for i in 0..10 {
        app.register(&format!("sam{i}")).await;
    }
    assert_eq!(found(&app, &ann, "sam").await, (0..8).map(|i| format!("sam{i}")).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_signed_in_people_may_look_names_up_and_an_empty_query_is_refused() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;

    assert_error(
        &app.call(Method::GET, "/api/users?q=ann", None, None).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    );
    for q in ["", "%20%20", "@"] {
        let got = app.call(Method::GET, &format!("/api/users?q={q}"), Some(&ann), None).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    }
    let too_long = "a".repeat(65);
    let got = app.call(Method::GET, &format!("/api/users?q={too_long}"), Some(&ann), None).await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    let got = app.call(Method::GET, "/api/users", Some(&ann), None).await;
    assert_error(&got, StatusCode::BAD_REQUEST, ErrorCode::InvalidQuery);
}
