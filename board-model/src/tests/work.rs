//! The events of "Cards that carry work" (docs/API.md) one at a time, and how a due date reads (`DueState`).

use corkboard_protocol::{Checklist, ChecklistCounts, ChecklistItem, Comment, Label, LabelColor, Member, Role, User};
use time::Duration;

use super::{card, event, id, list, model};
use crate::*;

fn label(n: u8, pos: &str) -> Label {
    Label { id: id(n), board_id: id(0), name: String::new(), color: LabelColor::Green, position: pos.into() }
}

fn member(n: u8) -> Member {
    Member { user: User { id: id(n), username: format!("u{n}"), display_name: format!("U {n}") }, role: Role::Editor }
}

fn comment(n: u8, card: u8) -> Comment {
    Comment {
        id: id(n),
        card_id: id(card),
        author_id: Some(id(90)),
        body: "hi".into(),
        body_html: "<p>hi</p>".into(),
        created_at: OffsetDateTime::UNIX_EPOCH,
        edited_at: None,
    }
}

fn item(n: u8, checklist: u8, card: u8, done: bool) -> ChecklistItem {
    ChecklistItem {
        id: id(n),
        checklist_id: id(checklist),
        card_id: id(card),
        text: "do".into(),
        done,
        position: "a".into(),
    }
}

/// The model after `kinds`, applied as the events after the fixture's seq.
fn after(kinds: Vec<EventKind>) -> Model {
    let mut m = model();
    for kind in kinds {
        let seq = m.seq() + 1;
        m.apply_next(&event(seq, kind)).expect("the next seq");
    }
    m
}

fn cards_of(m: &Model, list: u8) -> Vec<Uuid> {
    m.layout(&[], &[]).cards.get(&id(list)).cloned().unwrap_or_default()
}

#[test]
fn labels_are_kept_in_position_order_whatever_order_they_arrive_in() {
    let mut renamed = label(31, "b");
    renamed.name = "urgent".into();
    renamed.color = LabelColor::Red;
    let m = after(vec![
        EventKind::LabelCreated { label: label(31, "b") },
        EventKind::LabelCreated { label: label(30, "a") },
        EventKind::LabelCreated { label: label(32, "c") },
        EventKind::LabelUpdated { label: renamed.clone() },
    ]);
    assert_eq!(m.labels.iter().map(|l| l.id).collect::<Vec<_>>(), vec![id(30), id(31), id(32)]);
    assert_eq!(m.label(id(31)), Some(&renamed));
}

#[test]
fn a_deleted_label_comes_off_the_board_and_every_card() {
    let m = after(vec![
        EventKind::LabelCreated { label: label(30, "a") },
        EventKind::LabelCreated { label: label(31, "b") },
        EventKind::CardLabelsChanged { card_id: id(10), label_ids: vec![id(30), id(31)] },
        EventKind::CardLabelsChanged { card_id: id(20), label_ids: vec![id(31)] },
        EventKind::LabelDeleted { label_id: id(31) },
    ]);
    assert_eq!(m.label(id(31)), None);
    assert_eq!(m.cards[&id(10)].label_ids, vec![id(30)]);
    assert!(m.cards[&id(20)].label_ids.is_empty());
}

#[test]
fn card_labels_and_members_are_what_their_last_event_says_without_a_new_version() {
    let m = after(vec![
        EventKind::CardLabelsChanged { card_id: id(10), label_ids: vec![id(30), id(31)] },
        EventKind::CardLabelsChanged { card_id: id(10), label_ids: vec![id(31)] },
        EventKind::CardMembersChanged { card_id: id(10), member_ids: vec![id(41), id(40)] },
        // A card the model does not hold (archived, say) is left alone.
        EventKind::CardMembersChanged { card_id: id(99), member_ids: vec![id(40)] },
    ]);
    let card = &m.cards[&id(10)];
    assert_eq!((card.label_ids.clone(), card.member_ids.clone()), (vec![id(31)], vec![id(41), id(40)]));
    assert_eq!(card.version, 1);
    assert!(!m.cards.contains_key(&id(99)));
}

