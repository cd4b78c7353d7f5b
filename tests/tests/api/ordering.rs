//! Order keys under load: random moves match a plain model, inserts at one spot keep their order, keys stay short
//! and a rebalance's events keep a client that applies them in step with the server.

use std::collections::HashMap;

use corkboard_protocol::{EventKind, Snapshot};
use corkboard_tests::{TestApp, TestUser, card_ids, spawn_app};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// The rebalance threshold of the server's order keys.
const MAX_KEY_LEN: usize = 32;

#[track_caller]
fn assert_keys_short(snapshot: &Snapshot) {
    let longest =
        snapshot.cards.iter().map(|c| c.position.len()).chain(snapshot.lists.iter().map(|l| l.position.len()));
    let longest = longest.max().unwrap_or(0);
    assert!(longest <= MAX_KEY_LEN, "a key of {longest} chars");
}

/// The board as a client that applied every logged event to the snapshot it started from (an empty board) sees
/// it: lists by position, each list's cards by position.
fn replay(events: &[corkboard_protocol::Event]) -> (Vec<Uuid>, Vec<Vec<Uuid>>) {
    let mut lists: HashMap<Uuid, String> = HashMap::new();
    let mut cards: HashMap<Uuid, (Uuid, String)> = HashMap::new();
    for event in events {
        match &event.kind {
            EventKind::ListCreated { list } => {
                lists.insert(list.id, list.position.clone());
            }
            EventKind::ListMoved { list_id, position } => {
                lists.insert(*list_id, position.clone());
            }
            EventKind::ListDeleted { list_id } => {
                lists.remove(list_id);
                cards.retain(|_, (list, _)| list != list_id);
            }
            EventKind::CardCreated { card } => {
                cards.insert(card.id, (card.list_id, card.position.clone()));
            }
            EventKind::CardMoved { card_id, to_list_id, position, .. } => {
                cards.insert(*card_id, (*to_list_id, position.clone()));
            }
            EventKind::CardDeleted { card_id, .. } => {
                cards.remove(card_id);
            }
            _ => {}
        }
    }
    let mut list_order: Vec<(&String, Uuid)> = lists.iter().map(|(id, pos)| (pos, *id)).collect();
    list_order.sort();
    let list_ids: Vec<Uuid> = list_order.into_iter().map(|(_, id)| id).collect();
    let columns = list_ids
        .iter()
        .map(|list_id| {
            let mut column: Vec<(&String, Uuid)> =
                cards.iter().filter(|(_, (l, _))| l == list_id).map(|(id, (_, pos))| (pos, *id)).collect();
            column.sort();
            column.into_iter().map(|(_, id)| id).collect()
        })
        .collect();
    (list_ids, columns)
}

