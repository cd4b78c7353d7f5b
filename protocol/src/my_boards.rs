//! The "my boards" stream (`GET /api/me/events`): what tells a user that their list of boards changed.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// SSE event name of a change to the user's boards (`data` is a [`MyBoardsChange`]).
pub const MY_BOARDS_EVENT: &str = "boards";
/// SSE event name that says "read your boards again": first on every stream, and whenever changes may be lost.
pub const MY_BOARDS_REFETCH: &str = "refetch";

/// What happened to one of the user's boards, from that user's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardChange {
    /// The user became a member.
    Added,
    /// The user is no longer a member (removed, or left).
    Removed,
    /// The board was renamed, or the user's role on it changed.
    Updated,
    /// The board was deleted.
    Deleted,
}

impl BoardChange {
    pub fn as_str(self) -> &'static str {
        match self {
            BoardChange::Added => "added",
            BoardChange::Removed => "removed",
            BoardChange::Updated => "updated",
            BoardChange::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [BoardChange::Added, BoardChange::Removed, BoardChange::Updated, BoardChange::Deleted]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// `data` of an `event: boards` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyBoardsChange {
    pub board_id: Uuid,
    pub change: BoardChange,
}
