//! The per-instance hub, the fan-out: one entry per watched board holding its subscriptions and who is watching,
//! and a pump per entry that reads the board's new events from the log once per doorbell, encodes each once
//! (`frame`), and hands the same bytes to every subscriber's bounded queue. Entries go away with their last
//! subscriber. What a subscriber holds is in `subscription`, stream caps in `slots`, counters in `metrics`.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use corkboard_protocol::close_code;
use sqlx::PgPool;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use super::frame::{Pushed, presence_frame};
use super::metrics::{HubStats, fanout_histogram};
use super::slots::{StreamSlots, UserSlot};
use super::subscription::{SubShared, Subscriber, Subscription};
use crate::auth::sessions;
use crate::db_health::DbHealth;
use crate::error::AppResult;
use crate::eventlog::read_since;

/// Events a subscriber may have queued before it counts as lagging. A lagging subscriber is not slowed down
/// nor waited for: it catches itself up from the log, which holds everything the queue would have.
pub const QUEUE_CAPACITY: usize = 256;
/// Events per log read (the pump's and a catch-up's); a longer backlog is read in several batches.
pub const READ_BATCH: i64 = 1000;
/// How long a failed log read waits before it is tried again (Postgres restarting, say).
pub const RETRY_AFTER: Duration = Duration::from_millis(500);
/// Events a board's entry keeps after fanning them out, so that joining subscribers (a reconnect storm above
/// all) take what they missed from memory instead of each reading the log. A blip of a few seconds misses a
/// handful; at ~1 KiB per event (both encodings) this costs at most 64 KiB per watched board.
pub const RECENT_EVENTS: usize = 64;
/// How long an entry outlives its last subscriber: a network blip drops every socket of a board at once, and
/// they return within seconds to an entry whose recent events (its pump kept reading) cover what they missed.
pub const ENTRY_LINGER: Duration = Duration::from_secs(30);

/// The hub of one server instance. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    db: PgPool,
    /// Whether Postgres is known to be down (the listener tells it); failed log reads keep quiet while it is.
    health: Arc<DbHealth>,
    boards: Mutex<HashMap<Uuid, Arc<BoardEntry>>>,
    next_id: AtomicU64,
    stats: HubStats,
    /// Live streams per user on this instance (`CORKBOARD_MAX_STREAMS_PER_USER`).
    slots: Arc<StreamSlots>,
    /// Every socket task, so shutdown can wait until each has said `close_code::GOING_AWAY`.
    tasks: TaskTracker,
    /// How long an entry outlives its last subscriber (`ENTRY_LINGER`; zero in unit tests).
    linger: Duration,
    /// Cancelled at shutdown: lingering entries go at once.
    closing: CancellationToken,
    /// The fan-out latency histogram, looked up once: every event delivered to every socket records into it.
    fanout_seconds: metrics::Histogram,
}

/// A watched board.
pub struct BoardEntry {
    board_id: Uuid,
    /// The newest seq handed to the subscribers, or the baseline the entry started from.
    last_pushed: AtomicI64,
    /// Rung by the listener; a permit is kept when the pump is busy, so rings coalesce into one read.
    doorbell: Notify,
    stop: CancellationToken,
    state: Mutex<EntryState>,
    /// The current `presence` frame (a few names and a count, whatever the crowd), rebuilt when who watches
    /// changes; each subscriber reads the latest when it is due one, so changes in between coalesce.
    presence: watch::Sender<Utf8Bytes>,
}

struct EntryState {
    subs: HashMap<u64, SubHandle>,
    /// Who is watching: display name and how many of their subscribers are open.
    watchers: HashMap<Uuid, (String, usize)>,
    /// The same people ordered by display name, for the presence frame's first names.
    by_name: BTreeSet<(String, Uuid)>,
    /// The newest seq fanned out (or the entry's baseline): a subscriber registered now gets every later event
    /// through its queue, and needs the ones up to here from `recent` or the log.
    fanned: i64,
    /// The last `RECENT_EVENTS` events fanned out, oldest first, ending at `fanned`, without gaps.
    recent: VecDeque<Arc<Pushed>>,
}

