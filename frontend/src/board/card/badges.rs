//! The badges on a card's face: labels, members, due date, checklist progress, comments and a description
//! marker. Each says what it means without colour (an icon and text, or a label's name) and carries its
//! meaning for screen readers in its `aria-label`.
//!
//! Markup other code and tests rely on: `.card-badges` holds them; each is `[data-badge=…]`; the due badge
//! has `data-due-state`; the checklist badge's text is "done/total" and `data-complete` when all are done;
//! label chips are `.label-chip[data-color]`.

use corkboard_protocol::{Card, Label, Member};
use leptos::prelude::*;

use super::super::model::DueState;
use super::super::store::BoardStore;
use super::super::ui::Clock;
use super::icons;
use super::when;
use crate::util;

/// How many avatars a card face shows before "+N".
const AVATARS_SHOWN: usize = 3;

/// "Label: Bug (red)", or "Label: red" for an unnamed colour.
pub fn label_description(label: &Label) -> String {
    let color = label.color.as_str();
    if label.name.trim().is_empty() { format!("Label: {color}") } else { format!("Label: {} ({color})", label.name) }
}

/// One label as a chip: its colour, and its name when it has one.
#[component]
pub fn LabelChip(label: Label) -> impl IntoView {
    let named = !label.name.trim().is_empty();
    view! {
        <span class="label-chip" class:is-named=named data-color=label.color.as_str() role="img"
            aria-label=label_description(&label) title=label_description(&label)>
            {named.then(|| label.name.clone())}
        </span>
    }
}

#[component]
pub fn CardBadges(card: ArcRwSignal<Card>) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let clock = expect_context::<Clock>();

    let labels = {
        let card = card.clone();
        move || {
            let ids = card.with(|c| c.label_ids.clone());
            store.labels.with(|all| all.iter().filter(|l| ids.contains(&l.id)).cloned().collect::<Vec<_>>())
        }
    };
    let members = {
        let card = card.clone();
        move || {
            let ids = card.with(|c| c.member_ids.clone());
            store.members.with(|all| {
                ids.iter().filter_map(|id| all.iter().find(|m| m.user.id == *id).cloned()).collect::<Vec<_>>()
            })
        }
    };
    let due = {
        let card = card.clone();
        move || card.with(|c| c.due_at.zip(DueState::of(c, clock.0.get())))
    };
    let checklist = {
        let card = card.clone();
        move || card.with(|c| c.checklist).filter_total()
    };
    let comments = {
        let card = card.clone();
        move || card.with(|c| c.comment_count)
    };
    let has_description = move || card.with(|c| !c.description.trim().is_empty());

    view! {
        <div class="card-badges">
            {move || {
                let labels = labels();
                (!labels.is_empty()).then(|| view! {
                    <span class="badge-labels" data-badge="labels">
                        {labels.into_iter().map(|label| view! { <LabelChip label=label/> }).collect_view()}
                    </span>
                })
            }}
            {move || due().map(|(at, state)| due_badge(at, state))}
            {move || checklist().map(|counts| {
                let complete = counts.done == counts.total;
                let text = format!("{}/{}", counts.done, counts.total);
                let label = if complete {
                    format!("Checklist complete: {} of {} done", counts.done, counts.total)
                } else {
                    format!("Checklist: {} of {} done", counts.done, counts.total)
                };
                view! {
                    <span class="badge" data-badge="checklist" data-complete=complete.then_some("true") role="img"
                        aria-label=label.clone() title=label>
                        {if complete { icons::check() } else { icons::checklist() }}
                        {text}
                    </span>
                }
            })}
            {move || {
                let n = comments();
                (n > 0).then(|| {
                    let label = crate::dialog::count(n as usize, "comment", "comments");
                    view! {
                        <span class="badge" data-badge="comments" role="img" aria-label=label.clone() title=label>
                            {icons::comment()}{n}
                        </span>
                    }
                })
            }}
            <Show when=has_description.clone()>
                <span class="badge" data-badge="description" role="img" aria-label="Has a description"
                    title="This card has a description">
                    {icons::description()}
                </span>
            </Show>
            {move || {
                let members = members();
                (!members.is_empty()).then(|| member_avatars(members))
            }}
        </div>
    }
}

trait FilterTotal: Sized {
    fn filter_total(self) -> Option<Self>;
}

impl FilterTotal for corkboard_protocol::ChecklistCounts {
    /// A card without checklist items shows no progress.
    fn filter_total(self) -> Option<Self> {
        (self.total > 0).then_some(self)
    }
}

fn due_badge(at: time::OffsetDateTime, state: DueState) -> impl IntoView {
    let date = when::short(at);
    let (name, what, icon) = match state {
        DueState::Plain => ("plain", format!("Due {date}"), icons::calendar()),
        DueState::Soon => ("soon", format!("Due soon: {date}"), icons::clock()),
        DueState::Overdue => ("overdue", format!("Overdue: was due {date}"), icons::warning()),
        DueState::Complete => ("complete", format!("Complete (was due {date})"), icons::check()),
    };
    view! {
        <span class="badge badge-due" data-badge="due" data-due-state=name role="img" aria-label=what.clone() title=what>
            {icon}{date}
        </span>
    }
}

fn member_avatars(members: Vec<Member>) -> impl IntoView {
    let more = members.len().saturating_sub(AVATARS_SHOWN);
    let names = members.iter().map(|m| m.user.display_name.as_str()).collect::<Vec<_>>().join(", ");
    let label = format!("Members: {names}");
    view! {
        <span class="badge-members" data-badge="members" role="img" aria-label=label.clone() title=label>
            {members.into_iter().take(AVATARS_SHOWN).map(|m| view! {
                <span class="avatar avatar-sm" style=format!("--hue:{}", util::hue_for(&m.user.id))
                    title=m.user.display_name.clone()>
                    {util::initials(&m.user.display_name)}
                </span>
            }).collect_view()}
            {(more > 0).then(|| view! { <span class="avatar avatar-sm avatar-more">"+"{more}</span> })}
        </span>
    }
}
