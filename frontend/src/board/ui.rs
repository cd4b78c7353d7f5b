//! The board screen's small pieces of UI state, each provided as its own context so a component asks only for
//! what it uses: which card's dialog is open, and what the screen reader should announce.

use leptos::prelude::*;
use uuid::Uuid;

use crate::route::{Nav, Route};

/// The card whose dialog is open, if any. It follows the address (`/boards/{board}/cards/{card}`) and the
/// address follows it: see `follow_route`.
#[derive(Clone, Copy)]
pub struct OpenCard(pub RwSignal<Option<Uuid>>, StoredValue<bool>);

impl OpenCard {
    /// Open on the card the address names, if it names one of this board's.
    pub fn new(board_id: Uuid, nav: Nav) -> Self {
        let open = match nav.route.get_untracked() {
            Route::Card(board, card) if board == board_id => Some(card),
            _ => None,
        };
        let this = OpenCard(RwSignal::new(open), StoredValue::new(false));
        this.follow_route(board_id, nav);
        this
    }

    /// Keeps the open dialog and the address in step. Opening a card pushes its address; closing it goes back
    /// in the history when that address was ours (so Back after a close does not open it again), and
    /// otherwise (a card's address opened in a fresh tab) replaces it with the board's.
    fn follow_route(self, board_id: Uuid, nav: Nav) {
        let OpenCard(open, pushed) = self;
        // The address → the dialog: Back, Forward, and links.
        Effect::new(move |_| {
            let wanted = match nav.route.get() {
                Route::Card(board, card) if board == board_id => Some(card),
                _ => None,
            };
            if open.get_untracked() != wanted {
                if wanted.is_none() {
                    pushed.set_value(false);
                }
                open.set(wanted);
            }
        });
        // The dialog → the address.
        Effect::new(move |_| {
            let card = open.get();
            let route = nav.route.get_untracked();
            match (card, route) {
                (Some(card), Route::Card(_, shown)) if shown != card => nav.replace(Route::Card(board_id, card)),
                (Some(card), Route::Board(_)) => {
                    pushed.set_value(true);
                    nav.go(Route::Card(board_id, card));
                }
                (None, Route::Card(..)) => {
                    if pushed.get_value() {
                        pushed.set_value(false);
                        nav.back();
                    } else {
                        nav.replace(Route::Board(board_id));
                    }
                }
                _ => {}
            }
        });
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

/// The time now, refreshed every half minute: due dates turn "soon" and "overdue" while the board is open.
#[derive(Clone, Copy)]
pub struct Clock(pub RwSignal<time::OffsetDateTime>);
