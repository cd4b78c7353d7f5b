//! The board WebSocket: admission before the upgrade, then per socket one sender (hello, the feed, replies,
//! heartbeats, the close) and one receiver (client frames, the rate limit, the idle timeout), ended together.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use corkboard_protocol::{ClientMsg, ErrorCode, MAX_FRAME_BYTES, MoveCardRequest, ServerMsg, close_code};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::admission::{StreamQuery, admit, session_live};
use super::feed::{Feed, Next};
use super::frame::frame;
use super::metrics::{OpenGuard, Transport};
use super::slots::UserSlot;
use super::subscription::Subscriber;
use crate::error::{AppError, AppResult};
use crate::http::cards::moves;
use crate::http::extract::{Path, Query};
use crate::state::AppState;

// Heartbeats come from the config (`CORKBOARD_WS_PING_MS` and `CORKBOARD_WS_IDLE_MS`): the server
// pings that often and drops a peer it has heard nothing from (no pong, no frame) for that long.
/// Client frames per second, sustained, and the burst allowed above it; past them the socket closes with
/// `close_code::POLICY_VIOLATION`.
/// A person dragging cards sends a few per second; a resend storm after a reconnect fits in the burst.
pub const RATE_PER_SEC: f64 = 20.0;
pub const RATE_BURST: f64 = 50.0;
/// How long a closing socket may take to get its close frame out, and a killed one to finish a stuck send.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// Replies (ack, error, pong) waiting for the sender; a client that floods without reading waits here.
const REPLY_QUEUE: usize = 16;

// Socket buffers, for many mostly idle connections (tungstenite's defaults are 128 KiB each way per socket).
// Reads: frames are small JSON; a bigger one grows the buffer up to the frame limit while it is read.
const READ_BUFFER: usize = 2 * 1024;
// Writes: every frame is flushed at once, so the buffer only holds the frame being written.
const WRITE_BUFFER: usize = 0;
// Bounds what a peer that stopped reading can make us hold beyond the per-socket queue.
const MAX_WRITE_BUFFER: usize = 1024 * 1024;

/// `GET /api/boards/{board_id}/ws?since=<seq>`. Every refusal is a plain HTTP error: the upgrade extractor's
/// own rejection is looked at only after admission.
pub(super) async fn upgrade(
    State(state): State<AppState>,
    Path(board_id): Path<Uuid>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    let subscriber = admit(&state, &headers, board_id).await?;
    let since = query.since()?;
    let upgrade = upgrade.map_err(|_| {
        AppError::bad_request(
            ErrorCode::WebsocketUpgradeRequired,
            "This endpoint speaks WebSocket: send an upgrade request.",
        )
    })?;
    // Taken before the upgrade, so a refusal is a plain 429; held by the socket's task until it ends.
    let slot = state.hub.reserve_slot(subscriber.user_id)?;
    let tasks = state.hub.tasks().clone();
    Ok(upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| tasks.track_future(run(socket, state, subscriber, since, slot))))
}

/// What the receiver asks of the sender.
enum Reply {
    Frame(Utf8Bytes),
    Close(u16),
    /// The peer is gone or silent: stop without ceremony.
    Drop,
}

#[tracing::instrument(skip_all, fields(board_id = %subscriber.board_id, user_id = %subscriber.user_id))]
async fn run(socket: WebSocket, state: AppState, subscriber: Subscriber, since: Option<i64>, _slot: UserSlot) {
    let _open = OpenGuard::new(Transport::WebSocket);
    let feed = Feed::new(&state.hub, subscriber.clone(), since);
    if !session_live(&state, subscriber.session_id).await.unwrap_or(true) {
        feed.kill(close_code::SESSION_REVOKED);
    }
    let (sink, mut stream) = socket.split();
    let (replies_tx, replies_rx) = mpsc::channel(REPLY_QUEUE);
    {
        let send = sender(sink, feed, replies_rx, state.shutdown.clone(), state.config.ws_ping_ms);
        let receive = receiver(&mut stream, replies_tx, &state, &subscriber);
        tokio::pin!(send, receive);
        tokio::select! {
            () = &mut send => {}
            // The receiver ended (peer closed, over-size frame, rate, silence): let the sender say goodbye.
            () = &mut receive => {
                let _ = tokio::time::timeout(CLOSE_GRACE * 2, &mut send).await;
            }
        }
    }
    // The closing handshake: read (and drop) what the peer still sends until its close, so that closing the
    // TCP connection with unread data does not reset it under our close frame.
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    tracing::debug!("socket closed");
}

