//! `BoardStore`: the open board's data, shared by the board's components through context. It loads the
//! snapshot, applies live events in seq order, records our own moves as pending, and reports failures.
//!
//! The confirmed `Model` lives in a non-reactive cell; after each change `reconcile` pushes the differences
//! into the fine-grained signals of `signals.rs`.

use corkboard_protocol::{Card, Event, EventKind, List, Member, MoveTarget, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::flip;
use super::model::{Model, OutOfOrder, PendingListMove, PendingMove};
use super::signals::{Drawn, ListSlot};
use crate::api::{self, ApiError};
use crate::route::Nav;
use crate::session::Session;
use crate::toast::Toasts;
use crate::util;

#[derive(Debug, Clone, PartialEq)]
pub enum LoadState {
    Loading,
    Ready,
    /// Could not load; the message says why, and retrying may help.
    Failed(String),
    /// The board is gone for this user (deleted, or they were removed): nothing to retry.
    Gone(String),
}

#[derive(Default)]
struct Inner {
    model: Option<Model>,
    pending: Vec<PendingMove>,
    pending_lists: Vec<PendingListMove>,
    next_token: u64,
    drawn: Drawn,
    /// While a snapshot is being reloaded, events wait here and are replayed on top of it.
    reloading: bool,
    buffered: Vec<Event>,
    /// Where our moves go out: the live connection, which depends on this store and not the other way round.
    send_move: Option<Callback<PendingMove>>,
}

#[derive(Clone, Copy)]
pub struct BoardStore {
    pub board_id: Uuid,
    pub title: RwSignal<String>,
    pub list_ids: RwSignal<Vec<Uuid>>,
    pub members: RwSignal<Vec<Member>>,
    pub my_role: Memo<Option<Role>>,
    pub load: RwSignal<LoadState>,
    /// Bumped after every reconcile, for the few views that ask "does this still exist?".
    pub revision: RwSignal<u64>,
    /// Where failures are told, and where a dead session sends the user.
    session: Session,
    nav: Nav,
    toasts: Toasts,
    inner: StoredValue<Inner, LocalStorage>,
}

impl BoardStore {
    pub fn new(board_id: Uuid) -> Self {
        let session = expect_context::<Session>();
        let members = RwSignal::new(Vec::<Member>::new());
        let my_role = Memo::new(move |_| {
            let me = session.user.with(|u| u.as_ref().map(|u| u.id))?;
            members.with(|ms| ms.iter().find(|m| m.user.id == me).map(|m| m.role))
        });
        BoardStore {
            board_id,
            title: RwSignal::new(String::new()),
            list_ids: RwSignal::new(Vec::new()),
            members,
            my_role,
            load: RwSignal::new(LoadState::Loading),
            revision: RwSignal::new(0),
            session,
            nav: expect_context::<Nav>(),
            toasts: expect_context::<Toasts>(),
            inner: StoredValue::new_local(Inner::default()),
        }
    }

    /// Our moves are sent through `send` from now on (the live connection, once the board view has made it).
    pub fn send_moves_through(&self, send: Callback<PendingMove>) {
        self.inner.try_update_value(|i| i.send_move = Some(send));
    }

    pub fn can_edit(&self) -> bool {
        self.my_role.get_untracked().is_some_and(Role::can_edit)
    }

    pub fn me(&self) -> Option<Uuid> {
        self.session.user.with_untracked(|u| u.as_ref().map(|u| u.id))
    }

    // --- reading -----------------------------------------------------------------------------------------

    pub fn list(&self, list_id: Uuid) -> Option<ListSlot> {
        self.inner.try_with_value(|i| i.drawn.lists.get(&list_id).cloned()).flatten()
    }

    pub fn card(&self, card_id: Uuid) -> Option<ArcRwSignal<Card>> {
        self.inner.try_with_value(|i| i.drawn.cards.get(&card_id).cloned()).flatten()
    }

    /// The list a card is shown in.
    pub fn list_of(&self, card_id: Uuid) -> Option<Uuid> {
        self.inner.try_with_value(|i| i.drawn.card_list.get(&card_id).copied()).flatten()
    }

    /// The cards shown in a list, in order.
    pub fn cards_in(&self, list_id: Uuid) -> Vec<Uuid> {
        self.inner
            .try_with_value(|i| i.drawn.layout.cards.get(&list_id).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    pub fn list_order(&self) -> Vec<Uuid> {
        self.inner.try_with_value(|i| i.drawn.layout.lists.clone()).unwrap_or_default()
    }

    pub fn applied_seq(&self) -> Option<i64> {
        self.inner.try_with_value(|i| i.model.as_ref().map(Model::seq)).flatten()
    }

    /// Moves not yet acked, to (re)send after a reconnect with their original `client_op_id`.
    pub fn unconfirmed_moves(&self) -> Vec<PendingMove> {
        self.inner
            .try_with_value(|i| i.pending.iter().filter(|p| p.acked_seq.is_none()).cloned().collect())
            .unwrap_or_default()
    }

    // --- loading -----------------------------------------------------------------------------------------

    /// Loads (or reloads) the snapshot. Live events that arrive meanwhile are kept and replayed on top.
    pub fn reload(&self) {
        let store = *self;
        let started = store.inner.try_update_value(|i| !std::mem::replace(&mut i.reloading, true)).unwrap_or(false);
        if !started {
            return;
        }
        spawn_local(async move {
            let result = api::snapshot(store.board_id).await;
            let first_load = store.inner.try_with_value(|i| i.model.is_none()).unwrap_or(false);
            match result {
                Ok(snapshot) => {
                    let buffered = store
                        .inner
                        .try_update_value(|i| {
                            i.model = Some(Model::from_snapshot(snapshot));
                            i.reloading = false;
                            // Moves the snapshot already contains are confirmed.
                            let seq = i.model.as_ref().map_or(0, Model::seq);
                            i.pending.retain(|p| p.acked_seq.is_none_or(|s| s > seq));
                            std::mem::take(&mut i.buffered)
                        })
                        .unwrap_or_default();
                    store.reconcile();
                    // Only on a change: re-setting Ready would redraw the whole board (and close open forms).
                    if store.load.try_with_untracked(|l| *l != LoadState::Ready).unwrap_or(false) {
                        let _ = store.load.try_set(LoadState::Ready);
                    }
                    for event in buffered {
                        store.on_event(event);
                    }
                }
                Err(e) => {
                    store.inner.try_update_value(|i| i.reloading = false);
                    store.handle_load_error(e, first_load);
                }
            }
        });
    }

    fn handle_load_error(&self, e: ApiError, first_load: bool) {
        if e.is_unauthorized() {
            self.session_ended();
        } else if e.status == 404 {
            self.gone("This board does not exist, or you are not a member of it.");
        } else if first_load {
            let _ = self.load.try_set(LoadState::Failed(e.message));
        } else {
            self.toasts.error(format!("Could not refresh the board: {}", e.message));
        }
    }

    /// The board cannot be shown any more: say why. The board view stops the live connection when it sees this.
    pub fn gone(&self, why: &str) {
        let _ = self.load.try_set(LoadState::Gone(why.to_owned()));
    }

    /// The server ended the session: back to sign-in.
    pub fn session_ended(&self) {
        self.session.expired(self.nav, self.toasts);
    }

    // --- live events -------------------------------------------------------------------------------------

    /// One event from the socket or the SSE stream. Applied strictly in seq order: a repeat is ignored, a gap
    /// means something was missed, and only a fresh snapshot can be trusted then.
    pub fn on_event(&self, event: Event) {
        enum Outcome {
            Ignored,
            Gap,
            Applied,
        }
        let me = self.me();
        // Ours only if this tab made it: a move from our other tab should animate like anyone else's.
        let own = event
            .client_op_id
            .as_ref()
            .is_some_and(|op| self.inner.try_with_value(|i| i.pending.iter().any(|p| &p.op_id == op)).unwrap_or(false));
        // Someone else's move: remember where the card was on screen, before it moves, to animate it into its new
        // place.
        let flip = match &event.kind {
            EventKind::CardMoved { card_id, .. } if !own => {
                util::card_element(card_id).map(|el| (*card_id, el.get_bounding_client_rect()))
            }
            _ => None,
        };

        // The order rule is the shared model's (`apply_next`), the one the property tests exercise.
        let outcome = self
            .inner
            .try_update_value(|i| {
                if i.reloading {
                    i.buffered.push(event.clone());
                    return Outcome::Ignored;
                }
                let Some(model) = i.model.as_mut() else { return Outcome::Ignored };
                match model.apply_next(&event) {
                    Err(OutOfOrder::Duplicate { .. }) => Outcome::Ignored,
                    Err(OutOfOrder::Gap { .. }) => Outcome::Gap,
                    Ok(()) => {
                        let seq = model.seq();
                        if let Some(op) = &event.client_op_id {
                            i.pending.retain(|p| &p.op_id != op);
                        }
                        i.pending.retain(|p| p.acked_seq.is_none_or(|s| s > seq));
                        Outcome::Applied
                    }
                }
            })
            .unwrap_or(Outcome::Ignored);
        match outcome {
            Outcome::Ignored => return,
            Outcome::Gap => {
                self.reload();
                self.inner.try_update_value(|i| i.buffered.push(event));
                return;
            }
            Outcome::Applied => {}
        }
        self.reconcile();

        match &event.kind {
            EventKind::BoardDeleted {} => self.gone("This board was deleted."),
            EventKind::MemberRemoved { user_id } if Some(*user_id) == me => {
                self.gone("You were removed from this board.")
            }
            _ => {}
        }
        if let Some((card_id, before)) = flip {
            flip::animate_from(card_id, before);
        }
    }

    pub fn on_ack(&self, op_id: &str, seq: i64) {
        self.inner.try_update_value(|i| {
            let applied = i.model.as_ref().map_or(0, Model::seq);
            if seq <= applied {
                i.pending.retain(|p| p.op_id != op_id);
            } else if let Some(p) = i.pending.iter_mut().find(|p| p.op_id == op_id) {
                p.acked_seq = Some(seq);
            }
        });
        self.reconcile();
    }

    /// The server refused one of our moves: put the card back where the server has it, and say so.
    pub fn on_move_rejected(&self, op_id: &str, message: &str) {
        let removed = self
            .inner
            .try_update_value(|i| {
                let before = i.pending.len();
                i.pending.retain(|p| p.op_id != op_id);
                before != i.pending.len()
            })
            .unwrap_or(false);
        if removed {
            self.reconcile();
            self.toasts.error(format!("Your move was undone: {message}"));
        }
    }

    // --- our own changes ---------------------------------------------------------------------------------

    /// Moves a card at once on screen and sends the move; the server's event or ack confirms it. `to` is the
    /// place as the user meant it, so the move still lands sensibly if the list changes before it is sent.
    pub fn move_card(&self, card_id: Uuid, list_id: Uuid, to: MoveTarget) {
        if !self.can_edit() {
            self.toasts.info("You can only view this board: moving cards needs the editor role.");
            return;
        }
        let op = PendingMove { op_id: util::new_op_id(), card_id, list_id, to, acked_seq: None };
        self.inner.try_update_value(|i| i.pending.push(op.clone()));
        self.reconcile();
        if let Some(Some(send)) = self.inner.try_with_value(|i| i.send_move) {
            send.run(op);
        }
    }

    pub fn move_list(&self, list_id: Uuid, after_id: Option<Uuid>) {
        if !self.can_edit() {
            return;
        }
        let Some(token) = self.inner.try_update_value(|i| {
            i.next_token += 1;
            i.pending_lists.push(PendingListMove { token: i.next_token, list_id, after_id });
            i.next_token
        }) else {
            return;
        };
        self.reconcile();
        let store = *self;
        spawn_local(async move {
            let result = api::move_list(list_id, after_id).await;
            store.inner.try_update_value(|i| {
                i.pending_lists.retain(|p| p.token != token);
                if let (Ok(list), Some(model)) = (&result, i.model.as_mut()) {
                    model.upsert_list(list.clone());
                }
            });
            store.reconcile();
            if let Err(e) = result {
                store.report(e, "Could not move the list");
            }
        });
    }

    /// A card as a REST call returned it.
    pub fn put_card(&self, card: Card) {
        self.change_model(|m| m.upsert_card(card));
    }

    pub fn drop_card(&self, card_id: Uuid) {
        self.change_model(|m| {
            m.cards.remove(&card_id);
        });
    }

    pub fn put_list(&self, list: List) {
        self.change_model(|m| m.upsert_list(list));
    }

    pub fn drop_list(&self, list_id: Uuid) {
        self.change_model(|m| m.remove_list(list_id));
    }

    pub fn put_member(&self, member: Member) {
        self.change_model(|m| match m.members.iter_mut().find(|x| x.user.id == member.user.id) {
            Some(x) => *x = member,
            None => m.members.push(member),
        });
    }

    pub fn drop_member(&self, user_id: Uuid) {
        self.change_model(|m| m.members.retain(|x| x.user.id != user_id));
    }

    /// Applies what a REST call answered to the confirmed model (its event, when it comes, changes nothing
    /// more), and redraws.
    fn change_model(&self, change: impl FnOnce(&mut Model)) {
        self.inner.try_update_value(|i| {
            if let Some(m) = i.model.as_mut() {
                change(m);
            }
        });
        self.reconcile();
    }

    /// Tells the user why a call failed, in the server's words; a dead session goes back to sign-in.
    pub fn report(&self, e: ApiError, what: &str) {
        if e.is_unauthorized() {
            self.session_ended();
        } else {
            self.toasts.error(format!("{what}: {}", e.message));
        }
    }

    // --- model → signals ---------------------------------------------------------------------------------

    /// Pushes what changed into the signals, and nothing else: unchanged cards and lists are not touched.
    fn reconcile(&self) {
        let out = self.inner.try_update_value(|i| {
            let model = i.model.as_ref()?;
            Some(i.drawn.reconcile(model, &i.pending, &i.pending_lists))
        });
        let Some(Some(out)) = out else { return };
        self.revision.update(|r| *r += 1);
        if self.title.with_untracked(|t| t != &out.title) {
            self.title.set(out.title);
        }
        if self.list_ids.with_untracked(|l| l != &out.lists) {
            self.list_ids.set(out.lists);
        }
        if self.members.with_untracked(|m| m != &out.members) {
            self.members.set(out.members);
        }
    }
}
