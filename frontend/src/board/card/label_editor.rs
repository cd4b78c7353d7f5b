//! The board's label set, for admins: add a label (a colour from the palette, a name if wanted), rename,
//! recolour, delete (asked first: it comes off every card).

use corkboard_protocol::{Label, LabelColor};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::board::store::BoardStore;
use crate::dialog::ConfirmDialog;

fn parse_color(s: &str) -> LabelColor {
    LabelColor::ALL.into_iter().find(|c| c.as_str() == s).unwrap_or(LabelColor::Gray)
}

/// A colour select whose options are the palette, each named.
fn color_select(label: String, value: RwSignal<LabelColor>) -> impl IntoView {
    view! {
        <select aria-label=label class="color-select" data-color=move || value.get().as_str()
            on:change=move |ev| value.set(parse_color(&event_target_value(&ev)))>
            {LabelColor::ALL.into_iter().map(|c| view! {
                <option value=c.as_str() selected=move || value.get() == c>{c.as_str()}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
pub fn LabelEditor() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let name = RwSignal::new(String::new());
    let color = RwSignal::new(LabelColor::Green);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::create_label(store.board_id, color.get_untracked(), name.get_untracked().trim().to_owned()).await
            {
                Ok(label) => {
                    store.put_label(label);
                    name.set(String::new());
                }
                Err(e) => error.set(Some(
                    e.field("labels").or_else(|| e.field("name")).map_or(e.message.clone(), |m| format!("Label {m}")),
                )),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="label-editor" data-testid="label-editor">
            <ul class="label-edit-list">
                <For each=move || store.labels.get() key=|l| (l.id, l.name.clone(), l.color) let:label>
                    <LabelRow label=label/>
                </For>
            </ul>
            <form class="label-create" on:submit=create>
                <h4>"New label"</h4>
                <div class="row">
                    {color_select("New label's colour".into(), color)}
                    <input aria-label="New label's name (optional)" placeholder="Name (optional)" maxlength="64"
                        prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                    <button type="submit" class="btn btn-sm btn-primary" disabled=move || busy.get()>"Add"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </form>
        </div>
    }
}

#[component]
fn LabelRow(label: Label) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let id = label.id;
    let name = RwSignal::new(label.name.clone());
    let color = RwSignal::new(label.color);
    let error = RwSignal::new(None::<String>);
    let (saved_name, saved_color) = (label.name.clone(), label.color);
    let changed = {
        let saved_name = saved_name.clone();
        move || name.with(|n| n.trim() != saved_name) || color.get() != saved_color
    };
    let save = {
        let saved_name = saved_name.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let new_name = name.get_untracked().trim().to_owned();
            let new_color = color.get_untracked();
            let name_change = (new_name != saved_name).then_some(new_name);
            let color_change = (new_color != saved_color).then_some(new_color);
            if name_change.is_none() && color_change.is_none() {
                return;
            }
            error.set(None);
            spawn_local(async move {
                match api::update_label(id, name_change, color_change).await {
                    Ok(label) => store.put_label(label),
                    Err(e) => {
                        let _ = error.try_set(Some(e.field("name").map_or(e.message.clone(), |m| format!("Name {m}"))));
                    }
                }
            });
        }
    };
    let confirm = RwSignal::new(false);
    let what = if label.name.trim().is_empty() {
        format!("the {} label", label.color.as_str())
    } else {
        format!("the label “{}”", label.name)
    };
    let question = Signal::stored(format!("Delete {what}?"));
    let delete = Callback::new(move |()| {
        spawn_local(async move {
            match api::delete_label(id).await {
                Ok(()) => store.drop_label(id),
                Err(e) => store.report(e, "Could not delete the label"),
            }
        });
    });
    let row_name = if label.name.trim().is_empty() { label.color.as_str().to_owned() } else { label.name.clone() };
    view! {
        <li class="label-edit-row" data-testid="label-edit-row">
            <form class="row" on:submit=save>
                <span class="label-swatch" data-color=move || color.get().as_str() aria-hidden="true"></span>
                {color_select(format!("Colour of {row_name}"), color)}
                <input aria-label=format!("Name of {row_name}") placeholder="No name" maxlength="64" prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))/>
                <Show when=changed.clone()>
                    <button type="submit" class="btn btn-sm">"Save"</button>
                </Show>
                <button type="button" class="icon-btn" aria-label=format!("Delete {row_name}") title="Delete label"
                    on:click=move |_| confirm.set(true)>"×"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <ConfirmDialog open=confirm question=question detail="It comes off every card that has it. This cannot be undone."
                action="Delete label" on_confirm=delete/>
        </li>
    }
}
