//! A list column: its title (renamed in place), its cards, the drop indicator, and "add a card".

use corkboard_protocol::{Role, validate_title};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::card::CardTile;
use super::dnd::{self, DragItem};
use super::store::BoardStore;
use crate::api;

#[component]
pub fn ListColumn(list_id: Uuid) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let Some(slot) = store.list(list_id) else { return ().into_any() };
    let can_edit = move || store.my_role.get().is_some_and(Role::can_edit);
    let title = slot.title.clone();
    let card_ids = slot.card_ids.clone();
    let count = {
        let ids = card_ids.clone();
        move || ids.with(Vec::len)
    };
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let title_input = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(title_input);
    let is_dragged = move || store.drag.dragging.get() == Some(DragItem::List(list_id));
    let indicator = move || {
        store.drag.card_target.get().filter(|t| t.list_id == list_id).map(|t| {
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
                    store.toasts.error(format!("List title {e}."));
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
    let delete_list = {
        let title = title.clone();
        move |_| {
            let n = store.cards_in(list_id).len();
            let question =
                format!("Delete the list \"{}\" and its {n} card(s)? This cannot be undone.", title.get_untracked());
            if !window().confirm_with_message(&question).unwrap_or(false) {
                return;
            }
            spawn_local(async move {
                match api::delete_list(list_id).await {
                    Ok(()) => store.drop_list(list_id),
                    Err(e) => store.report(e, "Could not delete the list"),
                }
            });
        }
    };
    let on_header_down = {
        let title = title.clone();
        move |ev: leptos::ev::PointerEvent| {
            if !editing.get_untracked() {
                dnd::press(store, DragItem::List(list_id), &ev, title.get_untracked());
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
                <Show when=can_edit>
                    <button class="icon-btn" title="Delete list" aria-label="Delete list" on:click=delete_list.clone()>
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
                <AddCard list_id=list_id/>
            </Show>
        </section>
    }
    .into_any()
}

#[component]
fn AddCard(list_id: Uuid) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let open = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<leptos::html::Textarea>::new();
    focus_when_shown(input);

    let submit = move || {
        let title = match validate_title(&draft.get_untracked()) {
            Ok(t) => t,
            Err(e) => {
                error.set(Some(format!("Title {e}")));
                return;
            }
        };
        draft.set(String::new());
        error.set(None);
        spawn_local(async move {
            match api::create_card(list_id, title.clone()).await {
                Ok(card) => store.put_card(card),
                Err(e) => {
                    // Give the text back so nothing typed is lost.
                    draft.set(title);
                    error.set(Some(e.message.clone()));
                    store.report(e, "Could not add the card");
                }
            }
        });
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };

    view! {
        {move || if open.get() {
            view! {
                <form class="add-card" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                    <textarea node_ref=input rows="2" placeholder="Card title" aria-label="New card title"
                        prop:value=draft
                        on:input=move |ev| { draft.set(event_target_value(&ev)); error.set(None); }
                        on:keydown=move |ev| match ev.key().as_str() {
                            "Enter" if !ev.shift_key() => { ev.prevent_default(); submit(); }
                            "Escape" => open.set(false),
                            _ => {}
                        }></textarea>
                    {move || error.get().map(|e| view! { <small class="field-error">{e}</small> })}
                    <div class="row">
                        <button class="btn btn-primary btn-sm" type="submit">"Add card"</button>
                        <button class="btn btn-ghost btn-sm" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    </div>
                </form>
            }.into_any()
        } else {
            view! {
                <button class="add-card-btn" data-testid="add-card" on:click=move |_| open.set(true)>"+ Add a card"</button>
            }.into_any()
        }}
    }
}

#[component]
pub fn AddList() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let open = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(input);
    let submit = move || {
        let title = match validate_title(&draft.get_untracked()) {
            Ok(t) => t,
            Err(e) => {
                error.set(Some(format!("Title {e}")));
                return;
            }
        };
        draft.set(String::new());
        spawn_local(async move {
            match api::create_list(store.board_id, title.clone()).await {
                Ok(list) => store.put_list(list),
                Err(e) => {
                    draft.set(title);
                    error.set(Some(e.message.clone()));
                    store.report(e, "Could not add the list");
                }
            }
        });
    };
    view! {
        <div class="add-list">
            {move || if open.get() {
                view! {
                    <form class="add-list-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                        <input node_ref=input placeholder="List title" aria-label="New list title" prop:value=draft
                            on:input=move |ev| { draft.set(event_target_value(&ev)); error.set(None); }
                            on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }/>
                        {move || error.get().map(|e| view! { <small class="field-error">{e}</small> })}
                        <div class="row">
                            <button class="btn btn-primary btn-sm" type="submit">"Add list"</button>
                            <button class="btn btn-ghost btn-sm" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                        </div>
                    </form>
                }.into_any()
            } else {
                view! { <button class="add-list-btn" data-testid="add-list" on:click=move |_| open.set(true)>"+ Add a list"</button> }.into_any()
            }}
        </div>
    }
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