struct SubHandle {
    session_id: Uuid,
    tx: mpsc::Sender<Arc<Pushed>>,
    shared: Arc<SubShared>,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing under these locks can leave the state half-changed; a panic elsewhere must not wedge the hub.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl BoardEntry {
    pub fn last_pushed(&self) -> i64 {
        self.last_pushed.load(Ordering::Acquire)
    }

    /// Hands one event to every subscriber without waiting for any of them.
    fn fan_out(&self, pushed: &Arc<Pushed>) {
        let mut state = lock(&self.state);
        if state.recent.len() == RECENT_EVENTS {
            state.recent.pop_front();
        }
        state.recent.push_back(Arc::clone(pushed));
        state.fanned = pushed.seq;
        let mut queued = 0;
        for sub in state.subs.values() {
            match sub.tx.try_send(Arc::clone(pushed)) {
                Ok(()) => queued += 1,
                Err(TrySendError::Full(_)) => {
                    if !sub.shared.lagged.swap(true, Ordering::AcqRel) {
                        sub.shared.wake.notify_one();
                    }
                }
                // The subscriber is leaving; its subscription will unregister it.
                Err(TrySendError::Closed(_)) => {}
            }
        }
        metrics::counter!(crate::telemetry::EVENTS_PUSHED).increment(queued);
    }
}

impl Hub {
    pub fn new(db: PgPool, health: Arc<DbHealth>, max_streams_per_user: usize) -> Self {
        Self::with_linger(db, health, max_streams_per_user, ENTRY_LINGER)
    }

    pub fn with_linger(db: PgPool, health: Arc<DbHealth>, max_streams_per_user: usize, linger: Duration) -> Self {
        Self {
            inner: Arc::new(HubInner {
                db,
                health,
                boards: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                stats: HubStats::default(),
                slots: Arc::new(StreamSlots::new(max_streams_per_user)),
                tasks: TaskTracker::new(),
                linger,
                closing: CancellationToken::new(),
                fanout_seconds: fanout_histogram(),
            }),
        }
    }

    /// Lets lingering entries go now (shutdown).
    pub fn close(&self) {
        self.inner.closing.cancel();
        let idle: Vec<Arc<BoardEntry>> = lock(&self.inner.boards).values().cloned().collect();
        for entry in idle {
            self.retire_if_idle(&entry);
        }
    }

    pub fn stats(&self) -> &HubStats {
        &self.inner.stats
    }

    /// Takes one of the user's stream slots, or refuses when all are in use.
    pub fn reserve_slot(&self, user_id: Uuid) -> AppResult<UserSlot> {
        StreamSlots::reserve(&self.inner.slots, user_id)
    }

    pub fn fanout_seconds(&self) -> &metrics::Histogram {
        &self.inner.fanout_seconds
    }

    pub fn db(&self) -> &PgPool {
        &self.inner.db
    }

    pub fn db_health(&self) -> &Arc<DbHealth> {
        &self.inner.health
    }

    pub fn tasks(&self) -> &TaskTracker {
        &self.inner.tasks
    }

    /// Registers a subscriber on its board, creating the entry (and its pump) for the first one. The entry's
    /// pump starts from the subscriber's admission seq. Events after `from` that were fanned out before this
    /// moment come back as the subscription's `head` when the entry still holds them; otherwise the subscriber
    /// reads them from the log. Either way nothing committed around this moment falls between the two.
    pub fn join(&self, subscriber: &Subscriber, from: i64) -> Subscription {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let shared = Arc::new(SubShared::default());
        let mut boards = lock(&self.inner.boards);
        let entry = match boards.get(&subscriber.board_id) {
            Some(entry) => Arc::clone(entry),
            None => {
                let (presence, _) = watch::channel(presence_frame(&BTreeSet::new()));
                let entry = Arc::new(BoardEntry {
                    board_id: subscriber.board_id,
                    last_pushed: AtomicI64::new(subscriber.seq),
                    doorbell: Notify::new(),
                    stop: CancellationToken::new(),
                    state: Mutex::new(EntryState {
                        subs: HashMap::new(),
                        watchers: HashMap::new(),
                        by_name: BTreeSet::new(),
                        fanned: subscriber.seq,
                        recent: VecDeque::new(),
                    }),
                    presence,
                });
                // A first read at once: events may have committed between admission and now.
                entry.doorbell.notify_one();
                boards.insert(subscriber.board_id, Arc::clone(&entry));
                tokio::spawn(pump(Arc::clone(&self.inner), Arc::clone(&entry)));
                entry
            }
        };
        let mut state = lock(&entry.state);
        state.subs.insert(id, SubHandle { session_id: subscriber.session_id, tx, shared: Arc::clone(&shared) });
        let watcher = state.watchers.entry(subscriber.user_id).or_insert_with(|| (subscriber.display_name.clone(), 0));
        watcher.1 += 1;
        if watcher.1 == 1 {
            state.by_name.insert((subscriber.display_name.clone(), subscriber.user_id));
            entry.presence.send_replace(presence_frame(&state.by_name));
        }
        // Subscribed after the update: the newcomer gets the current list once, from its feed.
        let presence = entry.presence.subscribe();
        // Under the entry's lock, as `fan_out`: every event up to `fanned` missed the new queue, every later one
        // will be in it. `recent` covers `from` when it reaches back to `from + 1` (or `from` is not behind).
        let oldest_held = state.fanned - state.recent.len() as i64;
        let head = (from >= oldest_held)
            .then(|| state.recent.iter().filter(|pushed| pushed.seq > from).cloned().collect::<Vec<_>>());
        drop(state);
        drop(boards);
        Subscription { hub: self.clone(), entry, id, user_id: subscriber.user_id, shared, rx, presence, head }
    }

