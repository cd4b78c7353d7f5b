//! A model client: a Rust client that behaves like the web app on a board. It loads the snapshot into the
//! shared board model, applies events strictly in seq order, resumes with `since` after every reconnect,
//! reloads the snapshot on `reset`, moves cards optimistically and resends every unconfirmed move with its
//! `client_op_id` until the server confirms it (its event, or an ack) or refuses it (an `error`: rolled back).
//! Everything the server does that the contract forbids (a gap, a duplicate, an ack that changes its mind, a
//! 500) is written down as a violation instead of panicking, so a chaos test can run to the end and say what
//! went wrong.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corkboard_board_model::{Model, PendingMove};
use corkboard_protocol::{ClientMsg, ErrorCode, Event, MoveTarget, ServerMsg, Snapshot};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use super::log::ClientLog;
use super::rng::Rng;
use super::swarm::{ClientConfig, Phase};
use crate::TestUser;
use crate::ws::{Auth, ws_request};

type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a connect, a hello or a snapshot load may take before the client tries again (elsewhere).
const CONNECT_WAIT: Duration = Duration::from_secs(10);
/// Moves a client has in flight at most, like a person who drags faster than the network answers.
const MAX_IN_FLIGHT: usize = 3;

/// A model client of one board.
pub struct ModelClient {
    pub name: String,
    pub user: TestUser,
    pub log: ClientLog,
    /// The board as confirmed; `None` until the first snapshot is loaded.
    board: Option<Model>,
    /// Moves not confirmed yet, in the order they were made (the web app's pending overlay).
    pending: Vec<PendingMove>,
    /// Pending moves that met a retryable error: op id → when to send them again.
    retry_at: HashMap<String, Instant>,
    board_id: Uuid,
    addrs: Vec<SocketAddr>,
    /// Index into `addrs` of the instance to use; advances on every failure (fail-over).
    prefer: usize,
    http: reqwest::Client,
    socket: Option<WsStream>,
    rng: Rng,
    next_op: u64,
    /// After a snapshot reload the stream may repeat events the snapshot has: skip up to this seq.
    skip_through: i64,
}

impl ModelClient {
    /// A client of `board_id` for `user`, using the instances at `addrs` (the first at index `prefer`).
    pub fn new(name: String, user: TestUser, board_id: Uuid, addrs: Vec<SocketAddr>, prefer: usize, seed: u64) -> Self {
        assert!(!addrs.is_empty());
        Self {
            name,
            user,
            log: ClientLog::default(),
            board: None,
            pending: Vec::new(),
            retry_at: HashMap::new(),
            board_id,
            addrs,
            prefer,
            http: reqwest::Client::builder().timeout(CONNECT_WAIT).build().expect("http client"),
            socket: None,
            rng: Rng::new(seed),
            next_op: 0,
            skip_through: 0,
        }
    }

    /// The board as this client holds it. Panics before the first snapshot is loaded.
    pub fn board(&self) -> &Model {
        self.board.as_ref().expect("the snapshot is loaded before the board is read")
    }

    /// The seq of the last event the board contains (0 before the first snapshot).
    fn seq(&self) -> i64 {
        self.board.as_ref().map_or(0, Model::seq)
    }

    /// Moves not confirmed yet.
    pub fn pending(&self) -> &[PendingMove] {
        &self.pending
    }

    fn addr(&self) -> SocketAddr {
        self.addrs[self.prefer % self.addrs.len()]
    }

    fn fail_over(&mut self) {
        self.prefer = (self.prefer + 1) % self.addrs.len();
    }

    fn violation(&mut self, what: String) {
        self.log.violations.push(format!("{}: {what}", self.name));
    }

    /// Forgets a pending move: confirmed, or refused for good.
    fn settle(&mut self, op: &str) {
        self.pending.retain(|p| p.op_id != op);
        self.retry_at.remove(op);
    }

