//! What a card carries beyond its title (docs/API.md, "Cards that carry work"): the board's labels, checklists
//! and their items, comments, the card's detail, the archive, and the requests that change them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::*;

/// The fixed label palette. Each has a light and a dark shade in the web app, both legible with text on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(feature = "sqlx", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum LabelColor {
    Green,
    Yellow,
    Orange,
    Red,
    Purple,
    Blue,
    Sky,
    Lime,
    Pink,
    Gray,
}

impl LabelColor {
    pub const ALL: [LabelColor; 10] = [
        LabelColor::Green,
        LabelColor::Yellow,
        LabelColor::Orange,
        LabelColor::Red,
        LabelColor::Purple,
        LabelColor::Blue,
        LabelColor::Sky,
        LabelColor::Lime,
        LabelColor::Pink,
        LabelColor::Gray,
    ];
    /// The unnamed labels every new board starts with, in this order.
    pub const NEW_BOARD: [LabelColor; 6] = [
        LabelColor::Green,
        LabelColor::Yellow,
        LabelColor::Orange,
        LabelColor::Red,
        LabelColor::Purple,
        LabelColor::Blue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LabelColor::Green => "green",
            LabelColor::Yellow => "yellow",
            LabelColor::Orange => "orange",
            LabelColor::Red => "red",
            LabelColor::Purple => "purple",
            LabelColor::Blue => "blue",
            LabelColor::Sky => "sky",
            LabelColor::Lime => "lime",
            LabelColor::Pink => "pink",
            LabelColor::Gray => "gray",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Label {
    pub id: Uuid,
    pub board_id: Uuid,
    /// Empty for an unnamed color.
    pub name: String,
    pub color: LabelColor,
    /// Opaque; sort byte-wise.
    pub position: String,
}

/// A card's checklist progress: items done, and items in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistCounts {
    pub done: i64,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checklist {
    pub id: Uuid,
    pub card_id: Uuid,
    pub title: String,
    pub position: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistItem {
    pub id: Uuid,
    pub checklist_id: Uuid,
    pub card_id: Uuid,
    pub text: String,
    pub done: bool,
    pub position: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: Uuid,
    pub card_id: Uuid,
    /// `None` once the author's account is gone.
    pub author_id: Option<Uuid>,
    /// The Markdown source, for editing.
    pub body: String,
    /// The sanitised rendering of `body`: safe to insert as HTML.
    pub body_html: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
}

/// `GET /api/cards/{id}`: the card with everything on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardDetail {
    pub card: Card,
    /// The sanitised rendering of the card's description.
    pub description_html: String,
    /// In order.
    pub checklists: Vec<Checklist>,
    /// By checklist, then position.
    pub items: Vec<ChecklistItem>,
    /// The newest comments, newest first.
    pub comments: Vec<Comment>,
    /// Whether there are older comments than those (`GET /api/cards/{id}/comments?before=`).
    pub more_comments: bool,
}

/// `GET /api/cards/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentsPage {
    /// Newest first.
    pub comments: Vec<Comment>,
    pub more: bool,
}

/// An archived list in `GET /api/boards/{id}/archive`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchivedList {
    #[serde(flatten)]
    pub list: List,
    /// Cards that come back with it.
    pub card_count: i64,
}

/// `GET /api/boards/{id}/archive`: most recently archived first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchiveResponse {
    pub lists: Vec<ArchivedList>,
    pub cards: Vec<Card>,
}

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

/// `?client_op_id=` of the changing requests without a body (DELETEs, archive, restore).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct OpQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

/// `?q=` of `GET /api/boards/{id}/archive`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ArchiveQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}

/// `?before=&limit=` of `GET /api/cards/{id}/comments`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CommentsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateLabelRequest {
    pub color: LabelColor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateLabelRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<LabelColor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

/// `POST /api/cards/{id}/labels`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardLabelRequest {
    pub label_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

/// `POST /api/cards/{id}/members`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardMemberRequest {
    pub user_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

/// `POST /api/cards/{id}/checklists` and `PATCH /api/checklists/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistRequest {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateItemRequest {
    pub text: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    #[serde(
        default,
        deserialize_with = "deserialize_placement",
        serialize_with = "crate::serialize_placement",
        skip_serializing_if = "crate::placement_is_end"
    )]
    pub after_id: Placement,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateItemRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveItemRequest {
    /// Required; `null` puts the item first.
    #[serde(deserialize_with = "deserialize_required_nullable")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub after_id: Option<Uuid>,
    /// Another checklist of the same card; its own when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checklist_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

/// `POST /api/cards/{id}/comments` and `PATCH /api/comments/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentRequest {
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

/// `Option<Option<OffsetDateTime>>` as an RFC 3339 field that may be absent (`None`) or `null` (`Some(None)`).
pub mod nullable_time {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(value: &Option<Option<OffsetDateTime>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(Some(t)) => time::serde::rfc3339::serialize(t, s),
            _ => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<OffsetDateTime>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "time::serde::rfc3339::option")] Option<OffsetDateTime>);
        Wrap::deserialize(d).map(|Wrap(t)| Some(t))
    }
}