#[test]
fn a_member_leaving_the_board_leaves_every_card() {
    let m = after(vec![
        EventKind::MemberAdded { member: member(40) },
        EventKind::MemberAdded { member: member(41) },
        EventKind::CardMembersChanged { card_id: id(10), member_ids: vec![id(40), id(41)] },
        EventKind::CardMembersChanged { card_id: id(20), member_ids: vec![id(40)] },
        EventKind::MemberRemoved { user_id: id(40) },
    ]);
    assert_eq!(m.members.iter().map(|m| m.user.id).collect::<Vec<_>>(), vec![id(41)]);
    assert_eq!(m.cards[&id(10)].member_ids, vec![id(41)]);
    assert!(m.cards[&id(20)].member_ids.is_empty());
}

#[test]
fn every_checklist_event_sets_the_counts_it_carries() {
    let checklist = Checklist { id: id(50), card_id: id(11), title: "t".into(), position: "a".into() };
    let counts = |done, total| ChecklistCounts { done, total };
    let steps = vec![
        (EventKind::ChecklistCreated { checklist: checklist.clone(), card_id: id(11), counts: counts(0, 0) }, (0, 0)),
        (
            EventKind::ChecklistItemCreated { item: item(51, 50, 11, false), card_id: id(11), counts: counts(0, 1) },
            (0, 1),
        ),
        (
            EventKind::ChecklistItemCreated { item: item(52, 50, 11, false), card_id: id(11), counts: counts(0, 2) },
            (0, 2),
        ),
        (
            EventKind::ChecklistItemUpdated { item: item(51, 50, 11, true), card_id: id(11), counts: counts(1, 2) },
            (1, 2),
        ),
        (EventKind::ChecklistItemMoved { item: item(51, 50, 11, true), card_id: id(11), counts: counts(1, 2) }, (1, 2)),
        (EventKind::ChecklistUpdated { checklist: checklist.clone(), card_id: id(11), counts: counts(1, 2) }, (1, 2)),
        (
            EventKind::ChecklistItemDeleted {
                item_id: id(51),
                checklist_id: id(50),
                card_id: id(11),
                counts: counts(0, 1),
            },
            (0, 1),
        ),
        (EventKind::ChecklistDeleted { checklist_id: id(50), card_id: id(11), counts: counts(0, 0) }, (0, 0)),
    ];
    let mut m = model();
    for (kind, (done, total)) in steps {
        let name = kind.name();
        m.apply_next(&event(m.seq() + 1, kind)).unwrap();
        assert_eq!(m.cards[&id(11)].checklist, counts(done, total), "after {name}");
        assert_eq!(m.cards[&id(11)].version, 1, "{name} leaves the version");
    }
}

#[test]
fn every_comment_event_sets_the_count_it_carries() {
    let mut edited = comment(60, 12);
    edited.edited_at = Some(OffsetDateTime::UNIX_EPOCH);
    let mut m = model();
    for (kind, count) in [
        (EventKind::CommentAdded { comment: comment(60, 12), comment_count: 1 }, 1),
        (EventKind::CommentAdded { comment: comment(61, 12), comment_count: 2 }, 2),
        (EventKind::CommentEdited { comment: edited, comment_count: 2 }, 2),
        (EventKind::CommentDeleted { comment_id: id(60), card_id: id(12), comment_count: 1 }, 1),
    ] {
        m.apply_next(&event(m.seq() + 1, kind)).unwrap();
        assert_eq!(m.cards[&id(12)].comment_count, count);
    }
}

#[test]
fn an_archived_card_leaves_and_comes_back_at_its_place_with_everything_on_it() {
    let mut restored = card(11, 1, "b");
    restored.version = 3;
    restored.label_ids = vec![id(30)];
    restored.member_ids = vec![id(40)];
    restored.checklist = ChecklistCounts { done: 1, total: 4 };
    restored.comment_count = 2;
    let mut m = after(vec![EventKind::CardArchived { card_id: id(11), list_id: id(1), version: 2 }]);
    assert_eq!(cards_of(&m, 1), vec![id(10), id(12)]);
    m.apply_next(&event(m.seq() + 1, EventKind::CardRestored { card: restored.clone() })).unwrap();
    assert_eq!(cards_of(&m, 1), vec![id(10), id(11), id(12)]);
    assert_eq!(m.cards[&id(11)], restored);
}

