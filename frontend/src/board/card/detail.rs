//! `CardDetailState`: the open card with everything on it (`GET /api/cards/{id}`), as signals the dialog's
//! sections draw from and the board's live events keep current.

use corkboard_protocol::{Card, Checklist, ChecklistItem, Comment, EventKind};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::{checklists, comments};
use crate::api;
use crate::board::store::{BoardChange, BoardStore};

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

/// How far loading the detail got.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailStatus {
    Loading,
    Ready,
    Failed(String),
}

impl CardDetailState {
    /// The detail of a card on the board: its face follows the board's copy (`live`) at once; the rest is
    /// read from `GET /api/cards/{id}` and kept current by the board's events for as long as the dialog is open.
    pub fn open(card_id: Uuid, live: Signal<Card>, status: RwSignal<DetailStatus>) -> Self {
        let store = expect_context::<BoardStore>();
        let state = CardDetailState {
            card: RwSignal::new(live.get_untracked()),
            description_html: RwSignal::new(String::new()),
            checklists: RwSignal::new(Vec::new()),
            items: RwSignal::new(Vec::new()),
            comments: RwSignal::new(Vec::new()),
            more_comments: RwSignal::new(false),
        };
        // The description source the HTML was rendered from; `None` until the first answer.
        let rendered = StoredValue::new(None::<String>);
        Effect::new(move |_| {
            let card = live.get();
            let stale = rendered.with_value(|r| r.as_ref().is_some_and(|r| *r != card.description));
            state.card.set(card);
            if stale {
                state.refresh_description(rendered);
            }
        });
        store.watch(Callback::new(move |change| match change {
            BoardChange::Event(event) if event_card(&event.kind) == Some(card_id) => match &event.kind {
                kind if kind.name().starts_with("checklist") => checklists::apply_event(&state, kind),
                kind if kind.name().starts_with("comment") => comments::apply_event(&state, kind),
                _ => {}
            },
            BoardChange::Event(_) => {}
            // Events may have been missed: read it all again.
            BoardChange::Reloaded => state.load(card_id, rendered, status),
        }));
        state.load(card_id, rendered, status);
        state
    }

    fn load(self, card_id: Uuid, rendered: StoredValue<Option<String>>, status: RwSignal<DetailStatus>) {
        spawn_local(async move {
            match api::card_detail(card_id).await {
                Ok(detail) => {
                    rendered.set_value(Some(detail.card.description.clone()));
                    let _ = self.description_html.try_set(detail.description_html);
                    let _ = self.checklists.try_set(detail.checklists);
                    let _ = self.items.try_set(detail.items);
                    let _ = self.comments.try_set(detail.comments);
                    let _ = self.more_comments.try_set(detail.more_comments);
                    let _ = status.try_set(DetailStatus::Ready);
                    // The description may have changed again while we were asking.
                    if self.card.try_with_untracked(|c| c.description != detail.card.description).unwrap_or(false) {
                        self.refresh_description(rendered);
                    }
                }
                Err(e) => {
                    let _ = status.try_set(DetailStatus::Failed(e.message));
                }
            }
        });
    }

    /// The description changed: its rendering is the server's, so ask for it.
    fn refresh_description(self, rendered: StoredValue<Option<String>>) {
        let Some(card_id) = self.card.try_with_untracked(|c| c.id) else { return };
        spawn_local(async move {
            if let Ok(detail) = api::card_detail(card_id).await {
                // Only the newest answer counts: an older one may arrive last.
                let current = self.card.try_with_untracked(|c| c.description.clone());
                if current.as_ref() == Some(&detail.card.description) {
                    rendered.set_value(Some(detail.card.description));
                    let _ = self.description_html.try_set(detail.description_html);
                }
            }
        });
    }
}

/// The card an event is about, for the events of the open card's checklists and comments.
fn event_card(kind: &EventKind) -> Option<Uuid> {
    match kind {
        EventKind::ChecklistCreated { card_id, .. }
        | EventKind::ChecklistUpdated { card_id, .. }
        | EventKind::ChecklistDeleted { card_id, .. }
        | EventKind::ChecklistItemCreated { card_id, .. }
        | EventKind::ChecklistItemUpdated { card_id, .. }
        | EventKind::ChecklistItemMoved { card_id, .. }
        | EventKind::ChecklistItemDeleted { card_id, .. }
        | EventKind::CommentDeleted { card_id, .. } => Some(*card_id),
        EventKind::CommentAdded { comment, .. } | EventKind::CommentEdited { comment, .. } => Some(comment.card_id),
        _ => None,
    }
}
