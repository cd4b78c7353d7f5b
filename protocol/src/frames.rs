//! Realtime frames: what the server and a client send each other on the WebSocket (SSE carries the same
//! `Event` JSON), and the protocol's close codes.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceUser {
    pub id: Uuid,
    pub display_name: String,
}

/// Frames the server sends (JSON text).
// An event (with a whole card in some kinds) is much larger than the other frames, but frames are short-lived
// values built once and encoded at once (the hub shares the encoded bytes, not these), so boxing would only add
// an allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First frame of every connection, with the board's current seq.
    Hello {
        board_id: Uuid,
        seq: i64,
        user_id: Uuid,
    },
    /// The events after `since` can no longer be replayed: load the snapshot again.
    Reset,
    Event(Event),
    /// Who is watching the board through this server instance: `count` people, of whom `users` names the
    /// first `PRESENCE_NAMES` by display name. At most one a second per connection (see docs/API.md).
    Presence {
        users: Vec<PresenceUser>,
        /// Absent from older servers: then `users` is everyone.
        #[serde(default)]
        count: usize,
    },
    Ack {
        client_op_id: String,
        seq: i64,
    },
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_op_id: Option<String>,
        code: ErrorCode,
        message: String,
    },
    Pong,
}

/// Frames a client sends (JSON text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// The place fields are those of `MoveCardRequest`; build one with `ClientMsg::move_card`.
    MoveCard {
        client_op_id: String,
        card_id: Uuid,
        list_id: Uuid,
        #[serde(default, deserialize_with = "deserialize_present_nullable", skip_serializing_if = "Option::is_none")]
        after_id: Option<Option<Uuid>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<ListEdge>,
    },
    Ping,
}

impl ClientMsg {
    /// A `move_card` frame.
    pub fn move_card(client_op_id: String, card_id: Uuid, list_id: Uuid, target: MoveTarget) -> Self {
        let (after_id, before_id, position) = target.fields();
        ClientMsg::MoveCard { client_op_id, card_id, list_id, after_id, before_id, position }
    }
}

/// WebSocket close codes of the protocol.
pub mod close_code {
    /// The server is shutting down: reconnect (to another instance) and resume.
    pub const GOING_AWAY: u16 = 1001;
    /// Over the message rate.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame over the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The session was logged out or revoked.
    pub const SESSION_REVOKED: u16 = 4001;
    /// The user is no longer a member of the board.
    pub const MEMBERSHIP_REVOKED: u16 = 4003;
    /// The board was deleted.
    pub const BOARD_DELETED: u16 = 4004;
}