#[test]
fn an_archived_list_leaves_with_its_cards_and_comes_back_with_those_that_left_with_it() {
    // Card 11 was archived on its own first: it stays archived when the list comes back.
    let mut m = after(vec![
        EventKind::CardArchived { card_id: id(11), list_id: id(1), version: 2 },
        EventKind::ListArchived { list_id: id(1) },
    ]);
    assert_eq!(m.layout(&[], &[]).lists, vec![id(2)]);
    assert_eq!(m.cards.keys().copied().collect::<Vec<_>>(), vec![id(20)]);
    let kind = EventKind::ListRestored { list: list(1, "a"), cards: vec![card(10, 1, "a"), card(12, 1, "c")] };
    m.apply_next(&event(m.seq() + 1, kind)).unwrap();
    assert_eq!(m.layout(&[], &[]).lists, vec![id(1), id(2)]);
    assert_eq!(cards_of(&m, 1), vec![id(10), id(12)]);
}

#[test]
fn a_list_or_card_that_arrives_archived_is_not_put_on_the_board() {
    let mut archived_list = list(1, "a");
    archived_list.archived_at = Some(OffsetDateTime::UNIX_EPOCH);
    let mut m = after(vec![
        EventKind::ListArchived { list_id: id(1) },
        // A rename of a list in the archive.
        EventKind::ListUpdated { list: archived_list.clone() },
    ]);
    assert_eq!(m.layout(&[], &[]).lists, vec![id(2)]);
    m.upsert_list(archived_list);
    assert_eq!(m.layout(&[], &[]).lists, vec![id(2)]);

    // The REST answer of an archive: the card leaves, and an older answer does not bring it back.
    let mut archived = card(20, 2, "a");
    archived.version = 2;
    archived.archived_at = Some(OffsetDateTime::UNIX_EPOCH);
    m.upsert_card(archived);
    assert!(cards_of(&m, 2).is_empty());
}

#[test]
fn card_dates_and_the_complete_mark_come_with_card_updated() {
    let due = OffsetDateTime::UNIX_EPOCH + Duration::days(3);
    let mut updated = card(10, 1, "a");
    updated.version = 2;
    updated.start_at = Some(OffsetDateTime::UNIX_EPOCH);
    updated.due_at = Some(due);
    updated.completed = true;
    let m = after(vec![EventKind::CardUpdated { card: updated.clone() }]);
    assert_eq!(m.cards[&id(10)], updated);
}

fn due_in(offset: Option<Duration>, completed: bool) -> Option<DueState> {
    let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1000);
    let mut c = card(10, 1, "a");
    c.due_at = offset.map(|o| now + o);
    c.completed = completed;
    DueState::of(&c, now)
}

#[test]
fn due_state_plain_soon_overdue_and_complete() {
    assert_eq!(due_in(None, false), None, "no due date, no state");
    assert_eq!(due_in(None, true), None, "complete without a due date shows no due state");
    assert_eq!(due_in(Some(Duration::days(3)), false), Some(DueState::Plain));
    assert_eq!(due_in(Some(Duration::hours(2)), false), Some(DueState::Soon));
    assert_eq!(due_in(Some(-Duration::minutes(1)), false), Some(DueState::Overdue));
    assert_eq!(due_in(Some(-Duration::days(2)), true), Some(DueState::Complete));
    assert_eq!(due_in(Some(Duration::hours(2)), true), Some(DueState::Complete));
    assert_eq!(due_in(Some(Duration::days(3)), true), Some(DueState::Complete));
}

#[test]
fn due_state_at_the_edges_24_hours_is_soon_and_the_due_instant_is_overdue() {
    assert_eq!(due_in(Some(DUE_SOON), false), Some(DueState::Soon));
    assert_eq!(due_in(Some(DUE_SOON + Duration::seconds(1)), false), Some(DueState::Plain));
    assert_eq!(due_in(Some(DUE_SOON + Duration::nanoseconds(1)), false), Some(DueState::Plain));
    assert_eq!(due_in(Some(Duration::nanoseconds(1)), false), Some(DueState::Soon));
    assert_eq!(due_in(Some(Duration::ZERO), false), Some(DueState::Overdue));
}
