//! The client side: REST setup calls, WebSocket dialing (spread over 127.0.0.x source addresses), frame
//! parsing that does not deserialize (the receive path must cost the same against the real server and the
//! baseline), and the shared probe that turns send/receive instants into latency histograms.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use uuid::Uuid;

use crate::stats::Sharded;

pub type Ws = WebSocketStream<TcpStream>;

pub const PASSWORD: &str = "bench-password-123";

/// REST calls used for setup (and the snapshot and storm scenarios). Every call has a timeout.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(64).build()?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned() })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.with_context(|| format!("{method} {path}"))?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{method} {path} → {status}: {text}");
        }
        Ok(if text.is_empty() { Value::Null } else { serde_json::from_str(&text)? })
    }

    /// Registers a user; returns (user id, bearer token).
    pub async fn register(&self, username: &str) -> anyhow::Result<(Uuid, String)> {
        let body = json!({"username": username, "password": PASSWORD, "display_name": username});
        let v = self.call(reqwest::Method::POST, "/api/auth/register", None, Some(body)).await?;
        let id = v["user"]["id"].as_str().ok_or_else(|| anyhow!("no user id: {v}"))?.parse()?;
        let token = v["token"].as_str().ok_or_else(|| anyhow!("no token: {v}"))?.to_owned();
        Ok((id, token))
    }

    /// Registers `n` users named `<prefix>_<i>`, a few at a time (Argon2id is CPU-bound): for the few accounts
    /// of a setup; crowds are inserted (`accounts`).
    pub async fn register_many(&self, prefix: &str, n: usize) -> anyhow::Result<Vec<User>> {
        let mut users = Vec::with_capacity(n);
        for chunk in (0..n).collect::<Vec<_>>().chunks(4) {
            let calls = chunk.iter().map(|i| {
                let name = format!("{prefix}_{i}");
                async move { self.register(&name).await.map(|(id, token)| User { id, name, token }) }
            });
            for user in futures_util::future::join_all(calls).await {
                users.push(user?);
            }
        }
        Ok(users)
    }

    pub async fn create_board(&self, token: &str, title: &str) -> anyhow::Result<Uuid> {
        let v = self.call(reqwest::Method::POST, "/api/boards", Some(token), Some(json!({"title": title}))).await?;
        Ok(v["id"].as_str().ok_or_else(|| anyhow!("no board id: {v}"))?.parse()?)
    }

    pub async fn create_list(&self, token: &str, board: Uuid, title: &str) -> anyhow::Result<Uuid> {
        let path = format!("/api/boards/{board}/lists");
        let v = self.call(reqwest::Method::POST, &path, Some(token), Some(json!({"title": title}))).await?;
        Ok(v["id"].as_str().ok_or_else(|| anyhow!("no list id: {v}"))?.parse()?)
    }

    pub async fn create_card(&self, token: &str, list: Uuid, title: &str) -> anyhow::Result<Uuid> {
        let path = format!("/api/lists/{list}/cards");
        let v = self.call(reqwest::Method::POST, &path, Some(token), Some(json!({"title": title}))).await?;
        Ok(v["id"].as_str().ok_or_else(|| anyhow!("no card id: {v}"))?.parse()?)
    }

    pub async fn add_member(&self, token: &str, board: Uuid, username: &str, role: &str) -> anyhow::Result<()> {
        let path = format!("/api/boards/{board}/members");
        self.call(reqwest::Method::POST, &path, Some(token), Some(json!({"username": username, "role": role}))).await?;
        Ok(())
    }

    /// `POST /api/cards/{id}/move`; returns the event's seq.
    pub async fn move_card(&self, token: &str, card: Uuid, list: Uuid, op: &str) -> anyhow::Result<i64> {
        let path = format!("/api/cards/{card}/move");
        let body = json!({"list_id": list, "after_id": null, "client_op_id": op});
        let v = self.call(reqwest::Method::POST, &path, Some(token), Some(body)).await?;
        v["seq"].as_i64().ok_or_else(|| anyhow!("no seq: {v}"))
    }

    /// A GET whose body is read whole and thrown away: (status, body bytes).
    pub async fn get_bytes(
        &self,
        path: &str,
        token: &str,
        accept_encoding: Option<&str>,
    ) -> anyhow::Result<(u16, usize)> {
        let mut req = self.http.get(format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(enc) = accept_encoding {
            req = req.header("accept-encoding", enc);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await?;
        Ok((status, body.len()))
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub token: String,
}

/// Opens WebSockets from 127.0.0.1..=127.0.0.N in turn (bind before connect), so that tens of thousands of
/// loopback connections never run one source address out of ephemeral ports.
pub struct Dialer {
    pub addr: SocketAddr,
    sources: Vec<Ipv4Addr>,
    next: AtomicUsize,
}

impl Dialer {
    pub fn new(http_base: &str, sources: usize) -> anyhow::Result<Self> {
        let hostport = http_base.trim_start_matches("http://").trim_end_matches('/');
        let addr: SocketAddr =
            hostport.parse().with_context(|| format!("server address {hostport:?} (use http://IP:PORT)"))?;
        let sources = (0..sources.clamp(1, 250)).map(|i| Ipv4Addr::new(127, 0, 0, 1 + i as u8)).collect();
        Ok(Self { addr, sources, next: AtomicUsize::new(0) })
    }

    pub fn config() -> WebSocketConfig {
        // Small buffers: ten thousand sockets in one process. The same for the real server and the baseline.
        WebSocketConfig::default().read_buffer_size(8 * 1024).write_buffer_size(0)
    }

    /// Dials `path` (with query) with an optional bearer token; errors name the HTTP status of a refusal.
    pub async fn dial(&self, path: &str, token: Option<&str>) -> anyhow::Result<Ws> {
        let mut request = format!("ws://{}{path}", self.addr).into_client_request()?;
        if let Some(token) = token {
            request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}"))?);
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let source = self.sources[i % self.sources.len()];
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(IpAddr::V4(source), 0)).with_context(|| format!("bind {source}"))?;
        let stream = socket.connect(self.addr).await.context("connect")?;
        stream.set_nodelay(true)?;
        let (ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(Self::config()))
            .await
            .map_err(|err| match err {
                WsError::Http(resp) => anyhow!("upgrade refused: {}", resp.status()),
                other => anyhow!(other),
            })?;
        Ok(ws)
    }

    /// Dials with retries (at most `tries`, with a short growing pause), for thousands of sockets at once.
    pub async fn dial_retry(&self, path: &str, token: Option<&str>, tries: u32) -> anyhow::Result<(Ws, u32)> {
        let mut last = None;
        for attempt in 0..tries.max(1) {
            match tokio::time::timeout(Duration::from_secs(15), self.dial(path, token)).await {
                Ok(Ok(ws)) => return Ok((ws, attempt)),
                Ok(Err(err)) => last = Some(err),
                Err(_) => last = Some(anyhow!("dial timed out")),
            }
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt + 1))).await;
        }
        Err(last.unwrap_or_else(|| anyhow!("no attempt")))
    }
}

