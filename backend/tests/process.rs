//! The `corkboard` binary as a process: what a container orchestrator does to it. SIGTERM during a stream of
//! moves closes every socket with 1001, exits within 10 s, and loses nothing: a client resuming against the
//! restarted server gets every committed event. A flood of huge bodies is measured in the process's own memory.
//! (The other integration tests live in `tests/` and run the server in-process; only these need the real
//! binary. Its convergence under `kill -9` is in chaos_process.rs.)

use std::time::{Duration, Instant};

use corkboard_protocol::{MoveCardResponse, ServerMsg};
use corkboard_tests::process::{ServerProcess, free_addr};
use corkboard_tests::spawn_app;
use serde_json::json;

const CORKBOARD: &str = env!("CARGO_BIN_EXE_corkboard");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_sockets_with_1001_exits_quickly_and_loses_no_committed_event() {
    // The in-process server only sets the board up; the test runs against the binary.
    let mut app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 1, 3).await;
    app.stop_server().await;
    let server = ServerProcess::start(CORKBOARD, &app.db_url, free_addr()).await;
    let mut watchers = vec![
        app.ws_at(server.addr, &ann.token, board.id, None).await,
        app.ws_at(server.addr, &ann.token, board.id, None).await,
    ];

    // A stream of moves; every one the server acknowledged is remembered.
    let mover = {
        let (client, base, token, cards, list_id) =
            (app.client.clone(), server.base_url(), ann.token.clone(), cards[0].clone(), lists[0].id);
        tokio::spawn(async move {
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
                        acked.push(resp.json::<MoveCardResponse>().await.expect("a move answer").seq)
                    }
                    _ => break,
                }
            }
            acked
        })
    };
    // Let some moves commit, then ask the process to stop, as an orchestrator would.
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.board_seq(board.id).await < 20 {
        assert!(Instant::now() < deadline, "moves did not flow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopping = Instant::now();
    server.terminate();

    let mut last_seen = 0;
    for watcher in &mut watchers {
        let (msgs, code) = watcher.until_close().await;
        let seqs: Vec<i64> =
            msgs.iter().filter_map(|m| if let ServerMsg::Event(e) = m { Some(e.seq) } else { None }).collect();
        assert_eq!(code, Some(1001), "sockets are told the server is going away");
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "gapless before the close: {seqs:?}");
        last_seen = seqs.last().copied().unwrap_or(0);
    }
    let exit = tokio::task::spawn_blocking(move || {
        let mut server = server;
        server.child.wait()
    })
    .await
    .expect("the wait")
    .expect("the exit status");
    let took = stopping.elapsed();
    assert!(took < Duration::from_secs(10), "exited in {took:?}");
    assert!(exit.success(), "clean exit: {exit:?}");
    let acked = mover.await.expect("the mover");
    assert!(!acked.is_empty());

    // Restart on the same database; a client resumes from the last event it saw.
    let restarted = ServerProcess::start(CORKBOARD, &app.db_url, free_addr()).await;
    let mut resumed = app.ws_at(restarted.addr, &ann.token, board.id, Some(last_seen)).await;
    let mut seqs = vec![last_seen];
    let newest = *acked.iter().max().expect("acked moves");
    while *seqs.last().expect("a seq") < newest {
        seqs.push(resumed.next_event().await.seq);
    }
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "resume is gapless: {seqs:?}");
    assert!(acked.iter().all(|seq| *seq <= newest), "every acknowledged move is in the log");
}

