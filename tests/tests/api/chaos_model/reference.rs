//! The board as the server holds it (archived lists and cards included, in key order) and the log it wrote: the
//! changes of lists, cards and members. What cards carry (labels, members, dates, checklists, comments, the
//! archive) is in `work`.

use corkboard_protocol::{
    Board, Card, Checklist, ChecklistCounts, ChecklistItem, Comment, Event, EventKind, Label, LabelColor, List, Member,
    Role, Snapshot, User,
};
use corkboard_server::positions::{MAX_KEY_LEN, key_between, spread};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Op;

/// A checklist and its items in key order.
pub struct RefChecklist {
    pub checklist: Checklist,
    pub items: Vec<ChecklistItem>,
}

pub struct Reference {
    pub board: Board,
    /// Every list, archived ones too (they keep their key), in key order.
    pub lists: Vec<List>,
    /// Cards per list id, archived ones too (they keep their key), in key order.
    pub cards: Vec<(Uuid, Vec<Card>)>,
    pub members: Vec<Member>,
    /// In key order.
    pub labels: Vec<Label>,
    /// Every card's checklists, each card's in key order.
    pub checklists: Vec<RefChecklist>,
    /// Every card's comments, oldest first.
    pub comments: Vec<Comment>,
    pub events: Vec<Event>,
    pub ids: u128,
}

pub fn epoch() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

pub fn user(n: u128) -> User {
    User { id: Uuid::from_u128(n), username: format!("user{n}"), display_name: format!("User {n}") }
}

/// The key for index `at` of `keys` (clamped), as the server makes it between the neighbours.
pub fn key_at(keys: &[&str], at: usize) -> (usize, String) {
    let at = at.min(keys.len());
    let before = at.checked_sub(1).map(|i| keys[i]);
    (at, key_between(before, keys.get(at).copied()).expect("ordered neighbours"))
}

impl Reference {
    /// A new board: its owner and the six unnamed labels, before the first event.
    pub fn new() -> Self {
        let owner = Member { user: user(1), role: Role::Owner };
        let board = Board {
            id: Uuid::from_u128(u128::MAX),
            title: "Board".into(),
            seq: 0,
            created_at: epoch(),
            updated_at: epoch(),
        };
        let labels = LabelColor::NEW_BOARD
            .iter()
            .zip(spread())
            .enumerate()
            .map(|(i, (color, position))| Label {
                id: Uuid::from_u128(100 + i as u128),
                board_id: board.id,
                name: String::new(),
                color: *color,
                position,
            })
            .collect();
        Self {
            board,
            lists: Vec::new(),
            cards: Vec::new(),
            members: vec![owner],
            labels,
            checklists: Vec::new(),
            comments: Vec::new(),
            events: Vec::new(),
            ids: 1000,
        }
    }

    pub fn id(&mut self) -> Uuid {
        self.ids += 1;
        Uuid::from_u128(self.ids)
    }

    pub fn emit(&mut self, kind: EventKind) {
        self.board.seq += 1;
        self.events.push(Event {
            seq: self.board.seq,
            at: epoch(),
            actor_id: Some(user(1).id),
            client_op_id: None,
            kind,
        });
    }

    /// `GET /api/boards/{id}`: without archived lists, the cards of archived lists, and archived cards.
    pub fn snapshot(&self) -> Snapshot {
        let lists: Vec<List> = self.lists.iter().filter(|l| l.archived_at.is_none()).cloned().collect();
        Snapshot {
            board: self.board.clone(),
            cards: lists
                .iter()
                .flat_map(|l| self.cards_of(l.id).iter().filter(|c| c.archived_at.is_none()).cloned())
                .collect(),
            lists,
            members: self.members.clone(),
            labels: self.labels.clone(),
        }
    }

    pub fn cards_of(&self, list_id: Uuid) -> &Vec<Card> {
        &self.cards.iter().find(|(id, _)| *id == list_id).expect("a list").1
    }

    pub fn cards_of_mut(&mut self, list_id: Uuid) -> &mut Vec<Card> {
        &mut self.cards.iter_mut().find(|(id, _)| *id == list_id).expect("a list").1
    }

