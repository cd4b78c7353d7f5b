//! Dialogs and panels that hold the keyboard while they are open: `trap_focus` (focus moves in, Tab and
//! Shift+Tab cycle inside, Escape closes, focus goes back where it came from), `Modal` and `ConfirmDialog`
//! built on it. Every dialog and panel of the app uses `trap_focus`, so they all behave the same way.

use std::cell::{Cell, RefCell};

use leptos::html::Div;
use leptos::portal::Portal;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent};

use crate::util;

const TABBABLE: &str = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), \
     select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

thread_local! {
    /// The traps now open, innermost last. Only the innermost one answers Tab and Escape, so Escape in a
    /// confirmation on top of the card dialog closes the confirmation and not both.
    static OPEN: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

fn next_id() -> u64 {
    NEXT_ID.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

/// Holds the keyboard inside `root` for as long as the calling component lives.
///
/// On open, focus goes to the element marked `data-autofocus`, else the first focusable one. Tab and
/// Shift+Tab cycle through what is focusable inside; Escape calls `on_escape`. On close, focus goes back to
/// `return_to` (a CSS selector: the element that opened it may have been redrawn meanwhile) if it is on the
/// page, else to the element that had focus when the trap opened.
pub fn trap_focus(root: NodeRef<Div>, on_escape: impl Fn() + 'static, return_to: Option<String>) {
    let id = next_id();
    OPEN.with(|o| o.borrow_mut().push(id));
    let opener = StoredValue::new_local(document().active_element());

    Effect::new(move |_| {
        if let Some(root) = root.get() {
            let marked = util::query_all(&root, "[data-autofocus]").into_iter().find(is_shown);
            match marked.or_else(|| tabbables(&root).into_iter().next()) {
                Some(el) => {
                    let _ = el.focus();
                }
                None => {
                    let _ = root.focus();
                }
            }
        }
    });

    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.is_composing() || OPEN.with(|o| o.borrow().last() != Some(&id)) {
            return;
        }
        let Some(root) = root.get_untracked() else { return };
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                on_escape();
            }
            "Tab" => cycle(&root, &ev),
            _ => {}
        }
    });

    on_cleanup(move || {
        keys.remove();
        OPEN.with(|o| o.borrow_mut().retain(|x| *x != id));
        let opener = opener.try_get_value().flatten();
        // After this frame's redraw: the card tile that opened a dialog may only now be back on the page.
        request_animation_frame(move || {
            let target = return_to
                .as_deref()
                .and_then(util::query)
                .or_else(|| opener.filter(|e| e.is_connected()).and_then(|e| e.dyn_into::<HtmlElement>().ok()));
            if let Some(el) = target {
                let _ = el.focus();
            }
        });
    });
}

fn is_shown(el: &HtmlElement) -> bool {
    el.offset_width() > 0 || el.offset_height() > 0
}

fn tabbables(root: &Element) -> Vec<HtmlElement> {
    util::query_all(root, TABBABLE).into_iter().filter(is_shown).collect()
}

/// Tab from the last element goes to the first, Shift+Tab from the first to the last; from anywhere outside
/// (the page behind, or the dialog itself) it goes back in.
fn cycle(root: &HtmlElement, ev: &KeyboardEvent) {
    let items = tabbables(root);
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        ev.prevent_default();
        return;
    };
    let active = document().active_element();
    let is = |el: &HtmlElement| active.as_ref() == Some(el.unchecked_ref::<Element>());
    let inside =
        active.as_ref().is_some_and(|a| a != root.unchecked_ref::<Element>() && root.contains(Some(a.unchecked_ref())));
    let target = match (inside, ev.shift_key()) {
        (false, false) => Some(first),
        (false, true) => Some(last),
        (true, true) if is(first) => Some(last),
        (true, false) if is(last) => Some(first),
        _ => None,
    };
    if let Some(el) = target {
        ev.prevent_default();
        let _ = el.focus();
    }
}

/// A modal dialog on a dimmed backdrop: a click on the backdrop or Escape calls `on_close`.
#[component]
pub fn Modal(
    on_close: impl Fn() + Clone + Send + Sync + 'static,
    #[prop(into)] label: String,
    /// Where focus goes back to on close (see `trap_focus`).
    #[prop(optional, into)]
    return_to: Option<String>,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    trap_focus(node, on_close.clone(), return_to);
    view! {
        <div class="modal-backdrop" on:pointerdown=move |ev| {
            if ev.target() == ev.current_target() { on_close() }
        }>
            <div class="modal" role="dialog" aria-modal="true" aria-label=label tabindex="-1" node_ref=node>
                {children()}
            </div>
        </div>
    }
}

/// The app's own "are you sure?", shown while `open` is true. The safe button has the focus, so neither
/// Enter nor Escape destroys anything by accident; only the named action does.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    /// The question, e.g. `Delete the list “Ideas” and its 3 cards?`.
    #[prop(into)]
    question: Signal<String>,
    /// What follows from it, e.g. `This cannot be undone.`
    detail: &'static str,
    /// The action's button, e.g. `Delete list`.
    action: &'static str,
    on_confirm: Callback<()>,
) -> impl IntoView {
    view! {
        <Show when=move || open.get()>
            // On the body: a panel's or a list's own layout must never clip or offset the backdrop.
            <Portal>
                <ConfirmBody open=open question=question detail=detail action=action on_confirm=on_confirm/>
            </Portal>
        </Show>
    }
}

#[component]
fn ConfirmBody(
    open: RwSignal<bool>,
    question: Signal<String>,
    detail: &'static str,
    action: &'static str,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    let cancel = move || open.set(false);
    trap_focus(node, cancel, None);
    let id = next_id();
    let (question_id, detail_id) = (format!("confirm-{id}-q"), format!("confirm-{id}-d"));
    let (labelled_by, described_by) = (question_id.clone(), detail_id.clone());
    view! {
        <div class="modal-backdrop confirm-backdrop" on:pointerdown=move |ev| {
            if ev.target() == ev.current_target() { cancel() }
        }>
            <div class="modal confirm-dialog" role="alertdialog" aria-modal="true" aria-labelledby=labelled_by
                aria-describedby=described_by tabindex="-1" node_ref=node data-testid="confirm">
                <h2 id=question_id>{move || question.get()}</h2>
                <p id=detail_id class="muted">{detail}</p>
                <div class="row end">
                    <button type="button" class="btn" data-autofocus on:click=move |_| cancel()>"Cancel"</button>
                    <button type="button" class="btn btn-danger" on:click=move |_| {
                        open.set(false);
                        on_confirm.run(());
                    }>{action}</button>
                </div>
            </div>
        </div>
    }
}

/// "1 card", "3 cards": counts in sentences people read.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}
