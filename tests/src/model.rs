//! A client model for tests: a Rust client that behaves like the web app on a board. It loads the snapshot,
//! applies events strictly in seq order, resumes with `since` after every reconnect, reloads the snapshot on
//! `reset`, moves cards optimistically and resends every unconfirmed move with its `client_op_id` until the
//! server confirms it (its event, or an ack) or refuses it (an `error`: rolled back). Everything the server does
//! that the contract forbids (a gap, a duplicate, an ack that changes its mind, a 500) is written down as a
//! violation instead of panicking, so a chaos test can run to the end and say what went wrong.
//!
//! `Swarm` runs many such clients against one board with random moves and random disconnects, then lets them
//! settle; `check_convergence` holds the result against the database.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corkboard_protocol::{Card, Event, EventKind, List, Member, Role, ServerMsg, Snapshot};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use crate::ws::{Auth, ws_request};
use crate::{TestApp, TestUser};

// ---------------------------------------------------------------------------------------------------------------
// Randomness: a seeded generator, so a failing chaos run can be replayed with its seed
// ---------------------------------------------------------------------------------------------------------------

/// SplitMix64: small, fast and good enough to pick cards; seeded so runs can be repeated.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A duration in `lo..=hi`.
    pub fn duration(&mut self, (lo, hi): (Duration, Duration)) -> Duration {
        let span = hi.saturating_sub(lo).as_millis() as u64;
        lo + Duration::from_millis(if span == 0 { 0 } else { self.next_u64() % (span + 1) })
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The board as a client holds it
// ---------------------------------------------------------------------------------------------------------------

/// A board as a client holds it: the snapshot it loaded plus every event applied since, by seq.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardModel {
    pub board_id: Uuid,
    pub title: String,
    /// The seq of the last event the model contains.
    pub seq: i64,
    pub deleted: bool,
    pub lists: HashMap<Uuid, List>,
    pub cards: HashMap<Uuid, Card>,
    pub members: HashMap<Uuid, Member>,
}

/// What a person sees on a board, in display order; what convergence compares. (A card's `updated_at` is not
/// carried by `card_moved`, so timestamps are left out.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardView {
    pub seq: i64,
    pub title: String,
    pub lists: Vec<ListView>,
    /// (user id, role), by user id.
    pub members: Vec<(Uuid, Role)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListView {
    pub id: Uuid,
    pub title: String,
    pub position: String,
    pub cards: Vec<CardView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub position: String,
    pub version: i64,
}

impl BoardModel {
    pub fn from_snapshot(snapshot: &Snapshot) -> Self {
        Self {
            board_id: snapshot.board.id,
            title: snapshot.board.title.clone(),
            seq: snapshot.board.seq,
            deleted: false,
            lists: snapshot.lists.iter().map(|l| (l.id, l.clone())).collect(),
            cards: snapshot.cards.iter().map(|c| (c.id, c.clone())).collect(),
            members: snapshot.members.iter().map(|m| (m.user.id, m.clone())).collect(),
        }
    }

    /// Applies the next event of the stream. Anything but `seq + 1` is refused and changes nothing.
    pub fn apply(&mut self, event: &Event) -> Result<(), String> {
        if event.seq != self.seq + 1 {
            let what = if event.seq <= self.seq { "a duplicate" } else { "a gap" };
            return Err(format!("{what}: expected seq {}, got {}", self.seq + 1, event.seq));
        }
        self.apply_kind(&event.kind);
        self.seq = event.seq;
        Ok(())
    }

    /// What one event does to the board, whatever its seq.
    pub fn apply_kind(&mut self, kind: &EventKind) {
        match kind {
            EventKind::BoardUpdated { board } => self.title = board.title.clone(),
            EventKind::BoardDeleted {} => self.deleted = true,
            EventKind::ListCreated { list } | EventKind::ListUpdated { list } => {
                self.lists.insert(list.id, list.clone());
            }
            EventKind::ListMoved { list_id, position } => {
                if let Some(list) = self.lists.get_mut(list_id) {
                    list.position = position.clone();
                }
            }
            EventKind::ListDeleted { list_id } => {
                self.lists.remove(list_id);
                self.cards.retain(|_, card| card.list_id != *list_id);
            }
            EventKind::CardCreated { card } | EventKind::CardUpdated { card } => {
                self.cards.insert(card.id, card.clone());
            }
            EventKind::CardMoved { card_id, to_list_id, position, version, .. } => {
                if let Some(card) = self.cards.get_mut(card_id) {
                    card.list_id = *to_list_id;
                    card.position = position.clone();
                    card.version = *version;
                }
            }
            EventKind::CardDeleted { card_id, .. } => {
                self.cards.remove(card_id);
            }
            EventKind::MemberAdded { member } | EventKind::MemberUpdated { member } => {
                self.members.insert(member.user.id, member.clone());
            }
            EventKind::MemberRemoved { user_id } => {
                self.members.remove(user_id);
            }
        }
    }

