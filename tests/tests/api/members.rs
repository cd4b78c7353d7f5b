//! Board members: list, add, change a role, remove, leave; and the owner's special place.

use corkboard_protocol::{ErrorCode, Member, MembersResponse, Role};
use corkboard_tests::{TestApp, TestUser, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

async fn members(app: &TestApp, user: &TestUser, board_id: Uuid) -> Vec<(String, Role)> {
    let (status, body) = app.call(Method::GET, &format!("/api/boards/{board_id}/members"), Some(user), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let members: MembersResponse = serde_json::from_value(body).unwrap();
    members.members.into_iter().map(|m| (m.user.username, m.role)).collect()
}

fn member_path(board_id: Uuid, user_id: Uuid) -> String {
    format!("/api/boards/{board_id}/members/{user_id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_adds_a_member_by_username_with_a_role() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let board = app.create_board(&ann, "Plans").await;

    let member: Member = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/api/boards/{}/members", board.id),
            &ann,
            json!({"username": "BOB", "role": "editor"}),
        )
        .await;

    assert_eq!((member.user.id, member.user.username.as_str(), member.role), (bob.id, "bob", Role::Editor));
    assert_eq!(members(&app, &bob, board.id).await, vec![("ann".into(), Role::Owner), ("bob".into(), Role::Editor)]);
    assert_eq!(app.snapshot(&bob, board.id).await.board.id, board.id, "the new member sees the board");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_manages_members() {
    let app = spawn_app().await;
    let (ann, adam, bob) = (app.register("ann").await, app.register("adam").await, app.register("bob").await);
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &adam, Role::Admin).await;

    app.add_member(&adam, board.id, &bob, Role::Viewer).await;
    let promoted: Member = app
        .expect(StatusCode::OK, Method::PATCH, &member_path(board.id, bob.id), &adam, json!({"role": "admin"}))
        .await;
    assert_eq!((promoted.user.id, promoted.role), (bob.id, Role::Admin));
    assert_eq!(members(&app, &ann, board.id).await[1..], [("adam".into(), Role::Admin), ("bob".into(), Role::Admin)]);

    let (status, body) = app.call(Method::DELETE, &member_path(board.id, bob.id), Some(&adam), None).await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(members(&app, &ann, board.id).await, vec![("ann".into(), Role::Owner), ("adam".into(), Role::Admin)]);
    assert_error(
        &app.call(Method::GET, &format!("/api/boards/{}", board.id), Some(&bob), None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::BoardNotFound,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_member_but_the_owner_may_leave() {
    let app = spawn_app().await;
    let (ann, vic) = (app.register("ann").await, app.register("vic").await);
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;

    let leave = app.call(Method::DELETE, &member_path(board.id, vic.id), Some(&vic), None).await;
    let owner_leaves = app.call(Method::DELETE, &member_path(board.id, ann.id), Some(&ann), None).await;

    assert_eq!(leave.0, StatusCode::NO_CONTENT, "{}", leave.1);
    assert_error(&owner_leaves, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_eq!(members(&app, &ann, board.id).await, vec![("ann".into(), Role::Owner)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_cannot_be_removed_or_demoted_and_no_one_becomes_owner() {
    let app = spawn_app().await;
    let (ann, adam) = (app.register("ann").await, app.register("adam").await);
    app.register("bob").await;
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &adam, Role::Admin).await;
    let before = app.board_state(&ann, board.id).await;

    let remove_owner = app.call(Method::DELETE, &member_path(board.id, ann.id), Some(&adam), None).await;
    let demote_owner =
        app.call(Method::PATCH, &member_path(board.id, ann.id), Some(&adam), Some(json!({"role": "viewer"}))).await;
    let make_owner =
        app.call(Method::PATCH, &member_path(board.id, adam.id), Some(&ann), Some(json!({"role": "owner"}))).await;
    let add_owner = app
        .call(
            Method::POST,
            &format!("/api/boards/{}/members", board.id),
            Some(&ann),
            Some(json!({"username": "bob", "role": "owner"})),
        )
        .await;

    assert_error(&remove_owner, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_error(&demote_owner, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_error(&make_owner, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert!(make_owner.1["error"]["fields"]["role"].is_string(), "{}", make_owner.1);
    assert_error(&add_owner, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed);
    assert_eq!(app.board_state(&ann, board.id).await, before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_cannot_manage_members() {
    let app = spawn_app().await;
    let (ann, edie, vic) = (app.register("ann").await, app.register("edie").await, app.register("vic").await);
    app.register("bob").await;
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &edie, Role::Editor).await;
    app.add_member(&ann, board.id, &vic, Role::Viewer).await;
    let before = app.board_state(&ann, board.id).await;

    let add = app
        .call(
            Method::POST,
            &format!("/api/boards/{}/members", board.id),
            Some(&edie),
            Some(json!({"username": "bob", "role": "viewer"})),
        )
        .await;
    let promote =
        app.call(Method::PATCH, &member_path(board.id, vic.id), Some(&edie), Some(json!({"role": "editor"}))).await;
    let promote_self =
        app.call(Method::PATCH, &member_path(board.id, edie.id), Some(&edie), Some(json!({"role": "admin"}))).await;
    let remove = app.call(Method::DELETE, &member_path(board.id, vic.id), Some(&edie), None).await;

    for got in [add, promote, promote_self, remove] {
        assert_error(&got, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    }
    assert_eq!(app.board_state(&ann, board.id).await, before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_someone_twice_is_already_member() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let board = app.create_board(&ann, "Plans").await;
    app.add_member(&ann, board.id, &bob, Role::Viewer).await;
    let path = format!("/api/boards/{}/members", board.id);

    let again = app.call(Method::POST, &path, Some(&ann), Some(json!({"username": "bob", "role": "admin"}))).await;
    let owner = app.call(Method::POST, &path, Some(&ann), Some(json!({"username": "ann", "role": "admin"}))).await;

    assert_error(&again, StatusCode::CONFLICT, ErrorCode::AlreadyMember);
    assert_error(&owner, StatusCode::CONFLICT, ErrorCode::AlreadyMember);
    assert_eq!(members(&app, &ann, board.id).await, vec![("ann".into(), Role::Owner), ("bob".into(), Role::Viewer)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_an_unknown_username_is_user_not_found() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let board = app.create_board(&ann, "Plans").await;
    let path = format!("/api/boards/{}/members", board.id);

    let unknown =
        app.call(Method::POST, &path, Some(&ann), Some(json!({"username": "nobody", "role": "viewer"}))).await;
    let invalid =
        app.call(Method::POST, &path, Some(&ann), Some(json!({"username": "no body!", "role": "viewer"}))).await;

    assert_error(&unknown, StatusCode::NOT_FOUND, ErrorCode::UserNotFound);
    assert_error(&invalid, StatusCode::NOT_FOUND, ErrorCode::UserNotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_typed_as_the_member_list_shows_it_with_an_at_sign_is_accepted() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let board = app.create_board(&ann, "Plans").await;
    let path = format!("/api/boards/{}/members", board.id);

    let twice = app.call(Method::POST, &path, Some(&ann), Some(json!({"username": "@@bob", "role": "viewer"}))).await;
    let member: Member = app
        .expect(StatusCode::CREATED, Method::POST, &path, &ann, json!({"username": " @Bob ", "role": "viewer"}))
        .await;

    assert_error(&twice, StatusCode::NOT_FOUND, ErrorCode::UserNotFound);
    assert_eq!((member.user.id, member.role), (bob.id, Role::Viewer));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_or_removing_someone_who_is_not_a_member_is_member_not_found() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let board = app.create_board(&ann, "Plans").await;

    for user_id in [bob.id, Uuid::new_v4()] {
        let path = member_path(board.id, user_id);
        let patch = app.call(Method::PATCH, &path, Some(&ann), Some(json!({"role": "viewer"}))).await;
        let delete = app.call(Method::DELETE, &path, Some(&ann), None).await;
        assert_error(&patch, StatusCode::NOT_FOUND, ErrorCode::MemberNotFound);
        assert_error(&delete, StatusCode::NOT_FOUND, ErrorCode::MemberNotFound);
    }
    assert!(app.event_log(board.id).await.is_empty());
}
