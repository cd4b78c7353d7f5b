//! The input rules of API.md, in one place for the server (which enforces them) and the web app (which
//! explains them before a round trip). Each check returns the normalised value or a message for the user.

/// Titles: 1..=512 characters after trimming.
pub const TITLE_MAX_CHARS: usize = 512;
/// Descriptions: up to 64 KiB.
pub const DESCRIPTION_MAX_BYTES: usize = 64 * 1024;
/// Usernames: 3..=32 of `[a-z0-9_.-]`.
pub const USERNAME_MIN_CHARS: usize = 3;
pub const USERNAME_MAX_CHARS: usize = 32;
/// Passwords: 8..=256 bytes.
pub const PASSWORD_MIN_BYTES: usize = 8;
pub const PASSWORD_MAX_BYTES: usize = 256;
/// Display names: 1..=64 characters after trimming.
pub const DISPLAY_NAME_MAX_CHARS: usize = 64;
/// A `client_op_id`: 1..=64 characters of `[A-Za-z0-9_-]` (a UUID fits).
pub const CLIENT_OP_ID_MAX_CHARS: usize = 64;
/// Label names: 0..=64 characters after trimming (empty: an unnamed color).
pub const LABEL_NAME_MAX_CHARS: usize = 64;
/// Labels per board.
pub const MAX_LABELS_PER_BOARD: i64 = 50;
/// Checklists per card.
pub const MAX_CHECKLISTS_PER_CARD: i64 = 20;
/// Items per checklist.
pub const MAX_ITEMS_PER_CHECKLIST: i64 = 200;
/// Checklist item text: 1..=512 characters after trimming.
pub const ITEM_TEXT_MAX_CHARS: usize = 512;
/// Comments: 1..=10,000 characters, not blank.
pub const COMMENT_MAX_CHARS: usize = 10_000;
/// Comments in a card's detail, and the default page of `GET /api/cards/{id}/comments`.
pub const COMMENTS_PAGE: i64 = 50;
/// The largest `limit` of `GET /api/cards/{id}/comments`.
pub const COMMENTS_PAGE_MAX: i64 = 100;
/// Archived lists, and archived cards, that `GET /api/boards/{id}/archive` answers with at most.
pub const ARCHIVE_PAGE: i64 = 200;
/// Request bodies over this get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// WebSocket frames over this close the socket with 1009.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Trims a title and checks its length.
pub fn validate_title(raw: &str) -> Result<String, String> {
    let title = raw.trim();
    let chars = title.chars().count();
    if chars == 0 {
        Err("must not be empty".into())
    } else if chars > TITLE_MAX_CHARS {
        Err(format!("must be at most {TITLE_MAX_CHARS} characters"))
    } else {
        Ok(title.to_owned())
    }
}

/// Checks a description's size (kept as typed: whitespace can be meaningful there).
pub fn validate_description(raw: &str) -> Result<String, String> {
    if raw.len() > DESCRIPTION_MAX_BYTES {
        Err(format!("must be at most {} KiB", DESCRIPTION_MAX_BYTES / 1024))
    } else {
        Ok(raw.to_owned())
    }
}

/// Usernames are compared case-insensitively, so they are stored lowercased.
pub fn validate_username(raw: &str) -> Result<String, String> {
    let username = raw.trim().to_lowercase();
    let chars = username.chars().count();
    if !(USERNAME_MIN_CHARS..=USERNAME_MAX_CHARS).contains(&chars) {
        Err(format!("must be {USERNAME_MIN_CHARS} to {USERNAME_MAX_CHARS} characters"))
    } else if !username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c)) {
        Err("may contain only letters, digits, '_', '.' and '-'".into())
    } else {
        Ok(username)
    }
}

pub fn validate_password(raw: &str) -> Result<(), String> {
    if !(PASSWORD_MIN_BYTES..=PASSWORD_MAX_BYTES).contains(&raw.len()) {
        Err(format!("must be {PASSWORD_MIN_BYTES} to {PASSWORD_MAX_BYTES} bytes"))
    } else {
        Ok(())
    }
}

pub fn validate_display_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 {
        Err("must not be empty".into())
    } else if chars > DISPLAY_NAME_MAX_CHARS {
        Err(format!("must be at most {DISPLAY_NAME_MAX_CHARS} characters"))
    } else {
        Ok(name.to_owned())
    }
}

pub fn validate_client_op_id(raw: &str) -> Result<(), String> {
    let ok_chars = raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if raw.is_empty() || raw.len() > CLIENT_OP_ID_MAX_CHARS || !ok_chars {
        Err(format!("must be 1 to {CLIENT_OP_ID_MAX_CHARS} characters of letters, digits, '-' and '_'"))
    } else {
        Ok(())
    }
}
/// Names a `presence` frame carries at most; its `count` says how many people watch in all.
pub const PRESENCE_NAMES: usize = 20;
/// A connection gets at most one `presence` frame per this many milliseconds; changes in between coalesce.
pub const PRESENCE_INTERVAL_MS: u64 = 1000;

/// Trims a label name and checks its length (empty is fine: an unnamed color).
pub fn validate_label_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.chars().count() > LABEL_NAME_MAX_CHARS {
        Err(format!("must be at most {LABEL_NAME_MAX_CHARS} characters"))
    } else {
        Ok(name.to_owned())
    }
}

/// Trims a checklist item's text and checks its length.
pub fn validate_item_text(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    let chars = text.chars().count();
    if chars == 0 {
        Err("must not be empty".into())
    } else if chars > ITEM_TEXT_MAX_CHARS {
        Err(format!("must be at most {ITEM_TEXT_MAX_CHARS} characters"))
    } else {
        Ok(text.to_owned())
    }
}

/// Checks a comment (kept as typed: Markdown cares about whitespace), which must not be blank.
pub fn validate_comment_body(raw: &str) -> Result<String, String> {
    if raw.trim().is_empty() {
        Err("must not be empty".into())
    } else if raw.chars().count() > COMMENT_MAX_CHARS {
        Err(format!("must be at most {COMMENT_MAX_CHARS} characters"))
    } else {
        Ok(raw.to_owned())
    }
}
