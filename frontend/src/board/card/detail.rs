//! `CardDetailState`: the open card with everything on it (`GET /api/cards/{id}`), as signals the dialog's
//! sections draw from and the board's live events keep current.

use corkboard_protocol::{Card, Checklist, ChecklistItem, Comment};
use leptos::prelude::*;

/// What the card dialog shows. `Copy`: every section gets its own handle to the same signals.
#[derive(Clone, Copy)]
pub struct CardDetailState {
    /// The card's face: title, description source, dates, labels, members, counts.
    pub card: RwSignal<Card>,
    /// The description rendered and sanitised by the server: safe to insert as HTML.
    pub description_html: RwSignal<String>,
    /// In order.
    pub checklists: RwSignal<Vec<Checklist>>,
    /// By checklist, then position.
    pub items: RwSignal<Vec<ChecklistItem>>,
    /// Newest first.
    pub comments: RwSignal<Vec<Comment>>,
    /// Whether older comments than those in `comments` exist.
    pub more_comments: RwSignal<bool>,
}
