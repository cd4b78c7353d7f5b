//! FLIP animation of other people's moves: a card someone else moved slides from where it was to its new
//! place, so the change is seen rather than only found.

use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::DomRect;

use crate::util;

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
