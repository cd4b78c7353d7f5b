//! `AuthUser`: who is calling, from the session cookie or a Bearer token, checked against the session table.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use uuid::Uuid;

use super::sessions;
use crate::error::AppError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "corkboard_session";

/// An authenticated caller. Extracting it answers 401 for every bad credential and 403 `origin_not_allowed`
/// for a cookie-authenticated change from a foreign origin.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// The credential came from the cookie (a browser), not from an `Authorization` header.
    pub via_cookie: bool,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (token, via_cookie) = credential(&parts.headers).ok_or(AppError::Unauthorized)?;
        // Browsers attach cookies to cross-site requests; an API client's bearer header is never ambient.
        if via_cookie && !is_safe_method(&parts.method) {
            check_origin(state, &parts.headers)?;
        }
        authenticate(state, token, via_cookie).await
    }
}

/// Verifies a token and that its session is still live.
pub async fn authenticate(state: &AppState, token: &str, via_cookie: bool) -> Result<AuthUser, AppError> {
    let claims = state.tokens.verify(token).ok_or(AppError::Unauthorized)?;
    if !sessions::is_live_for(&state.db, claims.sid, claims.sub).await? {
        return Err(AppError::Unauthorized);
    }
    Ok(AuthUser { user_id: claims.sub, session_id: claims.sid, via_cookie })
}

/// The token and whether it came from the cookie. A Bearer header wins over a cookie.
pub fn credential(headers: &HeaderMap) -> Option<(&str, bool)> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
        return Some((token.trim(), false));
    }
    session_cookie(headers).map(|token| (token, true))
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses a request whose `Origin` header is present and is neither the public origin nor an allowed one.
pub fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    match headers.get(header::ORIGIN) {
        None => Ok(()),
        Some(origin) => {
            let origin = origin.to_str().map_err(|_| AppError::OriginNotAllowed)?.trim_end_matches('/');
            if state.allowed_origins.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin)) {
                Ok(())
            } else {
                Err(AppError::OriginNotAllowed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_wins_over_cookie_and_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("theme=dark; corkboard_session=abc; x=1"));
        assert_eq!(credential(&headers), Some(("abc", true)));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer xyz"));
        assert_eq!(credential(&headers), Some(("xyz", false)));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        assert_eq!(credential(&headers), None);
    }
}
