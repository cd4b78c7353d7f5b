//! The card's start and due dates, typed in the viewer's time zone (`datetime-local`) and sent in UTC, each
//! with a Clear button, and the "Complete" mark. A refusal (a start after the due date) is shown under the
//! field it is about, and what was typed stays in the field to correct.

use corkboard_protocol::{Card, UpdateCardRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;
use time::OffsetDateTime;

use super::detail::CardDetailState;
use super::when;
use crate::api::{self, ApiError};
use crate::board::store::BoardStore;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Start,
    Due,
}

impl Which {
    fn field(self) -> &'static str {
        match self {
            Which::Start => "start_at",
            Which::Due => "due_at",
        }
    }

    fn of(self, card: &Card) -> Option<OffsetDateTime> {
        match self {
            Which::Start => card.start_at,
            Which::Due => card.due_at,
        }
    }
}

#[component]
pub fn DatesSection(state: CardDetailState, #[prop(into)] can_edit: Signal<bool>) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let card_id = state.card.with_untracked(|c| c.id);
    let errors = RwSignal::new(Vec::<(String, String)>::new());
    let busy = RwSignal::new(false);
    let field_error = move |name: &'static str| {
        move || {
            errors.with(|e| e.iter().find(|(f, _)| f == name).map(|(_, m)| m.clone())).map(|m| {
                view! { <small class="field-error" role="alert" id=format!("card-{name}-error")>{m}</small> }
            })
        }
    };

    let send = move |req: UpdateCardRequest| {
        busy.set(true);
        errors.set(Vec::new());
        spawn_local(async move {
            match api::update_card(card_id, req).await {
                Ok(card) => store.put_card(card),
                Err(e) => show_refusal(e, errors, store),
            }
            busy.set(false);
        });
    };
    let set_date = move |which: Which, value: Option<OffsetDateTime>| {
        let mut req = UpdateCardRequest { client_op_id: api::op(), ..Default::default() };
        match which {
            Which::Start => req.start_at = Some(value),
            Which::Due => req.due_at = Some(value),
        }
        send(req);
    };

    let date_field = move |which: Which, label: &'static str| {
        let id = format!("card-{}", which.field());
        let shown = Signal::derive(move || state.card.with(|c| which.of(c)).map(when::to_input).unwrap_or_default());
        // What the person typed, kept while a refusal is shown so it can be corrected, not retyped.
        let typed = RwSignal::new(None::<String>);
        let on_change = move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            if value.is_empty() {
                typed.set(None);
                set_date(which, None);
            } else if let Some(at) = when::from_input(&value) {
                typed.set(Some(value));
                set_date(which, Some(at));
            }
        };
        // Settled once the card shows it (or the field is typed again).
        Effect::new(move |_| {
            if typed.with_untracked(Option::is_some) && shown.with(|s| Some(s) == typed.get_untracked().as_ref()) {
                typed.set(None);
            }
        });
        let has_value = move || !shown.with(String::is_empty);
        let error_id = format!("card-{}-error", which.field());
        // Only while the error is shown: a reference to nothing is an accessibility error of its own.
        let has_error = move || errors.with(|e| e.iter().any(|(f, _)| f == which.field()));
        view! {
            <div class="field date-field">
                <label for=id.clone()>{label}</label>
                <div class="row">
                    <input type="datetime-local" id=id data-testid=format!("card-{}", which.field())
                        prop:value=move || typed.get().unwrap_or_else(|| shown.get())
                        disabled=move || !can_edit.get() on:change=on_change
                        aria-describedby=move || has_error().then(|| error_id.clone())
                        aria-invalid=move || has_error().then_some("true")/>
                    <Show when=move || can_edit.get() && has_value()>
                        <button type="button" class="btn btn-sm btn-ghost" aria-label=format!("Clear the {} date", label.to_lowercase())
                            on:click=move |_| { typed.set(None); set_date(which, None); }>"Clear"</button>
                    </Show>
                </div>
                {field_error(which.field())}
            </div>
        }
    };

    let completed = move || state.card.with(|c| c.completed);
    let toggle_complete = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        send(UpdateCardRequest { completed: Some(on), client_op_id: api::op(), ..Default::default() });
    };

    view! {
        <section class="card-section" aria-labelledby="card-dates-heading" aria-busy=move || busy.get().to_string()
            data-testid="card-dates">
            <h3 id="card-dates-heading">"Dates"</h3>
            {date_field(Which::Start, "Start")}
            {date_field(Which::Due, "Due")}
            <label class="check-field">
                <input type="checkbox" data-testid="card-completed" prop:checked=completed disabled=move || !can_edit.get()
                    on:change=toggle_complete/>
                <span>"Complete"</span>
            </label>
            {field_error("completed")}
            {move || errors.with(|e| e.iter().find(|(f, _)| f.is_empty()).map(|(_, m)| m.clone()))
                .map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        </section>
    }
}

/// A refusal, under the field it names ("start_at": the start after the due date) or, naming none, under
/// the section.
fn show_refusal(e: ApiError, errors: RwSignal<Vec<(String, String)>>, store: BoardStore) {
    if e.is_unauthorized() {
        store.report(e, "Could not change the dates");
        return;
    }
    let mut found: Vec<(String, String)> = ["start_at", "due_at", "completed"]
        .iter()
        .filter_map(|f| e.field(f).map(|m| (f.to_string(), field_sentence(f, &m))))
        .collect();
    if found.is_empty() {
        found.push((String::new(), format!("Could not change the dates: {}", e.message)));
    }
    errors.set(found);
}

fn field_sentence(field: &str, problem: &str) -> String {
    let name = match field {
        "start_at" => "The start",
        "due_at" => "The due date",
        _ => "This",
    };
    format!("{name} {}. Pick another date, or clear the other one.", problem.trim_end_matches('.'))
}