async fn sender(
    mut sink: SplitSink<WebSocket, Message>,
    mut feed: Feed,
    mut replies: mpsc::Receiver<Reply>,
    shutdown: CancellationToken,
    ping_ms: u64,
) {
    let subscriber = feed.subscriber();
    let hello =
        frame(&ServerMsg::Hello { board_id: subscriber.board_id, seq: subscriber.seq, user_id: subscriber.user_id });
    if !send(&mut sink, Message::Text(hello), &feed, &shutdown).await {
        return;
    }
    let ping_every = Duration::from_millis(ping_ms);
    let mut heartbeat = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let message = tokio::select! {
            biased;
            () = shutdown.cancelled() => Err(close_code::GOING_AWAY),
            reply = replies.recv() => match reply {
                Some(Reply::Frame(text)) => Ok(Message::Text(text)),
                Some(Reply::Close(code)) => Err(code),
                Some(Reply::Drop) => return,
                None => {
                    // The peer closed: complete the closing handshake tungstenite has started.
                    let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
                    return;
                }
            },
            _ = heartbeat.tick() => Ok(Message::Ping(Bytes::new())),
            next = feed.next() => match next {
                Next::Event(pushed) => Ok(Message::Text(pushed.ws.clone())),
                Next::Reset(_) => Ok(Message::Text(frame(&ServerMsg::Reset))),
                Next::Presence(text) => Ok(Message::Text(text)),
                Next::Close(code) => Err(code),
            },
        };
        match message {
            Ok(message) => {
                if !send(&mut sink, message, &feed, &shutdown).await {
                    return;
                }
            }
            Err(code) => {
                let close = Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static("") }));
                let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(close)).await;
                return;
            }
        }
    }
}

/// Sends one frame; false when the socket is done for. A send stuck on a peer that stopped reading is given
/// up on at shutdown, or a moment after the subscriber was told to close (it cannot take a close frame then).
async fn send(
    sink: &mut SplitSink<WebSocket, Message>,
    message: Message,
    feed: &Feed,
    shutdown: &CancellationToken,
) -> bool {
    tokio::select! {
        biased;
        sent = sink.send(message) => sent.is_ok(),
        () = shutdown.cancelled() => false,
        () = async {
            feed.killed().await;
            tokio::time::sleep(CLOSE_GRACE).await;
        } => false,
    }
}

async fn receiver(
    stream: &mut SplitStream<WebSocket>,
    replies: mpsc::Sender<Reply>,
    state: &AppState,
    subscriber: &Subscriber,
) {
    let mut bucket = TokenBucket::new(RATE_PER_SEC, RATE_BURST);
    let idle_timeout = Duration::from_millis(state.config.ws_idle_ms);
    loop {
        let message = match tokio::time::timeout(idle_timeout, stream.next()).await {
            Err(_) => {
                tracing::debug!("peer silent for too long; dropping it");
                let _ = replies.send(Reply::Drop).await;
                return;
            }
            Ok(None) => return,
            Ok(Some(Err(err))) => {
                if is_too_big(err) {
                    let _ = replies.send(Reply::Close(close_code::MESSAGE_TOO_BIG)).await;
                }
                return;
            }
            Ok(Some(Ok(message))) => message,
        };
        let reply = match message {
            // Any frame shows the peer is alive (the idle timeout restarts); pongs answer our pings.
            Message::Pong(_) => continue,
            Message::Close(_) => return,
            _ if !bucket.take() => {
                tracing::debug!("client over its message rate");
                let _ = replies.send(Reply::Close(close_code::POLICY_VIOLATION)).await;
                return;
            }
            // tungstenite answers pings itself.
            Message::Ping(_) => continue,
            Message::Binary(_) => error_frame(None, ErrorCode::UnsupportedFrame, "Frames are JSON text."),
            Message::Text(text) => {
                let started = Instant::now();
                // Boxed: the move path (sqlx futures) would otherwise sit inline in every idle socket's task.
                let reply = Box::pin(handle_text(state, subscriber, text.as_str())).await;
                bucket.excuse(started.elapsed());
                reply
            }
        };
        if replies.send(Reply::Frame(reply)).await.is_err() {
            return;
        }
    }
}

fn is_too_big(err: axum::Error) -> bool {
    matches!(err.into_inner().downcast::<tungstenite::Error>().map(|e| *e), Ok(tungstenite::Error::Capacity(_)))
}

