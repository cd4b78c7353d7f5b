use super::*;
use serde_json::json;

fn card() -> Card {
    Card {
        id: Uuid::nil(),
        board_id: Uuid::nil(),
        list_id: Uuid::nil(),
        title: "t".into(),
        description: String::new(),
        position: "a0".into(),
        version: 1,
        created_at: OffsetDateTime::UNIX_EPOCH,
        updated_at: OffsetDateTime::UNIX_EPOCH,
        start_at: None,
        due_at: None,
        completed: false,
        archived_at: None,
        label_ids: vec![],
        member_ids: vec![],
        checklist: ChecklistCounts::default(),
        comment_count: 0,
    }
}

#[test]
fn event_frames_are_flat_with_type_kind_and_data() {
    let event = Event {
        seq: 7,
        at: OffsetDateTime::UNIX_EPOCH,
        actor_id: Some(Uuid::nil()),
        client_op_id: Some("op-1".into()),
        kind: EventKind::CardDeleted { card_id: Uuid::nil(), list_id: Uuid::nil() },
    };
    let frame = serde_json::to_value(ServerMsg::Event(event.clone())).unwrap();
    assert_eq!(
        frame,
        json!({
            "type": "event", "seq": 7, "at": "1970-01-01T00:00:00Z",
            "actor_id": Uuid::nil(), "client_op_id": "op-1", "kind": "card_deleted",
            "data": {"card_id": Uuid::nil(), "list_id": Uuid::nil()}
        })
    );
    assert_eq!(serde_json::from_value::<ServerMsg>(frame).unwrap(), ServerMsg::Event(event));
}

#[test]
fn event_kind_round_trips_through_log_columns() {
    let kind = EventKind::CardCreated { card: card() };
    let rebuilt = EventKind::from_parts(kind.name(), kind.data()).unwrap();
    assert_eq!(rebuilt, kind);
    let empty = EventKind::BoardDeleted {};
    assert_eq!(empty.data(), json!({}));
    assert_eq!(EventKind::from_parts("board_deleted", json!({})).unwrap(), empty);
}

#[test]
fn after_id_absent_null_and_id_mean_end_first_and_after() {
    let absent: CreateCardRequest = serde_json::from_value(json!({"title": "x"})).unwrap();
    assert_eq!(absent.after_id, Placement::End);
    let null: CreateCardRequest = serde_json::from_value(json!({"title": "x", "after_id": null})).unwrap();
    assert_eq!(null.after_id, Placement::First);
    let id = Uuid::from_u128(5);
    let after: CreateListRequest = serde_json::from_value(json!({"title": "x", "after_id": id})).unwrap();
    assert_eq!(after.after_id, Placement::After(id));
    // And back: End omits the field, First sends null.
    let first = CreateListRequest { title: "x".into(), after_id: Placement::First, client_op_id: None };
    assert_eq!(serde_json::to_value(first).unwrap(), json!({"title": "x", "after_id": null}));
    let end = CreateListRequest { title: "x".into(), after_id: Placement::End, client_op_id: None };
    assert_eq!(serde_json::to_value(end).unwrap(), json!({"title": "x"}));
}

#[test]
fn a_move_names_its_place_by_position_or_after_id_and_old_bodies_keep_their_meaning() {
    let (list_id, a, b) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    let target = |body: serde_json::Value| serde_json::from_value::<MoveCardRequest>(body).unwrap().target();
    // The bodies of older clients.
    assert_eq!(target(json!({"list_id": list_id, "after_id": null})), Ok(MoveTarget::First));
    assert_eq!(
        target(json!({"list_id": list_id, "after_id": a})),
        Ok(MoveTarget::After { after_id: a, before_id: None })
    );
    // The intents.
    assert_eq!(target(json!({"list_id": list_id, "position": "first"})), Ok(MoveTarget::First));
    assert_eq!(target(json!({"list_id": list_id, "position": "end"})), Ok(MoveTarget::End));
    assert_eq!(
        target(json!({"list_id": list_id, "after_id": a, "before_id": b})),
        Ok(MoveTarget::After { after_id: a, before_id: Some(b) })
    );
    // Combinations that name no place.
    assert_eq!(target(json!({"list_id": list_id})).unwrap_err().0, "after_id");
    assert_eq!(target(json!({"list_id": list_id, "before_id": b})).unwrap_err().0, "after_id");
    assert_eq!(target(json!({"list_id": list_id, "position": "end", "after_id": null})).unwrap_err().0, "position");
    assert_eq!(target(json!({"list_id": list_id, "position": "first", "before_id": b})).unwrap_err().0, "position");
    assert!(serde_json::from_value::<MoveCardRequest>(json!({"list_id": list_id, "position": "middle"})).is_err());
    assert!(serde_json::from_value::<MoveListRequest>(json!({})).is_err());

    // Every place goes out and comes back the same, on REST and on the socket.
    for place in [MoveTarget::First, MoveTarget::End, MoveTarget::After { after_id: a, before_id: Some(b) }] {
        let body = serde_json::to_value(MoveCardRequest::new(list_id, place, None)).unwrap();
        assert_eq!(target(body), Ok(place));
        let frame = serde_json::to_value(ClientMsg::move_card("op".into(), a, list_id, place)).unwrap();
        assert_eq!(
            serde_json::from_value::<ClientMsg>(frame).unwrap(),
            ClientMsg::move_card("op".into(), a, list_id, place)
        );
    }
    let end = serde_json::to_value(ClientMsg::move_card("op".into(), a, list_id, MoveTarget::End)).unwrap();
    assert_eq!(
        end,
        json!({"type": "move_card", "client_op_id": "op", "card_id": a, "list_id": list_id, "position": "end"})
    );
    let old: ClientMsg = serde_json::from_value(
        json!({"type": "move_card", "client_op_id": "a", "card_id": a, "list_id": list_id, "after_id": null}),
    )
    .unwrap();
    assert!(matches!(old, ClientMsg::MoveCard { after_id: Some(None), before_id: None, position: None, .. }));
    assert!(serde_json::from_value::<ClientMsg>(json!({"type": "move_card", "client_op_id": "a"})).is_err());
}

