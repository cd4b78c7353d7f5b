//! The fallback for networks that block WebSockets: Server-Sent Events for updates (moves then go over REST,
//! see `moves.rs`), reconnected on our own schedule from the seq we have applied.

use corkboard_protocol::Event;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use super::{ConnState, Handler, LiveConnection, Transport};
use crate::api;

impl LiveConnection {
    pub(super) fn open_sse(self, since: i64) {
        let store = self.store;
        let url = format!("/api/boards/{}/events?since={since}", store.board_id);
        let Ok(es) = EventSource::new(&url) else {
            self.on_sse_error();
            return;
        };
        let on_open: Handler = Closure::new(move |_| {
            self.wire.try_update_value(|w| w.attempt = 0);
            let _ = self.state.try_set(ConnState::Live);
            let _ = self.transport.try_set(Transport::Sse);
            for op in store.unconfirmed_moves() {
                self.send_rest(op);
            }
        });
        let on_event: Handler = Closure::new(move |e: web_sys::Event| {
            let Some(text) = e.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) else { return };
            match serde_json::from_str::<Event>(&text) {
                Ok(event) => store.on_event(event),
                Err(err) => leptos::logging::warn!("unreadable event from the server: {err}"),
            }
        });
        let on_reset: Handler = Closure::new(move |_| store.reload());
        // EventSource retries by itself, but with its own fixed delay and its own idea of where to resume; we
        // close it and reconnect on our schedule, from the seq we have actually applied.
        let on_error: Handler = Closure::new(move |_| self.on_sse_error());
        es.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let _ = es.add_event_listener_with_callback("event", on_event.as_ref().unchecked_ref());
        let _ = es.add_event_listener_with_callback("reset", on_reset.as_ref().unchecked_ref());
        self.wire.try_update_value(|w| {
            w.es = Some(es);
            w.handlers = vec![on_open, on_event, on_reset, on_error];
        });
    }

    fn on_sse_error(self) {
        self.teardown();
        let n = self.wire.try_update_value(|w| {
            w.attempt += 1;
            w.attempt
        });
        let _ = self.state.try_set(ConnState::Reconnecting);
        spawn_local(async move {
            if (n == Some(1) || n.is_some_and(|n| n % 3 == 0)) && api::server_reachable().await {
                // Same reason as for WebSockets: learn whether we are signed out or the board is gone.
                self.store.reload();
            }
            self.schedule_reconnect(false);
        });
    }
}
