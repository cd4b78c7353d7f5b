//! What cards carry, changed the way the server changes it (docs/API.md, "Cards that carry work"): the board's
//! labels, labels and members on cards, dates and the complete mark, checklists and their items, comments, and
//! the archive with permanent deletion of what is in it. One event per change; refusals change nothing and
//! write nothing.

use corkboard_protocol::{
    Checklist, ChecklistCounts, ChecklistItem, Comment, EventKind, Label, LabelColor, MAX_CHECKLISTS_PER_CARD,
    MAX_ITEMS_PER_CHECKLIST, MAX_LABELS_PER_BOARD,
};
use corkboard_server::positions::{MAX_KEY_LEN, key_between, spread};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::reference::{RefChecklist, Reference, epoch, key_at};

/// One change of what a card carries, as indices interpreted against the board when it is made.
#[derive(Debug, Clone)]
pub enum WorkOp {
    CreateLabel {
        color: LabelColor,
        name: String,
    },
    UpdateLabel {
        label: usize,
        color: Option<LabelColor>,
        name: Option<String>,
    },
    DeleteLabel {
        label: usize,
    },
    /// A label on a card; already there is fine (the event still says the card's labels).
    AddCardLabel {
        card: usize,
        label: usize,
    },
    /// A label off a card; already off is fine.
    RemoveCardLabel {
        card: usize,
        label: usize,
    },
    AddCardMember {
        card: usize,
        member: usize,
    },
    RemoveCardMember {
        card: usize,
        member: usize,
    },
    /// Hours from the epoch; a start after the due date is refused.
    SetDates {
        card: usize,
        start: Option<i64>,
        due: Option<i64>,
        completed: Option<bool>,
    },
    CreateChecklist {
        card: usize,
        title: String,
    },
    RenameChecklist {
        checklist: usize,
        title: String,
    },
    DeleteChecklist {
        checklist: usize,
    },
    CreateItem {
        checklist: usize,
        at: usize,
    },
    UpdateItem {
        item: usize,
        done: Option<bool>,
        text: Option<String>,
    },
    /// To `at` in the `to`th checklist of the same card.
    MoveItem {
        item: usize,
        to: usize,
        at: usize,
    },
    DeleteItem {
        item: usize,
    },
    AddComment {
        card: usize,
        body: String,
    },
    EditComment {
        comment: usize,
        body: String,
    },
    DeleteComment {
        comment: usize,
    },
    ArchiveCard {
        card: usize,
    },
    /// The `n`th card archived on its own whose list is on the board.
    RestoreCard {
        n: usize,
    },
    ArchiveList {
        list: usize,
    },
    RestoreList {
        n: usize,
    },
    /// Permanent deletion, of the `n`th archived card.
    DeleteArchivedCard {
        n: usize,
    },
    /// Permanent deletion, of the `n`th archived list with everything on it.
    DeleteArchivedList {
        n: usize,
    },
}

fn color() -> impl Strategy<Value = LabelColor> {
    prop::sample::select(LabelColor::ALL.to_vec())
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{1,12}"
}

