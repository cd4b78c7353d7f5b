//! What a person sees on a board, in display order: what convergence compares between a client's model and
//! the server's snapshot. The order is the shared model's (`corkboard_board_model`), the one the web app draws.

use corkboard_board_model::Model;
use corkboard_protocol::{ChecklistCounts, Label, Role, Snapshot};
use time::OffsetDateTime;
use uuid::Uuid;

/// A board in display order. (A card's `updated_at` is left out: `card_moved` does not carry it.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardView {
    pub seq: i64,
    pub title: String,
    pub lists: Vec<ListView>,
    /// (user id, role), by user id.
    pub members: Vec<(Uuid, Role)>,
    /// In position order.
    pub labels: Vec<Label>,
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
    /// The card face: dates, the complete mark, labels, members, checklist progress, comment count; and
    /// `archived_at`, which nothing on the board has.
    pub start_at: Option<OffsetDateTime>,
    pub due_at: Option<OffsetDateTime>,
    pub completed: bool,
    pub archived_at: Option<OffsetDateTime>,
    pub label_ids: Vec<Uuid>,
    pub member_ids: Vec<Uuid>,
    pub checklist: ChecklistCounts,
    pub comment_count: i64,
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
                        start_at: c.start_at,
                        due_at: c.due_at,
                        completed: c.completed,
                        archived_at: c.archived_at,
                        label_ids: c.label_ids.clone(),
                        member_ids: c.member_ids.clone(),
                        checklist: c.checklist,
                        comment_count: c.comment_count,
                    })
                    .collect(),
            })
            .collect();
        let mut members: Vec<(Uuid, Role)> = model.members.iter().map(|m| (m.user.id, m.role)).collect();
        members.sort();
        BoardView { seq: model.seq(), title: model.board.title.clone(), lists, members, labels: model.labels.clone() }
    }

    /// The view of a snapshot, to compare with a model's.
    pub fn of_snapshot(snapshot: &Snapshot) -> Self {
        Self::of(&Model::from_snapshot(snapshot.clone()))
    }
}
