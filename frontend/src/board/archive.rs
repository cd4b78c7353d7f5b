//! "Archived items": the board's archived lists and cards, filtered by title, each with Restore (editors for
//! cards, admins for lists) and, for admins, "Delete permanently" (asked first). It reads the archive again
//! whenever something is archived, restored or deleted on the board, by anyone.

use corkboard_protocol::{ArchiveResponse, ArchivedList, Card, ErrorCode, EventKind, Role};
use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::store::{BoardChange, BoardStore};
use crate::api::{self, ApiError};
use crate::dialog::{self, ConfirmDialog, trap_focus};
use crate::toast::Toasts;

#[derive(Debug, Clone, PartialEq)]
enum Shown {
    Loading,
    Failed(String),
    Ready(ArchiveResponse),
}

#[component]
pub fn ArchivePanel(on_close: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let on_close = Callback::new(move |()| on_close());
    let node = NodeRef::<Div>::new();
    trap_focus(node, move || on_close.run(()), Some("[data-testid=archive-button]".into()));
    let store = expect_context::<BoardStore>();
    let query = RwSignal::new(String::new());
    let shown = RwSignal::new(Shown::Loading);
    // Only the answer to the newest question counts: a slow answer to an older filter never replaces it.
    let asked = StoredValue::new(0u64);
    let fetch = move || {
        let n = asked.get_value() + 1;
        asked.set_value(n);
        let q = query.get_untracked();
        spawn_local(async move {
            let result = api::archive(store.board_id, q.trim()).await;
            if asked.try_get_value() != Some(n) {
                return;
            }
            let _ = shown.try_set(match result {
                Ok(archive) => Shown::Ready(archive),
                Err(e) => Shown::Failed(e.message),
            });
        });
    };
    Effect::new(move |_| {
        query.track();
        fetch();
    });
    store.watch(Callback::new(move |change| {
        let refetch = match change {
            BoardChange::Reloaded => true,
            BoardChange::Event(event) => matches!(
                event.kind,
                EventKind::CardArchived { .. }
                    | EventKind::CardRestored { .. }
                    | EventKind::CardDeleted { .. }
                    | EventKind::ListArchived { .. }
                    | EventKind::ListRestored { .. }
                    | EventKind::ListDeleted { .. }
                    | EventKind::CardUpdated { .. }
                    | EventKind::ListUpdated { .. }
            ),
        };
        if refetch {
            fetch();
        }
    }));

    let body = move || match shown.get() {
        Shown::Loading => view! { <p class="muted" aria-busy="true">"Loading…"</p> }.into_any(),
        Shown::Failed(why) => view! {
            <p class="form-error" role="alert">"Could not load the archive: " {why}</p>
            <button class="btn btn-sm" on:click=move |_| fetch()>"Try again"</button>
        }
        .into_any(),
        Shown::Ready(archive) if archive.lists.is_empty() && archive.cards.is_empty() => {
            let text = if query.with_untracked(|q| q.trim().is_empty()) {
                "Nothing is archived on this board."
            } else {
                "No archived list or card has that in its title."
            };
            view! { <p class="muted" data-testid="archive-empty">{text}</p> }.into_any()
        }
        Shown::Ready(archive) => view! {
            {(!archive.lists.is_empty()).then(|| view! {
                <h3>"Lists"</h3>
                <ul class="archive-list" data-testid="archived-lists">
                    {archive.lists.into_iter().map(|list| view! { <ArchivedListRow list=list/> }).collect_view()}
                </ul>
            })}
            {(!archive.cards.is_empty()).then(|| view! {
                <h3>"Cards"</h3>
                <ul class="archive-list" data-testid="archived-cards">
                    {archive.cards.into_iter().map(|card| view! { <ArchivedCardRow card=card/> }).collect_view()}
                </ul>
            })}
        }
        .into_any(),
    };

    view! {
        <div class="side-panel-backdrop" aria-hidden="true" on:click=move |_| on_close.run(())></div>
        <div class="side-panel" role="dialog" aria-modal="true" aria-labelledby="archive-heading" tabindex="-1"
            data-testid="archive-panel" node_ref=node>
            <div class="side-panel-head">
                <h2 id="archive-heading">"Archived items"</h2>
                <button class="icon-btn" aria-label="Close archived items" on:click=move |_| on_close.run(())>"×"</button>
            </div>
            <input type="search" class="archive-filter" placeholder="Filter by title" aria-label="Filter archived items by title"
                data-autofocus data-testid="archive-filter" maxlength="512" prop:value=query
                on:input=move |ev| query.set(event_target_value(&ev))/>
            <div class="archive-body">{body}</div>
        </div>
    }
}

