//! "My boards": the boards the user is a member of, kept live (`live`), and a form to start a new one.

mod live;

use corkboard_protocol::{BoardSummary, validate_title};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::route::{Link, Nav, Route};
use crate::session::Session;
use crate::toast::Toasts;

#[component]
pub fn BoardsPage() -> impl IntoView {
    let nav = expect_context::<Nav>();
    let toasts = expect_context::<Toasts>();
    let session = expect_context::<Session>();
    let boards = RwSignal::new(None::<Vec<BoardSummary>>);
    let load_error = RwSignal::new(None::<String>);
    let title = RwSignal::new(String::new());
    let title_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Reads may overlap (a change arriving while the page loads); only the newest one's answer is shown.
    let latest_read = StoredValue::new(0u64);

    let load = move || {
        let read = latest_read.try_update_value(|n| {
            *n += 1;
            *n
        });
        spawn_local(async move {
            let answer = api::boards().await;
            if latest_read.try_get_value() != read {
                return;
            }
            match answer {
                Ok(r) => {
                    load_error.set(None);
                    boards.set(Some(r.boards));
                }
                Err(e) if e.is_unauthorized() => session.expired(nav, toasts),
                Err(e) => load_error.set(Some(e.message)),
            }
        })
    };
    load();
    live::watch(load);

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let t = match validate_title(&title.get_untracked()) {
            Ok(t) => t,
            Err(e) => {
                title_error.set(Some(format!("Title {e}")));
                return;
            }
        };
        busy.set(true);
        title_error.set(None);
        spawn_local(async move {
            match api::create_board(t).await {
                Ok(board) => {
                    title.set(String::new());
                    nav.go(Route::Board(board.id));
                }
                Err(e) if e.is_unauthorized() => session.expired(nav, toasts),
                Err(e) => title_error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };

    view! {
        <div class="page">
            <div class="page-head">
                <h1>"My boards"</h1>
            </div>
            <form class="create-board" on:submit=create>
                <input
                    aria-label="New board title"
                    placeholder="Name a new board, e.g. Product launch"
                    prop:value=title
                    on:input=move |ev| { title.set(event_target_value(&ev)); title_error.set(None); }
                />
                <button class="btn btn-primary" type="submit" disabled=busy>"Create board"</button>
            </form>
            {move || title_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {move || load_error.get().map(|e| view! {
                <div class="notice notice-error" role="alert">
                    <span>"Could not load your boards: " {e}</span>
                    <button class="btn btn-sm" on:click=move |_| load()>"Try again"</button>
                </div>
            })}
            {move || match boards.get() {
                None if load_error.with(Option::is_none) => view! {
                    <ul class="board-grid" aria-busy="true">
                        <li class="board-tile skeleton"></li><li class="board-tile skeleton"></li><li class="board-tile skeleton"></li>
                    </ul>
                }.into_any(),
                None => ().into_any(),
                Some(list) if list.is_empty() => view! {
                    <div class="empty-state">
                        <p>"No boards yet. Create your first one above — then invite your team."</p>
                    </div>
                }.into_any(),
                Some(list) => view! {
                    <ul class="board-grid">
                        {list.into_iter().map(|b| view! {
                            <li>
                                <Link to=Route::Board(b.id) class="board-tile">
                                    <span class="board-tile-title">{b.title}</span>
                                    <span class="role-badge">{b.role.as_str()}</span>
                                </Link>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </div>
    }
}
