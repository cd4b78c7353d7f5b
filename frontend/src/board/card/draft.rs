//! Unsaved edits of a card, kept in the browser's localStorage per person and card, so that closing the
//! dialog, a reload or a crashed tab never loses what was typed. Written on every change; removed when the
//! card is saved or the person discards the draft.

use corkboard_protocol::Card;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub title: String,
    pub description: String,
    /// The card as the edits started from. A draft restored after someone else changed the text still goes
    /// through the version check on save, so it can never overwrite their change unseen.
    pub base_version: i64,
    pub base_title: String,
    pub base_description: String,
}

impl Draft {
    pub fn new(title: String, description: String, base: &Card) -> Self {
        Draft {
            title,
            description,
            base_version: base.version,
            base_title: base.title.clone(),
            base_description: base.description.clone(),
        }
    }

    /// The card the edits were based on: the current one, with the version and text of back then.
    pub fn base(&self, current: &Card) -> Card {
        Card {
            version: self.base_version,
            title: self.base_title.clone(),
            description: self.base_description.clone(),
            ..current.clone()
        }
    }
}

/// Per person as well as per card: someone else signing in on this browser never sees these edits.
fn key(user_id: Uuid, card_id: Uuid) -> String {
    format!("corkboard.draft.{user_id}.{card_id}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn load(user_id: Uuid, card_id: Uuid) -> Option<Draft> {
    let raw = storage()?.get_item(&key(user_id, card_id)).ok().flatten()?;
    serde_json::from_str(&raw).ok()
}

/// Best effort: with storage full or switched off, the edits still live in the open dialog.
pub fn save(user_id: Uuid, card_id: Uuid, draft: &Draft) {
    if let (Some(s), Ok(raw)) = (storage(), serde_json::to_string(draft)) {
        let _ = s.set_item(&key(user_id, card_id), &raw);
    }
}

pub fn clear(user_id: Uuid, card_id: Uuid) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(user_id, card_id));
    }
}
