//! What a chaos run must end with, held against the database: every client's board is the snapshot, every
//! move took effect exactly once or not at all, every client saw one gapless run of seqs; and a one-line
//! summary of the run.

use std::collections::HashMap;

use corkboard_protocol::Snapshot;
use sqlx::PgPool;

use super::client::ModelClient;
use super::log::ClientLog;
use super::view::BoardView;

/// Holds clients against the database: every client's board is the snapshot, every move that took effect is
/// in the log exactly once (as the seq it was confirmed with) and every refused one not at all, every client
/// saw one gapless run of seqs (when `allow_resets` is false, no reset either), and nothing broke the contract.
pub async fn check_convergence(db: &PgPool, snapshot: &Snapshot, clients: &[ModelClient], allow_resets: bool) {
    let expected = BoardView::of_snapshot(snapshot);
    let violations: Vec<&String> = clients.iter().flat_map(|c| &c.log.violations).collect();
    assert!(violations.is_empty(), "contract violations: {violations:#?}");
    for client in clients {
        assert!(client.pending().is_empty(), "{}: unsettled moves {:?}", client.name, client.pending());
        assert_eq!(BoardView::of(client.board()), expected, "{}'s board is not the database's", client.name);
        let log = &client.log;
        if !allow_resets {
            assert_eq!(log.resets, 0, "{}: unexpected resets", client.name);
        }
        if log.resets == 0 {
            let first = log.snapshots[0];
            let expected_seqs: Vec<i64> = (first + 1..=snapshot.board.seq).collect();
            assert_eq!(log.applied, expected_seqs, "{}: not one gapless run of seqs", client.name);
        }
    }
    let rows: Vec<(String, i64)> =
        sqlx::query_as("select client_op_id, seq from events where board_id = $1 and client_op_id is not null")
            .bind(snapshot.board.id)
            .fetch_all(db)
            .await
            .expect("the ops in the log");
    let mut in_log: HashMap<String, Vec<i64>> = HashMap::new();
    for (op, seq) in rows {
        in_log.entry(op).or_default().push(seq);
    }
    let mut confirmed = 0;
    for client in clients {
        for (op, seq) in &client.log.acked {
            assert_eq!(
                in_log.get(op),
                Some(&vec![*seq]),
                "{op}, confirmed as seq {seq}, is not in the log exactly once"
            );
            confirmed += 1;
        }
        for (op, code) in &client.log.refused {
            assert!(!in_log.contains_key(op), "{op} was refused ({code}) but is in the log: {:?}", in_log[op]);
        }
    }
    assert_eq!(in_log.len(), confirmed, "the log holds moves no client knows were applied");
}

/// No move was refused: a chaos run deletes no card or list and demotes nobody, and a board that changed under
/// a move only changes where it lands (API.md, "Card moves").
pub fn assert_no_refusals(clients: &[ModelClient]) {
    for client in clients {
        assert!(client.log.refused.is_empty(), "{}: moves refused: {:?}", client.name, client.log.refused);
    }
}

/// A one-line summary of a run, for the test output.
pub fn summary(clients: &[ModelClient]) -> String {
    let sum = |f: fn(&ClientLog) -> usize| clients.iter().map(|c| f(&c.log)).sum::<usize>();
    format!(
        "{} clients: {} moves sent, {} applied, {} refused, {} retried, {} connects, {} drops, {} resets, {} HTTP refusals",
        clients.len(),
        sum(|l| l.moves_sent),
        sum(|l| l.acked.len()),
        sum(|l| l.refused.len()),
        sum(|l| l.retried.len()),
        sum(|l| l.connects),
        sum(|l| l.drops),
        sum(|l| l.resets),
        sum(|l| l.refusals.len()),
    )
}