#[test]
fn roles_order_by_strength() {
    assert!(Role::Owner > Role::Admin && Role::Admin > Role::Editor && Role::Editor > Role::Viewer);
    assert!(Role::Editor.can_edit() && !Role::Viewer.can_edit());
    assert!(Role::Admin.can_admin() && !Role::Editor.can_admin());
    assert_eq!(serde_json::to_value(Role::Admin).unwrap(), json!("admin"));
}

#[test]
fn simple_frames_have_only_a_type() {
    assert_eq!(serde_json::to_value(ServerMsg::Reset).unwrap(), json!({"type": "reset"}));
    assert_eq!(serde_json::to_value(ServerMsg::Pong).unwrap(), json!({"type": "pong"}));
    assert_eq!(serde_json::from_value::<ClientMsg>(json!({"type": "ping"})).unwrap(), ClientMsg::Ping);
}

#[test]
fn validation_normalises_and_explains() {
    assert_eq!(validate_title("  Doing ").unwrap(), "Doing");
    assert!(validate_title("   ").is_err());
    assert!(validate_title(&"x".repeat(513)).is_err());
    assert!(validate_title(&"é".repeat(512)).is_ok());
    assert_eq!(validate_username("Ann_1").unwrap(), "ann_1");
    assert!(validate_username("an").is_err());
    assert!(validate_username("ann smith").is_err());
    assert!(validate_password("1234567").is_err());
    assert!(validate_password("12345678").is_ok());
    assert!(validate_client_op_id("0b7f-4c").is_ok());
    assert!(validate_client_op_id("").is_err());
    assert!(validate_description(&"x".repeat(DESCRIPTION_MAX_BYTES + 1)).is_err());
}

#[test]
fn every_error_code_is_spelled_on_the_wire_as_as_str_says() {
    for &code in ErrorCode::ALL {
        assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        assert_eq!(serde_json::from_value::<ErrorCode>(json!(code.as_str())).unwrap(), code);
    }
}

#[test]
fn an_error_code_from_a_newer_server_reads_as_unknown() {
    let frame: ServerMsg =
        serde_json::from_value(json!({"type": "error", "code": "quota_exceeded", "message": "Later."})).unwrap();
    assert_eq!(frame, ServerMsg::Error { client_op_id: None, code: ErrorCode::Unknown, message: "Later.".into() });
}

#[test]
fn a_date_to_change_is_sent_as_rfc3339_and_null_clears_it() {
    let at = time::macros::datetime!(2027-03-01 09:05:07.25 +02:00);
    let req = UpdateCardRequest { due_at: Some(Some(at)), start_at: Some(None), ..Default::default() };
    let wire = serde_json::to_value(&req).unwrap();
    assert_eq!(wire["due_at"], json!("2027-03-01T09:05:07.25+02:00"));
    assert_eq!(wire["start_at"], json!(null));
    let back: UpdateCardRequest = serde_json::from_value(wire).unwrap();
    assert_eq!(back.due_at, Some(Some(at)));
    assert_eq!(back.start_at, Some(None));
    assert!(serde_json::to_value(UpdateCardRequest::default()).unwrap().get("due_at").is_none());
}