    /// Notes an HTTP refusal; a 5xx must still carry our error body.
    fn refusal(&mut self, status: u16, body: Value) {
        if status >= 500 && body["error"]["code"].as_str().is_none_or(str::is_empty) {
            self.violation(format!("a {status} without our error body: {body}"));
        }
        if status == 500 {
            self.violation(format!("a 500: {body}"));
        }
        self.log.refusals.push((status, body));
    }

    /// Loads the snapshot (trying every instance in turn, for up to a minute) and starts over from it.
    pub async fn load_snapshot(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let url = format!("http://{}/api/boards/{}", self.addr(), self.board_id);
            match self.http.get(url).bearer_auth(&self.user.token).send().await {
                Ok(resp) if resp.status().is_success() => match resp.json::<Snapshot>().await {
                    Ok(snapshot) => {
                        let seq = snapshot.board.seq;
                        self.board = Some(Model::from_snapshot(snapshot));
                        self.skip_through = seq;
                        self.log.snapshots.push(seq);
                        // Moves whose effect the snapshot already holds are settled.
                        let acked = &self.log.acked;
                        self.pending.retain(|op| acked.get(&op.op_id).is_none_or(|s| *s > seq));
                        return;
                    }
                    Err(err) => self.violation(format!("a snapshot that does not parse: {err}")),
                },
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
                    self.refusal(status, body);
                    self.fail_over();
                }
                Err(_) => self.fail_over(),
            }
            assert!(Instant::now() < deadline, "{}: no snapshot within a minute", self.name);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Opens the board socket with `since` = the last applied seq, reads `hello` and resends every pending move.
    /// False when the instance refused or is not there (the next attempt goes to the next instance).
    pub async fn connect(&mut self) -> bool {
        let request = ws_request(self.addr(), self.board_id, Some(self.seq()), Auth::Bearer(&self.user.token), None);
        let mut stream = match tokio::time::timeout(CONNECT_WAIT, tokio_tungstenite::connect_async(request)).await {
            Ok(Ok((stream, _))) => stream,
            Ok(Err(tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                let body =
                    response.body().as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
                self.refusal(status, body);
                self.fail_over();
                return false;
            }
            Ok(Err(_)) | Err(_) => {
                self.fail_over();
                return false;
            }
        };
        match read_frame(&mut stream, CONNECT_WAIT).await {
            Some(Ok(ServerMsg::Hello { seq, board_id, user_id })) => {
                if board_id != self.board_id || user_id != self.user.id {
                    self.violation(format!("hello for board {board_id} / user {user_id}"));
                }
                if seq < self.seq() {
                    self.violation(format!("hello seq {seq} is behind what this client already saw ({})", self.seq()));
                }
            }
            Some(Ok(other)) => {
                self.violation(format!("the first frame is not hello: {other:?}"));
                return false;
            }
            Some(Err(_)) | None => {
                self.fail_over();
                return false;
            }
        }
        self.socket = Some(stream);
        self.log.connects += 1;
        let ops: Vec<PendingMove> = self.pending.clone();
        for op in ops {
            self.send_move(&op).await;
        }
        true
    }

    /// Drops the connection without a close frame, as a network failure or a closed laptop does.
    pub fn drop_connection(&mut self) {
        if self.socket.take().is_some() {
            self.log.drops += 1;
        }
    }

    async fn send_move(&mut self, op: &PendingMove) {
        let frame = ClientMsg::move_card(op.op_id.clone(), op.card_id, op.list_id, op.to);
        let text = serde_json::to_string(&frame).expect("a frame serializes");
        if let Some(socket) = &mut self.socket
            && socket.send(Message::text(text)).await.is_err()
        {
            // Gone: it is resent after the reconnect.
            self.socket = None;
        }
    }

    /// A random move as a person would make it: a card (often a contested one) to a random list, at its top, its
    /// bottom or between two of its cards as the client sees it now (the layout with its pending moves on top),
    /// sent as the web app sends it.
    pub async fn random_move(&mut self, hot: f64) {
        let layout = self.board().layout(&self.pending, &[]);
        let mut all: Vec<Uuid> = layout.lists.iter().flat_map(|list| layout.cards[list].iter().copied()).collect();
        if all.is_empty() {
            return;
        }
        // The hot cards: the first three by id, the same for every client.
        all.sort();
        let card_id =
            if self.rng.chance(hot) { all[self.rng.below(all.len().min(3))] } else { all[self.rng.below(all.len())] };
        let list_id = layout.lists[self.rng.below(layout.lists.len())];
        let neighbours: Vec<Uuid> = layout.cards[&list_id].iter().copied().filter(|id| *id != card_id).collect();
        let pick = self.rng.below(neighbours.len() + 1);
        let to = match (pick.checked_sub(1).map(|i| neighbours[i]), neighbours.get(pick)) {
            (None, _) => MoveTarget::First,
            (Some(_), None) => MoveTarget::End,
            (Some(after_id), Some(before_id)) => MoveTarget::After { after_id, before_id: Some(*before_id) },
        };
        self.next_op += 1;
        let op =
            PendingMove { op_id: format!("{}-{}", self.name, self.next_op), card_id, list_id, to, acked_seq: None };
        self.pending.push(op.clone());
        self.log.moves_sent += 1;
        self.send_move(&op).await;
    }

    /// Reads and handles at most one frame, waiting at most `wait`.
    async fn step(&mut self, wait: Duration) {
        let Some(socket) = &mut self.socket else {
            tokio::time::sleep(wait).await;
            return;
        };
        match read_frame(socket, wait).await {
            None => {}
            Some(Ok(msg)) => self.handle(msg).await,
            Some(Err(close)) => {
                self.log.closes.push(close);
                if matches!(close, Some(code) if code != 1000 && code != 1001) {
                    self.violation(format!("closed with {close:?}"));
                }
                self.socket = None;
            }
        }
    }

    async fn handle(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Event(event) => self.on_event(event).await,
            ServerMsg::Ack { client_op_id, seq } => {
                self.confirm(&client_op_id, seq);
                if seq <= self.seq() {
                    self.settle(&client_op_id);
                } else if let Some(pending) = self.pending.iter_mut().find(|p| p.op_id == client_op_id) {
                    pending.acked_seq = Some(seq);
                }
            }
            ServerMsg::Error { client_op_id: Some(op), code, message } => {
                if !self.pending.iter().any(|p| p.op_id == op) {
                    // An answer to a resend of something already settled, or a stale duplicate.
                    if self.log.acked.contains_key(&op) && !code.is_retryable() {
                        self.violation(format!("{op} was applied, then refused ({code}: {message})"));
                    }
                    return;
                }
                if code.is_retryable() {
                    self.log.retried.push((op.clone(), code));
                    self.retry_at.insert(op, Instant::now() + Duration::from_millis(300));
                } else {
                    // Refused: roll the optimistic move back.
                    self.settle(&op);
                    self.log.refused.insert(op, code);
                }
            }
            ServerMsg::Error { client_op_id: None, code, message } => {
                self.violation(format!("an error for no operation: {code}: {message}"));
            }
            ServerMsg::Reset => {
                self.log.resets += 1;
                self.load_snapshot().await;
            }
            ServerMsg::Hello { .. } => self.violation("a second hello".into()),
            ServerMsg::Presence { .. } | ServerMsg::Pong => {}
        }
    }

