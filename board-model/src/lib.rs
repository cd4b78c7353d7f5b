//! The board as a client holds it: the state the server last confirmed (a snapshot plus its events, applied in
//! seq order) and, in `layout`, what the user sees: that state with their own unconfirmed moves laid on top.
//! Pure data, no DOM and no I/O, so the web app, the tests and the benchmarks all run this one copy, and the
//! property tests exercise the model that ships.

mod layout;

use std::collections::HashMap;
use std::fmt;

use corkboard_protocol::{Board, Card, Event, EventKind, Label, List, Member, Snapshot};
use time::OffsetDateTime;
use uuid::Uuid;

pub use layout::{Layout, PendingListMove, PendingMove, landing_index};

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub board: Board,
    /// Sorted by position.
    pub lists: Vec<List>,
    pub cards: HashMap<Uuid, Card>,
    pub members: Vec<Member>,
    /// Sorted by position.
    pub labels: Vec<Label>,
}

/// How a card's due date reads on its face, from its `due_at`, its "complete" mark and the viewer's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DueState {
    /// Due later than a day from now.
    Plain,
    /// Due within the next 24 hours.
    Soon,
    /// Past due and not complete.
    Overdue,
    /// Marked complete.
    Complete,
}

/// How long before its due date a card counts as due soon.
pub const DUE_SOON: time::Duration = time::Duration::hours(24);

impl DueState {
    /// `None` for a card without a due date.
    pub fn of(card: &Card, now: OffsetDateTime) -> Option<Self> {
        let due = card.due_at?;
        Some(if card.completed {
            DueState::Complete
        } else if due <= now {
            DueState::Overdue
        } else if due - now <= DUE_SOON {
            DueState::Soon
        } else {
            DueState::Plain
        })
    }
}

/// An event that is not the next one: the model refused it and did not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfOrder {
    /// A seq the model already holds.
    Duplicate { expected: i64, got: i64 },
    /// A seq past the next one: something was missed, so the snapshot must be loaded again.
    Gap { expected: i64, got: i64 },
}

impl fmt::Display for OutOfOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutOfOrder::Duplicate { expected, got } => write!(f, "a duplicate: expected seq {expected}, got {got}"),
            OutOfOrder::Gap { expected, got } => write!(f, "a gap: expected seq {expected}, got {got}"),
        }
    }
}

impl std::error::Error for OutOfOrder {}

impl Model {
    pub fn from_snapshot(s: Snapshot) -> Self {
        let mut model = Model {
            board: s.board,
            lists: s.lists,
            cards: s.cards.into_iter().map(|c| (c.id, c)).collect(),
            members: s.members,
            labels: s.labels,
        };
        model.sort_lists();
        model.sort_labels();
        model
    }

    pub fn seq(&self) -> i64 {
        self.board.seq
    }

    /// Applies `event` if it is exactly the next one (`seq() + 1`); anything else is refused and changes nothing.
    pub fn apply_next(&mut self, event: &Event) -> Result<(), OutOfOrder> {
        let expected = self.seq() + 1;
        match event.seq {
            got if got == expected => {
                self.apply(event);
                Ok(())
            }
            got if got < expected => Err(OutOfOrder::Duplicate { expected, got }),
            got => Err(OutOfOrder::Gap { expected, got }),
        }
    }

