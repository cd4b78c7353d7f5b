//! The card's labels: the board's labels as toggle buttons (`aria-pressed`), and for admins the way into
//! editing the board's label set (`label_editor`).

use corkboard_protocol::Role;
use leptos::prelude::*;

use super::badges::label_description;
use super::detail::CardDetailState;
use super::label_editor::LabelEditor;
use super::toggles::Toggles;
use crate::api;
use crate::board::store::BoardStore;

#[component]
pub fn LabelsSection(state: CardDetailState, #[prop(into)] can_edit: Signal<bool>) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let card_id = state.card.with_untracked(|c| c.id);
    let on_card = Signal::derive(move || state.card.with(|c| c.label_ids.clone()));
    let toggles = Toggles::new(on_card);
    let can_admin = move || store.my_role.get().is_some_and(Role::can_admin);
    let editing = RwSignal::new(false);

    let chips = move || {
        store.labels.get().into_iter().map(|label| {
            let id = label.id;
            let pressed = move || on_card.with(|ids| toggles.is_on(id, ids));
            let toggle = move |_| {
                let on = !pressed();
                let what = if on { "Could not add the label" } else { "Could not remove the label" };
                toggles.set(id, on, what, move || api::set_card_label(card_id, id, on));
            };
            let named = !label.name.trim().is_empty();
            view! {
                <button type="button" class="label-toggle" data-color=label.color.as_str() class:is-named=named
                    aria-pressed=move || pressed().to_string() aria-label=label_description(&label)
                    disabled=move || !can_edit.get() data-testid="label-toggle" on:click=toggle>
                    <span class="label-toggle-check" aria-hidden="true">{move || if pressed() { "✓" } else { "" }}</span>
                    {named.then(|| label.name.clone())}
                </button>
            }
        }).collect_view()
    };

    view! {
        <section class="card-section" aria-labelledby="card-labels-heading" data-testid="card-labels">
            <div class="section-head">
                <h3 id="card-labels-heading">"Labels"</h3>
                <Show when=can_admin>
                    <button type="button" class="btn btn-sm btn-ghost" aria-expanded=move || editing.get().to_string()
                        on:click=move |_| editing.update(|e| *e = !*e)>
                        {move || if editing.get() { "Done" } else { "Edit labels" }}
                    </button>
                </Show>
            </div>
            <Show when=move || !editing.get() fallback=move || view! { <LabelEditor/> }>
                <div class="label-toggles" role="group" aria-labelledby="card-labels-heading">{chips}</div>
                {move || store.labels.with(Vec::is_empty).then(|| view! { <p class="muted small">"This board has no labels yet."</p> })}
                {move || toggles.error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </Show>
        </section>
    }
}
