//! What the user sees: the confirmed order with their own pending card and list moves replayed on top, in the
//! order they made them.

use std::collections::HashMap;

use corkboard_protocol::{Card, MoveTarget};
use uuid::Uuid;

use crate::Model;

/// A card move of ours that the server has not confirmed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingMove {
    pub op_id: String,
    pub card_id: Uuid,
    pub list_id: Uuid,
    /// Where the user dropped it, as an intent the server resolves against the list as it is by then.
    pub to: MoveTarget,
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
                let at = landing_index(ids, m.to);
                ids.insert(at, m.card_id);
            }
        }
        Layout { lists, cards }
    }
}

/// Where a moved card lands among `siblings` (the list's cards without it), by the server's rule (API.md,
/// "Card moves"): right after `after_id` if it is there, else right before `before_id` if that is, else last.
/// A pending move is drawn where the server will put it, even when its neighbours moved meanwhile.
pub fn landing_index(siblings: &[Uuid], to: MoveTarget) -> usize {
    let at = |id: Uuid| siblings.iter().position(|s| *s == id);
    match to {
        MoveTarget::First => 0,
        MoveTarget::End => siblings.len(),
        MoveTarget::After { after_id, before_id } => {
            at(after_id).map(|i| i + 1).or_else(|| before_id.and_then(at)).unwrap_or(siblings.len())
        }
    }
}

/// Where "right after `after_id`" is among the lists: first for `None`, at the end when that list is gone.
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

    fn pending(op: &str, card: u8, list: u8, to: MoveTarget) -> PendingMove {
        PendingMove { op_id: op.into(), card_id: id(card), list_id: id(list), to, acked_seq: None }
    }

    fn between(after: u8, before: Option<u8>) -> MoveTarget {
        MoveTarget::After { after_id: id(after), before_id: before.map(id) }
    }

    #[test]
    fn pending_moves_are_laid_over_the_confirmed_order_in_the_order_they_were_made() {
        let pending = vec![pending("a", 10, 2, between(20, None)), pending("b", 12, 2, MoveTarget::First)];
        let layout = model().layout(&pending, &[]);
        assert_eq!(layout.cards[&id(1)], vec![id(11)]);
        assert_eq!(layout.cards[&id(2)], vec![id(12), id(20), id(10)]);
    }

    #[test]
    fn the_edges_of_a_list_never_go_stale() {
        // List 1 is 10, 11, 12; list 2 is 20.
        let end = vec![pending("a", 20, 1, MoveTarget::End)];
        assert_eq!(model().layout(&end, &[]).cards[&id(1)], vec![id(10), id(11), id(12), id(20)]);
        let first = vec![pending("a", 20, 1, MoveTarget::First)];
        assert_eq!(model().layout(&first, &[]).cards[&id(1)], vec![id(20), id(10), id(11), id(12)]);
        // Moving a card to the end of its own list.
        let own = vec![pending("a", 10, 1, MoveTarget::End)];
        assert_eq!(model().layout(&own, &[]).cards[&id(1)], vec![id(11), id(12), id(10)]);
    }

    #[test]
    fn a_drop_between_two_cards_lands_after_the_upper_else_before_the_lower_else_last() {
        // Both neighbours there: right after the upper one.
        let both = vec![pending("a", 20, 1, between(10, Some(11)))];
        assert_eq!(model().layout(&both, &[]).cards[&id(1)], vec![id(10), id(20), id(11), id(12)]);
        // The upper one left the list (here: it moved to list 2 first): right before the lower one.
        let upper_gone = vec![pending("a", 10, 2, MoveTarget::End), pending("b", 20, 1, between(10, Some(12)))];
        assert_eq!(model().layout(&upper_gone, &[]).cards[&id(1)], vec![id(11), id(20), id(12)]);
        // The upper one is unknown and there was no lower one: last.
        let gone = vec![pending("a", 10, 2, between(99, None))];
        assert_eq!(model().layout(&gone, &[]).cards[&id(2)], vec![id(20), id(10)]);
        // Both gone: last.
        let both_gone = vec![pending("a", 20, 1, between(98, Some(99)))];
        assert_eq!(model().layout(&both_gone, &[]).cards[&id(1)], vec![id(10), id(11), id(12), id(20)]);
        // The upper one moved within the list: still right after it, wherever it is now.
        let upper_moved = vec![pending("a", 10, 1, MoveTarget::End), pending("b", 20, 1, between(10, Some(11)))];
        assert_eq!(model().layout(&upper_moved, &[]).cards[&id(1)], vec![id(11), id(12), id(10), id(20)]);
    }

    #[test]
    fn landing_index_is_the_rule_of_the_contract() {
        let siblings = [id(1), id(2), id(3)];
        assert_eq!(landing_index(&siblings, MoveTarget::First), 0);
        assert_eq!(landing_index(&siblings, MoveTarget::End), 3);
        assert_eq!(landing_index(&siblings, between(1, Some(2))), 1);
        assert_eq!(landing_index(&siblings, between(9, Some(2))), 1);
        assert_eq!(landing_index(&siblings, between(9, Some(8))), 3);
        assert_eq!(landing_index(&siblings, between(3, None)), 3);
        assert_eq!(landing_index(&[], between(3, Some(4))), 0);
    }

    #[test]
    fn pending_list_moves_reorder_the_columns() {
        let pending = vec![PendingListMove { token: 1, list_id: id(1), after_id: Some(id(2)) }];
        assert_eq!(model().layout(&[], &pending).lists, vec![id(2), id(1)]);
    }
}
