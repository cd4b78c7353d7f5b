//! Small browser helpers that several features share.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A fresh id for a `client_op_id` (a UUID v4: letters, digits and '-', which the protocol accepts).
pub fn new_op_id() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        // Only very old browsers lack randomUUID; the time and Math.random keep ids distinct enough there.
        .unwrap_or_else(|| format!("op-{}-{}", js_sys::Date::now() as u64, (js_sys::Math::random() * 1e9) as u64))
}

/// Two letters for an avatar: the initials of the first two words, or the first two characters.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let s: String = if words.len() >= 2 {
        words.iter().take(2).filter_map(|w| w.chars().next()).collect()
    } else {
        name.chars().take(2).collect()
    };
    s.to_uppercase()
}

/// A stable hue for a user, so everyone sees the same colour for the same person.
pub fn hue_for(id: &uuid::Uuid) -> u32 {
    id.as_bytes().iter().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(*b as u32)) % 360
}

/// The element carrying `data-card-id="<id>"`, if it is on the page.
pub fn card_element(card_id: &uuid::Uuid) -> Option<web_sys::HtmlElement> {
    query(&format!("[data-card-id=\"{card_id}\"]"))
}

pub fn query(selector: &str) -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
}

pub fn query_all(root: &web_sys::Element, selector: &str) -> Vec<web_sys::HtmlElement> {
    let mut out = Vec::new();
    if let Ok(list) = root.query_selector_all(selector) {
        for i in 0..list.length() {
            if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) {
                out.push(e);
            }
        }
    }
    out
}

/// Random in [0, 1), for backoff jitter.
pub fn random() -> f64 {
    js_sys::Math::random()
}

pub fn is_online() -> bool {
    web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true)
}

/// Focuses (and selects) a field each time it appears: `autofocus` only works for elements present at load.
pub fn focus_when_shown<E>(node: NodeRef<E>)
where
    E: leptos::html::ElementType,
    E::Output: wasm_bindgen::JsCast + Clone + 'static,
    NodeRef<E>: Get<Value = Option<E::Output>>,
{
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let el: &web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_ref(&el);
            let _ = el.focus();
        }
    });
}
