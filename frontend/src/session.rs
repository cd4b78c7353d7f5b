//! `Session`: who is signed in, and what happens when that changes (signed in, or ended by the server).

use corkboard_protocol::User;
use leptos::prelude::*;

use crate::route::{Nav, Route};
use crate::toast::Toasts;

/// Who is signed in. `checked` turns true once `/api/auth/session` has answered, so a signed-in user never sees
/// the sign-in form flash by on load.
#[derive(Clone, Copy)]
pub struct Session {
    pub user: RwSignal<Option<User>>,
    pub checked: RwSignal<bool>,
    /// Where to go after signing in (the board link someone opened while signed out).
    pub next: RwSignal<Option<Route>>,
}

impl Session {
    /// Nobody signed in yet, and not yet asked.
    pub fn new() -> Self {
        Session { user: RwSignal::new(None), checked: RwSignal::new(false), next: RwSignal::new(None) }
    }

    /// The server ended the session (logout elsewhere, expiry): forget the user and ask to sign in again.
    pub fn expired(&self, nav: Nav, toasts: Toasts) {
        if self.user.get_untracked().is_some() {
            toasts.info("Your session has ended. Please sign in again.");
        }
        self.user.set(None);
        let here = nav.route.get_untracked();
        if here.needs_auth() {
            self.next.set(Some(here));
        }
        nav.replace(Route::SignIn);
    }

    pub fn signed_in(&self, user: User, nav: Nav) {
        self.user.set(Some(user));
        let next = self.next.get_untracked().unwrap_or(Route::Boards);
        self.next.set(None);
        nav.replace(next);
    }
}