    pub(super) fn leave(&self, entry: &Arc<BoardEntry>, id: u64, user_id: Uuid) {
        let mut state = lock(&entry.state);
        if state.subs.remove(&id).is_none() {
            return;
        }
        if let Some(watcher) = state.watchers.get_mut(&user_id) {
            watcher.1 -= 1;
            if watcher.1 == 0 {
                if let Some((name, _)) = state.watchers.remove(&user_id) {
                    state.by_name.remove(&(name, user_id));
                }
                entry.presence.send_replace(presence_frame(&state.by_name));
            }
        }
        if !state.subs.is_empty() {
            return;
        }
        drop(state);
        if self.inner.linger.is_zero() || self.inner.closing.is_cancelled() {
            self.retire_if_idle(entry);
            return;
        }
        // The entry (and its pump) stays a while; whoever joins meanwhile finds it with its recent events.
        let (hub, entry) = (self.clone(), Arc::clone(entry));
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(hub.inner.linger) => {}
                () = hub.inner.closing.cancelled() => {}
            }
            hub.retire_if_idle(&entry);
        });
    }

    /// Removes the entry and stops its pump, unless someone has joined it again.
    fn retire_if_idle(&self, entry: &Arc<BoardEntry>) {
        let mut boards = lock(&self.inner.boards);
        if !lock(&entry.state).subs.is_empty() || entry.stop.is_cancelled() {
            return;
        }
        entry.stop.cancel();
        if boards.get(&entry.board_id).is_some_and(|current| Arc::ptr_eq(current, entry)) {
            boards.remove(&entry.board_id);
        }
    }

    /// A doorbell: `seq` was committed on `board_id`. Late, repeated and out-of-order rings are harmless: the
    /// pump always reads what follows the last seq it pushed.
    pub fn ring(&self, board_id: Uuid, seq: i64) {
        let boards = lock(&self.inner.boards);
        if let Some(entry) = boards.get(&board_id)
            && seq > entry.last_pushed()
        {
            entry.doorbell.notify_one();
        }
    }

    /// Wakes every watched board: after the listener (re)connects, whatever committed meanwhile is read.
    pub fn ring_all(&self) {
        for entry in lock(&self.inner.boards).values() {
            entry.doorbell.notify_one();
        }
    }

    /// Closes every subscriber opened with this session, with `close_code::SESSION_REVOKED`.
    pub fn revoke_session(&self, session_id: Uuid) {
        self.kill_where(close_code::SESSION_REVOKED, |sub| sub.session_id == session_id);
    }

    fn kill_where(&self, code: u16, matches: impl Fn(&SubHandle) -> bool) {
        for entry in lock(&self.inner.boards).values() {
            for sub in lock(&entry.state).subs.values().filter(|sub| matches(sub)) {
                sub.shared.kill(code);
            }
        }
    }

    /// The sessions of every open subscriber (for the listener's check after a reconnect).
    pub fn sessions(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = lock(&self.inner.boards)
            .values()
            .flat_map(|entry| lock(&entry.state).subs.values().map(|sub| sub.session_id).collect::<Vec<_>>())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Closes the subscribers of sessions that were revoked or expired while nobody could tell us.
    pub async fn recheck_sessions(&self) -> AppResult<()> {
        let sessions = self.sessions();
        if sessions.is_empty() {
            return Ok(());
        }
        for session_id in sessions::dead_among(&self.inner.db, &sessions).await? {
            self.revoke_session(session_id);
        }
        Ok(())
    }
}

