//! What a model client went through in a run: what it applied, what was confirmed, refused or retried, how
//! its connections ended, and every breach of the contract it saw. The chaos tests assert on it.

use std::collections::BTreeMap;

use corkboard_protocol::ErrorCode;
use serde_json::Value;

/// What a client went through; the tests assert on it.
#[derive(Debug, Clone, Default)]
pub struct ClientLog {
    /// Seqs of the snapshots loaded: the first, then one per `reset` or recovery.
    pub snapshots: Vec<i64>,
    /// Every event seq applied from the stream, in order.
    pub applied: Vec<i64>,
    pub resets: usize,
    /// Every move that took effect: op id → the seq of its event.
    pub acked: BTreeMap<String, i64>,
    /// Every move refused for good (rolled back): op id → error code.
    pub refused: BTreeMap<String, ErrorCode>,
    /// Retryable errors for moves: (op id, code).
    pub retried: Vec<(String, ErrorCode)>,
    /// HTTP refusals met on the way (upgrades, snapshot loads): (status, body).
    pub refusals: Vec<(u16, Value)>,
    /// Close codes received (`None`: the connection just ended).
    pub closes: Vec<Option<u16>>,
    /// Breaches of the contract.
    pub violations: Vec<String>,
    pub connects: usize,
    pub drops: usize,
    pub moves_sent: usize,
}
