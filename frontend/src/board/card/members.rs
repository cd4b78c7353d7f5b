//! The card's members: the board's members as toggle buttons (`aria-pressed`), with their avatar and name.

use leptos::prelude::*;

use super::detail::CardDetailState;
use super::toggles::Toggles;
use crate::api;
use crate::board::store::BoardStore;
use crate::util;

#[component]
pub fn MembersSection(state: CardDetailState, #[prop(into)] can_edit: Signal<bool>) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let card_id = state.card.with_untracked(|c| c.id);
    let on_card = Signal::derive(move || state.card.with(|c| c.member_ids.clone()));
    let toggles = Toggles::new(on_card);
    let me = store.me();

    let people = move || {
        store.members.get().into_iter().map(|member| {
            let id = member.user.id;
            let pressed = move || on_card.with(|ids| toggles.is_on(id, ids));
            let name = member.user.display_name.clone();
            let toggle = move |_| {
                let on = !pressed();
                let what = if on { "Could not add the member" } else { "Could not remove the member" };
                toggles.set(id, on, what, move || api::set_card_member(card_id, id, on));
            };
            view! {
                <button type="button" class="member-toggle" aria-pressed=move || pressed().to_string()
                    disabled=move || !can_edit.get() data-testid="member-toggle" on:click=toggle>
                    <span class="avatar avatar-sm" style=format!("--hue:{}", util::hue_for(&id)) aria-hidden="true">
                        {util::initials(&name)}
                    </span>
                    <span class="member-toggle-name">{name.clone()}{(me == Some(id)).then_some(" (you)")}</span>
                    <span class="member-toggle-check" aria-hidden="true">{move || if pressed() { "✓" } else { "" }}</span>
                </button>
            }
        }).collect_view()
    };

    view! {
        <section class="card-section" aria-labelledby="card-members-heading" data-testid="card-members">
            <h3 id="card-members-heading">"Members"</h3>
            <div class="member-toggles" role="group" aria-labelledby="card-members-heading">{people}</div>
            {move || toggles.error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </section>
    }
}