/// A refusal said where it happened, in words that say what to do.
fn refusal(e: &ApiError) -> String {
    if e.is(ErrorCode::ListArchived) {
        "Its list is archived too: restore the list first.".into()
    } else if e.is(ErrorCode::NotArchived) {
        "It is already back on the board.".into()
    } else {
        format!("{} Try again.", e.message.trim_end_matches('.'))
    }
}

#[component]
fn ArchivedCardRow(card: Card) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let toasts = expect_context::<Toasts>();
    let can_edit = move || store.my_role.get().is_some_and(Role::can_edit);
    let can_admin = move || store.my_role.get().is_some_and(Role::can_admin);
    let error = RwSignal::new(None::<String>);
    let (card_id, title) = (card.id, card.title.clone());
    let list_name = store.list(card.list_id).map(|l| l.title.get_untracked());
    let restore = {
        let title = title.clone();
        move |_| {
            let title = title.clone();
            error.set(None);
            spawn_local(async move {
                match api::restore_card(card_id).await {
                    Ok(card) => {
                        store.put_card(card);
                        toasts.success(format!("Restored “{title}” to its place."));
                    }
                    Err(e) if e.is_unauthorized() => store.report(e, "Could not restore the card"),
                    Err(e) => {
                        let _ = error.try_set(Some(refusal(&e)));
                    }
                }
            });
        }
    };
    let confirm = RwSignal::new(false);
    let question = Signal::stored(format!("Delete the card “{title}” for good?"));
    let delete = Callback::new(move |()| {
        spawn_local(async move {
            match api::delete_card(card_id).await {
                Ok(()) => toasts.success("Card deleted."),
                Err(e) if e.is_unauthorized() => store.report(e, "Could not delete the card"),
                Err(e) => {
                    let _ = error.try_set(Some(refusal(&e)));
                }
            }
        });
    });
    view! {
        <li class="archive-item" data-testid="archived-card">
            <div class="archive-item-text">
                <span class="archive-item-title">{title.clone()}</span>
                <small class="muted">{list_name.map(|l| format!("in {l}")).unwrap_or_else(|| "its list is archived".into())}</small>
            </div>
            <div class="row">
                <Show when=can_edit>
                    <button class="btn btn-sm" aria-label=format!("Restore {title}") on:click=restore.clone()>"Restore"</button>
                </Show>
                <Show when=can_admin>
                    <button class="btn btn-sm btn-ghost btn-danger-text" on:click=move |_| confirm.set(true)>"Delete permanently"</button>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <ConfirmDialog open=confirm question=question detail="Its checklists and comments go with it. This cannot be undone."
                action="Delete permanently" on_confirm=delete/>
        </li>
    }
}

#[component]
fn ArchivedListRow(list: ArchivedList) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let toasts = expect_context::<Toasts>();
    let can_admin = move || store.my_role.get().is_some_and(Role::can_admin);
    let error = RwSignal::new(None::<String>);
    let list_id: Uuid = list.list.id;
    let title = list.list.title.clone();
    let cards = dialog::count(list.card_count.max(0) as usize, "card", "cards");
    let restore = {
        let title = title.clone();
        move |_| {
            let title = title.clone();
            error.set(None);
            spawn_local(async move {
                match api::restore_list(list_id).await {
                    // Its cards come with the list_restored event.
                    Ok(list) => {
                        store.put_list(list);
                        toasts.success(format!("Restored the list “{title}”."));
                    }
                    Err(e) if e.is_unauthorized() => store.report(e, "Could not restore the list"),
                    Err(e) => {
                        let _ = error.try_set(Some(refusal(&e)));
                    }
                }
            });
        }
    };
    let confirm = RwSignal::new(false);
    let question = Signal::stored(format!("Delete the list “{title}” and its {cards} for good?"));
    let delete = Callback::new(move |()| {
        spawn_local(async move {
            match api::delete_list(list_id).await {
                Ok(()) => toasts.success("List deleted."),
                Err(e) if e.is_unauthorized() => store.report(e, "Could not delete the list"),
                Err(e) => {
                    let _ = error.try_set(Some(refusal(&e)));
                }
            }
        });
    });
    view! {
        <li class="archive-item" data-testid="archived-list">
            <div class="archive-item-text">
                <span class="archive-item-title">{title.clone()}</span>
                <small class="muted">{format!("list with {cards}")}</small>
            </div>
            <Show when=can_admin>
                <div class="row">
                    <button class="btn btn-sm" aria-label=format!("Restore {title}") on:click=restore.clone()>"Restore"</button>
                    <button class="btn btn-sm btn-ghost btn-danger-text" on:click=move |_| confirm.set(true)>"Delete permanently"</button>
                </div>
            </Show>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <ConfirmDialog open=confirm question=question detail="Its cards, checklists and comments go with it. This cannot be undone."
                action="Delete permanently" on_confirm=delete/>
        </li>
    }
}
