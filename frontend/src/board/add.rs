//! `AddItem`: "+ Add a card" and "+ Add a list". One form that opens in place, checks the title with the
//! protocol's own rule, creates the item over REST and stays open for the next one.

use corkboard_protocol::validate_title;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::store::BoardStore;
use crate::api;
use crate::util;

/// What the form adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewItem {
    /// A card at the end of this list.
    Card(Uuid),
    /// A list at the end of the board.
    List,
}

/// The words and classes that differ between the two forms.
struct Words {
    open_button_class: &'static str,
    open_button_testid: &'static str,
    open_button: &'static str,
    form_class: &'static str,
    placeholder: &'static str,
    label: &'static str,
    submit: &'static str,
    failure: &'static str,
}

impl NewItem {
    fn words(self) -> &'static Words {
        match self {
            NewItem::Card(_) => &Words {
                open_button_class: "add-card-btn",
                open_button_testid: "add-card",
                open_button: "+ Add a card",
                form_class: "add-card",
                placeholder: "Card title",
                label: "New card title",
                submit: "Add card",
                failure: "Could not add the card",
            },
            NewItem::List => &Words {
                open_button_class: "add-list-btn",
                open_button_testid: "add-list",
                open_button: "+ Add a list",
                form_class: "add-list-form",
                placeholder: "List title",
                label: "New list title",
                submit: "Add list",
                failure: "Could not add the list",
            },
        }
    }
}

#[component]
pub fn AddItem(what: NewItem) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let words = what.words();
    let open = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // A card title may run long, so it gets a textarea; a list title is one line.
    let area = NodeRef::<leptos::html::Textarea>::new();
    let line = NodeRef::<leptos::html::Input>::new();
    util::focus_when_shown(area);
    util::focus_when_shown(line);

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
            let created = match what {
                NewItem::Card(list_id) => api::create_card(list_id, title.clone()).await.map(|c| store.put_card(c)),
                NewItem::List => api::create_list(store.board_id, title.clone()).await.map(|l| store.put_list(l)),
            };
            if let Err(e) = created {
                // Give the text back so nothing typed is lost.
                draft.set(title);
                error.set(Some(e.message.clone()));
                store.report(e, words.failure);
            }
        });
        // Ready for the next one, also after a click on the button.
        if let Some(el) = area.get_untracked() {
            let _ = el.focus();
        }
        if let Some(el) = line.get_untracked() {
            let _ = el.focus();
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        draft.set(event_target_value(&ev));
        error.set(None);
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" if !ev.shift_key() => {
            ev.prevent_default();
            submit();
        }
        "Escape" => open.set(false),
        _ => {}
    };
    let field = move || match what {
        NewItem::Card(_) => view! {
            <textarea node_ref=area rows="2" placeholder=words.placeholder aria-label=words.label prop:value=draft
                on:input=on_input on:keydown=on_key></textarea>
        }
        .into_any(),
        NewItem::List => view! {
            <input node_ref=line placeholder=words.placeholder aria-label=words.label prop:value=draft
                on:input=on_input on:keydown=on_key/>
        }
        .into_any(),
    };

    let body = move || {
        if open.get() {
            view! {
                <form class=words.form_class on:submit=move |ev| { ev.prevent_default(); submit(); }>
                    {field}
                    {move || error.get().map(|e| view! { <small class="field-error">{e}</small> })}
                    <div class="row">
                        <button class="btn btn-primary btn-sm" type="submit">{words.submit}</button>
                        <button class="btn btn-ghost btn-sm" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    </div>
                </form>
            }
            .into_any()
        } else {
            view! {
                <button class=words.open_button_class data-testid=words.open_button_testid on:click=move |_| open.set(true)>
                    {words.open_button}
                </button>
            }
            .into_any()
        }
    };
    match what {
        // The list form takes a column's place on the board, so it needs the column's box.
        NewItem::List => view! { <div class="add-list">{body}</div> }.into_any(),
        NewItem::Card(_) => body.into_any(),
    }
}
