//! The boards page's live link: `GET /api/me/events` says when the user's list of boards changed (added,
//! removed, renamed, deleted, or "read it again"), and the page reads `/api/boards` again. Open while the page
//! is shown; every (re)connect begins with `refetch`, so nothing changed while away is missed.

use std::time::Duration;

use corkboard_protocol::{MY_BOARDS_EVENT, MY_BOARDS_REFETCH};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::EventSource;

use crate::api;

/// After the server refused the stream (the browser gives up then), try again this much later.
const RETRY_AFTER: Duration = Duration::from_secs(5);

type Handler = Closure<dyn FnMut(web_sys::Event)>;

#[derive(Default)]
struct Wire {
    es: Option<EventSource>,
    /// The callbacks of the current stream, kept alive as long as it is.
    handlers: Vec<Handler>,
    retry: Option<TimeoutHandle>,
    stopped: bool,
}

/// Calls `reload` whenever the user's boards may have changed, until the calling component goes away.
pub fn watch(reload: impl Fn() + Copy + 'static) {
    let wire = StoredValue::new_local(Wire::default());
    open(wire, reload);
    on_cleanup(move || {
        wire.try_update_value(|w| {
            w.stopped = true;
            if let Some(es) = w.es.take() {
                es.close();
            }
            if let Some(retry) = w.retry.take() {
                retry.clear();
            }
        });
    });
}

fn open(wire: StoredValue<Wire, LocalStorage>, reload: impl Fn() + Copy + 'static) {
    if wire.try_with_value(|w| w.stopped).unwrap_or(true) {
        return;
    }
    let Ok(es) = EventSource::new(api::MY_BOARDS_EVENTS) else {
        retry_later(wire, reload);
        return;
    };
    let on_change: Handler = Closure::new(move |_| reload());
    // While the browser reconnects by itself (`CONNECTING`) there is nothing to do: the new stream starts with
    // `refetch`. A refusal (`CLOSED`: signed out, too many streams) ends its retries; reading the boards tells a
    // signed-out user so, and we try the stream again later.
    let on_error: Handler = Closure::new(move |_| {
        let closed = wire
            .try_with_value(|w| w.es.as_ref().is_some_and(|es| es.ready_state() == EventSource::CLOSED))
            .unwrap_or(false);
        if closed {
            reload();
            retry_later(wire, reload);
        }
    });
    let _ = es.add_event_listener_with_callback(MY_BOARDS_EVENT, on_change.as_ref().unchecked_ref());
    let _ = es.add_event_listener_with_callback(MY_BOARDS_REFETCH, on_change.as_ref().unchecked_ref());
    es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    wire.try_update_value(|w| {
        w.es = Some(es);
        // Replacing the old callbacks here is safe: this never runs inside one of them.
        w.handlers = vec![on_change, on_error];
    });
}

fn retry_later(wire: StoredValue<Wire, LocalStorage>, reload: impl Fn() + Copy + 'static) {
    let retry = set_timeout_with_handle(move || open(wire, reload), RETRY_AFTER).ok();
    wire.try_update_value(|w| {
        if let Some(es) = w.es.take() {
            es.close();
        }
        if let Some(old) = std::mem::replace(&mut w.retry, retry) {
            old.clear();
        }
    });
}