    /// Applies an event that `apply_next` has found to be the next one.
    fn apply(&mut self, event: &Event) {
        match &event.kind {
            EventKind::BoardUpdated { board } => self.board.title = board.title.clone(),
            EventKind::BoardDeleted {} => {}
            EventKind::ListCreated { list } | EventKind::ListUpdated { list } => self.upsert_list(list.clone()),
            EventKind::ListMoved { list_id, position } => {
                if let Some(l) = self.lists.iter_mut().find(|l| l.id == *list_id) {
                    l.position = position.clone();
                }
                self.sort_lists();
            }
            EventKind::ListDeleted { list_id } => self.remove_list(*list_id),
            EventKind::CardCreated { card } | EventKind::CardUpdated { card } => self.upsert_card(card.clone()),
            EventKind::CardMoved { card_id, to_list_id, position, version, .. } => {
                if let Some(c) = self.cards.get_mut(card_id) {
                    c.list_id = *to_list_id;
                    c.position = position.clone();
                    c.version = *version;
                }
            }
            EventKind::CardDeleted { card_id, .. } => {
                self.cards.remove(card_id);
            }
            EventKind::MemberAdded { member } | EventKind::MemberUpdated { member } => {
                match self.members.iter_mut().find(|m| m.user.id == member.user.id) {
                    Some(m) => *m = member.clone(),
                    None => self.members.push(member.clone()),
                }
            }
            EventKind::MemberRemoved { user_id } => {
                self.members.retain(|m| m.user.id != *user_id);
                for card in self.cards.values_mut() {
                    card.member_ids.retain(|id| id != user_id);
                }
            }
            EventKind::LabelCreated { label } | EventKind::LabelUpdated { label } => {
                match self.labels.iter_mut().find(|l| l.id == label.id) {
                    Some(l) => *l = label.clone(),
                    None => self.labels.push(label.clone()),
                }
                self.sort_labels();
            }
            EventKind::LabelDeleted { label_id } => {
                self.labels.retain(|l| l.id != *label_id);
                for card in self.cards.values_mut() {
                    card.label_ids.retain(|id| id != label_id);
                }
            }
            EventKind::CardLabelsChanged { card_id, label_ids } => {
                if let Some(c) = self.cards.get_mut(card_id) {
                    c.label_ids = label_ids.clone();
                }
            }
            EventKind::CardMembersChanged { card_id, member_ids } => {
                if let Some(c) = self.cards.get_mut(card_id) {
                    c.member_ids = member_ids.clone();
                }
            }
            EventKind::ChecklistCreated { card_id, counts, .. }
            | EventKind::ChecklistUpdated { card_id, counts, .. }
            | EventKind::ChecklistDeleted { card_id, counts, .. }
            | EventKind::ChecklistItemCreated { card_id, counts, .. }
            | EventKind::ChecklistItemUpdated { card_id, counts, .. }
            | EventKind::ChecklistItemMoved { card_id, counts, .. }
            | EventKind::ChecklistItemDeleted { card_id, counts, .. } => {
                if let Some(c) = self.cards.get_mut(card_id) {
                    c.checklist = *counts;
                }
            }
            EventKind::CommentAdded { comment, comment_count }
            | EventKind::CommentEdited { comment, comment_count } => {
                if let Some(c) = self.cards.get_mut(&comment.card_id) {
                    c.comment_count = *comment_count;
                }
            }
            EventKind::CommentDeleted { card_id, comment_count, .. } => {
                if let Some(c) = self.cards.get_mut(card_id) {
                    c.comment_count = *comment_count;
                }
            }
            EventKind::CardArchived { card_id, .. } => {
                self.cards.remove(card_id);
            }
            EventKind::CardRestored { card } => {
                self.cards.insert(card.id, card.clone());
            }
            EventKind::ListArchived { list_id } => self.remove_list(*list_id),
            EventKind::ListRestored { list, cards } => {
                self.upsert_list(list.clone());
                for card in cards {
                    self.cards.insert(card.id, card.clone());
                }
            }
        }
        self.board.seq = event.seq;
    }

    /// A card from a REST answer or an event. Only a newer version replaces the one held: a slow HTTP answer
    /// can arrive after the event of a later change, and labels, members, checklists and comments change a
    /// card without a new version (their own events keep them exact), so an answer of the same version may be
    /// older than what the model holds.
    ///
    /// A card that carries `archived_at` is not on the board (an archive answer, say): it takes the card off
    /// rather than putting it on.
    pub fn upsert_card(&mut self, card: Card) {
        match self.cards.get(&card.id) {
            Some(current) if current.version >= card.version => {}
            _ if card.archived_at.is_some() => {
                self.cards.remove(&card.id);
            }
            _ => {
                self.cards.insert(card.id, card);
            }
        }
    }

    /// A list from a REST answer or an event. An archived one (a rename of a list in the archive, say) is not on
    /// the board: it takes the list and its cards off rather than putting it on.
    pub fn upsert_list(&mut self, list: List) {
        if list.archived_at.is_some() {
            self.remove_list(list.id);
            return;
        }
        match self.lists.iter_mut().find(|l| l.id == list.id) {
            Some(l) => *l = list,
            None => self.lists.push(list),
        }
        self.sort_lists();
    }

    pub fn remove_list(&mut self, list_id: Uuid) {
        self.lists.retain(|l| l.id != list_id);
        self.cards.retain(|_, c| c.list_id != list_id);
    }

