//! A card on the board (`CardTile`), the dialog to edit one (`CardDialog`), and `Modal`.

use corkboard_protocol::{Card, ErrorCode, Role, UpdateCardRequest, validate_description, validate_title};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::dnd::{self, DragItem, DragUi};
use super::store::BoardStore;
use super::ui::{Announcer, OpenCard};
use crate::api;
use crate::toast::Toasts;

#[component]
pub fn CardTile(card_id: Uuid) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let drag = expect_context::<DragUi>();
    let open_card = expect_context::<OpenCard>();
    let announcer = expect_context::<Announcer>();
    let Some(card) = store.card(card_id) else { return ().into_any() };
    let title = {
        let card = card.clone();
        // A text node: Leptos escapes it, so a title like `<img onerror=…>` shows as the characters typed.
        move || card.with(|c| c.title.clone())
    };
    let has_description = {
        let card = card.clone();
        move || card.with(|c| !c.description.trim().is_empty())
    };
    let dragging = {
        let sel = drag.dragged_card.get_value();
        move || sel.selected(&Some(card_id))
    };
    let lifted = {
        let sel = drag.lifted_card.get_value();
        move || sel.selected(&Some(card_id))
    };
    let can_edit = move || store.my_role.get().is_some_and(Role::can_edit);

    let on_down = {
        let card = card.clone();
        move |ev: leptos::ev::PointerEvent| {
            dnd::press(drag, DragItem::Card(card_id), &ev, card.with_untracked(|c| c.title.clone()))
        }
    };
    let on_click = move |_| {
        if !drag.just_dropped() {
            open_card.0.set(Some(card_id));
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        if dnd::keyboard::card_key(drag, card_id, &ev.key()) {
            ev.prevent_default();
        }
    };
    let on_blur = move |_| {
        // Leaving a picked-up card with Tab (or a click elsewhere) cancels the keyboard move.
        if drag.keyboard.get_untracked().is_some_and(|k| k.card_id == card_id) {
            drag.keyboard.set(None);
            drag.card_target.set(None);
            announcer.say("Move cancelled.");
        }
    };

    // A `div`, not an `article`: only some elements may take the `listitem` role. The visible keyboard hint
    // is the tile's `::after` (style.css): no extra element per card on a board of 1,000.
    view! {
        <div
            class="card-tile"
            class:is-dragged=dragging
            class:is-lifted=lifted
            class:draggable=can_edit
            role="listitem"
            tabindex="0"
            data-card-id=card_id.to_string()
            data-testid="card"
            aria-describedby="card-help"
            on:pointerdown=on_down
            on:click=on_click
            on:keydown=on_key
            on:blur=on_blur
            on:contextmenu=move |ev| dnd::suppress_context_menu(drag, &ev)
        >
            <span class="card-title">{title}</span>
            <Show when=has_description>
                <span class="card-meta" title="This card has a description">
                    <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true"><path fill="currentColor" d="M4 6h16v2H4zm0 5h16v2H4zm0 5h10v2H4z"/></svg>
                </span>
            </Show>
        </div>
    }
    .into_any()
}

/// Shows the dialog for the card in `OpenCard`.
#[component]
pub fn CardDialogHost() -> impl IntoView {
    let open_card = expect_context::<OpenCard>();
    move || open_card.0.get().map(|id| view! { <CardDialog card_id=id/> })
}

