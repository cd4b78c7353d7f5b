//! The app's few screens and their URLs. Hand-rolled on the History API: four routes do not need a router
//! crate, and every kilobyte of wasm is download time on a phone.

use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    SignIn,
    SignUp,
    Boards,
    Board(Uuid),
    NotFound,
}

impl Route {
    pub fn parse(path: &str) -> Route {
        let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        match parts.as_slice() {
            [] | ["boards"] => Route::Boards,
            ["signin"] => Route::SignIn,
            ["signup"] => Route::SignUp,
            ["boards", id] => Uuid::parse_str(id).map(Route::Board).unwrap_or(Route::NotFound),
            _ => Route::NotFound,
        }
    }

    pub fn path(&self) -> String {
        match self {
            Route::SignIn => "/signin".into(),
            Route::SignUp => "/signup".into(),
            Route::Boards | Route::NotFound => "/".into(),
            Route::Board(id) => format!("/boards/{id}"),
        }
    }

    /// Screens that need a signed-in user.
    pub fn needs_auth(&self) -> bool {
        !matches!(self, Route::SignIn | Route::SignUp)
    }
}

/// The current route, shared through context. `Copy`, so JS callbacks can hold it.
#[derive(Clone, Copy)]
pub struct Nav {
    pub route: RwSignal<Route>,
}

impl Nav {
    pub fn new() -> Self {
        let nav = Nav { route: RwSignal::new(current()) };
        // Back and forward buttons.
        let handle = window_event_listener_untyped("popstate", move |_| nav.route.set(current()));
        on_cleanup(move || handle.remove());
        nav
    }

    pub fn go(&self, route: Route) {
        let path = route.path();
        if let Ok(history) = window().history() {
            let _ = history.push_state_with_url(&JsValue::NULL, "", Some(&path));
        }
        self.route.set(route);
    }

    /// Like `go`, without a new history entry (redirects).
    pub fn replace(&self, route: Route) {
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&route.path()));
        }
        self.route.set(route);
    }
}

fn current() -> Route {
    Route::parse(&window().location().pathname().unwrap_or_default())
}

/// A real link (middle click and "open in new tab" keep working) that navigates in place on a plain click.
#[component]
pub fn Link(to: Route, #[prop(optional, into)] class: String, children: Children) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if ev.button() == 0 && !ev.ctrl_key() && !ev.meta_key() && !ev.shift_key() && !ev.alt_key() {
            ev.prevent_default();
            nav.go(to);
        }
    };
    view! { <a href=to.path() class=class on:click=on_click>{children()}</a> }
}
