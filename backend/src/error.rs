//! The one error type of the server and how it becomes an HTTP response in the documented shape.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use corkboard_protocol::{Card, ErrorBody, ErrorCode, ErrorDetail};

pub type AppResult<T> = Result<T, AppError>;

/// What a missing resource was; it names the `*_not_found` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Board,
    List,
    Card,
    Member,
    User,
    Label,
    Checklist,
    ChecklistItem,
    Comment,
    Route,
}

impl Resource {
    fn code(self) -> ErrorCode {
        match self {
            Resource::Board => ErrorCode::BoardNotFound,
            Resource::List => ErrorCode::ListNotFound,
            Resource::Card => ErrorCode::CardNotFound,
            Resource::Member => ErrorCode::MemberNotFound,
            Resource::User => ErrorCode::UserNotFound,
            Resource::Label => ErrorCode::LabelNotFound,
            Resource::Checklist => ErrorCode::ChecklistNotFound,
            Resource::ChecklistItem => ErrorCode::ChecklistItemNotFound,
            Resource::Comment => ErrorCode::CommentNotFound,
            Resource::Route => ErrorCode::NotFound,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Resource::Board => "No such board.",
            Resource::List => "No such list.",
            Resource::Card => "No such card.",
            Resource::Member => "No such member of this board.",
            Resource::User => "No user with that username.",
            Resource::Label => "No such label on this board.",
            Resource::Checklist => "No such checklist.",
            Resource::ChecklistItem => "No such checklist item.",
            Resource::Comment => "No such comment.",
            Resource::Route => "No such endpoint.",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request could not be read (malformed JSON, a bad id in the path or query).
    #[error("bad request: {message}")]
    BadRequest { code: ErrorCode, message: String },
    /// 422: the request was read but its values break the rules; `fields` says which and why.
    #[error("validation failed: {0:?}")]
    Validation(BTreeMap<String, String>),
    /// 401 for every kind of bad, missing or revoked credential.
    #[error("unauthorized")]
    Unauthorized,
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 403 for a known member whose role is too weak.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("origin not allowed")]
    OriginNotAllowed,
    /// 403 on the realtime endpoints for a known user who is not a member.
    #[error("not a member")]
    NotAMember,
    #[error("{0:?} not found")]
    NotFound(Resource),
    #[error("username taken")]
    UsernameTaken,
    #[error("already a member")]
    AlreadyMember,
    #[error("version conflict")]
    VersionConflict(Box<Card>),
    #[error("stale position")]
    StalePosition,
    /// 409: a permanent delete, or a restore, of something that is not archived.
    #[error("not archived")]
    NotArchived,
    /// 409: restoring a card whose list is archived.
    #[error("list archived")]
    ListArchived,
    /// A refusal remembered under a `client_op_id` (`eventlog::Prior`), answered again exactly as the first time.
    #[error("refused before: {}", .1.code)]
    Replayed(StatusCode, Box<ErrorDetail>),
    /// 405: a known path with a method it does not take (axum adds the `Allow` header).
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// 429 on the realtime endpoints: the user holds too many live streams already.
    #[error("too many connections")]
    TooManyConnections,
    /// 503: every password-hashing worker is busy and the request's turn did not come; the client may retry.
    #[error("server busy")]
    ServerBusy,
    /// 503: the database cannot be reached right now; the client may retry.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// 503 at once: this instance knows Postgres is down (`db_health`), so the request does not wait for it.
    #[error("database known to be down")]
    DatabaseDown,
    /// 500: a bug or an unexpected failure. Logged in full, answered with a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::BadRequest { code, message: message.into() }
    }

    pub fn internal(what: impl std::fmt::Display) -> Self {
        AppError::Internal(what.to_string())
    }

