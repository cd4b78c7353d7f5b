//! Abuse: huge, deeply nested and binary JSON bodies are refused with a 4xx in our error
//! shape, quickly and without the server holding them; one user cannot open sockets without limit.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use corkboard_protocol::{ErrorCode, MAX_BODY_BYTES};
use corkboard_tests::ws::{Auth, try_connect, ws_request};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A refusal of a bad body must come at once, not after the server chewed on it.
const QUICK: Duration = Duration::from_secs(5);

/// POSTs `body` over a raw connection, writing and reading at the same time: a server that answers 413
/// before the upload ends (as it should) may close the connection under the writer, which a regular client
/// reports as an error instead of the answer. `chunked` sends no Content-Length.
async fn raw_post(addr: SocketAddr, path: &str, token: &str, body: Vec<u8>, chunked: bool) -> (StatusCode, Value) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let length =
        if chunked { "Transfer-Encoding: chunked".to_owned() } else { format!("Content-Length: {}", body.len()) };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\n{length}\r\nConnection: close\r\n\r\n"
    );
    let upload = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for piece in body.chunks(64 * 1024) {
            if chunked {
                writer.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await?;
                writer.write_all(piece).await?;
                writer.write_all(b"\r\n").await?;
            } else {
                writer.write_all(piece).await?;
            }
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(())
    });
    let mut response = Vec::new();
    let _ = tokio::time::timeout(QUICK * 4, reader.read_to_end(&mut response)).await.expect("an answer in time");
    upload.abort();
    let text = String::from_utf8_lossy(&response);
    let status_line = text.lines().next().unwrap_or_default();
    let status =
        status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status: {text}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // Chunked answers wrap the JSON in chunk sizes: take the object.
    let json = body.find('{').zip(body.rfind('}')).map_or("", |(start, end)| &body[start..=end]);
    (StatusCode::from_u16(status).expect("status"), serde_json::from_str(json).unwrap_or(Value::Null))
}

/// The server still answers normally.
async fn still_serves(app: &TestApp, user: &TestUser) {
    let (status, body) = app.call(Method::GET, "/api/boards", Some(user), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_json_is_a_bad_request_not_a_stack_overflow() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 1).await;
    let before = app.board_state(&ann, board.id).await;
    let move_path = format!("/api/cards/{}/move", cards[0][0].id);
    let nested_arrays = "[".repeat(100_000);
    let nested_in_a_field = format!(r#"{{"title": {}"#, "[".repeat(MAX_BODY_BYTES - 20));
    let nested_objects = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
    let closed_arrays = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));

    for (path, body) in [
        ("/api/boards", &nested_arrays),
        ("/api/boards", &nested_in_a_field),
        ("/api/boards", &nested_objects),
        (move_path.as_str(), &closed_arrays),
        (move_path.as_str(), &nested_in_a_field),
        (move_path.as_str(), &nested_objects),
    ] {
        assert!(body.len() <= MAX_BODY_BYTES, "under the size limit, so only the nesting is refused");
        let started = Instant::now();
        let got = app.call_raw(Method::POST, path, &ann, Some("application/json"), body.clone()).await;
        // Unclosed nesting is not JSON; closed nesting is JSON that does not fit (serde skips unknown fields
        // without recursing). Either way a 400 in our shape, never a crash.
        let code: ErrorCode = serde_json::from_value(got.1["error"]["code"].clone()).unwrap_or(ErrorCode::Unknown);
        assert!([ErrorCode::MalformedJson, ErrorCode::InvalidBody].contains(&code), "{path}: {}", got.1);
        assert_error(&got, StatusCode::BAD_REQUEST, code);
        assert!(started.elapsed() < QUICK, "{path}: took {:?}", started.elapsed());
    }
    assert_eq!(app.board_state(&ann, board.id).await, before, "nothing was written");
    assert_eq!(lists.len(), 1);
    still_serves(&app, &ann).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_body_is_payload_too_large_before_it_is_read() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, _) = app.board_with(&ann, 1, 0).await;
    let before = app.board_state(&ann, board.id).await;
    let path = format!("/api/lists/{}/cards", lists[0].id);
    let huge = format!(r#"{{"title": "x", "description": "{}"}}"#, "d".repeat(10 * 1000 * 1000)).into_bytes();

    for chunked in [false, true] {
        let started = Instant::now();
        let got = raw_post(app.addr, &path, &ann.token, huge.clone(), chunked).await;
        assert_error(&got, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge);
        assert!(started.elapsed() < QUICK, "chunked: {chunked}: took {:?}", started.elapsed());
    }
    assert_eq!(app.board_state(&ann, board.id).await, before);
    still_serves(&app, &ann).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_sent_as_json_are_a_bad_request() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 1).await;
    let before = app.board_state(&ann, board.id).await;
    let paths = [
        "/api/boards".to_owned(),
        format!("/api/lists/{}/cards", lists[0].id),
        format!("/api/cards/{}/move", cards[0][0].id),
        format!("/api/cards/{}", cards[0][0].id),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(6);

    for round in 0..40 {
        let len = [1, 7, 100, 4096, 65_536, MAX_BODY_BYTES / 2][round % 6];
        let mut bytes = vec![0u8; len];
        rng.fill(bytes.as_mut_slice());
        // Never valid JSON: at least the first byte is not where JSON could start.
        bytes[0] = 0xff;
        let path = &paths[round % paths.len()];
        let method =
            if path.starts_with("/api/cards/") && !path.ends_with("/move") { Method::PATCH } else { Method::POST };
        let got = app.call_raw(method.clone(), path, &ann, Some("application/json"), bytes).await;
        assert_error(&got, StatusCode::BAD_REQUEST, ErrorCode::MalformedJson);
    }
    assert_eq!(app.board_state(&ann, board.id).await, before);
    still_serves(&app, &ann).await;
}

/// What the server must do when one user opens sockets without end: refuse, past a cap, with a plain 429
/// `too_many_connections` before the upgrade, keep the open ones working, let others in, and make room again
/// when one closes. The cap itself is the server's (tens, not thousands: a person has a few tabs open).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sockets_from_one_user_are_capped_with_a_clear_refusal() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let board = app.create_board(&ann, "Crowded").await;
    app.add_member(&ann, board.id, &bob, corkboard_protocol::Role::Editor).await;

    let mut open = Vec::new();
    let mut refusal = None;
    for i in 0..1000 {
        match try_connect(ws_request(app.addr, board.id, None, Auth::Bearer(&ann.token), None)).await {
            Ok(socket) => open.push(socket),
            Err(refused) => {
                refusal = Some((i, refused));
                break;
            }
        }
    }

    let (at, refused) = refusal.expect("1,000 sockets of one user were all accepted");
    assert_error(&refused, StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyConnections);
    assert!(at >= 8, "a person may have a few tabs open: refused at {at}");
    // Others are not affected, the open sockets still work, and closing one makes room.
    let _bob = app.ws(&bob.token, board.id, None).await;
    let last = open.last_mut().expect("some sockets are open");
    last.ping_pong().await;
    drop(open.pop());
    let deadline = Instant::now() + QUICK;
    loop {
        match try_connect(ws_request(app.addr, board.id, None, Auth::Bearer(&ann.token), None)).await {
            Ok(_) => break,
            Err(refused) => assert!(Instant::now() < deadline, "no room after a close: {refused:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