/// Resident memory of a process, in KiB: (now, peak).
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Abuse measured where it counts, in the server's own process: a flood of 10 MB bodies
/// and of deeply nested 1 MiB ones is refused with 4xx while the server's peak memory stays near where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_huge_and_deeply_nested_bodies_is_refused_without_the_server_growing() {
    let mut app = spawn_app().await;
    let ann = app.register("ann").await;
    let (_, lists, _) = app.board_with(&ann, 1, 0).await;
    app.stop_server().await;
    let addr = free_addr();
    let server = ServerProcess::start(CORKBOARD, &app.db_url, addr).await;
    let url = format!("http://{addr}/api/lists/{}/cards", lists[0].id);
    let client = app.client.clone();
    let (_, peak_before) = memory_kib(server.child.id());

    let huge = format!(r#"{{"title": "x", "description": "{}"}}"#, "d".repeat(10_000_000)).into_bytes();
    let nested = format!(r#"{{"title": {}"#, "[".repeat(corkboard_protocol::MAX_BODY_BYTES - 20)).into_bytes();
    let mut sends = Vec::new();
    for round in 0..32 {
        let body = if round % 2 == 0 { huge.clone() } else { nested.clone() };
        let request = client.post(&url).bearer_auth(&ann.token).header("content-type", "application/json").body(body);
        sends.push(tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) }));
    }
    let mut answered = Vec::new();
    for send in sends {
        // A server that answers 413 before the upload ends may close under the upload: that is fine too.
        if let Ok(status) = send.await.expect("send task") {
            answered.push(status);
        }
    }

    let (_, peak_after) = memory_kib(server.child.id());
    assert!(!answered.is_empty(), "some refusals were read");
    assert!(answered.iter().all(|s| *s == 413 || *s == 400), "only 413 and 400: {answered:?}");
    let grown_mib = peak_after.saturating_sub(peak_before) / 1024;
    eprintln!("peak RSS {} MiB → {} MiB for {} bodies", peak_before / 1024, peak_after / 1024, 32);
    // 32 bodies of up to 1 MiB read at most, plus buffers: far below what buffering 32 × 10 MB would take.
    assert!(grown_mib < 96, "the server's peak memory grew by {grown_mib} MiB");
    let status = client.get(format!("http://{addr}/api/boards")).bearer_auth(&ann.token).send().await.unwrap().status();
    assert!(status.is_success(), "still serving: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_one_warn_line_not_one_per_refused_request() {
    // A private cluster: stopping the shared server would break every other test running at the time.
    let pg = corkboard_tests::pg::PrivatePostgres::start();
    let app = corkboard_tests::spawn_app_on(&pg.url(), |_| {}).await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 1).await;
    let log = std::env::temp_dir().join(format!("corkboard-outage-{}.log", uuid::Uuid::now_v7().simple()));
    let server = ServerProcess::start_logging(CORKBOARD, &app.db_url, free_addr(), "info", &log).await;
    let request = corkboard_tests::ws::ws_request(
        server.addr,
        board.id,
        None,
        corkboard_tests::ws::Auth::Bearer(&ann.token),
        None,
    );
    let mut socket = corkboard_tests::ws::try_connect(request).await.expect("the socket opens");

    tokio::task::block_in_place(|| pg.stop());
    // Twenty moves on the socket and twenty REST changes while Postgres is down: each refused with 503.
    let mut refused = 0;
    for n in 0..20 {
        let op = format!("down-{n}");
        socket.move_card(&op, cards[0][0].id, lists[1].id, None).await;
        loop {
            match socket.next_msg().await {
                ServerMsg::Error { client_op_id: Some(got), code, .. } if got == op => {
                    assert_eq!(code, corkboard_protocol::ErrorCode::ServiceUnavailable);
                    refused += 1;
                    break;
                }
                ServerMsg::Error { .. } | ServerMsg::Ack { .. } => panic!("{op} was not refused"),
                _ => continue,
            }
        }
        let created = app
            .client
            .post(format!("{}/api/boards/{}/lists", server.base_url(), board.id))
            .bearer_auth(&ann.token)
            .json(&json!({"title": "While down"}))
            .send()
            .await
            .expect("an answer");
        assert_eq!(created.status().as_u16(), 503);
        assert_eq!(created.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    }
    assert_eq!(refused, 20);
    tokio::task::block_in_place(|| pg.start_again());
    let client = app.client.clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !client.get(format!("{}/readyz", server.base_url())).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(Instant::now() < deadline, "the server did not see Postgres come back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);

    let text = std::fs::read_to_string(&log).expect("the server's log");
    let _ = std::fs::remove_file(&log);
    let ours = |level: &str| {
        text.lines().filter(|line| line.contains(level) && line.contains("corkboard_server")).collect::<Vec<_>>()
    };
    let warnings = ours(" WARN ");
    assert_eq!(warnings.len(), 1, "one WARN for the outage, got:\n{}", warnings.join("\n"));
    assert!(warnings[0].contains("Postgres is unreachable"), "{}", warnings[0]);
    assert!(ours(" ERROR ").is_empty(), "no ERROR for a 503:\n{text}");
    assert!(text.contains("Postgres is reachable again"), "the end of the outage is logged:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_signing_up_never_runs_more_hashes_at_once_than_the_metric_allows() {
    // The binary, not an in-process app: `/metrics` is per process, and here the process is this one server.
    let app = spawn_app().await;
    let server = ServerProcess::start_with(CORKBOARD, &app.db_url, free_addr(), |command| {
        command.env("CORKBOARD_HASH_WORKERS", "2").env("CORKBOARD_SIGNUP_BURST", "0");
    })
    .await;
    let client = app.client.clone();
    let signups = (0..40).map(|n| {
        let request = client
            .post(format!("{}/api/auth/register", server.base_url()))
            .json(&json!({"username": format!("crowd{n:02}"), "password": "correct horse battery"}));
        tokio::spawn(async move { request.send().await.map(|response| response.status().as_u16()) })
    });
    let mut statuses = Vec::new();
    for signup in signups.collect::<Vec<_>>() {
        statuses.push(signup.await.expect("joins").expect("an answer"));
    }
    assert!(statuses.iter().all(|status| [201, 503].contains(status)), "{statuses:?}");
    assert!(statuses.contains(&201));

    let metrics = client.get(format!("{}/metrics", server.base_url())).send().await.unwrap().text().await.unwrap();
    let gauge = |name: &str| {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{metrics}"))
    };
    let most = gauge("corkboard_password_hashes_running_max");
    assert!((1.0..=2.0).contains(&most), "at most 2 hashes at once, the metric says {most}");
    assert_eq!(gauge("corkboard_password_hashes_running"), 0.0, "none left running");
}