    pub fn card_mut(&mut self, card_id: Uuid) -> &mut Card {
        self.cards.iter_mut().flat_map(|(_, cards)| cards.iter_mut()).find(|c| c.id == card_id).expect("a card")
    }

    /// Indices of the lists on the board (not archived).
    pub fn lists_on_board(&self) -> Vec<usize> {
        (0..self.lists.len()).filter(|&i| self.lists[i].archived_at.is_none()).collect()
    }

    /// The index of the `n`th list on the board, modulo their number.
    pub fn nth_list(&self, n: usize) -> Option<usize> {
        let on = self.lists_on_board();
        (!on.is_empty()).then(|| on[n % on.len()])
    }

    /// (list index, card index) of every card that matches, over all lists in order.
    pub fn cards_where(&self, keep: impl Fn(&List, &Card) -> bool) -> Vec<(usize, usize)> {
        self.lists
            .iter()
            .enumerate()
            .flat_map(|(li, l)| {
                self.cards_of(l.id).iter().enumerate().filter(|(_, c)| keep(l, c)).map(move |(ci, _)| (li, ci))
            })
            .collect()
    }

    /// (list index, card index) of the `n`th card on the board, modulo their number.
    pub fn nth_card(&self, n: usize) -> Option<(usize, usize)> {
        let all = self.cards_where(|l, c| l.archived_at.is_none() && c.archived_at.is_none());
        (!all.is_empty()).then(|| all[n % all.len()])
    }

    /// The id of the `n`th card on the board.
    pub fn nth_card_id(&self, n: usize) -> Option<Uuid> {
        self.nth_card(n).map(|(li, ci)| self.cards_of(self.lists[li].id)[ci].id)
    }

    /// The card's checklist progress: every item of every checklist of it.
    pub fn counts(&self, card_id: Uuid) -> ChecklistCounts {
        let items = self.checklists.iter().filter(|c| c.checklist.card_id == card_id).flat_map(|c| &c.items);
        let (done, total) = items.fold((0, 0), |(done, total), i| (done + i64::from(i.done), total + 1));
        ChecklistCounts { done, total }
    }

    /// Puts `card` at `at` among every card of `list_id` (archived ones hold their keys), rebalancing the list
    /// first when the key would be too long. A rebalance moves archived cards too, as the server's does.
    pub fn place_card(&mut self, list_id: Uuid, mut card: Card, at: usize) -> Card {
        let keys: Vec<String> = self.cards_of(list_id).iter().map(|c| c.position.clone()).collect();
        let (mut index, mut key) = key_at(&keys.iter().map(String::as_str).collect::<Vec<_>>(), at);
        if key.len() > MAX_KEY_LEN {
            let siblings: Vec<(Uuid, String, i64)> = {
                let cards = self.cards_of_mut(list_id);
                for (card, position) in cards.iter_mut().zip(spread()) {
                    card.position = position;
                    card.version += 1;
                }
                cards.iter().map(|c| (c.id, c.position.clone(), c.version)).collect()
            };
            for (card_id, position, version) in siblings {
                self.emit(EventKind::CardMoved {
                    card_id,
                    from_list_id: list_id,
                    to_list_id: list_id,
                    position,
                    version,
                });
            }
            let keys: Vec<String> = self.cards_of(list_id).iter().map(|c| c.position.clone()).collect();
            (index, key) = key_at(&keys.iter().map(String::as_str).collect::<Vec<_>>(), at);
            assert!(key.len() <= MAX_KEY_LEN, "a rebalance makes room: {key}");
        }
        card.list_id = list_id;
        card.position = key;
        self.cards_of_mut(list_id).insert(index, card.clone());
        card
    }