async fn assert_matches_model(app: &TestApp, user: &TestUser, board_id: Uuid, model: &[Vec<Uuid>], step: usize) {
    let snapshot = app.snapshot(user, board_id).await;
    assert_eq!(card_ids(&snapshot), model, "after {step} moves");
    assert_keys_short(&snapshot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_random_moves_leave_the_order_of_a_simple_model() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 4, 10).await;
    let mut model: Vec<Vec<Uuid>> = cards.iter().map(|list| list.iter().map(|c| c.id).collect()).collect();
    let mut rng = StdRng::seed_from_u64(0x00c0_ffee);

    for step in 1..=1000 {
        let from = rng.gen_range(0..model.len());
        if model[from].is_empty() {
            continue;
        }
        let index = rng.gen_range(0..model[from].len());
        let card = model[from].remove(index);
        // Mostly across lists, often within, and a share straight to the top.
        let to = if rng.gen_bool(0.3) { from } else { rng.gen_range(0..model.len()) };
        let after = if model[to].is_empty() || rng.gen_bool(0.2) {
            None
        } else {
            Some(model[to][rng.gen_range(0..model[to].len())])
        };
        let index = after.map_or(0, |a| model[to].iter().position(|&c| c == a).unwrap() + 1);
        model[to].insert(index, card);

        let moved = app.move_card(&ann, card, lists[to].id, after).await;

        assert!(moved.card.position.len() <= MAX_KEY_LEN, "step {step}: {}", moved.card.position);
        if step % 100 == 0 {
            assert_matches_model(&app, &ann, board.id, &model, step).await;
        }
    }
    assert_matches_model(&app, &ann, board.id, &model, 1000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_inserts_after_the_same_card_keep_their_order() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 2).await;
    let (anchor, last) = (cards[0][0].id, cards[0][1].id);

    let mut inserted = Vec::new();
    for i in 0..100 {
        inserted.push(app.create_card_after(&ann, lists[0].id, &format!("N{i}"), Some(anchor)).await.id);
    }

    let snapshot = app.snapshot(&ann, board.id).await;
    let expected: Vec<Uuid> =
        std::iter::once(anchor).chain(inserted.iter().rev().copied()).chain(std::iter::once(last)).collect();
    assert_eq!(card_ids(&snapshot), vec![expected]);
    assert_keys_short(&snapshot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_inserts_at_the_top_keep_their_order() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 1).await;

    let mut inserted = Vec::new();
    for i in 0..100 {
        inserted.push(app.create_card_after(&ann, lists[0].id, &format!("N{i}"), None).await.id);
    }

    let snapshot = app.snapshot(&ann, board.id).await;
    let expected: Vec<Uuid> = inserted.iter().rev().copied().chain(std::iter::once(cards[0][0].id)).collect();
    assert_eq!(card_ids(&snapshot), vec![expected]);
    assert_keys_short(&snapshot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_moves_after_the_same_card_keep_their_order() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    let (anchor, last) = (cards[0][0].id, cards[0][1].id);
    let mut pool = Vec::new();
    for i in 0..100 {
        pool.push(app.create_card(&ann, lists[1].id, &format!("M{i}")).await.id);
    }

    for &card in &pool {
        app.move_card(&ann, card, lists[0].id, Some(anchor)).await;
    }

    let snapshot = app.snapshot(&ann, board.id).await;
    let expected: Vec<Uuid> =
        std::iter::once(anchor).chain(pool.iter().rev().copied()).chain(std::iter::once(last)).collect();
    assert_eq!(card_ids(&snapshot)[0], expected);
    assert_keys_short(&snapshot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_run_of_inserts_at_one_spot_rebalances_and_its_events_keep_clients_in_step() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 3).await;
    let anchor = cards[0][0].id;

    // Always right after the newest insert: the gap halves every time, so the keys grow fastest.
    let mut previous = anchor;
    for i in 0..300 {
        let card = app.create_card_after(&ann, lists[0].id, &format!("N{i}"), Some(previous)).await;
        assert!(card.position.len() <= MAX_KEY_LEN, "insert {i}: {}", card.position);
        previous = card.id;
    }

    let events = app.events(board.id).await;
    let rebalanced = events.iter().filter(|e| matches!(e.kind, EventKind::CardMoved { .. })).count();
    assert!(rebalanced > 0, "300 inserts at one spot rebalance the list at least once");
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_keys_short(&snapshot);
    let (replayed_lists, replayed_cards) = replay(&events);
    assert_eq!(replayed_lists, snapshot.lists.iter().map(|l| l.id).collect::<Vec<_>>());
    assert_eq!(replayed_cards, card_ids(&snapshot), "a client applying the events sees the server's order");
    assert_eq!(card_ids(&snapshot)[0].len(), 303);
    assert_eq!(snapshot.board.seq, events.len() as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_run_of_lists_at_one_spot_rebalances_and_its_events_keep_clients_in_step() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 2, 1).await;

    let mut previous = lists[0].id;
    for i in 0..250 {
        let list = app.create_list_after(&ann, board.id, &format!("N{i}"), Some(previous)).await;
        assert!(list.position.len() <= MAX_KEY_LEN, "insert {i}: {}", list.position);
        previous = list.id;
    }

    let events = app.events(board.id).await;
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::ListMoved { .. })), "the lists were rebalanced");
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_keys_short(&snapshot);
    let (replayed_lists, replayed_cards) = replay(&events);
    assert_eq!(replayed_lists, snapshot.lists.iter().map(|l| l.id).collect::<Vec<_>>());
    assert_eq!(replayed_cards, card_ids(&snapshot));
    assert_eq!(snapshot.lists.last().map(|l| l.id), Some(lists[1].id));
}
