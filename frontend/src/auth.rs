//! Sign in and sign up. The rules are shown before they are broken, inputs are checked with the protocol's own
//! rules before the round trip, and the server's messages are shown next to the field they concern. An error
//! always describes what is in the form now: a field's server error goes as soon as that field changes.

use std::collections::BTreeMap;

use corkboard_protocol::{
    ErrorCode, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, validate_display_name, validate_password, validate_username,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::route::{Link, Nav, Route};
use crate::session::Session;

/// What the server said about the last submit: per field, and for the form as a whole.
#[derive(Clone, Copy)]
struct ServerErrors {
    fields: RwSignal<BTreeMap<&'static str, String>>,
    form: RwSignal<Option<String>>,
}

impl ServerErrors {
    fn new() -> Self {
        Self { fields: RwSignal::new(BTreeMap::new()), form: RwSignal::new(None) }
    }

    fn clear(&self) {
        self.fields.set(BTreeMap::new());
        self.form.set(None);
    }

    /// `field` changed: what the server said about it (and about the whole form) no longer applies.
    fn changed(&self, field: &'static str) {
        if self.fields.with_untracked(|f| f.contains_key(field)) {
            self.fields.update(|f| {
                f.remove(field);
            });
        }
        if self.form.with_untracked(Option::is_some) {
            self.form.set(None);
        }
    }

    fn field(&self, field: &'static str) -> Option<String> {
        self.fields.with(|f| f.get(field).cloned())
    }

    /// Files an error under the fields it names; a taken username belongs to the username field.
    fn show(&self, error: ApiError, known: &[&'static str]) {
        let mut fields = BTreeMap::new();
        for name in known {
            if let Some(message) = error.field(name) {
                fields.insert(*name, format!("{} {message}", label_of(name)));
            }
        }
        if error.is(ErrorCode::UsernameTaken) {
            fields.insert("username", error.message.clone());
        }
        if fields.is_empty() {
            self.form.set(Some(error.message));
        }
        self.fields.set(fields);
    }
}

/// A refusal that is about the crowd, not the form, worded for the person: how long to wait, and that it is not
/// their password or username at fault. `too_many` says what there were too many of.
fn crowd_refusal(mut error: ApiError, too_many: &str) -> ApiError {
    if error.is(ErrorCode::RateLimited) {
        let minutes = error.retry_after_secs.unwrap_or(60).div_ceil(60).max(1);
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        error.message = format!("{too_many}; try again in {minutes} {unit}.");
    } else if error.is(ErrorCode::ServerBusy) {
        error.message = "The server is busy; try again in a moment.".into();
    }
    error
}

fn label_of(field: &str) -> &'static str {
    match field {
        "username" => "Username",
        "password" => "Password",
        _ => "Display name",
    }
}

/// The password rule in words: the protocol counts bytes, people count characters; asking for 8 characters
/// always gives at least 8 bytes.
fn password_problem(password: &str) -> Option<String> {
    if password.chars().count() < PASSWORD_MIN_BYTES {
        Some(format!("Password needs at least {PASSWORD_MIN_BYTES} characters."))
    } else if validate_password(password).is_err() {
        Some(format!(
            "Password is too long: at most {PASSWORD_MAX_BYTES} plain letters (accented letters and emoji count as more)."
        ))
    } else {
        None
    }
}

/// The name a person will sign in as, when it differs from what they typed (`Ann` → `ann`).
fn sign_in_name(typed: &str) -> Option<String> {
    validate_username(typed).ok().filter(|name| name != typed)
}

#[component]
pub fn SignIn() -> impl IntoView {
    let session = expect_context::<Session>();
    let nav = expect_context::<Nav>();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = ServerErrors::new();
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let (u, p) = (username.get_untracked(), password.get_untracked());
        if u.trim().is_empty() || p.is_empty() {
            errors.form.set(Some("Enter your username and password.".into()));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::login(u.trim().to_lowercase(), p).await {
                Ok(auth) => session.signed_in(auth.user, nav),
                Err(e) => errors.show(crowd_refusal(e, "Too many sign-in attempts"), &["username", "password"]),
            }
            busy.set(false);
        });
    };

    view! {
        <div class="auth-page">
            <form class="auth-card" on:submit=submit novalidate>
                <h1>"Sign in"</h1>
                <p class="muted">"Welcome back to your boards."</p>
                <div class="field">
                    <label for="signin-username">"Username"</label>
                    <input id="signin-username" name="username" autocomplete="username" autocapitalize="none" required
                        aria-describedby="signin-username-as"
                        prop:value=username
                        on:input=move |ev| { username.set(event_target_value(&ev)); errors.changed("username"); }/>
                    {move || sign_in_name(&username.get()).map(|name| view! {
                        <small class="field-hint" id="signin-username-as">"You will sign in as " <b>{name}</b></small>
                    })}
                </div>
                <div class="field">
                    <label for="signin-password">"Password"</label>
                    <input id="signin-password" name="password" type="password" autocomplete="current-password" required
                        prop:value=password
                        on:input=move |ev| { password.set(event_target_value(&ev)); errors.changed("password"); }/>
                </div>
                {move || errors.form.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
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
    let errors = ServerErrors::new();
    let busy = RwSignal::new(false);

    // Instant feedback with the rules the server applies; the server's word only while the field is unchanged.
    let username_error = move || {
        let u = username.get();
        (touched.get() || !u.is_empty())
            .then(|| validate_username(&u).err().map(|e| format!("Username {e}.")))
            .flatten()
            .or_else(|| errors.field("username"))
    };
    let password_error = move || {
        let p = password.get();
        // While typing, "too short" waits for the first submit: the hint above already says it.
        (touched.get() || p.len() > PASSWORD_MAX_BYTES)
            .then(|| password_problem(&p))
            .flatten()
            .or_else(|| errors.field("password"))
    };
    let name_error = move || {
        let n = display_name.get();
        (!n.is_empty())
            .then(|| validate_display_name(&n).err().map(|e| format!("Display name {e}.")))
            .flatten()
            .or_else(|| errors.field("display_name"))
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let Ok(u) = validate_username(&username.get_untracked()) else { return };
        let p = password.get_untracked();
        if password_problem(&p).is_some() {
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
        spawn_local(async move {
            match api::register(u, p, name).await {
                Ok(auth) => session.signed_in(auth.user, nav),
                Err(e) => errors.show(
                    crowd_refusal(e, "Too many sign-ups from your network"),
                    &["username", "password", "display_name"],
                ),
            }
            busy.set(false);
        });
    };

    view! {
        <div class="auth-page">
            <form class="auth-card" on:submit=submit novalidate>
                <h1>"Create your account"</h1>
                <p class="muted">"Boards for you and your team, live for everyone."</p>
                <div class="field">
                    <label for="signup-username">"Username"</label>
                    <input id="signup-username" name="username" autocomplete="username" autocapitalize="none" required
                        aria-describedby="signup-username-hint signup-username-as signup-username-error"
                        aria-invalid=move || username_error().is_some().to_string()
                        prop:value=username
                        on:input=move |ev| { username.set(event_target_value(&ev)); errors.changed("username"); }/>
                    <small class="field-hint" id="signup-username-hint">
                        "3 to 32 characters: letters, digits, '_', '.' or '-'"
                    </small>
                    {move || sign_in_name(&username.get()).map(|name| view! {
                        <small class="field-hint field-hint-strong" id="signup-username-as" data-testid="username-as">
                            "You will sign in as " <b>{name}</b>
                        </small>
                    })}
                    {move || username_error().map(|e| view! {
                        <small class="field-error" id="signup-username-error" data-testid="username-error">{e}</small>
                    })}
                </div>
                <div class="field">
                    <label for="signup-display-name">"Display name " <em class="muted">"(optional)"</em></label>
                    <input id="signup-display-name" name="display_name" autocomplete="name"
                        aria-describedby="signup-display-name-hint signup-display-name-error"
                        aria-invalid=move || name_error().is_some().to_string()
                        prop:value=display_name
                        on:input=move |ev| { display_name.set(event_target_value(&ev)); errors.changed("display_name"); }/>
                    <small class="field-hint" id="signup-display-name-hint">"What others see on your cards, e.g. Ann Lee"</small>
                    {move || name_error().map(|e| view! {
                        <small class="field-error" id="signup-display-name-error">{e}</small>
                    })}
                </div>
                <div class="field">
                    <label for="signup-password">"Password"</label>
                    <input id="signup-password" name="password" type="password" autocomplete="new-password" required
                        aria-describedby="signup-password-hint signup-password-error"
                        aria-invalid=move || password_error().is_some().to_string()
                        prop:value=password
                        on:input=move |ev| { password.set(event_target_value(&ev)); errors.changed("password"); }/>
                    <small class="field-hint" id="signup-password-hint" data-testid="password-hint">
                        {format!("At least {PASSWORD_MIN_BYTES} characters")}
                    </small>
                    {move || password_error().map(|e| view! {
                        <small class="field-error" id="signup-password-error" data-testid="password-error">{e}</small>
                    })}
                </div>
                {move || errors.form.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button class="btn btn-primary btn-block" type="submit" disabled=busy>
                    {move || if busy.get() { "Creating account…" } else { "Create account" }}
                </button>
                <p class="muted center">"Already have an account? " <Link to=Route::SignIn>"Sign in"</Link></p>
            </form>
        </div>
    }
}
