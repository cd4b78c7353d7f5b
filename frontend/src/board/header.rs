//! The board's header: its title (renamed in place by admins), "View only", who is here, the connection
//! state, and the members button.

use corkboard_protocol::{Role, validate_title};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::live::{ConnState, LiveConnection, Transport};
use super::store::BoardStore;
use crate::api;
use crate::toast::Toasts;
use crate::util;

#[component]
pub fn BoardHeader(members_open: RwSignal<bool>) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let toasts = expect_context::<Toasts>();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let can_admin = move || store.my_role.get().is_some_and(Role::can_admin);
    let input = NodeRef::<leptos::html::Input>::new();
    util::focus_when_shown(input);
    let is_viewer = move || store.my_role.get() == Some(Role::Viewer);

    let save = move || {
        editing.set(false);
        let Ok(title) = validate_title(&draft.get_untracked()) else {
            toasts.error("A board title must not be empty.");
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
            <button class="btn btn-sm" data-testid="members-button" on:click=move |_| members_open.update(|o| *o = !*o)>
                "Members "<span class="count">{move || store.members.with(Vec::len)}</span>
            </button>
        </div>
    }
}

/// Who has this board open right now (from `presence` frames). While we are not connected the list is only
/// what we last heard, so the avatars are greyed out and say so: nobody should look present on a screen that
/// cannot know.
#[component]
fn PresenceAvatars() -> impl IntoView {
    /// Avatars shown; the rest is "+n".
    const SHOWN: usize = 6;
    let live = expect_context::<LiveConnection>();
    let stale = move || live.state.get() != ConnState::Live;
    let shown = move || live.presence.with(|watching| watching.users.iter().take(SHOWN).cloned().collect::<Vec<_>>());
    view! {
        <div class="presence" class:is-stale=stale data-testid="presence" role="group"
            aria-label=move || if stale() { "Who was here while you were online" } else { "Who is here" }>
            <For each=shown key=|u| u.id children=move |user| {
                let initials = util::initials(&user.display_name);
                let name = user.display_name;
                let title = move || if stale() {
                    format!("{name}: last seen while you were online")
                } else {
                    format!("{name} is viewing")
                };
                view! {
                    <span class="avatar" class:avatar-live=move || !stale() style=format!("--hue:{}", util::hue_for(&user.id))
                        title=title data-testid="presence-avatar">
                        {initials}
                    </span>
                }
            }/>
            {move || {
                let extra = live.presence.with(|watching| watching.count.saturating_sub(watching.users.len().min(SHOWN)));
                (extra > 0).then(|| view! {
                    <span class="avatar avatar-more" title=format!("{extra} more viewing")>{format!("+{extra}")}</span>
                })
            }}
        </div>
    }
}

/// Live / Reconnecting… / Offline, and how: the user should never believe they see the latest when they do not.
#[component]
fn ConnectionBadge() -> impl IntoView {
    let live = expect_context::<LiveConnection>();
    let label = move || match live.state.get() {
        ConnState::Live => "Live",
        ConnState::Connecting => "Connecting…",
        ConnState::Reconnecting => "Reconnecting…",
        ConnState::Offline => "Offline",
    };
    let tip = move || match (live.state.get(), live.transport.get()) {
        (ConnState::Live, Transport::WebSocket) => "Changes by others appear as they happen.",
        (ConnState::Live, Transport::Sse) => {
            "Live over a fallback connection (WebSockets are blocked on this network)."
        }
        (ConnState::Offline, _) => {
            "You are offline. Changes by others will appear when you are back; your moves are kept and sent then."
        }
        _ => "Trying to reach the server. What you see may be out of date.",
    };
    let waiting = move || matches!(live.state.get(), ConnState::Reconnecting | ConnState::Offline);
    view! {
        <span class="conn" data-testid="connection-status" data-state=move || format!("{:?}", live.state.get()).to_lowercase()
            title=tip role="status">
            <span class="conn-dot" aria-hidden="true"></span>
            {label}
        </span>
        <Show when=waiting>
            <button class="btn btn-ghost btn-sm" on:click=move |_| live.retry_now()>"Retry now"</button>
        </Show>
    }
}

/// Offline, said across the board and not only in the small badge: what the person does now is kept, and
/// what others do will show up later. The status region is always in the page (empty while online), so
/// screen readers announce the text when it appears.
#[component]
pub fn OfflineBanner() -> impl IntoView {
    let live = expect_context::<LiveConnection>();
    let offline = move || live.state.get() == ConnState::Offline;
    view! {
        <div class="offline-banner" class:is-shown=offline role="status" data-testid="offline-banner">
            <Show when=offline>
                <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d="M3.3 2 2 3.3l3 3A15 15 0 0 0 1 9l2 2a12 12 0 0 1 4.2-2.5l2.3 2.3A8 8 0 0 0 5 13l2 2a5 5 0 0 1 4.6-1.4l8.1 8.1 1.3-1.3zM12 4c-1 0-2 .1-3 .3l2.6 2.6H12a12 12 0 0 1 9 3.8l2-2A15 15 0 0 0 12 4zm3.5 6.6 2.9 2.9.6-.5-2-2zM12 16a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z"/></svg>
                <span>
                    <strong>"You are offline."</strong>
                    " Your moves are kept and sent when you are back; changes by others show up then."
                </span>
            </Show>
        </div>
    }
}
