//! Per-user stream caps: how many live streams (WebSocket and SSE together) one user holds on this instance, so
//! one account cannot take the server's sockets; the cap is refused with 429 before a stream starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::hub::lock;
use crate::error::{AppError, AppResult};

/// Live streams per user, and how many one user may hold (`CORKBOARD_MAX_STREAMS_PER_USER`).
pub struct StreamSlots {
    counts: Mutex<HashMap<Uuid, usize>>,
    max_per_user: usize,
}

/// One of a user's stream slots, held from admission until the stream ends.
pub struct UserSlot {
    slots: Arc<StreamSlots>,
    user_id: Uuid,
}

impl StreamSlots {
    pub fn new(max_per_user: usize) -> Self {
        Self { counts: Mutex::new(HashMap::new()), max_per_user }
    }

    /// Takes one of the user's slots, or refuses when all are in use.
    pub fn reserve(slots: &Arc<Self>, user_id: Uuid) -> AppResult<UserSlot> {
        let mut counts = lock(&slots.counts);
        let count = counts.entry(user_id).or_default();
        if *count >= slots.max_per_user {
            return Err(AppError::TooManyConnections);
        }
        *count += 1;
        Ok(UserSlot { slots: Arc::clone(slots), user_id })
    }
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut counts = lock(&self.slots.counts);
        if let Some(count) = counts.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_the_cap_and_a_slot_comes_back_when_its_stream_ends() {
        let slots = Arc::new(StreamSlots::new(2));
        let (ann, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let first = StreamSlots::reserve(&slots, ann).expect("first");
        let _second = StreamSlots::reserve(&slots, ann).expect("second");
        assert!(matches!(StreamSlots::reserve(&slots, ann), Err(AppError::TooManyConnections)));
        let _bobs = StreamSlots::reserve(&slots, bob).expect("another user has slots of their own");
        drop(first);
        let _again = StreamSlots::reserve(&slots, ann).expect("the slot came back");
    }
}
