//! Admission: everything a stream is refused for, checked before it starts (before the upgrade for a
//! WebSocket), and where the client says it is in the board's log (`since`, `Last-Event-ID`).

use axum::http::HeaderMap;
use corkboard_protocol::ErrorCode;
use serde::Deserialize;
use uuid::Uuid;

use super::subscription::Subscriber;
use crate::auth::{AuthUser, authenticate, check_origin, credential, sessions};
use crate::error::{AppError, AppResult, Resource};
use crate::state::AppState;

/// `?since=<seq>`: where the client's copy of the board is.
#[derive(Debug, Deserialize)]
pub(crate) struct StreamQuery {
    since: Option<i64>,
}

impl StreamQuery {
    pub(super) fn since(&self) -> AppResult<Option<i64>> {
        parse_since(self.since)
    }
}

fn parse_since(since: Option<i64>) -> AppResult<Option<i64>> {
    match since {
        Some(seq) if seq < 0 => {
            Err(AppError::bad_request(ErrorCode::InvalidQuery, "`since` must be a seq, 0 or more."))
        }
        other => Ok(other),
    }
}

/// Everything a stream is refused for, checked before it starts (before the upgrade for a WebSocket): the
/// Origin (always, when present), the credential, and membership of a live board.
pub(super) async fn admit(state: &AppState, headers: &HeaderMap, board_id: Uuid) -> AppResult<Subscriber> {
    let auth = authenticate_stream(state, headers).await?;
    let row = sqlx::query!(
        r#"select b.seq, u.display_name as "display_name?"
           from boards b
           left join board_members m on m.board_id = b.id and m.user_id = $2
           left join users u on u.id = m.user_id
           where b.id = $1 and b.deleted_at is null"#,
        board_id,
        auth.user_id,
    )
    .fetch_optional(&state.db)
    .await?
    .ok_or(AppError::NotFound(Resource::Board))?;
    let display_name = row.display_name.ok_or(AppError::NotAMember)?;
    Ok(Subscriber { board_id, user_id: auth.user_id, session_id: auth.session_id, display_name, seq: row.seq })
}

/// Who opens a stream: every stream, cookie or Bearer, checks the `Origin` first (a stream is a GET, which the
/// REST extractor would let through from any origin), then the credential and its session.
pub(super) async fn authenticate_stream(state: &AppState, headers: &HeaderMap) -> AppResult<AuthUser> {
    check_origin(state, headers)?;
    let (token, via_cookie) = credential(headers).ok_or(AppError::Unauthorized)?;
    authenticate(state, token, via_cookie).await
}

/// Whether a session is still live. Checked once more after registering with the hub: a logout between
/// admission and registration rang its doorbell before anyone here listened for it.
pub(super) async fn session_live(state: &AppState, session_id: Uuid) -> AppResult<bool> {
    sessions::is_live(&state.db, session_id).await
}

/// `Last-Event-ID` of an SSE reconnect; it wins over `?since=` (a browser reconnects to the same URL).
pub(super) fn last_event_id(headers: &HeaderMap) -> AppResult<Option<i64>> {
    let Some(value) = headers.get("last-event-id") else { return Ok(None) };
    let seq = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| AppError::bad_request(ErrorCode::InvalidLastEventId, "Last-Event-ID must be a seq."))?;
    parse_since(Some(seq))
}
