//! Accounts, sessions and tokens: register, login, logout, me; the 401 matrix; the Origin check.

use corkboard_protocol::{AuthResponse, BoardsResponse, ErrorCode, MeResponse};
use corkboard_tests::{JWT_SECRET, PASSWORD, TestApp, TestUser, assert_error, read, spawn_app, spawn_app_with};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::header::SET_COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The `Set-Cookie` header of a response, which must be there.
fn set_cookie(resp: &reqwest::Response) -> String {
    resp.headers().get(SET_COOKIE).expect("a Set-Cookie header").to_str().expect("ASCII cookie").to_owned()
}

/// The claims of a token the server issued (checked with the test secret).
fn claims_of(token: &str) -> Value {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(JWT_SECRET.as_bytes()), &validation)
        .expect("a token the server issued")
        .claims
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("sign a token")
}

/// Base64url without padding, as JWT segments are written.
fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    read(app.request(Method::GET, "/api/auth/me", Some(token), None).send().await.expect("request sent")).await
}

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/auth/login", None, Some(&json!({"username": username, "password": password})))
        .send()
        .await
        .expect("request sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_returns_the_user_a_token_and_a_session_cookie() {
    let app = spawn_app().await;

    let resp = app
        .request(
            Method::POST,
            "/api/auth/register",
            None,
            Some(&json!({"username": "Ann", "password": PASSWORD, "display_name": "  Ann Smith "})),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::CREATED);
    let cookie = set_cookie(&resp);
    let auth: AuthResponse = resp.json().await.unwrap();
    assert_eq!(auth.user.username, "ann", "usernames are stored lowercased");
    assert_eq!(auth.user.display_name, "Ann Smith");
    assert!(cookie.starts_with(&format!("corkboard_session={};", auth.token)), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Secure"), "an http:// public URL gets no Secure cookie: {cookie}");
    let claims = claims_of(&auth.token);
    for claim in ["sub", "sid", "iat", "exp"] {
        assert!(claims.get(claim).is_some(), "the token carries {claim}: {claims}");
    }
    assert_eq!(claims["sub"], json!(auth.user.id));
    let (status, body) = me(&app, &auth.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_a_display_name_is_shown_by_username() {
    let app = spawn_app().await;

    let ann = app.register("ann").await;

    let (status, body) = me(&app, &ann.token).await;
    assert_eq!(status, StatusCode::OK);
    let me: MeResponse = serde_json::from_value(body).unwrap();
    assert_eq!((me.user.id, me.user.username.as_str(), me.user.display_name.as_str()), (ann.id, "ann", "ann"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_is_taken_whatever_its_case() {
    let app = spawn_app().await;
    app.register("ann").await;

    let got = app
        .call(Method::POST, "/api/auth/register", None, Some(json!({"username": "Ann", "password": PASSWORD})))
        .await;

    assert_error(&got, StatusCode::CONFLICT, ErrorCode::UsernameTaken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_with_bad_fields_names_each_of_them() {
    let app = spawn_app().await;

    let bad = [
        (json!({"username": "an", "password": PASSWORD}), "username"),
        (json!({"username": "x".repeat(33), "password": PASSWORD}), "username"),
        (json!({"username": "ann smith", "password": PASSWORD}), "username"),
        (json!({"username": "ann", "password": "short"}), "password"),
        (json!({"username": "ann", "password": "p".repeat(257)}), "password"),
        (json!({"username": "ann", "password": PASSWORD, "display_name": "   "}), "display_name"),
    ];

    for (body, field) in bad {
        let got = app.call(Method::POST, "/api/auth/register", None, Some(body.clone())).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
        assert!(got.1["error"]["fields"][field].is_string(), "{body} names {field}: {}", got.1);
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&app.db).await.unwrap();
    assert_eq!(users, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_returns_a_new_working_token_and_sets_the_cookie() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;

    let resp = login(&app, "ANN", PASSWORD).await;

    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = set_cookie(&resp);
    let auth: AuthResponse = resp.json().await.unwrap();
    assert_eq!(auth.user.id, ann.id);
    assert_ne!(auth.token, ann.token, "a login is a new session");
    assert!(cookie.starts_with(&format!("corkboard_session={};", auth.token)), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"));
    assert_eq!(me(&app, &auth.token).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_and_a_wrong_password_are_refused_alike() {
    let app = spawn_app().await;
    app.register("ann").await;

    let unknown = read(login(&app, "nobody", PASSWORD).await).await;
    let wrong_password = read(login(&app, "ann", "not the password").await).await;

    assert_error(&unknown, StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
    assert_error(&wrong_password, StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
    assert_eq!(unknown.1, wrong_password.1, "the answers do not tell which it was");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_clears_the_cookie_and_the_token_stops_working_at_once() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let other_session: AuthResponse = login(&app, "ann", PASSWORD).await.json().await.unwrap();

    let resp = app.request(Method::POST, "/api/auth/logout", Some(&ann.token), None).send().await.unwrap();

    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let cookie = set_cookie(&resp);
    assert!(cookie.starts_with("corkboard_session=;") && cookie.contains("Max-Age=0"), "{cookie}");
    assert_error(&me(&app, &ann.token).await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    let cookie_call = app.call_with_cookie(Method::GET, "/api/auth/me", &ann.token, None, None).await;
    assert_error(&cookie_call, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    assert_error(
        &app.call(Method::POST, "/api/auth/logout", Some(&ann), None).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    );
    assert_eq!(me(&app, &other_session.token).await.0, StatusCode::OK, "only that session is revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_bad_token_is_unauthorized() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let claims = claims_of(&ann.token);
    let [header, payload, signature]: [&str; 3] =
        ann.token.split('.').collect::<Vec<_>>().try_into().expect("three JWT segments");
    // Sanity check of the forging below: the same claims, re-signed with the server's secret, are accepted.
    let mut fresh = claims.clone();
    fresh["exp"] = json!(now() + 3600);
    let resigned = sign(&fresh, JWT_SECRET);
    assert_eq!(me(&app, &resigned).await.0, StatusCode::OK, "re-signed with the real secret");

    let mut other_user = claims.clone();
    other_user["sub"] = json!(uuid::Uuid::new_v4());
    let mut tampered_signature = signature.to_owned().into_bytes();
    tampered_signature[10] = if tampered_signature[10] == b'A' { b'B' } else { b'A' };
    let alg_none_header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let claims_segment = b64url(claims.to_string().as_bytes());
    let mut expired = claims.clone();
    expired["iat"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let bad_tokens = [
        ("malformed", "not-a-token".to_owned()),
        ("three garbage segments", "abc.def.ghi".to_owned()),
        ("tampered claims", format!("{header}.{}.{signature}", b64url(other_user.to_string().as_bytes()))),
        ("tampered signature", format!("{header}.{payload}.{}", String::from_utf8(tampered_signature).unwrap())),
        ("alg none", format!("{alg_none_header}.{claims_segment}.")),
        ("another secret", sign(&claims, "another-secret-another-secret-another-secret")),
        ("expired", sign(&expired, JWT_SECRET)),
    ];

    for (what, token) in &bad_tokens {
        let by_bearer = me(&app, token).await;
        assert_eq!(by_bearer.0, StatusCode::UNAUTHORIZED, "{what}: {}", by_bearer.1);
        assert_error(&by_bearer, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        let by_cookie = app.call_with_cookie(Method::GET, "/api/boards", token, None, None).await;
        assert_error(&by_cookie, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    assert_eq!(me(&app, &ann.token).await.0, StatusCode::OK, "the real token still works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_credentials_are_unauthorized() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;

    let calls = [
        (Method::GET, "/api/auth/me".to_owned(), None),
        (Method::POST, "/api/auth/logout".to_owned(), None),
        (Method::GET, "/api/boards".to_owned(), None),
        (Method::POST, "/api/boards".to_owned(), Some(json!({"title": "x"}))),
        (Method::GET, format!("/api/boards/{}", board.id), None),
        (Method::POST, format!("/api/boards/{}/lists", board.id), Some(json!({"title": "x"}))),
    ];

    for (method, path, body) in calls {
        assert_error(&app.call(method, &path, None, body).await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    let basic = app.client.get(app.url("/api/auth/me")).basic_auth("ann", Some(PASSWORD)).send().await.unwrap();
    assert_error(&read(basic).await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_accepted_from_the_cookie_and_from_a_bearer_header() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;

    let by_bearer = app.call(Method::POST, "/api/boards", Some(&ann), Some(json!({"title": "Bearer"}))).await;
    let by_cookie =
        app.call_with_cookie(Method::POST, "/api/boards", &ann.token, None, Some(json!({"title": "Cookie"}))).await;

    assert_eq!(by_bearer.0, StatusCode::CREATED, "{}", by_bearer.1);
    assert_eq!(by_cookie.0, StatusCode::CREATED, "{}", by_cookie.1);
    let (status, body) = app.call_with_cookie(Method::GET, "/api/boards", &ann.token, None, None).await;
    assert_eq!(status, StatusCode::OK);
    let boards: BoardsResponse = serde_json::from_value(body).unwrap();
    assert_eq!(boards.boards.len(), 2);
}

async fn board_count(app: &TestApp, user: &TestUser) -> usize {
    let (_, body) = app.call(Method::GET, "/api/boards", Some(user), None).await;
    serde_json::from_value::<BoardsResponse>(body).unwrap().boards.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_authenticated_change_from_a_foreign_origin_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let before = app.board_state(&ann, board.id).await;

    let create = app
        .call_with_cookie(
            Method::POST,
            "/api/boards",
            &ann.token,
            Some("https://evil.example"),
            Some(json!({"title": "Evil"})),
        )
        .await;
    let rename = app
        .call_with_cookie(
            Method::PATCH,
            &format!("/api/boards/{}", board.id),
            &ann.token,
            Some("https://evil.example"),
            Some(json!({"title": "Evil"})),
        )
        .await;
    let logout =
        app.call_with_cookie(Method::POST, "/api/auth/logout", &ann.token, Some("https://evil.example"), None).await;

    assert_error(&create, StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed);
    assert_error(&rename, StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed);
    assert_error(&logout, StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed);
    assert_eq!(board_count(&app, &ann).await, 1);
    assert_eq!(app.board_state(&ann, board.id).await, before);
    assert_eq!(me(&app, &ann.token).await.0, StatusCode::OK, "the session was not logged out");
    let read_only =
        app.call_with_cookie(Method::GET, "/api/boards", &ann.token, Some("https://evil.example"), None).await;
    assert_eq!(read_only.0, StatusCode::OK, "reads are not refused: {}", read_only.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_authenticated_change_from_the_apps_own_origin_or_without_origin_works() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;

    let own = app
        .call_with_cookie(Method::POST, "/api/boards", &ann.token, Some(&app.base_url), Some(json!({"title": "A"})))
        .await;
    let none = app.call_with_cookie(Method::POST, "/api/boards", &ann.token, None, Some(json!({"title": "B"}))).await;

    assert_eq!(own.0, StatusCode::CREATED, "{}", own.1);
    assert_eq!(none.0, StatusCode::CREATED, "{}", none.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_request_with_a_foreign_origin_is_not_refused() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;

    let resp = app
        .request(Method::POST, "/api/boards", Some(&ann.token), Some(&json!({"title": "From a script"})))
        .header(reqwest::header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_allowed_origin_may_send_cookie_authenticated_changes() {
    let app = spawn_app_with(|config| config.allowed_origins = vec!["https://app.example.com".into()]).await;
    let ann = app.register("ann").await;

    let allowed = app
        .call_with_cookie(
            Method::POST,
            "/api/boards",
            &ann.token,
            Some("https://app.example.com"),
            Some(json!({"title": "A"})),
        )
        .await;
    let other = app
        .call_with_cookie(
            Method::POST,
            "/api/boards",
            &ann.token,
            Some("https://other.example.com"),
            Some(json!({"title": "B"})),
        )
        .await;

    assert_eq!(allowed.0, StatusCode::CREATED, "{}", allowed.1);
    assert_error(&other, StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed);
    assert_eq!(board_count(&app, &ann).await, 1);
}
