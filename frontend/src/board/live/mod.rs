//! `LiveConnection`: the open board's live connection, owned by the board view. One WebSocket per open board,
//! resumed with `since=<last applied seq>` after every drop, with exponential backoff and jitter. After
//! repeated WebSocket failures (a proxy that blocks them) it falls back to Server-Sent Events for updates and
//! REST for moves. The state it shows the user is the truth: "Live" only while frames can actually arrive.
//!
//! It feeds the `BoardStore` (events, acks, refusals); the store reaches it only through the callback the
//! board view gives it for sending moves.

mod moves;
mod socket;
mod sse;

use std::time::Duration;

use corkboard_protocol::{PresenceUser, close_code};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, WebSocket};

use super::store::BoardStore;
use crate::api;
use crate::toast::Toasts;
use crate::util;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Live,
    Reconnecting,
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    Sse,
}

/// WebSocket attempts that fail before a `hello` after which we switch to SSE.
const WS_FAILURES_BEFORE_SSE: u32 = 3;
/// Ping when idle; a connection that has been silent for `DEAD_AFTER_MS` is treated as dead.
const PING_EVERY: Duration = Duration::from_secs(20);
const DEAD_AFTER_MS: f64 = 50_000.0;
const MAX_BACKOFF_MS: f64 = 30_000.0;

type Handler = Closure<dyn FnMut(web_sys::Event)>;

/// The connection's working state: not reactive, it changes on every frame.
#[derive(Default)]
struct Wire {
    ws: Option<WebSocket>,
    es: Option<EventSource>,
    /// The JS callbacks of the current socket or stream, kept alive for as long as it is.
    handlers: Vec<Handler>,
    /// `None` until started.
    transport: Option<Transport>,
    got_hello: bool,
    /// Counts `hello`s: a paced resend of the pending moves belongs to the connection that started it.
    hellos: u32,
    ws_failures: u32,
    attempt: u32,
    last_heard: f64,
    retry: Option<TimeoutHandle>,
    ping: Option<IntervalHandle>,
    window_listeners: Vec<WindowListenerHandle>,
    stopped: bool,
}

/// Who has the board open, from the server's `presence` frames: the first few by name, and how many in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Watching {
    pub users: Vec<PresenceUser>,
    pub count: usize,
}

/// The live connection of one open board, and what it shows: its state, the transport, who is here.
#[derive(Clone, Copy)]
pub struct LiveConnection {
    pub state: RwSignal<ConnState>,
    pub transport: RwSignal<Transport>,
    /// Who has this board open right now (from `presence` frames).
    pub presence: RwSignal<Watching>,
    store: BoardStore,
    toasts: Toasts,
    wire: StoredValue<Wire, LocalStorage>,
}

impl LiveConnection {
    pub fn new(store: BoardStore) -> Self {
        LiveConnection {
            state: RwSignal::new(ConnState::Connecting),
            transport: RwSignal::new(Transport::WebSocket),
            presence: RwSignal::new(Watching::default()),
            store,
            toasts: expect_context::<Toasts>(),
            wire: StoredValue::new_local(Wire::default()),
        }
    }

    /// Starts the connection; call it once the first snapshot is in, so `since` is known.
    pub fn start(self) {
        let online = window_event_listener_untyped("online", move |_| {
            // Back online: try at once rather than waiting out the backoff.
            self.wire.try_update_value(|w| {
                w.attempt = 0;
                if let Some(t) = w.retry.take() {
                    t.clear();
                }
            });
            self.connect();
        });
        let offline = window_event_listener_untyped("offline", move |_| {
            // The browser knows the network is gone: do not pretend to be live on a socket that cannot deliver.
            self.teardown();
            let _ = self.state.try_set(ConnState::Offline);
        });
        let ping = set_interval_with_handle(move || self.heartbeat(), PING_EVERY).ok();
        self.wire.try_update_value(|w| {
            w.window_listeners = vec![online, offline];
            w.ping = ping;
            w.transport = Some(Transport::WebSocket);
        });
        self.connect();
    }

    /// "Retry now" from the connection badge: skip the rest of the backoff.
    pub fn retry_now(self) {
        let waiting = self
            .wire
            .try_update_value(|w| {
                w.attempt = 0;
                w.retry.take().map(|t| t.clear()).is_some() || (w.ws.is_none() && w.es.is_none())
            })
            .unwrap_or(false);
        if waiting {
            self.connect();
        }
    }

    /// Leaving the board (or it is gone): close everything and never reconnect.
    pub fn stop(self) {
        self.teardown();
        let listeners = self
            .wire
            .try_update_value(|w| {
                w.stopped = true;
                if let Some(t) = w.retry.take() {
                    t.clear();
                }
                if let Some(p) = w.ping.take() {
                    p.clear();
                }
                std::mem::take(&mut w.window_listeners)
            })
            .unwrap_or_default();
        for h in listeners {
            h.remove();
        }
    }

