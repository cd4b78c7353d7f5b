//! Sending our card moves: on the socket, or over REST in SSE mode; a move refused with "not now" is sent
//! again later with the same `client_op_id` (the server applies it at most once, and a final refusal stays
//! final).

use std::time::Duration;

use corkboard_protocol::MoveCardRequest;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{LiveConnection, Transport};
use crate::api;
use crate::board::model::PendingMove;

/// A move refused with "not now" (the database was briefly away) is sent again after this long.
const RESEND_AFTER_MS: u64 = 2_000;

/// Pending moves sent again per second after a reconnect: below the server's 20 frames a second, so a long
/// offline queue goes out in slices instead of one burst that would close the socket (over 50 at once).
const RESEND_PER_SECOND: usize = 15;

impl LiveConnection {
    /// Sends `pending` on the socket greeted by `hello`, `RESEND_PER_SECOND` at a time; stops when that socket
    /// is gone (the next `hello` starts over) and skips moves confirmed meanwhile.
    pub(super) fn resend_paced(self, hello: u32, mut pending: Vec<PendingMove>) {
        let current = self.wire.try_with_value(|w| w.hellos == hello && w.got_hello).unwrap_or(false);
        if !current {
            return;
        }
        let unconfirmed: Vec<String> = self.store.unconfirmed_moves().into_iter().map(|p| p.op_id).collect();
        pending.retain(|op| unconfirmed.contains(&op.op_id));
        let later = pending.split_off(pending.len().min(RESEND_PER_SECOND));
        for op in &pending {
            self.send_ws(op);
        }
        if !later.is_empty() {
            set_timeout(move || self.resend_paced(hello, later), Duration::from_secs(1));
        }
    }

    /// Sends a move now if we can; otherwise it waits in the pending list for the next hello or stream open.
    pub fn send_move(self, op: PendingMove) {
        match self.wire.try_with_value(|w| w.transport).flatten() {
            Some(Transport::Sse) => self.send_rest(op),
            _ => self.send_ws(&op),
        }
    }

    /// Sends a pending move again after a pause, over whatever transport is live by then.
    pub(super) fn resend_later(self, op_id: String) {
        set_timeout(
            move || {
                let Some(op) = self.store.unconfirmed_moves().into_iter().find(|p| p.op_id == op_id) else { return };
                self.send_move(op);
            },
            Duration::from_millis(RESEND_AFTER_MS),
        );
    }

    pub(super) fn send_rest(self, op: PendingMove) {
        let store = self.store;
        spawn_local(async move {
            let body = MoveCardRequest::new(op.list_id, op.to, Some(op.op_id.clone()));
            match api::move_card(op.card_id, body).await {
                Ok(res) => {
                    store.put_card(res.card);
                    store.on_ack(&op.op_id, res.seq);
                }
                // Unreachable: keep it pending; it is sent again when the stream is back.
                Err(e) if e.is_unreachable() => {}
                Err(e) if e.is_retryable() => self.resend_later(op.op_id),
                Err(e) if e.is_unauthorized() => store.session_ended(),
                Err(e) => store.on_move_rejected(&op.op_id, &e.message),
            }
        });
    }
}
