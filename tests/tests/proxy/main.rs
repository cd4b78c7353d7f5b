//! Corkboard behind nginx, configured exactly as docs/OPERATIONS.md says (docs/nginx.conf.example), with TLS:
//! login, a WebSocket move that reaches a second socket, and a server-sent event stream that is live and resumes
//! from `Last-Event-ID` — every request through the proxy, none to the server directly.
//!
//! `scripts/proxy-test` starts nginx and a real server on loopback, exports
//!   CORKBOARD_PROXY_URL       https://localhost:<port>, the proxied Corkboard
//!   CORKBOARD_PROXY_CA        PEM file of the CA that signed the proxy's certificate
//!   CORKBOARD_PROXY_UPSTREAM  http://127.0.0.1:<port>, the same server without the proxy
//! and runs these tests with `--ignored` (plain `cargo test` has no proxy to talk to).

mod harness;

use std::time::Duration;

use corkboard_protocol::{ClientMsg, MoveTarget, Role, ServerMsg, Snapshot};
use harness::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
#[ignore = "needs scripts/proxy-test (nginx in front of a server)"]
async fn login_and_a_shared_board_through_the_proxy() {
    let Fixture { proxy, alice, bob, board, lists, card } = Proxy::fixture().await;

    // The editor, logged in through the proxy, sees the board as its owner made it.
    let (status, body) = proxy.call(Method::GET, &format!("/api/boards/{}", board.id), Some(&bob.token), None).await;
    assert_eq!(status, StatusCode::OK, "the editor reads the snapshot through the proxy: {body}");
    let snapshot: Snapshot = serde_json::from_value(body).expect("a snapshot");
    assert_eq!(snapshot.lists.iter().map(|l| l.id).collect::<Vec<_>>(), lists.map(|l| l.id));
    assert_eq!(snapshot.cards.iter().map(|c| c.id).collect::<Vec<_>>(), [card.id]);
    let members: Vec<(Uuid, Role)> = snapshot.members.iter().map(|m| (m.user.id, m.role)).collect();
    assert_eq!(members, [(alice.id, Role::Owner), (bob.id, Role::Editor)]);
    assert_eq!(snapshot.board.seq, 4, "two lists, a card and a member: four events");

    // A wrong password is refused through the proxy the same way as without it.
    let (status, body) = proxy
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": alice.username, "password": "not the password"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a wrong password: {body}");
    assert_eq!(body["error"]["code"], "invalid_credentials", "{body}");
}

#[tokio::test]
#[ignore = "needs scripts/proxy-test (nginx in front of a server)"]
async fn a_websocket_move_reaches_a_second_socket_through_the_proxy() {
    let Fixture { proxy, alice, bob, board, lists, card } = Proxy::fixture().await;

    // Alice's socket says it comes from the public origin, as her browser would; Bob's is an API client.
    let mut alice_ws = proxy.ws(&alice, board.id, Some(&proxy.origin())).await;
    let mut bob_ws = proxy.ws(&bob, board.id, None).await;
    assert_eq!(alice_ws.hello_seq, 4, "hello carries the board's seq");
    assert_eq!(bob_ws.hello_seq, alice_ws.hello_seq, "both sockets start at the same seq");
    let seq = alice_ws.hello_seq + 1;

    let client_op_id = format!("proxy-{}", Uuid::new_v4().simple());
    alice_ws.send(&ClientMsg::move_card(client_op_id.clone(), card.id, lists[1].id, MoveTarget::First)).await;

    match bob_ws.next_msg("the card_moved event of alice's move").await {
        ServerMsg::Event(event) => assert_card_moved(&event, seq, card.id, lists[1].id, &alice, &client_op_id),
        other => panic!("bob's socket: expected the card_moved event, got {other:?}"),
    }

    // Alice gets the ack of her move, and her own socket sees the event too (in either order).
    let (mut acked, mut seen) = (false, false);
    while !(acked && seen) {
        match alice_ws.next_msg("the ack and the event of the move").await {
            ServerMsg::Ack { client_op_id: acked_op, seq: acked_seq } if !acked => {
                assert_eq!((acked_op.as_str(), acked_seq), (client_op_id.as_str(), seq), "the ack of the move");
                acked = true;
            }
            ServerMsg::Event(event) if !seen => {
                assert_card_moved(&event, seq, card.id, lists[1].id, &alice, &client_op_id);
                seen = true;
            }
            other => panic!("alice's socket: expected the ack and the event of her move, got {other:?}"),
        }
    }

    // The move is stored: a snapshot through the proxy has the card in the second list.
    let (status, body) = proxy.call(Method::GET, &format!("/api/boards/{}", board.id), Some(&bob.token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let snapshot: Snapshot = serde_json::from_value(body).expect("a snapshot");
    assert_eq!(snapshot.board.seq, seq);
    assert_eq!(snapshot.cards.iter().map(|c| (c.id, c.list_id)).collect::<Vec<_>>(), [(card.id, lists[1].id)]);
}

#[tokio::test]
#[ignore = "needs scripts/proxy-test (nginx in front of a server)"]
async fn an_event_stream_is_live_and_resumes_through_the_proxy() {
    let Fixture { proxy, alice, bob, board, lists, card } = Proxy::fixture().await;
    let op = |n: u32| format!("proxy-sse-{n}-{}", Uuid::new_v4().simple());

    // Bob watches the board; the response headers mean he is subscribed, so every later move reaches him.
    let mut stream = proxy.sse(&bob, board.id, None).await;

    // Live: each move reaches the open stream on its own, while the stream stays open — a proxy that
    // buffered the response would hold these small events back.
    let mut last_seen = None;
    for (n, to) in [(1, lists[1].id), (2, lists[0].id)] {
        let client_op_id = op(n);
        let moved = proxy.move_card(&alice, card.id, to, &client_op_id).await;
        let message = next_sse(&mut stream, &format!("the event of move {n} (seq {})", moved.seq)).await;
        let event = sse_event(&message);
        assert_card_moved(&event, moved.seq, card.id, to, &alice, &client_op_id);
        last_seen = Some(event.seq);
    }
    let last_seen = last_seen.expect("two events seen");
    assert_eq!(last_seen, 6, "the board had four events before the two moves");
    drop(stream);

    // Bob is away while Alice moves the card again.
    let missed_op = op(3);
    let missed = proxy.move_card(&alice, card.id, lists[1].id, &missed_op).await;
    assert_eq!(missed.seq, last_seen + 1);

    // Back with the last id he saw: the missed event is what comes next, and nothing else.
    let mut resumed = proxy.sse(&bob, board.id, Some(last_seen)).await;
    let message = next_sse(&mut resumed, &format!("the missed event (seq {}) after Last-Event-ID", missed.seq)).await;
    assert_card_moved(&sse_event(&message), missed.seq, card.id, lists[1].id, &alice, &missed_op);
    if let Some(Some(extra)) = resumed.next_within(Duration::from_secs(1)).await {
        panic!("after the missed event the resumed stream should be quiet, got {extra:?}");
    }

    // And the resumed stream is live too.
    let live_op = op(4);
    let live = proxy.move_card(&alice, card.id, lists[0].id, &live_op).await;
    let message = next_sse(&mut resumed, &format!("the event of a move after resuming (seq {})", live.seq)).await;
    assert_card_moved(&sse_event(&message), live.seq, card.id, lists[0].id, &alice, &live_op);
}
