//! Realtime test clients: a board WebSocket (as a browser with the cookie, or an API client with a Bearer token)
//! and an SSE reader, both reading typed frames with a timeout, so tests wait on conditions, never on sleeps.

use std::net::SocketAddr;
use std::time::Duration;

use corkboard_protocol::{Event, ServerMsg};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Request};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use crate::TestApp;

/// How long a test waits for a frame that should come.
pub const WAIT: Duration = Duration::from_secs(10);

/// How a connection authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
    /// The session cookie, as a browser sends it.
    Cookie(&'a str),
}

/// The handshake request for a board's socket.
pub fn ws_request(
    addr: SocketAddr,
    board_id: Uuid,
    since: Option<i64>,
    auth: Auth<'_>,
    origin: Option<&str>,
) -> Request<()> {
    let query = since.map(|s| format!("?since={s}")).unwrap_or_default();
    let mut request =
        format!("ws://{addr}/api/boards/{board_id}/ws{query}").into_client_request().expect("a valid ws url");
    let headers = request.headers_mut();
    match auth {
        Auth::None => {}
        Auth::Bearer(token) => {
            headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).expect("header"));
        }
        Auth::Cookie(token) => {
            let cookie = format!("theme=dark; {}={token}", corkboard_server::auth::SESSION_COOKIE);
            headers.insert("cookie", HeaderValue::from_str(&cookie).expect("header"));
        }
    }
    if let Some(origin) = origin {
        headers.insert("origin", HeaderValue::from_str(origin).expect("header"));
    }
    request
}

/// What the server sent: a message, or the close (with its code, `None` when the connection just ended).
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant, reason = "one frame at a time, moved straight into a match")]
pub enum Frame {
    Msg(ServerMsg),
    Close(Option<u16>),
}

pub struct BoardSocket {
    inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The `hello` seq.
    pub hello_seq: i64,
}

/// Opens a socket; `Err` carries the HTTP refusal (status and JSON body). Reads the `hello` on success.
pub async fn try_connect(request: Request<()>) -> Result<BoardSocket, (StatusCode, Value)> {
    let connected =
        tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await.expect("handshake in time");
    match connected {
        Ok((inner, response)) => {
            assert_eq!(response.status().as_u16(), 101);
            BoardSocket::after_handshake(inner).await.map_err(|frame| panic!("expected hello, got {frame:?}"))
        }
        Err(tungstenite::Error::Http(response)) => {
            let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
            let body = response.body().as_deref().unwrap_or_default();
            Err((status, serde_json::from_slice(body).unwrap_or(Value::Null)))
        }
        Err(other) => panic!("handshake failed: {other}"),
    }
}

/// Opens a socket over a TCP connection whose receive buffer is tiny, so the server feels a slow reader at
/// once when the test stops reading.
pub async fn connect_slow_reader(app_addr: SocketAddr, board_id: Uuid, token: &str) -> BoardSocket {
    let socket = tokio::net::TcpSocket::new_v4().expect("tcp socket");
    socket.set_recv_buffer_size(4096).expect("small receive buffer");
    let stream = socket.connect(app_addr).await.expect("tcp connect");
    let request = ws_request(app_addr, board_id, None, Auth::Bearer(token), None);
    let (inner, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await.expect("handshake");
    BoardSocket::after_handshake(inner).await.expect("hello")
}

impl BoardSocket {
    async fn after_handshake(inner: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Result<Self, Frame> {
        let mut socket = Self { inner, hello_seq: -1 };
        match socket.recv().await {
            Frame::Msg(ServerMsg::Hello { seq, .. }) => {
                socket.hello_seq = seq;
                Ok(socket)
            }
            other => Err(other),
        }
    }

    /// The next message or close, skipping WebSocket pings and pongs. Panics after `WAIT`.
    pub async fn recv(&mut self) -> Frame {
        self.recv_within(WAIT).await.unwrap_or_else(|| panic!("no frame within {WAIT:?}"))
    }

    /// The next message or close within `wait`, or `None`.
    pub async fn recv_within(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.inner.next()).await.ok()?;
            return Some(match next {
                Some(Ok(Message::Text(text))) => Frame::Msg(
                    serde_json::from_str(text.as_str()).unwrap_or_else(|e| panic!("not a server frame: {text} ({e})")),
                ),
                Some(Ok(Message::Close(close))) => Frame::Close(close.map(|c| u16::from(c.code))),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                Some(Err(_)) | None => Frame::Close(None),
            });
        }
    }

    /// The next message that is not `presence`.
    pub async fn next_msg(&mut self) -> ServerMsg {
        loop {
            match self.recv().await {
                Frame::Msg(ServerMsg::Presence { .. }) => continue,
                Frame::Msg(msg) => return msg,
                Frame::Close(code) => panic!("socket closed ({code:?}) while a message was expected"),
            }
        }
    }

    /// The next event, skipping presence; panics on anything else.
    pub async fn next_event(&mut self) -> Event {
        match self.next_msg().await {
            ServerMsg::Event(event) => event,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// The next `n` events.
    pub async fn events(&mut self, n: usize) -> Vec<Event> {
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(self.next_event().await);
        }
        events
    }

    /// The next presence frame's users as (id, display name).
    pub async fn next_presence(&mut self) -> Vec<(Uuid, String)> {
        loop {
            match self.recv().await {
                Frame::Msg(ServerMsg::Presence { users, .. }) => {
                    return users.into_iter().map(|u| (u.id, u.display_name)).collect();
                }
                Frame::Msg(_) => continue,
                Frame::Close(code) => panic!("socket closed ({code:?}) while presence was expected"),
            }
        }
    }

    /// Reads until the close and returns its code; messages on the way are returned too.
    pub async fn until_close(&mut self) -> (Vec<ServerMsg>, Option<u16>) {
        let mut seen = Vec::new();
        loop {
            match self.recv().await {
                Frame::Msg(msg) => seen.push(msg),
                Frame::Close(code) => return (seen, code),
            }
        }
    }

    /// Reads everything up to the end of the connection, as a peer that only now looks at its socket: the
    /// number of WebSocket pings the server sent, and the close code (`None` when it just hung up).
    pub async fn pings_until_end(&mut self, wait: Duration) -> (usize, Option<u16>) {
        let mut pings = 0;
        loop {
            let next = tokio::time::timeout(wait, self.inner.next()).await.expect("the connection ends in time");
            match next {
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(Message::Close(close))) => return (pings, close.map(|c| u16::from(c.code))),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return (pings, None),
            }
        }
    }

    /// The raw socket, for tests that send and read at the same time (split it).
    pub fn into_stream(self) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        self.inner
    }

    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.inner.send(Message::text(text.into())).await.expect("send a frame");
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.inner.send(Message::binary(bytes)).await.expect("send a frame");
    }

    pub async fn send_json(&mut self, value: &Value) {
        self.send_text(value.to_string()).await;
    }

    /// Sends a `move_card` frame.
    pub async fn move_card(&mut self, client_op_id: &str, card_id: Uuid, list_id: Uuid, after_id: Option<Uuid>) {
        let frame = json!({"type": "move_card", "client_op_id": client_op_id, "card_id": card_id,
                           "list_id": list_id, "after_id": after_id});
        self.send_json(&frame).await;
    }

    /// Sends `ping` and waits for its `pong`, returning what came before it (presence aside).
    pub async fn ping_pong(&mut self) -> Vec<ServerMsg> {
        self.send_json(&json!({"type": "ping"})).await;
        let mut before = Vec::new();
        loop {
            match self.next_msg().await {
                ServerMsg::Pong => return before,
                other => before.push(other),
            }
        }
    }
}

