//! `DragUi`: moving cards and lists by pointer (mouse, pen and touch share one path: HTML5 drag-and-drop does
//! not fire for touch) and by keyboard (`keyboard.rs`); where a drop would land is `targets.rs`, scrolling
//! while an item is held near an edge `autoscroll.rs`.
//!
//! Per pointer move only three small signals change (ghost position, drop target, list drop target); the
//! card tiles depend on `dragging`, which changes once when a drag starts and once when it ends.

mod autoscroll;
pub mod keyboard;
mod targets;

use corkboard_protocol::MoveTarget;
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use self::autoscroll::Autoscroll;
use self::targets::{CardTarget, ListTarget, card_target_at, list_target_at};
use super::model::landing_index;
use super::store::BoardStore;
use super::ui::{Announcer, OpenCard};
use crate::toast::Toasts;

/// Pixels a mouse or pen must travel before a press becomes a drag (so a click still opens the card).
const DRAG_THRESHOLD: f64 = 5.0;
/// Touch: hold this long to pick a card up; moving sooner is a scroll.
const LONG_PRESS_MS: f64 = 280.0;
const TOUCH_SLOP: f64 = 10.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DragItem {
    Card(Uuid),
    List(Uuid),
}

/// A card picked up with the keyboard: the place it would be dropped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyboardMove {
    pub card_id: Uuid,
    pub list_index: usize,
    pub index: usize,
}

/// The pointer press being tracked (not reactive: it changes on every move).
#[derive(Debug, Clone)]
struct Press {
    item: DragItem,
    pointer_id: i32,
    start: (f64, f64),
    grab: (f64, f64),
    size: (f64, f64),
    touch: bool,
    at: f64,
    active: bool,
    viewer: bool,
    label: String,
}

#[derive(Clone, Copy)]
pub struct DragUi {
    pub dragging: RwSignal<Option<DragItem>>,
    pub ghost: RwSignal<(f64, f64, f64, f64)>,
    pub ghost_label: RwSignal<String>,
    pub card_target: RwSignal<Option<CardTarget>>,
    pub list_target: RwSignal<Option<ListTarget>>,
    pub keyboard: RwSignal<Option<KeyboardMove>>,
    /// "Is this card the one being dragged / held by keyboard?", notifying only the two cards concerned
    /// when it changes, not all of them: picking up a card on a 1,000-card board must not touch 999 others.
    pub dragged_card: StoredValue<Selector<Option<Uuid>>, LocalStorage>,
    pub lifted_card: StoredValue<Selector<Option<Uuid>>, LocalStorage>,
    press: StoredValue<Option<Press>, LocalStorage>,
    autoscroll: StoredValue<Autoscroll, LocalStorage>,
    /// The board a drop changes, and where the user is told what happened.
    store: BoardStore,
    toasts: Toasts,
    announcer: Announcer,
    open_card: OpenCard,
    /// When the last drag ended, so the click that follows a drop does not open the card.
    ended_at: StoredValue<f64>,
}

impl DragUi {
    pub fn new(store: BoardStore, announcer: Announcer, open_card: OpenCard) -> Self {
        let dragging = RwSignal::new(None::<DragItem>);
        let keyboard = RwSignal::new(None::<KeyboardMove>);
        let dragged_card = Selector::new(move || match dragging.get() {
            Some(DragItem::Card(id)) => Some(id),
            _ => None,
        });
        let lifted_card = Selector::new(move || keyboard.get().map(|k| k.card_id));
        DragUi {
            dragging,
            dragged_card: StoredValue::new_local(dragged_card),
            lifted_card: StoredValue::new_local(lifted_card),
            ghost: RwSignal::new((0.0, 0.0, 0.0, 0.0)),
            ghost_label: RwSignal::new(String::new()),
            card_target: RwSignal::new(None),
            list_target: RwSignal::new(None),
            keyboard,
            press: StoredValue::new_local(None),
            autoscroll: StoredValue::new_local(Autoscroll::default()),
            store,
            toasts: expect_context::<Toasts>(),
            announcer,
            open_card,
            ended_at: StoredValue::new(0.0),
        }
    }

    pub fn just_dropped(&self) -> bool {
        js_sys::Date::now() - self.ended_at.get_value() < 300.0
    }
}

fn is_interactive(target: Option<web_sys::EventTarget>) -> bool {
    target
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|e| e.closest("button, input, textarea, select, a, [contenteditable]").ok().flatten())
        .is_some()
}

/// `pointerdown` on a card tile or a list header.
pub fn press(drag: DragUi, item: DragItem, ev: &web_sys::PointerEvent, label: String) {
    if ev.button() != 0 || is_interactive(ev.target()) || drag.keyboard.get_untracked().is_some() {
        return;
    }
    let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<HtmlElement>().ok()) else { return };
    let rect = el.get_bounding_client_rect();
    let (x, y) = (ev.client_x() as f64, ev.client_y() as f64);
    let press = Press {
        item,
        pointer_id: ev.pointer_id(),
        start: (x, y),
        grab: (x - rect.left(), y - rect.top()),
        size: (rect.width(), rect.height()),
        touch: ev.pointer_type() == "touch",
        at: js_sys::Date::now(),
        active: false,
        viewer: !drag.store.can_edit(),
        label,
    };
    let touch = press.touch;
    let pointer_id = press.pointer_id;
    drag.press.set_value(Some(press));
    if touch {
        // A finger held still lifts the card without waiting for it to move.
        set_timeout(
            move || {
                let Some(Some(mut p)) = drag.press.try_get_value() else { return };
                if p.pointer_id == pointer_id && !p.active {
                    activate(drag, &mut p);
                }
            },
            std::time::Duration::from_millis(LONG_PRESS_MS as u64),
        );
    }
}

