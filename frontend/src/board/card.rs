//! A card on the board (`CardTile`, with its `badges`) and the card's dialog (`dialog`): its text with a
//! draft kept (`text`, `draft`) and offered for copying if the card goes meanwhile (`gone`), and one module
//! per section (labels, members, dates, checklists, comments, actions), fed by `detail`.

mod actions;
mod badges;
pub mod checklists;
pub mod comments;
mod dates;
pub mod detail;
mod dialog;
mod draft;
mod gone;
mod icons;
mod label_editor;
mod labels;
mod members;
mod text;
mod toggles;
pub mod when;

use corkboard_protocol::Role;
use leptos::prelude::*;
use uuid::Uuid;

use self::badges::CardBadges;
pub use self::dialog::CardDialogHost;
use super::dnd::{self, DragItem, DragUi};
use super::store::BoardStore;
use super::ui::{Announcer, OpenCard};

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
            <CardBadges card=card.clone()/>
        </div>
    }
    .into_any()
}
