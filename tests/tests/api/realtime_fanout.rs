//! The realtime data path under pressure: concurrent writers and watchers, a slow reader, two server instances
//! on one database. Postgres going away under open sockets is in realtime_outages.rs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use corkboard_protocol::{Card, ErrorCode, Event, EventKind, Role, ServerMsg, Snapshot};
use corkboard_tests::ws::{BoardSocket, connect_slow_reader};
use corkboard_tests::{TestApp, TestUser, spawn_app};
use futures_util::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

/// Reads events until `last_seq`, asserting each is the next seq (no gap, no repeat).
pub(crate) async fn read_through(socket: &mut BoardSocket, from_seq: i64, last_seq: i64) -> Vec<Event> {
    let mut events = Vec::new();
    let mut expected = from_seq + 1;
    while expected <= last_seq {
        let event = socket.next_event().await;
        assert_eq!(event.seq, expected, "a gap or a repeat");
        expected += 1;
        events.push(event);
    }
    events
}

/// Moves a card through the instance at `addr` (REST); true when it moved, false on a 409.
async fn rest_move(
    app: &TestApp,
    addr: SocketAddr,
    user: &TestUser,
    card_id: Uuid,
    list_id: Uuid,
    after_id: Option<Uuid>,
    op: &str,
) -> bool {
    let response = app
        .client
        .post(format!("http://{addr}/api/cards/{card_id}/move"))
        .bearer_auth(&user.token)
        .json(&json!({"list_id": list_id, "after_id": after_id, "client_op_id": op}))
        .send()
        .await
        .expect("move sent");
    match response.status() {
        StatusCode::OK => true,
        StatusCode::CONFLICT => false,
        other => panic!("move answered {other}: {}", response.text().await.unwrap_or_default()),
    }
}

/// The cards of a snapshot after applying `card_moved` events, keyed by id: (list, position, version).
fn apply_moves(snapshot: &Snapshot, events: &[Event]) -> HashMap<Uuid, (Uuid, String, i64)> {
    let mut cards: HashMap<Uuid, (Uuid, String, i64)> =
        snapshot.cards.iter().map(|c| (c.id, (c.list_id, c.position.clone(), c.version))).collect();
    for event in events {
        match &event.kind {
            EventKind::CardMoved { card_id, to_list_id, position, version, .. } => {
                cards.insert(*card_id, (*to_list_id, position.clone(), *version));
            }
            other => panic!("only moves were made, got {other:?}"),
        }
    }
    cards
}

fn as_state(cards: &[Card]) -> HashMap<Uuid, (Uuid, String, i64)> {
    cards.iter().map(|c| (c.id, (c.list_id, c.position.clone(), c.version))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_concurrent_writers_and_five_watchers_see_one_gapless_sequence_that_rebuilds_the_board() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 3, 4).await;
    let mut writers = vec![ann.clone()];
    for name in ["bob", "cat", "dan"] {
        let user = app.register(name).await;
        app.add_member(&ann, board.id, &user, Role::Editor).await;
        writers.push(user);
    }
    let eve = app.register("eve").await;
    app.add_member(&ann, board.id, &eve, Role::Viewer).await;
    let before = app.snapshot(&ann, board.id).await;
    let mut watchers = Vec::new();
    for user in writers.iter().chain([&eve]) {
        watchers.push(app.ws(&user.token, board.id, Some(before.board.seq)).await);
    }
    let card_ids: Vec<Uuid> = cards.iter().flatten().map(|c| c.id).collect();
    let list_ids: Vec<Uuid> = lists.iter().map(|l| l.id).collect();

    // Two writers over REST, two over their own sockets; each picks targets from a stale view, so some
    // moves are refused (409) — those must leave no trace.
    let moves_per_writer = 20;
    let runs = writers.iter().enumerate().map(|(w, user)| {
        let (app, card_ids, list_ids) = (&app, &card_ids, &list_ids);
        async move {
            let mut rng = StdRng::seed_from_u64(w as u64);
            let mut socket = if w >= 2 { Some(app.ws(&user.token, board.id, None).await) } else { None };
            let mut applied = 0;
            for i in 0..moves_per_writer {
                let card = card_ids[rng.gen_range(0..card_ids.len())];
                let list = list_ids[rng.gen_range(0..list_ids.len())];
                // Never after itself (that is a 422, not a race).
                let after =
                    Some(card_ids[rng.gen_range(0..card_ids.len())]).filter(|a| *a != card && rng.gen_bool(0.5));
                let op = format!("w{w}-{i}");
                let moved = match socket.as_mut() {
                    None => rest_move(app, app.addr, user, card, list, after, &op).await,
                    Some(socket) => {
                        socket.move_card(&op, card, list, after).await;
                        loop {
                            match socket.next_msg().await {
                                ServerMsg::Ack { client_op_id, .. } if client_op_id == op => break true,
                                ServerMsg::Error { client_op_id, code, .. } if client_op_id.as_deref() == Some(&op) => {
                                    assert_eq!(code, ErrorCode::StalePosition);
                                    break false;
                                }
                                ServerMsg::Event(_) => continue,
                                other => panic!("unexpected {other:?}"),
                            }
                        }
                    }
                };
                applied += usize::from(moved);
            }
            applied
        }
    });
    let applied: usize = join_all(runs).await.into_iter().sum();
    let last_seq = app.board_seq(board.id).await;
    assert_eq!(last_seq - before.board.seq, applied as i64, "one event per applied move");
    assert!(applied > 20, "most moves apply ({applied})");

    let mut sequences = Vec::new();
    for watcher in &mut watchers {
        sequences.push(read_through(watcher, before.board.seq, last_seq).await);
    }
    for sequence in &sequences[1..] {
        assert_eq!(sequence, &sequences[0], "every watcher sees the identical sequence");
    }
    let after = app.snapshot(&ann, board.id).await;
    assert_eq!(after.board.seq, last_seq);
    assert_eq!(apply_moves(&before, &sequences[0]), as_state(&after.cards));
}

