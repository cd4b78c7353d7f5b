//! One subscriber's gapless view of its board's log, shared by the WebSocket and SSE: what to send next, with
//! replay after `since`, catch-up after falling behind, `reset` when the log would be too long to replay, and
//! the close that a `member_removed`/`board_deleted` event or a revoked session calls for.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::ws::Utf8Bytes;
use corkboard_protocol::{PRESENCE_INTERVAL_MS, close_code};
use sqlx::PgPool;
use tokio::time::{Duration, Instant};

use super::frame::{Closes, Pushed};
use super::hub::{Hub, READ_BATCH, RETRY_AFTER};
use super::subscription::{Subscriber, Subscription};
use crate::error::AppResult;
use crate::eventlog::read_since;

/// The longest backlog replayed to one subscriber; past it the subscriber gets `reset` and reloads the
/// snapshot, which is cheaper for both sides than thousands of events.
pub const MAX_REPLAY: i64 = 10_000;
const PRESENCE_INTERVAL: Duration = Duration::from_millis(PRESENCE_INTERVAL_MS);

/// What a subscriber sends next.
#[derive(Debug)]
pub enum Next {
    Event(Arc<Pushed>),
    /// The events after the last one sent cannot be replayed: reload the snapshot. The stream goes on with the
    /// events after this seq.
    Reset(i64),
    /// A `presence` frame.
    Presence(Utf8Bytes),
    /// Close the stream with this code.
    Close(u16),
}

pub struct Feed {
    subscription: Subscription,
    hub: Hub,
    db: PgPool,
    subscriber: Subscriber,
    /// The seq of the last event sent (or the point the stream starts from). Everything a subscriber needs to
    /// resume, catch up or detect a gap.
    last_sent: i64,
    /// Events read from the log, not sent yet.
    backlog: VecDeque<Arc<Pushed>>,
    /// The log may hold events after `last_sent` that the queue does not: read them before the queue.
    catching_up: bool,
    pending_reset: Option<i64>,
    pending_close: Option<u16>,
    /// A `presence` frame is owed: the first one, or who watches changed since the last one sent.
    presence_due: bool,
    /// No `presence` frame before this: at most one per `PRESENCE_INTERVAL_MS`, changes meanwhile coalesce.
    presence_quiet_until: Option<Instant>,
}

impl Feed {
    /// Registers a subscriber and starts its feed: `since` is where the client is (absent: the admission seq,
    /// as after loading the snapshot). A `since` ahead of the board, or too far behind, starts with `reset`.
    pub fn new(hub: &Hub, subscriber: Subscriber, since: Option<i64>) -> Self {
        let (last_sent, pending_reset) = match since {
            Some(since) if since > subscriber.seq || subscriber.seq - since > MAX_REPLAY => {
                (subscriber.seq, Some(subscriber.seq))
            }
            Some(since) => (since, None),
            None => (subscriber.seq, None),
        };
        let mut subscription = hub.join(&subscriber, last_sent);
        // What was fanned out before this subscriber registered: from the entry's memory when it still has it,
        // else one read of the log (which also closes the window between admission and registration).
        let (backlog, catching_up) = match subscription.head.take() {
            Some(head) => (VecDeque::from(head), false),
            None => (VecDeque::new(), true),
        };
        Self {
            subscription,
            hub: hub.clone(),
            db: hub.db().clone(),
            subscriber,
            last_sent,
            backlog,
            catching_up,
            pending_reset,
            pending_close: None,
            presence_due: true,
            presence_quiet_until: None,
        }
    }

    pub fn subscriber(&self) -> &Subscriber {
        &self.subscriber
    }

    /// Closes the feed at its next step (e.g. the session turned out to be revoked).
    pub fn kill(&self, code: u16) {
        self.subscription.shared.kill(code);
    }

    /// Resolves once the subscriber has been told to close; for a sender stuck on a slow peer.
    pub async fn killed(&self) {
        self.subscription.shared.kill.cancelled().await;
    }