    /// The board in display order: lists by position, cards by position within their list (ties by id).
    pub fn view(&self) -> BoardView {
        let mut lists: Vec<&List> = self.lists.values().collect();
        lists.sort_by(|a, b| a.position.cmp(&b.position).then(a.id.cmp(&b.id)));
        let lists = lists
            .into_iter()
            .map(|list| {
                let mut cards: Vec<&Card> = self.cards.values().filter(|c| c.list_id == list.id).collect();
                cards.sort_by(|a, b| a.position.cmp(&b.position).then(a.id.cmp(&b.id)));
                ListView {
                    id: list.id,
                    title: list.title.clone(),
                    position: list.position.clone(),
                    cards: cards
                        .into_iter()
                        .map(|c| CardView {
                            id: c.id,
                            title: c.title.clone(),
                            description: c.description.clone(),
                            position: c.position.clone(),
                            version: c.version,
                        })
                        .collect(),
                }
            })
            .collect();
        let mut members: Vec<(Uuid, Role)> = self.members.values().map(|m| (m.user.id, m.role)).collect();
        members.sort();
        BoardView { seq: self.seq, title: self.title.clone(), lists, members }
    }

    /// Card ids per list in display order, with `pending` moves applied on top: what the user sees while
    /// their moves are in flight.
    pub fn optimistic(&self, pending: &[PendingMove]) -> Vec<(Uuid, Vec<Uuid>)> {
        let mut columns: Vec<(Uuid, Vec<Uuid>)> =
            self.view().lists.into_iter().map(|l| (l.id, l.cards.into_iter().map(|c| c.id).collect())).collect();
        for op in pending {
            if !columns.iter().any(|(list_id, _)| *list_id == op.list_id) {
                continue;
            }
            for (_, cards) in &mut columns {
                cards.retain(|id| *id != op.card_id);
            }
            if let Some((_, cards)) = columns.iter_mut().find(|(list_id, _)| *list_id == op.list_id) {
                let at = match op.after_id {
                    None => 0,
                    // A neighbour that is gone: the server will refuse the move; show it at the end meanwhile.
                    Some(after) => cards.iter().position(|id| *id == after).map_or(cards.len(), |i| i + 1),
                };
                cards.insert(at, op.card_id);
            }
        }
        columns
    }
}

/// The view of a snapshot, to compare with a model's.
pub fn view_of(snapshot: &Snapshot) -> BoardView {
    BoardModel::from_snapshot(snapshot).view()
}

// ---------------------------------------------------------------------------------------------------------------
// One client
// ---------------------------------------------------------------------------------------------------------------

type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a connect, a hello or a snapshot load may take before the client tries again (elsewhere).
const CONNECT_WAIT: Duration = Duration::from_secs(10);
/// Moves a client has in flight at most, like a person who drags faster than the network answers.
const MAX_IN_FLIGHT: usize = 3;
/// Error codes that say "not now" rather than "no": the move stays pending and is sent again.
pub const RETRYABLE: &[&str] = &["service_unavailable", "internal_error"];

/// A move sent (or to be sent) and not yet confirmed or refused.
#[derive(Debug, Clone)]
pub struct PendingMove {
    pub op: String,
    pub card_id: Uuid,
    pub list_id: Uuid,
    pub after_id: Option<Uuid>,
    /// When a retryable error came back: send again at this time.
    retry_at: Option<Instant>,
}

/// What a client went through; the tests assert on it.
#[derive(Debug, Clone, Default)]
pub struct ClientLog {
    /// Seqs of the snapshots loaded: the first, then one per `reset` or recovery.
    pub snapshots: Vec<i64>,
    /// Every event seq applied from the stream, in order.
    pub applied: Vec<i64>,
    pub resets: usize,
    /// Every move that took effect: op id → the seq of its event.
    pub acked: BTreeMap<String, i64>,
    /// Every move refused for good (rolled back): op id → error code.
    pub refused: BTreeMap<String, String>,
    /// Retryable errors for moves: (op id, code).
    pub retried: Vec<(String, String)>,
    /// HTTP refusals met on the way (upgrades, snapshot loads): (status, body).
    pub refusals: Vec<(u16, Value)>,
    /// Close codes received (`None`: the connection just ended).
    pub closes: Vec<Option<u16>>,
    /// Breaches of the contract.
    pub violations: Vec<String>,
    pub connects: usize,
    pub drops: usize,
    pub moves_sent: usize,
}

