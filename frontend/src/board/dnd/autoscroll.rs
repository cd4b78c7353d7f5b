//! Scrolling the board (sideways) and a list (up and down) while a dragged card or list is held near their
//! edge, faster the closer it is; also while the pointer or finger stands still, which sends no more events.

use leptos::prelude::*;
use web_sys::HtmlElement;

use super::{DragItem, DragUi};
use crate::util;

/// How far from an edge scrolling starts, at most (a sixth of the box on narrow ones).
const EDGE: f64 = 72.0;
/// Pixels per second at the start of the edge zone and at the very edge; speed grows with the square of the
/// depth, so the zone's start is a gentle nudge and the edge is a quick trip across the board.
const MIN_SPEED: f64 = 90.0;
const MAX_SPEED: f64 = 1400.0;
/// A frame later than this (a busy tab) does not turn into one big jump.
const MAX_FRAME_MS: f64 = 50.0;

/// Where the pointer was last seen and whether the frame loop is running.
#[derive(Default)]
pub(super) struct Autoscroll {
    at: (f64, f64),
    running: bool,
    last_frame: f64,
    /// The canvas's own `scroll-snap-type`, put back when the drag ends: with snapping on, every small scroll
    /// step snaps back to the column it started from, and the board never moves.
    snap_off: Option<HtmlElement>,
}

/// Called on each pointer move of an active drag: remembers the place and starts the loop if it is idle.
pub(super) fn follow(drag: DragUi, x: f64, y: f64) {
    let start = drag
        .autoscroll
        .try_update_value(|a| {
            a.at = (x, y);
            let idle = !a.running;
            if idle {
                a.running = true;
                a.last_frame = js_sys::Date::now();
            }
            if a.snap_off.is_none() {
                a.snap_off = util::query(".board-canvas");
                if let Some(canvas) = &a.snap_off {
                    let _ = canvas.style().set_property("scroll-snap-type", "none");
                }
            }
            idle
        })
        .unwrap_or(false);
    if start {
        request_animation_frame(move || frame(drag));
    }
}

/// One animation frame: scroll what the held item is near the edge of; go on while something scrolled.
fn frame(drag: DragUi) {
    let Some(Some(item)) = drag.press.try_with_value(|p| p.as_ref().filter(|p| p.active).map(|p| p.item)) else {
        stop(drag);
        return;
    };
    let now = js_sys::Date::now();
    let Some(((x, y), last)) = drag.autoscroll.try_update_value(|a| (a.at, std::mem::replace(&mut a.last_frame, now)))
    else {
        return;
    };
    let dt = (now - last).clamp(1.0, MAX_FRAME_MS) / 1000.0;
    let mut moved = false;
    if let Some(canvas) = util::query(".board-canvas") {
        let r = canvas.get_bounding_client_rect();
        moved |= scroll_by(&canvas, step(x, r.left(), r.right(), dt), 0);
    }
    if matches!(item, DragItem::Card(_))
        && let Some(list) = list_under(x)
    {
        let r = list.get_bounding_client_rect();
        moved |= scroll_by(&list, 0, step(y, r.top(), r.bottom(), dt));
    }
    if moved {
        // What lies under a pointer that stood still has changed.
        super::update_target(drag, item, x, y);
        request_animation_frame(move || frame(drag));
    } else {
        drag.autoscroll.try_update_value(|a| a.running = false);
    }
}

/// Signed pixels to scroll this frame for a position `p` near a box from `low` to `high`: negative near
/// `low`. A pointer far outside the box (a card held over the header above a list) scrolls nothing.
fn step(p: f64, low: f64, high: f64, dt: f64) -> i32 {
    let edge = EDGE.min((high - low) / 6.0);
    let (depth, sign) = if p < low - edge || p > high + edge {
        return 0;
    } else if p < low + edge {
        (low + edge - p, -1.0)
    } else if p > high - edge {
        (p - (high - edge), 1.0)
    } else {
        return 0;
    };
    let t = (depth / edge).min(1.0);
    let speed = MIN_SPEED + (MAX_SPEED - MIN_SPEED) * t * t;
    // At least a pixel: a fraction would be rounded away and the loop would stop at the zone's start.
    (sign * (speed * dt).max(1.0)).round() as i32
}

/// Scrolls by (`dx`, `dy`) and says whether the element actually moved (it stops at its ends).
fn scroll_by(el: &HtmlElement, dx: i32, dy: i32) -> bool {
    if dx == 0 && dy == 0 {
        return false;
    }
    let before = (el.scroll_left(), el.scroll_top());
    el.set_scroll_left(before.0 + dx);
    el.set_scroll_top(before.1 + dy);
    (el.scroll_left(), el.scroll_top()) != before
}

/// The scrolling card list of the column under `x`.
fn list_under(x: f64) -> Option<HtmlElement> {
    let doc = document().document_element()?;
    util::query_all(&doc, ".list-column[data-list-id] .card-list").into_iter().find(|l| {
        let r = l.get_bounding_client_rect();
        x >= r.left() && x <= r.right()
    })
}

/// The drag ended: snapping comes back (the board settles on a column), the loop stops.
pub(super) fn stop(drag: DragUi) {
    let canvas = drag.autoscroll.try_update_value(|a| {
        a.running = false;
        a.snap_off.take()
    });
    if let Some(Some(canvas)) = canvas {
        let _ = canvas.style().remove_property("scroll-snap-type");
    }
}