pub fn work_op() -> impl Strategy<Value = WorkOp> {
    let i = || 0usize..64;
    let hours = || proptest::option::of(0i64..200);
    prop_oneof![
        2 => (color(), "\\PC{0,8}").prop_map(|(color, name)| WorkOp::CreateLabel { color, name }),
        1 => (i(), proptest::option::of(color()), proptest::option::of("\\PC{0,8}"))
            .prop_map(|(label, color, name)| WorkOp::UpdateLabel { label, color, name }),
        1 => i().prop_map(|label| WorkOp::DeleteLabel { label }),
        4 => (i(), i()).prop_map(|(card, label)| WorkOp::AddCardLabel { card, label }),
        2 => (i(), i()).prop_map(|(card, label)| WorkOp::RemoveCardLabel { card, label }),
        3 => (i(), i()).prop_map(|(card, member)| WorkOp::AddCardMember { card, member }),
        1 => (i(), i()).prop_map(|(card, member)| WorkOp::RemoveCardMember { card, member }),
        2 => (i(), hours(), hours(), proptest::option::of(any::<bool>()))
            .prop_map(|(card, start, due, completed)| WorkOp::SetDates { card, start, due, completed }),
        2 => (i(), text()).prop_map(|(card, title)| WorkOp::CreateChecklist { card, title }),
        1 => (i(), text()).prop_map(|(checklist, title)| WorkOp::RenameChecklist { checklist, title }),
        1 => i().prop_map(|checklist| WorkOp::DeleteChecklist { checklist }),
        4 => (i(), i()).prop_map(|(checklist, at)| WorkOp::CreateItem { checklist, at }),
        3 => (i(), proptest::option::of(any::<bool>()), proptest::option::of(text()))
            .prop_map(|(item, done, text)| WorkOp::UpdateItem { item, done, text }),
        2 => (i(), i(), i()).prop_map(|(item, to, at)| WorkOp::MoveItem { item, to, at }),
        1 => i().prop_map(|item| WorkOp::DeleteItem { item }),
        3 => (i(), text()).prop_map(|(card, body)| WorkOp::AddComment { card, body }),
        1 => (i(), text()).prop_map(|(comment, body)| WorkOp::EditComment { comment, body }),
        1 => i().prop_map(|comment| WorkOp::DeleteComment { comment }),
        2 => i().prop_map(|card| WorkOp::ArchiveCard { card }),
        2 => i().prop_map(|n| WorkOp::RestoreCard { n }),
        1 => i().prop_map(|list| WorkOp::ArchiveList { list }),
        1 => i().prop_map(|n| WorkOp::RestoreList { n }),
        1 => i().prop_map(|n| WorkOp::DeleteArchivedCard { n }),
        1 => i().prop_map(|n| WorkOp::DeleteArchivedList { n }),
    ]
}

/// A distinct instant for each archive, so "most recently archived" would be well defined.
fn archived_at(seq: i64) -> Option<OffsetDateTime> {
    Some(epoch() + Duration::seconds(seq + 1))
}

