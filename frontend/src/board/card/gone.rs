//! What the card dialog shows once someone else has deleted the card: one message, Save switched off, and
//! the text that was in the dialog, read-only, with a button to copy it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::util;

#[component]
pub fn CardGone(text: String, on_close: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let area = NodeRef::<leptos::html::Textarea>::new();
    let copy_button = NodeRef::<leptos::html::Button>::new();
    // The form that had focus is gone: the way to keep the text is the next thing to reach.
    util::focus_when_shown(copy_button);
    let copied = RwSignal::new(None::<bool>);
    let copy = {
        let text = text.clone();
        move |_| {
            if let Some(area) = area.get_untracked() {
                copy_text(&area, text.clone(), copied);
            }
        }
    };
    let status = move || match copied.get() {
        Some(true) => "Copied.",
        Some(false) => "The browser did not allow copying: the text is selected, press Ctrl+C (⌘C on a Mac).",
        None => "",
    };
    view! {
        <div class="notice notice-error" role="alert" data-testid="card-deleted">
            "This card was archived or deleted by someone else, so it can no longer be saved. Copy your text if you want to keep it."
        </div>
        <label class="field">
            <span>"Your text"</span>
            <textarea node_ref=area rows="8" readonly data-testid="card-deleted-text" prop:value=text></textarea>
        </label>
        <div class="row card-gone-copy">
            <button type="button" class="btn" node_ref=copy_button on:click=copy>"Copy text"</button>
            <span class="small muted" role="status">{status}</span>
        </div>
        <div class="row end">
            <button type="button" class="btn btn-ghost" on:click=move |_| on_close()>"Close"</button>
            <button type="button" class="btn btn-primary" disabled title="The card was deleted">"Save"</button>
        </div>
    }
}

/// Selects the text first, so that even where copying is refused it is one Ctrl+C away.
fn copy_text(area: &web_sys::HtmlTextAreaElement, text: String, done: RwSignal<Option<bool>>) {
    area.select();
    let navigator = window().navigator();
    // Browsers offer the Clipboard API only on https and localhost: a server on plain http has none.
    let has_api = js_sys::Reflect::get(&navigator, &"clipboard".into()).is_ok_and(|c| !c.is_undefined());
    if has_api {
        let written = navigator.clipboard().write_text(&text);
        spawn_local(async move {
            let ok = wasm_bindgen_futures::JsFuture::from(written).await.is_ok();
            done.set(Some(ok));
        });
    } else {
        let ok = document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
            .and_then(|d| d.exec_command("copy").ok())
            .unwrap_or(false);
        done.set(Some(ok));
    }
}
