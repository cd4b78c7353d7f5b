//! Corkboard behind nginx, configured exactly as docs/OPERATIONS.md says (docs/nginx.conf.example), with TLS:
//! login, a WebSocket move that reaches a second socket, and a server-sent event stream that is live and resumes
//! from `Last-Event-ID` — every request through the proxy, none to the server directly.
//!
//! `scripts/proxy-test` starts nginx and a real server on loopback, exports
//!   CORKBOARD_PROXY_URL       https://localhost:<port>, the proxied Corkboard
//!   CORKBOARD_PROXY_CA        PEM file of the CA that signed the proxy's certificate
//!   CORKBOARD_PROXY_UPSTREAM  http://127.0.0.1:<port>, the same server without the proxy
//! and runs these tests with `--ignored` (plain `cargo test` has no proxy to talk to).

use std::sync::Arc;
use std::time::Duration;

use corkboard_protocol::{
    AuthResponse, Board, Card, ClientMsg, Event, EventKind, List, MeResponse, Member, MoveCardResponse, MoveTarget,
    Role, ServerMsg, Snapshot,
};
use corkboard_tests::PASSWORD;
use corkboard_tests::ws::{SseMessage, SseReader};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode, Url};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use uuid::Uuid;

/// How long a test waits for something that should come (a response, a frame, an event).
const WAIT: Duration = Duration::from_secs(10);

fn env(name: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!(
            "{name} is not set: these tests run through nginx; start them with scripts/proxy-test, which sets \
             CORKBOARD_PROXY_URL, CORKBOARD_PROXY_CA and CORKBOARD_PROXY_UPSTREAM"
        )
    })
}

/// Awaits `future` for at most `WAIT`, panicking with what was awaited.
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future).await.unwrap_or_else(|_| panic!("{what}: nothing within {WAIT:?}"))
}

/// The proxied Corkboard, spoken to only over TLS through nginx.
struct Proxy {
    /// `https://localhost:<port>`, also the server's public URL.
    base: Url,
    http: reqwest::Client,
    tls: TlsConnector,
}

/// A user who registered and then logged in through the proxy, with the login's token.
#[derive(Debug, Clone)]
struct ProxyUser {
    id: Uuid,
    username: String,
    token: String,
}

/// A board shared by two users: `alice` owns it, `bob` is an editor; `card` sits in `lists[0]`.
struct Fixture {
    proxy: Proxy,
    alice: ProxyUser,
    bob: ProxyUser,
    board: Board,
    lists: [List; 2],
    card: Card,
}

