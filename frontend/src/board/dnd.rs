//! Moving cards and lists by pointer (mouse, pen and touch share one path: HTML5 drag-and-drop does not fire
//! for touch) and by keyboard, and animating other people's moves into place (FLIP).
//!
//! Per pointer move only three small signals change (ghost position, drop target, list drop target); the
//! card tiles depend on `dragging`, which changes once when a drag starts and once when it ends.

use corkboard_protocol::Role;
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DomRect, Element, HtmlElement};

use super::store::BoardStore;
use crate::util;

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

/// Where a dragged card would land: in `list_id`, right after `after_id`; `top` places the indicator line.
#[derive(Debug, Clone, PartialEq)]
pub struct CardTarget {
    pub list_id: Uuid,
    pub after_id: Option<Uuid>,
    pub index: usize,
    pub top: f64,
}

/// Where a dragged list would land; `left` places the indicator inside the board canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct ListTarget {
    pub after_id: Option<Uuid>,
    pub left: f64,
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
    /// When the last drag ended, so the click that follows a drop does not open the card.
    ended_at: StoredValue<f64>,
}

impl DragUi {
    pub fn new() -> Self {
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
pub fn press(store: BoardStore, item: DragItem, ev: &web_sys::PointerEvent, label: String) {
    if ev.button() != 0 || is_interactive(ev.target()) || store.drag.keyboard.get_untracked().is_some() {
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
        viewer: !store.can_edit(),
        label,
    };
    let touch = press.touch;
    let pointer_id = press.pointer_id;
    store.drag.press.set_value(Some(press));
    if touch {
        // A finger held still lifts the card without waiting for it to move.
        set_timeout(
            move || {
                let Some(Some(mut p)) = store.drag.press.try_get_value() else { return };
                if p.pointer_id == pointer_id && !p.active {
                    activate(store, &mut p);
                }
            },
            std::time::Duration::from_millis(LONG_PRESS_MS as u64),
        );
    }
}

/// The press becomes a drag: show the ghost and mark the source. Viewers are told why nothing happens.
fn activate(store: BoardStore, p: &mut Press) -> bool {
    if p.viewer {
        store.drag.press.set_value(None);
        store.toasts.info("View only: your role on this board is viewer, so you cannot move cards or lists.");
        return false;
    }
    p.active = true;
    store.drag.ghost.set((p.start.0 - p.grab.0, p.start.1 - p.grab.1, p.size.0, p.size.1));
    store.drag.ghost_label.set(p.label.clone());
    store.drag.dragging.set(Some(p.item));
    if p.touch {
        let _ = window().navigator().vibrate_with_duration(10);
    }
    store.drag.press.set_value(Some(p.clone()));
    true
}

/// The long press that lifts a card on touch also opens the browser's context menu; not on a card being held.
pub fn suppress_context_menu(store: BoardStore, ev: &web_sys::Event) {
    if store.drag.press.with_value(Option::is_some) {
        ev.prevent_default();
    }
}

/// `pointermove` anywhere in the window.
pub fn pointer_move(store: BoardStore, ev: &web_sys::PointerEvent) {
    let Some(mut p) = store.drag.press.get_value() else { return };
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
                store.drag.press.set_value(None);
                return;
            }
            held >= LONG_PRESS_MS
        } else {
            dist > DRAG_THRESHOLD
        };
        if !begin || !activate(store, &mut p) {
            return;
        }
    }
    ev.prevent_default();
    store.drag.ghost.set((x - p.grab.0, y - p.grab.1, p.size.0, p.size.1));
    autoscroll(x, y);
    match p.item {
        DragItem::Card(card_id) => {
            let t = card_target_at(x, y, card_id);
            if store.drag.card_target.with_untracked(|c| c != &t) {
                store.drag.card_target.set(t);
            }
        }
        DragItem::List(list_id) => {
            let t = list_target_at(x, list_id);
            if store.drag.list_target.with_untracked(|c| c != &t) {
                store.drag.list_target.set(t);
            }
        }
    }
}