    /// Records that `op` took effect as event `seq`; the server must never change its answer.
    fn confirm(&mut self, op: &str, seq: i64) {
        if let Some(refused) = self.log.refused.get(op) {
            let refused = *refused;
            // A refusal must be final: the client rolled the move back and told the person so.
            self.violation(format!("{op} was refused ({refused}), then applied as seq {seq}"));
        }
        if let Some(earlier) = self.log.acked.insert(op.to_owned(), seq)
            && earlier != seq
        {
            self.violation(format!("{op} confirmed as seq {earlier}, then as seq {seq}"));
        }
    }

    async fn on_event(&mut self, event: Event) {
        if event.seq <= self.skip_through && event.seq <= self.seq() {
            // Already in the snapshot loaded after a reset.
            if self.log.resets == 0 {
                self.violation(format!("a duplicate: seq {} again", event.seq));
            }
            return;
        }
        let applied = match &mut self.board {
            Some(board) => board.apply_next(&event).map_err(|problem| problem.to_string()),
            None => Err(format!("event {} before any snapshot", event.seq)),
        };
        if let Err(problem) = applied {
            self.violation(problem);
            // Recover as the web app does: start over from the snapshot.
            self.load_snapshot().await;
            return;
        }
        self.log.applied.push(event.seq);
        if let Some(op) = &event.client_op_id
            && self.pending.iter().any(|p| &p.op_id == op)
        {
            if event.actor_id != Some(self.user.id) {
                self.violation(format!("{op} of mine was applied for {:?}", event.actor_id));
            }
            let op = op.clone();
            self.confirm(&op, event.seq);
            self.settle(&op);
        }
    }

