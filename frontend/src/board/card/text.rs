//! The card's title and description: edited with a draft kept on every keystroke (`draft`) and saved with
//! `expected_version`, so a change someone else made meanwhile is never silently overwritten: the conflict is
//! explained and their text shown. The description reads as rendered Markdown (the server's sanitised HTML)
//! until Edit switches to its source.

use corkboard_protocol::{Card, ErrorCode, UpdateCardRequest, validate_description, validate_title};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::detail::CardDetailState;
use super::draft::{self, Draft};
use crate::api;
use crate::board::store::BoardStore;
use crate::board::ui::OpenCard;
use crate::toast::Toasts;

/// The text being edited, shared by the dialog (which asks it on close) and the section that shows it.
#[derive(Clone, Copy)]
pub struct CardText {
    card_id: Uuid,
    me: Option<Uuid>,
    pub title: RwSignal<String>,
    pub description: RwSignal<String>,
    /// The card our edits are based on (its version is the one a save expects).
    pub base: RwSignal<Card>,
    pub draft_restored: RwSignal<bool>,
    pub editing_description: RwSignal<bool>,
    pub conflict: RwSignal<Option<Card>>,
    pub error: RwSignal<Option<String>>,
    pub busy: RwSignal<bool>,
    /// Whether the card is gone from the board (archived or deleted by someone else).
    pub gone: Signal<bool>,
    /// Set before our own archive, so only someone else's shows the "gone" view.
    pub leaving: StoredValue<bool>,
    live: Signal<Card>,
    // Held here: the close and save handlers run outside the component, where no context can be looked up.
    store: BoardStore,
    toasts: Toasts,
    open_card: OpenCard,
}

impl CardText {
    pub fn new(card_id: Uuid, live: Signal<Card>) -> Self {
        let store = expect_context::<BoardStore>();
        let me = store.me();
        let start = live.get_untracked();
        // A draft holding the card's own text (saved since, here or elsewhere) has nothing left to restore.
        let restored = me
            .and_then(|user| draft::load(user, card_id))
            .filter(|d| d.title != start.title || d.description != start.description);
        let leaving = StoredValue::new(false);
        let description = restored.as_ref().map_or(start.description.clone(), |d| d.description.clone());
        let text = CardText {
            card_id,
            me,
            title: RwSignal::new(restored.as_ref().map_or(start.title.clone(), |d| d.title.clone())),
            // An empty description opens ready for typing; a restored draft shows what was typed.
            editing_description: RwSignal::new(
                description.trim().is_empty() || restored.as_ref().is_some_and(|d| d.description != start.description),
            ),
            description: RwSignal::new(description),
            base: RwSignal::new(restored.as_ref().map_or(start.clone(), |d| d.base(&start))),
            draft_restored: RwSignal::new(restored.is_some()),
            conflict: RwSignal::new(None),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            gone: Signal::derive(move || {
                store.revision.track();
                store.card(card_id).is_none() && !leaving.get_value()
            }),
            leaving,
            live,
            store,
            toasts: expect_context::<Toasts>(),
            open_card: expect_context::<OpenCard>(),
        };
        text.keep_draft();
        text
    }

    pub fn dirty(&self) -> bool {
        let (title, description) = (self.title, self.description);
        self.base.with(|b| title.get() != b.title || description.get() != b.description)
    }

    fn keep_draft(self) {
        let CardText { card_id, me, title, description, base, live, .. } = self;
        // Every change is kept at once; typed back to the card's own text, nothing is.
        Effect::new(move |_| {
            let (t, d) = (title.get(), description.get());
            let Some(user) = me else { return };
            base.with(|b| {
                if t != b.title || d != b.description {
                    draft::save(user, card_id, &Draft::new(t, d, b));
                } else {
                    draft::clear(user, card_id);
                }
            });
        });
        // A newer version with the same text (a move or a date raises the version too) is no conflict: edit on
        // top of it.
        Effect::new(move |_| {
            let c = live.get();
            if base.with_untracked(|b| c.version > b.version && c.title == b.title && c.description == b.description) {
                base.set(c);
            }
        });
    }

