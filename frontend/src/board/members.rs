//! The members panel: who is on the board with which role; admins invite by username, change roles and
//! remove people. Every change goes through REST and comes back to everyone as a member event. The panel is
//! modal: it holds the keyboard until Escape, ×, or a click beside it closes it.

use corkboard_protocol::{ErrorCode, Member, Role, validate_username};
use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::store::BoardStore;
use crate::api;
use crate::dialog::{ConfirmDialog, trap_focus};
use crate::route::{Nav, Route};
use crate::toast::Toasts;
use crate::util;

const ASSIGNABLE: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

fn parse_role(s: &str) -> Role {
    match s {
        "admin" => Role::Admin,
        "editor" => Role::Editor,
        _ => Role::Viewer,
    }
}

/// How the member list shows a username (`@bob`) is also accepted when typed: one leading `@` is dropped.
fn typed_username(raw: &str) -> &str {
    let raw = raw.trim();
    raw.strip_prefix('@').unwrap_or(raw)
}

#[component]
pub fn MembersPanel(on_close: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let on_close = Callback::new(move |()| on_close());
    let node = NodeRef::<Div>::new();
    trap_focus(node, move || on_close.run(()), Some("[data-testid=members-button]".into()));
    let store = expect_context::<BoardStore>();
    let toasts = expect_context::<Toasts>();
    let nav = expect_context::<Nav>();
    let can_admin = move || store.my_role.get().is_some_and(Role::can_admin);
    let is_owner = move || store.my_role.get() == Some(Role::Owner);
    let username = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Editor);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let suggestions = suggest_people(username, store);

    let invite = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = match validate_username(typed_username(&username.get_untracked())) {
            Ok(n) => n,
            Err(e) => {
                error.set(Some(format!("Username {e}")));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::add_member(store.board_id, name.clone(), role.get_untracked()).await {
                Ok(member) => {
                    store.put_member(member);
                    username.set(String::new());
                    toasts.success(format!("{name} can now open this board."));
                }
                Err(e) if e.is(ErrorCode::UserNotFound) => error
                    .set(Some(format!("No user named “{name}”. Check the spelling, or ask them to sign up first."))),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let confirm_delete = RwSignal::new(false);
    let delete_question = Signal::derive(move || format!("Delete the board “{}” for everyone?", store.title.get()));
    let delete_board = Callback::new(move |()| {
        spawn_local(async move {
            match api::delete_board(store.board_id).await {
                Ok(()) => {
                    toasts.success("Board deleted.");
                    nav.go(Route::Boards);
                }
                Err(e) => store.report(e, "Could not delete the board"),
            }
        });
    });

    view! {
        // A click, not a press: the release must not land on whatever is under the backdrop once it is gone.
        <div class="side-panel-backdrop" aria-hidden="true" on:click=move |_| on_close.run(())></div>
        <div class="side-panel" role="dialog" aria-modal="true" aria-labelledby="members-heading" tabindex="-1"
            data-testid="members-panel" node_ref=node>
            <div class="side-panel-head">
                <h2 id="members-heading">"Members"</h2>
                <button class="icon-btn" aria-label="Close members" on:click=move |_| on_close.run(())>"×"</button>
            </div>
            <ul class="member-list">
                <For each=move || store.members.get() key=|m| (m.user.id, m.role) let:member>
                    <MemberRow member=member/>
                </For>
            </ul>
            {move || if can_admin() {
                view! {
                    <form class="invite" on:submit=invite>
                        <h3>"Invite someone"</h3>
                        <div class="row">
                            <input placeholder="username" aria-label="Username to invite" autocapitalize="none" prop:value=username
                                data-testid="invite-username" data-autofocus list="invite-suggestions" autocomplete="off"
                                on:input=move |ev| { username.set(event_target_value(&ev)); error.set(None); }/>
                            <datalist id="invite-suggestions" data-testid="invite-suggestions">
                                {move || suggestions.get().into_iter().map(|(username, display_name)| {
                                    view! { <option value=username>{display_name}</option> }
                                }).collect_view()}
                            </datalist>
                            <select aria-label="Role" data-testid="invite-role" on:change=move |ev| role.set(parse_role(&event_target_value(&ev)))>
                                {ASSIGNABLE.iter().map(|r| view! { <option value=r.as_str() selected=*r == Role::Editor>{r.as_str()}</option> }).collect_view()}
                            </select>
                        </div>
                        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                        <button class="btn btn-primary btn-sm" type="submit" disabled=busy>"Invite"</button>
                    </form>
                }.into_any()
            } else {
                view! { <p class="muted small">"Only the board's owner and admins can invite people or change roles."</p> }.into_any()
            }}
            <dl class="role-help small muted">
                <dt>"Admin"</dt><dd>"manages members and the board"</dd>
                <dt>"Editor"</dt><dd>"adds, edits and moves lists and cards"</dd>
                <dt>"Viewer"</dt><dd>"sees everything live, changes nothing"</dd>
            </dl>
            <Show when=is_owner>
                <button class="btn btn-ghost btn-danger-text btn-sm" on:click=move |_| confirm_delete.set(true)>"Delete this board"</button>
            </Show>
            <ConfirmDialog open=confirm_delete question=delete_question
                detail="Its lists and cards are deleted for every member. This cannot be undone." action="Delete board"
                on_confirm=delete_board/>
        </div>
    }
}

#[component]
fn MemberRow(member: Member) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let user_id: Uuid = member.user.id;
    let me = store.me() == Some(user_id);
    let editable = move || store.my_role.get().is_some_and(Role::can_admin) && member.role != Role::Owner && !me;
    let change_role = move |ev: leptos::ev::Event| {
        let new_role = parse_role(&event_target_value(&ev));
        spawn_local(async move {
            match api::update_member(store.board_id, user_id, new_role).await {
                Ok(member) => store.put_member(member),
                Err(e) => store.report(e, "Could not change the role"),
            }
        });
    };
    let confirm_remove = RwSignal::new(false);
    let remove_question = Signal::stored(format!("Remove {} from this board?", member.user.display_name));
    let remove = Callback::new(move |()| {
        spawn_local(async move {
            match api::remove_member(store.board_id, user_id).await {
                Ok(()) => store.drop_member(user_id),
                Err(e) => store.report(e, "Could not remove the member"),
            }
        });
    });
    let role = member.role;
    view! {
        <li class="member" data-testid="member">
            <span class="avatar" style=format!("--hue:{}", util::hue_for(&user_id)) aria-hidden="true">
                {util::initials(&member.user.display_name)}
            </span>
            <span class="member-name">
                <span>{member.user.display_name.clone()}{me.then_some(" (you)")}</span>
                <small class="muted">"@"{member.user.username.clone()}</small>
            </span>
            {move || if editable() {
                view! {
                    <select aria-label="Role" on:change=change_role>
                        {ASSIGNABLE.iter().map(|r| view! { <option value=r.as_str() selected=*r == role>{r.as_str()}</option> }).collect_view()}
                    </select>
                    <button class="icon-btn" aria-label="Remove from board" title="Remove from board"
                        on:click=move |_| confirm_remove.set(true)>"×"</button>
                }.into_any()
            } else {
                view! { <span class="role-badge">{role.as_str()}</span> }.into_any()
            }}
            <ConfirmDialog open=confirm_remove question=remove_question
                detail="They can no longer open it; an admin can invite them again." action="Remove" on_confirm=remove/>
        </li>
    }
}

/// The people whose username or display name starts with what is typed in `typed`, as (username, display name),
/// leaving out who is on the board already. Only the answer to the newest text is kept, so a slow answer to an
/// older one never replaces it.
fn suggest_people(typed: RwSignal<String>, store: BoardStore) -> RwSignal<Vec<(String, String)>> {
    let suggestions = RwSignal::new(Vec::new());
    let asked = StoredValue::new(String::new());
    Effect::new(move |_| {
        let text = typed_username(&typed.get()).to_owned();
        asked.set_value(text.clone());
        if text.is_empty() {
            suggestions.set(Vec::new());
            return;
        }
        spawn_local(async move {
            let Ok(found) = api::find_users(&text).await else { return };
            if asked.get_value() != text {
                return;
            }
            let members = store.members.get_untracked();
            let people = found
                .users
                .into_iter()
                .filter(|u| !members.iter().any(|m| m.user.id == u.id))
                .map(|u| (u.username, u.display_name))
                .collect();
            suggestions.set(people);
        });
    });
    suggestions
}
