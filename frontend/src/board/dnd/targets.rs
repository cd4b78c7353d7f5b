//! Where a drop would land, read from the page as it is drawn: the list column and the place among its cards
//! under the pointer (or for a card held by keyboard), and the place among the lists.

use corkboard_protocol::MoveTarget;
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use web_sys::{DomRect, HtmlElement};

use crate::util;

/// Where a dragged card would land: in `list_id`, at the place `to` names; `top` places the indicator line.
#[derive(Debug, Clone, PartialEq)]
pub struct CardTarget {
    pub list_id: Uuid,
    pub to: MoveTarget,
    pub index: usize,
    pub top: f64,
}

/// Where a dragged list would land; `left` places the indicator inside the board canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct ListTarget {
    pub after_id: Option<Uuid>,
    pub left: f64,
}

fn rect_contains_x(r: &DomRect, x: f64) -> bool {
    x >= r.left() && x <= r.right()
}

/// The list column under (or nearest to) the pointer, and where in it the card would go.
pub(super) fn card_target_at(x: f64, y: f64, dragged: Uuid) -> Option<CardTarget> {
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
    let (cards, rects) = others(container, "[data-card-id]", "data-card-id", dragged);
    let index = pick(&rects);
    let ids: Vec<Uuid> = cards.iter().filter_map(|e| e.get_attribute("data-card-id")?.parse().ok()).collect();
    let to = target_at_index(&ids, index);
    let base = container.get_bounding_client_rect().top() - container.scroll_top() as f64;
    let top = match (index.checked_sub(1).and_then(|i| rects.get(i)), rects.get(index)) {
        (Some(above), Some(below)) => (above.bottom() + below.top()) / 2.0,
        (Some(above), None) => above.bottom() + 4.0,
        (None, Some(below)) => below.top() - 4.0,
        (None, None) => base + 6.0,
    } - base;
    Some(CardTarget { list_id, to, index, top })
}

/// The place "index `index` among `others`" (the list's cards without the moved one) as an intent that survives
/// the list changing before the server sees it: the top and the bottom are the edges, which never go stale; a
/// place between two cards names both, so it still holds when one of them has moved away (API.md, "Card moves").
pub(super) fn target_at_index(others: &[Uuid], index: usize) -> MoveTarget {
    match (index.checked_sub(1).and_then(|i| others.get(i)), others.get(index)) {
        (None, _) => MoveTarget::First,
        (Some(_), None) => MoveTarget::End,
        (Some(after), Some(before)) => MoveTarget::After { after_id: *after, before_id: Some(*before) },
    }
}

/// The elements matching `selector` under `root` other than the dragged one (its id in `attr`), and their
/// boxes: the places a drop can go between.
fn others(root: &web_sys::Element, selector: &str, attr: &str, dragged: Uuid) -> (Vec<HtmlElement>, Vec<DomRect>) {
    let dragged = dragged.to_string();
    let items: Vec<HtmlElement> = util::query_all(root, selector)
        .into_iter()
        .filter(|e| e.get_attribute(attr).as_deref() != Some(dragged.as_str()))
        .collect();
    let rects = items.iter().map(|e| e.get_bounding_client_rect()).collect();
    (items, rects)
}

/// The id of the item just before `index`: what a drop there lands after (`None`: first).
fn id_before(items: &[HtmlElement], index: usize, attr: &str) -> Option<Uuid> {
    index
        .checked_sub(1)
        .and_then(|i| items.get(i))
        .and_then(|e| e.get_attribute(attr))
        .and_then(|s| Uuid::parse_str(&s).ok())
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

pub(super) fn list_target_at(x: f64, dragged: Uuid) -> Option<ListTarget> {
    let canvas = util::query(".board-canvas")?;
    let (columns, rects) = others(&canvas, ".list-column[data-list-id]", "data-list-id", dragged);
    let index = rects.iter().position(|r| x < r.left() + r.width() / 2.0).unwrap_or(rects.len());
    let after_id = id_before(&columns, index, "data-list-id");
    let base = canvas.get_bounding_client_rect().left() - canvas.scroll_left() as f64;
    let left = match (index.checked_sub(1).and_then(|i| rects.get(i)), rects.get(index)) {
        (_, Some(next)) => next.left() - 7.0,
        (Some(prev), None) => prev.right() + 5.0,
        (None, None) => 8.0,
    } - base;
    Some(ListTarget { after_id, left })
}