    /// Escape, the backdrop and × close the dialog and keep the draft; saying so makes it a choice, not a loss.
    pub fn close(&self) {
        let (store, toasts, open_card) = (self.store, self.toasts, self.open_card);
        let gone = self.gone.get_untracked();
        let kept = !gone && store.can_edit() && self.dirty_untracked();
        if gone && let Some(user) = self.me {
            // Its text was shown with a way to copy it; the card cannot be opened again to find the draft.
            draft::clear(user, self.card_id);
        }
        open_card.0.set(None);
        if kept {
            let name = self.base.with_untracked(|b| b.title.clone());
            toasts.info(format!("Your changes to “{name}” are kept as a draft. Open the card to finish them."));
        }
    }

    fn dirty_untracked(&self) -> bool {
        self.base.with_untracked(|b| {
            self.title.with_untracked(|t| t != &b.title) || self.description.with_untracked(|d| d != &b.description)
        })
    }

    pub fn forget_draft(&self) {
        if let Some(user) = self.me {
            draft::clear(user, self.card_id);
        }
    }

    /// The text typed, for the "gone" view to offer for copying.
    pub fn typed(&self) -> String {
        let text = format!("{}\n\n{}", self.title.get_untracked(), self.description.get_untracked());
        text.trim_end().to_string()
    }

    /// Back to the card's own text.
    fn reset(&self) {
        let c = self.live.get_untracked();
        self.title.set(c.title.clone());
        self.description.set(c.description.clone());
        self.editing_description.set(c.description.trim().is_empty());
        self.base.set(c);
        self.conflict.set(None);
        self.draft_restored.set(false);
        self.forget_draft();
    }

