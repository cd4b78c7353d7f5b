//! What the user sees: the confirmed order with their own pending card and list moves replayed on top, in the
//! order they made them.

use std::collections::HashMap;

use corkboard_protocol::Card;
use uuid::Uuid;

use crate::Model;

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
    use crate::tests::{id, model};

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
    fn pending_list_moves_reorder_the_columns() {
        let pending = vec![PendingListMove { token: 1, list_id: id(1), after_id: Some(id(2)) }];
        assert_eq!(model().layout(&[], &pending).lists, vec![id(2), id(1)]);
    }
}
