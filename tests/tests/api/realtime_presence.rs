//! Presence under a crowd: a watcher of a board that 200 distinct people join gets a handful of small
//! `presence` frames (at most one a second, a few names and a count), not one frame per join growing with the
//! crowd.

use std::time::{Duration, Instant};

use corkboard_protocol::{PRESENCE_NAMES, Role, ServerMsg};
use corkboard_tests::{no_signup_limit, spawn_app_with};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

const CROWD: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_200_distinct_joins_a_watcher_got_few_small_presence_frames() {
    // Two hundred people sign up from 127.0.0.1.
    let app = spawn_app_with(no_signup_limit).await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Town hall").await;
    let mut crowd = Vec::with_capacity(CROWD);
    for n in 0..CROWD {
        let user = app.register(&format!("person{n:03}")).await;
        app.add_member(&ann, board.id, &user, Role::Viewer).await;
        crowd.push(user);
    }
    let mut watcher = app.ws(&ann.token, board.id, None).await.into_stream();

    let started = Instant::now();
    let mut sockets = Vec::with_capacity(CROWD);
    for user in &crowd {
        sockets.push(app.ws(&user.token, board.id, None).await);
    }
    let joined_in = started.elapsed();

    // Read the watcher's frames until one counts everybody (bounded by the deadline).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (mut frames, mut biggest, mut last_count) = (0usize, 0usize, 0usize);
    while last_count < CROWD + 1 {
        let message = tokio::time::timeout_at(deadline, watcher.next())
            .await
            .unwrap_or_else(|_| panic!("no presence frame counting {} people; last said {last_count}", CROWD + 1));
        let Some(Ok(Message::Text(text))) = message else { continue };
        if let Ok(ServerMsg::Presence { users, count }) = serde_json::from_str(text.as_str()) {
            frames += 1;
            biggest = biggest.max(text.len());
            assert!(users.len() <= PRESENCE_NAMES, "{} names in one frame", users.len());
            assert!(count >= users.len());
            last_count = count;
        }
    }
    let seconds = started.elapsed().as_secs_f64().ceil() as usize;
    // One right after hello, then at most one a second.
    assert!(frames <= seconds + 2, "{frames} presence frames in {seconds} s (the crowd joined in {joined_in:?})");
    assert!(biggest <= 4 * 1024, "a presence frame of {biggest} bytes");
    drop(sockets);
}
