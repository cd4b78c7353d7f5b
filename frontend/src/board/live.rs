//! The board's live connection: one WebSocket per open board, resumed with `since=<last applied seq>` after
//! every drop, with exponential backoff and jitter. After repeated WebSocket failures (a proxy that blocks
//! them) it falls back to Server-Sent Events for updates and REST for moves. The state it shows the user is
//! the truth: "Live" only while frames can actually arrive.

use std::time::Duration;

use corkboard_protocol::{ClientMsg, Event, MoveCardRequest, ServerMsg, close_code};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, EventSource, MessageEvent, WebSocket};

use super::model::PendingMove;
use super::store::BoardStore;
use crate::api;
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
/// A move refused with "not now" (the database was briefly away) is sent again after this long.
const RESEND_AFTER_MS: u64 = 2_000;

type Handler = Closure<dyn FnMut(web_sys::Event)>;

#[derive(Default)]
pub struct Live {
    ws: Option<WebSocket>,
    es: Option<EventSource>,
    /// The JS callbacks of the current socket or stream, kept alive for as long as it is.
    handlers: Vec<Handler>,
    transport: Option<Transport>,
    got_hello: bool,
    ws_failures: u32,
    attempt: u32,
    last_heard: f64,
    retry: Option<TimeoutHandle>,
    ping: Option<IntervalHandle>,
    window_listeners: Vec<WindowListenerHandle>,
    stopped: bool,
}

/// Starts the connection once the first snapshot is in (so `since` is known).
pub fn start(store: BoardStore) {
    let online = window_event_listener_untyped("online", move |_| {
        // Back online: try at once rather than waiting out the backoff.
        store.live.try_update_value(|l| {
            l.attempt = 0;
            if let Some(t) = l.retry.take() {
                t.clear();
            }
        });
        connect(store);
    });
    let offline = window_event_listener_untyped("offline", move |_| {
        // The browser knows the network is gone: do not pretend to be live on a socket that cannot deliver.
        teardown(store);
        let _ = store.conn.try_set(ConnState::Offline);
    });
    let ping = set_interval_with_handle(move || heartbeat(store), PING_EVERY).ok();
    store.live.try_update_value(|l| {
        l.window_listeners = vec![online, offline];
        l.ping = ping;
        l.transport = Some(Transport::WebSocket);
    });
    connect(store);
}

/// "Retry now" from the connection badge: skip the rest of the backoff.
pub fn retry_now(store: BoardStore) {
    let waiting = store
        .live
        .try_update_value(|l| {
            l.attempt = 0;
            l.retry.take().map(|t| t.clear()).is_some() || (l.ws.is_none() && l.es.is_none())
        })
        .unwrap_or(false);
    if waiting {
        connect(store);
    }
}

/// Leaving the board (or it is gone): close everything and never reconnect.
pub fn stop(store: BoardStore) {
    teardown(store);
    let listeners = store
        .live
        .try_update_value(|l| {
            l.stopped = true;
            if let Some(t) = l.retry.take() {
                t.clear();
            }
            if let Some(p) = l.ping.take() {
                p.clear();
            }
            std::mem::take(&mut l.window_listeners)
        })
        .unwrap_or_default();
    for h in listeners {
        h.remove();
    }
}

fn connect(store: BoardStore) {
    let Some((stopped, transport, attempt)) = store.live.try_with_value(|l| (l.stopped, l.transport, l.attempt)) else {
        return;
    };
    if stopped || transport.is_none() {
        return;
    }
    teardown(store);
    if !util::is_online() {
        let _ = store.conn.try_set(ConnState::Offline);
        return;
    }
    let _ = store.conn.try_set(if attempt == 0 { ConnState::Connecting } else { ConnState::Reconnecting });
    let since = store.applied_seq().unwrap_or(0);
    match transport.unwrap_or(Transport::WebSocket) {
        Transport::WebSocket => open_ws(store, since),
        Transport::Sse => open_sse(store, since),
    }
}

fn origin_url(scheme_secure: &str, scheme_plain: &str, path: &str) -> String {
    let loc = window().location();
    let secure = loc.protocol().map(|p| p == "https:").unwrap_or(false);
    let host = loc.host().unwrap_or_default();
    format!("{}://{host}{path}", if secure { scheme_secure } else { scheme_plain })
}

