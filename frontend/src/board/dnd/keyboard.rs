//! Moving a card with the keyboard: M or Space picks it up, the arrows choose a list and a place (shown by
//! the drop indicator and announced), Enter drops, Escape cancels.

use corkboard_protocol::Role;
use leptos::prelude::*;
use uuid::Uuid;

use super::targets::{card_target_at_index, target_at_index};
use super::{DragUi, KeyboardMove, move_if_changed};
use crate::util;

/// Keys on a focused card. Returns true when the key was handled (the caller prevents the default).
pub fn card_key(drag: DragUi, card_id: Uuid, key: &str) -> bool {
    let kb = drag.keyboard;
    let picked = kb.get_untracked().filter(|k| k.card_id == card_id);
    let Some(mut k) = picked else {
        return match key {
            "m" | "M" | " " => {
                pick_up(drag, card_id);
                true
            }
            "Enter" => {
                drag.open_card.0.set(Some(card_id));
                true
            }
            _ => false,
        };
    };
    let lists = drag.store.list_order();
    let others = |list_index: usize| -> Vec<Uuid> {
        lists
            .get(list_index)
            .map(|l| drag.store.cards_in(*l))
            .unwrap_or_default()
            .into_iter()
            .filter(|id| *id != card_id)
            .collect()
    };
    match key {
        "ArrowUp" => k.index = k.index.saturating_sub(1),
        "ArrowDown" => k.index = (k.index + 1).min(others(k.list_index).len()),
        "ArrowLeft" | "ArrowRight" => {
            let next = if key == "ArrowLeft" { k.list_index.checked_sub(1) } else { Some(k.list_index + 1) };
            match next.filter(|i| *i < lists.len()) {
                Some(i) => {
                    k.list_index = i;
                    k.index = k.index.min(others(i).len());
                }
                None => {
                    drag.announcer.say("No more lists in that direction.");
                    return true;
                }
            }
        }
        "Enter" | " " | "m" | "M" => {
            kb.set(None);
            drag.card_target.set(None);
            let Some(list_id) = lists.get(k.list_index).copied() else { return true };
            move_if_changed(drag, card_id, list_id, target_at_index(&others(k.list_index), k.index));
            drag.announcer.say(format!(
                "Dropped. Card is now in {}, position {}.",
                list_name(drag, list_id),
                k.index + 1
            ));
            refocus(card_id);
            return true;
        }
        "Escape" => {
            kb.set(None);
            drag.card_target.set(None);
            drag.announcer.say("Move cancelled. The card is back where it was.");
            return true;
        }
        "Tab" => return false,
        _ => return true,
    }
    kb.set(Some(k));
    let place = show_keyboard_target(drag, k, &lists);
    drag.announcer.say(place);
    true
}

fn pick_up(drag: DragUi, card_id: Uuid) {
    if !drag.store.my_role.get_untracked().is_some_and(Role::can_edit) {
        let msg = "View only: your role on this board is viewer, so you cannot move cards.";
        drag.announcer.say(msg);
        drag.toasts.info(msg);
        return;
    }
    let lists = drag.store.list_order();
    let Some(list_id) = drag.store.list_of(card_id) else { return };
    let Some(list_index) = lists.iter().position(|l| *l == list_id) else { return };
    let index = drag.store.cards_in(list_id).iter().position(|id| *id == card_id).unwrap_or(0);
    let k = KeyboardMove { card_id, list_index, index };
    drag.keyboard.set(Some(k));
    let place = show_keyboard_target(drag, k, &lists);
    drag.announcer.say(format!(
        "Picked up card. {place} Use the arrow keys to choose a list and a place, Enter to drop, Escape to cancel."
    ));
}

/// Shows the drop indicator where a keyboard-held card would land, and says where that is.
fn show_keyboard_target(drag: DragUi, k: KeyboardMove, lists: &[Uuid]) -> String {
    let Some(list_id) = lists.get(k.list_index).copied() else { return String::new() };
    drag.card_target.set(card_target_at_index(list_id, k.card_id, k.index));
    if let Some(col) = util::query(&format!(".list-column[data-list-id=\"{list_id}\"]")) {
        col.scroll_into_view_with_bool(false);
    }
    format!("{}, position {}.", list_name(drag, list_id), k.index + 1)
}

fn list_name(drag: DragUi, list_id: Uuid) -> String {
    drag.store.list(list_id).map(|l| l.title.get_untracked()).unwrap_or_else(|| "the list".into())
}

/// A card that changed lists is a new element: give it the focus back once it is drawn.
pub fn refocus(card_id: Uuid) {
    request_animation_frame(move || {
        if let Some(el) = util::card_element(&card_id) {
            let _ = el.focus();
        }
    });
}
