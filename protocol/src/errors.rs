//! Errors on the wire: the `{"error": {...}}` body and `ErrorCode`, every code the server answers with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Card;

/// Declares `ErrorCode` from one list of `Variant => "wire_name"` pairs, so the enum, its wire spelling and
/// `ErrorCode::ALL` cannot drift apart.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $wire:literal,)+) => {
        /// The stable snake_case code of every error the server answers with, on REST (`error.code`) and on the
        /// WebSocket (`error` frames). Clients branch on it; the message is for people.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        // serde's snake_case of each variant is its wire name; a unit test holds `as_str` to the same spelling.
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
            /// A code this build does not know (a newer server). Never sent.
            #[serde(other)]
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
    LabelNotFound => "label_not_found",
    ChecklistNotFound => "checklist_not_found",
    ChecklistItemNotFound => "checklist_item_not_found",
    CommentNotFound => "comment_not_found",
    // 405
    MethodNotAllowed => "method_not_allowed",
    // 409
    UsernameTaken => "username_taken",
    AlreadyMember => "already_member",
    VersionConflict => "version_conflict",
    StalePosition => "stale_position",
    /// A permanent delete, or a restore, of something that is not archived.
    NotArchived => "not_archived",
    /// Restoring a card whose list is archived.
    ListArchived => "list_archived",
    // 413, 415, 422
    PayloadTooLarge => "payload_too_large",
    UnsupportedMediaType => "unsupported_media_type",
    ValidationFailed => "validation_failed",
    // 429
    RateLimited => "rate_limited",
    TooManyConnections => "too_many_connections",
    // 5xx: not final; the same operation may be sent again.
    ServiceUnavailable => "service_unavailable",
    /// The server is at its bound for expensive work (password hashing); `Retry-After` says when to try again.
    ServerBusy => "server_busy",
    InternalError => "internal_error",
}

impl ErrorCode {
    /// Whether an operation refused with this code may be sent again with the same `client_op_id`: the server
    /// stored nothing about it (the database was away, the server was busy, or something broke on its side).
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorCode::ServiceUnavailable | ErrorCode::ServerBusy | ErrorCode::InternalError)
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
