//! Corkboard's wire contract (docs/API.md) as Rust types, shared by the server, the web app and the tests.
//!
//! Only serde-level dependencies, so it builds for `wasm32-unknown-unknown`. The `sqlx` feature adds the
//! server-only database derives.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

mod limits;
pub use limits::*;

/// Timestamps travel as RFC 3339 strings.
pub type Timestamp = OffsetDateTime;

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

/// Declares `ErrorCode` from one list of `Variant => "wire_name"` pairs, so the enum, its wire spelling and
/// `ErrorCode::ALL` cannot drift apart.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $wire:literal,)+) => {
        /// The stable snake_case code of every error the server answers with, on REST (`error.code`) and on the
        /// WebSocket (`error` frames). Clients branch on it; the message is for people.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $wire)] $variant,)+
            /// A code this build does not know (a newer server). Never sent.
            #[serde(other, rename = "unknown")]
            Unknown,
        }

        impl ErrorCode {
            /// Every code the server sends.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The wire spelling, as serde writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)+
                    ErrorCode::Unknown => "unknown",
                }
            }
        }
    };
}

error_codes! {
    // 400: the request could not be read.
    BadRequest => "bad_request",
    MalformedJson => "malformed_json",
    InvalidBody => "invalid_body",
    InvalidPath => "invalid_path",
    InvalidQuery => "invalid_query",
    InvalidText => "invalid_text",
    InvalidLastEventId => "invalid_last_event_id",
    WebsocketUpgradeRequired => "websocket_upgrade_required",
    // WebSocket frames that could not be read (the socket stays open).
    InvalidFrame => "invalid_frame",
    UnsupportedFrame => "unsupported_frame",
    // 401
    Unauthorized => "unauthorized",
    InvalidCredentials => "invalid_credentials",
    // 403
    Forbidden => "forbidden",
    OriginNotAllowed => "origin_not_allowed",
    NotAMember => "not_a_member",
    // 404
    NotFound => "not_found",
    BoardNotFound => "board_not_found",
    ListNotFound => "list_not_found",
    CardNotFound => "card_not_found",
    MemberNotFound => "member_not_found",
    UserNotFound => "user_not_found",
    // 405
    MethodNotAllowed => "method_not_allowed",
    // 409
    UsernameTaken => "username_taken",
    AlreadyMember => "already_member",
    VersionConflict => "version_conflict",
    StalePosition => "stale_position",
    // 413, 415, 422
    PayloadTooLarge => "payload_too_large",
    UnsupportedMediaType => "unsupported_media_type",
    ValidationFailed => "validation_failed",
    // 429
    RateLimited => "rate_limited",
    TooManyConnections => "too_many_connections",
    // 5xx: not final; the same operation may be sent again.
    ServiceUnavailable => "service_unavailable",
    InternalError => "internal_error",
}

impl ErrorCode {
    /// Whether an operation refused with this code may be sent again with the same `client_op_id`: the server
    /// stored nothing about it (the database was away, or something broke on the server's side).
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorCode::ServiceUnavailable | ErrorCode::InternalError)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Every error response: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// A stable snake_case code that clients branch on.
    pub code: ErrorCode,
    /// Human text; never internal details.
    pub message: String,
    /// Per-field problems of a rejected body, keyed by field name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    /// With `version_conflict`: the card as it is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
}

// ---------------------------------------------------------------------------------------------------------------
// Users and auth
// ---------------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Answer to register and login. The token is also set as the `corkboard_session` cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    pub user: User,
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeResponse {
    pub user: User,
}

// ---------------------------------------------------------------------------------------------------------------
// Boards and members
// ---------------------------------------------------------------------------------------------------------------

/// A member's role, strongest first. `Ord` follows strength: `Owner > Admin > Editor > Viewer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(feature = "sqlx", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum Role {
    Viewer,
    Editor,
    Admin,
    Owner,
}

impl Role {
    fn strength(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Editor => 1,
            Role::Admin => 2,
            Role::Owner => 3,
        }
    }

    /// May change lists and cards.
    pub fn can_edit(self) -> bool {
        self >= Role::Editor
    }

    /// May manage members and board settings.
    pub fn can_admin(self) -> bool {
        self >= Role::Admin
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Role {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.strength().cmp(&other.strength())
    }
}