/// One client frame → its answer. Anything malformed gets an `error` frame; the socket stays open.
async fn handle_text(state: &AppState, subscriber: &Subscriber, text: &str) -> Utf8Bytes {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return error_frame(None, ErrorCode::MalformedJson, "A frame must be a JSON object.");
    };
    // Name the operation in the error when the frame got that far.
    let op = value.get("client_op_id").and_then(serde_json::Value::as_str).map(str::to_owned);
    let message = match serde_json::from_value::<ClientMsg>(value) {
        Ok(message) => message,
        Err(err) => return error_frame(op, ErrorCode::InvalidFrame, format!("The frame does not fit: {err}")),
    };
    match message {
        ClientMsg::Ping => frame(&ServerMsg::Pong),
        ClientMsg::MoveCard { client_op_id, card_id, list_id, after_id, before_id, position } => {
            let request =
                MoveCardRequest { list_id, after_id, before_id, position, client_op_id: Some(client_op_id.clone()) };
            if let Err((field, problem)) = request.target() {
                let message = format!("The frame does not fit: `{field}` {problem}.");
                return error_frame(Some(client_op_id), ErrorCode::InvalidFrame, message);
            }
            match moves::move_card(state, subscriber.user_id, card_id, request, Some(subscriber.board_id)).await {
                Ok(moved) => frame(&ServerMsg::Ack { client_op_id, seq: moved.seq }),
                Err(err) => {
                    match &err {
                        AppError::Internal(_) => tracing::error!(error = %err, "move over the socket failed"),
                        _ => tracing::debug!(error = %err, "move over the socket refused"),
                    }
                    let body = err.body().error;
                    frame(&ServerMsg::Error {
                        client_op_id: Some(client_op_id),
                        code: body.code,
                        message: body.message,
                    })
                }
            }
        }
    }
}

fn error_frame(client_op_id: Option<String>, code: ErrorCode, message: impl Into<String>) -> Utf8Bytes {
    frame(&ServerMsg::Error { client_op_id, code, message: message.into() })
}

/// The most a client is excused for the time the server spent answering it: 10 s of sending at the full rate.
const MAX_EXCUSED_SECS: f64 = 10.0;

/// The per-connection message rate, judged on the client's sending: `rate` tokens a second, at most `burst`
/// saved up, and the time the server spent answering a frame earns tokens past the burst (see `excuse`).
struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: f64, burst: f64) -> Self {
        Self { rate, burst, tokens: burst, last: Instant::now() }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let earned = now.duration_since(self.last).as_secs_f64() * self.rate;
        // Excused tokens above the burst are kept until spent; only ordinary saving stops at the burst.
        self.tokens = (self.tokens + earned).min(self.burst.max(self.tokens));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The server was `busy` answering the client's last frame and read nothing meanwhile: what the client sent
    /// in that time was sent at its own pace and now arrives at once. Those frames must not count as a burst
    /// (after a database outage they would close a client that kept to the rate), so the busy time earns
    /// tokens even past the burst, up to `MAX_EXCUSED_SECS` of sending.
    fn excuse(&mut self, busy: Duration) {
        let cap = self.burst + self.rate * MAX_EXCUSED_SECS;
        self.tokens = (self.tokens + busy.as_secs_f64() * self.rate).min(cap.max(self.tokens));
        self.last = self.last.max(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let mut bucket = TokenBucket::new(RATE_PER_SEC, RATE_BURST);
        for _ in 0..50 {
            assert!(bucket.take());
        }
        assert!(!bucket.take());
        // A tenth of a second later, two more (20 a second).
        bucket.last -= Duration::from_millis(100);
        assert!(bucket.take() && bucket.take());
        assert!(!bucket.take());
    }

    #[test]
    fn time_spent_answering_is_not_held_against_the_client() {
        let mut bucket = TokenBucket::new(RATE_PER_SEC, RATE_BURST);
        assert!(bucket.take());
        // Eight seconds waiting for the database while the client kept sending 10 frames a second: the 80
        // frames it sent meanwhile arrive at once, on top of a full burst.
        bucket.excuse(Duration::from_secs(8));
        for n in 0..(50 + 80) {
            assert!(bucket.take(), "frame {n} refused");
        }
        // The excuse is spent: a real burst on top is still refused.
        let refused = (0..100).filter(|_| !bucket.take()).count();
        assert!(refused > 0);
    }

    #[test]
    fn the_excuse_is_bounded() {
        let mut bucket = TokenBucket::new(RATE_PER_SEC, RATE_BURST);
        bucket.excuse(Duration::from_secs(3600));
        let allowed = (0..10_000).take_while(|_| bucket.take()).count();
        assert!(allowed <= (RATE_BURST + RATE_PER_SEC * MAX_EXCUSED_SECS) as usize + 1, "{allowed}");
    }
}
