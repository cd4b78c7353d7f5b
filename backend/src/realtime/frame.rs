//! Frame encoding: every server frame as JSON text, and each committed event encoded once, for the WebSocket and
//! for SSE, as the bytes every subscriber of the board shares.

use std::collections::BTreeSet;

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use corkboard_protocol::{ErrorCode, Event, EventKind, PRESENCE_NAMES, PresenceUser, ServerMsg};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// One committed event ready to send: serialized once, shared by every subscriber of the board.
#[derive(Debug)]
pub struct Pushed {
    pub seq: i64,
    /// The WebSocket frame: `{"type":"event", ...event}`.
    pub ws: Utf8Bytes,
    /// The SSE message: `id: <seq>`, `event: event`, `data: <event>`.
    pub sse: Bytes,
    /// Whom the event takes off the board once it has been sent.
    pub closes: Option<Closes>,
    /// When this instance read the event from the log: the start of the fan-out latency metric.
    pub read_at: std::time::Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closes {
    /// `board_deleted`: every subscriber, with `close_code::BOARD_DELETED`.
    Everyone,
    /// `member_removed`: that user's subscribers, with `close_code::MEMBERSHIP_REVOKED`.
    User(Uuid),
}

impl Pushed {
    pub fn new(event: &Event) -> AppResult<Self> {
        let json = serde_json::to_string(event).map_err(AppError::internal)?;
        // The event is an object; the frame is the same object with the `type` tag first, exactly what serde
        // writes for `ServerMsg::Event` (a unit test holds this), without serializing twice.
        let fields = json.strip_prefix('{').ok_or_else(|| AppError::internal("event is not an object"))?;
        let ws = if fields.starts_with('}') {
            String::from(r#"{"type":"event"}"#)
        } else {
            format!(r#"{{"type":"event",{fields}"#)
        };
        let sse = Bytes::from(format!("id: {}\nevent: event\ndata: {json}\n\n", event.seq));
        let closes = match &event.kind {
            EventKind::BoardDeleted {} => Some(Closes::Everyone),
            EventKind::MemberRemoved { user_id } => Some(Closes::User(*user_id)),
            _ => None,
        };
        Ok(Self { seq: event.seq, ws: ws.into(), sse, closes, read_at: std::time::Instant::now() })
    }
}

/// A server frame as JSON text.
pub fn frame(msg: &ServerMsg) -> Utf8Bytes {
    // Our own wire types always serialize; an error here would be a bug in the protocol crate.
    serde_json::to_string(msg)
        .unwrap_or_else(|err| {
            tracing::error!(%err, "server frame does not serialize");
            let code = ErrorCode::InternalError.as_str();
            format!(r#"{{"type":"error","code":"{code}","message":"Something went wrong on our side."}}"#)
        })
        .into()
}

/// The `presence` frame of a board: how many people watch it, and the first `PRESENCE_NAMES` of them by display
/// name. Its size does not grow with the crowd: building it costs the same for 2 watchers or 10,000.
pub(super) fn presence_frame(by_name: &BTreeSet<(String, Uuid)>) -> Utf8Bytes {
    let users = by_name
        .iter()
        .take(PRESENCE_NAMES)
        .map(|(display_name, id)| PresenceUser { id: *id, display_name: display_name.clone() })
        .collect();
    frame(&ServerMsg::Presence { users, count: by_name.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn event(kind: EventKind) -> Event {
        Event {
            seq: 7,
            at: OffsetDateTime::UNIX_EPOCH,
            actor_id: Some(Uuid::nil()),
            client_op_id: Some("op".into()),
            kind,
        }
    }

    #[test]
    fn the_shared_frame_is_exactly_what_serde_writes_for_an_event_frame() {
        for kind in [
            EventKind::BoardDeleted {},
            EventKind::ListDeleted { list_id: Uuid::now_v7() },
            EventKind::MemberRemoved { user_id: Uuid::now_v7() },
        ] {
            let event = event(kind);
            let pushed = Pushed::new(&event).expect("serializes");
            let expected = serde_json::to_string(&ServerMsg::Event(event.clone())).expect("serializes");
            assert_eq!(pushed.ws.as_str(), expected);
            let back: ServerMsg = serde_json::from_str(pushed.ws.as_str()).expect("parses");
            assert_eq!(back, ServerMsg::Event(event.clone()));
            let sse = std::str::from_utf8(&pushed.sse).expect("utf-8");
            assert!(sse.starts_with("id: 7\nevent: event\ndata: {"), "{sse}");
            assert!(sse.ends_with("}\n\n"), "{sse}");
        }
    }

    #[test]
    fn deletion_and_removal_events_say_whom_they_close() {
        let user = Uuid::now_v7();
        assert_eq!(Pushed::new(&event(EventKind::BoardDeleted {})).unwrap().closes, Some(Closes::Everyone));
        assert_eq!(
            Pushed::new(&event(EventKind::MemberRemoved { user_id: user })).unwrap().closes,
            Some(Closes::User(user))
        );
        assert_eq!(Pushed::new(&event(EventKind::ListDeleted { list_id: user })).unwrap().closes, None);
    }

    #[test]
    fn a_presence_frame_names_the_first_few_and_counts_everyone() {
        let crowd: BTreeSet<(String, Uuid)> = (0..1000).map(|n| (format!("user {n:04}"), Uuid::now_v7())).collect();
        let text = presence_frame(&crowd);
        assert!(text.len() < 2 * 1024, "{} bytes", text.len());
        match serde_json::from_str(text.as_str()).expect("parses") {
            ServerMsg::Presence { users, count } => {
                assert_eq!(count, 1000);
                let names: Vec<_> = users.iter().map(|u| u.display_name.as_str()).collect();
                assert_eq!(names.len(), PRESENCE_NAMES);
                assert_eq!(names[0], "user 0000");
                assert_eq!(names[PRESENCE_NAMES - 1], format!("user {:04}", PRESENCE_NAMES - 1));
            }
            other => panic!("not presence: {other:?}"),
        }
    }
}
