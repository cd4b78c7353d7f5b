//! The signals the board is drawn from: one per card, and a title and a card-id list per list. `Drawn::reconcile`
//! pushes into them only what changed, so a move re-renders the two lists it touches and creates one DOM
//! node, never the other 999 cards.

use std::collections::HashMap;

use corkboard_protocol::{Card, Member};
use leptos::prelude::*;
use uuid::Uuid;

use super::model::{Layout, Model, PendingListMove, PendingMove};

/// The signals of one list.
#[derive(Clone)]
pub struct ListSlot {
    pub title: ArcRwSignal<String>,
    pub card_ids: ArcRwSignal<Vec<Uuid>>,
}

/// The per-card and per-list signals, and the layout they show.
#[derive(Default)]
pub struct Drawn {
    pub lists: HashMap<Uuid, ListSlot>,
    pub cards: HashMap<Uuid, ArcRwSignal<Card>>,
    /// The list each card is shown in (pending moves included).
    pub card_list: HashMap<Uuid, Uuid>,
    pub layout: Layout,
}

/// What the board-wide signals should show once the per-card and per-list ones are up to date.
pub struct BoardLevel {
    pub title: String,
    pub lists: Vec<Uuid>,
    pub members: Vec<Member>,
}

impl Drawn {
    /// Brings the signals in line with the model plus our pending moves; unchanged cards and lists are not
    /// touched.
    pub fn reconcile(
        &mut self,
        model: &Model,
        pending: &[PendingMove],
        pending_lists: &[PendingListMove],
    ) -> BoardLevel {
        let layout = model.layout(pending, pending_lists);

        self.cards.retain(|id, _| model.cards.contains_key(id));
        for card in model.cards.values() {
            match self.cards.get(&card.id) {
                Some(sig) => {
                    if sig.with_untracked(|c| c != card) {
                        sig.set(card.clone());
                    }
                }
                None => {
                    self.cards.insert(card.id, ArcRwSignal::new(card.clone()));
                }
            }
        }

        self.lists.retain(|id, _| layout.cards.contains_key(id));
        self.card_list.clear();
        for list in &model.lists {
            let ids = layout.cards.get(&list.id).cloned().unwrap_or_default();
            for id in &ids {
                self.card_list.insert(*id, list.id);
            }
            match self.lists.get(&list.id) {
                Some(slot) => {
                    if slot.title.with_untracked(|t| t != &list.title) {
                        slot.title.set(list.title.clone());
                    }
                    if slot.card_ids.with_untracked(|c| c != &ids) {
                        slot.card_ids.set(ids);
                    }
                }
                None => {
                    let slot =
                        ListSlot { title: ArcRwSignal::new(list.title.clone()), card_ids: ArcRwSignal::new(ids) };
                    self.lists.insert(list.id, slot);
                }
            }
        }
        let out = BoardLevel {
            title: model.board.title.clone(),
            lists: layout.lists.clone(),
            members: model.members.clone(),
        };
        self.layout = layout;
        out
    }
}
