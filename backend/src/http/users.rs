//! Finding people: the usernames and display names that start with what someone typed, for the invite field's
//! suggestions. Reads the `users` rows (which `auth` owns); never writes.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use corkboard_protocol::{User, UsersResponse};
use serde::Deserialize;

use super::extract::{Json, Query};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// At most this many people per answer: enough to pick from, little to send.
const SUGGESTIONS: i64 = 8;
/// Longer than any username or display name, so nothing longer can match.
const QUERY_MAX_CHARS: usize = 64;

#[derive(utoipa::OpenApi)]
#[openapi(paths(find_users))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/users", get(find_users))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FindUsers {
    /// What was typed: the start of a username (one leading `@` is dropped) or of a display name.
    q: String,
}

#[utoipa::path(
    get,
    path = "/api/users",
    tag = "users",
    params(FindUsers),
    responses(
        (status = 200, description = "At most 8 people whose username or display name starts with `q`, by username", body = corkboard_protocol::UsersResponse),
        (status = "default", description = "An error in the documented shape", body = corkboard_protocol::ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
async fn find_users(
    State(state): State<AppState>,
    _auth: AuthUser,
    Query(query): Query<FindUsers>,
) -> AppResult<Json<UsersResponse>> {
    let typed = query.q.trim();
    let typed = typed.strip_prefix('@').unwrap_or(typed).trim();
    if typed.is_empty() || typed.chars().count() > QUERY_MAX_CHARS {
        return Err(AppError::validation("q", format!("type 1 to {QUERY_MAX_CHARS} characters")));
    }
    let starts_with = format!("{}%", escape_like(&typed.to_lowercase()));
    let users = sqlx::query_as!(
        User,
        r"select id, username, display_name from users
          where lower(username) like $1 escape '\' or lower(display_name) like $1 escape '\'
          order by lower(username)
          limit $2",
        starts_with,
        SUGGESTIONS,
    )
    .fetch_all(&state.db)
    .await?;
    Ok(Json(UsersResponse { users }))
}

/// `text` as a LIKE pattern that matches exactly it: `%`, `_` and the escape character are plain characters.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_plain_characters() {
        assert_eq!(escape_like("a_b%c\\d"), "a\\_b\\%c\\\\d");
        assert_eq!(escape_like("ann"), "ann");
    }
}
