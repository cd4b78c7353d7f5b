//! Accounts and sessions: register, login, logout, me. Owns the `users` rows; `sessions` owns the session rows.
//! Passwords are Argon2id, hashed on a bounded pool; tokens are JWTs naming a session, so they are revoked with it.

mod extractor;
mod hasher;
mod password;
pub mod ratelimit;
pub mod sessions;
mod token;

pub use extractor::{AuthUser, SESSION_COOKIE, authenticate, check_origin, credential};
pub use hasher::{HashingPool, InFlight, PoolSize};
pub use sessions::SESSION_REVOKED_CHANNEL;
pub use token::TokenKeys;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use corkboard_protocol::{
    AuthResponse, LoginRequest, MeResponse, RegisterRequest, SessionResponse, User, validate_display_name,
    validate_password, validate_username,
};
use time::OffsetDateTime;
use uuid::Uuid;

use self::ratelimit::{ClientAddr, account_key, login_keys, signup_keys};
use crate::error::{AppError, AppResult, FieldErrors, unique_violation};
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(register, login, logout, me, session))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
        .route("/api/auth/session", get(session))
}

#[utoipa::path(
    post,
    path = "/api/auth/register",
    tag = "auth",
    request_body = corkboard_protocol::RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in; the token is also set as the session cookie", body = corkboard_protocol::AuthResponse),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn register(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(req): Json<RegisterRequest>,
) -> AppResult<Response> {
    // Every attempt counts, valid or not: each may cost a password hash.
    let limit_keys = signup_keys(state.config.signup_burst, addr);
    state.limiter.attempt(&limit_keys).map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    let mut problems = FieldErrors::default();
    let username = problems.check("username", validate_username(&req.username));
    problems.check("password", validate_password(&req.password));
    let display_name = match req.display_name.as_deref() {
        Some(name) => problems.check("display_name", validate_display_name(name)),
        None => username.clone(),
    };
    problems.finish()?;

    let password_hash = state.hasher.hash(req.password).await?;
    let user_id = Uuid::now_v7();
    let mut tx = state.db.begin().await?;
    let inserted = sqlx::query!(
        "insert into users (id, username, display_name, password_hash) values ($1, $2, $3, $4)",
        user_id,
        username,
        display_name,
        password_hash,
    )
    .execute(&mut *tx)
    .await;
    if let Err(err) = inserted {
        return Err(match unique_violation(&err).as_deref() {
            Some("users_username_key") => AppError::UsernameTaken,
            _ => err.into(),
        });
    }
    let user = User { id: user_id, username, display_name };
    let token = start_session(&state, &mut tx, user_id).await?;
    tx.commit().await?;
    Ok(session_response(&state, StatusCode::CREATED, user, token))
}

#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body = corkboard_protocol::LoginRequest,
    responses(
        (status = 200, description = "Signed in; the token is also set as the session cookie", body = corkboard_protocol::AuthResponse),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(req): Json<LoginRequest>,
) -> AppResult<Response> {
    let username = req.username.trim().to_lowercase();
    let limit_keys = login_keys(&username, addr);
    state.limiter.check(&limit_keys).map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    let row = sqlx::query!(
        "select id, username, display_name, password_hash from users where lower(username) = $1",
        username,
    )
    .fetch_optional(&state.db)
    .await?;
    // An unknown user costs the same hash as a wrong password, so timing does not tell which it was.
    let stored_hash = row.as_ref().map_or_else(|| state.dummy_password_hash.clone(), |r| r.password_hash.clone());
    let password_ok = state.hasher.verify(req.password, stored_hash).await?;
    let Some(row) = row.filter(|_| password_ok) else {
        state.limiter.record_failure(&limit_keys);
        return Err(AppError::InvalidCredentials);
    };
    state.limiter.forget(&account_key(&username));
    let user = User { id: row.id, username: row.username, display_name: row.display_name };
    let mut tx = state.db.begin().await?;
    let token = start_session(&state, &mut tx, user.id).await?;
    tx.commit().await?;
    Ok(session_response(&state, StatusCode::OK, user, token))
}

#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the session is revoked"),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[tracing::instrument(skip_all, err(level = "debug"))]
async fn logout(State(state): State<AppState>, auth: AuthUser) -> AppResult<Response> {
    sessions::revoke(&state.db, auth.session_id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    responses(
        (status = 200, description = "The signed-in user", body = corkboard_protocol::MeResponse),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
async fn me(State(state): State<AppState>, auth: AuthUser) -> AppResult<Json<MeResponse>> {
    let user = load_user(&state, auth.user_id).await?.ok_or(AppError::Unauthorized)?;
    Ok(Json(MeResponse { user }))
}

/// "Is anyone signed in?" without an error status: a page asks this on every load, and browsers log each 401
/// as a console error.
#[utoipa::path(
    get,
    path = "/api/auth/session",
    tag = "auth",
    responses(
        (status = 200, description = "The signed-in user, or null when the request carries no live session", body = corkboard_protocol::SessionResponse),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
)]
async fn session(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Json<SessionResponse>> {
    let Some((token, via_cookie)) = credential(&headers) else { return Ok(Json(SessionResponse { user: None })) };
    let user = match authenticate(&state, token, via_cookie).await {
        Ok(auth) => load_user(&state, auth.user_id).await?,
        Err(AppError::Unauthorized) => None,
        Err(err) => return Err(err),
    };
    Ok(Json(SessionResponse { user }))
}

async fn load_user(state: &AppState, user_id: Uuid) -> AppResult<Option<User>> {
    Ok(sqlx::query_as!(User, "select id, username, display_name from users where id = $1", user_id)
        .fetch_optional(&state.db)
        .await?)
}

async fn start_session(state: &AppState, tx: &mut sqlx::PgConnection, user_id: Uuid) -> AppResult<String> {
    let expires_at = OffsetDateTime::now_utc() + time::Duration::hours(i64::from(state.config.session_hours));
    let session_id = sessions::start(tx, user_id, expires_at).await?;
    state.tokens.issue(user_id, session_id, expires_at).map_err(AppError::internal)
}

fn session_response(state: &AppState, status: StatusCode, user: User, token: String) -> Response {
    let max_age = i64::from(state.config.session_hours) * 3600;
    let cookie = session_cookie(state, &token, max_age);
    let mut response = (status, Json(AuthResponse { user, token })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

fn session_cookie(state: &AppState, token: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}{secure}");
    // A JWT is base64url and dots: always a valid header value.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("corkboard_session=; Max-Age=0"))
}