/// What a server frame is, from its first bytes (`{"type":"…"` is always first: serde's internal tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hello,
    Event,
    Ack,
    Error,
    Presence,
    Reset,
    Other,
}

pub fn kind(text: &str) -> Kind {
    let Some(rest) = text.strip_prefix(r#"{"type":""#) else { return Kind::Other };
    if rest.starts_with("event\"") {
        Kind::Event
    } else if rest.starts_with("ack\"") {
        Kind::Ack
    } else if rest.starts_with("hello\"") {
        Kind::Hello
    } else if rest.starts_with("presence\"") {
        Kind::Presence
    } else if rest.starts_with("error\"") {
        Kind::Error
    } else if rest.starts_with("reset\"") {
        Kind::Reset
    } else {
        Kind::Other
    }
}

/// The first `"key":"value"` string of a frame.
pub fn str_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\":\"");
    let start = text.find(&pat)? + pat.len();
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

/// The first `"key":123` integer of a frame (the event's own `seq` comes before its data).
pub fn int_field(text: &str, key: &str) -> Option<i64> {
    let pat = format!("\"{key}\":");
    let start = text.find(&pat)? + pat.len();
    let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
    text[start..start + digits].parse().ok()
}

/// Send instants by operation index, and the latency histograms they feed. Operation ids are
/// `<prefix><index>`; an index below `skip_below` is warm-up (counted, not recorded).
pub struct Probe {
    pub prefix: String,
    base: Instant,
    sent: Vec<AtomicU64>,
    skip_below: usize,
    pub events: Sharded,
    pub acks: Sharded,
    /// Matching events received by watchers (the movers' own copies are not counted).
    pub received: AtomicU64,
    pub acked: AtomicU64,
    pub errors: AtomicU64,
    pub frame_len: AtomicUsize,
}

impl Probe {
    pub fn new(prefix: &str, ops: usize, skip_below: usize) -> Arc<Self> {
        Arc::new(Self {
            prefix: prefix.to_owned(),
            base: Instant::now(),
            sent: (0..ops).map(|_| AtomicU64::new(0)).collect(),
            skip_below,
            events: Sharded::new(64),
            acks: Sharded::new(16),
            received: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            frame_len: AtomicUsize::new(0),
        })
    }

    pub fn op_id(&self, index: usize) -> String {
        format!("{}{index}", self.prefix)
    }

    /// Stamps the send of operation `index`: call right before the frame is written.
    pub fn mark_sent(&self, index: usize) {
        let nanos = self.base.elapsed().as_nanos() as u64 + 1;
        self.sent[index].store(nanos, Ordering::Release);
    }

