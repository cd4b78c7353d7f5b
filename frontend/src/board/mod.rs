//! The board screen: header (title, who is here, connection state, members), the lists with their cards,
//! and the card dialog.

mod card;
mod dnd;
mod list;
mod live;
mod members;
mod model;
mod store;

use corkboard_protocol::{Role, validate_title};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use self::card::CardDialogHost;
use self::dnd::DragItem;
use self::list::{AddList, ListColumn};
use self::live::{ConnState, Transport};
use self::members::MembersPanel;
use self::store::{BoardStore, LoadState};
use crate::api;
use crate::route::{Link, Route};
use crate::util;

#[component]
pub fn BoardView(board_id: Uuid) -> impl IntoView {
    let store = BoardStore::new(board_id);
    provide_context(store);
    store.reload();
    on_cleanup(move || live::stop(store));

    // One set of window listeners for all drags: cards and lists come and go, the listeners stay.
    let mv = window_event_listener(leptos::ev::pointermove, move |ev| dnd::pointer_move(store, &ev));
    let up = window_event_listener(leptos::ev::pointerup, move |_| dnd::release(store, true));
    let cancel = window_event_listener(leptos::ev::pointercancel, move |_| dnd::release(store, false));
    let esc = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            dnd::release(store, false);
        }
    });
    // Owned by this component: dropped, and so removed, when the board closes.
    StoredValue::new_local(add_nonpassive_touchmove(store));
    on_cleanup(move || {
        mv.remove();
        up.remove();
        cancel.remove();
        esc.remove();
    });

    // The tab title follows the board's title.
    Effect::new(move |_| {
        let t = store.title.get();
        document().set_title(&if t.is_empty() { "Corkboard".into() } else { format!("{t} · Corkboard") });
    });
    on_cleanup(|| document().set_title("Corkboard"));

    view! {
        <div class="board-page">
            {move || match store.load.get() {
                LoadState::Loading => view! { <BoardSkeleton/> }.into_any(),
                LoadState::Failed(msg) => view! {
                    <div class="page narrow empty-state" role="alert">
                        <h1>"Could not open this board"</h1>
                        <p>{msg}</p>
                        <button class="btn btn-primary" on:click=move |_| { store.load.set(LoadState::Loading); store.reload(); }>"Try again"</button>
                    </div>
                }.into_any(),
                LoadState::Gone(msg) => view! {
                    <div class="page narrow empty-state" role="alert" data-testid="board-gone">
                        <h1>"This board is not available"</h1>
                        <p>{msg}</p>
                        <Link to=Route::Boards class="btn btn-primary">"Back to my boards"</Link>
                    </div>
                }.into_any(),
                LoadState::Ready => view! { <BoardReady/> }.into_any(),
            }}
            <p class="sr-only" aria-live="assertive" data-testid="announcer">{move || store.announce.get()}</p>
            <p class="sr-only" id="card-help">
                "Press Enter to open the card. Press M or Space to pick it up, arrow keys to choose a list and a place, Enter to drop, Escape to cancel."
            </p>
        </div>
    }
}

/// The page's `touchmove` must be non-passive to stop scrolling during a touch drag; Leptos' helpers add
/// passive listeners, so this one is added by hand and removed when the guard drops.
fn add_nonpassive_touchmove(store: BoardStore) -> impl Drop + 'static {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    struct Guard(Closure<dyn FnMut(web_sys::Event)>);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = window().remove_event_listener_with_callback("touchmove", self.0.as_ref().unchecked_ref());
        }
    }
    let cb: Closure<dyn FnMut(web_sys::Event)> =
        Closure::new(move |ev: web_sys::Event| dnd::block_touch_scroll(store, &ev));
    let opts = web_sys::AddEventListenerOptions::new();
    opts.set_passive(false);
    let _ = window().add_event_listener_with_callback_and_add_event_listener_options(
        "touchmove",
        cb.as_ref().unchecked_ref(),
        &opts,
    );
    Guard(cb)
}

#[component]
fn BoardSkeleton() -> impl IntoView {
    view! {
        <div class="board-header"><div class="skeleton skeleton-title"></div></div>
        <div class="board-canvas" aria-busy="true" aria-label="Loading the board">
            {(0..3).map(|n| view! {
                <section class="list-column skeleton-column">
                    <div class="skeleton skeleton-line"></div>
                    {(0..(4 - n)).map(|_| view! { <div class="skeleton skeleton-card"></div> }).collect_view()}
                </section>
            }).collect_view()}
        </div>
    }
}

#[component]
fn BoardReady() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let can_edit = move || store.my_role.get().is_some_and(Role::can_edit);
    let list_drop = move || {
        store
            .drag
            .list_target
            .get()
            .map(|t| view! { <div class="list-drop-indicator" style:left=format!("{}px", t.left)></div> })
    };
    view! {
        <BoardHeader/>
        <div class="board-canvas" class:read-only=move || !can_edit() data-testid="board-canvas">
            <For each=move || store.list_ids.get() key=|id| *id let:list_id>
                <ListColumn list_id=list_id/>
            </For>
            <Show when=can_edit>
                <AddList/>
            </Show>
            {list_drop}
        </div>
        <DragGhost/>
        <CardDialogHost/>
        <Show when=move || store.members_open.get()>
            <MembersPanel/>
        </Show>
    }
}