impl Proxy {
    fn from_env() -> Self {
        let url = env("CORKBOARD_PROXY_URL");
        let ca_path = env("CORKBOARD_PROXY_CA");
        let upstream = env("CORKBOARD_PROXY_UPSTREAM");
        let base = Url::parse(&url).unwrap_or_else(|e| panic!("CORKBOARD_PROXY_URL={url} is not a URL: {e}"));
        assert_eq!(base.scheme(), "https", "CORKBOARD_PROXY_URL={url} should be the https proxy");
        let upstream = Url::parse(&upstream).unwrap_or_else(|e| panic!("CORKBOARD_PROXY_UPSTREAM={upstream}: {e}"));
        assert_ne!(
            base.origin(),
            upstream.origin(),
            "CORKBOARD_PROXY_URL must be nginx, not the server itself (CORKBOARD_PROXY_UPSTREAM)"
        );

        let pem = std::fs::read(&ca_path).unwrap_or_else(|e| panic!("CORKBOARD_PROXY_CA={ca_path}: {e}"));
        let http = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(&pem).expect("CORKBOARD_PROXY_CA holds a PEM certificate"),
            )
            .https_only(true)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an https client");

        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.expect("a PEM certificate in CORKBOARD_PROXY_CA")).expect("the CA is a usable root");
        }
        assert!(!roots.is_empty(), "CORKBOARD_PROXY_CA={ca_path} holds no certificate");
        let mut config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
        // A WebSocket is an HTTP/1.1 upgrade; browsers, too, open it on an HTTP/1.1 connection even when the
        // proxy speaks HTTP/2 (as this one does).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Self { base, http, tls: TlsConnector::from(Arc::new(config)) }
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a path on the proxy")
    }

    /// The public origin, as a browser on the public URL sends it.
    fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }

    /// Sends a JSON request (bearer token optional) and returns the status and the parsed body.
    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = within(&format!("{method} {path} through the proxy"), request.send())
            .await
            .unwrap_or_else(|e| panic!("{method} {path} through the proxy: {e}"));
        assert_via_nginx(response.headers(), &format!("{method} {path}"));
        let (status, body) = corkboard_tests::read(response).await;
        assert_ne!(status, StatusCode::BAD_GATEWAY, "{method} {path}: nginx could not reach the server: {body}");
        (status, body)
    }

    /// Sends and expects `status`, parsing the body as `T`.
    async fn expect<T: DeserializeOwned>(
        &self,
        status: StatusCode,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: impl Serialize,
    ) -> T {
        let body = serde_json::to_value(body).expect("a serialisable body");
        let (got, value) = self.call(method.clone(), path, token, Some(body)).await;
        assert_eq!(got, status, "{method} {path} through the proxy: {value}");
        serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("{method} {path} through the proxy: unexpected body {value}: {e}"))
    }

    /// Registers a fresh user, then logs in as them: the returned token is the login's.
    async fn register_and_login(&self, name: &str) -> ProxyUser {
        let username = format!("{name}_{}", &Uuid::new_v4().simple().to_string()[..12]);
        let credentials = json!({"username": username, "password": PASSWORD});
        let registered: AuthResponse =
            self.expect(StatusCode::CREATED, Method::POST, "/api/auth/register", None, &credentials).await;
        assert_eq!(registered.user.username, username);

        let login: AuthResponse =
            self.expect(StatusCode::OK, Method::POST, "/api/auth/login", None, &credentials).await;
        assert_eq!(login.user.id, registered.user.id, "login finds the user who registered");
        assert_ne!(login.token, registered.token, "a login is a session of its own");

        let (status, body) = self.call(Method::GET, "/api/auth/me", Some(&login.token), None).await;
        assert_eq!(status, StatusCode::OK, "GET /api/auth/me with the login's bearer token: {body}");
        let me: MeResponse = serde_json::from_value(body).expect("a me response");
        assert_eq!(me.user.id, login.user.id);
        ProxyUser { id: login.user.id, username, token: login.token }
    }

    async fn move_card(&self, user: &ProxyUser, card_id: Uuid, list_id: Uuid, client_op_id: &str) -> MoveCardResponse {
        let path = format!("/api/cards/{card_id}/move");
        let body = json!({"list_id": list_id, "after_id": null, "client_op_id": client_op_id});
        self.expect(StatusCode::OK, Method::POST, &path, Some(&user.token), body).await
    }

    /// Opens a board's WebSocket through the proxy (TLS, then the HTTP/1.1 upgrade with a bearer token) and reads
    /// its `hello`.
    async fn ws(&self, user: &ProxyUser, board_id: Uuid, origin: Option<&str>) -> ProxySocket {
        let host = self.base.host_str().expect("the proxy URL has a host").to_owned();
        let port = self.base.port_or_known_default().expect("the proxy URL has a port");
        let path = format!("/api/boards/{board_id}/ws");
        let tcp = within("TCP connect to the proxy", TcpStream::connect((host.as_str(), port)))
            .await
            .unwrap_or_else(|e| panic!("TCP connect to the proxy at {host}:{port}: {e}"));
        let server_name = ServerName::try_from(host.clone()).expect("a TLS server name");
        let tls = within("TLS handshake with the proxy", self.tls.connect(server_name, tcp))
            .await
            .unwrap_or_else(|e| panic!("TLS handshake with the proxy at {host}:{port}: {e}"));

        let mut request = format!("wss://{host}:{port}{path}").into_client_request().expect("a WebSocket request");
        let headers = request.headers_mut();
        headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {}", user.token)).expect("a header"));
        if let Some(origin) = origin {
            headers.insert("origin", HeaderValue::from_str(origin).expect("a header"));
        }
        let (inner, response) = match within("the WebSocket upgrade through the proxy", async {
            tokio_tungstenite::client_async(request, tls).await
        })
        .await
        {
            Ok(connected) => connected,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                panic!("the WebSocket upgrade of {path} through the proxy was refused: {} {body}", response.status())
            }
            Err(e) => panic!("the WebSocket upgrade of {path} through the proxy failed: {e}"),
        };
        assert_eq!(response.status().as_u16(), 101, "the upgrade through the proxy answers 101");
        assert_via_nginx(response.headers(), "the WebSocket upgrade");

        let mut socket = ProxySocket { inner, who: user.username.clone(), hello_seq: -1 };
        match socket.next_msg("hello").await {
            ServerMsg::Hello { board_id: hello_board, seq, user_id } => {
                assert_eq!(hello_board, board_id, "hello names the board");
                assert_eq!(user_id, user.id, "hello names the user of the bearer token");
                socket.hello_seq = seq;
            }
            other => panic!("{}: the first frame through the proxy should be hello, got {other:?}", user.username),
        }
        socket
    }

    /// Opens a board's event stream through the proxy, optionally resuming after `last_event_id`; panics unless
    /// it is a 200 `text/event-stream`.
    async fn sse(&self, user: &ProxyUser, board_id: Uuid, last_event_id: Option<i64>) -> SseReader {
        let path = format!("/api/boards/{board_id}/events");
        let mut request = self
            .http
            .get(self.url(&path))
            .bearer_auth(&user.token)
            .header("accept", "text/event-stream")
            // No overall deadline on a stream that is meant to stay open; reads are bounded by `WAIT` instead.
            .timeout(Duration::from_secs(3600));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let what = format!("the response headers of GET {path} through the proxy (held back by a buffering proxy?)");
        let response =
            within(&what, request.send()).await.unwrap_or_else(|e| panic!("GET {path} through the proxy: {e}"));
        assert_via_nginx(response.headers(), &format!("GET {path}"));
        let status = response.status();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        if status != StatusCode::OK {
            let body = response.text().await.unwrap_or_default();
            panic!("GET {path} through the proxy answered {status}: {body}");
        }
        assert!(content_type.starts_with("text/event-stream"), "GET {path} through the proxy is {content_type:?}");
        SseReader::new(response)
    }

    /// Two users through the proxy, a board of `alice`'s with two lists and a card, and `bob` as its editor.
    async fn fixture() -> Fixture {
        let proxy = Proxy::from_env();
        let alice = proxy.register_and_login("proxy_alice").await;
        let bob = proxy.register_and_login("proxy_bob").await;
        let token = Some(alice.token.as_str());
        let board: Board =
            proxy.expect(StatusCode::CREATED, Method::POST, "/api/boards", token, json!({"title": "Proxy"})).await;
        let lists_path = format!("/api/boards/{}/lists", board.id);
        let todo: List =
            proxy.expect(StatusCode::CREATED, Method::POST, &lists_path, token, json!({"title": "To do"})).await;
        let done: List =
            proxy.expect(StatusCode::CREATED, Method::POST, &lists_path, token, json!({"title": "Done"})).await;
        let cards_path = format!("/api/lists/{}/cards", todo.id);
        let card: Card = proxy
            .expect(StatusCode::CREATED, Method::POST, &cards_path, token, json!({"title": "Through nginx"}))
            .await;
        let members_path = format!("/api/boards/{}/members", board.id);
        let member: Member = proxy
            .expect(
                StatusCode::CREATED,
                Method::POST,
                &members_path,
                token,
                json!({"username": bob.username, "role": Role::Editor}),
            )
            .await;
        assert_eq!((member.user.id, member.role), (bob.id, Role::Editor));
        Fixture { proxy, alice, bob, board, lists: [todo, done], card }
    }
}

