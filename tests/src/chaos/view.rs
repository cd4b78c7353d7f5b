//! What a person sees on a board, in display order: what convergence compares between a client's model and
//! the server's snapshot. The order is the shared model's (`corkboard_board_model`), the one the web app draws.

use corkboard_board_model::Model;
use corkboard_protocol::{Role, Snapshot};
use uuid::Uuid;

/// A board in display order. (A card's `updated_at` is not carried by `card_moved`, so timestamps are left
/// out.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardView {
    pub seq: i64,
    pub title: String,
    pub lists: Vec<ListView>,
    /// (user id, role), by user id.
    pub members: Vec<(Uuid, Role)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListView {
    pub id: Uuid,
    pub title: String,
    pub position: String,
    pub cards: Vec<CardView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub position: String,
    pub version: i64,
}

impl BoardView {
    /// The model's confirmed board, laid out as the web app lays it out with nothing pending.
    pub fn of(model: &Model) -> Self {
        let layout = model.layout(&[], &[]);
        let lists = model
            .lists
            .iter()
            .map(|list| ListView {
                id: list.id,
                title: list.title.clone(),
                position: list.position.clone(),
                cards: layout.cards[&list.id]
                    .iter()
                    .map(|id| &model.cards[id])
                    .map(|c| CardView {
                        id: c.id,
                        title: c.title.clone(),
                        description: c.description.clone(),
                        position: c.position.clone(),
                        version: c.version,
                    })
                    .collect(),
            })
            .collect();
        let mut members: Vec<(Uuid, Role)> = model.members.iter().map(|m| (m.user.id, m.role)).collect();
        members.sort();
        BoardView { seq: model.seq(), title: model.board.title.clone(), lists, members }
    }

    /// The view of a snapshot, to compare with a model's.
    pub fn of_snapshot(snapshot: &Snapshot) -> Self {
        Self::of(&Model::from_snapshot(snapshot.clone()))
    }
}
