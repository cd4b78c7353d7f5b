//! The board as the server last confirmed it (snapshot + events in seq order), and the layout the user sees:
//! that state with the user's own unconfirmed moves laid on top. Pure data, no DOM, so the rules that keep
//! two screens identical are plain functions.

use std::collections::HashMap;

use corkboard_protocol::{Board, Card, Event, EventKind, List, Member, Snapshot};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Model {
    pub board: Board,
    /// Sorted by position.
    pub lists: Vec<List>,
    pub cards: HashMap<Uuid, Card>,
    pub members: Vec<Member>,
}

/// A card move of ours that the server has not confirmed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingMove {
    pub op_id: String,
    pub card_id: Uuid,
    pub list_id: Uuid,
    pub after_id: Option<Uuid>,
    /// The seq the server acked it with: it is confirmed once the state includes that seq.
    pub acked_seq: Option<i64>,
}

/// A list move of ours whose REST call has not returned yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingListMove {
    pub token: u64,
    pub list_id: Uuid,
    pub after_id: Option<Uuid>,
}

/// What to draw: lists in order, and each list's cards in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    pub lists: Vec<Uuid>,
    pub cards: HashMap<Uuid, Vec<Uuid>>,
}

impl Model {
    pub fn from_snapshot(s: Snapshot) -> Self {
        let mut model = Model {
            board: s.board,
            lists: s.lists,
            cards: s.cards.into_iter().map(|c| (c.id, c)).collect(),
            members: s.members,
        };
        model.sort_lists();
        model
    }

    pub fn seq(&self) -> i64 {
        self.board.seq
    }

    /// Applies the next event. The caller has checked that `event.seq` is exactly `seq() + 1`.
    pub fn apply(&mut self, event: &Event) {
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
            EventKind::MemberRemoved { user_id } => self.members.retain(|m| m.user.id != *user_id),
        }
        self.board.seq = event.seq;
    }

    /// A card from a REST answer or an event. An older version never replaces a newer one (a slow HTTP
    /// answer can arrive after the event of a later change).
    pub fn upsert_card(&mut self, card: Card) {
        match self.cards.get(&card.id) {
            Some(current) if current.version > card.version => {}
            _ => {
                self.cards.insert(card.id, card);
            }
        }
    }

    pub fn upsert_list(&mut self, list: List) {
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

    fn sort_lists(&mut self) {
        // Positions compare byte-wise (API.md); the id breaks ties so every client agrees.
        self.lists.sort_by(|a, b| a.position.as_bytes().cmp(b.position.as_bytes()).then(a.id.cmp(&b.id)));
    }

    /// The confirmed order with our pending moves replayed on top, in the order we made them.
    pub fn layout(&self, pending: &[PendingMove], pending_lists: &[PendingListMove]) -> Layout {
        let mut lists: Vec<Uuid> = self.lists.iter().map(|l| l.id).collect();
        for m in pending_lists {
            if let Some(from) = lists.iter().position(|id| *id == m.list_id) {
                lists.remove(from);
                lists.insert(insert_index(&lists, m.after_id), m.list_id);
            }
        }

        let mut by_list: HashMap<Uuid, Vec<&Card>> = lists.iter().map(|id| (*id, Vec::new())).collect();
        for card in self.cards.values() {
            if let Some(v) = by_list.get_mut(&card.list_id) {
                v.push(card);
            }
        }
        let mut cards: HashMap<Uuid, Vec<Uuid>> = by_list
            .into_iter()
            .map(|(list, mut v)| {
                v.sort_by(|a, b| a.position.as_bytes().cmp(b.position.as_bytes()).then(a.id.cmp(&b.id)));
                (list, v.into_iter().map(|c| c.id).collect())
            })
            .collect();

        for m in pending {
            if !cards.contains_key(&m.list_id) || !self.cards.contains_key(&m.card_id) {
                continue;
            }
            for ids in cards.values_mut() {
                ids.retain(|id| *id != m.card_id);
            }
            if let Some(ids) = cards.get_mut(&m.list_id) {
                let at = insert_index(ids, m.after_id);
                ids.insert(at, m.card_id);
            }
        }
        Layout { lists, cards }
    }
}