/// The press becomes a drag: show the ghost and mark the source. Viewers are told why nothing happens.
fn activate(drag: DragUi, p: &mut Press) -> bool {
    if p.viewer {
        drag.press.set_value(None);
        drag.toasts.info("View only: your role on this board is viewer, so you cannot move cards or lists.");
        return false;
    }
    p.active = true;
    drag.ghost.set((p.start.0 - p.grab.0, p.start.1 - p.grab.1, p.size.0, p.size.1));
    drag.ghost_label.set(p.label.clone());
    drag.dragging.set(Some(p.item));
    if p.touch {
        let _ = window().navigator().vibrate_with_duration(10);
    }
    drag.press.set_value(Some(p.clone()));
    true
}

/// The long press that lifts a card on touch also opens the browser's context menu; not on a card being held.
pub fn suppress_context_menu(drag: DragUi, ev: &web_sys::Event) {
    if drag.press.with_value(Option::is_some) {
        ev.prevent_default();
    }
}

/// `pointermove` anywhere in the window.
pub fn pointer_move(drag: DragUi, ev: &web_sys::PointerEvent) {
    let Some(mut p) = drag.press.get_value() else { return };
    if p.pointer_id != ev.pointer_id() {
        return;
    }
    let (x, y) = (ev.client_x() as f64, ev.client_y() as f64);
    if !p.active {
        let dist = ((x - p.start.0).powi(2) + (y - p.start.1).powi(2)).sqrt();
        let held = js_sys::Date::now() - p.at;
        let begin = if p.touch {
            if held < LONG_PRESS_MS && dist > TOUCH_SLOP {
                // The finger moved before the long press: that is a scroll, not a drag.
                drag.press.set_value(None);
                return;
            }
            held >= LONG_PRESS_MS
        } else {
            dist > DRAG_THRESHOLD
        };
        if !begin || !activate(drag, &mut p) {
            return;
        }
    }
    ev.prevent_default();
    drag.ghost.set((x - p.grab.0, y - p.grab.1, p.size.0, p.size.1));
    autoscroll::follow(drag, x, y);
    update_target(drag, p.item, x, y);
}

/// Where the held item would land with the pointer at (`x`, `y`): after a move, and after an autoscroll.
fn update_target(drag: DragUi, item: DragItem, x: f64, y: f64) {
    match item {
        DragItem::Card(card_id) => {
            let t = card_target_at(x, y, card_id);
            if drag.card_target.with_untracked(|c| c != &t) {
                drag.card_target.set(t);
            }
        }
        DragItem::List(list_id) => {
            let t = list_target_at(x, list_id);
            if drag.list_target.with_untracked(|c| c != &t) {
                drag.list_target.set(t);
            }
        }
    }
}

/// `pointerup` (drop) or `pointercancel` / Escape (`commit = false`).
pub fn release(drag: DragUi, commit: bool) {
    let Some(p) = drag.press.get_value() else { return };
    drag.press.set_value(None);
    if !p.active {
        return;
    }
    autoscroll::stop(drag);
    drag.ended_at.set_value(js_sys::Date::now());
    let card_target = drag.card_target.get_untracked();
    let list_target = drag.list_target.get_untracked();
    drag.dragging.set(None);
    drag.card_target.set(None);
    drag.list_target.set(None);
    if !commit {
        return;
    }
    match p.item {
        DragItem::Card(card_id) => {
            if let Some(t) = card_target {
                move_if_changed(drag, card_id, t.list_id, t.to);
                drag.announcer.say(format!("Moved card to position {} of the list.", t.index + 1));
            }
        }
        DragItem::List(list_id) => {
            if let Some(t) = list_target {
                let order = drag.store.list_order();
                let current_after =
                    order.iter().position(|id| *id == list_id).and_then(|i| i.checked_sub(1)).map(|i| order[i]);
                if current_after != t.after_id {
                    drag.store.move_list(list_id, t.after_id);
                }
            }
        }
    }
}

/// Sends the move unless it would leave the card where it is (by the rule that places pending moves).
fn move_if_changed(drag: DragUi, card_id: Uuid, list_id: Uuid, to: MoveTarget) {
    let ids = drag.store.cards_in(list_id);
    let others: Vec<Uuid> = ids.iter().copied().filter(|id| *id != card_id).collect();
    if ids.iter().position(|id| *id == card_id) == Some(landing_index(&others, to)) {
        return;
    }
    drag.store.move_card(card_id, list_id, to);
}

/// Touch: while a drag is on, the page must not scroll under the finger.
pub fn block_touch_scroll(drag: DragUi, ev: &web_sys::Event) {
    if drag
        .press
        .with_value(|p| p.as_ref().is_some_and(|p| p.active || p.touch && js_sys::Date::now() - p.at >= LONG_PRESS_MS))
    {
        ev.prevent_default();
    }
}
