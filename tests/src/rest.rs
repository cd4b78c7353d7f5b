//! More of `TestApp`'s REST helpers, for the auth, limits, ordering and event-log tests: cookie-only and raw
//! requests, creates at an explicit place, and the board's stored events and state.

use corkboard_protocol::{Card, Event, EventKind, List, Snapshot};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{TestApp, TestUser, read};

impl TestApp {
    /// A request authenticated by the session cookie alone (as a browser sends it), with an optional `Origin`.
    pub async fn call_with_cookie(
        &self,
        method: Method,
        path: &str,
        token: &str,
        origin: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .request(method, path, None, body.as_ref())
            .header(reqwest::header::COOKIE, format!("theme=dark; {}={token}", corkboard_server::auth::SESSION_COOKIE));
        if let Some(origin) = origin {
            req = req.header(reqwest::header::ORIGIN, origin);
        }
        read(req.send().await.expect("request sent")).await
    }

    /// A request as `user` with a raw body and the given content type (none when `None`).
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        user: &TestUser,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let mut req = self.request(method, path, Some(&user.token), None).body(body);
        if let Some(content_type) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        read(req.send().await.expect("request sent")).await
    }

    /// Creates a list with an explicit `after_id` (`None` sends `null`: first).
    pub async fn create_list_after(
        &self,
        user: &TestUser,
        board_id: Uuid,
        title: &str,
        after_id: Option<Uuid>,
    ) -> List {
        let path = format!("/api/boards/{board_id}/lists");
        self.expect(StatusCode::CREATED, Method::POST, &path, user, json!({"title": title, "after_id": after_id})).await
    }

    /// Creates a card with an explicit `after_id` (`None` sends `null`: first).
    pub async fn create_card_after(&self, user: &TestUser, list_id: Uuid, title: &str, after_id: Option<Uuid>) -> Card {
        let path = format!("/api/lists/{list_id}/cards");
        self.expect(StatusCode::CREATED, Method::POST, &path, user, json!({"title": title, "after_id": after_id})).await
    }

    /// Every event of a board as stored, parsed into the wire type, oldest first.
    pub async fn events(&self, board_id: Uuid) -> Vec<Event> {
        type Row = (i64, String, Value, Option<Uuid>, Option<String>, time::OffsetDateTime);
        let rows: Vec<Row> = sqlx::query_as(
            "select seq, kind, data, actor_id, client_op_id, at from events where board_id = $1 order by seq",
        )
        .bind(board_id)
        .fetch_all(&self.db)
        .await
        .expect("read events");
        rows.into_iter()
            .map(|(seq, kind, data, actor_id, client_op_id, at)| Event {
                seq,
                at,
                actor_id,
                client_op_id,
                kind: EventKind::from_parts(&kind, data)
                    .unwrap_or_else(|e| panic!("event {seq} ({kind}) does not parse: {e}")),
            })
            .collect()
    }

    /// What "nothing changed" compares: the board as `user` sees it, and its event log.
    pub async fn board_state(&self, user: &TestUser, board_id: Uuid) -> (Snapshot, Vec<(i64, String)>) {
        (self.snapshot(user, board_id).await, self.event_log(board_id).await)
    }
}