/// Where "right after `after_id`" is: first for `None`, at the end when that sibling is gone.
fn insert_index(ids: &[Uuid], after_id: Option<Uuid>) -> usize {
    match after_id {
        None => 0,
        Some(after) => ids.iter().position(|id| *id == after).map_or(ids.len(), |i| i + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corkboard_protocol::{Board, Snapshot};
    use time::OffsetDateTime;

    fn id(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    fn list(n: u8, pos: &str) -> List {
        List { id: id(n), board_id: id(0), title: format!("list {n}"), position: pos.into() }
    }

    fn card(n: u8, list: u8, pos: &str) -> Card {
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
        }
    }

    /// Lists 1 and 2; cards 10, 11, 12 in list 1 and 20 in list 2 (given out of order on purpose).
    fn model() -> Model {
        let now = OffsetDateTime::UNIX_EPOCH;
        Model::from_snapshot(Snapshot {
            board: Board { id: id(0), title: "b".into(), seq: 5, created_at: now, updated_at: now },
            lists: vec![list(2, "b"), list(1, "a")],
            cards: vec![card(12, 1, "c"), card(10, 1, "a"), card(20, 2, "a"), card(11, 1, "b")],
            members: vec![],
        })
    }

    fn event(seq: i64, kind: EventKind) -> Event {
        Event { seq, at: OffsetDateTime::UNIX_EPOCH, actor_id: None, client_op_id: None, kind }
    }

    #[test]
    fn layout_sorts_lists_and_cards_by_position_bytes() {
        let layout = model().layout(&[], &[]);
        assert_eq!(layout.lists, vec![id(1), id(2)]);
        assert_eq!(layout.cards[&id(1)], vec![id(10), id(11), id(12)]);
        assert_eq!(layout.cards[&id(2)], vec![id(20)]);
    }

    #[test]
    fn pending_moves_are_laid_over_the_confirmed_order_in_the_order_they_were_made() {
        let pending = vec![
            PendingMove { op_id: "a".into(), card_id: id(10), list_id: id(2), after_id: Some(id(20)), acked_seq: None },
            PendingMove { op_id: "b".into(), card_id: id(12), list_id: id(2), after_id: None, acked_seq: None },
        ];
        let layout = model().layout(&pending, &[]);
        assert_eq!(layout.cards[&id(1)], vec![id(11)]);
        assert_eq!(layout.cards[&id(2)], vec![id(12), id(20), id(10)]);
    }

    #[test]
    fn a_pending_move_after_a_card_that_is_gone_lands_at_the_end() {
        let pending = vec![PendingMove {
            op_id: "a".into(),
            card_id: id(10),
            list_id: id(2),
            after_id: Some(id(99)),
            acked_seq: None,
        }];
        let layout = model().layout(&pending, &[]);
        assert_eq!(layout.cards[&id(2)], vec![id(20), id(10)]);
    }

    #[test]
    fn card_moved_updates_list_position_and_version_and_the_seq() {
        let mut m = model();
        m.apply(&event(
            6,
            EventKind::CardMoved {
                card_id: id(12),
                from_list_id: id(1),
                to_list_id: id(2),
                position: "0".into(),
                version: 2,
            },
        ));
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
        m.apply(&event(6, EventKind::ListDeleted { list_id: id(1) }));
        assert_eq!(m.layout(&[], &[]).lists, vec![id(2)]);
        assert_eq!(m.cards.len(), 1);
    }

    #[test]
    fn pending_list_moves_reorder_the_columns() {
        let pending = vec![PendingListMove { token: 1, list_id: id(1), after_id: Some(id(2)) }];
        assert_eq!(model().layout(&[], &pending).lists, vec![id(2), id(1)]);
    }
}
