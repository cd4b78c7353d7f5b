//! The board's event stream as server-sent events, for networks where WebSockets are blocked: the same
//! admission and feed as the WebSocket, written as `text/event-stream` with the hub's shared bytes.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use corkboard_protocol::close_code;
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::admission::{StreamQuery, admit, last_event_id, session_live};
use super::feed::{Feed, Next};
use super::metrics::{OpenGuard, Transport};
use super::slots::UserSlot;
use crate::error::AppResult;
use crate::http::extract::{Path, Query};
use crate::state::AppState;

/// A comment line goes out when nothing else has for this long (the contract promises one at least every
/// 15 s; proxies drop idle streams).
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// `GET /api/boards/{board_id}/events`, resuming from `Last-Event-ID` or `?since=`.
pub(super) async fn stream(
    State(state): State<AppState>,
    Path(board_id): Path<Uuid>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let subscriber = admit(&state, &headers, board_id).await?;
    let since = match last_event_id(&headers)? {
        Some(seq) => Some(seq),
        None => query.since()?,
    };
    let slot = state.hub.reserve_slot(subscriber.user_id)?;
    let feed = Feed::new(&state.hub, subscriber.clone(), since);
    if !session_live(&state, subscriber.session_id).await? {
        feed.kill(close_code::SESSION_REVOKED);
    }
    let open = OpenGuard::new(Transport::Sse);
    let stream = SseStream { feed, shutdown: state.shutdown.clone(), _open: open, _slot: slot };
    Ok(event_stream(futures_util::stream::unfold(stream, |mut stream| async move {
        let chunk = stream.next_chunk().await?;
        Some((chunk, stream))
    })))
}

/// A `text/event-stream` response sending `chunks` as they come (the board streams and the "my boards" stream).
pub(super) fn event_stream(chunks: impl Stream<Item = Bytes> + Send + 'static) -> Response {
    let mut response = Body::from_stream(chunks.map(Ok::<_, Infallible>)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Tells nginx-like proxies not to buffer the stream.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

struct SseStream {
    feed: Feed,
    shutdown: CancellationToken,
    /// Counts the stream as open for as long as the body lives.
    _open: OpenGuard,
    /// One of the user's stream slots, given back when the body is dropped.
    _slot: UserSlot,
}

impl SseStream {
    /// The next piece of the body; `None` ends the stream (shutdown, revocation, removal, deletion).
    async fn next_chunk(&mut self) -> Option<Bytes> {
        let keep_alive = Instant::now() + KEEP_ALIVE;
        loop {
            return tokio::select! {
                biased;
                () = self.shutdown.cancelled() => None,
                next = self.feed.next() => match next {
                    Next::Event(pushed) => Some(pushed.sse.clone()),
                    // With the id, a browser's automatic reconnect resumes after the reset point.
                    Next::Reset(seq) => Some(Bytes::from(format!("id: {seq}\nevent: reset\ndata: {{}}\n\n"))),
                    // Presence is a WebSocket frame only.
                    Next::Presence(_) => continue,
                    Next::Close(_) => None,
                },
                () = tokio::time::sleep_until(keep_alive) => Some(Bytes::from_static(b": keep-alive\n\n")),
            };
        }
    }
}
