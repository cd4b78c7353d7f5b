//! What the label and member pickers share: a set on the card turned on and off one id at a time, shown at
//! once as the person meant it while the request is out, and as the board has it once its event is in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::ApiError;
use crate::board::store::BoardStore;

#[derive(Clone, Copy)]
pub struct Toggles {
    /// Ids whose change is on its way, with the state asked for.
    pending: RwSignal<Vec<(Uuid, bool)>>,
    pub error: RwSignal<Option<String>>,
    store: BoardStore,
}

impl Toggles {
    /// `on_card` is the set as the board has it (a label's or member's ids on the card).
    pub fn new(on_card: Signal<Vec<Uuid>>) -> Self {
        let pending = RwSignal::new(Vec::<(Uuid, bool)>::new());
        // A change is settled once the board shows it.
        Effect::new(move |_| {
            let ids = on_card.get();
            if pending.with_untracked(|p| p.iter().any(|(id, on)| ids.contains(id) == *on)) {
                pending.update(|p| p.retain(|(id, on)| ids.contains(id) != *on));
            }
        });
        Toggles { pending, error: RwSignal::new(None), store: expect_context::<BoardStore>() }
    }

    pub fn is_on(&self, id: Uuid, on_card: &[Uuid]) -> bool {
        self.pending.with(|p| p.iter().find(|(x, _)| *x == id).map(|(_, on)| *on)).unwrap_or(on_card.contains(&id))
    }

    /// Asks for `id` to be `on`; `what` names the change for an error ("Could not add the label").
    pub fn set<F, Fut>(&self, id: Uuid, on: bool, what: &'static str, request: F)
    where
        F: FnOnce() -> Fut + 'static,
        Fut: std::future::Future<Output = Result<corkboard_protocol::Card, ApiError>> + 'static,
    {
        let (store, pending, error) = (self.store, self.pending, self.error);
        pending.update(|p| {
            p.retain(|(x, _)| *x != id);
            p.push((id, on));
        });
        error.set(None);
        spawn_local(async move {
            if let Err(e) = request().await {
                pending.try_update(|p| p.retain(|(x, _)| *x != id));
                if e.is_unauthorized() {
                    store.report(e, what);
                } else {
                    let _ = error.try_set(Some(format!("{what}: {} Try again.", e.message.trim_end_matches('.'))));
                }
            }
        });
    }
}