    /// Runs until the swarm says finish and this client has caught up with nothing pending.
    pub async fn run(
        mut self,
        mut phase: watch::Receiver<Phase>,
        settled: Arc<AtomicUsize>,
        config: ClientConfig,
    ) -> Self {
        let mut next_move = Instant::now() + self.rng.duration(config.move_every);
        let mut next_drop = config.drop_every.map(|every| Instant::now() + self.rng.duration(every));
        let mut reconnect_at = Instant::now();
        let mut reported_settled = false;
        loop {
            let now = Instant::now();
            let current = *phase.borrow_and_update();
            match current {
                Phase::Finish(target) if self.pending.is_empty() && self.seq() >= target => {
                    break;
                }
                Phase::Settle | Phase::Finish(_) if self.pending.is_empty() && !reported_settled => {
                    reported_settled = true;
                    settled.fetch_add(1, Ordering::SeqCst);
                }
                _ => {}
            }
            if self.socket.is_none() {
                if now < reconnect_at {
                    tokio::time::sleep((reconnect_at - now).min(Duration::from_millis(50))).await;
                    continue;
                }
                if !self.connect().await {
                    reconnect_at =
                        Instant::now() + self.rng.duration((Duration::from_millis(50), Duration::from_millis(250)));
                    continue;
                }
            }
            if current == Phase::Chaos {
                if now >= next_move {
                    if self.pending.len() < MAX_IN_FLIGHT {
                        self.random_move(config.hot).await;
                    }
                    next_move = now + self.rng.duration(config.move_every);
                }
                if let (Some(at), Some(every)) = (next_drop, config.drop_every)
                    && now >= at
                {
                    self.drop_connection();
                    next_drop = Some(now + self.rng.duration(every));
                    reconnect_at = now + self.rng.duration((Duration::ZERO, Duration::from_millis(300)));
                    continue;
                }
            }
            let due: Vec<PendingMove> = self
                .pending
                .iter()
                .filter(|p| self.retry_at.get(&p.op_id).is_some_and(|at| *at <= now))
                .cloned()
                .collect();
            for op in due {
                self.retry_at.remove(&op.op_id);
                self.send_move(&op).await;
            }
            let until_move =
                if current == Phase::Chaos { next_move.saturating_duration_since(now) } else { Duration::MAX };
            self.step(until_move.clamp(Duration::from_millis(1), Duration::from_millis(50))).await;
        }
        self
    }
}

/// The next server message within `wait` (`None`), or the end of the connection (`Err(close code)`).
async fn read_frame(socket: &mut WsStream, wait: Duration) -> Option<Result<ServerMsg, Option<u16>>> {
    let deadline = Instant::now() + wait;
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next()).await.ok()?;
        return Some(match next {
            Some(Ok(Message::Text(text))) => match serde_json::from_str(text.as_str()) {
                Ok(msg) => Ok(msg),
                // Not a server frame: report it as an error without an operation, which is a violation.
                Err(err) => Ok(ServerMsg::Error {
                    client_op_id: None,
                    code: ErrorCode::Unknown,
                    message: format!("an unparsable frame {text}: {err}"),
                }),
            },
            Some(Ok(Message::Close(close))) => Err(close.map(|c| u16::from(c.code))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => Err(None),
        });
    }
}
