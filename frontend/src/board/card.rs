//! A card on the board (`CardTile`) and the dialog to edit one (`CardDialog`), whose unsaved text is kept as
//! a draft (`draft`) and offered for copying if the card is deleted meanwhile (`gone`).

mod draft;
mod gone;

use corkboard_protocol::{Card, ErrorCode, Role, UpdateCardRequest, validate_description, validate_title};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use self::draft::Draft;
use self::gone::CardGone;
use super::dnd::{self, DragItem, DragUi};
use super::store::BoardStore;
use super::ui::{Announcer, OpenCard};
use crate::api;
use crate::dialog::{ConfirmDialog, Modal};
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
/// meanwhile is never silently overwritten: the conflict is explained and their text shown. What is typed
/// is kept as a draft until it is saved or discarded, so closing the dialog never loses it.
#[component]
fn CardDialog(card_id: Uuid) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let open_card = expect_context::<OpenCard>();
    let toasts = expect_context::<Toasts>();
    // Back to the card the dialog was opened from, so keyboard users keep their place.
    let return_to = format!("[data-card-id=\"{card_id}\"]");
    let Some(live) = store.card(card_id) else {
        let close = move || open_card.0.set(None);
        return view! {
            <Modal on_close=close label="Card" return_to=return_to>
                <p>"This card no longer exists."</p>
                <div class="row end"><button class="btn" on:click=move |_| close()>"Close"</button></div>
            </Modal>
        }
        .into_any();
    };
    let me = store.me();
    let can_edit = move || store.my_role.get().is_some_and(Role::can_edit);
    let start = live.get_untracked();
    // A draft holding the card's own text (saved since, here or elsewhere) has nothing left to restore.
    let restored = me
        .and_then(|user| draft::load(user, card_id))
        .filter(|d| d.title != start.title || d.description != start.description);

    let title = RwSignal::new(restored.as_ref().map_or(start.title.clone(), |d| d.title.clone()));
    let description = RwSignal::new(restored.as_ref().map_or(start.description.clone(), |d| d.description.clone()));
    // The version our edits are based on.
    let base = RwSignal::new(restored.as_ref().map_or(start.clone(), |d| d.base(&start)));
    let draft_restored = RwSignal::new(restored.is_some());
    let conflict = RwSignal::new(None::<Card>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let title_input = NodeRef::<leptos::html::Input>::new();

    let live_card: Signal<Card> = live.into();
    // Set before our own delete, so only someone else's shows the "deleted" view.
    let deleting = StoredValue::new(false);
    let gone = move || {
        store.revision.track();
        store.card(card_id).is_none() && !deleting.get_value()
    };
    let dirty = move || base.with(|b| title.get() != b.title || description.get() != b.description);

    // Every change is kept at once; typed back to the card's own text, nothing is.
    Effect::new(move |_| {
        let (t, d) = (title.get(), description.get());
        let Some(user) = me else { return };
        base.with(|b| {
            if t != b.title || d != b.description {
                draft::save(user, card_id, &Draft::new(t, d, b));
            } else {
                draft::clear(user, card_id);
            }
        });
    });
    // A newer version with the same text (a move raises the version too) is no conflict: edit on top of it.
    Effect::new(move |_| {
        let c = live_card.get();
        if base.with_untracked(|b| c.version > b.version && c.title == b.title && c.description == b.description) {
            base.set(c);
        }
    });
    // Someone changed the text while the dialog is open (seen live, before we even try to save).
    let changed_meanwhile = move || {
        live_card
            .with(|c| base.with(|b| c.version > b.version && (c.title != b.title || c.description != b.description)))
    };
    let title_error = move || validate_title(&title.get()).err().map(|e| format!("Title {e}"));
    let desc_error = move || validate_description(&description.get()).err().map(|e| format!("Description {e}"));

    // Escape, the backdrop and × close the dialog and keep the draft; saying so makes it a choice, not a loss.
    let close = move || {
        let kept = !gone() && can_edit() && dirty();
        if gone()
            && let Some(user) = me
        {
            // Its text was shown with a way to copy it; the card cannot be opened again to find the draft.
            draft::clear(user, card_id);
        }
        open_card.0.set(None);
        if kept {
            let name = base.with_untracked(|b| b.title.clone());
            toasts.info(format!("Your changes to “{name}” are kept as a draft. Open the card to finish them."));
        }
    };
    let discard_and_close = move || {
        if let Some(user) = me {
            draft::clear(user, card_id);
        }
        open_card.0.set(None);
    };
    let discard_draft = move |_| {
        let c = live_card.get_untracked();
        title.set(c.title.clone());
        description.set(c.description.clone());
        base.set(c);
        conflict.set(None);
        draft_restored.set(false);
        if let Some(user) = me {
            draft::clear(user, card_id);
        }
        if let Some(input) = title_input.get_untracked() {
            let _ = input.focus();
        }
    };

    let save = move |expected: i64| {
        if title_error().is_some() || desc_error().is_some() || busy.get_untracked() || gone() {
            return;
        }
        let b = base.get_untracked();
        let t = validate_title(&title.get_untracked()).unwrap_or_default();
        let d = description.get_untracked();
        let req = UpdateCardRequest {
            title: (t != b.title).then_some(t),
            description: (d != b.description).then_some(d),
            expected_version: Some(expected),
            client_op_id: Some(crate::util::new_op_id()),
            ..Default::default()
        };
        if req.title.is_none() && req.description.is_none() {
            discard_and_close();
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::update_card(card_id, req).await {
                Ok(card) => {
                    if let Some(user) = me {
                        draft::clear(user, card_id);
                    }
                    store.put_card(card);
                    open_card.0.set(None);
                }
                Err(e) if e.is(ErrorCode::VersionConflict) => {
                    if let Some(current) = e.card.clone() {
                        store.put_card(current.clone());
                        conflict.set(Some(current));
                    } else {
                        error.set(Some(e.message));
                    }
                }
                // Deleted between our last look and the save: the "deleted" view says so, once.
                Err(e) if e.is(ErrorCode::CardNotFound) => store.drop_card(card_id),
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
    let delete = Callback::new(move |()| {
        deleting.set_value(true);
        spawn_local(async move {
            match api::archive_card(card_id).await {
                Ok(_) => {
                    if let Some(user) = me {
                        draft::clear(user, card_id);
                    }
                    open_card.0.set(None);
                    store.drop_card(card_id);
                }
                Err(e) if e.is(ErrorCode::CardNotFound) => {
                    deleting.set_value(false);
                    store.drop_card(card_id);
                }
                Err(e) => {
                    deleting.set_value(false);
                    error.set(Some(e.message));
                }
            }
        });
    });
    let delete_question = Signal::derive(move || format!("Archive the card “{}”?", base.with(|b| b.title.clone())));
    let list_name =
        move || store.list_of(card_id).and_then(|l| store.list(l)).map(|l| l.title.get()).unwrap_or_default();
    let gone_text = move || {
        let text = format!("{}\n\n{}", title.get_untracked(), description.get_untracked());
        text.trim_end().to_string()
    };

    view! {
        <Modal on_close=close label="Edit card" return_to=return_to>
            <div class="card-dialog-head">
                <p class="muted small">{move || (!gone()).then(|| view! { "In list " <strong>{list_name}</strong> })}</p>
                <button type="button" class="icon-btn" aria-label="Close" title="Close" on:click=move |_| close()>"×"</button>
            </div>
            <Show when=move || !gone() fallback=move || view! { <CardGone text=gone_text() on_close=close/> }>
            <form class="card-dialog" on:submit=move |ev| { ev.prevent_default(); save(base.get_untracked().version); }>
                <Show when=move || draft_restored.get() && dirty()>
                    <div class="notice draft-notice" role="status" data-testid="draft-notice">
                        <span>"Unsaved draft restored"</span>
                        <span aria-hidden="true">"·"</span>
                        <button type="button" class="link-btn" on:click=discard_draft>"Discard"</button>
                    </div>
                </Show>
                <label class="field">
                    <span>"Title"</span>
                    <input class="card-dialog-title" data-testid="card-title-input" prop:value=title readonly=move || !can_edit()
                        node_ref=title_input data-autofocus on:input=move |ev| title.set(event_target_value(&ev))/>
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
                        "Someone else changed this card since you started. Saving will ask you which version to keep."
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
                        <button type="button" class="btn btn-ghost btn-danger-text" on:click=move |_| confirm_delete.set(true)>
                            "Archive card"
                        </button>
                    </Show>
                    <div class="spacer"></div>
                    {move || if can_edit() && dirty() {
                        view! { <button type="button" class="btn btn-ghost" on:click=move |_| discard_and_close()>"Discard changes"</button> }.into_any()
                    } else {
                        view! { <button type="button" class="btn btn-ghost" on:click=move |_| close()>"Close"</button> }.into_any()
                    }}
                    <Show when=can_edit>
                        <button type="submit" class="btn btn-primary" disabled=move || busy.get() || !dirty() || conflict.with(Option::is_some)>
                            {move || if busy.get() { "Saving…" } else { "Save" }}
                        </button>
                    </Show>
                </div>
            </form>
            </Show>
            <ConfirmDialog open=confirm_delete question=delete_question
                detail="It leaves the board and is kept with everything on it; an admin can restore it." action="Archive card"
                on_confirm=delete/>
        </Modal>
    }
    .into_any()
}
