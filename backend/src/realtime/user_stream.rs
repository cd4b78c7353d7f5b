//! The "my boards" stream (`GET /api/me/events`): this instance's registry of per-user streams, and the SSE body
//! that tells a user their list of boards changed. The listener hands it `user_boards` doorbells; it holds only
//! streams that are open (an entry leaves with its stream, a user's map with their last stream).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use corkboard_protocol::{BoardChange, MY_BOARDS_EVENT, MY_BOARDS_REFETCH, MyBoardsChange};
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::admission::{authenticate_stream, session_live};
use super::hub::lock;
use super::metrics::{OpenGuard, Transport};
use super::slots::UserSlot;
use super::sse::{KEEP_ALIVE, event_stream};
use crate::auth::sessions;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Messages one stream may have waiting; past that they are replaced by one `refetch`, which says it all.
const INBOX_CAPACITY: usize = 32;
/// The first bytes of every stream: how soon a browser reconnects, and "read your boards now".
const OPENING: &str = "retry: 2000\nevent: refetch\ndata: {}\n\n";

/// This instance's open "my boards" streams, by user. Cheap to clone.
#[derive(Clone, Default)]
pub struct UserStreams {
    inner: Arc<Registry>,
}

#[derive(Default)]
struct Registry {
    users: Mutex<HashMap<Uuid, HashMap<u64, Arc<Inbox>>>>,
    next_id: AtomicU64,
}

/// What one stream has not sent yet.
struct Inbox {
    session_id: Uuid,
    state: Mutex<InboxState>,
    wake: Notify,
}

#[derive(Default)]
struct InboxState {
    messages: VecDeque<Bytes>,
    closed: bool,
}

/// A stream's place in the registry; dropping it (the stream ended) takes it out.
pub struct Registration {
    registry: Arc<Registry>,
    user_id: Uuid,
    id: u64,
    inbox: Arc<Inbox>,
}

impl Inbox {
    fn push(&self, message: &Bytes) {
        {
            let mut state = lock(&self.state);
            if state.messages.len() >= INBOX_CAPACITY {
                state.messages.clear();
                state.messages.push_back(refetch());
            } else {
                state.messages.push_back(message.clone());
            }
        }
        self.wake.notify_one();
    }

    fn close(&self) {
        lock(&self.state).closed = true;
        self.wake.notify_one();
    }
}

fn refetch() -> Bytes {
    Bytes::from(format!("event: {MY_BOARDS_REFETCH}\ndata: {{}}\n\n"))
}

impl UserStreams {
    /// Adds a stream of `user_id`, opened with `session_id`.
    pub fn register(&self, user_id: Uuid, session_id: Uuid) -> Registration {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let inbox = Arc::new(Inbox { session_id, state: Mutex::default(), wake: Notify::new() });
        lock(&self.inner.users).entry(user_id).or_default().insert(id, Arc::clone(&inbox));
        Registration { registry: Arc::clone(&self.inner), user_id, id, inbox }
    }

    /// Tells every open stream of `users` on this instance about `change` (encoded once).
    pub fn notify(&self, users: &[Uuid], board_id: Uuid, change: BoardChange) {
        let data = serde_json::to_string(&MyBoardsChange { board_id, change }).unwrap_or_default();
        let message = Bytes::from(format!("event: {MY_BOARDS_EVENT}\ndata: {data}\n\n"));
        let registered = lock(&self.inner.users);
        for inbox in users.iter().filter_map(|user| registered.get(user)).flat_map(HashMap::values) {
            inbox.push(&message);
        }
    }

    /// Tells every open stream to read its boards again: doorbells may have been lost.
    pub fn refetch_all(&self) {
        let message = refetch();
        for inbox in lock(&self.inner.users).values().flat_map(HashMap::values) {
            inbox.push(&message);
        }
    }

    /// Ends every stream opened with this session (a logout).
    pub fn revoke_session(&self, session_id: Uuid) {
        for inbox in lock(&self.inner.users).values().flat_map(HashMap::values) {
            if inbox.session_id == session_id {
                inbox.close();
            }
        }
    }

    /// Ends the streams of sessions revoked or expired while the listener could not hear of it.
    pub async fn recheck_sessions(&self, db: &PgPool) -> AppResult<()> {
        let mut open: Vec<Uuid> =
            lock(&self.inner.users).values().flat_map(HashMap::values).map(|inbox| inbox.session_id).collect();
        if open.is_empty() {
            return Ok(());
        }
        open.sort_unstable();
        open.dedup();
        for session_id in sessions::dead_among(db, &open).await? {
            self.revoke_session(session_id);
        }
        Ok(())
    }

    /// How many users have a stream open here (for tests of the pruning).
    pub fn users(&self) -> usize {
        lock(&self.inner.users).len()
    }
}

impl Registration {
    /// The next message to send; `None` once the stream was closed.
    async fn next(&self) -> Option<Bytes> {
        loop {
            {
                let mut state = lock(&self.inbox.state);
                if let Some(message) = state.messages.pop_front() {
                    return Some(message);
                }
                if state.closed {
                    return None;
                }
            }
            // A push between the check above and here left a permit: this returns at once.
            self.inbox.wake.notified().await;
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut users = lock(&self.registry.users);
        if let Some(streams) = users.get_mut(&self.user_id) {
            streams.remove(&self.id);
            if streams.is_empty() {
                users.remove(&self.user_id);
            }
        }
    }
}

/// `GET /api/me/events`.
pub(super) async fn stream(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let auth = authenticate_stream(&state, &headers).await?;
    let slot = state.hub.reserve_slot(auth.user_id)?;
    let registration = state.user_streams.register(auth.user_id, auth.session_id);
    // A logout between the check above and the registration rang its doorbell before we could hear it.
    if !session_live(&state, auth.session_id).await? {
        return Err(AppError::Unauthorized);
    }
    let stream = MyBoardsStream {
        registration,
        shutdown: state.shutdown.clone(),
        opened: false,
        _open: OpenGuard::new(Transport::Sse),
        _slot: slot,
    };
    Ok(event_stream(futures_util::stream::unfold(stream, |mut stream| async move {
        let chunk = stream.next_chunk().await?;
        Some((chunk, stream))
    })))
}

struct MyBoardsStream {
    registration: Registration,
    shutdown: CancellationToken,
    opened: bool,
    _open: OpenGuard,
    _slot: UserSlot,
}

impl MyBoardsStream {
    /// The next piece of the body; `None` ends the stream (shutdown, logout).
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if !self.opened {
            self.opened = true;
            return Some(Bytes::from_static(OPENING.as_bytes()));
        }
        let keep_alive = Instant::now() + KEEP_ALIVE;
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => None,
            next = self.registration.next() => next,
            () = tokio::time::sleep_until(keep_alive) => Some(Bytes::from_static(b": keep-alive\n\n")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_flood_becomes_one_refetch_and_an_ended_stream_leaves_no_entry() {
        let streams = UserStreams::default();
        let (ann, session) = (Uuid::now_v7(), Uuid::now_v7());
        let registration = streams.register(ann, session);
        for _ in 0..INBOX_CAPACITY {
            streams.notify(&[ann], Uuid::now_v7(), BoardChange::Added);
        }
        streams.notify(&[ann], Uuid::now_v7(), BoardChange::Added);
        assert_eq!(registration.next().await, Some(refetch()));
        streams.revoke_session(session);
        assert_eq!(registration.next().await, None);
        assert_eq!(streams.users(), 1);
        drop(registration);
        assert_eq!(streams.users(), 0);
    }
}
