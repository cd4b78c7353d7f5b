//! Property tests of the board model the web app ships (`corkboard_board_model`), without a server: a
//! reference board (`reference`, `work`) makes random changes the way the server does (positions from
//! `positions::key_between`, a rebalance with `spread` when keys grow long, archived lists and cards keeping
//! their keys, one event per change), and the model that applies those events must end up with the board the
//! server would snapshot — from the start, or from a snapshot taken half-way. Gaps and duplicates are refused.
//! Every event and frame also survives serde and the log's `kind`/`data` columns.

mod reference;
mod work;

use std::collections::BTreeSet;

use corkboard_board_model::Model;
use corkboard_protocol::{ErrorCode, Event, EventKind, LabelColor, Role, ServerMsg, Snapshot};
use corkboard_tests::chaos::BoardView;
use proptest::prelude::*;
use time::OffsetDateTime;

use reference::Reference;
use work::{WorkOp, work_op};

/// One change, as indices interpreted against the board as it is when the change is made. Lists and cards are
/// picked among those on the board (not archived).
#[derive(Debug, Clone)]
enum Op {
    CreateList {
        at: usize,
    },
    MoveList {
        list: usize,
        at: usize,
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
    RenameBoard {
        title: String,
    },
    AddMember {
        role: Role,
    },
    RemoveMember {
        member: usize,
    },
    ChangeRole {
        member: usize,
        role: Role,
    },
    /// Labels, card members, dates, checklists, comments, the archive and permanent deletion.
    Work(WorkOp),
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
        1 => (i(), text()).prop_map(|(list, title)| Op::RenameList { list, title }),
        5 => (i(), i()).prop_map(|(list, at)| Op::CreateCard { list, at }),
        8 => (i(), i(), i()).prop_map(|(card, list, at)| Op::MoveCard { card, list, at }),
        1 => (i(), 1usize..300).prop_map(|(list, times)| Op::HammerList { list, times }),
        1 => (i(), text(), text()).prop_map(|(card, title, description)| Op::UpdateCard { card, title, description }),
        1 => text().prop_map(|title| Op::RenameBoard { title }),
        1 => role().prop_map(|role| Op::AddMember { role }),
        1 => i().prop_map(|member| Op::RemoveMember { member }),
        1 => (i(), role()).prop_map(|(member, role)| Op::ChangeRole { member, role }),
        20 => work_op().prop_map(Op::Work),
    ]
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
    fn applying_the_events_to_a_snapshot_gives_the_servers_snapshot(ops in prop::collection::vec(op(), 1..100), cut in any::<prop::sample::Index>()) {
        let (reference, snapshots) = run(ops);
        let snapshot = reference.snapshot();
        let expected = BoardView::of_snapshot(&snapshot);
        // The server's order is the order of the keys it made; the snapshot holds nothing archived.
        prop_assert_eq!(expected.lists.iter().map(|l| l.id).collect::<Vec<_>>(), snapshot.lists.iter().map(|l| l.id).collect::<Vec<_>>());
        let cards_in_order: Vec<_> = expected.lists.iter().flat_map(|l| l.cards.iter().map(|c| c.id)).collect();
        prop_assert_eq!(cards_in_order, snapshot.cards.iter().map(|c| c.id).collect::<Vec<_>>());
        prop_assert!(snapshot.lists.iter().all(|l| l.archived_at.is_none()) && snapshot.cards.iter().all(|c| c.archived_at.is_none()));
        // From the empty board, and from a snapshot taken part-way (as after a reset), the same board.
        let start = &snapshots[cut.index(snapshots.len())];
        for from in [&snapshots[0], start] {
            let mut model = Model::from_snapshot(from.clone());
            for event in reference.events.iter().filter(|e| e.seq > from.board.seq) {
                prop_assert!(model.apply_next(event).is_ok());
            }
            prop_assert_eq!(BoardView::of(&model), expected.clone());
            // Every field of every card, list, label and member, not only what the view shows.
            prop_assert_eq!(&model, &Model::from_snapshot(snapshot.clone()));
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

/// Every kind of event but `board_deleted` (which ends the board's stream) comes out of some op, so the
/// properties above meet them all; this script makes each at least once, and they survive the wire.
#[test]
fn the_reference_makes_every_kind_of_event() {
    use WorkOp::*;
    let card = |card| Op::Work(ArchiveCard { card });
    let script = vec![
        Op::CreateList { at: 0 },
        Op::CreateList { at: 1 },
        Op::CreateCard { list: 0, at: 0 },
        Op::CreateCard { list: 0, at: 1 },
        Op::CreateCard { list: 1, at: 0 },
        Op::MoveCard { card: 0, list: 1, at: 0 },
        Op::MoveList { list: 0, at: 2 },
        Op::RenameList { list: 0, title: "t".into() },
        Op::UpdateCard { card: 0, title: "t".into(), description: "d".into() },
        Op::RenameBoard { title: "b".into() },
        Op::AddMember { role: Role::Editor },
        Op::AddMember { role: Role::Viewer },
        Op::ChangeRole { member: 0, role: Role::Admin },
        Op::Work(CreateLabel { color: LabelColor::Sky, name: "n".into() }),
        Op::Work(UpdateLabel { label: 6, color: Some(LabelColor::Pink), name: None }),
        Op::Work(AddCardLabel { card: 0, label: 6 }),
        Op::Work(AddCardLabel { card: 0, label: 0 }),
        Op::Work(RemoveCardLabel { card: 0, label: 6 }),
        Op::Work(DeleteLabel { label: 0 }),
        Op::Work(AddCardMember { card: 0, member: 1 }),
        Op::Work(RemoveCardMember { card: 0, member: 1 }),
        Op::Work(AddCardMember { card: 0, member: 2 }),
        Op::RemoveMember { member: 1 },
        Op::Work(SetDates { card: 0, start: Some(1), due: Some(30), completed: Some(true) }),
        Op::Work(CreateChecklist { card: 0, title: "c".into() }),
        Op::Work(CreateChecklist { card: 0, title: "d".into() }),
        Op::Work(RenameChecklist { checklist: 0, title: "e".into() }),
        Op::Work(CreateItem { checklist: 0, at: 0 }),
        Op::Work(CreateItem { checklist: 0, at: 0 }),
        Op::Work(UpdateItem { item: 0, done: Some(true), text: None }),
        Op::Work(MoveItem { item: 0, to: 1, at: 0 }),
        Op::Work(DeleteItem { item: 0 }),
        Op::Work(DeleteChecklist { checklist: 1 }),
        Op::Work(AddComment { card: 0, body: "hi".into() }),
        Op::Work(EditComment { comment: 0, body: "ho".into() }),
        Op::Work(AddComment { card: 0, body: "hey".into() }),
        Op::Work(DeleteComment { comment: 1 }),
        card(0),
        Op::Work(RestoreCard { n: 0 }),
        card(1),
        Op::Work(DeleteArchivedCard { n: 0 }),
        Op::Work(ArchiveList { list: 0 }),
        Op::Work(RestoreList { n: 0 }),
        Op::Work(ArchiveList { list: 1 }),
        Op::Work(DeleteArchivedList { n: 0 }),
    ];
    let (reference, snapshots) = run(script);
    let made: BTreeSet<&str> = reference.events.iter().map(|e| e.kind.name()).collect();
    let every: BTreeSet<&str> = [
        "board_updated",
        "list_created",
        "list_updated",
        "list_moved",
        "list_deleted",
        "card_created",
        "card_updated",
        "card_moved",
        "card_deleted",
        "member_added",
        "member_updated",
        "member_removed",
        "label_created",
        "label_updated",
        "label_deleted",
        "card_labels_changed",
        "card_members_changed",
        "checklist_created",
        "checklist_updated",
        "checklist_deleted",
        "checklist_item_created",
        "checklist_item_updated",
        "checklist_item_moved",
        "checklist_item_deleted",
        "comment_added",
        "comment_edited",
        "comment_deleted",
        "card_archived",
        "card_restored",
        "list_archived",
        "list_restored",
    ]
    .into_iter()
    .collect();
    assert_eq!(made, every);
    let mut model = Model::from_snapshot(snapshots[0].clone());
    for event in &reference.events {
        let from_parts = EventKind::from_parts(event.kind.name(), event.kind.data()).expect("log columns");
        assert_eq!(&from_parts, &event.kind);
        let frame = serde_json::to_string(&ServerMsg::Event(event.clone())).expect("serializes");
        assert_eq!(serde_json::from_str::<ServerMsg>(&frame).expect("parses"), ServerMsg::Event(event.clone()));
        model.apply_next(event).expect("in order");
    }
    assert_eq!(model, Model::from_snapshot(reference.snapshot()));
}