/// A board as it appears in the snapshot, `POST /api/boards` and `board_updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub id: Uuid,
    pub title: String,
    /// The seq of the last event this representation already contains.
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// One entry of `GET /api/boards`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardSummary {
    pub id: Uuid,
    pub title: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardsResponse {
    pub boards: Vec<BoardSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateBoardRequest {
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateBoardRequest {
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub user: User,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembersResponse {
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddMemberRequest {
    pub username: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateMemberRequest {
    pub role: Role,
}

/// `GET /api/boards/{id}`: everything a client needs to draw the board, consistent as of `board.seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snapshot {
    pub board: Board,
    /// In display order.
    pub lists: Vec<List>,
    /// In display order: by list position, then by card position.
    pub cards: Vec<Card>,
    pub members: Vec<Member>,
}

// ---------------------------------------------------------------------------------------------------------------
// Lists and cards
// ---------------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct List {
    pub id: Uuid,
    pub board_id: Uuid,
    pub title: String,
    /// Opaque; sort byte-wise.
    pub position: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Card {
    pub id: Uuid,
    pub board_id: Uuid,
    pub list_id: Uuid,
    pub title: String,
    pub description: String,
    /// Opaque; sort byte-wise within the list.
    pub position: String,
    /// 1 on creation, +1 on every change to the card.
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Where to put something: absent = append at the end, `null` = first, an id = right after that sibling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    #[default]
    End,
    First,
    After(Uuid),
}

impl Placement {
    /// The `after_id` of the move endpoints, where the field is required (`null` = first).
    pub fn from_after_id(after_id: Option<Uuid>) -> Self {
        after_id.map_or(Placement::First, Placement::After)
    }
}

/// `"after_id"` when the field may be absent: absent → `End` (via `#[serde(default)]`), `null` → `First`.
pub fn deserialize_placement<'de, D: Deserializer<'de>>(d: D) -> Result<Placement, D::Error> {
    Ok(Placement::from_after_id(Option::<Uuid>::deserialize(d)?))
}

/// A required field that may be `null` (serde would otherwise treat a missing `Option` as `None`).
pub fn deserialize_required_nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

fn serialize_placement<S: serde::Serializer>(p: &Placement, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Placement::End | Placement::First => s.serialize_none(),
        Placement::After(id) => s.serialize_some(id),
    }
}

fn placement_is_end(p: &Placement) -> bool {
    *p == Placement::End
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateListRequest {
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    #[serde(
        default,
        deserialize_with = "deserialize_placement",
        serialize_with = "serialize_placement",
        skip_serializing_if = "placement_is_end"
    )]
    pub after_id: Placement,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateListRequest {
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveListRequest {
    /// Required; `null` puts the list first.
    #[serde(deserialize_with = "deserialize_required_nullable")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub after_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateCardRequest {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    #[serde(
        default,
        deserialize_with = "deserialize_placement",
        serialize_with = "serialize_placement",
        skip_serializing_if = "placement_is_end"
    )]
    pub after_id: Placement,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateCardRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When given and not the card's current version: 409 `version_conflict`, nothing changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveCardRequest {
    pub list_id: Uuid,
    /// Required; `null` puts the card first in `list_id`.
    #[serde(deserialize_with = "deserialize_required_nullable")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub after_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveCardResponse {
    pub card: Card,
    /// The seq of the move's event.
    pub seq: i64,
}

// ---------------------------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------------------------

/// One committed change to a board. Seqs are 1, 2, 3 … per board, gapless, in commit order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `None` only when the acting account no longer exists.
    pub actor_id: Option<Uuid>,
    pub client_op_id: Option<String>,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// `"kind"` and `"data"` of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum EventKind {
    BoardUpdated { board: Board },
    BoardDeleted {},
    ListCreated { list: List },
    ListUpdated { list: List },
    ListMoved { list_id: Uuid, position: String },
    ListDeleted { list_id: Uuid },
    CardCreated { card: Card },
    CardUpdated { card: Card },
    CardMoved { card_id: Uuid, from_list_id: Uuid, to_list_id: Uuid, position: String, version: i64 },
    CardDeleted { card_id: Uuid, list_id: Uuid },
    MemberAdded { member: Member },
    MemberUpdated { member: Member },
    MemberRemoved { user_id: Uuid },
}

impl EventKind {
    /// The `kind` string as stored in the event log.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::BoardUpdated { .. } => "board_updated",
            EventKind::BoardDeleted {} => "board_deleted",
            EventKind::ListCreated { .. } => "list_created",
            EventKind::ListUpdated { .. } => "list_updated",
            EventKind::ListMoved { .. } => "list_moved",
            EventKind::ListDeleted { .. } => "list_deleted",
            EventKind::CardCreated { .. } => "card_created",
            EventKind::CardUpdated { .. } => "card_updated",
            EventKind::CardMoved { .. } => "card_moved",
            EventKind::CardDeleted { .. } => "card_deleted",
            EventKind::MemberAdded { .. } => "member_added",
            EventKind::MemberUpdated { .. } => "member_updated",
            EventKind::MemberRemoved { .. } => "member_removed",
        }
    }

    /// The `data` object alone, as stored in the event log's jsonb column.
    pub fn data(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => map.remove("data").unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }

    /// Rebuilds a kind from the log's `kind` and `data` columns.
    pub fn from_parts(kind: &str, data: serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "data": data }))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Realtime: WebSocket frames (SSE carries the same `Event` JSON)
// ---------------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceUser {
    pub id: Uuid,
    pub display_name: String,
}

/// Frames the server sends (JSON text).
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
    Presence {
        users: Vec<PresenceUser>,
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
    MoveCard {
        client_op_id: String,
        card_id: Uuid,
        list_id: Uuid,
        /// Required; `null` puts the card first.
        #[serde(deserialize_with = "deserialize_required_nullable")]
        after_id: Option<Uuid>,
    },
    Ping,
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

#[cfg(test)]
mod tests;