/// Edits a card's title and description. Saves with `expected_version`, so a change someone else made
/// meanwhile is never silently overwritten: the conflict is explained and their text shown.
#[component]
fn CardDialog(card_id: Uuid) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let open_card = expect_context::<OpenCard>();
    let toasts = expect_context::<Toasts>();
    let live = store.card(card_id);
    let start = live.as_ref().map(|c| c.get_untracked());
    let can_edit = move || store.my_role.get().is_some_and(Role::can_edit);
    let close = move || {
        open_card.0.set(None);
        // Back to the card the dialog was opened from, so keyboard users keep their place.
        dnd::keyboard::refocus(card_id);
    };

    let Some(start) = start else {
        return view! {
            <Modal on_close=close label="Card">
                <p>"This card no longer exists."</p>
                <div class="row end"><button class="btn" on:click=move |_| close()>"Close"</button></div>
            </Modal>
        }
        .into_any();
    };

    let title = RwSignal::new(start.title.clone());
    let description = RwSignal::new(start.description.clone());
    // The version our edits are based on.
    let base = RwSignal::new(start.clone());
    let conflict = RwSignal::new(None::<Card>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let live_card = move || live.as_ref().map(|c| c.get());
    let deleted = move || {
        store.revision.track();
        store.card(card_id).is_none()
    };
    // Set before our own delete, so only someone else's is announced.
    let deleting = StoredValue::new(false);
    Effect::new(move |was_deleted: Option<bool>| {
        let now = deleted();
        if now && was_deleted == Some(false) && !deleting.get_value() {
            toasts.info("The card you had open was deleted by someone else.");
        }
        now
    });
    // Someone changed the card while the dialog is open (seen live, before we even try to save).
    let changed_meanwhile = {
        let live_card = live_card.clone();
        move || {
            live_card().is_some_and(|c| {
                let b = base.get();
                c.version > b.version && (c.title != b.title || c.description != b.description)
            })
        }
    };
    let dirty = move || base.with(|b| title.get() != b.title || description.get() != b.description);
    let title_error = move || validate_title(&title.get()).err().map(|e| format!("Title {e}"));
    let desc_error = move || validate_description(&description.get()).err().map(|e| format!("Description {e}"));

    let save = move |expected: i64| {
        if title_error().is_some() || desc_error().is_some() || busy.get_untracked() {
            return;
        }
        let b = base.get_untracked();
        let t = validate_title(&title.get_untracked()).unwrap_or_default();
        let d = description.get_untracked();
        let req = UpdateCardRequest {
            title: (t != b.title).then_some(t),
            description: (d != b.description).then_some(d),
            expected_version: Some(expected),
        };
        if req.title.is_none() && req.description.is_none() {
            close();
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::update_card(card_id, req).await {
                Ok(card) => {
                    store.put_card(card);
                    open_card.0.set(None);
                    dnd::keyboard::refocus(card_id);
                }
                Err(e) if e.is(ErrorCode::VersionConflict) => {
                    if let Some(current) = e.card.clone() {
                        store.put_card(current.clone());
                        conflict.set(Some(current));
                    } else {
                        error.set(Some(e.message));
                    }
                }
                Err(e) => {
                    error.set(Some(e.message.clone()));
                    if e.is_unauthorized() {
                        store.report(e, "Could not save");
                    }
                }
            }
            busy.set(false);
        });
    };
    let use_theirs = move |_| {
        if let Some(c) = conflict.get_untracked() {
            title.set(c.title.clone());
            description.set(c.description.clone());
            base.set(c);
        }
        conflict.set(None);
    };
    let keep_mine = move |_| {
        if let Some(c) = conflict.get_untracked() {
            // The user has seen their text: now overwriting it is a choice, not an accident.
            base.set(c.clone());
            conflict.set(None);
            save(c.version);
        }
    };
    let delete = move |_| {
        if !window().confirm_with_message("Delete this card? This cannot be undone.").unwrap_or(false) {
            return;
        }
        deleting.set_value(true);
        spawn_local(async move {
            match api::delete_card(card_id).await {
                Ok(()) => {
                    store.drop_card(card_id);
                    open_card.0.set(None);
                }
                Err(e) => {
                    deleting.set_value(false);
                    error.set(Some(e.message));
                }
            }
        });
    };
    let list_name =
        move || store.list_of(card_id).and_then(|l| store.list(l)).map(|l| l.title.get()).unwrap_or_default();

    view! {
        <Modal on_close=close label="Edit card">
            <form class="card-dialog" on:submit=move |ev| { ev.prevent_default(); save(base.get_untracked().version); }>
                <p class="muted small">"In list " <strong>{list_name}</strong></p>
                <Show when=deleted>
                    <div class="notice notice-error" role="alert">"This card was deleted by someone else. Saving is no longer possible."</div>
                </Show>
                <label class="field">
                    <span>"Title"</span>
                    <input class="card-dialog-title" data-testid="card-title-input" prop:value=title readonly=move || !can_edit()
                        autofocus on:input=move |ev| title.set(event_target_value(&ev))/>
                    {move || title_error().map(|e| view! { <small class="field-error">{e}</small> })}
                </label>
                <label class="field">
                    <span>"Description"</span>
                    <textarea rows="8" data-testid="card-description-input" prop:value=description readonly=move || !can_edit()
                        placeholder=move || if can_edit() { "Add more detail…" } else { "No description." }
                        on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                    {move || desc_error().map(|e| view! { <small class="field-error">{e}</small> })}
                </label>
                <Show when=move || changed_meanwhile() && conflict.with(Option::is_none)>
                    <div class="notice" role="status">
                        "Someone else just changed this card. Saving will ask you which version to keep."
                    </div>
                </Show>
                {move || conflict.get().map(|c| view! {
                    <div class="conflict" role="alert" data-testid="conflict">
                        <strong>"This card was changed by someone else while you were editing."</strong>
                        <p>"Nothing was overwritten. Their version (now version " {c.version} "):"</p>
                        <div class="conflict-theirs">
                            <div class="conflict-title">{c.title.clone()}</div>
                            <pre class="conflict-desc">{if c.description.is_empty() { "(no description)".to_string() } else { c.description.clone() }}</pre>
                        </div>
                        <p>"Your text is still in the fields above."</p>
                        <div class="row">
                            <button type="button" class="btn btn-sm" on:click=use_theirs>"Use their version"</button>
                            <button type="button" class="btn btn-sm btn-danger" on:click=keep_mine>"Overwrite with mine"</button>
                        </div>
                    </div>
                })}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="row">
                    <Show when=can_edit>
                        <button type="button" class="btn btn-ghost btn-danger-text" on:click=delete>"Delete card"</button>
                    </Show>
                    <div class="spacer"></div>
                    <button type="button" class="btn btn-ghost" on:click=move |_| close()>
                        {move || if can_edit() && dirty() { "Discard" } else { "Close" }}
                    </button>
                    <Show when=can_edit>
                        <button type="submit" class="btn btn-primary" disabled=move || busy.get() || !dirty() || conflict.with(Option::is_some)>
                            {move || if busy.get() { "Saving…" } else { "Save" }}
                        </button>
                    </Show>
                </div>
            </form>
        </Modal>
    }
    .into_any()
}

/// A modal dialog: backdrop click or Escape closes it; focus moves into it when it opens.
#[component]
pub fn Modal(
    on_close: impl Fn() + Clone + Send + Sync + 'static,
    #[prop(into)] label: String,
    children: Children,
) -> impl IntoView {
    let close_backdrop = on_close.clone();
    let close_key = on_close.clone();
    let node = NodeRef::<leptos::html::Div>::new();
    // `autofocus` does nothing for elements inserted after load, so focus the first field by hand.
    Effect::new(move |_| {
        if let Some(el) = node.get()
            && let Ok(Some(first)) = el.query_selector("input, textarea, button")
            && let Ok(first) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(first)
        {
            let _ = first.focus();
        }
    });
    let esc = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            close_key();
        }
    });
    on_cleanup(move || esc.remove());
    view! {
        <div class="modal-backdrop" on:pointerdown=move |ev| {
            if ev.target() == ev.current_target() { close_backdrop() }
        }>
            <div class="modal" role="dialog" aria-modal="true" aria-label=label node_ref=node>
                {children()}
            </div>
        </div>
    }
}
