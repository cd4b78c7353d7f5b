//! The `corkboard` binary as a process: what a container orchestrator does to it. SIGTERM during a stream of
//! moves closes every socket with 1001, exits within 10 s, and loses nothing: a client resuming against the
//! restarted server gets every committed event. (The other integration tests live in `tests/` and run the
//! server in-process; only this one needs the real binary and its signal handling.)

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use corkboard_protocol::{AuthResponse, Board, Card, List, MoveCardResponse, ServerMsg};
use futures_util::StreamExt;
use serde_json::json;
use sqlx::Connection;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SECRET: &str = "process-test-secret-process-test-secret-0123";

fn database_server() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, name: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    let host_end = base.find("://").map_or(0, |i| i + 3);
    let root = base[host_end..].find('/').map_or(base, |slash| &base[..host_end + slash]);
    format!("{root}/{name}")
}

async fn fresh_database() -> String {
    let name = format!("corkboard_test_process_{}", uuid::Uuid::now_v7().simple());
    let mut admin =
        sqlx::PgConnection::connect(&with_database(&database_server(), "postgres")).await.expect("Postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}"))).execute(&mut admin).await.expect("create db");
    with_database(&database_server(), &name)
}

struct Server {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(db_url: &str, port: u16) -> Server {
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_corkboard"))
        .env("DATABASE_URL", db_url)
        .env("CORKBOARD_BIND", format!("127.0.0.1:{port}"))
        .env("CORKBOARD_PUBLIC_URL", &base)
        .env("CORKBOARD_JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .expect("start corkboard");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Server { child, base }
}

async fn post<T: serde::de::DeserializeOwned>(
    base: &str,
    token: Option<&str>,
    path: &str,
    body: serde_json::Value,
) -> T {
    let mut req = reqwest::Client::new().post(format!("{base}{path}")).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.expect("request");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.expect("json")
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_socket(base: &str, token: &str, board_id: uuid::Uuid, since: Option<i64>) -> Socket {
    let query = since.map(|s| format!("?since={s}")).unwrap_or_default();
    let url = format!("{}/api/boards/{board_id}/ws{query}", base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.expect("upgrade").0
}

/// Reads frames until the close; returns the event seqs seen and the close code.
async fn read_until_close(socket: &mut Socket) -> (Vec<i64>, Option<u16>) {
    let mut seqs = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(15), socket.next()).await.expect("a frame or the close") {
            Some(Ok(Message::Text(text))) => {
                if let Ok(ServerMsg::Event(event)) = serde_json::from_str::<ServerMsg>(&text) {
                    seqs.push(event.seq);
                }
            }
            Some(Ok(Message::Close(frame))) => return (seqs, frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (seqs, None),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_sockets_with_1001_exits_quickly_and_loses_no_committed_event() {
    let db_url = fresh_database().await;
    let port = free_port();
    let mut server = start(&db_url, port).await;
    let base = server.base.clone();
    let ann: AuthResponse =
        post(&base, None, "/api/auth/register", json!({"username": "ann", "password": "password123"})).await;
    let token = ann.token.clone();
    let board: Board = post(&base, Some(&token), "/api/boards", json!({"title": "Shutdown"})).await;
    let list: List = post(&base, Some(&token), &format!("/api/boards/{}/lists", board.id), json!({"title": "A"})).await;
    let mut cards = Vec::new();
    for i in 0..3 {
        let card: Card =
            post(&base, Some(&token), &format!("/api/lists/{}/cards", list.id), json!({"title": format!("c{i}")}))
                .await;
        cards.push(card);
    }
    let mut watchers =
        vec![open_socket(&base, &token, board.id, None).await, open_socket(&base, &token, board.id, None).await];

    // A stream of moves; every one the server acknowledged is remembered.
    let mover = {
        let (base, token, cards, list_id) = (base.clone(), token.clone(), cards.clone(), list.id);
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut acked = Vec::new();
            for i in 0.. {
                let card = &cards[i % cards.len()];
                let sent = client
                    .post(format!("{base}/api/cards/{}/move", card.id))
                    .bearer_auth(&token)
                    .json(&json!({"list_id": list_id, "after_id": null}))
                    .send()
                    .await;
                match sent {
                    Ok(resp) if resp.status().is_success() => {
                        acked.push(resp.json::<MoveCardResponse>().await.unwrap().seq)
                    }
                    _ => break,
                }
            }
            acked
        })
    };
    // Let some moves commit, then ask the process to stop, as an orchestrator would.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seq: i64 = reqwest::Client::new()
            .get(format!("{base}/api/boards/{}", board.id))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()["board"]["seq"]
            .as_i64()
            .unwrap();
        if seq >= 20 {
            break;
        }
        assert!(Instant::now() < deadline, "moves did not flow");
    }
    let stopping = Instant::now();
    let status = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(status.success());

    let mut last_seen = 0;
    for watcher in &mut watchers {
        let (seqs, code) = read_until_close(watcher).await;
        assert_eq!(code, Some(1001), "sockets are told the server is going away");
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "gapless before the close: {seqs:?}");
        last_seen = seqs.last().copied().unwrap_or(0);
    }
    let exit = tokio::task::spawn_blocking(move || server.child.wait()).await.unwrap().unwrap();
    let took = stopping.elapsed();
    assert!(took < Duration::from_secs(10), "exited in {took:?}");
    assert!(exit.success(), "clean exit: {exit:?}");
    let acked = mover.await.unwrap();
    assert!(!acked.is_empty());

    // Restart on the same database; a client resumes from the last event it saw.
    let restarted = start(&db_url, free_port()).await;
    let mut resumed = open_socket(&restarted.base, &token, board.id, Some(last_seen)).await;
    let mut seqs = vec![last_seen];
    let newest = *acked.iter().max().unwrap();
    while *seqs.last().unwrap() < newest {
        let frame =
            tokio::time::timeout(Duration::from_secs(10), resumed.next()).await.expect("replay").unwrap().unwrap();
        if let Message::Text(text) = frame
            && let Ok(ServerMsg::Event(event)) = serde_json::from_str::<ServerMsg>(&text)
        {
            seqs.push(event.seq);
        }
    }
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "resume is gapless: {seqs:?}");
    assert!(acked.iter().all(|seq| *seq <= newest), "every acknowledged move is in the log");
    let mut restarted = restarted;
    let _ = restarted.child.kill();
    let _ = restarted.child.wait();
}
