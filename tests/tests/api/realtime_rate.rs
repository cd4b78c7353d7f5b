//! The socket's message rate judged on the client's sending, and moves during a database outage: a client that
//! keeps to the rate stays connected through an outage and every move it sends is answered (at once, with a
//! retryable refusal, while Postgres is known to be down); a client that really floods is still closed.

use std::collections::HashMap;
use std::time::Duration;

use corkboard_protocol::{ErrorCode, ServerMsg, close_code};
use corkboard_tests::pg::PrivatePostgres;
use corkboard_tests::spawn_app_on;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

/// What became of one `move_card` frame.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Ack(i64),
    Refused(ErrorCode),
}

/// Everything a paced client saw: the answer to each op (and how long after sending it came), and the close.
#[derive(Debug, Default)]
struct Seen {
    answers: HashMap<String, (Answer, Duration)>,
    close: Option<Option<u16>>,
}

fn move_frame(op: &str, card_id: Uuid, list_id: Uuid) -> Message {
    let frame = json!({"type": "move_card", "client_op_id": op, "card_id": card_id, "list_id": list_id,
                       "position": "first"});
    Message::text(frame.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_keeping_to_the_rate_stays_connected_and_answered_through_an_outage() {
    // A private cluster: stopping the shared server would break every other test running at the time.
    let pg = std::sync::Arc::new(PrivatePostgres::start());
    let app = spawn_app_on(&pg.url(), |_| {}).await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 1).await;
    let card = cards[0][0].id;
    let (mut sink, mut stream) = app.ws(&ann.token, board.id, None).await.into_stream().split();

    // The reader records each op's answer and when it came.
    let sent_at = std::sync::Arc::new(std::sync::Mutex::new(HashMap::<String, Instant>::new()));
    let reader = {
        let sent_at = std::sync::Arc::clone(&sent_at);
        tokio::spawn(async move {
            let mut seen = Seen::default();
            while let Some(message) = stream.next().await {
                let msg: ServerMsg = match message {
                    Ok(Message::Text(text)) => serde_json::from_str(text.as_str()).expect("a server frame"),
                    Ok(Message::Close(close)) => {
                        seen.close = Some(close.map(|c| u16::from(c.code)));
                        break;
                    }
                    Ok(_) => continue,
                    Err(_) => {
                        seen.close = Some(None);
                        break;
                    }
                };
                let (op, answer) = match msg {
                    ServerMsg::Pong => break,
                    ServerMsg::Ack { client_op_id, seq } => (client_op_id, Answer::Ack(seq)),
                    ServerMsg::Error { client_op_id: Some(op), code, .. } => (op, Answer::Refused(code)),
                    _ => continue,
                };
                let waited = sent_at.lock().unwrap().get(&op).map_or(Duration::ZERO, Instant::elapsed);
                seen.answers.insert(op, (answer, waited));
            }
            seen
        })
    };

    // 10 frames a second (half the allowed rate): 2 s before the outage, through 8 s of it, and 3 s after.
    let mut pace = tokio::time::interval(Duration::from_millis(100));
    let started = Instant::now();
    let mut outage: Option<tokio::task::JoinHandle<()>> = None;
    let mut ops = Vec::new();
    for n in 0..130 {
        pace.tick().await;
        if outage.is_none() && started.elapsed() >= Duration::from_secs(2) {
            let pg = std::sync::Arc::clone(&pg);
            outage = Some(tokio::task::spawn_blocking(move || {
                pg.stop();
                std::thread::sleep(Duration::from_secs(8));
                pg.start_again();
            }));
        }
        let op = format!("paced-{n}");
        sent_at.lock().unwrap().insert(op.clone(), Instant::now());
        let frame = move_frame(&op, card, lists[(n + 1) % 2].id);
        if sink.send(frame).await.is_err() {
            break;
        }
        ops.push(op);
    }
    outage.expect("the outage started").await.expect("postgres restarted");

    // Every move gets its answer: the pong of a ping sent now comes after all of them (one socket, in order).
    sink.send(Message::text(r#"{"type":"ping"}"#)).await.expect("socket still open");
    let seen = tokio::time::timeout(Duration::from_secs(30), reader).await.expect("answered in time").expect("joins");

    assert_ne!(seen.close, Some(Some(close_code::POLICY_VIOLATION)), "a client within the rate was closed");
    let unanswered: Vec<_> = ops.iter().filter(|op| !seen.answers.contains_key(*op)).collect();
    assert!(unanswered.is_empty(), "{} of {} moves unanswered: {unanswered:?}", unanswered.len(), ops.len());
    let mut refused_promptly = 0;
    for (op, (answer, waited)) in &seen.answers {
        match answer {
            Answer::Ack(_) => {}
            Answer::Refused(ErrorCode::ServiceUnavailable) => {
                if *waited < Duration::from_secs(1) {
                    refused_promptly += 1;
                }
            }
            Answer::Refused(other) => panic!("{op} refused with {other}"),
        }
    }
    // Eight seconds at ten a second: most of them met a server that already knew, and said so at once.
    assert!(refused_promptly >= 50, "only {refused_promptly} moves were refused promptly during the outage");

    // The refused ones are sent again with their ids: applied once each, never twice.
    let refused: Vec<&String> =
        seen.answers.iter().filter(|(_, (answer, _))| matches!(answer, Answer::Refused(_))).map(|(op, _)| op).collect();
    // Through REST: the socket's rate would (rightly) close a client resending 80 frames back to back.
    for op in &refused {
        let n: usize = op.trim_start_matches("paced-").parse().expect("an op number");
        let body = json!({"list_id": lists[(n + 1) % 2].id, "position": "first", "client_op_id": op});
        let (status, answer) =
            app.call(reqwest::Method::POST, &format!("/api/cards/{card}/move"), Some(&ann), Some(body)).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{op} sent again: {answer}");
    }
    let applied: i64 = sqlx::query_scalar(
        "select count(*) from events where board_id = $1 and client_op_id like 'paced-%'
         group by client_op_id order by count(*) desc limit 1",
    )
    .bind(board.id)
    .fetch_one(&app.db)
    .await
    .expect("count events");
    assert_eq!(applied, 1, "an op was applied more than once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_really_sending_100_moves_a_second_is_closed_with_1008() {
    let app = corkboard_tests::spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 1).await;
    let (mut sink, mut stream) = app.ws(&ann.token, board.id, None).await.into_stream().split();
    let reader = tokio::spawn(async move {
        while let Some(message) = stream.next().await {
            match message {
                Ok(Message::Close(close)) => return close.map(|c| u16::from(c.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    });

    let mut pace = tokio::time::interval(Duration::from_millis(10));
    for n in 0..500 {
        pace.tick().await;
        let frame = move_frame(&format!("flood-{n}"), cards[0][0].id, lists[(n + 1) % 2].id);
        if sink.send(frame).await.is_err() {
            break;
        }
    }
    let code = tokio::time::timeout(Duration::from_secs(10), reader).await.expect("closed in time").expect("joins");
    assert_eq!(code, Some(close_code::POLICY_VIOLATION));
}