impl TestApp {
    /// A board socket with a Bearer token, reading `hello`; panics when refused.
    pub async fn ws(&self, token: &str, board_id: Uuid, since: Option<i64>) -> BoardSocket {
        self.ws_at(self.addr, token, board_id, since).await
    }

    /// A board socket on the instance at `addr` (another instance on this app's database).
    pub async fn ws_at(&self, addr: SocketAddr, token: &str, board_id: Uuid, since: Option<i64>) -> BoardSocket {
        match try_connect(ws_request(addr, board_id, since, Auth::Bearer(token), None)).await {
            Ok(socket) => socket,
            Err((status, body)) => panic!("upgrade refused: {status} {body}"),
        }
    }

    /// An SSE stream of a board, with optional `Last-Event-ID` and `?since=`.
    pub async fn sse(
        &self,
        token: &str,
        board_id: Uuid,
        last_event_id: Option<i64>,
        since: Option<i64>,
    ) -> reqwest::Response {
        let query = since.map(|s| format!("?since={s}")).unwrap_or_default();
        let mut request =
            self.client.get(self.url(&format!("/api/boards/{board_id}/events{query}"))).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        request.send().await.expect("sse request")
    }
}

/// One SSE message: its fields (comments are counted, not kept).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SseMessage {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// Reads an SSE body message by message.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
    pub comments: usize,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        Self { response, buffer: String::new(), comments: 0 }
    }

    /// The next message, or `None` when the stream ended. Panics after `WAIT`.
    pub async fn next(&mut self) -> Option<SseMessage> {
        self.next_within(WAIT).await.unwrap_or_else(|| panic!("no SSE message within {WAIT:?}"))
    }

    /// `Some(next)` within `wait`, `None` on timeout.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Option<SseMessage>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut message = SseMessage::default();
                let mut data = Vec::new();
                for line in block.lines() {
                    if line.starts_with(':') {
                        self.comments += 1;
                    } else if let Some((field, value)) = line.split_once(':') {
                        let value = value.strip_prefix(' ').unwrap_or(value);
                        match field {
                            "id" => message.id = Some(value.to_owned()),
                            "event" => message.event = Some(value.to_owned()),
                            "data" => data.push(value.to_owned()),
                            _ => {}
                        }
                    }
                }
                if message.id.is_none() && message.event.is_none() && data.is_empty() {
                    continue;
                }
                message.data = data.join("\n");
                return Some(Some(message));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?;
            match chunk {
                Ok(Some(bytes)) => self.buffer.push_str(std::str::from_utf8(&bytes).expect("utf-8 stream")),
                Ok(None) | Err(_) => return Some(None),
            }
        }
    }

    /// The next `event: event` message as an `Event`, checking its `id` is its seq.
    pub async fn next_event(&mut self) -> Event {
        let message = self.next().await.expect("the stream goes on");
        assert_eq!(message.event.as_deref(), Some("event"), "{message:?}");
        let event: Event = serde_json::from_str(&message.data).expect("an event");
        assert_eq!(message.id, Some(event.seq.to_string()));
        event
    }
}