/// nginx replaces the upstream's `Server` header with its own: a response without it did not come through nginx.
#[track_caller]
fn assert_via_nginx(headers: &reqwest::header::HeaderMap, what: &str) {
    let server = headers.get("server").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(server.starts_with("nginx"), "{what}: expected a response from nginx, got Server: {server:?}");
}

/// A board WebSocket through the proxy.
struct ProxySocket {
    inner: WebSocketStream<TlsStream<TcpStream>>,
    /// Whose socket it is, for messages.
    who: String,
    hello_seq: i64,
}

impl ProxySocket {
    /// The next server message that is not `presence`, within `WAIT`; `what` says what is awaited.
    async fn next_msg(&mut self, what: &str) -> ServerMsg {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.inner.next())
                .await
                .unwrap_or_else(|_| panic!("{}: no {what} through the proxy within {WAIT:?}", self.who));
            let text = match next {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(other)) => panic!("{}: {other:?} while waiting for {what}", self.who),
                Some(Err(e)) => panic!("{}: the socket failed while waiting for {what}: {e}", self.who),
                None => panic!("{}: the socket ended while waiting for {what}", self.who),
            };
            match serde_json::from_str(text.as_str()) {
                Ok(ServerMsg::Presence { .. }) => continue,
                Ok(msg) => return msg,
                Err(e) => panic!("{}: not a server frame: {text} ({e})", self.who),
            }
        }
    }

    async fn send(&mut self, msg: &ClientMsg) {
        let text = serde_json::to_string(msg).expect("a client frame");
        within("sending a frame through the proxy", self.inner.send(Message::text(text)))
            .await
            .unwrap_or_else(|e| panic!("{}: sending a frame through the proxy: {e}", self.who));
    }
}

