//! What can be done to the card as a whole: move it to another list, copy its address, archive it.

use corkboard_protocol::{ErrorCode, MoveTarget};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::detail::CardDetailState;
use super::text::CardText;
use crate::api;
use crate::board::store::BoardStore;
use crate::board::ui::{Announcer, OpenCard};
use crate::route::Route;
use crate::toast::Toasts;

#[component]
pub fn ActionsSection(state: CardDetailState, text: CardText, #[prop(into)] can_edit: Signal<bool>) -> impl IntoView {
    let card_id = state.card.with_untracked(|c| c.id);
    view! {
        <section class="card-section" aria-labelledby="card-actions-heading" data-testid="card-actions">
            <h3 id="card-actions-heading">"Actions"</h3>
            <Show when=move || can_edit.get()>
                <MoveCard card_id=card_id/>
            </Show>
            <div class="action-buttons">
                <CopyLink card_id=card_id/>
                <Show when=move || can_edit.get()>
                    <ArchiveCard state=state text=text/>
                </Show>
            </div>
        </section>
    }
}

/// A list and an end of it: the keyboard and touch way to move a card far, without dragging.
#[component]
fn MoveCard(card_id: Uuid) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let announcer = expect_context::<Announcer>();
    let list = RwSignal::new(store.list_of(card_id));
    let to_top = RwSignal::new(false);
    let lists = move || {
        store
            .list_ids
            .get()
            .into_iter()
            .filter_map(|id| store.list(id).map(|slot| (id, slot.title.get())))
            .collect::<Vec<_>>()
    };
    let do_move = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(list_id) = list.get_untracked() else { return };
        let target = if to_top.get_untracked() { MoveTarget::First } else { MoveTarget::End };
        // The same path as a drop: shown at once, sent once (exactly-once by its client_op_id), kept offline.
        store.move_card(card_id, list_id, target);
        let name = store.list(list_id).map(|s| s.title.get_untracked()).unwrap_or_default();
        let place = if to_top.get_untracked() { "top" } else { "bottom" };
        announcer.say(format!("Moved to the {place} of {name}."));
    };
    view! {
        <form class="move-card" on:submit=do_move aria-label="Move the card">
            <label class="field">
                <span>"Move to list"</span>
                <select data-testid="move-list" on:change=move |ev| list.set(uuid::Uuid::parse_str(&event_target_value(&ev)).ok())>
                    {move || lists().into_iter().map(|(id, title)| view! {
                        <option value=id.to_string() selected=move || list.get() == Some(id)>{title}</option>
                    }).collect_view()}
                </select>
            </label>
            <fieldset class="move-place">
                <legend class="sr-only">"Place in the list"</legend>
                <label><input type="radio" name="move-place" prop:checked=move || to_top.get() on:change=move |_| to_top.set(true)/>"Top"</label>
                <label><input type="radio" name="move-place" prop:checked=move || !to_top.get() on:change=move |_| to_top.set(false)/>"Bottom"</label>
                <button type="submit" class="btn btn-sm" data-testid="move-card">"Move"</button>
            </fieldset>
        </form>
    }
}

#[component]
fn CopyLink(card_id: Uuid) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let toasts = expect_context::<Toasts>();
    let copy = move |_| {
        let origin = window().location().origin().unwrap_or_default();
        let link = format!("{origin}{}", Route::Card(store.board_id, card_id).path());
        let navigator = window().navigator();
        // Browsers offer the Clipboard API only on https and localhost.
        let has_api = js_sys::Reflect::get(&navigator, &"clipboard".into()).is_ok_and(|c| !c.is_undefined());
        if !has_api {
            toasts.info(format!("This browser does not allow copying here. The card's link: {link}"));
            return;
        }
        let written = navigator.clipboard().write_text(&link);
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(written).await {
                Ok(_) => toasts.success("Link copied"),
                Err(_) => toasts.info(format!("The browser did not allow copying. The card's link: {link}")),
            }
        });
    };
    view! {
        <button type="button" class="btn btn-sm" data-testid="copy-link" on:click=copy>"Copy link"</button>
    }
}

/// Archiving is not losing: the card leaves the board with everything on it, and "Archived items" brings it
/// back to its place. So no "are you sure?", and the toast says where to find it.
#[component]
fn ArchiveCard(state: CardDetailState, text: CardText) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let toasts = expect_context::<Toasts>();
    let open_card = expect_context::<OpenCard>();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let archive = move |_| {
        let (card_id, title) = state.card.with_untracked(|c| (c.id, c.title.clone()));
        busy.set(true);
        error.set(None);
        text.leaving.set_value(true);
        spawn_local(async move {
            match api::archive_card(card_id).await {
                Ok(_) => {
                    text.forget_draft();
                    open_card.0.set(None);
                    store.drop_card(card_id);
                    toasts.success(format!("Archived “{title}”. Find it under Archived items to restore it."));
                }
                Err(e) if e.is(ErrorCode::CardNotFound) => {
                    text.leaving.set_value(false);
                    store.drop_card(card_id);
                }
                Err(e) => {
                    text.leaving.set_value(false);
                    if e.is_unauthorized() {
                        store.report(e, "Could not archive the card");
                    } else {
                        let _ = error.try_set(Some(format!("Could not archive the card: {}", e.message)));
                    }
                }
            }
            let _ = busy.try_set(false);
        });
    };
    view! {
        <button type="button" class="btn btn-sm" data-testid="archive-card" disabled=move || busy.get() on:click=archive>
            "Archive"
        </button>
        {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
    }
}