    pub fn apply(&mut self, op: Op) {
        match op {
            Op::CreateList { at } => {
                let keys: Vec<&str> = self.lists.iter().map(|l| l.position.as_str()).collect();
                let (index, position) = key_at(&keys, at);
                let list = List {
                    id: self.id(),
                    board_id: self.board.id,
                    title: format!("L{}", self.ids),
                    position,
                    archived_at: None,
                };
                self.lists.insert(index, list.clone());
                self.cards.push((list.id, Vec::new()));
                self.emit(EventKind::ListCreated { list });
            }
            Op::MoveList { list, at } => {
                if let Some(li) = self.nth_list(list) {
                    let mut moving = self.lists.remove(li);
                    let keys: Vec<&str> = self.lists.iter().map(|l| l.position.as_str()).collect();
                    let (index, position) = key_at(&keys, at);
                    moving.position = position.clone();
                    let list_id = moving.id;
                    self.lists.insert(index, moving);
                    self.emit(EventKind::ListMoved { list_id, position });
                }
            }
            Op::RenameList { list, title } => {
                if let Some(li) = self.nth_list(list) {
                    self.lists[li].title = title;
                    let list = self.lists[li].clone();
                    self.emit(EventKind::ListUpdated { list });
                }
            }
            Op::CreateCard { list, at } => {
                if let Some(li) = self.nth_list(list) {
                    let list_id = self.lists[li].id;
                    let id = self.id();
                    let card = Card {
                        id,
                        board_id: self.board.id,
                        list_id,
                        title: format!("C{id}"),
                        description: String::new(),
                        position: String::new(),
                        version: 1,
                        created_at: epoch(),
                        updated_at: epoch(),
                        start_at: None,
                        due_at: None,
                        completed: false,
                        archived_at: None,
                        label_ids: vec![],
                        member_ids: vec![],
                        checklist: Default::default(),
                        comment_count: 0,
                    };
                    let card = self.place_card(list_id, card, at);
                    self.emit(EventKind::CardCreated { card });
                }
            }
            Op::MoveCard { card, list, at } => {
                if let (Some((li, ci)), Some(to)) = (self.nth_card(card), self.nth_list(list)) {
                    self.move_card_at(li, ci, to, at);
                }
            }
            Op::HammerList { list, times } => {
                let Some(li) = self.nth_list(list) else { return };
                let list_id = self.lists[li].id;
                for _ in 0..times {
                    // The last card on the board to second place among all the list's keys.
                    let cards = self.cards_of(list_id);
                    let Some(last) = cards.iter().rposition(|c| c.archived_at.is_none()) else { break };
                    if cards.len() < 3 {
                        break;
                    }
                    self.move_card_at(li, last, li, 1);
                }
            }
            Op::UpdateCard { card, title, description } => {
                if let Some(card_id) = self.nth_card_id(card) {
                    let card = self.card_mut(card_id);
                    card.title = title;
                    card.description = description;
                    card.version += 1;
                    let card = card.clone();
                    self.emit(EventKind::CardUpdated { card });
                }
            }
            Op::RenameBoard { title } => {
                self.board.title = title;
                let board = self.board.clone();
                self.emit(EventKind::BoardUpdated { board });
            }
            Op::AddMember { role } => {
                let n = self.ids;
                self.ids += 1;
                let member = Member { user: user(n), role };
                self.members.push(member.clone());
                self.emit(EventKind::MemberAdded { member });
            }
            Op::RemoveMember { member } if self.members.len() > 1 => {
                // Never the owner (index 0). They leave every card of the board too, archived ones included.
                let removed = self.members.remove(1 + member % (self.members.len() - 1));
                for (_, cards) in &mut self.cards {
                    for card in cards {
                        card.member_ids.retain(|id| *id != removed.user.id);
                    }
                }
                self.emit(EventKind::MemberRemoved { user_id: removed.user.id });
            }
            Op::RemoveMember { .. } => {}
            Op::ChangeRole { member, role } if self.members.len() > 1 => {
                let n = self.members.len() - 1;
                let member = &mut self.members[1 + member % n];
                member.role = role;
                let member = member.clone();
                self.emit(EventKind::MemberUpdated { member });
            }
            Op::ChangeRole { .. } => {}
            Op::Work(work) => self.apply_work(work),
        }
    }

    /// Moves the card at (`li`, `ci`) to `at` among every card of list `to` (an index into `lists`).
    pub fn move_card_at(&mut self, li: usize, ci: usize, to: usize, at: usize) {
        let from_list_id = self.lists[li].id;
        let mut moving = self.cards_of_mut(from_list_id).remove(ci);
        moving.version += 1;
        let to_list_id = self.lists[to].id;
        let moved = self.place_card(to_list_id, moving, at);
        self.emit(EventKind::CardMoved {
            card_id: moved.id,
            from_list_id,
            to_list_id,
            position: moved.position,
            version: moved.version,
        });
    }
}