    /// Whether this error refuses an operation for good once the board is locked, so that a repeat of the same
    /// `client_op_id` must get it again (API.md, "Every change is exactly-once"). Not: a stale
    /// `expected_version` (versions only grow, so a repeat is refused anyway), nor anything a retry may cure.
    pub fn is_final_refusal(&self) -> bool {
        matches!(
            self,
            AppError::Forbidden(_)
                | AppError::NotFound(_)
                | AppError::Validation(_)
                | AppError::AlreadyMember
                | AppError::StalePosition
                | AppError::NotArchived
                | AppError::ListArchived
                | AppError::Replayed(..)
        )
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::OriginNotAllowed | AppError::NotAMember => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::UsernameTaken
            | AppError::AlreadyMember
            | AppError::VersionConflict(_)
            | AppError::StalePosition
            | AppError::NotArchived
            | AppError::ListArchived => StatusCode::CONFLICT,
            AppError::Replayed(status, _) => *status,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RateLimited { .. } | AppError::TooManyConnections => StatusCode::TOO_MANY_REQUESTS,
            AppError::ServerBusy | AppError::Unavailable(_) | AppError::DatabaseDown => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The documented `{"error": {...}}` body. Internal details never reach it.
    pub fn body(&self) -> ErrorBody {
        if let AppError::Replayed(_, detail) = self {
            return ErrorBody { error: (**detail).clone() };
        }
        let (code, message): (ErrorCode, String) = match self {
            AppError::Replayed(_, detail) => (detail.code, detail.message.clone()),
            AppError::BadRequest { code, message } => (*code, message.clone()),
            AppError::Validation(_) => (ErrorCode::ValidationFailed, "Some fields are not valid.".into()),
            AppError::Unauthorized => (ErrorCode::Unauthorized, "Sign in to continue.".into()),
            AppError::InvalidCredentials => (ErrorCode::InvalidCredentials, "Wrong username or password.".into()),
            AppError::Forbidden(why) => (ErrorCode::Forbidden, (*why).into()),
            AppError::OriginNotAllowed => {
                (ErrorCode::OriginNotAllowed, "Requests from this origin are not allowed.".into())
            }
            AppError::NotAMember => (ErrorCode::NotAMember, "You are not a member of this board.".into()),
            AppError::NotFound(what) => (what.code(), what.message().into()),
            AppError::UsernameTaken => (ErrorCode::UsernameTaken, "That username is taken.".into()),
            AppError::AlreadyMember => {
                (ErrorCode::AlreadyMember, "That user is already a member of this board.".into())
            }
            AppError::VersionConflict(_) => {
                (ErrorCode::VersionConflict, "Someone else changed this card; here is the current version.".into())
            }
            AppError::StalePosition => (
                ErrorCode::StalePosition,
                "The board changed under you: that place no longer exists. Nothing was moved.".into(),
            ),
            AppError::NotArchived => {
                (ErrorCode::NotArchived, "Only archived things can be deleted or restored; archive it first.".into())
            }
            AppError::ListArchived => {
                (ErrorCode::ListArchived, "This card's list is archived; restore the list first.".into())
            }
            AppError::MethodNotAllowed => {
                (ErrorCode::MethodNotAllowed, "This endpoint does not accept that method; see the Allow header.".into())
            }
            AppError::PayloadTooLarge => (ErrorCode::PayloadTooLarge, "The request body is too large.".into()),
            AppError::UnsupportedMediaType => {
                (ErrorCode::UnsupportedMediaType, "Send JSON with Content-Type: application/json.".into())
            }
            AppError::RateLimited { .. } => (ErrorCode::RateLimited, "Too many attempts; try again later.".into()),
            AppError::TooManyConnections => (
                ErrorCode::TooManyConnections,
                "You have too many live connections open; close some tabs and try again.".into(),
            ),
            AppError::ServerBusy => (ErrorCode::ServerBusy, "The server is busy; try again in a moment.".into()),
            AppError::Unavailable(_) | AppError::DatabaseDown => {
                (ErrorCode::ServiceUnavailable, "The database is unavailable right now; try again shortly.".into())
            }
            AppError::Internal(_) => (ErrorCode::InternalError, "Something went wrong on our side.".into()),
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                fields: match self {
                    AppError::Validation(fields) => Some(fields.clone()),
                    _ => None,
                },
                card: match self {
                    AppError::VersionConflict(card) => Some((**card).clone()),
                    _ => None,
                },
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            AppError::Internal(_) => tracing::error!(error = %self, "request failed"),
            // A known outage is logged once by `db_health`; an unnoticed one at most every few seconds.
            AppError::Unavailable(_) if UNAVAILABLE_LOG.ready() => {
                tracing::warn!(error = %self, "database unavailable (further refusals logged at debug for a while)")
            }
            _ => tracing::debug!(error = %self, "request refused"),
        }
        let retry_after_secs = match self {
            AppError::RateLimited { retry_after_secs } => Some(retry_after_secs),
            // A hash takes tens of milliseconds: a worker is soon free again. An outage is retried briskly too.
            AppError::ServerBusy | AppError::Unavailable(_) | AppError::DatabaseDown => Some(1),
            _ => None,
        };
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// At most one WARN per this many seconds for 503s that no known outage explains (a pool that ran dry, say).
static UNAVAILABLE_LOG: LogEvery = LogEvery::new(10);

/// Lets a log line through at most once per `secs` seconds, across threads.
struct LogEvery {
    secs: u64,
    last: std::sync::atomic::AtomicU64,
}

impl LogEvery {
    const fn new(secs: u64) -> Self {
        Self { secs, last: std::sync::atomic::AtomicU64::new(0) }
    }

    fn ready(&self) -> bool {
        use std::sync::atomic::Ordering;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs());
        let last = self.last.load(Ordering::Relaxed);
        now >= last + self.secs && self.last.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            // The pool could not get a connection, or the connection broke: Postgres is down or restarting.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                AppError::Unavailable(err)
            }
            sqlx::Error::Database(db) if is_unavailable_sqlstate(db.code().as_deref()) => AppError::Unavailable(err),
            // Valid JSON may carry text that Postgres cannot store (a NUL character): the client's input, not a bug.
            sqlx::Error::Database(db) if is_unstorable_text_sqlstate(db.code().as_deref()) => {
                AppError::bad_request(ErrorCode::InvalidText, "Text may not contain the NUL character (\\u0000).")
            }
            _ => AppError::Internal(err.to_string()),
        }
    }
}

/// SQLSTATE classes that mean "the server is going away or not ready", not "your query is wrong":
/// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08xxx connection exceptions.
fn is_unavailable_sqlstate(code: Option<&str>) -> bool {
    matches!(code, Some(c) if c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03"))
}

/// 22021 character_not_in_repertoire (a NUL in a text value), 22P05 untranslatable_character (`\u0000` in jsonb).
fn is_unstorable_text_sqlstate(code: Option<&str>) -> bool {
    matches!(code, Some("22021" | "22P05"))
}

/// Collects per-field validation problems so one 422 can name all of them.
#[derive(Debug, Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// The checked value, or a default after noting the problem under `field`.
    pub fn check<T: Default>(&mut self, field: &str, result: Result<T, String>) -> T {
        result.unwrap_or_else(|problem| {
            self.0.insert(field.to_owned(), problem);
            T::default()
        })
    }

    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::Validation(self.0)) }
    }
}

/// The name of the unique constraint a database error violated, if it was one.
pub fn unique_violation(err: &sqlx::Error) -> Option<String> {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint().map(str::to_owned),
        _ => None,
    }
}
