//! The shell: checks who is signed in on load, picks the screen for the route, and draws the top bar and the
//! toasts.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::auth::{SignIn, SignUp};
use crate::board::BoardView;
use crate::boards::BoardsPage;
use crate::route::{Link, Nav, Route};
use crate::session::Session;
use crate::toast::{ToastHost, Toasts};
use crate::util;

#[component]
pub fn App() -> impl IntoView {
    let nav = Nav::new();
    let toasts = Toasts::new();
    let session = Session::new();
    provide_context(nav);
    provide_context(toasts);
    provide_context(session);

    // Asked once, quietly: the answer is 200 for a visitor too, so a signed-out load logs no error.
    spawn_local(async move {
        match api::session().await {
            Ok(answer) => session.user.set(answer.user),
            Err(e) => toasts.error(e.message),
        }
        session.checked.set(true);
    });

    // Screens that need a user send a signed-out visitor to sign in, and come back afterwards.
    Effect::new(move |_| {
        if !session.checked.get() {
            return;
        }
        let route = nav.route.get();
        let signed_in = session.user.with(Option::is_some);
        if route.needs_auth() && !signed_in {
            session.next.set(Some(route).filter(|r| *r != Route::Boards && *r != Route::NotFound));
            nav.replace(Route::SignIn);
        } else if !route.needs_auth() && signed_in {
            nav.replace(Route::Boards);
        }
    });

    let screen = move || {
        // Until the effect above has sent the visitor where they belong, draw no screen: a board list drawn
        // for nobody would ask the server for boards and get a 401.
        let route = nav.route.get();
        let misplaced = route.needs_auth() != session.user.with(Option::is_some);
        if !session.checked.get() || misplaced {
            return view! { <div class="splash" aria-busy="true"><div class="spinner"></div></div> }.into_any();
        }
        match route {
            Route::SignIn => view! { <SignIn/> }.into_any(),
            Route::SignUp => view! { <SignUp/> }.into_any(),
            Route::Boards => view! { <BoardsPage/> }.into_any(),
            Route::Board(id) => view! { <BoardView board_id=id/> }.into_any(),
            Route::NotFound => view! {
                <div class="page narrow empty-state">
                    <h1>"Page not found"</h1>
                    <p>"There is nothing at this address."</p>
                    <Link to=Route::Boards class="btn btn-primary">"Go to my boards"</Link>
                </div>
            }
            .into_any(),
        }
    };

    view! {
        <TopBar/>
        <main class="app-main">{screen}</main>
        <ToastHost/>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let session = expect_context::<Session>();
    let nav = expect_context::<Nav>();
    let toasts = expect_context::<Toasts>();
    let sign_out = move |_| {
        spawn_local(async move {
            match api::logout().await {
                Ok(()) => {
                    session.user.set(None);
                    nav.replace(Route::SignIn);
                }
                Err(e) => toasts.error(format!("Could not sign out: {}", e.message)),
            }
        });
    };
    view! {
        <header class="topbar">
            <Link to=Route::Boards class="brand">
                <span class="brand-mark" aria-hidden="true"></span>
                "Corkboard"
            </Link>
            <div class="topbar-slot" id="topbar-slot"></div>
            {move || session.user.get().map(|user| {
                let hue = util::hue_for(&user.id);
                view! {
                    <div class="topbar-user">
                        <span class="avatar" style=format!("--hue:{hue}") aria-hidden="true">
                            {util::initials(&user.display_name)}
                        </span>
                        <span class="topbar-name" data-testid="current-user">{user.display_name.clone()}</span>
                        <button class="btn btn-ghost btn-sm" on:click=sign_out>"Sign out"</button>
                    </div>
                }
            })}
        </header>
    }
}