/// Where the swarm is: moving and dropping, settling (no new moves, no drops), or finishing at a seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Chaos,
    Settle,
    Finish(i64),
}

/// How a client behaves.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    /// Time between two moves.
    pub move_every: (Duration, Duration),
    /// Time between two deliberate disconnects; `None`: never.
    pub drop_every: Option<(Duration, Duration)>,
    /// Chance that a move picks one of the few "hot" cards, so clients fight over the same cards.
    pub hot: f64,
}

/// A model client of one board.
pub struct ModelClient {
    pub name: String,
    pub user: TestUser,
    pub board: BoardModel,
    pub log: ClientLog,
    pending: Vec<PendingMove>,
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
            board: BoardModel { board_id, ..BoardModel::default() },
            log: ClientLog::default(),
            pending: Vec::new(),
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

    fn addr(&self) -> SocketAddr {
        self.addrs[self.prefer % self.addrs.len()]
    }

    fn fail_over(&mut self) {
        self.prefer = (self.prefer + 1) % self.addrs.len();
    }

    fn violation(&mut self, what: String) {
        self.log.violations.push(format!("{}: {what}", self.name));
    }

    /// Moves not confirmed yet.
    pub fn pending(&self) -> &[PendingMove] {
        &self.pending
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
                        self.board = BoardModel::from_snapshot(&snapshot);
                        self.skip_through = snapshot.board.seq;
                        self.log.snapshots.push(snapshot.board.seq);
                        // Moves whose effect the snapshot already holds are settled.
                        let acked = &self.log.acked;
                        let seq = self.board.seq;
                        self.pending.retain(|op| acked.get(&op.op).is_none_or(|s| *s > seq));
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
        let request =
            ws_request(self.addr(), self.board_id, Some(self.board.seq), Auth::Bearer(&self.user.token), None);
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
                if seq < self.board.seq {
                    self.violation(format!(
                        "hello seq {seq} is behind what this client already saw ({})",
                        self.board.seq
                    ));
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
        let frame = json!({"type": "move_card", "client_op_id": op.op, "card_id": op.card_id,
                           "list_id": op.list_id, "after_id": op.after_id});
        if let Some(socket) = &mut self.socket
            && socket.send(Message::text(frame.to_string())).await.is_err()
        {
            // Gone: it is resent after the reconnect.
            self.socket = None;
        }
    }

    /// A random move as a person would make it: a card (often a contested one) to a random list, first or
    /// after a random card of that list as the client sees it now.
    pub async fn random_move(&mut self, hot: f64) {
        let columns = self.board.optimistic(&self.pending);
        let mut all: Vec<Uuid> = columns.iter().flat_map(|(_, cards)| cards.iter().copied()).collect();
        if all.is_empty() {
            return;
        }
        // The hot cards: the first three by id, the same for every client.
        all.sort();
        let card_id =
            if self.rng.chance(hot) { all[self.rng.below(all.len().min(3))] } else { all[self.rng.below(all.len())] };
        let (list_id, cards) = &columns[self.rng.below(columns.len())];
        let neighbours: Vec<Uuid> = cards.iter().copied().filter(|id| *id != card_id).collect();
        let pick = self.rng.below(neighbours.len() + 1);
        let after_id = pick.checked_sub(1).map(|i| neighbours[i]);
        self.next_op += 1;
        let op = PendingMove {
            op: format!("{}-{}", self.name, self.next_op),
            card_id,
            list_id: *list_id,
            after_id,
            retry_at: None,
        };
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
                if seq <= self.board.seq {
                    self.pending.retain(|op| op.op != client_op_id);
                }
            }
            ServerMsg::Error { client_op_id: Some(op), code, message } => {
                if !self.pending.iter().any(|p| p.op == op) {
                    // An answer to a resend of something already settled, or a stale duplicate.
                    if self.log.acked.contains_key(&op) && !RETRYABLE.contains(&code.as_str()) {
                        self.violation(format!("{op} was applied, then refused ({code}: {message})"));
                    }
                    return;
                }
                if RETRYABLE.contains(&code.as_str()) {
                    self.log.retried.push((op.clone(), code.to_string()));
                    let at = Instant::now() + Duration::from_millis(300);
                    if let Some(pending) = self.pending.iter_mut().find(|p| p.op == op) {
                        pending.retry_at = Some(at);
                    }
                } else {
                    // Refused: roll the optimistic move back.
                    self.pending.retain(|p| p.op != op);
                    self.log.refused.insert(op, code.to_string());
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
            let refused = refused.clone();
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
        if event.seq <= self.skip_through && event.seq <= self.board.seq {
            // Already in the snapshot loaded after a reset.
            if self.log.resets == 0 {
                self.violation(format!("a duplicate: seq {} again", event.seq));
            }
            return;
        }
        if let Err(problem) = self.board.apply(&event) {
            self.violation(problem);
            // Recover as the web app does: start over from the snapshot.
            self.load_snapshot().await;
            return;
        }
        self.log.applied.push(event.seq);
        if let Some(op) = &event.client_op_id
            && self.pending.iter().any(|p| &p.op == op)
        {
            if event.actor_id != Some(self.user.id) {
                self.violation(format!("{op} of mine was applied for {:?}", event.actor_id));
            }
            let op = op.clone();
            self.confirm(&op, event.seq);
            self.pending.retain(|p| p.op != op);
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
                Phase::Finish(target) if self.pending.is_empty() && self.board.seq >= target => {
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
            let due: Vec<PendingMove> =
                self.pending.iter().filter(|p| p.retry_at.is_some_and(|at| at <= now)).cloned().collect();
            for op in due {
                if let Some(pending) = self.pending.iter_mut().find(|p| p.op == op.op) {
                    pending.retry_at = None;
                }
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
                    code: corkboard_protocol::ErrorCode::Unknown,
                    message: format!("{text}: {err}"),
                }),
            },
            Some(Ok(Message::Close(close))) => Err(close.map(|c| u16::from(c.code))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => Err(None),
        });
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Many clients
// ---------------------------------------------------------------------------------------------------------------

/// The size and pace of a chaos run; `from_env` lets CI shrink or grow it.
#[derive(Debug, Clone, Copy)]
pub struct SwarmConfig {
    pub clients: usize,
    pub lists: usize,
    pub cards_per_list: usize,
    /// How long clients move and drop before they settle.
    pub chaos: Duration,
    pub seed: u64,
    pub client: ClientConfig,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

impl SwarmConfig {
    /// Defaults (20 clients, 4 lists of 5 cards, 10 s of chaos), overridden by `CHAOS_CLIENTS`, `CHAOS_LISTS`,
    /// `CHAOS_CARDS`, `CHAOS_SECS`, `CHAOS_SEED` (random when unset; printed, to replay a failure).
    pub fn from_env() -> Self {
        let seed = env_or("CHAOS_SEED", rand_seed());
        eprintln!("chaos seed: {seed} (set CHAOS_SEED to replay)");
        Self {
            clients: env_or("CHAOS_CLIENTS", 20),
            lists: env_or("CHAOS_LISTS", 4),
            cards_per_list: env_or("CHAOS_CARDS", 5),
            chaos: Duration::from_secs_f64(env_or("CHAOS_SECS", 10.0)),
            seed,
            client: ClientConfig {
                move_every: (Duration::from_millis(100), Duration::from_millis(500)),
                drop_every: Some((Duration::from_millis(500), Duration::from_millis(3000))),
                hot: 0.3,
            },
        }
    }
}

fn rand_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    nanos as u64 ^ u64::from(std::process::id())
}

/// A board for a chaos run: an owner, `lists` lists of `cards_per_list` cards, and one editor per client.
pub async fn chaos_board(app: &TestApp, config: &SwarmConfig) -> (TestUser, Uuid, Vec<TestUser>) {
    let owner = app.register("owner").await;
    let (board, _, _) = app.board_with(&owner, config.lists, config.cards_per_list).await;
    let mut users = Vec::new();
    for i in 0..config.clients {
        let user = app.register(&format!("client{i}")).await;
        app.add_member(&owner, board.id, &user, Role::Editor).await;
        users.push(user);
    }
    (owner, board.id, users)
}

/// Clients at work on one board.
pub struct Swarm {
    phase: watch::Sender<Phase>,
    settled: Arc<AtomicUsize>,
    tasks: Vec<JoinHandle<ModelClient>>,
    started: Instant,
}

impl Swarm {
    /// One client per user, spread over the instances at `addrs`; each loads the snapshot before it starts.
    pub async fn start(users: &[TestUser], board_id: Uuid, addrs: &[SocketAddr], config: &SwarmConfig) -> Self {
        let (phase, phase_rx) = watch::channel(Phase::Chaos);
        let settled = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for (i, user) in users.iter().enumerate() {
            let seed = config.seed.wrapping_add(i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D);
            let mut client = ModelClient::new(format!("c{i}"), user.clone(), board_id, addrs.to_vec(), i, seed);
            client.load_snapshot().await;
            tasks.push(tokio::spawn(client.run(phase_rx.clone(), Arc::clone(&settled), config.client)));
        }
        Self { phase, settled, tasks, started: Instant::now() }
    }

    /// Time since the clients started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Sleeps until `at` after the start.
    pub async fn until(&self, at: Duration) {
        tokio::time::sleep_until(self.started + at).await;
    }

    /// Stops the chaos, lets every pending move settle, then waits until every client has caught up with the
    /// board's final seq (read from `db`). Panics after `limit`.
    pub async fn finish(self, db: &PgPool, board_id: Uuid, limit: Duration) -> Vec<ModelClient> {
        let deadline = Instant::now() + limit;
        self.phase.send_replace(Phase::Settle);
        while self.settled.load(Ordering::SeqCst) < self.tasks.len() {
            assert!(
                Instant::now() < deadline,
                "only {} of {} clients settled their moves within {limit:?}",
                self.settled.load(Ordering::SeqCst),
                self.tasks.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seq: i64 = sqlx::query_scalar("select seq from boards where id = $1")
            .bind(board_id)
            .fetch_one(db)
            .await
            .expect("the board's final seq");
        self.phase.send_replace(Phase::Finish(seq));
        let mut clients = Vec::new();
        for task in self.tasks {
            let left = deadline.saturating_duration_since(Instant::now());
            let client = tokio::time::timeout(left, task)
                .await
                .unwrap_or_else(|_| panic!("a client did not reach seq {seq} within {limit:?}"))
                .expect("a client task panicked");
            clients.push(client);
        }
        clients
    }
}

/// Holds clients against the database: every client's board is the snapshot, every move that took effect is
/// in the log exactly once (as the seq it was confirmed with) and every refused one not at all, every client
/// saw one gapless run of seqs (when `allow_resets` is false, no reset either), and nothing broke the contract.
pub async fn check_convergence(db: &PgPool, snapshot: &Snapshot, clients: &[ModelClient], allow_resets: bool) {
    let expected = view_of(snapshot);
    let violations: Vec<&String> = clients.iter().flat_map(|c| &c.log.violations).collect();
    assert!(violations.is_empty(), "contract violations: {violations:#?}");
    for client in clients {
        assert!(client.pending.is_empty(), "{}: unsettled moves {:?}", client.name, client.pending);
        assert_eq!(client.board.view(), expected, "{}'s board is not the database's", client.name);
        let log = &client.log;
        if !allow_resets {
            assert_eq!(log.resets, 0, "{}: unexpected resets", client.name);
        }
        if log.resets == 0 {
            let first = log.snapshots[0];
            let expected_seqs: Vec<i64> = (first + 1..=snapshot.board.seq).collect();
            assert_eq!(log.applied, expected_seqs, "{}: not one gapless run of seqs", client.name);
        }
    }
    let rows: Vec<(String, i64)> =
        sqlx::query_as("select client_op_id, seq from events where board_id = $1 and client_op_id is not null")
            .bind(snapshot.board.id)
            .fetch_all(db)
            .await
            .expect("the ops in the log");
    let mut in_log: HashMap<String, Vec<i64>> = HashMap::new();
    for (op, seq) in rows {
        in_log.entry(op).or_default().push(seq);
    }
    let mut confirmed = 0;
    for client in clients {
        for (op, seq) in &client.log.acked {
            assert_eq!(
                in_log.get(op),
                Some(&vec![*seq]),
                "{op}, confirmed as seq {seq}, is not in the log exactly once"
            );
            confirmed += 1;
        }
        for (op, code) in &client.log.refused {
            assert!(!in_log.contains_key(op), "{op} was refused ({code}) but is in the log: {:?}", in_log[op]);
        }
    }
    assert_eq!(in_log.len(), confirmed, "the log holds moves no client knows were applied");
}

/// A one-line summary of a run, for the test output.
pub fn summary(clients: &[ModelClient]) -> String {
    let sum = |f: fn(&ClientLog) -> usize| clients.iter().map(|c| f(&c.log)).sum::<usize>();
    format!(
        "{} clients: {} moves sent, {} applied, {} refused, {} retried, {} connects, {} drops, {} resets, {} HTTP refusals",
        clients.len(),
        sum(|l| l.moves_sent),
        sum(|l| l.acked.len()),
        sum(|l| l.refused.len()),
        sum(|l| l.retried.len()),
        sum(|l| l.connects),
        sum(|l| l.drops),
        sum(|l| l.resets),
        sum(|l| l.refusals.len()),
    )
}
