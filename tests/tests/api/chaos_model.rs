//! Property tests of the board model the web app ships (`corkboard_board_model`), without a server: a
//! reference board makes random changes the way the server does (positions from `positions::key_between`, a
//! rebalance with `spread` when keys grow long, one event per change), and the model that applies those events
//! must end up with the board the server would snapshot — from the start, or from a snapshot taken half-way.
//! Gaps and duplicates are refused. Every event and frame also survives serde and the log's `kind`/`data`
//! columns.

use corkboard_board_model::Model;
use corkboard_protocol::{
    Board, Card, ErrorCode, Event, EventKind, Label, List, Member, Role, ServerMsg, Snapshot, User,
};
use corkboard_server::positions::{MAX_KEY_LEN, key_between, spread};
use corkboard_tests::chaos::BoardView;
use proptest::prelude::*;
use time::OffsetDateTime;
use uuid::Uuid;

/// One change, as indices interpreted against the board as it is when the change is made.
#[derive(Debug, Clone)]
enum Op {
    CreateList {
        at: usize,
    },
    MoveList {
        list: usize,
        at: usize,
    },
    DeleteList {
        list: usize,
    },
    RenameList {
        list: usize,
        title: String,
    },
    CreateCard {
        list: usize,
        at: usize,
    },
    MoveCard {
        card: usize,
        list: usize,
        at: usize,
    },
    /// Many moves to one spot (the last card of a list to second place): keys grow until a rebalance.
    HammerList {
        list: usize,
        times: usize,
    },
    UpdateCard {
        card: usize,
        title: String,
        description: String,
    },
    DeleteCard {
        card: usize,
    },
    RenameBoard {
        title: String,
    },
    AddMember {
        role: Role,
    },
    RemoveMember {
        member: usize,
    },
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Viewer), Just(Role::Editor), Just(Role::Admin)]
}