impl Reference {
    pub fn apply_work(&mut self, op: WorkOp) {
        match op {
            WorkOp::CreateLabel { color, name } if (self.labels.len() as i64) < MAX_LABELS_PER_BOARD => {
                let position = key_between(self.labels.last().map(|l| l.position.as_str()), None).expect("a key");
                let label = Label { id: self.id(), board_id: self.board.id, name, color, position };
                self.labels.push(label.clone());
                self.emit(EventKind::LabelCreated { label });
            }
            WorkOp::UpdateLabel { label, color, name } if !self.labels.is_empty() => {
                let n = self.labels.len();
                let label = &mut self.labels[label % n];
                label.color = color.unwrap_or(label.color);
                label.name = name.unwrap_or_else(|| label.name.clone());
                let label = label.clone();
                self.emit(EventKind::LabelUpdated { label });
            }
            WorkOp::DeleteLabel { label } if !self.labels.is_empty() => {
                let n = self.labels.len();
                let label_id = self.labels.remove(label % n).id;
                // Off every card, archived ones too, in the same transaction.
                for card in self.cards.iter_mut().flat_map(|(_, cards)| cards.iter_mut()) {
                    card.label_ids.retain(|id| *id != label_id);
                }
                self.emit(EventKind::LabelDeleted { label_id });
            }
            WorkOp::AddCardLabel { card, label } | WorkOp::RemoveCardLabel { card, label }
                if !self.labels.is_empty() =>
            {
                let adding = matches!(op, WorkOp::AddCardLabel { .. });
                let Some(card_id) = self.nth_card_id(card) else { return };
                let label_id = self.labels[label % self.labels.len()].id;
                let on: Vec<Uuid> = self.card_mut(card_id).label_ids.clone();
                // In the board's label order, whatever order they were put on in.
                let label_ids: Vec<Uuid> = self
                    .labels
                    .iter()
                    .map(|l| l.id)
                    .filter(|id| if *id == label_id { adding } else { on.contains(id) })
                    .collect();
                self.card_mut(card_id).label_ids = label_ids.clone();
                self.emit(EventKind::CardLabelsChanged { card_id, label_ids });
            }
            WorkOp::AddCardMember { card, member } | WorkOp::RemoveCardMember { card, member } => {
                let adding = matches!(op, WorkOp::AddCardMember { .. });
                let Some(card_id) = self.nth_card_id(card) else { return };
                let user_id = self.members[member % self.members.len()].user.id;
                let card = self.card_mut(card_id);
                if !adding {
                    card.member_ids.retain(|id| *id != user_id);
                } else if !card.member_ids.contains(&user_id) {
                    // In the order they were added.
                    card.member_ids.push(user_id);
                }
                let member_ids = card.member_ids.clone();
                self.emit(EventKind::CardMembersChanged { card_id, member_ids });
            }
            WorkOp::SetDates { card, start, due, completed } => {
                let Some(card_id) = self.nth_card_id(card) else { return };
                let at = |h: i64| epoch() + Duration::hours(h);
                let card = self.card_mut(card_id);
                let start_at = start.map(at).or(card.start_at);
                let due_at = due.map(at).or(card.due_at);
                if start_at.zip(due_at).is_some_and(|(start, due)| start > due) {
                    return; // 422 fields.start_at: nothing changes.
                }
                card.start_at = start_at;
                card.due_at = due_at;
                card.completed = completed.unwrap_or(card.completed);
                card.version += 1;
                let card = card.clone();
                self.emit(EventKind::CardUpdated { card });
            }
            WorkOp::CreateChecklist { card, title } => {
                let Some(card_id) = self.nth_card_id(card) else { return };
                let last = self.checklists.iter().rev().find(|c| c.checklist.card_id == card_id);
                if self.checklists.iter().filter(|c| c.checklist.card_id == card_id).count() as i64
                    >= MAX_CHECKLISTS_PER_CARD
                {
                    return;
                }
                let position = key_between(last.map(|c| c.checklist.position.as_str()), None).expect("a key");
                let checklist = Checklist { id: self.id(), card_id, title, position };
                self.checklists.push(RefChecklist { checklist: checklist.clone(), items: Vec::new() });
                let counts = self.set_counts(card_id);
                self.emit(EventKind::ChecklistCreated { checklist, card_id, counts });
            }
            WorkOp::RenameChecklist { checklist, title } => {
                let Some(ci) = self.nth_checklist(checklist) else { return };
                self.checklists[ci].checklist.title = title;
                let checklist = self.checklists[ci].checklist.clone();
                let card_id = checklist.card_id;
                let counts = self.set_counts(card_id);
                self.emit(EventKind::ChecklistUpdated { checklist, card_id, counts });
            }
            WorkOp::DeleteChecklist { checklist } => {
                let Some(ci) = self.nth_checklist(checklist) else { return };
                let gone = self.checklists.remove(ci).checklist;
                let counts = self.set_counts(gone.card_id);
                self.emit(EventKind::ChecklistDeleted { checklist_id: gone.id, card_id: gone.card_id, counts });
            }
            WorkOp::CreateItem { checklist, at } => {
                let Some(ci) = self.nth_checklist(checklist) else { return };
                if self.checklists[ci].items.len() as i64 >= MAX_ITEMS_PER_CHECKLIST {
                    return;
                }
                let (index, position) = self.item_key(ci, at);
                let id = self.id();
                let checklist = &self.checklists[ci].checklist;
                let item = ChecklistItem {
                    id,
                    checklist_id: checklist.id,
                    card_id: checklist.card_id,
                    text: format!("item {id}"),
                    done: false,
                    position,
                };
                self.checklists[ci].items.insert(index, item.clone());
                let counts = self.set_counts(item.card_id);
                self.emit(EventKind::ChecklistItemCreated { card_id: item.card_id, item, counts });
            }
            WorkOp::UpdateItem { item, done, text } => {
                let Some((ci, ii)) = self.nth_item(item) else { return };
                let item = &mut self.checklists[ci].items[ii];
                item.done = done.unwrap_or(item.done);
                item.text = text.unwrap_or_else(|| item.text.clone());
                let item = item.clone();
                let counts = self.set_counts(item.card_id);
                self.emit(EventKind::ChecklistItemUpdated { card_id: item.card_id, item, counts });
            }
            WorkOp::MoveItem { item, to, at } => {
                let Some((ci, ii)) = self.nth_item(item) else { return };
                let card_id = self.checklists[ci].checklist.card_id;
                let theirs: Vec<usize> =
                    (0..self.checklists.len()).filter(|&c| self.checklists[c].checklist.card_id == card_id).collect();
                let to = theirs[to % theirs.len()];
                if to != ci && self.checklists[to].items.len() as i64 >= MAX_ITEMS_PER_CHECKLIST {
                    return;
                }
                let mut moving = self.checklists[ci].items.remove(ii);
                let (index, position) = self.item_key(to, at);
                moving.checklist_id = self.checklists[to].checklist.id;
                moving.position = position;
                self.checklists[to].items.insert(index, moving.clone());
                let counts = self.set_counts(card_id);
                self.emit(EventKind::ChecklistItemMoved { item: moving, card_id, counts });
            }
            WorkOp::DeleteItem { item } => {
                let Some((ci, ii)) = self.nth_item(item) else { return };
                let gone = self.checklists[ci].items.remove(ii);
                let counts = self.set_counts(gone.card_id);
                self.emit(EventKind::ChecklistItemDeleted {
                    item_id: gone.id,
                    checklist_id: gone.checklist_id,
                    card_id: gone.card_id,
                    counts,
                });
            }
            WorkOp::AddComment { card, body } => {
                let Some(card_id) = self.nth_card_id(card) else { return };
                let comment = Comment {
                    id: self.id(),
                    card_id,
                    author_id: Some(self.members[0].user.id),
                    body_html: format!("<p>{body}</p>"),
                    body,
                    created_at: epoch(),
                    edited_at: None,
                };
                self.comments.push(comment.clone());
                let comment_count = self.set_comment_count(card_id);
                self.emit(EventKind::CommentAdded { comment, comment_count });
            }
            WorkOp::EditComment { comment, body } => {
                let Some(ci) = self.nth_comment(comment) else { return };
                let comment = &mut self.comments[ci];
                comment.body_html = format!("<p>{body}</p>");
                comment.body = body;
                comment.edited_at = Some(epoch());
                let comment = comment.clone();
                let comment_count = self.set_comment_count(comment.card_id);
                self.emit(EventKind::CommentEdited { comment, comment_count });
            }
            WorkOp::DeleteComment { comment } => {
                let Some(ci) = self.nth_comment(comment) else { return };
                let gone = self.comments.remove(ci);
                let comment_count = self.set_comment_count(gone.card_id);
                self.emit(EventKind::CommentDeleted { comment_id: gone.id, card_id: gone.card_id, comment_count });
            }
            WorkOp::ArchiveCard { card } => {
                let Some(card_id) = self.nth_card_id(card) else { return };
                let when = archived_at(self.board.seq);
                let card = self.card_mut(card_id);
                card.archived_at = when;
                card.version += 1;
                let (list_id, version) = (card.list_id, card.version);
                self.emit(EventKind::CardArchived { card_id, list_id, version });
            }
            WorkOp::RestoreCard { n } => {
                // Only a card whose list is on the board (409 list_archived otherwise).
                let archived = self.cards_where(|l, c| l.archived_at.is_none() && c.archived_at.is_some());
                let Some(&(li, ci)) = archived.get(n % archived.len().max(1)) else { return };
                let list_id = self.lists[li].id;
                let card = &mut self.cards_of_mut(list_id)[ci];
                card.archived_at = None;
                card.version += 1;
                let card = card.clone();
                self.emit(EventKind::CardRestored { card });
            }
            WorkOp::ArchiveList { list } => {
                let Some(li) = self.nth_list(list) else { return };
                self.lists[li].archived_at = archived_at(self.board.seq);
                let list_id = self.lists[li].id;
                self.emit(EventKind::ListArchived { list_id });
            }
            WorkOp::RestoreList { n } => {
                let archived: Vec<usize> =
                    (0..self.lists.len()).filter(|&i| self.lists[i].archived_at.is_some()).collect();
                let Some(&li) = archived.get(n % archived.len().max(1)) else { return };
                self.lists[li].archived_at = None;
                let list = self.lists[li].clone();
                // The cards that left with it, in key order; those archived on their own stay archived.
                let cards = self.cards_of(list.id).iter().filter(|c| c.archived_at.is_none()).cloned().collect();
                self.emit(EventKind::ListRestored { list, cards });
            }
            WorkOp::DeleteArchivedCard { n } => {
                let archived = self.cards_where(|_, c| c.archived_at.is_some());
                let Some(&(li, ci)) = archived.get(n % archived.len().max(1)) else { return };
                let list_id = self.lists[li].id;
                let gone = self.cards_of_mut(list_id).remove(ci);
                self.forget_card_things(|card_id| card_id == gone.id);
                self.emit(EventKind::CardDeleted { card_id: gone.id, list_id });
            }
            WorkOp::DeleteArchivedList { n } => {
                let archived: Vec<usize> =
                    (0..self.lists.len()).filter(|&i| self.lists[i].archived_at.is_some()).collect();
                let Some(&li) = archived.get(n % archived.len().max(1)) else { return };
                let list = self.lists.remove(li);
                let (_, gone) =
                    self.cards.remove(self.cards.iter().position(|(id, _)| *id == list.id).expect("a list"));
                self.forget_card_things(|card_id| gone.iter().any(|c| c.id == card_id));
                self.emit(EventKind::ListDeleted { list_id: list.id });
            }
            // Refused (no label to use, the 51st label): nothing changes and no event is written.
            _ => {}
        }
    }