/// `pointerup` (drop) or `pointercancel` / Escape (`commit = false`).
pub fn release(store: BoardStore, commit: bool) {
    let Some(p) = store.drag.press.get_value() else { return };
    store.drag.press.set_value(None);
    if !p.active {
        return;
    }
    store.drag.ended_at.set_value(js_sys::Date::now());
    let card_target = store.drag.card_target.get_untracked();
    let list_target = store.drag.list_target.get_untracked();
    store.drag.dragging.set(None);
    store.drag.card_target.set(None);
    store.drag.list_target.set(None);
    if !commit {
        return;
    }
    match p.item {
        DragItem::Card(card_id) => {
            if let Some(t) = card_target {
                move_if_changed(store, card_id, t.list_id, t.after_id);
                store.announce.set(format!("Moved card to position {} of the list.", t.index + 1));
            }
        }
        DragItem::List(list_id) => {
            if let Some(t) = list_target {
                let order = store.list_order();
                let current_after =
                    order.iter().position(|id| *id == list_id).and_then(|i| i.checked_sub(1)).map(|i| order[i]);
                if current_after != t.after_id {
                    store.move_list(list_id, t.after_id);
                }
            }
        }
    }
}

fn move_if_changed(store: BoardStore, card_id: Uuid, list_id: Uuid, after_id: Option<Uuid>) {
    let from = store.list_of(card_id);
    let ids = store.cards_in(list_id);
    let current_after = ids.iter().position(|id| *id == card_id).and_then(|i| i.checked_sub(1)).map(|i| ids[i]);
    if from == Some(list_id) && current_after == after_id {
        return;
    }
    store.move_card(card_id, list_id, after_id);
}

/// Touch: while a drag is on, the page must not scroll under the finger.
pub fn block_touch_scroll(store: BoardStore, ev: &web_sys::Event) {
    if store
        .drag
        .press
        .with_value(|p| p.as_ref().is_some_and(|p| p.active || p.touch && js_sys::Date::now() - p.at >= LONG_PRESS_MS))
    {
        ev.prevent_default();
    }
}

fn rect_contains_x(r: &DomRect, x: f64) -> bool {
    x >= r.left() && x <= r.right()
}

/// The list column under (or nearest to) the pointer, and where in it the card would go.
fn card_target_at(x: f64, y: f64, dragged: Uuid) -> Option<CardTarget> {
    let columns = util::query_all(&document().document_element()?, ".list-column[data-list-id]");
    let column = columns.iter().find(|c| rect_contains_x(&c.get_bounding_client_rect(), x)).or_else(|| {
        columns.iter().min_by(|a, b| {
            let da = horizontal_distance(&a.get_bounding_client_rect(), x);
            let db = horizontal_distance(&b.get_bounding_client_rect(), x);
            da.total_cmp(&db)
        })
    })?;
    let list_id = column.get_attribute("data-list-id").and_then(|s| Uuid::parse_str(&s).ok())?;
    let container: HtmlElement = column.query_selector(".card-list").ok().flatten()?.dyn_into().ok()?;
    slot_in_list(&container, list_id, dragged, |rects| {
        rects.iter().position(|r| y < r.top() + r.height() / 2.0).unwrap_or(rects.len())
    })
}

/// The indicator position for "index `index` among the list's cards other than `dragged`".
pub fn card_target_at_index(list_id: Uuid, dragged: Uuid, index: usize) -> Option<CardTarget> {
    let column = util::query(&format!(".list-column[data-list-id=\"{list_id}\"] .card-list"))?;
    slot_in_list(&column, list_id, dragged, |rects| index.min(rects.len()))
}

fn slot_in_list(
    container: &HtmlElement,
    list_id: Uuid,
    dragged: Uuid,
    pick: impl FnOnce(&[DomRect]) -> usize,
) -> Option<CardTarget> {
    let dragged = dragged.to_string();
    let cards: Vec<HtmlElement> = util::query_all(container, "[data-card-id]")
        .into_iter()
        .filter(|c| c.get_attribute("data-card-id").as_deref() != Some(dragged.as_str()))
        .collect();
    let rects: Vec<DomRect> = cards.iter().map(|c| c.get_bounding_client_rect()).collect();
    let index = pick(&rects);
    let after_id = index
        .checked_sub(1)
        .and_then(|i| cards.get(i))
        .and_then(|c| c.get_attribute("data-card-id"))
        .and_then(|s| Uuid::parse_str(&s).ok());
    let base = container.get_bounding_client_rect().top() - container.scroll_top() as f64;
    let top = match (index.checked_sub(1).and_then(|i| rects.get(i)), rects.get(index)) {
        (Some(above), Some(below)) => (above.bottom() + below.top()) / 2.0,
        (Some(above), None) => above.bottom() + 4.0,
        (None, Some(below)) => below.top() - 4.0,
        (None, None) => base + 6.0,
    } - base;
    Some(CardTarget { list_id, after_id, index, top })
}