    /// The next thing to send. Cancel-safe: dropped half-way, nothing is lost or skipped.
    pub async fn next(&mut self) -> Next {
        loop {
            if let Some(code) = self.pending_close.take() {
                return Next::Close(code);
            }
            if let Some(code) = self.subscription.shared.killed() {
                return Next::Close(code);
            }
            if let Some(seq) = self.pending_reset.take() {
                return Next::Reset(seq);
            }
            while let Some(pushed) = self.backlog.pop_front() {
                if pushed.seq > self.last_sent {
                    return self.deliver(pushed);
                }
            }
            if self.subscription.shared.lagged.swap(false, Ordering::AcqRel) {
                self.catching_up = true;
            }
            if self.catching_up {
                // Boxed: a log read is rare; its future would otherwise sit inline in every socket's task.
                Box::pin(self.catch_up()).await;
                continue;
            }
            if self.presence_quiet_until.is_some_and(|until| until <= Instant::now()) {
                self.presence_quiet_until = None;
                self.presence_due |= self.subscription.presence.has_changed().unwrap_or(false);
            }
            if self.presence_due && self.presence_quiet_until.is_none() {
                self.presence_due = false;
                self.presence_quiet_until = Some(Instant::now() + PRESENCE_INTERVAL);
                return Next::Presence(self.subscription.presence.borrow_and_update().clone());
            }
            // While quiet, changes are not even listened for (a crowd joining would wake every socket once per
            // join): the end of the quiet time looks at the latest instead.
            let quiet_until = self.presence_quiet_until;
            tokio::select! {
                biased;
                () = self.subscription.shared.kill.cancelled() => {}
                pushed = self.subscription.rx.recv() => match pushed {
                    Some(pushed) if pushed.seq <= self.last_sent => {}
                    Some(pushed) if pushed.seq == self.last_sent + 1 => return self.deliver(pushed),
                    // A gap (events dropped while the queue was full): the log has them.
                    Some(_) => self.catching_up = true,
                    // The hub let go of this subscriber; it cannot happen while the subscription lives.
                    None => return Next::Close(close_code::GOING_AWAY),
                },
                () = self.subscription.shared.wake.notified() => {}
                changed = self.subscription.presence.changed(), if quiet_until.is_none() => {
                    if changed.is_ok() {
                        self.presence_due = true;
                    }
                }
                () = tokio::time::sleep_until(quiet_until.unwrap_or_else(Instant::now)), if quiet_until.is_some() => {}
            }
        }
    }

    /// The event as the next thing to send; the fan-out latency ends here, as its frame goes out.
    fn deliver(&mut self, pushed: Arc<Pushed>) -> Next {
        self.hub.fanout_seconds().record(pushed.read_at.elapsed().as_secs_f64());
        self.last_sent = pushed.seq;
        self.pending_close = match pushed.closes {
            Some(Closes::Everyone) => Some(close_code::BOARD_DELETED),
            // A removal replayed from before admission was undone since (admission saw a member).
            Some(Closes::User(user_id)) if user_id == self.subscriber.user_id && pushed.seq > self.subscriber.seq => {
                Some(close_code::MEMBERSHIP_REVOKED)
            }
            _ => None,
        };
        Next::Event(pushed)
    }

    /// Reads the next batch after `last_sent` from the log, or decides on `reset` when the backlog is too long.
    async fn catch_up(&mut self) {
        let newest = self.subscription.entry.last_pushed().max(self.subscriber.seq);
        if newest - self.last_sent > MAX_REPLAY {
            self.backlog.clear();
            self.last_sent = newest;
            self.pending_reset = Some(newest);
            return;
        }
        self.hub.stats().catch_up_reads.fetch_add(1, Ordering::Relaxed);
        match self.read().await {
            Ok(events) => {
                if (events.len() as i64) < READ_BATCH {
                    self.catching_up = false;
                }
                self.backlog.extend(events.into_iter().map(Arc::new));
            }
            Err(err) => {
                let board_id = self.subscriber.board_id;
                self.hub.db_health().log_read_failure(board_id, &err, "cannot catch up from the log; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }

    async fn read(&self) -> AppResult<Vec<Pushed>> {
        let mut conn = self.db.acquire().await?;
        let events = read_since(&mut conn, self.subscriber.board_id, self.last_sent, READ_BATCH).await?;
        events.iter().map(Pushed::new).collect()
    }
}
