//! The board's event log as clients see it: one `Event` per committed change, with its seq.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::*;

/// One committed change to a board. Seqs are 1, 2, 3 … per board, gapless, in commit order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `None` only when the acting account no longer exists.
    pub actor_id: Option<Uuid>,
    pub client_op_id: Option<String>,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// `"kind"` and `"data"` of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum EventKind {
    BoardUpdated {
        board: Board,
    },
    BoardDeleted {},
    ListCreated {
        list: List,
    },
    ListUpdated {
        list: List,
    },
    ListMoved {
        list_id: Uuid,
        position: String,
    },
    ListDeleted {
        list_id: Uuid,
    },
    CardCreated {
        card: Card,
    },
    CardUpdated {
        card: Card,
    },
    CardMoved {
        card_id: Uuid,
        from_list_id: Uuid,
        to_list_id: Uuid,
        position: String,
        version: i64,
    },
    CardDeleted {
        card_id: Uuid,
        list_id: Uuid,
    },
    MemberAdded {
        member: Member,
    },
    MemberUpdated {
        member: Member,
    },
    MemberRemoved {
        user_id: Uuid,
    },
    LabelCreated {
        label: Label,
    },
    LabelUpdated {
        label: Label,
    },
    /// The label is gone from the board and from every card.
    LabelDeleted {
        label_id: Uuid,
    },
    /// The card's labels after the change, in the board's label order.
    CardLabelsChanged {
        card_id: Uuid,
        label_ids: Vec<Uuid>,
    },
    /// The card's members after the change, in the order they were added.
    CardMembersChanged {
        card_id: Uuid,
        member_ids: Vec<Uuid>,
    },
    // Every checklist event carries the card's checklist progress after it (`counts`).
    ChecklistCreated {
        checklist: Checklist,
        card_id: Uuid,
        counts: ChecklistCounts,
    },
    ChecklistUpdated {
        checklist: Checklist,
        card_id: Uuid,
        counts: ChecklistCounts,
    },
    ChecklistDeleted {
        checklist_id: Uuid,
        card_id: Uuid,
        counts: ChecklistCounts,
    },
    ChecklistItemCreated {
        item: ChecklistItem,
        card_id: Uuid,
        counts: ChecklistCounts,
    },
    ChecklistItemUpdated {
        item: ChecklistItem,
        card_id: Uuid,
        counts: ChecklistCounts,
    },
    ChecklistItemMoved {
        item: ChecklistItem,
        card_id: Uuid,
        counts: ChecklistCounts,
    },
    ChecklistItemDeleted {
        item_id: Uuid,
        checklist_id: Uuid,
        card_id: Uuid,
        counts: ChecklistCounts,
    },
    // Every comment event carries the card's comment count after it.
    CommentAdded {
        comment: Comment,
        comment_count: i64,
    },
    CommentEdited {
        comment: Comment,
        comment_count: i64,
    },
    CommentDeleted {
        comment_id: Uuid,
        card_id: Uuid,
        comment_count: i64,
    },
    /// The card left the board, keeping its list and place.
    CardArchived {
        card_id: Uuid,
        list_id: Uuid,
        version: i64,
    },
    CardRestored {
        card: Card,
    },
    /// The list and its cards left the board.
    ListArchived {
        list_id: Uuid,
    },
    /// The list is back, with the cards that left with it (in position order).
    ListRestored {
        list: List,
        cards: Vec<Card>,
    },
}

impl EventKind {
    /// The `kind` string as stored in the event log.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::BoardUpdated { .. } => "board_updated",
            EventKind::BoardDeleted {} => "board_deleted",
            EventKind::ListCreated { .. } => "list_created",
            EventKind::ListUpdated { .. } => "list_updated",
            EventKind::ListMoved { .. } => "list_moved",
            EventKind::ListDeleted { .. } => "list_deleted",
            EventKind::CardCreated { .. } => "card_created",
            EventKind::CardUpdated { .. } => "card_updated",
            EventKind::CardMoved { .. } => "card_moved",
            EventKind::CardDeleted { .. } => "card_deleted",
            EventKind::MemberAdded { .. } => "member_added",
            EventKind::MemberUpdated { .. } => "member_updated",
            EventKind::MemberRemoved { .. } => "member_removed",
            EventKind::LabelCreated { .. } => "label_created",
            EventKind::LabelUpdated { .. } => "label_updated",
            EventKind::LabelDeleted { .. } => "label_deleted",
            EventKind::CardLabelsChanged { .. } => "card_labels_changed",
            EventKind::CardMembersChanged { .. } => "card_members_changed",
            EventKind::ChecklistCreated { .. } => "checklist_created",
            EventKind::ChecklistUpdated { .. } => "checklist_updated",
            EventKind::ChecklistDeleted { .. } => "checklist_deleted",
            EventKind::ChecklistItemCreated { .. } => "checklist_item_created",
            EventKind::ChecklistItemUpdated { .. } => "checklist_item_updated",
            EventKind::ChecklistItemMoved { .. } => "checklist_item_moved",
            EventKind::ChecklistItemDeleted { .. } => "checklist_item_deleted",
            EventKind::CommentAdded { .. } => "comment_added",
            EventKind::CommentEdited { .. } => "comment_edited",
            EventKind::CommentDeleted { .. } => "comment_deleted",
            EventKind::CardArchived { .. } => "card_archived",
            EventKind::CardRestored { .. } => "card_restored",
            EventKind::ListArchived { .. } => "list_archived",
            EventKind::ListRestored { .. } => "list_restored",
        }
    }

    /// The `data` object alone, as stored in the event log's jsonb column.
    pub fn data(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => map.remove("data").unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }

    /// Rebuilds a kind from the log's `kind` and `data` columns.
    pub fn from_parts(kind: &str, data: serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "data": data }))
    }
}
