//! The members panel: who is on the board with which role; admins invite by username, change roles and
//! remove people. Every change goes through REST and comes back to everyone as a member event.

use corkboard_protocol::{ErrorCode, Member, Role, validate_username};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::store::BoardStore;
use crate::api;
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

#[component]
pub fn MembersPanel(on_close: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let toasts = expect_context::<Toasts>();
    let nav = expect_context::<Nav>();
    let can_admin = move || store.my_role.get().is_some_and(Role::can_admin);
    let is_owner = move || store.my_role.get() == Some(Role::Owner);
    let username = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Editor);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let invite = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = match validate_username(&username.get_untracked()) {
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
                Err(e) if e.is(ErrorCode::UserNotFound) => {
                    error.set(Some(format!("No user named \"{name}\". {}", e.message)))
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let delete_board = move |_| {
        let q = format!("Delete the board \"{}\" for everyone? This cannot be undone.", store.title.get_untracked());
        if !window().confirm_with_message(&q).unwrap_or(false) {
            return;
        }
        spawn_local(async move {
            match api::delete_board(store.board_id).await {
                Ok(()) => {
                    toasts.success("Board deleted.");
                    nav.go(Route::Boards);
                }
                Err(e) => store.report(e, "Could not delete the board"),
            }
        });
    };

    view! {
        <aside class="side-panel" aria-label="Members" data-testid="members-panel">
            <div class="side-panel-head">
                <h2>"Members"</h2>
                <button class="icon-btn" aria-label="Close members" on:click=move |_| on_close()>"×"</button>
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
                                data-testid="invite-username"
                                on:input=move |ev| { username.set(event_target_value(&ev)); error.set(None); }/>
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
                <button class="btn btn-ghost btn-danger-text btn-sm" on:click=delete_board>"Delete this board"</button>
            </Show>
        </aside>
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
    let name = member.user.display_name.clone();
    let remove = move |_| {
        if !window().confirm_with_message(&format!("Remove {name} from this board?")).unwrap_or(false) {
            return;
        }
        spawn_local(async move {
            match api::remove_member(store.board_id, user_id).await {
                Ok(()) => store.drop_member(user_id),
                Err(e) => store.report(e, "Could not remove the member"),
            }
        });
    };
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
                let remove = remove.clone();
                view! {
                    <select aria-label="Role" on:change=change_role>
                        {ASSIGNABLE.iter().map(|r| view! { <option value=r.as_str() selected=*r == role>{r.as_str()}</option> }).collect_view()}
                    </select>
                    <button class="icon-btn" aria-label="Remove from board" title="Remove from board" on:click=remove>"×"</button>
                }.into_any()
            } else {
                view! { <span class="role-badge">{role.as_str()}</span> }.into_any()
            }}
        </li>
    }
}