/// Codes of every kind: a final refusal, a retryable one, and one this build does not know.
fn error_code() -> impl Strategy<Value = ErrorCode> {
    prop::sample::select(vec![
        ErrorCode::StalePosition,
        ErrorCode::CardNotFound,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::ServiceUnavailable,
        ErrorCode::InternalError,
        ErrorCode::Unknown,
    ])
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn op() -> impl Strategy<Value = Op> {
    let i = || 0usize..64;
    prop_oneof![
        2 => i().prop_map(|at| Op::CreateList { at }),
        1 => (i(), i()).prop_map(|(list, at)| Op::MoveList { list, at }),
        1 => i().prop_map(|list| Op::DeleteList { list }),
        1 => (i(), text()).prop_map(|(list, title)| Op::RenameList { list, title }),
        5 => (i(), i()).prop_map(|(list, at)| Op::CreateCard { list, at }),
        8 => (i(), i(), i()).prop_map(|(card, list, at)| Op::MoveCard { card, list, at }),
        1 => (i(), 1usize..300).prop_map(|(list, times)| Op::HammerList { list, times }),
        1 => (i(), text(), text()).prop_map(|(card, title, description)| Op::UpdateCard { card, title, description }),
        1 => i().prop_map(|card| Op::DeleteCard { card }),
        1 => text().prop_map(|title| Op::RenameBoard { title }),
        1 => role().prop_map(|role| Op::AddMember { role }),
        1 => i().prop_map(|member| Op::RemoveMember { member }),
    ]
}

/// The board as the server holds it, in explicit display order, and the log it wrote.
struct Reference {
    board: Board,
    lists: Vec<List>,
    /// Cards per list id, in display order.
    cards: Vec<(Uuid, Vec<Card>)>,
    members: Vec<Member>,
    labels: Vec<Label>,
    events: Vec<Event>,
    ids: u128,
}

fn epoch() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

impl Reference {
    fn new() -> Self {
        let owner = Member { user: user(1), role: Role::Owner };
        let board = Board {
            id: Uuid::from_u128(u128::MAX),
            title: "Board".into(),
            seq: 0,
            created_at: epoch(),
            updated_at: epoch(),
        };
        Self {
            board,
            lists: Vec::new(),
            cards: Vec::new(),
            members: vec![owner],
            labels: Vec::new(),
            events: Vec::new(),
            ids: 1000,
        }
    }

    fn id(&mut self) -> Uuid {
        self.ids += 1;
        Uuid::from_u128(self.ids)
    }

    fn emit(&mut self, kind: EventKind) {
        self.board.seq += 1;
        self.events.push(Event {
            seq: self.board.seq,
            at: epoch(),
            actor_id: Some(user(1).id),
            client_op_id: None,
            kind,
        });
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            board: self.board.clone(),
            lists: self.lists.clone(),
            cards: self.lists.iter().flat_map(|l| self.cards_of(l.id).clone()).collect(),
            members: self.members.clone(),
            labels: self.labels.clone(),
        }
    }

    fn cards_of(&self, list_id: Uuid) -> &Vec<Card> {
        &self.cards.iter().find(|(id, _)| *id == list_id).expect("a list").1
    }

    fn cards_of_mut(&mut self, list_id: Uuid) -> &mut Vec<Card> {
        &mut self.cards.iter_mut().find(|(id, _)| *id == list_id).expect("a list").1
    }

    /// (list index, card index) of the `n`th card over all lists, modulo their number.
    fn nth_card(&self, n: usize) -> Option<(usize, usize)> {
        let all: Vec<(usize, usize)> = self
            .lists
            .iter()
            .enumerate()
            .flat_map(|(li, l)| (0..self.cards_of(l.id).len()).map(move |ci| (li, ci)))
            .collect();
        (!all.is_empty()).then(|| all[n % all.len()])
    }

    /// The key for index `at` of `keys` (clamped), as the server makes it between the neighbours.
    fn key_at(keys: &[&str], at: usize) -> (usize, String) {
        let at = at.min(keys.len());
        let before = at.checked_sub(1).map(|i| keys[i]);
        (at, key_between(before, keys.get(at).copied()).expect("ordered neighbours"))
    }

    /// Puts `card` at `at` in `list_id`, rebalancing the list first when the key would be too long.
    fn place_card(&mut self, list_id: Uuid, mut card: Card, at: usize) -> Card {
        let keys: Vec<String> = self.cards_of(list_id).iter().map(|c| c.position.clone()).collect();
        let (mut index, mut key) = Self::key_at(&keys.iter().map(String::as_str).collect::<Vec<_>>(), at);
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
            (index, key) = Self::key_at(&keys.iter().map(String::as_str).collect::<Vec<_>>(), at);
            assert!(key.len() <= MAX_KEY_LEN, "a rebalance makes room: {key}");
        }
        card.list_id = list_id;
        card.position = key;
        self.cards_of_mut(list_id).insert(index, card.clone());
        card
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::CreateList { at } => {
                let keys: Vec<&str> = self.lists.iter().map(|l| l.position.as_str()).collect();
                let (index, position) = Self::key_at(&keys, at);
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
            Op::MoveList { list, at } if !self.lists.is_empty() => {
                let mut moving = self.lists.remove(list % self.lists.len());
                let keys: Vec<&str> = self.lists.iter().map(|l| l.position.as_str()).collect();
                let (index, position) = Self::key_at(&keys, at);
                moving.position = position.clone();
                let list_id = moving.id;
                self.lists.insert(index, moving);
                self.emit(EventKind::ListMoved { list_id, position });
            }
            Op::DeleteList { list } if !self.lists.is_empty() => {
                let list = self.lists.remove(list % self.lists.len());
                self.cards.retain(|(id, _)| *id != list.id);
                self.emit(EventKind::ListDeleted { list_id: list.id });
            }
            Op::RenameList { list, title } if !self.lists.is_empty() => {
                let n = self.lists.len();
                let list = &mut self.lists[list % n];
                list.title = title;
                let list = list.clone();
                self.emit(EventKind::ListUpdated { list });
            }
            Op::CreateCard { list, at } if !self.lists.is_empty() => {
                let list_id = self.lists[list % self.lists.len()].id;
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
            Op::MoveCard { card, list, at } => self.move_card(card, list, at),
            Op::HammerList { list, times } if !self.lists.is_empty() => {
                let li = list % self.lists.len();
                let list_id = self.lists[li].id;
                for _ in 0..times {
                    let len = self.cards_of(list_id).len();
                    if len < 3 {
                        break;
                    }
                    self.move_card_at(li, len - 1, li, 1);
                }
            }
            Op::UpdateCard { card, title, description } => {
                if let Some((li, ci)) = self.nth_card(card) {
                    let list_id = self.lists[li].id;
                    let card = &mut self.cards_of_mut(list_id)[ci];
                    card.title = title;
                    card.description = description;
                    card.version += 1;
                    let card = card.clone();
                    self.emit(EventKind::CardUpdated { card });
                }
            }
            Op::DeleteCard { card } => {
                if let Some((li, ci)) = self.nth_card(card) {
                    let list_id = self.lists[li].id;
                    let card = self.cards_of_mut(list_id).remove(ci);
                    self.emit(EventKind::CardDeleted { card_id: card.id, list_id });
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
                // Never the owner (index 0).
                let removed = self.members.remove(1 + member % (self.members.len() - 1));
                self.emit(EventKind::MemberRemoved { user_id: removed.user.id });
            }
            _ => {}
        }
    }

    fn move_card(&mut self, card: usize, list: usize, at: usize) {
        if let Some((li, ci)) = self.nth_card(card) {
            self.move_card_at(li, ci, list, at);
        }
    }

    fn move_card_at(&mut self, li: usize, ci: usize, list: usize, at: usize) {
        let from_list_id = self.lists[li].id;
        let mut moving = self.cards_of_mut(from_list_id).remove(ci);
        moving.version += 1;
        let to_list_id = self.lists[list % self.lists.len()].id;
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

fn user(n: u128) -> User {
    User { id: Uuid::from_u128(n), username: format!("user{n}"), display_name: format!("User {n}") }
}

fn run(ops: Vec<Op>) -> (Reference, Vec<Snapshot>) {
    let mut reference = Reference::new();
    let mut snapshots = vec![reference.snapshot()];
    for op in ops {
        reference.apply(op);
        snapshots.push(reference.snapshot());
    }
    (reference, snapshots)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
    ))]

    #[test]
    fn applying_the_events_to_a_snapshot_gives_the_servers_snapshot(ops in prop::collection::vec(op(), 1..80), cut in any::<prop::sample::Index>()) {
        let (reference, snapshots) = run(ops);
        let expected = BoardView::of_snapshot(&reference.snapshot());
        // The server's order is the order of the keys it made.
        for (list, cards) in expected.lists.iter().zip(&reference.lists) {
            prop_assert_eq!(list.id, cards.id);
        }
        // From the empty board, and from a snapshot taken part-way (as after a reset), the same board.
        let start = &snapshots[cut.index(snapshots.len())];
        for from in [&snapshots[0], start] {
            let mut model = Model::from_snapshot(from.clone());
            for event in reference.events.iter().filter(|e| e.seq > from.board.seq) {
                prop_assert!(model.apply_next(event).is_ok());
            }
            prop_assert_eq!(BoardView::of(&model), expected.clone());
        }
    }

    #[test]
    fn a_gap_or_a_duplicate_is_refused_and_changes_nothing(ops in prop::collection::vec(op(), 2..40), at in any::<prop::sample::Index>()) {
        let (reference, _) = run(ops);
        prop_assume!(reference.events.len() >= 2);
        let k = at.index(reference.events.len() - 1);
        let mut model = Model::from_snapshot(Reference::new().snapshot());
        for event in &reference.events[..k] {
            model.apply_next(event).expect("in order");
        }
        let before = model.clone();
        prop_assert!(model.apply_next(&reference.events[k + 1]).is_err(), "a gap");
        if k > 0 {
            prop_assert!(model.apply_next(&reference.events[k - 1]).is_err(), "a duplicate");
        }
        prop_assert_eq!(model, before);
    }

    #[test]
    fn every_event_survives_the_wire_and_the_log_columns(ops in prop::collection::vec(op(), 1..40), secs in 0i64..253_402_300_799, nanos in 0u32..1_000_000_000, op_id in proptest::option::of("\\PC{0,20}")) {
        let (reference, _) = run(ops);
        let at = OffsetDateTime::from_unix_timestamp(secs).expect("in range").replace_nanosecond(nanos).expect("nanos");
        for event in reference.events {
            let event = Event { at, client_op_id: op_id.clone(), ..event };
            let from_parts = EventKind::from_parts(event.kind.name(), event.kind.data()).expect("log columns");
            prop_assert_eq!(&from_parts, &event.kind);
            let frame = serde_json::to_string(&ServerMsg::Event(event.clone())).expect("serializes");
            prop_assert_eq!(serde_json::from_str::<ServerMsg>(&frame).expect("parses"), ServerMsg::Event(event.clone()));
            let plain = serde_json::to_string(&event).expect("serializes");
            prop_assert_eq!(serde_json::from_str::<Event>(&plain).expect("parses"), event);
        }
    }

    #[test]
    fn acks_and_errors_survive_the_wire(op_id in "\\PC{0,40}", seq in any::<i64>(), code in error_code(), message in "\\PC{0,80}") {
        for msg in [
            ServerMsg::Ack { client_op_id: op_id.clone(), seq },
            ServerMsg::Error { client_op_id: Some(op_id.clone()), code, message: message.clone() },
            ServerMsg::Error { client_op_id: None, code, message: message.clone() },
        ] {
            let text = serde_json::to_string(&msg).expect("serializes");
            prop_assert_eq!(serde_json::from_str::<ServerMsg>(&text).expect("parses"), msg);
        }
    }
}
