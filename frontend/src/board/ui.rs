//! The board screen's small pieces of UI state, each provided as its own context so a component asks only for
//! what it uses: which card's dialog is open, and what the screen reader should announce.

use leptos::prelude::*;
use uuid::Uuid;

/// The card whose dialog is open, if any.
#[derive(Clone, Copy)]
pub struct OpenCard(pub RwSignal<Option<Uuid>>);

impl OpenCard {
    pub fn new() -> Self {
        OpenCard(RwSignal::new(None))
    }
}

/// Text for the screen reader's live region (moves by keyboard, drops).
#[derive(Clone, Copy)]
pub struct Announcer(pub RwSignal<String>);

impl Announcer {
    pub fn new() -> Self {
        Announcer(RwSignal::new(String::new()))
    }

    pub fn say(&self, text: impl Into<String>) {
        self.0.set(text.into());
    }
}