    fn save(self, expected: i64) {
        let title_error = validate_title(&self.title.get_untracked()).is_err();
        let desc_error = validate_description(&self.description.get_untracked()).is_err();
        if title_error || desc_error || self.busy.get_untracked() || self.gone.get_untracked() {
            return;
        }
        let store = self.store;
        let b = self.base.get_untracked();
        let t = validate_title(&self.title.get_untracked()).unwrap_or_default();
        let d = self.description.get_untracked();
        let req = UpdateCardRequest {
            title: (t != b.title).then_some(t),
            description: (d != b.description).then_some(d),
            expected_version: Some(expected),
            client_op_id: Some(crate::util::new_op_id()),
            ..Default::default()
        };
        if req.title.is_none() && req.description.is_none() {
            self.reset();
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        let card_id = self.card_id;
        spawn_local(async move {
            match api::update_card(card_id, req).await {
                Ok(card) => {
                    self.forget_draft();
                    self.title.set(card.title.clone());
                    self.description.set(card.description.clone());
                    self.editing_description.set(card.description.trim().is_empty());
                    self.base.set(card.clone());
                    self.draft_restored.set(false);
                    store.put_card(card);
                }
                Err(e) if e.is(ErrorCode::VersionConflict) => {
                    if let Some(current) = e.card.clone() {
                        store.put_card(current.clone());
                        self.conflict.set(Some(current));
                    } else {
                        self.error.set(Some(e.message));
                    }
                }
                // Gone between our last look and the save: the "gone" view says so, once.
                Err(e) if e.is(ErrorCode::CardNotFound) => store.drop_card(card_id),
                Err(e) => {
                    self.error.set(Some(e.message.clone()));
                    if e.is_unauthorized() {
                        store.report(e, "Could not save");
                    }
                }
            }
            self.busy.set(false);
        });
    }
}

#[component]
pub fn TextSection(text: CardText, state: CardDetailState, #[prop(into)] can_edit: Signal<bool>) -> impl IntoView {
    let CardText { title, description, base, draft_restored, editing_description, conflict, error, busy, live, .. } =
        text;
    let title_input = NodeRef::<leptos::html::Input>::new();
    let description_input = NodeRef::<leptos::html::Textarea>::new();
    let dirty = move || text.dirty();
    // Someone changed the text while the dialog is open (seen live, before we even try to save).
    let changed_meanwhile = move || {
        live.with(|c| base.with(|b| c.version > b.version && (c.title != b.title || c.description != b.description)))
    };
    let title_error = move || validate_title(&title.get()).err().map(|e| format!("Title {e}"));
    let desc_error = move || validate_description(&description.get()).err().map(|e| format!("Description {e}"));

    let discard_draft = move |_| {
        text.reset();
        if let Some(input) = title_input.get_untracked() {
            let _ = input.focus();
        }
    };
    let use_theirs = move |_| {
        if let Some(c) = conflict.get_untracked() {
            title.set(c.title.clone());
            description.set(c.description.clone());
            base.set(c);
        }
        conflict.set(None);
    };
    let keep_mine = move |_| {
        if let Some(c) = conflict.get_untracked() {
            // The user has seen their text: now overwriting it is a choice, not an accident.
            base.set(c.clone());
            conflict.set(None);
            text.save(c.version);
        }
    };
    let edit_description = move |_| {
        editing_description.set(true);
        request_animation_frame(move || {
            if let Some(area) = description_input.get_untracked() {
                let _ = area.focus();
            }
        });
    };
    let show_editor = move || can_edit.get() && editing_description.get();

    view! {
        <form class="card-dialog card-text" on:submit=move |ev| { ev.prevent_default(); text.save(base.get_untracked().version); }>
            <Show when=move || draft_restored.get() && dirty()>
                <div class="notice draft-notice" role="status" data-testid="draft-notice">
                    <span>"Unsaved draft restored"</span>
                    <span aria-hidden="true">"·"</span>
                    <button type="button" class="link-btn" on:click=discard_draft>"Discard"</button>
                </div>
            </Show>
            <label class="field">
                <span>"Title"</span>
                <input class="card-dialog-title" data-testid="card-title-input" prop:value=title readonly=move || !can_edit.get()
                    node_ref=title_input data-autofocus on:input=move |ev| title.set(event_target_value(&ev))/>
                {move || title_error().map(|e| view! { <small class="field-error">{e}</small> })}
            </label>
            <Show when=show_editor fallback=move || view! {
                <div class="field">
                    <div class="section-head">
                        <h3 id="card-description-heading">"Description"</h3>
                        <Show when=move || can_edit.get()>
                            <button type="button" class="btn btn-sm btn-ghost" data-testid="edit-description"
                                aria-describedby="card-description-heading" on:click=edit_description>"Edit"</button>
                        </Show>
                    </div>
                    {move || if live.with(|c| c.description.trim().is_empty()) {
                        view! { <p class="muted small">"No description."</p> }.into_any()
                    } else {
                        // Rendered and sanitised by the server (API.md, "Markdown"): the one place HTML goes in.
                        view! {
                            <div class="markdown" data-testid="card-description" aria-labelledby="card-description-heading"
                                inner_html=move || state.description_html.get()></div>
                        }.into_any()
                    }}
                </div>
            }>
                <label class="field">
                    <span>"Description"</span>
                    <textarea rows="8" data-testid="card-description-input" prop:value=description node_ref=description_input
                        placeholder="Add more detail… Markdown works: **bold**, lists, links."
                        on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                    {move || desc_error().map(|e| view! { <small class="field-error">{e}</small> })}
                </label>
            </Show>
            <Show when=move || changed_meanwhile() && conflict.with(Option::is_none)>
                <div class="notice" role="status">
                    "Someone else changed this card since you started. Saving will ask you which version to keep."
                </div>
            </Show>
            {move || conflict.get().map(|c| view! {
                <div class="conflict" role="alert" data-testid="conflict">
                    <strong>"This card was changed by someone else while you were editing."</strong>
                    <p>"Nothing was overwritten. Their version (now version " {c.version} "):"</p>
                    <div class="conflict-theirs">
                        <div class="conflict-title">{c.title.clone()}</div>
                        <pre class="conflict-desc">{if c.description.is_empty() { "(no description)".to_string() } else { c.description.clone() }}</pre>
                    </div>
                    <p>"Your text is still in the fields above."</p>
                    <div class="row">
                        <button type="button" class="btn btn-sm" on:click=use_theirs>"Use their version"</button>
                        <button type="button" class="btn btn-sm btn-danger" on:click=keep_mine>"Overwrite with mine"</button>
                    </div>
                </div>
            })}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Show when=move || can_edit.get() && (dirty() || editing_description.get() && !live.with(|c| c.description.is_empty()))>
                <div class="row end">
                    <button type="button" class="btn btn-ghost" on:click=move |_| text.reset()>
                        {move || if dirty() { "Discard changes" } else { "Cancel" }}
                    </button>
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get() || !dirty() || conflict.with(Option::is_some)>
                        {move || if busy.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </Show>
        </form>
    }
}
