//! The board screen: `BoardView` makes the board's state (the store, the live connection, drag and drop and
//! the small UI states) and provides each as its own context; then the header, the lists with their cards,
//! the drag ghost, the card dialog and the members panel.

mod add;
mod card;
mod dnd;
mod flip;
mod header;
mod list;
mod live;
mod members;
mod model;
mod signals;
mod store;
mod ui;

use corkboard_protocol::Role;
use leptos::portal::Portal;
use leptos::prelude::*;
use uuid::Uuid;

use self::add::{AddItem, NewItem};
use self::card::CardDialogHost;
use self::dnd::{DragItem, DragUi};
use self::header::{BoardHeader, OfflineBanner};
use self::list::ListColumn;
use self::live::LiveConnection;
use self::members::MembersPanel;
use self::store::{BoardStore, LoadState};
use self::ui::{Announcer, OpenCard};
use crate::route::{Link, Route};
use crate::util;

#[component]
pub fn BoardView(board_id: Uuid) -> impl IntoView {
    let store = BoardStore::new(board_id);
    let announcer = Announcer::new();
    let open_card = OpenCard::new();
    let drag = DragUi::new(store, announcer, open_card);
    let live = LiveConnection::new(store);
    store.send_moves_through(Callback::new(move |op| live.send_move(op)));
    provide_context(store);
    provide_context(announcer);
    provide_context(open_card);
    provide_context(drag);
    provide_context(live);

    // The connection starts once the first snapshot is in (so it knows where to resume from), and stops for
    // good when the board is gone or closed.
    Effect::new(move |started: Option<bool>| {
        let started = started.unwrap_or(false);
        match store.load.get() {
            LoadState::Ready if !started => {
                live.start();
                true
            }
            LoadState::Gone(_) => {
                live.stop();
                true
            }
            _ => started,
        }
    });
    on_cleanup(move || live.stop());
    store.reload();

    // One set of window listeners for all drags: cards and lists come and go, the listeners stay.
    let mv = window_event_listener(leptos::ev::pointermove, move |ev| dnd::pointer_move(drag, &ev));
    let up = window_event_listener(leptos::ev::pointerup, move |_| dnd::release(drag, true));
    let cancel = window_event_listener(leptos::ev::pointercancel, move |_| dnd::release(drag, false));
    let esc = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            dnd::release(drag, false);
        }
    });
    // Owned by this component: dropped, and so removed, when the board closes.
    StoredValue::new_local(add_nonpassive_touchmove(drag));
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
            <p class="sr-only" aria-live="assertive" data-testid="announcer">{move || announcer.0.get()}</p>
            <p class="sr-only" id="card-help">
                "Press Enter to open the card. Press M or Space to pick it up, arrow keys to choose a list and a place, Enter to drop, Escape to cancel."
            </p>
        </div>
    }
}

/// The page's `touchmove` must be non-passive to stop scrolling during a touch drag; Leptos' helpers add
/// passive listeners, so this one is added by hand and removed when the guard drops.
fn add_nonpassive_touchmove(drag: DragUi) -> impl Drop + 'static {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    struct Guard(Closure<dyn FnMut(web_sys::Event)>);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = window().remove_event_listener_with_callback("touchmove", self.0.as_ref().unchecked_ref());
        }
    }
    let cb: Closure<dyn FnMut(web_sys::Event)> =
        Closure::new(move |ev: web_sys::Event| dnd::block_touch_scroll(drag, &ev));
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
    let drag = expect_context::<DragUi>();
    let members_open = RwSignal::new(false);
    let can_edit = move || store.my_role.get().is_some_and(Role::can_edit);
    let list_drop = move || {
        drag.list_target
            .get()
            .map(|t| view! { <div class="list-drop-indicator" style:left=format!("{}px", t.left)></div> })
    };
    view! {
        <SkipToBoard/>
        <BoardHeader members_open=members_open/>
        <OfflineBanner/>
        <div class="board-canvas" id="board-canvas" class:read-only=move || !can_edit() data-testid="board-canvas">
            <For each=move || store.list_ids.get() key=|id| *id let:list_id>
                <ListColumn list_id=list_id/>
            </For>
            <Show when=can_edit>
                <AddItem what=NewItem::List/>
            </Show>
            {list_drop}
        </div>
        <DragGhost/>
        <CardDialogHost/>
        <Show when=move || members_open.get()>
            <MembersPanel on_close=move || members_open.set(false)/>
        </Show>
    }
}

/// "Skip to board": the first Tab stop of the page, so a keyboard user reaches the first card in two key
/// presses instead of passing the top bar and the header. The top bar comes before the board in the page, so
/// the link goes into a slot at the very start of `<body>`; it is shown only while it has the focus.
#[component]
fn SkipToBoard() -> impl IntoView {
    let Some(slot) = skip_link_slot() else { return ().into_any() };
    let skip = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        // The first card, or on a board without cards its first control ("Add a list", a list's title).
        let target = util::query(".board-canvas [data-card-id]").or_else(|| util::query(".board-canvas button"));
        if let Some(el) = target {
            let _ = el.focus();
        }
    };
    view! {
        <Portal mount=slot>
            <a class="skip-link" href="#board-canvas" on:click=skip>"Skip to board"</a>
        </Portal>
    }
    .into_any()
}

/// The first element of `<body>`, made once and left in place (empty while no board is open).
fn skip_link_slot() -> Option<web_sys::Element> {
    let doc = document();
    if let Some(slot) = doc.get_element_by_id("skip-link-slot") {
        return Some(slot);
    }
    let body = doc.body()?;
    let slot = doc.create_element("div").ok()?;
    slot.set_id("skip-link-slot");
    body.insert_before(&slot, body.first_child().as_ref()).ok()?;
    Some(slot)
}

/// The card or list that follows the pointer during a drag. Always in the page and only shown or hidden:
/// inserting it at drag start would make the browser lay out the whole board again (a visible hitch on a
/// board of 1,000 cards).
#[component]
fn DragGhost() -> impl IntoView {
    let drag = expect_context::<DragUi>();
    let style = move || {
        let (x, y, w, h) = drag.ghost.get();
        format!("transform: translate({x}px, {y}px) rotate(2deg); width: {w}px; min-height: {}px", h.min(120.0))
    };
    let class = move || match drag.dragging.get() {
        Some(DragItem::Card(_)) => "drag-ghost card-tile is-shown",
        Some(DragItem::List(_)) => "drag-ghost list-ghost is-shown",
        None => "drag-ghost",
    };
    // The shield covers the page during a drag: the grabbing cursor everywhere, no hover effects or text
    // selection underneath, and no click on whatever is under the pointer at the drop. (A class on <body>
    // would do the same by restyling every card: 130 ms on a board of 1,000.)
    let shield = move || if drag.dragging.with(Option::is_some) { "drag-shield is-shown" } else { "drag-shield" };
    view! {
        <div class=shield aria-hidden="true"></div>
        <div class=class style=style aria-hidden="true">{move || drag.ghost_label.get()}</div>
    }
}
