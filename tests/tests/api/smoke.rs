//! The shortest path through the app: a user registers, builds a board and moves a card, and the snapshot shows it.

use corkboard_tests::{columns, spawn_app};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_registers_builds_a_board_and_moves_a_card() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (board, lists, cards) = app.board_with(&ann, 2, 2).await;

    let moved = app.move_card(&ann, cards[0][0].id, lists[1].id, Some(cards[1][0].id)).await;

    assert_eq!(moved.card.list_id, lists[1].id);
    assert_eq!(moved.card.version, 2);
    let snapshot = app.snapshot(&ann, board.id).await;
    assert_eq!(snapshot.board.seq, moved.seq);
    assert_eq!(
        columns(&snapshot),
        vec![("L0".into(), vec!["L0C1".into()]), ("L1".into(), vec!["L1C0".into(), "L0C0".into(), "L1C1".into()])]
    );
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