fn horizontal_distance(r: &DomRect, x: f64) -> f64 {
    if x < r.left() {
        r.left() - x
    } else if x > r.right() {
        x - r.right()
    } else {
        0.0
    }
}

fn list_target_at(x: f64, dragged: Uuid) -> Option<ListTarget> {
    let canvas = util::query(".board-canvas")?;
    let dragged = dragged.to_string();
    let columns: Vec<HtmlElement> = util::query_all(&canvas, ".list-column[data-list-id]")
        .into_iter()
        .filter(|c| c.get_attribute("data-list-id").as_deref() != Some(dragged.as_str()))
        .collect();
    let rects: Vec<DomRect> = columns.iter().map(|c| c.get_bounding_client_rect()).collect();
    let index = rects.iter().position(|r| x < r.left() + r.width() / 2.0).unwrap_or(rects.len());
    let after_id = index
        .checked_sub(1)
        .and_then(|i| columns.get(i))
        .and_then(|c| c.get_attribute("data-list-id"))
        .and_then(|s| Uuid::parse_str(&s).ok());
    let base = canvas.get_bounding_client_rect().left() - canvas.scroll_left() as f64;
    let left = match (index.checked_sub(1).and_then(|i| rects.get(i)), rects.get(index)) {
        (_, Some(next)) => next.left() - 7.0,
        (Some(prev), None) => prev.right() + 5.0,
        (None, None) => 8.0,
    } - base;
    Some(ListTarget { after_id, left })
}

/// Near an edge of the board or of a long list, scroll so the drag can reach what is out of view.
fn autoscroll(x: f64, y: f64) {
    const EDGE: f64 = 56.0;
    const STEP: f64 = 14.0;
    if let Some(canvas) = util::query(".board-canvas") {
        let r = canvas.get_bounding_client_rect();
        if x < r.left() + EDGE {
            canvas.set_scroll_left(canvas.scroll_left() - STEP as i32);
        } else if x > r.right() - EDGE {
            canvas.set_scroll_left(canvas.scroll_left() + STEP as i32);
        }
    }
    if let Some(doc) = document().document_element() {
        for list in util::query_all(&doc, ".card-list") {
            let r = list.get_bounding_client_rect();
            if rect_contains_x(&r, x) {
                if y < r.top() + EDGE && y > r.top() - EDGE {
                    list.set_scroll_top(list.scroll_top() - STEP as i32);
                } else if y > r.bottom() - EDGE && y < r.bottom() + EDGE {
                    list.set_scroll_top(list.scroll_top() + STEP as i32);
                }
            }
        }
    }
}

// --- keyboard ------------------------------------------------------------------------------------------

/// Keys on a focused card. Returns true when the key was handled (the caller prevents the default).
pub fn card_key(store: BoardStore, card_id: Uuid, key: &str) -> bool {
    let kb = store.drag.keyboard;
    let picked = kb.get_untracked().filter(|k| k.card_id == card_id);
    let Some(mut k) = picked else {
        return match key {
            "m" | "M" | " " => {
                pick_up(store, card_id);
                true
            }
            "Enter" => {
                store.open_card.set(Some(card_id));
                true
            }
            _ => false,
        };
    };
    let lists = store.list_order();
    let others = |list_index: usize| -> Vec<Uuid> {
        lists
            .get(list_index)
            .map(|l| store.cards_in(*l))
            .unwrap_or_default()
            .into_iter()
            .filter(|id| *id != card_id)
            .collect()
    };
    match key {
        "ArrowUp" => k.index = k.index.saturating_sub(1),
        "ArrowDown" => k.index = (k.index + 1).min(others(k.list_index).len()),
        "ArrowLeft" | "ArrowRight" => {
            let next = if key == "ArrowLeft" { k.list_index.checked_sub(1) } else { Some(k.list_index + 1) };
            match next.filter(|i| *i < lists.len()) {
                Some(i) => {
                    k.list_index = i;
                    k.index = k.index.min(others(i).len());
                }
                None => {
                    store.announce.set("No more lists in that direction.".into());
                    return true;
                }
            }
        }
        "Enter" | " " | "m" | "M" => {
            kb.set(None);
            store.drag.card_target.set(None);
            let Some(list_id) = lists.get(k.list_index).copied() else { return true };
            let after = k.index.checked_sub(1).and_then(|i| others(k.list_index).get(i).copied());
            move_if_changed(store, card_id, list_id, after);
            store.announce.set(format!(
                "Dropped. Card is now in {}, position {}.",
                list_name(store, list_id),
                k.index + 1
            ));
            refocus(card_id);
            return true;
        }
        "Escape" => {
            kb.set(None);
            store.drag.card_target.set(None);
            store.announce.set("Move cancelled. The card is back where it was.".into());
            return true;
        }
        "Tab" => return false,
        _ => return true,
    }
    kb.set(Some(k));
    let place = show_keyboard_target(store, k, &lists);
    store.announce.set(place);
    true
}

