//! The WebSocket side of the connection: opening it with `since`, reading the server's frames, the
//! heartbeat, and writing moves.

use corkboard_protocol::{ClientMsg, ServerMsg};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::{ConnState, DEAD_AFTER_MS, Handler, LiveConnection, Transport, Watching};
use crate::board::model::PendingMove;

fn origin_url(scheme_secure: &str, scheme_plain: &str, path: &str) -> String {
    let loc = window().location();
    let secure = loc.protocol().map(|p| p == "https:").unwrap_or(false);
    let host = loc.host().unwrap_or_default();
    format!("{}://{host}{path}", if secure { scheme_secure } else { scheme_plain })
}

impl LiveConnection {
    pub(super) fn open_ws(self, since: i64) {
        let url = origin_url("wss", "ws", &format!("/api/boards/{}/ws?since={since}", self.store.board_id));
        let Ok(ws) = WebSocket::new(&url) else {
            self.on_closed(1006);
            return;
        };
        let on_message: Handler = Closure::new(move |e: web_sys::Event| {
            let Some(text) = e.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) else { return };
            self.wire.try_update_value(|w| w.last_heard = js_sys::Date::now());
            match serde_json::from_str::<ServerMsg>(&text) {
                Ok(msg) => self.on_server_msg(msg),
                Err(err) => leptos::logging::warn!("unreadable frame from the server: {err}"),
            }
        });
        let on_close: Handler = Closure::new(move |e: web_sys::Event| {
            let code = e.dyn_ref::<CloseEvent>().map_or(1006, |c| c.code());
            self.on_closed(code);
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.wire.try_update_value(|w| {
            w.ws = Some(ws);
            w.handlers = vec![on_message, on_close];
            w.got_hello = false;
            w.last_heard = js_sys::Date::now();
        });
    }

    fn on_server_msg(self, msg: ServerMsg) {
        let store = self.store;
        match msg {
            ServerMsg::Hello { .. } => {
                let hello = self.wire.try_update_value(|w| {
                    w.got_hello = true;
                    w.hellos += 1;
                    w.ws_failures = 0;
                    w.attempt = 0;
                    w.hellos
                });
                let _ = self.state.try_set(ConnState::Live);
                let _ = self.transport.try_set(Transport::WebSocket);
                // Moves made while we were away, or sent but never acked: the same client_op_id again, so the
                // server applies each at most once.
                if let Some(hello) = hello {
                    self.resend_paced(hello, store.unconfirmed_moves());
                }
            }
            ServerMsg::Reset => store.reload(),
            ServerMsg::Event(event) => store.on_event(event),
            ServerMsg::Presence { users, count } => {
                // An older server sends no count: its list is everyone.
                let count = count.max(users.len());
                let _ = self.presence.try_set(Watching { users, count });
            }
            ServerMsg::Ack { client_op_id, seq } => store.on_ack(&client_op_id, seq),
            ServerMsg::Error { client_op_id: Some(op), code, .. } if code.is_retryable() => self.resend_later(op),
            ServerMsg::Error { client_op_id: Some(op), message, .. } => store.on_move_rejected(&op, &message),
            ServerMsg::Error { client_op_id: None, code, message } => {
                leptos::logging::warn!("server error frame {code}: {message}")
            }
            ServerMsg::Pong => {}
        }
    }

    pub(super) fn heartbeat(self) {
        let Some((ws, last, hello)) = self.wire.try_with_value(|w| (w.ws.clone(), w.last_heard, w.got_hello)) else {
            return;
        };
        let Some(ws) = ws else { return };
        if hello && js_sys::Date::now() - last > DEAD_AFTER_MS {
            // Silent for too long: the TCP connection is likely dead without the browser noticing.
            self.on_closed(1006);
        } else if ws.ready_state() == WebSocket::OPEN
            && let Ok(text) = serde_json::to_string(&ClientMsg::Ping)
        {
            let _ = ws.send_with_str(&text);
        }
    }

    /// Writes a move on the socket if it is open and greeted; otherwise it waits for the next `hello`.
    pub(super) fn send_ws(self, op: &PendingMove) {
        let Some(Some(ws)) = self.wire.try_with_value(|w| w.ws.clone().filter(|_| w.got_hello)) else { return };
        if ws.ready_state() != WebSocket::OPEN {
            return;
        }
        let msg = ClientMsg::move_card(op.op_id.clone(), op.card_id, op.list_id, op.to);
        if let Ok(text) = serde_json::to_string(&msg) {
            let _ = ws.send_with_str(&text);
        }
    }
}
