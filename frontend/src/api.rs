//! REST calls to the backend (docs/API.md): one typed function per endpoint, errors as `ApiError` carrying the
//! server's `ErrorCode` and `error.message` so every failure can be told to the user as the server worded it.

use std::collections::BTreeMap;

use corkboard_protocol::{
    AddMemberRequest, AuthResponse, Board, BoardsResponse, Card, CreateBoardRequest, CreateCardRequest,
    CreateListRequest, ErrorBody, ErrorCode, List, LoginRequest, Member, MoveCardRequest, MoveCardResponse,
    MoveListRequest, Placement, RegisterRequest, Role, SessionResponse, Snapshot, UpdateBoardRequest,
    UpdateCardRequest, UpdateListRequest, UpdateMemberRequest, UsersResponse,
};
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

/// What kind of failure an `ApiError` is: one of the server's codes, or a failure that never got one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with its error body.
    Server(ErrorCode),
    /// The server could not be reached at all.
    Unreachable,
    /// A success whose body this build cannot read (a newer or older server).
    UnreadableResponse,
    /// An error status without the server's error body: a proxy or gateway answered.
    Http,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status; 0 when the server could not be reached at all.
    pub status: u16,
    pub code: Failure,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    /// With `version_conflict`: the card as it is now on the server.
    pub card: Option<Card>,
    /// The `Retry-After` of a refusal (`rate_limited`, `server_busy`), in seconds.
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    fn network() -> Self {
        Self::new(0, Failure::Unreachable, "Could not reach the server. Check your connection and try again.")
    }

    fn new(status: u16, code: Failure, message: &str) -> Self {
        Self { status, code, message: message.into(), fields: BTreeMap::new(), card: None, retry_after_secs: None }
    }

    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }

    /// Whether the server refused with exactly this code.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == Failure::Server(code)
    }

    /// The server could not be reached: nothing was decided, and nothing was said.
    pub fn is_unreachable(&self) -> bool {
        self.code == Failure::Unreachable
    }

    /// "Not now" rather than "no": the server stored nothing, so the same operation may be sent again.
    pub fn is_retryable(&self) -> bool {
        matches!(self.code, Failure::Server(code) if code.is_retryable())
    }

    /// The message for one form field, if the server named that field.
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }
}

async fn call<T: DeserializeOwned>(method: &str, path: &str, body: Option<String>) -> Result<T, ApiError> {
    let init = RequestInit::new();
    init.set_method(method);
    // Same origin: the session cookie goes with every request, so the token never touches JavaScript.
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(|_| ApiError::network())?;
    if body.is_some() {
        let _ = request.headers().set("Content-Type", "application/json");
    }
    let window = web_sys::window().ok_or_else(ApiError::network)?;
    let response: Response =
        JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| ApiError::network())?.unchecked_into();
    let status = response.status();
    let retry_after_secs = response.headers().get("Retry-After").ok().flatten().and_then(|v| v.trim().parse().ok());
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    if (200..300).contains(&status) {
        // 204 has no body: `()` reads it as `null`.
        let text = if text.trim().is_empty() { "null" } else { &text };
        serde_json::from_str(text).map_err(|_| {
            ApiError::new(
                status,
                Failure::UnreadableResponse,
                "The server sent an answer this page does not understand. Reload the page.",
            )
        })
    } else {
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => ApiError {
                status,
                code: Failure::Server(body.error.code),
                message: body.error.message,
                fields: body.error.fields.unwrap_or_default(),
                card: body.error.card,
                retry_after_secs,
            },
            Err(_) => ApiError::new(status, Failure::Http, &generic_message(status)),
        })
    }
}

fn generic_message(status: u16) -> String {
    match status {
        401 => "Your session has ended. Please sign in again.".into(),
        403 => "You are not allowed to do that.".into(),
        404 => "Not found. It may have been deleted.".into(),
        413 => "That is too large to save.".into(),
        502..=504 => "The server is not reachable right now. Try again in a moment.".into(),
        _ => format!("Something went wrong on the server (HTTP {status}). Try again."),
    }
}

fn json<B: Serialize>(body: &B) -> Option<String> {
    serde_json::to_string(body).ok()
}

pub(crate) async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    call("GET", path, None).await
}

pub(crate) async fn send<B: Serialize, T: DeserializeOwned>(method: &str, path: &str, body: &B) -> Result<T, ApiError> {
    call(method, path, json(body)).await
}

pub(crate) async fn delete(path: &str) -> Result<(), ApiError> {
    call("DELETE", path, None).await
}

/// Whether the server answers at all (`/healthz`): tells "the server is down" from "WebSockets are blocked".
pub async fn server_reachable() -> bool {
    let Some(window) = web_sys::window() else { return false };
    match JsFuture::from(window.fetch_with_str("/healthz")).await {
        Ok(response) => response.unchecked_into::<Response>().ok(),
        Err(_) => false,
    }
}

// --- auth --------------------------------------------------------------------------------------------------

