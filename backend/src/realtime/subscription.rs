//! A subscriber's side of the hub: who it is (`Subscriber`, from admission), what the hub and it both see
//! (`SubShared`: lagging, waking, the kill), and its place in the hub (`Subscription`, which leaves on drop).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::frame::Pushed;
use super::hub::{BoardEntry, Hub};

/// Who a subscriber is: what admission established before the stream began.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub board_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub display_name: String,
    /// The board's seq when the subscriber was admitted (the `hello` seq).
    pub seq: i64,
}

/// What the hub and a subscriber both see.
#[derive(Default)]
pub struct SubShared {
    /// The queue overflowed: an event was not delivered and must come from the log.
    pub lagged: AtomicBool,
    /// Wakes the subscriber when `lagged` is set (no event may follow to show the gap).
    pub wake: Notify,
    /// Cancelled to throw the subscriber off; `kill_code` says with which close code.
    pub kill: CancellationToken,
    kill_code: AtomicU16,
}

impl SubShared {
    /// Asks the subscriber to close with `code`; the first code wins.
    pub fn kill(&self, code: u16) {
        let _ = self.kill_code.compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire);
        self.kill.cancel();
    }

    pub fn killed(&self) -> Option<u16> {
        self.kill.is_cancelled().then(|| self.kill_code.load(Ordering::Acquire))
    }
}

/// A subscriber's place in the hub; dropping it unregisters, whatever ended the stream.
pub struct Subscription {
    pub(super) hub: Hub,
    pub entry: Arc<BoardEntry>,
    pub(super) id: u64,
    pub(super) user_id: Uuid,
    pub shared: Arc<SubShared>,
    pub rx: mpsc::Receiver<Arc<Pushed>>,
    pub presence: watch::Receiver<Utf8Bytes>,
    /// The events after the subscriber's starting point that were fanned out before it registered, when the
    /// entry still had all of them in memory; `None`: read them from the log.
    pub head: Option<Vec<Arc<Pushed>>>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.leave(&self.entry, self.id, self.user_id);
    }
}