    /// Sets the card's checklist counts to what its items are now, and says them (the event carries them).
    fn set_counts(&mut self, card_id: Uuid) -> ChecklistCounts {
        let counts = self.counts(card_id);
        self.card_mut(card_id).checklist = counts;
        counts
    }

    fn set_comment_count(&mut self, card_id: Uuid) -> i64 {
        let count = self.comments.iter().filter(|c| c.card_id == card_id).count() as i64;
        self.card_mut(card_id).comment_count = count;
        count
    }

    /// Whether the card is on the board: not archived, in a list that is not archived.
    fn on_board(&self, card_id: Uuid) -> bool {
        !self.cards_where(|l, c| c.id == card_id && l.archived_at.is_none() && c.archived_at.is_none()).is_empty()
    }

    /// The index of the `n`th checklist of a card on the board.
    fn nth_checklist(&self, n: usize) -> Option<usize> {
        let on: Vec<usize> =
            (0..self.checklists.len()).filter(|&c| self.on_board(self.checklists[c].checklist.card_id)).collect();
        (!on.is_empty()).then(|| on[n % on.len()])
    }

    /// (checklist index, item index) of the `n`th item of a card on the board.
    fn nth_item(&self, n: usize) -> Option<(usize, usize)> {
        let on: Vec<(usize, usize)> = (0..self.checklists.len())
            .filter(|&c| self.on_board(self.checklists[c].checklist.card_id))
            .flat_map(|c| (0..self.checklists[c].items.len()).map(move |i| (c, i)))
            .collect();
        (!on.is_empty()).then(|| on[n % on.len()])
    }

