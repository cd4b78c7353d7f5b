//! Corkboard's web app: a Leptos client-side-rendered app, built to WebAssembly by `scripts/build-frontend`
//! and served by the backend from `frontend/dist/`.

mod api;
mod app;
mod auth;
mod board;
mod boards;
mod dialog;
mod route;
mod session;
mod toast;
mod util;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
