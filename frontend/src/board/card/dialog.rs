//! The card's dialog: its text, then its checklists and comments; beside them (below them on a phone) its
//! labels, members, dates and actions. Opened from the board or from the card's address; a card that is not
//! on the board is looked up once, to say whether it is archived (with a way back) or not there at all.

use corkboard_protocol::{Card, ErrorCode, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::actions::ActionsSection;
use super::checklists::ChecklistsSection;
use super::comments::CommentsSection;
use super::dates::DatesSection;
use super::detail::{CardDetailState, DetailStatus};
use super::gone::CardGone;
use super::labels::LabelsSection;
use super::members::MembersSection;
use super::text::{CardText, TextSection};
use crate::api;
use crate::board::store::BoardStore;
use crate::board::ui::OpenCard;
use crate::dialog::Modal;
use crate::toast::Toasts;

/// Shows the dialog for the card in `OpenCard`.
#[component]
pub fn CardDialogHost() -> impl IntoView {
    let open_card = expect_context::<OpenCard>();
    move || open_card.0.get().map(|id| view! { <CardDialog card_id=id/> })
}

#[component]
fn CardDialog(card_id: Uuid) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let open_card = expect_context::<OpenCard>();
    // Back to the card the dialog was opened from, so keyboard users keep their place.
    let return_to = format!("[data-card-id=\"{card_id}\"]");
    let Some(live) = store.card(card_id) else {
        let close = move || open_card.0.set(None);
        return view! {
            <Modal on_close=close label="Card" return_to=return_to>
                <NotOnBoard card_id=card_id on_close=close/>
            </Modal>
        }
        .into_any();
    };
    let live: Signal<Card> = live.into();
    let can_edit = Signal::derive(move || store.my_role.get().is_some_and(Role::can_edit));
    let status = RwSignal::new(DetailStatus::Loading);
    let state = CardDetailState::open(card_id, live, status);
    let text = CardText::new(card_id, live);
    let gone = text.gone;
    let list_name =
        move || store.list_of(card_id).and_then(|l| store.list(l)).map(|l| l.title.get()).unwrap_or_default();
    let close = move || text.close();

    view! {
        <Modal on_close=close label="Edit card" return_to=return_to>
            <div class="card-dialog-head">
                <p class="muted small">{move || (!gone.get()).then(|| view! { "In list " <strong>{list_name}</strong> })}</p>
                <button type="button" class="icon-btn" aria-label="Close" title="Close" on:click=move |_| close()>"×"</button>
            </div>
            <Show when=move || !gone.get() fallback=move || view! { <CardGone text=text.typed() on_close=close/> }>
                <div class="card-dialog-body">
                    <div class="card-dialog-main">
                        <TextSection text=text state=state can_edit=can_edit/>
                        {move || match status.get() {
                            DetailStatus::Loading => view! { <p class="muted small" aria-busy="true">"Loading the card…"</p> }.into_any(),
                            DetailStatus::Failed(why) => view! {
                                <p class="form-error" role="alert">"Could not load the card's checklists and comments: " {why}
                                    " Close the card and open it again to retry."</p>
                            }.into_any(),
                            DetailStatus::Ready => view! {
                                <ChecklistsSection state=state can_edit=can_edit/>
                                <CommentsSection state=state can_edit=can_edit/>
                            }.into_any(),
                        }}
                    </div>
                    <div class="card-dialog-side">
                        <LabelsSection state=state can_edit=can_edit/>
                        <MembersSection state=state can_edit=can_edit/>
                        <DatesSection state=state can_edit=can_edit/>
                        <ActionsSection state=state text=text can_edit=can_edit/>
                    </div>
                </div>
                <div class="row end card-dialog-foot">
                    <button type="button" class="btn btn-ghost" on:click=move |_| close()>"Close"</button>
                </div>
            </Show>
        </Modal>
    }
    .into_any()
}

/// A card's address for a card that is not on the board: archived (restore it, if allowed), or unknown to
/// this person (gone, never there, or on a board they may not see: the server does not say which).
#[component]
fn NotOnBoard(card_id: Uuid, on_close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let toasts = expect_context::<Toasts>();
    let open_card = expect_context::<OpenCard>();
    let found = RwSignal::new(None::<Option<Card>>);
    spawn_local(async move {
        let card = api::card_detail(card_id).await.ok().map(|d| d.card);
        let on_this_board = card.filter(|c| c.board_id == store.board_id && c.archived_at.is_some());
        let _ = found.try_set(Some(on_this_board));
    });
    let restore = move |_| {
        spawn_local(async move {
            match api::restore_card(card_id).await {
                Ok(card) => {
                    let title = card.title.clone();
                    store.put_card(card);
                    toasts.success(format!("Restored “{title}”."));
                    // Opened again, now with the card on the board.
                    open_card.0.set(None);
                    open_card.0.set(Some(card_id));
                }
                Err(e) if e.is(ErrorCode::ListArchived) => {
                    toasts.error("Its list is archived: restore the list first, under Archived items.")
                }
                Err(e) => store.report(e, "Could not restore the card"),
            }
        });
    };
    let can_edit = move || store.my_role.get().is_some_and(Role::can_edit);
    view! {
        <div class="card-dialog-head">
            <h2 class="dialog-title">"Card"</h2>
            <button type="button" class="icon-btn" aria-label="Close" title="Close" on:click=move |_| on_close()>"×"</button>
        </div>
        {move || match found.get() {
            None => view! { <p class="muted" aria-busy="true">"Looking for the card…"</p> }.into_any(),
            Some(Some(card)) => view! {
                <div class="notice" role="status" data-testid="card-archived">
                    "“" {card.title.clone()} "” is archived: it is not on the board."
                </div>
                <div class="row end">
                    <button type="button" class="btn btn-ghost" on:click=move |_| on_close()>"Close"</button>
                    <Show when=can_edit>
                        <button type="button" class="btn btn-primary" on:click=restore>"Restore to the board"</button>
                    </Show>
                </div>
            }.into_any(),
            Some(None) => view! {
                <div class="notice notice-error" role="alert" data-testid="card-missing">
                    "This card does not exist or you don't have access to it."
                </div>
                <div class="row end">
                    <button type="button" class="btn btn-primary" data-autofocus on:click=move |_| on_close()>"Back to the board"</button>
                </div>
            }.into_any(),
        }}
    }
}