    fn connect(self) {
        let Some((stopped, transport, attempt)) = self.wire.try_with_value(|w| (w.stopped, w.transport, w.attempt))
        else {
            return;
        };
        if stopped || transport.is_none() {
            return;
        }
        self.teardown();
        if !util::is_online() {
            let _ = self.state.try_set(ConnState::Offline);
            return;
        }
        let _ = self.state.try_set(if attempt == 0 { ConnState::Connecting } else { ConnState::Reconnecting });
        let since = self.store.applied_seq().unwrap_or(0);
        match transport.unwrap_or(Transport::WebSocket) {
            Transport::WebSocket => self.open_ws(since),
            Transport::Sse => self.open_sse(since),
        }
    }

    fn on_closed(self, code: u16) {
        self.teardown();
        match code {
            close_code::SESSION_REVOKED => {
                self.stop();
                self.store.session_ended();
                return;
            }
            close_code::MEMBERSHIP_REVOKED => {
                self.store.gone("You were removed from this board.");
                return;
            }
            close_code::BOARD_DELETED => {
                self.store.gone("This board was deleted.");
                return;
            }
            _ => {}
        }
        let Some(got_hello) = self.wire.try_update_value(|w| {
            w.attempt += 1;
            w.got_hello
        }) else {
            return;
        };
        if util::is_online() {
            let _ = self.state.try_set(ConnState::Reconnecting);
        }
        if got_hello {
            // A server restart (1001) is worth retrying right away; everything else backs off.
            self.schedule_reconnect(code == close_code::GOING_AWAY);
            return;
        }
        // Refused before the hello. A server that is down (a restart, a deploy) is not a reason to leave
        // WebSockets; only a server that answers HTTP while the socket still fails is.
        spawn_local(async move {
            if !api::server_reachable().await {
                self.schedule_reconnect(false);
                return;
            }
            let Some((failures, switched)) = self.wire.try_update_value(|w| {
                w.ws_failures += 1;
                let switch = w.ws_failures >= WS_FAILURES_BEFORE_SSE && w.transport == Some(Transport::WebSocket);
                if switch {
                    w.transport = Some(Transport::Sse);
                }
                (w.ws_failures, switch)
            }) else {
                return;
            };
            if switched {
                self.toasts.info("Live updates could not use a WebSocket; switched to a fallback connection.");
                let _ = self.transport.try_set(Transport::Sse);
                // Moves waiting for the socket go over REST from now on.
                for op in self.store.unconfirmed_moves() {
                    self.send_rest(op);
                }
            }
            // A refused upgrade looks like any other drop in the browser. Asking over REST tells a signed-out
            // user or a deleted board apart from a blocked socket (and refreshes the board).
            if failures % 2 == 1 {
                self.store.reload();
            }
            self.schedule_reconnect(false);
        });
    }

    fn schedule_reconnect(self, soon: bool) {
        let Some((stopped, busy, attempt)) =
            self.wire.try_with_value(|w| (w.stopped, w.ws.is_some() || w.es.is_some(), w.attempt))
        else {
            return;
        };
        // `busy`: something else (the browser's `online` event) has already reconnected meanwhile.
        if stopped || busy {
            return;
        }
        let _ = self.state.try_set(if util::is_online() { ConnState::Reconnecting } else { ConnState::Offline });
        // Exponential backoff with "equal jitter": many clients dropped by one restart do not return in step.
        let cap = if soon { 1000.0 } else { (500.0 * 2f64.powi(attempt.min(10) as i32)).min(MAX_BACKOFF_MS) };
        let delay = cap / 2.0 + util::random() * cap / 2.0;
        let handle = set_timeout_with_handle(move || self.connect(), Duration::from_millis(delay as u64)).ok();
        self.wire.try_update_value(|w| {
            if let Some(old) = std::mem::replace(&mut w.retry, handle) {
                old.clear();
            }
        });
    }

    /// Closes the current socket or stream without triggering our reconnect logic.
    fn teardown(self) {
        let taken = self.wire.try_update_value(|w| (w.ws.take(), w.es.take(), std::mem::take(&mut w.handlers)));
        let Some((ws, es, handlers)) = taken else { return };
        if let Some(ws) = ws {
            ws.set_onmessage(None);
            ws.set_onclose(None);
            let _ = ws.close_with_code(1000);
        }
        if let Some(es) = es {
            es.close();
        }
        // Dropped on a later tick: one of these may be the callback that is running right now.
        set_timeout(move || drop(handlers), Duration::from_millis(0));
    }
}
