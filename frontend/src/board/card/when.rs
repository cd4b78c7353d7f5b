//! Timestamps as the viewer reads and types them: in their own time zone, through the browser's `Date` (no
//! time zone database in the wasm). The wire is UTC; the screen is local.

use leptos::prelude::*;
use time::OffsetDateTime;
use wasm_bindgen::JsValue;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn js_date(t: OffsetDateTime) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64((t.unix_timestamp_nanos() / 1_000_000) as f64))
}

fn from_millis(ms: f64) -> Option<OffsetDateTime> {
    if !ms.is_finite() {
        return None;
    }
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).ok()
}

pub fn now() -> OffsetDateTime {
    from_millis(js_sys::Date::now()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// "Dec 3, 14:00" in the viewer's zone; the year only when it is not this one ("Jan 5 2027, 09:30").
pub fn short(t: OffsetDateTime) -> String {
    let d = js_date(t);
    let this_year = js_sys::Date::new_0().get_full_year();
    let month = MONTHS[d.get_month() as usize % 12];
    let year = if d.get_full_year() == this_year { String::new() } else { format!(" {}", d.get_full_year()) };
    format!("{month} {}{year}, {:02}:{:02}", d.get_date(), d.get_hours(), d.get_minutes())
}

/// The value of a `datetime-local` input for `t`: "2025-12-03T14:00", local time.
pub fn to_input(t: OffsetDateTime) -> String {
    let d = js_date(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// A `datetime-local` input's value, read as the viewer's local time; `None` for an empty or partial value.
pub fn from_input(value: &str) -> Option<OffsetDateTime> {
    if value.len() < 16 {
        return None;
    }
    // A date and time without an offset is local time to `Date` (ECMAScript's date-time string format).
    from_millis(js_sys::Date::new(&JsValue::from_str(value)).get_time())
}

/// The time now, again every minute, so "due soon" and "overdue" turn over while the board is open.
pub fn clock() -> RwSignal<OffsetDateTime> {
    let now_signal = RwSignal::new(now());
    if let Ok(handle) = set_interval_with_handle(move || now_signal.set(now()), std::time::Duration::from_secs(30)) {
        on_cleanup(move || handle.clear());
    }
    now_signal
}
