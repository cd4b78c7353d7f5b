//! Corkboard's wire contract (docs/API.md) as Rust types, shared by the server, the web app and the tests.
//!
//! Only serde-level dependencies, so it builds for `wasm32-unknown-unknown`. The `sqlx` feature adds the
//! server-only database derives.

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

mod errors;
mod events;
mod frames;
mod limits;
mod my_boards;
mod work;
pub use errors::*;
pub use events::*;
pub use frames::*;
pub use limits::*;
pub use my_boards::*;
pub use work::*;

/// Timestamps travel as RFC 3339 strings.
pub type Timestamp = OffsetDateTime;

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

/// Answer to `GET /api/auth/session`: the signed-in user, or `None` for anyone else (always 200).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub user: Option<User>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateBoardRequest {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
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

/// `GET /api/users?q=`: people whose username or display name starts with what was typed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsersResponse {
    pub users: Vec<User>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddMemberRequest {
    pub username: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateMemberRequest {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
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
    /// The board's labels, in position order.
    #[serde(default)]
    pub labels: Vec<Label>,
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
    /// `None` on the board; when it was archived, for an archived list.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub archived_at: Option<OffsetDateTime>,
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
    /// 1 on creation, +1 on every change to the card's own fields, move, archive and restore (not on its
    /// labels, members, checklists and comments, which commute).
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub start_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    /// The "complete" mark.
    #[serde(default)]
    pub completed: bool,
    /// `None` on the board; when it was archived, for an archived card.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub archived_at: Option<OffsetDateTime>,
    /// In the board's label order.
    #[serde(default)]
    pub label_ids: Vec<Uuid>,
    /// In the order they were added.
    #[serde(default)]
    pub member_ids: Vec<Uuid>,
    #[serde(default)]
    pub checklist: ChecklistCounts,
    #[serde(default)]
    pub comment_count: i64,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateListRequest {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveListRequest {
    /// Required; `null` puts the list first.
    #[serde(deserialize_with = "deserialize_required_nullable")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub after_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateCardRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A timestamp, or `null` to clear; absent leaves it.
    #[serde(default, with = "nullable_time", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub start_at: Option<Option<OffsetDateTime>>,
    /// A timestamp, or `null` to clear; absent leaves it.
    #[serde(default, with = "nullable_time", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due_at: Option<Option<OffsetDateTime>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    /// When given and not the card's current version: 409 `version_conflict`, nothing changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

/// The edge of a list a card was dropped at: places that never go stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ListEdge {
    First,
    End,
}

/// Where a moved card is meant to go, read from the wire fields (`MoveCardRequest::target`). The server and
/// the clients' layout resolve it by one rule (API.md, "Card moves"): `First` and `End` always exist; `After`
/// lands right after `after_id` if it is still in the list, else right before `before_id` if that is, else last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoveTarget {
    First,
    End,
    After { after_id: Uuid, before_id: Option<Uuid> },
}

/// The wire fields of a move's place: `position`, or `after_id` (`Some(None)` is `null`) with `before_id`.
pub type MovePlaceFields = (Option<Option<Uuid>>, Option<Uuid>, Option<ListEdge>);

impl MoveTarget {
    /// Reads the place of a move from its wire fields; `Err((field, problem))` for a combination that names no
    /// place.
    pub fn from_fields((after_id, before_id, position): MovePlaceFields) -> Result<Self, (&'static str, &'static str)> {
        match (position, after_id, before_id) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                Err(("position", "must come alone, without after_id and before_id"))
            }
            (Some(ListEdge::First), None, None) => Ok(MoveTarget::First),
            (Some(ListEdge::End), None, None) => Ok(MoveTarget::End),
            (None, None, _) => Err(("after_id", "is required unless position is given (null puts the card first)")),
            (None, Some(None), _) => Ok(MoveTarget::First),
            (None, Some(Some(after_id)), before_id) => Ok(MoveTarget::After { after_id, before_id }),
        }
    }

    /// The wire fields that say this place: `position` for the edges, else `after_id` and `before_id`.
    pub fn fields(self) -> MovePlaceFields {
        match self {
            MoveTarget::First => (None, None, Some(ListEdge::First)),
            MoveTarget::End => (None, None, Some(ListEdge::End)),
            MoveTarget::After { after_id, before_id } => (Some(Some(after_id)), before_id, None),
        }
    }
}

/// A field that may be absent (`None`) or `null` (`Some(None)`), which serde would otherwise not tell apart.
pub fn deserialize_present_nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `POST /api/cards/{id}/move`. The place is `position`, or `after_id` (`null` = first) with an optional
/// `before_id`: see `MoveTarget` and API.md, "Card moves".
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveCardRequest {
    pub list_id: Uuid,
    /// The card the moved card was dropped right after; `null` puts it first. Required unless `position` is
    /// given.
    #[serde(default, deserialize_with = "deserialize_present_nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub after_id: Option<Option<Uuid>>,
    /// The card it was dropped right above: where it lands when `after_id` has left the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_id: Option<Uuid>,
    /// `first` or `end`: the top or the bottom of the list, alone (without `after_id` and `before_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<ListEdge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_op_id: Option<String>,
}

impl MoveCardRequest {
    pub fn new(list_id: Uuid, target: MoveTarget, client_op_id: Option<String>) -> Self {
        let (after_id, before_id, position) = target.fields();
        MoveCardRequest { list_id, after_id, before_id, position, client_op_id }
    }

    /// Where the card is to go; `Err((field, problem))` when the fields name no place.
    pub fn target(&self) -> Result<MoveTarget, (&'static str, &'static str)> {
        MoveTarget::from_fields((self.after_id, self.before_id, self.position))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveCardResponse {
    pub card: Card,
    /// The seq of the move's event.
    pub seq: i64,
}

#[cfg(test)]
mod tests;
