//! Placeholder for the card dialog's comments section (written in parallel; the real module replaces this).

use corkboard_protocol::EventKind;
use leptos::prelude::*;

use super::detail::CardDetailState;

#[component]
pub fn CommentsSection(state: CardDetailState, #[prop(into)] can_edit: Signal<bool>) -> impl IntoView {
    let _ = (state, can_edit);
}

/// Applies a comment event of the open card to `state`.
pub fn apply_event(state: &CardDetailState, kind: &EventKind) {
    let _ = (state, kind);
}