/// Appends `n` events straight to the log in transactions of `per_tx`, each ringing the doorbell as a real
/// change does: the realtime path cannot tell them from REST changes, and 5,000 of them take seconds, not
/// minutes. Returns when the last one committed.
async fn produce_events(app: &TestApp, board_id: Uuid, list_id: Uuid, actor: Uuid, n: i64, per_tx: i64) -> Instant {
    append_events(app, board_id, list_id, actor, n, per_tx, true, Duration::ZERO).await
}

/// `produce_events`, optionally without the doorbell (a lost NOTIFY) and with a pause between transactions.
#[allow(clippy::too_many_arguments)]
async fn append_events(
    app: &TestApp,
    board_id: Uuid,
    list_id: Uuid,
    actor: Uuid,
    n: i64,
    per_tx: i64,
    ring: bool,
    pause: Duration,
) -> Instant {
    let card_id = Uuid::now_v7();
    for _ in 0..n / per_tx {
        let mut tx = app.db.begin().await.expect("begin");
        let seq: i64 = sqlx::query_scalar(
            "with bumped as (update boards set seq = seq + $2 where id = $1 returning seq)
             insert into events (board_id, seq, kind, data, actor_id)
             select $1, s, 'card_updated',
                    jsonb_build_object('card', jsonb_build_object(
                        'id', $3::uuid, 'board_id', $1::uuid, 'list_id', $4::uuid, 'title', 'Busy card',
                        'description', repeat('x', 2000), 'position', 'm', 'version', s,
                        'created_at', '2026-01-01T00:00:00Z', 'updated_at', '2026-01-01T00:00:00Z')),
                    $5
             from bumped, generate_series(bumped.seq - $2 + 1, bumped.seq) s
             returning seq",
        )
        .bind(board_id)
        .bind(per_tx)
        .bind(card_id)
        .bind(list_id)
        .bind(actor)
        .fetch_all(&mut *tx)
        .await
        .expect("append events")
        .into_iter()
        .max()
        .expect("some events");
        if ring {
            ring_doorbell(&mut tx, &format!("{board_id}:{seq}")).await;
        }
        tx.commit().await.expect("commit");
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    Instant::now()
}

async fn ring_doorbell(conn: &mut sqlx::PgConnection, payload: &str) {
    sqlx::query("select pg_notify('board_events', $1)").bind(payload).execute(conn).await.expect("ring");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_joining_while_events_commit_each_see_every_event_once_in_order() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 1, 1).await;
    let start = app.board_seq(board.id).await;
    let total = 200;

    // Commits keep coming (a few milliseconds apart) while sockets join, some resuming a little behind.
    let producing = append_events(&app, board.id, lists[0].id, ann.id, total, 5, true, Duration::from_millis(5));
    let joining = async {
        let mut sockets = Vec::new();
        for i in 0..12_i64 {
            let now = app.board_seq(board.id).await;
            let since = match i % 3 {
                0 => None,
                1 => Some(now),
                _ => Some((now - 7).max(start)),
            };
            let socket = app.ws(&ann.token, board.id, since).await;
            sockets.push((since.unwrap_or(socket.hello_seq), socket));
        }
        sockets
    };
    let (_, sockets) = tokio::join!(producing, joining);

    for (from, mut socket) in sockets {
        read_through(&mut socket, from, start + total).await;
        app.create_list(&ann, board.id, "Fence").await;
        assert_eq!(socket.next_event().await.kind.name(), "list_created", "nothing twice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doorbells_that_are_early_repeated_garbled_late_or_lost_are_only_hints() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 1, 1).await;
    let mut socket = app.ws(&ann.token, board.id, None).await;
    let start = socket.hello_seq;
    let mut conn = app.db.acquire().await.expect("a connection");

    // Rung before anything committed, twice; garbage; another board's bell.
    ring_doorbell(&mut conn, &format!("{}:{}", board.id, start + 3)).await;
    ring_doorbell(&mut conn, &format!("{}:{}", board.id, start + 3)).await;
    ring_doorbell(&mut conn, "not a doorbell").await;
    ring_doorbell(&mut conn, &format!("{}:1", Uuid::now_v7())).await;
    // Two commits whose doorbells were lost, then a late bell for the first of them.
    append_events(&app, board.id, lists[0].id, ann.id, 2, 1, false, Duration::ZERO).await;
    ring_doorbell(&mut conn, &format!("{}:{}", board.id, start + 1)).await;
    // And an ordinary change.
    app.create_list(&ann, board.id, "Ordinary").await;

    let events = read_through(&mut socket, start, start + 3).await;
    assert_eq!(events[2].kind.name(), "list_created");
    app.create_list(&ann, board.id, "Fence").await;
    assert_eq!(socket.next_event().await.seq, start + 4, "nothing twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_ends_with_every_event_or_a_reset_never_a_gap_and_slows_nobody() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 1, 1).await;
    let total = 5000;
    let mut slow = connect_slow_reader(app.addr, board.id, &ann.token).await;
    let mut brisk = app.ws(&ann.token, board.id, None).await;
    let start = brisk.hello_seq;

    // The brisk watcher reads as events come; the slow one reads nothing until all are committed.
    let brisk_reader = tokio::spawn(async move {
        read_through(&mut brisk, start, start + total).await;
        Instant::now()
    });
    let last_commit = produce_events(&app, board.id, lists[0].id, ann.id, total, 100).await;
    let brisk_done = brisk_reader.await.expect("the brisk watcher got everything in order");
    let lag = brisk_done.saturating_duration_since(last_commit);
    assert!(lag < Duration::from_secs(2), "the brisk watcher was held up: {lag:?} after the last commit");

    let mut last = start;
    let mut resets = 0;
    while last < start + total {
        match slow.next_msg().await {
            ServerMsg::Event(event) if event.seq <= last && resets > 0 => {}
            ServerMsg::Event(event) => {
                assert_eq!(event.seq, last + 1, "a gap or a repeat for the slow reader");
                last = event.seq;
            }
            ServerMsg::Reset => {
                // As a client does: reload the snapshot and go on from its seq.
                resets += 1;
                last = app.snapshot(&ann, board.id).await.board.seq;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(resets <= 1, "at most one reset ({resets})");
    // And the socket is still in order afterwards.
    app.create_list(&ann, board.id, "After").await;
    assert_eq!(slow.next_event().await.seq, start + total + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_through_one_instance_reaches_a_socket_on_another_in_under_a_second() {
    let app = spawn_app().await;
    let other = app.start_instance().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;
    let mut on_a = app.ws_at(app.addr, &ann.token, board.id, None).await;
    let mut on_b = app.ws_at(other.addr, &ann.token, board.id, None).await;
    let seq = on_b.hello_seq;

    let started = Instant::now();
    assert!(rest_move(&app, app.addr, &ann, cards[0][0].id, lists[1].id, None, "op-a").await);
    let event = on_b.next_event().await;
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    assert_eq!((event.seq, event.client_op_id.as_deref()), (seq + 1, Some("op-a")));

    // The other way round, over a socket; and a resend on the other instance is still the same move.
    let started = Instant::now();
    on_b.move_card("op-b", cards[0][1].id, lists[1].id, None).await;
    assert_eq!(on_a.next_event().await.seq, seq + 1);
    assert_eq!(on_a.next_event().await.client_op_id.as_deref(), Some("op-b"));
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    on_a.move_card("op-b", cards[0][1].id, lists[0].id, None).await;
    assert_eq!(on_a.next_msg().await, ServerMsg::Ack { client_op_id: "op-b".into(), seq: seq + 2 });
    assert_eq!(app.board_seq(board.id).await, seq + 2);
    other.stop().await;
}

/// Moves a card, retrying while the database comes back (503s and refused connections).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_since_too_far_behind_gets_reset_instead_of_a_flood() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 1, 1).await;
    let start = app.board_seq(board.id).await;
    produce_events(&app, board.id, lists[0].id, ann.id, corkboard_server::realtime::MAX_REPLAY + 100, 100).await;
    let now = app.board_seq(board.id).await;

    let mut far_behind = app.ws(&ann.token, board.id, Some(start)).await;
    let mut just_behind = app.ws(&ann.token, board.id, Some(now - 3)).await;

    assert_eq!(far_behind.next_msg().await, ServerMsg::Reset);
    assert_eq!(just_behind.events(3).await.last().map(|e| e.seq), Some(now));
    app.create_list(&ann, board.id, "Live").await;
    assert_eq!(far_behind.next_event().await.seq, now + 1, "after the reset, live events from the reset point");
    assert_eq!(just_behind.next_event().await.seq, now + 1);
}