pub async fn register(
    username: String,
    password: String,
    display_name: Option<String>,
) -> Result<AuthResponse, ApiError> {
    send("POST", "/api/auth/register", &RegisterRequest { username, password, display_name }).await
}

pub async fn login(username: String, password: String) -> Result<AuthResponse, ApiError> {
    send("POST", "/api/auth/login", &LoginRequest { username, password }).await
}

pub async fn logout() -> Result<(), ApiError> {
    call("POST", "/api/auth/logout", None).await
}

/// Who is signed in, if anyone: 200 either way, so a visitor's page load logs no error.
pub async fn session() -> Result<SessionResponse, ApiError> {
    get("/api/auth/session").await
}

/// The "my boards" stream (`GET /api/me/events`, SSE).
pub const MY_BOARDS_EVENTS: &str = "/api/me/events";

/// A fresh `client_op_id` for a change: the server applies it at most once, so a resend is safe.
pub(crate) fn op() -> Option<String> {
    Some(crate::util::new_op_id())
}

/// `path` with a fresh `?client_op_id=` (changes without a body).
pub(crate) fn with_op(path: &str) -> String {
    format!("{path}?client_op_id={}", crate::util::new_op_id())
}

// --- boards and members --------------------------------------------------------------------------------------

pub async fn boards() -> Result<BoardsResponse, ApiError> {
    get("/api/boards").await
}

pub async fn create_board(title: String) -> Result<Board, ApiError> {
    send("POST", "/api/boards", &CreateBoardRequest { title, client_op_id: op() }).await
}

pub async fn snapshot(board_id: Uuid) -> Result<Snapshot, ApiError> {
    get(&format!("/api/boards/{board_id}")).await
}

pub async fn rename_board(board_id: Uuid, title: String) -> Result<Board, ApiError> {
    send("PATCH", &format!("/api/boards/{board_id}"), &UpdateBoardRequest { title, client_op_id: op() }).await
}

pub async fn delete_board(board_id: Uuid) -> Result<(), ApiError> {
    delete(&with_op(&format!("/api/boards/{board_id}"))).await
}

/// People whose username or display name starts with `typed`, for the invite field's suggestions.
pub async fn find_users(typed: &str) -> Result<UsersResponse, ApiError> {
    let q = String::from(js_sys::encode_uri_component(typed));
    get(&format!("/api/users?q={q}")).await
}

pub async fn add_member(board_id: Uuid, username: String, role: Role) -> Result<Member, ApiError> {
    send("POST", &format!("/api/boards/{board_id}/members"), &AddMemberRequest { username, role, client_op_id: op() })
        .await
}

pub async fn update_member(board_id: Uuid, user_id: Uuid, role: Role) -> Result<Member, ApiError> {
    send(
        "PATCH",
        &format!("/api/boards/{board_id}/members/{user_id}"),
        &UpdateMemberRequest { role, client_op_id: op() },
    )
    .await
}

pub async fn remove_member(board_id: Uuid, user_id: Uuid) -> Result<(), ApiError> {
    delete(&with_op(&format!("/api/boards/{board_id}/members/{user_id}"))).await
}

// --- lists -------------------------------------------------------------------------------------------------

pub async fn create_list(board_id: Uuid, title: String) -> Result<List, ApiError> {
    send(
        "POST",
        &format!("/api/boards/{board_id}/lists"),
        &CreateListRequest { title, after_id: Placement::End, client_op_id: op() },
    )
    .await
}

pub async fn rename_list(list_id: Uuid, title: String) -> Result<List, ApiError> {
    send("PATCH", &format!("/api/lists/{list_id}"), &UpdateListRequest { title, client_op_id: op() }).await
}

pub async fn move_list(list_id: Uuid, after_id: Option<Uuid>) -> Result<List, ApiError> {
    send("POST", &format!("/api/lists/{list_id}/move"), &MoveListRequest { after_id, client_op_id: op() }).await
}

/// Archives a list with its cards (deleting for good is only for what is archived).
pub async fn archive_list(list_id: Uuid) -> Result<List, ApiError> {
    send("POST", &with_op(&format!("/api/lists/{list_id}/archive")), &()).await
}

// --- cards -------------------------------------------------------------------------------------------------

pub async fn create_card(list_id: Uuid, title: String) -> Result<Card, ApiError> {
    let body = CreateCardRequest { title, description: None, after_id: Placement::End, client_op_id: op() };
    send("POST", &format!("/api/lists/{list_id}/cards"), &body).await
}

pub async fn update_card(card_id: Uuid, body: UpdateCardRequest) -> Result<Card, ApiError> {
    send("PATCH", &format!("/api/cards/{card_id}"), &body).await
}

pub async fn move_card(card_id: Uuid, body: MoveCardRequest) -> Result<MoveCardResponse, ApiError> {
    send("POST", &format!("/api/cards/{card_id}/move"), &body).await
}

/// Archives a card: it leaves the board, kept with everything on it.
pub async fn archive_card(card_id: Uuid) -> Result<Card, ApiError> {
    send("POST", &with_op(&format!("/api/cards/{card_id}/archive")), &()).await
}