/// The pump of one board: on every ring, reads the events after the last one pushed (in batches) and fans
/// them out. One read per board per wake-up, whatever the number of subscribers.
async fn pump(hub: Arc<HubInner>, entry: Arc<BoardEntry>) {
    loop {
        tokio::select! {
            () = entry.stop.cancelled() => return,
            () = entry.doorbell.notified() => {}
        }
        loop {
            let after = entry.last_pushed();
            let read = async {
                let mut conn = hub.db.acquire().await?;
                read_since(&mut conn, entry.board_id, after, READ_BATCH).await
            };
            let events = tokio::select! {
                () = entry.stop.cancelled() => return,
                events = read => events,
            };
            match events.and_then(|events| events.iter().map(Pushed::new).collect::<AppResult<Vec<_>>>()) {
                Ok(events) => {
                    let full = events.len() as i64 == READ_BATCH;
                    for pushed in events {
                        let pushed = Arc::new(pushed);
                        entry.fan_out(&pushed);
                        entry.last_pushed.store(pushed.seq, Ordering::Release);
                    }
                    if !full {
                        break;
                    }
                }
                Err(err) => {
                    hub.health.log_read_failure(entry.board_id, &err, "cannot read the event log; retrying");
                    tokio::select! {
                        () = entry.stop.cancelled() => return,
                        () = tokio::time::sleep(RETRY_AFTER) => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corkboard_protocol::ServerMsg;

    fn subscriber(board_id: Uuid, user_id: Uuid, name: &str) -> Subscriber {
        Subscriber { board_id, user_id, session_id: Uuid::now_v7(), display_name: name.into(), seq: 0 }
    }

    fn presence_names(frame: &Utf8Bytes) -> Vec<String> {
        match serde_json::from_str(frame.as_str()) {
            Ok(ServerMsg::Presence { users, .. }) => users.into_iter().map(|u| u.display_name).collect(),
            other => panic!("not a presence frame: {other:?}"),
        }
    }

    #[tokio::test]
    async fn entries_go_away_with_their_last_subscriber_and_presence_counts_people_not_sockets() {
        // Never connected: the pumps' reads fail and retry until their entry goes away.
        let db = sqlx::postgres::PgPoolOptions::new().connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap();
        let hub = Hub::with_linger(db, Arc::default(), 32, Duration::ZERO);
        let (board, other_board) = (Uuid::now_v7(), Uuid::now_v7());
        let (ann, bob) = (Uuid::now_v7(), Uuid::now_v7());

        let ann_1 = hub.join(&subscriber(board, ann, "ann"), 0);
        let ann_2 = hub.join(&subscriber(board, ann, "ann"), 0);
        let bob_1 = hub.join(&subscriber(board, bob, "bob"), 0);
        let elsewhere = hub.join(&subscriber(other_board, ann, "ann"), 0);
        assert_eq!(lock(&hub.inner.boards).len(), 2);
        assert_eq!(presence_names(&ann_1.presence.borrow()), ["ann", "bob"]);
        assert_eq!(hub.sessions().len(), 4);

        drop(bob_1);
        assert_eq!(presence_names(&ann_2.presence.borrow()), ["ann"]);
        drop(ann_1);
        assert_eq!(presence_names(&ann_2.presence.borrow()), ["ann"], "ann still watches from her second socket");
        let entry = Arc::clone(&ann_2.entry);
        drop(ann_2);
        assert!(entry.stop.is_cancelled(), "the pump stops with the last subscriber");
        assert_eq!(lock(&hub.inner.boards).len(), 1);
        assert!(lock(&hub.inner.boards).get(&board).is_none());
        drop(elsewhere);
        assert!(lock(&hub.inner.boards).is_empty());
        assert!(hub.sessions().is_empty());
    }

    #[tokio::test]
    async fn a_revoked_session_kills_only_its_own_subscribers() {
        let db = sqlx::postgres::PgPoolOptions::new().connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap();
        let hub = Hub::new(db, Arc::default(), 32);
        let board = Uuid::now_v7();
        let first = subscriber(board, Uuid::now_v7(), "ann");
        let doomed = hub.join(&first, 0);
        let same_session_elsewhere = hub.join(&Subscriber { board_id: Uuid::now_v7(), ..first.clone() }, 0);
        let other = hub.join(&subscriber(board, first.user_id, "ann"), 0);

        hub.revoke_session(first.session_id);

        assert_eq!(doomed.shared.killed(), Some(close_code::SESSION_REVOKED));
        assert_eq!(same_session_elsewhere.shared.killed(), Some(close_code::SESSION_REVOKED));
        assert_eq!(other.shared.killed(), None);
    }
}
