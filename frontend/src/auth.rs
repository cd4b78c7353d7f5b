//! Sign in and sign up. Inputs are checked with the protocol's own rules before the round trip, and the
//! server's per-field messages are shown next to the field they concern.

use corkboard_protocol::{validate_display_name, validate_password, validate_username};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::route::{Link, Nav, Route};
use crate::session::Session;

#[component]
pub fn SignIn() -> impl IntoView {
    let session = expect_context::<Session>();
    let nav = expect_context::<Nav>();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (u, p) = (username.get_untracked(), password.get_untracked());
        if u.trim().is_empty() || p.is_empty() {
            error.set(Some("Enter your username and password.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::login(u.trim().to_lowercase(), p).await {
                Ok(auth) => session.signed_in(auth.user, nav),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };

    view! {
        <div class="auth-page">
            <form class="auth-card" on:submit=submit novalidate>
                <h1>"Sign in"</h1>
                <p class="muted">"Welcome back to your boards."</p>
                <label class="field">
                    <span>"Username"</span>
                    <input name="username" autocomplete="username" autocapitalize="none" required
                        prop:value=username on:input=move |ev| username.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input name="password" type="password" autocomplete="current-password" required
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button class="btn btn-primary btn-block" type="submit" disabled=busy>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
                <p class="muted center">"New here? " <Link to=Route::SignUp>"Create an account"</Link></p>
            </form>
        </div>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let session = expect_context::<Session>();
    let nav = expect_context::<Nav>();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let server_error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    // Instant feedback, with the exact rules the server applies.
    let username_error = move || {
        let u = username.get();
        (touched.get() || !u.is_empty())
            .then(|| validate_username(&u).err())
            .flatten()
            .or_else(|| server_error.with(|e| e.as_ref().and_then(|e| e.field("username"))))
    };
    let password_error = move || {
        let p = password.get();
        (touched.get() || !p.is_empty())
            .then(|| validate_password(&p).err())
            .flatten()
            .or_else(|| server_error.with(|e| e.as_ref().and_then(|e| e.field("password"))))
    };
    let name_error = move || {
        let n = display_name.get();
        (!n.is_empty()).then(|| validate_display_name(&n).err()).flatten()
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if busy.get_untracked() {
            return;
        }
        let Ok(u) = validate_username(&username.get_untracked()) else { return };
        let p = password.get_untracked();
        if validate_password(&p).is_err() {
            return;
        }
        let name = display_name.get_untracked();
        let name = if name.trim().is_empty() {
            None
        } else {
            match validate_display_name(&name) {
                Ok(n) => Some(n),
                Err(_) => return,
            }
        };
        busy.set(true);
        server_error.set(None);
        spawn_local(async move {
            match api::register(u, p, name).await {
                Ok(auth) => session.signed_in(auth.user, nav),
                Err(e) => server_error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <div class="auth-page">
            <form class="auth-card" on:submit=submit novalidate>
                <h1>"Create your account"</h1>
                <p class="muted">"Boards for you and your team, live for everyone."</p>
                <label class="field">
                    <span>"Username"</span>
                    <input name="username" autocomplete="username" autocapitalize="none" required
                        aria-invalid=move || username_error().is_some().to_string()
                        prop:value=username on:input=move |ev| username.set(event_target_value(&ev))/>
                    <small class="field-hint">"3–32 characters: a–z, 0–9, '_', '.', '-'"</small>
                    {move || username_error().map(|e| view! { <small class="field-error">"Username " {e}</small> })}
                </label>
                <label class="field">
                    <span>"Display name " <em class="muted">"(optional)"</em></span>
                    <input name="display_name" autocomplete="name"
                        prop:value=display_name on:input=move |ev| display_name.set(event_target_value(&ev))/>
                    {move || name_error().map(|e| view! { <small class="field-error">"Display name " {e}</small> })}
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input name="password" type="password" autocomplete="new-password" required
                        aria-invalid=move || password_error().is_some().to_string()
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                    {move || password_error().map(|e| view! { <small class="field-error">"Password " {e}</small> })}
                </label>
                {move || server_error.get().filter(|e| e.fields.is_empty()).map(|e| view! {
                    <p class="form-error" role="alert">{e.message}</p>
                })}
                <button class="btn btn-primary btn-block" type="submit" disabled=busy>
                    {move || if busy.get() { "Creating account…" } else { "Create account" }}
                </button>
                <p class="muted center">"Already have an account? " <Link to=Route::SignIn>"Sign in"</Link></p>
            </form>
        </div>
    }
}