    /// `at` as this probe's clock (nanoseconds since it was made, plus one).
    pub fn nanos(&self, at: Instant) -> u64 {
        at.duration_since(self.base).as_nanos() as u64 + 1
    }

    /// How many operations were sent after `nanos` (this probe's clock).
    pub fn sent_after(&self, nanos: u64) -> u64 {
        self.sent.iter().filter(|s| s.load(Ordering::Acquire) > nanos).count() as u64
    }

    fn latency(&self, text: &str, now: Instant) -> Option<(usize, u64)> {
        let op = str_field(text, "client_op_id")?;
        let index: usize = op.strip_prefix(self.prefix.as_str())?.parse().ok()?;
        let sent = self.sent.get(index)?.load(Ordering::Acquire);
        if sent == 0 {
            return None;
        }
        let at = now.duration_since(self.base).as_nanos() as u64;
        Some((index, at.saturating_sub(sent - 1) / 1000))
    }

    /// A watcher got `text` at `now`; true when it was one of ours.
    pub fn on_event(&self, key: usize, text: &str, now: Instant) -> bool {
        match self.latency(text, now) {
            Some((index, micros)) => {
                self.received.fetch_add(1, Ordering::Relaxed);
                if index >= self.skip_below {
                    self.events.record(key, micros);
                }
                if self.frame_len.load(Ordering::Relaxed) == 0 {
                    self.frame_len.store(text.len(), Ordering::Relaxed);
                }
                true
            }
            None => false,
        }
    }

    pub fn on_ack(&self, key: usize, text: &str, now: Instant) {
        if let Some((index, micros)) = self.latency(text, now) {
            self.acked.fetch_add(1, Ordering::Relaxed);
            if index >= self.skip_below {
                self.acks.record(key, micros);
            }
        }
    }
}

/// How a watcher's stream ended.
#[derive(Debug, Default, Clone)]
pub struct WatchEnd {
    pub frames: u64,
    pub last_seq: i64,
    pub closed_by_server: Option<String>,
}

/// Why a read loop ended.
#[derive(Debug)]
pub enum ReadEnd {
    /// `stop` changed: we ended it.
    Stopped,
    /// The server sent a close frame.
    Closed(Option<CloseFrame>),
    Failed(WsError),
    /// The connection ended without a close frame.
    Eof,
}

impl ReadEnd {
    /// How the server ended the stream, as text; `None` when we stopped reading.
    pub fn by_server(&self) -> Option<String> {
        match self {
            ReadEnd::Stopped => None,
            ReadEnd::Closed(Some(frame)) if frame.reason.is_empty() => Some(format!("close {}", u16::from(frame.code))),
            ReadEnd::Closed(Some(frame)) => Some(format!("close {} ({})", u16::from(frame.code), frame.reason)),
            ReadEnd::Closed(None) => Some("close without a code".into()),
            ReadEnd::Failed(err) => Some(err.to_string()),
            ReadEnd::Eof => Some("eof".into()),
        }
    }
}

/// The one WebSocket read loop: hands every text frame to `on_text` with the instant it was received, until
/// `stop` changes or the stream ends. Other frames (pings, pongs, binary) are skipped.
pub async fn read_frames<S>(
    stream: &mut S,
    stop: &mut watch::Receiver<bool>,
    mut on_text: impl FnMut(&str, Instant),
) -> ReadEnd
where
    S: Stream<Item = Result<Message, WsError>> + Unpin,
{
    loop {
        let message = tokio::select! {
            biased;
            _ = stop.changed() => return ReadEnd::Stopped,
            message = stream.next() => message,
        };
        let now = Instant::now();
        match message {
            Some(Ok(Message::Text(text))) => on_text(text.as_str(), now),
            Some(Ok(Message::Close(frame))) => return ReadEnd::Closed(frame),
            Some(Ok(_)) => {}
            Some(Err(err)) => return ReadEnd::Failed(err),
            None => return ReadEnd::Eof,
        }
    }
}

/// Reads a socket until `stop`: every event frame is timestamped on receipt and matched by `client_op_id`.
/// Also follows the stream's seq (hello, events), so a storm knows where each socket is.
pub async fn watch(
    mut ws: Ws,
    probe: Option<Arc<Probe>>,
    key: usize,
    mut stop: watch::Receiver<bool>,
    close: bool,
) -> WatchEnd {
    let mut end = WatchEnd::default();
    let how = read_frames(&mut ws, &mut stop, |text, now| {
        end.frames += 1;
        match kind(text) {
            Kind::Event => {
                if let Some(seq) = int_field(text, "seq") {
                    end.last_seq = seq;
                }
                if let Some(probe) = &probe {
                    probe.on_event(key, text, now);
                }
            }
            Kind::Hello => end.last_seq = int_field(text, "seq").unwrap_or(end.last_seq),
            _ => {}
        }
    })
    .await;
    end.closed_by_server = how.by_server();
    if close {
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    }
    end
}