/// The next SSE message that carries an event (comments are skipped by the reader), within `WAIT`.
async fn next_sse(stream: &mut SseReader, what: &str) -> SseMessage {
    match stream.next_within(WAIT).await {
        Some(Some(message)) => message,
        Some(None) => panic!("the event stream through the proxy ended while waiting for {what}"),
        None => panic!(
            "{what} did not arrive on the open event stream through the proxy within {WAIT:?} (buffered by the proxy?)"
        ),
    }
}

/// An SSE `event: event` message as an `Event`, checking that its `id` is its seq.
#[track_caller]
fn sse_event(message: &SseMessage) -> Event {
    assert_eq!(message.event.as_deref(), Some("event"), "expected an event message, got {message:?}");
    let event: Event = serde_json::from_str(&message.data)
        .unwrap_or_else(|e| panic!("the data of an event message is not an event: {message:?} ({e})"));
    assert_eq!(message.id.as_deref(), Some(event.seq.to_string().as_str()), "the id of an event is its seq");
    event
}

/// Asserts that `event` is the move of `card_id` to `to_list_id` by `actor` with `client_op_id`, at `seq`.
#[track_caller]
fn assert_card_moved(event: &Event, seq: i64, card_id: Uuid, to_list_id: Uuid, actor: &ProxyUser, client_op_id: &str) {
    assert_eq!(event.seq, seq, "{event:?}");
    assert_eq!(event.client_op_id.as_deref(), Some(client_op_id), "{event:?}");
    assert_eq!(event.actor_id, Some(actor.id), "{event:?}");
    match &event.kind {
        EventKind::CardMoved { card_id: moved, to_list_id: to, .. } => {
            assert_eq!((*moved, *to), (card_id, to_list_id), "{event:?}");
        }
        other => panic!("expected card_moved at seq {seq}, got {other:?}"),
    }
}

#[tokio::test]
#[ignore = "needs scripts/proxy-test (nginx in front of a server)"]
async fn login_and_a_shared_board_through_the_proxy() {
    let Fixture { proxy, alice, bob, board, lists, card } = Proxy::fixture().await;

    // The editor, logged in through the proxy, sees the board as its owner made it.
    let (status, body) = proxy.call(Method::GET, &format!("/api/boards/{}", board.id), Some(&bob.token), None).await;
    assert_eq!(status, StatusCode::OK, "the editor reads the snapshot through the proxy: {body}");
    let snapshot: Snapshot = serde_json::from_value(body).expect("a snapshot");
    assert_eq!(snapshot.lists.iter().map(|l| l.id).collect::<Vec<_>>(), lists.map(|l| l.id));
    assert_eq!(snapshot.cards.iter().map(|c| c.id).collect::<Vec<_>>(), [card.id]);
    let members: Vec<(Uuid, Role)> = snapshot.members.iter().map(|m| (m.user.id, m.role)).collect();
    assert_eq!(members, [(alice.id, Role::Owner), (bob.id, Role::Editor)]);
    assert_eq!(snapshot.board.seq, 4, "two lists, a card and a member: four events");

    // A wrong password is refused through the proxy the same way as without it.
    let (status, body) = proxy
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": alice.username, "password": "not the password"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a wrong password: {body}");
    assert_eq!(body["error"]["code"], "invalid_credentials", "{body}");
}