    fn nth_comment(&self, n: usize) -> Option<usize> {
        let on: Vec<usize> = (0..self.comments.len()).filter(|&c| self.on_board(self.comments[c].card_id)).collect();
        (!on.is_empty()).then(|| on[n % on.len()])
    }

    /// The key for index `at` among the checklist's items, respacing them first when it would be too long (their
    /// keys are the card's own business: no event says them, the counts do not change).
    fn item_key(&mut self, ci: usize, at: usize) -> (usize, String) {
        let keys: Vec<String> = self.checklists[ci].items.iter().map(|i| i.position.clone()).collect();
        let (index, key) = key_at(&keys.iter().map(String::as_str).collect::<Vec<_>>(), at);
        if key.len() <= MAX_KEY_LEN {
            return (index, key);
        }
        for (item, position) in self.checklists[ci].items.iter_mut().zip(spread()) {
            item.position = position;
        }
        let keys: Vec<String> = self.checklists[ci].items.iter().map(|i| i.position.clone()).collect();
        key_at(&keys.iter().map(String::as_str).collect::<Vec<_>>(), at)
    }

    /// Drops the checklists and comments of deleted cards.
    fn forget_card_things(&mut self, gone: impl Fn(Uuid) -> bool) {
        self.checklists.retain(|c| !gone(c.checklist.card_id));
        self.comments.retain(|c| !gone(c.card_id));
    }
}