    /// The board's label with this id, if it still has it.
    pub fn label(&self, label_id: Uuid) -> Option<&Label> {
        self.labels.iter().find(|l| l.id == label_id)
    }

    fn sort_labels(&mut self) {
        self.labels.sort_by(|a, b| a.position.as_bytes().cmp(b.position.as_bytes()).then(a.id.cmp(&b.id)));
    }

    fn sort_lists(&mut self) {
        // Positions compare byte-wise (API.md); the id breaks ties so every client agrees.
        self.lists.sort_by(|a, b| a.position.as_bytes().cmp(b.position.as_bytes()).then(a.id.cmp(&b.id)));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    /// The events of "Cards that carry work" and `DueState`.
    mod work;

    use super::*;
    use corkboard_protocol::{Board, Snapshot};
    use time::OffsetDateTime;

    pub fn id(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    pub fn list(n: u8, pos: &str) -> List {
        List { id: id(n), board_id: id(0), title: format!("list {n}"), position: pos.into(), archived_at: None }
    }

    pub fn card(n: u8, list: u8, pos: &str) -> Card {
        let now = OffsetDateTime::UNIX_EPOCH;
        Card {
            id: id(n),
            board_id: id(0),
            list_id: id(list),
            title: format!("card {n}"),
            description: String::new(),
            position: pos.into(),
            version: 1,
            created_at: now,
            updated_at: now,
            start_at: None,
            due_at: None,
            completed: false,
            archived_at: None,
            label_ids: vec![],
            member_ids: vec![],
            checklist: Default::default(),
            comment_count: 0,
        }
    }

    /// Lists 1 and 2; cards 10, 11, 12 in list 1 and 20 in list 2 (given out of order on purpose).
    pub fn model() -> Model {
        let now = OffsetDateTime::UNIX_EPOCH;
        Model::from_snapshot(Snapshot {
            board: Board { id: id(0), title: "b".into(), seq: 5, created_at: now, updated_at: now },
            lists: vec![list(2, "b"), list(1, "a")],
            cards: vec![card(12, 1, "c"), card(10, 1, "a"), card(20, 2, "a"), card(11, 1, "b")],
            members: vec![],
            labels: vec![],
        })
    }

    pub fn event(seq: i64, kind: EventKind) -> Event {
        Event { seq, at: OffsetDateTime::UNIX_EPOCH, actor_id: None, client_op_id: None, kind }
    }

    #[test]
    fn card_moved_updates_list_position_and_version_and_the_seq() {
        let mut m = model();
        m.apply_next(&event(
            6,
            EventKind::CardMoved {
                card_id: id(12),
                from_list_id: id(1),
                to_list_id: id(2),
                position: "0".into(),
                version: 2,
            },
        ))
        .unwrap();
        assert_eq!(m.seq(), 6);
        assert_eq!(m.layout(&[], &[]).cards[&id(2)], vec![id(12), id(20)]);
        assert_eq!(m.cards[&id(12)].version, 2);
    }

    #[test]
    fn an_older_card_version_never_replaces_a_newer_one() {
        let mut m = model();
        let mut newer = card(10, 1, "a");
        newer.version = 3;
        newer.title = "new".into();
        m.upsert_card(newer);
        m.upsert_card(card(10, 1, "a"));
        assert_eq!(m.cards[&id(10)].title, "new");
    }

    #[test]
    fn deleting_a_list_takes_its_cards_with_it() {
        let mut m = model();
        m.apply_next(&event(6, EventKind::ListDeleted { list_id: id(1) })).unwrap();
        assert_eq!(m.layout(&[], &[]).lists, vec![id(2)]);
        assert_eq!(m.cards.len(), 1);
    }

    #[test]
    fn only_the_next_seq_is_applied_and_a_gap_or_a_duplicate_changes_nothing() {
        let mut m = model();
        let before = m.clone();
        let deleted = |seq| event(seq, EventKind::ListDeleted { list_id: id(1) });
        assert_eq!(m.apply_next(&deleted(5)), Err(OutOfOrder::Duplicate { expected: 6, got: 5 }));
        assert_eq!(m.apply_next(&deleted(7)), Err(OutOfOrder::Gap { expected: 6, got: 7 }));
        assert_eq!(m, before);
        assert_eq!(m.apply_next(&deleted(6)), Ok(()));
        assert_eq!(m.seq(), 6);
    }
}