fn pick_up(store: BoardStore, card_id: Uuid) {
    if !store.my_role.get_untracked().is_some_and(Role::can_edit) {
        let msg = "View only: your role on this board is viewer, so you cannot move cards.";
        store.announce.set(msg.into());
        store.toasts.info(msg);
        return;
    }
    let lists = store.list_order();
    let Some(list_id) = store.list_of(card_id) else { return };
    let Some(list_index) = lists.iter().position(|l| *l == list_id) else { return };
    let index = store.cards_in(list_id).iter().position(|id| *id == card_id).unwrap_or(0);
    let k = KeyboardMove { card_id, list_index, index };
    store.drag.keyboard.set(Some(k));
    let place = show_keyboard_target(store, k, &lists);
    store.announce.set(format!(
        "Picked up card. {place} Use the arrow keys to choose a list and a place, Enter to drop, Escape to cancel."
    ));
}

/// Shows the drop indicator where a keyboard-held card would land, and says where that is.
fn show_keyboard_target(store: BoardStore, k: KeyboardMove, lists: &[Uuid]) -> String {
    let Some(list_id) = lists.get(k.list_index).copied() else { return String::new() };
    store.drag.card_target.set(card_target_at_index(list_id, k.card_id, k.index));
    if let Some(col) = util::query(&format!(".list-column[data-list-id=\"{list_id}\"]")) {
        col.scroll_into_view_with_bool(false);
    }
    format!("{}, position {}.", list_name(store, list_id), k.index + 1)
}

fn list_name(store: BoardStore, list_id: Uuid) -> String {
    store.list(list_id).map(|l| l.title.get_untracked()).unwrap_or_else(|| "the list".into())
}

/// A card that changed lists is a new element: give it the focus back once it is drawn.
pub fn refocus(card_id: Uuid) {
    request_animation_frame(move || {
        if let Some(el) = util::card_element(&card_id) {
            let _ = el.focus();
        }
    });
}

// --- FLIP ----------------------------------------------------------------------------------------------

/// Someone else moved a card: slide it from where it was (`before`) to where it is now.
pub fn animate_from(card_id: Uuid, before: DomRect) {
    let reduce = window().match_media("(prefers-reduced-motion: reduce)").ok().flatten().is_some_and(|m| m.matches());
    if reduce {
        return;
    }
    request_animation_frame(move || {
        let Some(el) = util::card_element(&card_id) else { return };
        let after = el.get_bounding_client_rect();
        let (dx, dy) = (before.left() - after.left(), before.top() - after.top());
        if dx.abs() < 1.0 && dy.abs() < 1.0 {
            return;
        }
        let frames = js_sys::Array::new();
        for (transform, shadow) in [
            (format!("translate({dx}px, {dy}px)"), "0 8px 24px rgba(0,0,0,.25)"),
            ("translate(0, 0)".to_string(), "var(--card-shadow)"),
        ] {
            let frame = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&frame, &"transform".into(), &JsValue::from_str(&transform));
            let _ = js_sys::Reflect::set(&frame, &"boxShadow".into(), &JsValue::from_str(shadow));
            frames.push(&frame);
        }
        // `Element.animate` is behind web-sys' unstable flag, so it is called through JS reflection.
        if let Some(animate) =
            js_sys::Reflect::get(&el, &"animate".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        {
            let _ = animate.call2(&el, &frames, &JsValue::from_f64(320.0));
        }
    });
}
