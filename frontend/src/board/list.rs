//! `ListColumn`: a list's title (renamed in place, dragged by its header), its cards, the drop indicator, and
//! "add a card".

use corkboard_protocol::{Role, validate_title};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::add::{AddItem, NewItem};
use super::card::CardTile;
use super::dnd::{self, DragItem, DragUi};
use super::store::BoardStore;
use crate::api;
use crate::dialog::{self, ConfirmDialog};
use crate::toast::Toasts;
use crate::util;

#[component]
pub fn ListColumn(list_id: Uuid) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let drag = expect_context::<DragUi>();
    let toasts = expect_context::<Toasts>();
    let Some(slot) = store.list(list_id) else { return ().into_any() };
    let can_edit = move || store.my_role.get().is_some_and(Role::can_edit);
    let can_admin = move || store.my_role.get().is_some_and(Role::can_admin);
    let title = slot.title.clone();
    let card_ids = slot.card_ids.clone();
    let count = {
        let ids = card_ids.clone();
        move || ids.with(Vec::len)
    };
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let title_input = NodeRef::<leptos::html::Input>::new();
    util::focus_when_shown(title_input);
    let is_dragged = move || drag.dragging.get() == Some(DragItem::List(list_id));
    let indicator = move || {
        drag.card_target.get().filter(|t| t.list_id == list_id).map(|t| {
            view! { <div class="drop-indicator" data-testid="drop-indicator" style:top=format!("{}px", t.top)></div> }
        })
    };

    let save_title = {
        let title = title.clone();
        move || {
            editing.set(false);
            let t = match validate_title(&draft.get_untracked()) {
                Ok(t) => t,
                Err(e) => {
                    toasts.error(format!("List title {e}."));
                    return;
                }
            };
            if t == title.get_untracked() {
                return;
            }
            spawn_local(async move {
                match api::rename_list(list_id, t).await {
                    Ok(list) => store.put_list(list),
                    Err(e) => store.report(e, "Could not rename the list"),
                }
            });
        }
    };
    let confirm_delete = RwSignal::new(false);
    let delete_question = {
        let (title, count) = (title.clone(), count.clone());
        Signal::derive(move || {
            let name = title.get();
            match count() {
                0 => format!("Archive the list “{name}”? It has no cards."),
                n => format!("Archive the list “{name}” and its {}?", dialog::count(n, "card", "cards")),
            }
        })
    };
    let archive = Callback::new(move |()| {
        spawn_local(async move {
            match api::archive_list(list_id).await {
                Ok(_) => store.drop_list(list_id),
                Err(e) => store.report(e, "Could not archive the list"),
            }
        });
    });
    let on_header_down = {
        let title = title.clone();
        move |ev: leptos::ev::PointerEvent| {
            if !editing.get_untracked() {
                dnd::press(drag, DragItem::List(list_id), &ev, title.get_untracked());
            }
        }
    };

    let title_for_view = title.clone();
    let title_for_label = title.clone();
    let title_for_edit = title.clone();
    let save_title_blur = save_title.clone();
    view! {
        <section class="list-column" data-list-id=list_id.to_string() data-testid="list" class:is-dragged=is_dragged
            aria-label=move || title_for_label.get()>
            <header class="list-header" class:draggable=can_edit on:pointerdown=on_header_down>
                {move || if editing.get() {
                    let save_title = save_title.clone();
                    let save_title_blur = save_title_blur.clone();
                    view! {
                        <input node_ref=title_input class="list-title-input" aria-label="List title" prop:value=draft
                            on:input=move |ev| draft.set(event_target_value(&ev))
                            on:blur=move |_| if editing.get_untracked() { save_title_blur() }
                            on:keydown=move |ev| match ev.key().as_str() {
                                "Enter" => save_title(),
                                "Escape" => editing.set(false),
                                _ => {}
                            }/>
                    }.into_any()
                } else {
                    let title_for_edit = title_for_edit.clone();
                    let title_for_view = title_for_view.clone();
                    view! {
                        <h2 class="list-title" data-testid="list-title">
                            <button class="list-title-btn" disabled=move || !can_edit()
                                on:click=move |_| { draft.set(title_for_edit.get_untracked()); editing.set(true); }>
                                {move || title_for_view.get()}
                            </button>
                        </h2>
                    }.into_any()
                }}
                <span class="list-count" aria-label="cards">{count}</span>
                // Archiving a list is an admin's decision (API.md); editors archive cards.
                <Show when=can_admin>
                    <button class="icon-btn" title="Archive list" aria-label="Archive list" on:click=move |_| confirm_delete.set(true)>
                        <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9z"/></svg>
                    </button>
                </Show>
            </header>
            <div class="card-list" role="list">
                <For each=move || card_ids.get() key=|id| *id let:card_id>
                    <CardTile card_id=card_id/>
                </For>
                {indicator}
            </div>
            <Show when=can_edit>
                <AddItem what=NewItem::Card(list_id)/>
            </Show>
            <ConfirmDialog open=confirm_delete question=delete_question
                detail="It leaves the board with its cards, kept with everything on them." action="Archive list"
                on_confirm=archive/>
        </section>
    }
    .into_any()
}