#[tokio::test]
#[ignore = "needs scripts/proxy-test (nginx in front of a server)"]
async fn a_websocket_move_reaches_a_second_socket_through_the_proxy() {
    let Fixture { proxy, alice, bob, board, lists, card } = Proxy::fixture().await;

    // Alice's socket says it comes from the public origin, as her browser would; Bob's is an API client.
    let mut alice_ws = proxy.ws(&alice, board.id, Some(&proxy.origin())).await;
    let mut bob_ws = proxy.ws(&bob, board.id, None).await;
    assert_eq!(alice_ws.hello_seq, 4, "hello carries the board's seq");
    assert_eq!(bob_ws.hello_seq, alice_ws.hello_seq, "both sockets start at the same seq");
    let seq = alice_ws.hello_seq + 1;

    let client_op_id = format!("proxy-{}", Uuid::new_v4().simple());
    alice_ws.send(&ClientMsg::move_card(client_op_id.clone(), card.id, lists[1].id, MoveTarget::First)).await;

    match bob_ws.next_msg("the card_moved event of alice's move").await {
        ServerMsg::Event(event) => assert_card_moved(&event, seq, card.id, lists[1].id, &alice, &client_op_id),
        other => panic!("bob's socket: expected the card_moved event, got {other:?}"),
    }

    // Alice gets the ack of her move, and her own socket sees the event too (in either order).
    let (mut acked, mut seen) = (false, false);
    while !(acked && seen) {
        match alice_ws.next_msg("the ack and the event of the move").await {
            ServerMsg::Ack { client_op_id: acked_op, seq: acked_seq } if !acked => {
                assert_eq!((acked_op.as_str(), acked_seq), (client_op_id.as_str(), seq), "the ack of the move");
                acked = true;
            }
            ServerMsg::Event(event) if !seen => {
                assert_card_moved(&event, seq, card.id, lists[1].id, &alice, &client_op_id);
                seen = true;
            }
            other => panic!("alice's socket: expected the ack and the event of her move, got {other:?}"),
        }
    }

    // The move is stored: a snapshot through the proxy has the card in the second list.
    let (status, body) = proxy.call(Method::GET, &format!("/api/boards/{}", board.id), Some(&bob.token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let snapshot: Snapshot = serde_json::from_value(body).expect("a snapshot");
    assert_eq!(snapshot.board.seq, seq);
    assert_eq!(snapshot.cards.iter().map(|c| (c.id, c.list_id)).collect::<Vec<_>>(), [(card.id, lists[1].id)]);
}

#[tokio::test]
#[ignore = "needs scripts/proxy-test (nginx in front of a server)"]
async fn an_event_stream_is_live_and_resumes_through_the_proxy() {
    let Fixture { proxy, alice, bob, board, lists, card } = Proxy::fixture().await;
    let op = |n: u32| format!("proxy-sse-{n}-{}", Uuid::new_v4().simple());

    // Bob watches the board; the response headers mean he is subscribed, so every later move reaches him.
    let mut stream = proxy.sse(&bob, board.id, None).await;

    // Live: each move reaches the open stream on its own, while the stream stays open — a proxy that
    // buffered the response would hold these small events back.
    let mut last_seen = None;
    for (n, to) in [(1, lists[1].id), (2, lists[0].id)] {
        let client_op_id = op(n);
        let moved = proxy.move_card(&alice, card.id, to, &client_op_id).await;
        let message = next_sse(&mut stream, &format!("the event of move {n} (seq {})", moved.seq)).await;
        let event = sse_event(&message);
        assert_card_moved(&event, moved.seq, card.id, to, &alice, &client_op_id);
        last_seen = Some(event.seq);
    }
    let last_seen = last_seen.expect("two events seen");
    assert_eq!(last_seen, 6, "the board had four events before the two moves");
    drop(stream);

    // Bob is away while Alice moves the card again.
    let missed_op = op(3);
    let missed = proxy.move_card(&alice, card.id, lists[1].id, &missed_op).await;
    assert_eq!(missed.seq, last_seen + 1);

    // Back with the last id he saw: the missed event is what comes next, and nothing else.
    let mut resumed = proxy.sse(&bob, board.id, Some(last_seen)).await;
    let message = next_sse(&mut resumed, &format!("the missed event (seq {}) after Last-Event-ID", missed.seq)).await;
    assert_card_moved(&sse_event(&message), missed.seq, card.id, lists[1].id, &alice, &missed_op);
    if let Some(Some(extra)) = resumed.next_within(Duration::from_secs(1)).await {
        panic!("after the missed event the resumed stream should be quiet, got {extra:?}");
    }

    // And the resumed stream is live too.
    let live_op = op(4);
    let live = proxy.move_card(&alice, card.id, lists[0].id, &live_op).await;
    let message = next_sse(&mut resumed, &format!("the event of a move after resuming (seq {})", live.seq)).await;
    assert_card_moved(&sse_event(&message), live.seq, card.id, lists[0].id, &alice, &live_op);
}
