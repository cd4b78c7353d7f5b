//! FLIP animation of other people's moves: a card someone else moved is seen travelling from where it was to
//! its new place, so the change is seen rather than only found.
//!
//! The card that travels is a copy laid over the page (`position: fixed`), not the card itself: the card now
//! sits in its new list, whose scrolling box would clip it anywhere outside that list, so animating the card
//! itself showed a cut-off stub sliding in from the list's edge. The real card waits invisible in its new slot
//! (still focusable and in the accessibility tree) until the copy lands on it.

use leptos::prelude::*;
use std::time::Duration;
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DomRect, HtmlElement};

use crate::util;

const TRAVEL_MS: f64 = 320.0;

/// Attributes that make an element findable or focusable: the copy has none of them.
const IDENTIFYING: [&str; 6] = ["id", "data-testid", "data-card-id", "tabindex", "role", "aria-describedby"];

/// Someone else moved a card: show it travelling from where it was (`before`) to where it is now.
pub fn animate_from(card_id: Uuid, before: DomRect) {
    let reduce = window().match_media("(prefers-reduced-motion: reduce)").ok().flatten().is_some_and(|m| m.matches());
    if reduce {
        return;
    }
    request_animation_frame(move || {
        let Some(card) = util::card_element(&card_id) else { return };
        let after = card.get_bounding_client_rect();
        let (dx, dy) = (before.left() - after.left(), before.top() - after.top());
        if dx.abs() < 1.0 && dy.abs() < 1.0 {
            return;
        }
        let Some(copy) = travelling_copy(&card, &after) else { return };
        let _ = card.style().set_property("opacity", "0");
        let _ = card.style().set_property("animation", "none");
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
            js_sys::Reflect::get(&copy, &"animate".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        {
            let _ = animate.call2(&copy, &frames, &JsValue::from_f64(TRAVEL_MS));
        }
        set_timeout(
            move || {
                copy.remove();
                let _ = card.style().remove_property("opacity");
            },
            Duration::from_millis(TRAVEL_MS as u64),
        );
    });
}

/// A look-alike of `card`, fixed over the page at `at`, that nothing can find, focus or read out.
fn travelling_copy(card: &HtmlElement, at: &DomRect) -> Option<HtmlElement> {
    let copy: HtmlElement = card.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
    for attr in IDENTIFYING {
        let _ = copy.remove_attribute(attr);
    }
    if let Ok(inner) = copy.query_selector_all("[id], [data-testid], [tabindex]") {
        for i in 0..inner.length() {
            if let Some(el) = inner.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) {
                for attr in IDENTIFYING {
                    let _ = el.remove_attribute(attr);
                }
            }
        }
    }
    let _ = copy.set_attribute("aria-hidden", "true");
    let _ = copy.class_list().add_1("card-travelling");
    let style = copy.style();
    for (name, value) in [
        ("left", format!("{}px", at.left())),
        ("top", format!("{}px", at.top())),
        ("width", format!("{}px", at.width())),
        ("height", format!("{}px", at.height())),
    ] {
        let _ = style.set_property(name, &value);
    }
    document().body()?.append_child(&copy).ok()?;
    Some(copy)
}