fn open_ws(store: BoardStore, since: i64) {
    let url = origin_url("wss", "ws", &format!("/api/boards/{}/ws?since={since}", store.board_id));
    let Ok(ws) = WebSocket::new(&url) else {
        on_closed(store, 1006);
        return;
    };
    let on_message: Handler = Closure::new(move |e: web_sys::Event| {
        let Some(text) = e.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) else { return };
        store.live.try_update_value(|l| l.last_heard = js_sys::Date::now());
        match serde_json::from_str::<ServerMsg>(&text) {
            Ok(msg) => on_server_msg(store, msg),
            Err(err) => leptos::logging::warn!("unreadable frame from the server: {err}"),
        }
    });
    let on_close: Handler = Closure::new(move |e: web_sys::Event| {
        let code = e.dyn_ref::<CloseEvent>().map_or(1006, |c| c.code());
        on_closed(store, code);
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    store.live.try_update_value(|l| {
        l.ws = Some(ws);
        l.handlers = vec![on_message, on_close];
        l.got_hello = false;
        l.last_heard = js_sys::Date::now();
    });
}

fn on_server_msg(store: BoardStore, msg: ServerMsg) {
    match msg {
        ServerMsg::Hello { .. } => {
            store.live.try_update_value(|l| {
                l.got_hello = true;
                l.ws_failures = 0;
                l.attempt = 0;
            });
            let _ = store.conn.try_set(ConnState::Live);
            let _ = store.transport.try_set(Transport::WebSocket);
            // Moves made while we were away, or sent but never acked: the same client_op_id again, so the
            // server applies each at most once.
            for op in store.unconfirmed_moves() {
                send_ws(store, &op);
            }
        }
        ServerMsg::Reset => store.reload(),
        ServerMsg::Event(event) => store.on_event(event),
        ServerMsg::Presence { users } => {
            let _ = store.presence.try_set(users);
        }
        ServerMsg::Ack { client_op_id, seq } => store.on_ack(&client_op_id, seq),
        ServerMsg::Error { client_op_id: Some(op), code, .. } if code.is_retryable() => resend_later(store, op),
        ServerMsg::Error { client_op_id: Some(op), message, .. } => store.on_move_rejected(&op, &message),
        ServerMsg::Error { client_op_id: None, code, message } => {
            leptos::logging::warn!("server error frame {code}: {message}")
        }
        ServerMsg::Pong => {}
    }
}

fn on_closed(store: BoardStore, code: u16) {
    teardown(store);
    match code {
        close_code::SESSION_REVOKED => {
            stop(store);
            store.session.expired(store.nav, store.toasts);
            return;
        }
        close_code::MEMBERSHIP_REVOKED => {
            store.gone("You were removed from this board.");
            return;
        }
        close_code::BOARD_DELETED => {
            store.gone("This board was deleted.");
            return;
        }
        _ => {}
    }
    let Some(got_hello) = store.live.try_update_value(|l| {
        l.attempt += 1;
        l.got_hello
    }) else {
        return;
    };
    if util::is_online() {
        let _ = store.conn.try_set(ConnState::Reconnecting);
    }
    if got_hello {
        // A server restart (1001) is worth retrying right away; everything else backs off.
        schedule_reconnect(store, code == close_code::GOING_AWAY);
        return;
    }
    // Refused before the hello. A server that is down (a restart, a deploy) is not a reason to leave
    // WebSockets; only a server that answers HTTP while the socket still fails is.
    spawn_local(async move {
        if !api::server_reachable().await {
            schedule_reconnect(store, false);
            return;
        }
        let Some((failures, switched)) = store.live.try_update_value(|l| {
            l.ws_failures += 1;
            let switch = l.ws_failures >= WS_FAILURES_BEFORE_SSE && l.transport == Some(Transport::WebSocket);
            if switch {
                l.transport = Some(Transport::Sse);
            }
            (l.ws_failures, switch)
        }) else {
            return;
        };
        if switched {
            store.toasts.info("Live updates could not use a WebSocket; switched to a fallback connection.");
            let _ = store.transport.try_set(Transport::Sse);
            // Moves waiting for the socket go over REST from now on.
            for op in store.unconfirmed_moves() {
                send_rest(store, op);
            }
        }
        // A refused upgrade looks like any other drop in the browser. Asking over REST tells a signed-out
        // user or a deleted board apart from a blocked socket (and refreshes the board).
        if failures % 2 == 1 {
            store.reload();
        }
        schedule_reconnect(store, false);
    });
}

fn schedule_reconnect(store: BoardStore, soon: bool) {
    let Some((stopped, busy, attempt)) =
        store.live.try_with_value(|l| (l.stopped, l.ws.is_some() || l.es.is_some(), l.attempt))
    else {
        return;
    };
    // `busy`: something else (the browser's `online` event) has already reconnected meanwhile.
    if stopped || busy {
        return;
    }
    let _ = store.conn.try_set(if util::is_online() { ConnState::Reconnecting } else { ConnState::Offline });
    // Exponential backoff with "equal jitter": many clients dropped by one restart do not return in step.
    let cap = if soon { 1000.0 } else { (500.0 * 2f64.powi(attempt.min(10) as i32)).min(MAX_BACKOFF_MS) };
    let delay = cap / 2.0 + util::random() * cap / 2.0;
    let handle = set_timeout_with_handle(move || connect(store), Duration::from_millis(delay as u64)).ok();
    store.live.try_update_value(|l| {
        if let Some(old) = std::mem::replace(&mut l.retry, handle) {
            old.clear();
        }
    });
}

/// Closes the current socket or stream without triggering our reconnect logic.
fn teardown(store: BoardStore) {
    let taken = store.live.try_update_value(|l| (l.ws.take(), l.es.take(), std::mem::take(&mut l.handlers)));
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

fn heartbeat(store: BoardStore) {
    let Some((ws, last, hello)) = store.live.try_with_value(|l| (l.ws.clone(), l.last_heard, l.got_hello)) else {
        return;
    };
    let Some(ws) = ws else { return };
    if hello && js_sys::Date::now() - last > DEAD_AFTER_MS {
        // Silent for too long: the TCP connection is likely dead without the browser noticing.
        on_closed(store, 1006);
    } else if ws.ready_state() == WebSocket::OPEN
        && let Ok(text) = serde_json::to_string(&ClientMsg::Ping)
    {
        let _ = ws.send_with_str(&text);
    }
}

/// Sends a move now if we can; otherwise it waits in the pending list for the next hello or stream open.
pub fn send_move(store: BoardStore, op: PendingMove) {
    match store.live.try_with_value(|l| l.transport).flatten() {
        Some(Transport::Sse) => send_rest(store, op),
        _ => send_ws(store, &op),
    }
}

/// Error codes that say "not now", not "no": the move may still be applied, so it stays pending and is sent
/// again with the same `client_op_id` (the server applies it at most once, and a final refusal stays final).
fn is_retryable(code: &str) -> bool {
    matches!(code, "service_unavailable" | "internal_error")
}

/// Sends a pending move again after a pause, over whatever transport is live by then.
fn resend_later(store: BoardStore, op_id: String) {
    set_timeout(
        move || {
            let Some(op) = store.unconfirmed_moves().into_iter().find(|p| p.op_id == op_id) else { return };
            match store.live.try_with_value(|l| l.transport) {
                Some(Some(Transport::Sse)) => send_rest(store, op),
                _ => send_ws(store, &op),
            }
        },
        Duration::from_millis(RESEND_AFTER_MS),
    );
}

fn send_ws(store: BoardStore, op: &PendingMove) {
    let Some(Some(ws)) = store.live.try_with_value(|l| l.ws.clone().filter(|_| l.got_hello)) else { return };
    if ws.ready_state() != WebSocket::OPEN {
        return;
    }
    let msg = ClientMsg::MoveCard {
        client_op_id: op.op_id.clone(),
        card_id: op.card_id,
        list_id: op.list_id,
        after_id: op.after_id,
    };
    if let Ok(text) = serde_json::to_string(&msg) {
        let _ = ws.send_with_str(&text);
    }
}

fn send_rest(store: BoardStore, op: PendingMove) {
    spawn_local(async move {
        let body = MoveCardRequest { list_id: op.list_id, after_id: op.after_id, client_op_id: Some(op.op_id.clone()) };
        match api::move_card(op.card_id, body).await {
            Ok(res) => {
                store.put_card(res.card);
                store.on_ack(&op.op_id, res.seq);
            }
            // Unreachable: keep it pending; it is sent again when the stream is back.
            Err(e) if e.status == 0 => {}
            Err(e) if is_retryable(&e.code) => resend_later(store, op.op_id),
            Err(e) if e.is_unauthorized() => store.session.expired(store.nav, store.toasts),
            Err(e) => store.on_move_rejected(&op.op_id, &e.message),
        }
    });
}

fn open_sse(store: BoardStore, since: i64) {
    let url = format!("/api/boards/{}/events?since={since}", store.board_id);
    let Ok(es) = EventSource::new(&url) else {
        on_sse_error(store);
        return;
    };
    let on_open: Handler = Closure::new(move |_| {
        store.live.try_update_value(|l| l.attempt = 0);
        let _ = store.conn.try_set(ConnState::Live);
        let _ = store.transport.try_set(Transport::Sse);
        for op in store.unconfirmed_moves() {
            send_rest(store, op);
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
    let on_error: Handler = Closure::new(move |_| on_sse_error(store));
    es.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let _ = es.add_event_listener_with_callback("event", on_event.as_ref().unchecked_ref());
    let _ = es.add_event_listener_with_callback("reset", on_reset.as_ref().unchecked_ref());
    store.live.try_update_value(|l| {
        l.es = Some(es);
        l.handlers = vec![on_open, on_event, on_reset, on_error];
    });
}

fn on_sse_error(store: BoardStore) {
    teardown(store);
    let n = store.live.try_update_value(|l| {
        l.attempt += 1;
        l.attempt
    });
    let _ = store.conn.try_set(ConnState::Reconnecting);
    spawn_local(async move {
        if (n == Some(1) || n.is_some_and(|n| n % 3 == 0)) && api::server_reachable().await {
            // Same reason as for WebSockets: learn whether we are signed out or the board is gone.
            store.reload();
        }
        schedule_reconnect(store, false);
    });
}