#[component]
fn BoardHeader() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let can_admin = move || store.my_role.get().is_some_and(Role::can_admin);
    let input = NodeRef::<leptos::html::Input>::new();
    list::focus_when_shown(input);
    let is_viewer = move || store.my_role.get() == Some(Role::Viewer);

    let save = move || {
        editing.set(false);
        let Ok(title) = validate_title(&draft.get_untracked()) else {
            store.toasts.error("A board title must not be empty.");
            return;
        };
        if title == store.title.get_untracked() {
            return;
        }
        spawn_local(async move {
            if let Err(e) = api::rename_board(store.board_id, title).await {
                store.report(e, "Could not rename the board");
            }
        });
    };

    view! {
        <div class="board-header">
            {move || if editing.get() {
                view! {
                    <input node_ref=input class="board-title-input" aria-label="Board title" prop:value=draft
                        on:input=move |ev| draft.set(event_target_value(&ev))
                        on:blur=move |_| save()
                        on:keydown=move |ev| match ev.key().as_str() {
                            "Enter" => save(),
                            "Escape" => editing.set(false),
                            _ => {}
                        }/>
                }.into_any()
            } else {
                view! {
                    <h1 class="board-title" data-testid="board-title">
                        <button class="board-title-btn" disabled=move || !can_admin()
                            title=move || if can_admin() { "Rename board" } else { "" }
                            on:click=move |_| { draft.set(store.title.get_untracked()); editing.set(true); }>
                            {move || store.title.get()}
                        </button>
                    </h1>
                }.into_any()
            }}
            <Show when=is_viewer>
                <span class="badge badge-viewonly" data-testid="view-only" tabindex="0"
                    title="You are a viewer on this board: you see every change live, but cannot edit or move anything. Ask an admin for the editor role.">
                    <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true"><path fill="currentColor" d="M12 5c5 0 9 4.5 10 7-1 2.5-5 7-10 7S3 14.5 2 12c1-2.5 5-7 10-7zm0 3a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm0 2a2 2 0 1 1 0 4 2 2 0 0 1 0-4z"/></svg>
                    "View only"
                </span>
            </Show>
            <div class="spacer"></div>
            <PresenceAvatars/>
            <ConnectionBadge/>
            <button class="btn btn-sm" data-testid="members-button" on:click=move |_| store.members_open.update(|o| *o = !*o)>
                "Members "<span class="count">{move || store.members.with(Vec::len)}</span>
            </button>
        </div>
    }
}

/// Who has this board open right now (from `presence` frames).
#[component]
fn PresenceAvatars() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let shown = move || {
        let mut users = store.presence.get();
        users.truncate(6);
        users
    };
    view! {
        <div class="presence" data-testid="presence" aria-label="Who is here">
            <For each=shown key=|u| u.id let:user>
                <span class="avatar avatar-live" style=format!("--hue:{}", util::hue_for(&user.id))
                    title=format!("{} is viewing", user.display_name) data-testid="presence-avatar">
                    {util::initials(&user.display_name)}
                </span>
            </For>
            {move || {
                let extra = store.presence.with(Vec::len).saturating_sub(6);
                (extra > 0).then(|| view! { <span class="avatar avatar-more">{format!("+{extra}")}</span> })
            }}
        </div>
    }
}

/// Live / Reconnecting… / Offline, and how: the user should never believe they see the latest when they do not.
#[component]
fn ConnectionBadge() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let label = move || match store.conn.get() {
        ConnState::Live => "Live",
        ConnState::Connecting => "Connecting…",
        ConnState::Reconnecting => "Reconnecting…",
        ConnState::Offline => "Offline",
    };
    let tip = move || match (store.conn.get(), store.transport.get()) {
        (ConnState::Live, Transport::WebSocket) => "Changes by others appear as they happen.",
        (ConnState::Live, Transport::Sse) => {
            "Live over a fallback connection (WebSockets are blocked on this network)."
        }
        (ConnState::Offline, _) => {
            "You are offline. Changes by others will appear when you are back; your moves are kept and sent then."
        }
        _ => "Trying to reach the server. What you see may be out of date.",
    };
    let waiting = move || matches!(store.conn.get(), ConnState::Reconnecting | ConnState::Offline);
    view! {
        <span class="conn" data-testid="connection-status" data-state=move || format!("{:?}", store.conn.get()).to_lowercase()
            title=tip role="status">
            <span class="conn-dot" aria-hidden="true"></span>
            {label}
        </span>
        <Show when=waiting>
            <button class="btn btn-ghost btn-sm" on:click=move |_| live::retry_now(store)>"Retry now"</button>
        </Show>
    }
}

/// The card or list that follows the pointer during a drag. Always in the page and only shown or hidden:
/// inserting it at drag start would make the browser lay out the whole board again (a visible hitch on a
/// board of 1,000 cards).
#[component]
fn DragGhost() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let style = move || {
        let (x, y, w, h) = store.drag.ghost.get();
        format!("transform: translate({x}px, {y}px) rotate(2deg); width: {w}px; min-height: {}px", h.min(120.0))
    };
    let class = move || match store.drag.dragging.get() {
        Some(DragItem::Card(_)) => "drag-ghost card-tile is-shown",
        Some(DragItem::List(_)) => "drag-ghost list-ghost is-shown",
        None => "drag-ghost",
    };
    // The shield covers the page during a drag: the grabbing cursor everywhere, no hover effects or text
    // selection underneath, and no click on whatever is under the pointer at the drop. (A class on <body>
    // would do the same by restyling every card: 130 ms on a board of 1,000.)
    let shield = move || if store.drag.dragging.with(Option::is_some) { "drag-shield is-shown" } else { "drag-shield" };
    view! {
        <div class=shield aria-hidden="true"></div>
        <div class=class style=style aria-hidden="true">{move || store.drag.ghost_label.get()}</div>
    }
}
